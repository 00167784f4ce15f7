package ledger_test

import (
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licensedesk/licensedesk/ledger"
)

// The rules of SPEC §3 as a pure function: every case plans one request on
// a store-free snapshot of the test desk (testdata/seed.yaml) at testNow.
// Each subtest is named after the rule it checks, so `grep -r R-ADD` finds
// the rule, its code and its tests. The store's part (the atomic commit,
// idempotency, races, replay) is tested on a real redis-server elsewhere.

var (
	seedOnce sync.Once
	seedDesk *ledger.Seed
)

// planOn plans ops for a tenant of the test desk.
func planOn(t *testing.T, tenant string, as ledger.Requester, channel ledger.Channel, dry bool, ops ...ledger.Op) (ledger.Result, ledger.Effects) {
	t.Helper()
	seedOnce.Do(func() {
		f, err := os.Open("testdata/seed.yaml")
		if err != nil {
			panic(err)
		}
		defer f.Close()
		if seedDesk, err = ledger.ParseSeed(f, ledger.DefaultCatalog()); err != nil {
			panic(err)
		}
	})
	for i := range seedDesk.Tenants {
		st := &seedDesk.Tenants[i]
		if st.ID == tenant {
			req := &ledger.Request{ID: "LD-01TEST00000000000000000000", Tenant: tenant, Requester: as,
				Origin: ledger.Origin{Channel: channel}, Ops: ops, DryRun: dry}
			return ledger.Plan(ledger.SnapshotOf(st), req, ledger.DefaultCatalog(), testNow)
		}
	}
	t.Fatalf("no tenant %s in the seed", tenant)
	return ledger.Result{}, ledger.Effects{}
}

// written is the R-TOTAL figure of a product as the effects would store it.
func written(eff ledger.Effects, sku string) (int, bool) {
	subs, ok := eff.Subs[sku]
	n := 0
	for _, s := range subs {
		if s.Counts() {
			n += s.Quantity()
		}
	}
	return n, ok
}

func TestSeatRules(t *testing.T) {
	type want struct {
		status ledger.Status
		code   ledger.Code
		before ledger.Figures
		after  ledger.Figures
		sub    string
	}
	billing := slackAdmin("U0BILL", ledger.RoleBilling)
	cases := []struct {
		name   string
		as     ledger.Requester
		tenant string
		op     ledger.Op
		want   want
	}{
		{"R-ADD: adding seats goes to the active subscription whose term ends last", billing, "contoso", add(5, "SPB"),
			want{ledger.StatusApplied, "", ledger.Figures{13, 11}, ledger.Figures{18, 11}, "contoso-spb-1"}},
		{"R-ADD: adding to a named subscription uses it", billing, "contoso", ledger.Op{Kind: ledger.OpAdd, SKU: "SPB", Quantity: 1, Subscription: "contoso-spb-2"},
			want{ledger.StatusApplied, "", ledger.Figures{13, 11}, ledger.Figures{14, 11}, "contoso-spb-2"}},
		{"R-ROLE-BUY: a global admin may buy seats", slackAdmin("U0GLOBAL", ledger.RoleGlobal), "contoso", add(1, "SPB"),
			want{ledger.StatusApplied, "", ledger.Figures{13, 11}, ledger.Figures{14, 11}, "contoso-spb-1"}},
		{"R-ROLE-BUY: a license admin may not buy seats", slackAdmin("U0LIC", ledger.RoleLicense), "contoso", add(1, "SPB"),
			want{status: ledger.StatusRefused, code: ledger.NotAuthorized}},
		{"R-ROLE-BUY: a user admin may not buy seats", slackAdmin("U0USER", ledger.RoleUser), "contoso", add(1, "SPB"),
			want{status: ledger.StatusRefused, code: ledger.NotAuthorized}},
		{"R-ROLE-BUY: a stranger may not buy seats", slackAdmin("U0NOBODY"), "contoso", add(1, "SPB"),
			want{status: ledger.StatusRefused, code: ledger.NotAuthorized}},
		{"R-TOTAL, R-ADD: a trial takes no more seats, though its seats count", billing, "contoso", add(1, "POWER_BI_PRO"),
			want{ledger.StatusRefused, ledger.TrialSubscription, ledger.Figures{25, 0}, ledger.Figures{25, 0}, "contoso-pbi-trial"}},
		{"R-ADD: a prepaid subscription takes no seats", billing, "contoso", add(1, "VISIOCLIENT"),
			want{ledger.StatusRefused, ledger.PrepaidSubscription, ledger.Figures{5, 0}, ledger.Figures{5, 0}, "contoso-visio-1"}},
		{"R-ADD: a partner's subscription takes no seats", billing, "contoso", add(1, "PROJECTPROFESSIONAL"),
			want{ledger.StatusRefused, ledger.PartnerManaged, ledger.Figures{3, 0}, ledger.Figures{3, 0}, "contoso-proj-1"}},
		{"R-ADD: a volume licence takes no seats", billing, "contoso", add(1, "AAD_PREMIUM"),
			want{ledger.StatusRefused, ledger.VolumeLicensing, ledger.Figures{10, 0}, ledger.Figures{10, 0}, "contoso-aad-1"}},
		{"R-ADD: a pending credit check blocks new seats", billing, "contoso", add(1, "EMS"),
			want{ledger.StatusRefused, ledger.CreditCheckPending, ledger.Figures{1, 0}, ledger.Figures{1, 0}, "contoso-ems-1"}},
		{"R-ADD: an expired subscription takes no seats", billing, "contoso", add(1, "AAD_PREMIUM_P2"),
			want{ledger.StatusRefused, ledger.SubscriptionInactive, ledger.Figures{2, 1}, ledger.Figures{2, 1}, "contoso-p2-1"}},
		{"R-ADD: an end-of-sale product takes no seats", billing, "contoso", add(1, "ENTERPRISEWITHSCAL"),
			want{ledger.StatusRefused, ledger.EndOfSale, ledger.Figures{2, 0}, ledger.Figures{2, 0}, ""}},
		{"R-ADD: a product without subscription needs --new", billing, "contoso", add(1, "SPE_E5"),
			want{ledger.StatusRefused, ledger.NoSubscription, ledger.Figures{0, 0}, ledger.Figures{0, 0}, ""}},
		{"R-ADD: --new buys a new subscription", billing, "contoso", ledger.Op{Kind: ledger.OpAdd, SKU: "SPE_E5", Quantity: 3, New: true},
			want{ledger.StatusApplied, "", ledger.Figures{0, 0}, ledger.Figures{3, 0}, "contoso-spe_e5-1"}},
		{"R-ADD: an invoiced tenant stays within its credit limit", billing, "fabrikam", add(100, "STANDARDPACK"),
			want{ledger.StatusRefused, ledger.InsufficientCredit, ledger.Figures{10, 0}, ledger.Figures{10, 0}, "fabrikam-e1-1"}},
		{"R-ADD: an invoiced tenant may buy within its credit limit", billing, "fabrikam", add(5, "STANDARDPACK"),
			want{ledger.StatusApplied, "", ledger.Figures{10, 0}, ledger.Figures{15, 0}, "fabrikam-e1-1"}},
		{"R-ADD: an absurd quantity is refused", billing, "contoso", add(10_000_000, "SPB"),
			want{ledger.StatusRefused, ledger.InvalidQuantity, ledger.Figures{13, 11}, ledger.Figures{13, 11}, ""}},
		{"R-ADD: a negative quantity is refused", billing, "contoso", add(-5, "SPB"),
			want{ledger.StatusRefused, ledger.InvalidQuantity, ledger.Figures{13, 11}, ledger.Figures{13, 11}, ""}},
		{"R-ADD: an unknown product is refused", billing, "contoso", add(1, "NOPE"),
			want{status: ledger.StatusRefused, code: ledger.UnknownProduct}},
		{"R-REMOVE: removing recent seats returns the newest batch", billing, "contoso", remove(2, "SPB"),
			want{ledger.StatusApplied, "", ledger.Figures{13, 11}, ledger.Figures{11, 11}, "contoso-spb-1"}},
		{"R-REMOVE: removing below the assigned count is refused", billing, "contoso", remove(3, "SPB"),
			want{ledger.StatusRefused, ledger.CountViolation, ledger.Figures{13, 11}, ledger.Figures{13, 11}, ""}},
		{"R-REMOVE: seats older than 7 days cannot be returned", billing, "contoso", remove(5, "ENTERPRISEPACK"),
			want{ledger.StatusRefused, ledger.ReductionWindowPassed, ledger.Figures{10, 1}, ledger.Figures{10, 1}, ""}},
		{"R-REMOVE: old seats can be dropped at the renewal", billing, "contoso", ledger.Op{Kind: ledger.OpRemove, SKU: "ENTERPRISEPACK", Quantity: 5, AtRenewal: true},
			want{ledger.StatusApplied, "", ledger.Figures{10, 1}, ledger.Figures{10, 1}, "contoso-e3-1"}},
		{"R-REMOVE: a reduction at renewal needs auto-renew", billing, "contoso", ledger.Op{Kind: ledger.OpRemove, SKU: "SPE_E3", Quantity: 1, AtRenewal: true},
			want{ledger.StatusRefused, ledger.AutoRenewOff, ledger.Figures{4, 0}, ledger.Figures{4, 0}, "contoso-m365e3-1"}},
		{"R-REMOVE: prepaid seats are never returned", billing, "contoso", remove(1, "VISIOCLIENT"),
			want{ledger.StatusRefused, ledger.PrepaidSubscription, ledger.Figures{5, 0}, ledger.Figures{5, 0}, ""}},
		{"R-ADD: set to a higher total adds the difference", billing, "contoso", set(15, "SPB"),
			want{ledger.StatusApplied, "", ledger.Figures{13, 11}, ledger.Figures{15, 11}, "contoso-spb-1"}},
		{"R-ADD: set to the current total changes nothing", billing, "contoso", set(13, "SPB"),
			want{ledger.StatusApplied, ledger.Unchanged, ledger.Figures{13, 11}, ledger.Figures{13, 11}, ""}},
		{"R-REMOVE: set to a lower total removes the difference", billing, "contoso", set(11, "SPB"),
			want{ledger.StatusApplied, "", ledger.Figures{13, 11}, ledger.Figures{11, 11}, "contoso-spb-1"}},
		{"R-REMOVE: set below the assigned count is refused", billing, "contoso", set(0, "SPB"),
			want{ledger.StatusRefused, ledger.CountViolation, ledger.Figures{13, 11}, ledger.Figures{13, 11}, ""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, eff := planOn(t, c.tenant, c.as, ledger.ChannelSlack, false, c.op)
			if res.Status != c.want.status {
				t.Fatalf("status %s, want %s (%+v)", res.Status, c.want.status, res)
			}
			if len(res.Ops) != 1 {
				t.Fatalf("%d op results", len(res.Ops))
			}
			r := res.Ops[0]
			if r.Code != c.want.code && !(len(res.Errors) > 0 && res.Errors[0].Code == c.want.code) {
				t.Fatalf("code %q (errors %+v), want %q", r.Code, res.Errors, c.want.code)
			}
			if res.Status == ledger.StatusRefused && (len(eff.Subs) > 0 || len(eff.Users) > 0) {
				t.Errorf("R-ATOMIC: a refusal writes %+v", eff)
			}
			if c.want.code == ledger.NotAuthorized || c.want.code == ledger.UnknownProduct {
				return
			}
			if r.Before == nil || *r.Before != c.want.before {
				t.Errorf("before %+v, want %+v", r.Before, c.want.before)
			}
			if r.After == nil || *r.After != c.want.after {
				t.Errorf("after %+v, want %+v", r.After, c.want.after)
			}
			if c.want.sub != "" && r.Subscription != c.want.sub {
				t.Errorf("subscription %q, want %q", r.Subscription, c.want.sub)
			}
			if total, ok := written(eff, r.SKU); ok && total != c.want.after.Total {
				t.Errorf("the effects would store %d seats, want %d", total, c.want.after.Total)
			}
		})
	}
}

func TestAssignmentRules(t *testing.T) {
	lic := slackAdmin("U0LIC", ledger.RoleLicense)
	type userWant struct {
		upn     string
		outcome string
		code    ledger.Code
	}
	cases := []struct {
		name   string
		as     ledger.Requester
		tenant string
		ops    []ledger.Op
		status ledger.Status
		users  []userWant // of the last op
	}{
		{"R-ROLE-ASSIGN: a license admin assigns a free seat", lic, "contoso", []ledger.Op{assign("ENTERPRISEPACK", "dave@contoso.com")},
			ledger.StatusApplied, []userWant{{"dave@contoso.com", "applied", ""}}},
		{"R-ROLE-ASSIGN: a user admin may assign too", slackAdmin("U0USER", ledger.RoleUser), "contoso", []ledger.Op{assign("ENTERPRISEPACK", "dave@contoso.com")},
			ledger.StatusApplied, []userWant{{"dave@contoso.com", "applied", ""}}},
		{"R-ROLE-ASSIGN: a billing admin may not assign", slackAdmin("U0BILL", ledger.RoleBilling), "contoso", []ledger.Op{assign("ENTERPRISEPACK", "dave@contoso.com")},
			ledger.StatusRefused, nil},
		{"R-ASSIGN: the last seat goes to the first user, the next is refused", lic, "contoso", []ledger.Op{assign("O365_BUSINESS_PREMIUM", "dave@contoso.com", "bob@contoso.com")},
			ledger.StatusPartiallyApplied, []userWant{{"dave@contoso.com", "applied", ""}, {"bob@contoso.com", "refused", ledger.CountViolation}}},
		{"R-ASSIGN: mutually exclusive products are refused", lic, "contoso", []ledger.Op{assign("SPB", "erin@contoso.com")},
			ledger.StatusRefused, []userWant{{"erin@contoso.com", "refused", ledger.MutuallyExclusiveViolation}}},
		{"R-ASSIGN: an add-on needs its base", lic, "contoso", []ledger.Op{assign("EXCHANGEARCHIVE_ADDON", "dave@contoso.com")},
			ledger.StatusRefused, []userWant{{"dave@contoso.com", "refused", ledger.DependencyViolation}}},
		{"R-ASSIGN: an add-on is assigned after its base in the same request", lic, "contoso", []ledger.Op{assign("ENTERPRISEPACK", "dave@contoso.com"), assign("EXCHANGEARCHIVE_ADDON", "dave@contoso.com")},
			ledger.StatusApplied, []userWant{{"dave@contoso.com", "applied", ""}}},
		{"R-ASSIGN: assigning a held product is a no-op", lic, "contoso", []ledger.Op{assign("SPB", "alice@contoso.com")},
			ledger.StatusApplied, []userWant{{"alice@contoso.com", "unchanged", ledger.AlreadyAssigned}}},
		{"R-ASSIGN: an unknown user is refused", lic, "contoso", []ledger.Op{assign("SPB", "zoe@contoso.com")},
			ledger.StatusRefused, []userWant{{"zoe@contoso.com", "refused", ledger.UnknownUser}}},
		{"R-ASSIGN: --create creates a user of the tenant's domain", lic, "contoso", []ledger.Op{{Kind: ledger.OpAssign, SKU: "SPB", Users: []string{"zoe@contoso.com"}, Create: true}},
			ledger.StatusApplied, []userWant{{"zoe@contoso.com", "applied", ""}}},
		{"R-ASSIGN: --create refuses another domain", lic, "contoso", []ledger.Op{{Kind: ledger.OpAssign, SKU: "SPB", Users: []string{"mallory@evil.example"}, Create: true}},
			ledger.StatusRefused, []userWant{{"mallory@evil.example", "refused", ledger.ForeignUser}}},
		{"R-ASSIGN: a user of another tenant is unknown here", lic, "contoso", []ledger.Op{assign("SPB", "frank@fabrikam.com")},
			ledger.StatusRefused, []userWant{{"frank@fabrikam.com", "refused", ledger.UnknownUser}}},
		{"R-ASSIGN: a user without usage location is refused when the tenant has no default", lic, "fabrikam", []ledger.Op{assign("STANDARDPACK", "frank@fabrikam.com")},
			ledger.StatusRefused, []userWant{{"frank@fabrikam.com", "refused", ledger.UsageLocationMissing}}},
		{"R-ASSIGN: a garbage user name is refused per user", lic, "contoso", []ledger.Op{assign("SPB", "not-an-address", "alice@contoso.com")},
			ledger.StatusPartiallyApplied, []userWant{{"not-an-address", "refused", ledger.InvalidUser}, {"alice@contoso.com", "unchanged", ledger.AlreadyAssigned}}},
		{"R-UNASSIGN: unassigning a base that an add-on needs is refused", lic, "contoso", []ledger.Op{unassign("EXCHANGESTANDARD", "carol@contoso.com")},
			ledger.StatusRefused, []userWant{{"carol@contoso.com", "refused", ledger.DependencyViolation}}},
		{"R-UNASSIGN: the base goes with the add-on in one request", lic, "contoso", []ledger.Op{unassign("EXCHANGESTANDARD", "carol@contoso.com"), unassign("EXCHANGEARCHIVE_ADDON", "carol@contoso.com")},
			ledger.StatusApplied, []userWant{{"carol@contoso.com", "applied", ""}}},
		{"R-UNASSIGN: unassigning a product not held is a no-op", lic, "contoso", []ledger.Op{unassign("SPB", "dave@contoso.com")},
			ledger.StatusApplied, []userWant{{"dave@contoso.com", "unchanged", ledger.NotAssigned}}},
		{"R-ROLE-ASSIGN: a license contact assigns by email", ledger.Requester{ID: "helpdesk@contoso.com"}, "contoso", []ledger.Op{assign("ENTERPRISEPACK", "dave@contoso.com")},
			ledger.StatusApplied, []userWant{{"dave@contoso.com", "applied", ""}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ch := ledger.ChannelSlack
			if strings.Contains(c.as.ID, "@") {
				ch = ledger.ChannelEmail
			}
			res, eff := planOn(t, c.tenant, c.as, ch, false, c.ops...)
			if res.Status != c.status {
				t.Fatalf("status %s, want %s: %+v", res.Status, c.status, res)
			}
			last := res.Ops[len(res.Ops)-1]
			if len(c.users) > 0 && len(last.UserResults) != len(c.users) {
				t.Fatalf("user results %+v, want %+v", last.UserResults, c.users)
			}
			for i, w := range c.users {
				got := last.UserResults[i]
				if got.UPN != w.upn || got.Outcome != w.outcome || got.Code != w.code {
					t.Errorf("user %d: got %s %s %s, want %s %s %s", i, got.UPN, got.Outcome, got.Code, w.upn, w.outcome, w.code)
				}
				if w.outcome == "applied" && eff.Users[w.upn] == nil {
					t.Errorf("user %d: applied, but the effects do not write %s", i, w.upn)
				}
			}
		})
	}
}

func TestRequestRules(t *testing.T) {
	billing := slackAdmin("U0BILL", ledger.RoleBilling)
	contact := ledger.Requester{ID: "it@contoso.com"}
	t.Run("R-ATOMIC: one refused seat operation refuses the request and writes nothing", func(t *testing.T) {
		res, eff := planOn(t, "contoso", billing, ledger.ChannelSlack, false, add(2, "SPB"), add(1, "VISIOCLIENT"))
		if res.Status != ledger.StatusRefused || res.Ops[0].Outcome != ledger.OutcomeNotRun || len(eff.Subs) != 0 {
			t.Errorf("%s, first op %s, effects %+v", res.Status, res.Ops[0].Outcome, eff)
		}
	})
	t.Run("R-DRYRUN: a dry run gives the full result and writes nothing", func(t *testing.T) {
		res, eff := planOn(t, "contoso", billing, ledger.ChannelSlack, true, add(2, "SPB"))
		if res.Status != ledger.StatusDryRun || res.Ops[0].After.Total != 15 || len(eff.Subs) != 0 {
			t.Errorf("%s %+v %+v", res.Status, res.Ops[0].After, eff)
		}
	})
	for _, c := range []struct {
		name string
		ops  []ledger.Op
		want ledger.Status
	}{
		{"R-APPROVAL: a small emailed addition applies at once", []ledger.Op{add(10, "SPB")}, ledger.StatusApplied},
		{"R-APPROVAL: a large emailed addition waits", []ledger.Op{add(11, "SPB")}, ledger.StatusPendingApproval},
		{"R-APPROVAL: several additions count together", []ledger.Op{add(6, "SPB"), add(5, "ENTERPRISEPACK")}, ledger.StatusPendingApproval},
		{"R-APPROVAL: every emailed removal waits", []ledger.Op{remove(1, "SPB")}, ledger.StatusPendingApproval},
		{"R-APPROVAL: a set that lowers the total waits", []ledger.Op{set(12, "SPB")}, ledger.StatusPendingApproval},
		{"R-APPROVAL: assignments apply at once", []ledger.Op{assign("ENTERPRISEPACK", "dave@contoso.com")}, ledger.StatusApplied},
		{"R-APPROVAL: a refused request is refused, not held", []ledger.Op{add(1, "VISIOCLIENT")}, ledger.StatusRefused},
		{"R-APPROVAL, R-SWITCH: seats a switch buys count as additions", []ledger.Op{switchOp("SPB", "SPE_E3", "u01@contoso.com", "u02@contoso.com", "u03@contoso.com", "u04@contoso.com", "u05@contoso.com")}, ledger.StatusApplied},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, eff := planOn(t, "contoso", contact, ledger.ChannelEmail, false, c.ops...)
			if res.Status != c.want {
				t.Fatalf("status %s, want %s: %+v", res.Status, c.want, res.Errors)
			}
			if c.want == ledger.StatusPendingApproval && (len(eff.Subs) != 0 || res.Ops[0].Outcome != ledger.OutcomePending) {
				t.Errorf("a held request writes %+v, outcome %s", eff, res.Ops[0].Outcome)
			}
		})
	}
	t.Run("R-APPROVAL: an approved request is no longer held", func(t *testing.T) {
		req := &ledger.Request{ID: "LD-01TEST00000000000000000000", Tenant: "contoso", Requester: contact,
			Origin: ledger.Origin{Channel: ledger.ChannelEmail}, Ops: []ledger.Op{add(11, "SPB")}, ApprovedBy: "U0GLOBAL"}
		var snap *ledger.Snapshot
		for i := range seedDesk.Tenants {
			if seedDesk.Tenants[i].ID == "contoso" {
				snap = ledger.SnapshotOf(&seedDesk.Tenants[i])
			}
		}
		if res, _ := ledger.Plan(snap, req, ledger.DefaultCatalog(), testNow); res.Status != ledger.StatusApplied {
			t.Errorf("status %s", res.Status)
		}
	})
	t.Run("R-COST: a seat change reports the new monthly cost and the prorated charge", func(t *testing.T) {
		res, _ := planOn(t, "contoso", billing, ledger.ChannelSlack, false, add(5, "SPB"))
		spb, _ := ledger.DefaultCatalog().Get("SPB")
		if got, want := deref(res.Ops[0].MonthlyCost), round2(13*spb.Price("P1Y")+5*spb.Price("P1M")); got != want {
			t.Errorf("monthly %v, want %v", got, want)
		}
		if got, want := deref(res.Ops[0].Prorated), round2(5*spb.Price("P1Y")*12*42/365); got != want {
			t.Errorf("prorated %v, want %v", got, want)
		}
	})
	t.Run("R-SWITCH: a switch moves users and buys what TO lacks, as one plan", func(t *testing.T) {
		both := slackAdmin("U0BOTH", ledger.RoleBilling, ledger.RoleLicense)
		res, eff := planOn(t, "contoso", both, ledger.ChannelSlack, false,
			switchOp("SPB", "SPE_E3", "u01@contoso.com", "u02@contoso.com", "u03@contoso.com", "u04@contoso.com", "u05@contoso.com"))
		if res.Status != ledger.StatusApplied || res.Ops[0].Bought != 1 || len(eff.Users) != 5 {
			t.Errorf("%s bought %d, %d users written", res.Status, res.Ops[0].Bought, len(eff.Users))
		}
	})
}

func TestLifecycleRules(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sub := func(state string, auto bool) ledger.Subscription {
		return ledger.Subscription{ID: "s", SKU: "SPB", State: state, AutoRenew: auto, Term: ledger.TermMonth,
			TermStart: start, TermEnd: start.AddDate(0, 1, 0), StateSince: start,
			Seats: []ledger.SeatBatch{{Quantity: 3, AddedAt: start}}, ScheduledReduction: 1}
	}
	t.Run("R-EXPIRE: at term end an auto-renewing subscription renews, reductions applied, seats a new batch", func(t *testing.T) {
		s := sub(ledger.StateActive, true)
		if renewed := ledger.Advance(&s, start.AddDate(0, 1, 1)); !renewed || s.Quantity() != 2 || len(s.Seats) != 1 || !s.Seats[0].AddedAt.Equal(start.AddDate(0, 1, 0)) {
			t.Errorf("renewed %v: %+v", renewed, s)
		}
	})
	t.Run("R-EXPIRE: without auto-renew it expires, then is disabled after 30 days, then deleted after 90 more", func(t *testing.T) {
		s := sub(ledger.StateActive, false)
		end := start.AddDate(0, 1, 0)
		for _, step := range []struct {
			at    time.Time
			state string
		}{{end, ledger.StateExpired}, {end.Add(ledger.ExpiredGrace), ledger.StateDisabled},
			{end.Add(ledger.ExpiredGrace + ledger.DisabledPeriod), ledger.StateDeleted}} {
			ledger.Advance(&s, step.at)
			if s.State != step.state {
				t.Errorf("at %s: %s, want %s", step.at.Format(time.DateOnly), s.State, step.state)
			}
		}
	})
	t.Run("R-TRIAL: a trial with auto-renew converts to a paid subscription", func(t *testing.T) {
		s := sub(ledger.StateTrial, true)
		if ledger.Advance(&s, start.AddDate(0, 1, 1)); s.State != ledger.StateActive {
			t.Errorf("state %s", s.State)
		}
	})
	t.Run("R-TRIAL: a trial without auto-renew expires", func(t *testing.T) {
		s := sub(ledger.StateTrial, false)
		if ledger.Advance(&s, start.AddDate(0, 1, 1)); s.State != ledger.StateExpired {
			t.Errorf("state %s", s.State)
		}
	})
}
