package ledger_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/licensedesk/licensedesk/ledger"
	"gopkg.in/yaml.v3"
)

func subState(t *testing.T, l *ledger.Ledger, id string) ledger.Subscription {
	t.Helper()
	v, err := l.Show(context.Background(), "contoso")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range v.Products {
		for _, s := range p.Subscriptions {
			if s.ID == id {
				return s
			}
		}
	}
	t.Fatalf("no subscription %s", id)
	return ledger.Subscription{}
}

func TestSweepRunsTheLifecycle(t *testing.T) {
	l, clock, _ := setup(t)
	ctx := context.Background()
	steps := []struct {
		name  string
		at    time.Time
		sub   string
		state string
		check func(t *testing.T, s ledger.Subscription)
	}{
		{"an auto-renewing subscription renews at its term end, its seats a new batch", time.Date(2026, 12, 1, 0, 0, 1, 0, time.UTC), "contoso-spb-2", ledger.StateActive,
			func(t *testing.T, s ledger.Subscription) {
				want := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
				if !s.TermEnd.Equal(want) || len(s.Seats) != 1 || s.Seats[0].Quantity != 5 || !s.Seats[0].AddedAt.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) {
					t.Errorf("renewal: %+v", s)
				}
			}},
		{"a trial without auto-renew expires after 30 days", time.Date(2026, 12, 1, 0, 0, 1, 0, time.UTC), "contoso-pbi-trial", ledger.StateExpired, nil},
		{"without auto-renew a subscription expires at its term end", time.Date(2026, 12, 5, 0, 0, 1, 0, time.UTC), "contoso-m365e3-1", ledger.StateExpired, nil},
		{"an expired subscription is disabled after 30 days", time.Date(2026, 12, 10, 0, 0, 1, 0, time.UTC), "contoso-p2-1", ledger.StateDisabled, nil},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			clock.Set(s.at)
			if _, err := l.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
			got := subState(t, l, s.sub)
			if got.State != s.state {
				t.Fatalf("%s is %s, want %s", s.sub, got.State, s.state)
			}
			if s.check != nil {
				s.check(t, got)
			}
			mustCheck(t, l)
		})
	}
	// A disabled subscription's seats no longer count: u01 is now a conflict.
	conflicts, err := l.Conflicts(ctx, "contoso")
	if err != nil {
		t.Fatal(err)
	}
	if len(conflicts) != 1 || conflicts[0].SKU != "AAD_PREMIUM_P2" || conflicts[0].Users[0] != "u01@contoso.com" {
		t.Fatalf("conflicts: %+v", conflicts)
	}
	// A sweep with nothing to do writes nothing.
	hist, _ := l.History(ctx, "contoso", 1000)
	if _, err := l.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if hist2, _ := l.History(ctx, "contoso", 1000); len(hist2) != len(hist) {
		t.Error("an idle sweep wrote audit records")
	}
	// R-CONFLICT: renewing resolves the conflict its expiry caused.
	res := submit(t, l, operator, "contoso", ledger.Op{Kind: ledger.OpRenew, Subscription: "contoso-p2-1"})
	if res.Status != ledger.StatusApplied {
		t.Fatalf("renew: %+v", res)
	}
	if c, _ := l.Conflicts(ctx, "contoso"); len(c) != 0 {
		t.Errorf("conflicts after renewal: %+v", c)
	}
	// Left alone for 90 more days, a disabled subscription is deleted.
	clock.Set(time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC))
	if _, err := l.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if s := subState(t, l, "contoso-m365e3-1"); s.State != ledger.StateDeleted {
		t.Errorf("after 120 days without renewal: %s", s.State)
	}
	mustCheck(t, l)
}

func TestRenewalAppliesTheScheduledReduction(t *testing.T) {
	l, clock, _ := setup(t)
	ctx := context.Background()
	res := submit(t, l, operator, "contoso", ledger.Op{Kind: ledger.OpRemove, SKU: "ENTERPRISEPACK", Quantity: 4, AtRenewal: true})
	if res.Ops[0].Outcome != ledger.OutcomeScheduled {
		t.Fatalf("%+v", res)
	}
	clock.Set(time.Date(2027, 3, 1, 0, 0, 1, 0, time.UTC))
	if _, err := l.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	s := subState(t, l, "contoso-e3-1")
	if s.Quantity() != 6 || s.ScheduledReduction != 0 || !s.TermEnd.Equal(time.Date(2028, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("after renewal: quantity %d, scheduled %d, term end %v", s.Quantity(), s.ScheduledReduction, s.TermEnd)
	}
	// The renewed seats are a new batch: they can be returned for 7 days.
	res = submit(t, l, operator, "contoso", remove(1, "ENTERPRISEPACK"))
	if res.Status != ledger.StatusApplied {
		t.Errorf("seats of a fresh renewal should be returnable: %+v", res.Errors)
	}
	mustCheck(t, l)
}

func TestATrialWithAutoRenewConverts(t *testing.T) {
	l, clock, _ := setup(t)
	ctx := context.Background()
	submit(t, l, operator, "contoso", ledger.Op{Kind: ledger.OpAutoRenew, Subscription: "contoso-pbi-trial", AutoRenew: true})
	clock.Set(time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC))
	if _, err := l.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	s := subState(t, l, "contoso-pbi-trial")
	if s.State != ledger.StateActive || s.Quantity() != 25 {
		t.Errorf("trial should convert to a paid subscription: %+v", s)
	}
	if f := figures(t, l, "contoso", "POWER_BI_PRO"); f.Total != 25 {
		t.Errorf("converted seats should count: %+v", f)
	}
}

func TestRenewAndAutorenewRefusals(t *testing.T) {
	l, _, _ := setup(t)
	cases := []struct {
		name string
		op   ledger.Op
		code ledger.Code
	}{
		{"an active subscription is not renewed by hand", ledger.Op{Kind: ledger.OpRenew, Subscription: "contoso-spb-1"}, ledger.NotRenewable},
		{"an unknown subscription", ledger.Op{Kind: ledger.OpRenew, Subscription: "contoso-nope"}, ledger.UnknownSubscription},
		{"a partner's subscription", ledger.Op{Kind: ledger.OpAutoRenew, Subscription: "contoso-proj-1", AutoRenew: false}, ledger.PartnerManaged},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := submit(t, l, operator, "contoso", c.op)
			if res.Status != ledger.StatusRefused || res.Errors[0].Code != c.code {
				t.Errorf("got %s %+v, want %s", res.Status, res.Errors, c.code)
			}
		})
	}
	res := submit(t, l, operator, "contoso", ledger.Op{Kind: ledger.OpAutoRenew, Subscription: "contoso-spb-1", AutoRenew: true})
	if res.Status != ledger.StatusApplied || res.Ops[0].Code != ledger.Unchanged {
		t.Errorf("switching auto-renew to its current value is a no-op: %+v", res)
	}
}

func TestExportRoundTripsThroughImport(t *testing.T) {
	l, _, _ := setup(t)
	ctx := context.Background()
	submit(t, l, operator, "contoso", add(2, "SPB"), assign("SPB", "dave@contoso.com"), unassign("SPB", "alice@contoso.com"))
	for _, asJSON := range []bool{false, true} {
		t.Run(fmt.Sprintf("json=%v", asJSON), func(t *testing.T) {
			first, err := l.Export(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := ledger.EncodeSeed(&buf, first, asJSON); err != nil {
				t.Fatal(err)
			}
			other, _, _ := setup(t)
			seed, err := ledger.ParseSeed(bytes.NewReader(buf.Bytes()), other.Catalog())
			if err != nil {
				t.Fatalf("re-import: %v\n%s", err, buf.String())
			}
			if err := other.Import(ctx, seed); err != nil {
				t.Fatal(err)
			}
			second, err := other.Export(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if a, b := mustJSON(t, first), mustJSON(t, second); a != b {
				t.Errorf("export differs after a round trip:\n%s\n%s", a, b)
			}
			mustCheck(t, other)
		})
	}
}

func TestSeedValidationNamesTheBadField(t *testing.T) {
	cat := ledger.DefaultCatalog()
	base := "tenants:\n  - id: acme\n    name: Acme\n"
	cases := []struct {
		name, seed, want string
	}{
		{"an unknown key", "tenants:\n  - id: acme\n    colour: red\n", "colour"},
		{"a bad tenant id", "tenants:\n  - id: Acme Corp\n", "tenants[0].id"},
		{"a bad language", base + "    language: de\n", "tenants[0](acme).language"},
		{"a bad usage location", base + "    usage_location: France\n", "usage_location"},
		{"a bad contact email", base + "    contacts:\n      - {email: not-an-email, roles: [billing]}\n", "contacts[0].email"},
		{"a contact with an admin role", base + "    contacts:\n      - {email: a@acme.com, roles: [global]}\n", "contacts[0].roles[0]"},
		{"an unknown product", base + "    subscriptions:\n      - {id: s1, sku: NOPE, state: active, term_start: 2026-01-01T00:00:00Z, quantity: 1}\n", "subscriptions[0].sku"},
		{"a bad state", base + "    subscriptions:\n      - {id: s1, sku: SPB, state: actve, term_start: 2026-01-01T00:00:00Z, quantity: 1}\n", "subscriptions[0].state"},
		{"a quantity that is not the sum of the batches", base + "    subscriptions:\n      - id: s1\n        sku: SPB\n        state: active\n        term_start: 2026-01-01T00:00:00Z\n        quantity: 3\n        seats: [{quantity: 2, added_at: 2026-01-01T00:00:00Z}]\n", "subscriptions[0].quantity"},
		{"a negative batch", base + "    subscriptions:\n      - id: s1\n        sku: SPB\n        state: active\n        term_start: 2026-01-01T00:00:00Z\n        seats: [{quantity: -2, added_at: 2026-01-01T00:00:00Z}]\n", "seats[0].quantity"},
		{"a term end before its start", base + "    subscriptions:\n      - {id: s1, sku: SPB, state: active, term_start: 2026-01-01T00:00:00Z, term_end: 2025-01-01T00:00:00Z, quantity: 1}\n", "term_end"},
		{"a user licence unknown", base + "    users:\n      - {upn: a@acme.com, licenses: [NOPE]}\n", "users[0].licenses[0]"},
		{"a user twice", base + "    users:\n      - {upn: a@acme.com}\n      - {upn: A@acme.com}\n", "users[1].upn"},
		{"an admin with a bad role", "admins:\n  - {slack_user: U1, roles: [root]}\n", "admins[0].roles[0]"},
		{"a subscription id used twice", base + "    subscriptions:\n      - {id: s1, sku: SPB, state: active, term_start: 2026-01-01T00:00:00Z, quantity: 1}\n      - {id: s1, sku: SPB, state: active, term_start: 2026-01-01T00:00:00Z, quantity: 1}\n", "subscriptions[1].id"},
		{"JSON with an unknown key", `{"tenants":[{"id":"acme","colour":"red"}]}`, "colour"},
		{"a catalog override with a bad price", "catalog:\n  - {sku: SPB, monthly_price: {P1M: -1}}\n", "monthly_price"},
		{"not YAML at all", "\x00\x01{{{", "seed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ledger.ParseSeed(strings.NewReader(c.seed), cat)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one naming %q", err, c.want)
			}
		})
	}
}

func TestCatalogOverridesFromTheSeedApply(t *testing.T) {
	l, _, _ := setup(t)
	ctx := context.Background()
	seed, err := ledger.ParseSeed(strings.NewReader("catalog:\n  - {sku: SPB, monthly_price: {P1M: 30, P1Y: 25}, currency: EUR}\n"), l.Catalog())
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Import(ctx, seed); err != nil {
		t.Fatal(err)
	}
	// A new ledger on the same store sees the override.
	l2 := ledger.New(ledger.RedisOf(l), nil, l.Clock(), nil)
	if err := l2.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	p, _ := l2.Catalog().Get("SPB")
	if p.Price("P1Y") != 25 || p.GUID != "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46" {
		t.Errorf("override: %+v", p)
	}
}

func TestGrantAndRevoke(t *testing.T) {
	l, _, _ := setup(t)
	ctx := context.Background()
	global := slackAdmin("U0GLOBAL", ledger.RoleGlobal)
	if _, code, _ := l.SetRole(ctx, slackAdmin("U0BILL", ledger.RoleBilling), "U9", ledger.RoleGlobal, true); code != ledger.NotAuthorized {
		t.Errorf("a billing admin granted a role: %s", code)
	}
	changed, code, err := l.SetRole(ctx, global, "U9", ledger.RoleLicense, true)
	if err != nil || code != "" || !changed {
		t.Fatalf("grant: %v %s %v", changed, code, err)
	}
	if changed, _, _ := l.SetRole(ctx, global, "U9", ledger.RoleLicense, true); changed {
		t.Error("granting a held role twice should change nothing")
	}
	roles, _ := l.AdminRoles(ctx, "U9")
	if len(roles) != 1 || roles[0] != ledger.RoleLicense {
		t.Errorf("roles %v", roles)
	}
	if _, code, _ := l.SetRole(ctx, global, "U0GLOBAL", ledger.RoleGlobal, false); code != ledger.NotAuthorized {
		t.Error("a global admin should not revoke their own global role")
	}
	if changed, _, _ := l.SetRole(ctx, global, "U9", ledger.RoleLicense, false); !changed {
		t.Error("revoke changed nothing")
	}
	if roles, _ := l.AdminRoles(ctx, "U9"); len(roles) != 0 {
		t.Errorf("roles after revoke %v", roles)
	}
}

func TestBulkAssignmentLimits(t *testing.T) {
	l, _, _ := setup(t)
	submit(t, l, operator, "contoso", ledger.Op{Kind: ledger.OpAdd, SKU: "SPE_E5", Quantity: 1000, New: true})
	users := make([]string, 1000)
	for i := range users {
		users[i] = fmt.Sprintf("bulk%04d@contoso.com", i)
	}
	res := submit(t, l, operator, "contoso", ledger.Op{Kind: ledger.OpAssign, SKU: "SPE_E5", Users: users, Create: true})
	if res.Status != ledger.StatusApplied || res.Ops[0].After.Assigned != 1000 {
		t.Fatalf("1,000 users in one command: %s %+v", res.Status, res.Ops[0].After)
	}
	tooMany := make([]string, 10000)
	for i := range tooMany {
		tooMany[i] = fmt.Sprintf("x%05d@contoso.com", i)
	}
	res = submit(t, l, operator, "contoso", ledger.Op{Kind: ledger.OpAssign, SKU: "SPE_E5", Users: tooMany, Create: true})
	if res.Status != ledger.StatusRefused || res.Errors[0].Code != ledger.TooManyUsers {
		t.Errorf("10,000 users: %s %+v", res.Status, res.Errors)
	}
	if f := figures(t, l, "contoso", "SPE_E5"); f.Assigned != 1000 {
		t.Errorf("figures %+v", f)
	}
	mustCheck(t, l)
}

// SPEC §6: ledger import never silently overwrites a live desk.
func TestImportRefusesTenantsThatExistAndChangesNothing(t *testing.T) {
	l, _, _ := setup(t)
	ctx := context.Background()
	submit(t, l, operator, "contoso", add(5, "SPB"))
	histBefore, _ := l.History(ctx, "contoso", 1000)
	seed, err := ledger.ParseSeed(strings.NewReader(`admins:
  - {slack_user: U0NEWADMIN, roles: [global]}
catalog:
  - {sku: SPB, monthly_price: {P1M: 99, P1Y: 99}, currency: EUR}
tenants:
  - id: newco
    name: New Co
    domains: [newco.example]
  - id: contoso
    name: Contoso again
    domains: [contoso.com]
  - id: fabrikam
    name: Fabrikam again
    domains: [fabrikam.com]
`), l.Catalog())
	if err != nil {
		t.Fatal(err)
	}
	err = l.Import(ctx, seed, ledger.ImportOptions{KeepExisting: true})
	var exists *ledger.ExistingTenantsError
	if !errors.As(err, &exists) || strings.Join(exists.Tenants, ",") != "contoso,fabrikam" {
		t.Fatalf("import over a live desk: %v", err)
	}
	if f := figures(t, l, "contoso", "SPB"); f.Total != 18 {
		t.Errorf("the refused import changed contoso: %+v", f)
	}
	if _, err := l.Tenant(ctx, "newco"); !errors.Is(err, ledger.ErrUnknownTenant) {
		t.Errorf("the refused import created newco: %v", err)
	}
	if roles, _ := l.AdminRoles(ctx, "U0NEWADMIN"); len(roles) != 0 {
		t.Errorf("the refused import granted roles: %v", roles)
	}
	if p, _ := l.Catalog().Get("SPB"); p.Price("P1Y") == 99 {
		t.Error("the refused import changed the catalog")
	}
	if h, _ := l.History(ctx, "contoso", 1000); len(h) != len(histBefore) {
		t.Error("the refused import wrote history")
	}
	mustCheck(t, l)
}

func TestImportReplaceIsRecordedInTheTenantsHistory(t *testing.T) {
	l, clock, _ := setup(t)
	ctx := context.Background()
	submit(t, l, operator, "contoso", add(5, "SPB"))
	clock.Advance(time.Hour)
	if err := l.ImportFile(ctx, "testdata/seed.yaml", ledger.ImportOptions{By: "cli"}); err != nil {
		t.Fatal(err)
	}
	if f := figures(t, l, "contoso", "SPB"); f.Total != 13 {
		t.Errorf("SPB after --replace: %+v", f)
	}
	hist, err := l.History(ctx, "contoso", 3)
	if err != nil {
		t.Fatal(err)
	}
	// The users' record comes last; the one before says what happened.
	var rec *ledger.AuditRecord
	for i := range hist {
		if hist[i].Kind == "import" && hist[i].Request != nil {
			rec = &hist[i]
			break
		}
	}
	if rec == nil || !rec.Reset || !strings.Contains(rec.Request.Text, "replaced") || rec.Request.Requester.ID != "cli" {
		t.Fatalf("the replacement is not explained: %+v", rec)
	}
	var spb *ledger.OpResult
	for i := range rec.Result.Ops {
		if rec.Result.Ops[i].SKU == "SPB" {
			spb = &rec.Result.Ops[i]
		}
	}
	if spb == nil || spb.Op != ledger.OpImport || spb.Before.Total != 18 || spb.After.Total != 13 {
		t.Errorf("the replacement's figures: %+v", spb)
	}
	mustCheck(t, l)
	// A request after the replacement works on the new state.
	if r := submit(t, l, operator, "contoso", add(1, "SPB")); r.Ops[0].Before.Total != 13 {
		t.Errorf("after the replacement: %+v", r.Ops[0])
	}
	mustCheck(t, l)
}

// Export writes YAML a tenant at a time (a desk of 100,000 users took 20 s
// and 1.5 GB as one document); the text is the same as the whole
// document's.
func TestExportYAMLIsTheWholeDocumentsText(t *testing.T) {
	l, _, _ := setup(t)
	ctx := context.Background()
	submit(t, l, operator, "contoso", add(2, "SPB"), assign("SPB", "dave@contoso.com"))
	exp, err := l.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	exp.Tenants[1].Name = "Fabrikam\nLtd, on two lines:  with: colons"
	exp.Tenants[1].Contacts = append(exp.Tenants[1].Contacts, ledger.Contact{Email: "  odd@fabrikam.com", Roles: []ledger.Role{"billing"}})
	for _, s := range []*ledger.Seed{exp, {}, {Admins: exp.Admins}, {Tenants: exp.Tenants[:1]}} {
		var got, want bytes.Buffer
		if err := ledger.EncodeSeed(&got, s, false); err != nil {
			t.Fatal(err)
		}
		enc := yaml.NewEncoder(&want)
		enc.SetIndent(2)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		enc.Close()
		if got.String() != want.String() {
			t.Errorf("YAML differs:\n%s\n---\n%s", got.String(), want.String())
		}
	}
}
