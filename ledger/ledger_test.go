package ledger_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/licensedesk/licensedesk/internal/testredis"
	"github.com/licensedesk/licensedesk/ledger"
	"github.com/redis/go-redis/v9"
)

// testNow is the time the tests run at; see testdata/seed.yaml.
var testNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

var operator = ledger.Requester{ID: "cli", Operator: true}

func slackAdmin(id string, roles ...ledger.Role) ledger.Requester {
	return ledger.Requester{ID: id, Roles: roles}
}

// setup starts a real redis-server, seeds it from testdata/seed.yaml and
// returns a ledger on it with a clock stopped at testNow.
func setup(t *testing.T) (*ledger.Ledger, *ledger.ManualClock, redis.UniversalClient) {
	t.Helper()
	rdb := testredis.New(t)
	return seeded(t, rdb)
}

func seeded(t *testing.T, rdb redis.UniversalClient) (*ledger.Ledger, *ledger.ManualClock, redis.UniversalClient) {
	t.Helper()
	clock := ledger.NewManualClock(testNow)
	l := ledger.New(rdb, nil, clock, nil)
	if err := l.ImportFile(context.Background(), "testdata/seed.yaml"); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return l, clock, rdb
}

func submit(t *testing.T, l *ledger.Ledger, as ledger.Requester, tenant string, ops ...ledger.Op) ledger.Result {
	t.Helper()
	res, err := l.Submit(context.Background(), ledger.Request{Tenant: tenant, Requester: as,
		Origin: ledger.Origin{Channel: ledger.ChannelCLI}, Ops: ops})
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	return res
}

func figures(t *testing.T, l *ledger.Ledger, tenant, sku string) ledger.Figures {
	t.Helper()
	v, err := l.Show(context.Background(), tenant)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range v.Products {
		if p.SKU == sku {
			return ledger.Figures{Total: p.Total, Assigned: p.Assigned}
		}
	}
	return ledger.Figures{}
}

func mustCheck(t *testing.T, l *ledger.Ledger) {
	t.Helper()
	problems, err := l.Check(context.Background())
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	for _, p := range problems {
		t.Errorf("check: %s: %s", p.Tenant, p.What)
	}
}

func add(n int, sku string) ledger.Op { return ledger.Op{Kind: ledger.OpAdd, SKU: sku, Quantity: n} }
func remove(n int, sku string) ledger.Op {
	return ledger.Op{Kind: ledger.OpRemove, SKU: sku, Quantity: n}
}
func set(n int, sku string) ledger.Op { return ledger.Op{Kind: ledger.OpSet, SKU: sku, Quantity: n} }
func assign(sku string, users ...string) ledger.Op {
	return ledger.Op{Kind: ledger.OpAssign, SKU: sku, Users: users}
}
func unassign(sku string, users ...string) ledger.Op {
	return ledger.Op{Kind: ledger.OpUnassign, SKU: sku, Users: users}
}

func TestShowAddsUpSeveralSubscriptionsOfOneProduct(t *testing.T) {
	l, _, _ := setup(t)
	// R-TOTAL: contoso-spb-1 (8) + contoso-spb-2 (5); expired and trial seats count.
	cases := []struct {
		sku  string
		want ledger.Figures
	}{
		{"SPB", ledger.Figures{Total: 13, Assigned: 11}},
		{"AAD_PREMIUM_P2", ledger.Figures{Total: 2, Assigned: 1}},
		{"POWER_BI_PRO", ledger.Figures{Total: 25, Assigned: 0}},
		{"ENTERPRISEPACK", ledger.Figures{Total: 10, Assigned: 1}},
	}
	for _, c := range cases {
		if got := figures(t, l, "contoso", c.sku); got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.sku, got, c.want)
		}
	}
	mustCheck(t, l)
}

// The rules themselves are planned without a store in rules_test.go; what
// needs the store is that an unknown or malformed tenant is refused before
// any plan, and that the store keeps what the plan wrote.
func TestTheStoreRefusesUnknownTenantsAndKeepsWhatThePlanWrote(t *testing.T) {
	billing := slackAdmin("U0BILL", ledger.RoleBilling)
	l, _, _ := setup(t)
	for _, tenant := range []string{"umbrella", "Robert'); DROP"} {
		res := submit(t, l, billing, tenant, add(1, "SPB"))
		if res.Status != ledger.StatusRefused || res.Errors[0].Code != ledger.UnknownTenant {
			t.Errorf("%q: %s %+v", tenant, res.Status, res.Errors)
		}
	}
	for _, c := range []struct {
		op   ledger.Op
		want ledger.Figures
	}{{add(5, "SPB"), ledger.Figures{18, 11}}, {remove(2, "SPB"), ledger.Figures{16, 11}}, {assign("ENTERPRISEPACK", "dave@contoso.com"), ledger.Figures{10, 2}}} {
		res := submit(t, l, operator, "contoso", c.op)
		if got := figures(t, l, "contoso", c.op.SKU); res.Status != ledger.StatusApplied || got != c.want || *res.Ops[0].After != c.want {
			t.Errorf("%s %s: %s, stored %+v, want %+v", c.op.Kind, c.op.SKU, res.Status, got, c.want)
		}
	}
	mustCheck(t, l)
}

func TestRefusalsCarryWhatTheReplyNeeds(t *testing.T) {
	l, _, _ := setup(t)
	res := submit(t, l, operator, "contoso", remove(3, "SPB"))
	if !slices.Contains(res.Ops[0].Holders, "alice@contoso.com") || len(res.Ops[0].Holders) != 11 {
		t.Errorf("CountViolation should name the holders, got %v", res.Ops[0].Holders)
	}
	res = submit(t, l, operator, "contoso", remove(5, "ENTERPRISEPACK"))
	want := time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC)
	if fd := res.Ops[0].FinalDates; len(fd) != 1 || !fd[0].Equal(want) {
		t.Errorf("ReductionWindowPassed should give the date the batch became final (%v), got %v", want, fd)
	}
	res = submit(t, l, operator, "contoso", ledger.Op{Kind: ledger.OpRemove, SKU: "ENTERPRISEPACK", Quantity: 5, AtRenewal: true})
	if r := res.Ops[0]; r.Outcome != ledger.OutcomeScheduled || !r.ScheduledFor.Equal(time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("a reduction at renewal should be scheduled for 2027-03-01, got %s %v", r.Outcome, r.ScheduledFor)
	}
}

func TestCostAndProration(t *testing.T) {
	l, _, _ := setup(t)
	spb, _ := l.Catalog().Get("SPB")
	res := submit(t, l, operator, "contoso", add(5, "SPB"))
	r := res.Ops[0]
	// contoso-spb-1 (P1Y) now has 13 seats, contoso-spb-2 (P1M) 5.
	wantMonthly := round2(13*spb.Price("P1Y") + 5*spb.Price("P1M"))
	if r.MonthlyCost == nil || *r.MonthlyCost != wantMonthly {
		t.Errorf("monthly cost %v, want %v", deref(r.MonthlyCost), wantMonthly)
	}
	// R-COST: 42 of 365 days left in the annual term (ceil of 41.5 days).
	wantProrated := round2(5 * spb.Price("P1Y") * 12 * 42 / 365)
	if r.Prorated == nil || *r.Prorated != wantProrated {
		t.Errorf("prorated %v, want %v", deref(r.Prorated), wantProrated)
	}
	res = submit(t, l, operator, "contoso", remove(5, "SPB"))
	if p := deref(res.Ops[0].Prorated); p != -wantProrated {
		t.Errorf("returning the same seats should credit %v, got %v", -wantProrated, p)
	}
}

func round2(v float64) float64 { return float64(int64(v*100+0.5)) / 100 }

func deref(p *float64) float64 {
	if p == nil {
		return -1
	}
	return *p
}

func TestUnassignKeepsDataThirtyDays(t *testing.T) {
	l, clock, _ := setup(t)
	res := submit(t, l, operator, "contoso", unassign("SPB", "alice@contoso.com"))
	u := res.Ops[0].UserResults[0]
	if !u.DataUntil.Equal(testNow.Add(30 * 24 * time.Hour)) {
		t.Errorf("data kept until %v, want %v", u.DataUntil, testNow.Add(30*24*time.Hour))
	}
	clock.Advance(10 * 24 * time.Hour)
	res = submit(t, l, operator, "contoso", assign("SPB", "alice@contoso.com"))
	if got := res.Ops[0].UserResults[0]; got.Code != ledger.DataKept || got.Outcome != ledger.OutcomeApplied {
		t.Errorf("reassigning within 30 days should report DataKept, got %+v", got)
	}
	submit(t, l, operator, "contoso", unassign("SPB", "alice@contoso.com"))
	clock.Advance(31 * 24 * time.Hour)
	res = submit(t, l, operator, "contoso", assign("SPB", "alice@contoso.com"))
	if got := res.Ops[0].UserResults[0]; got.Code != "" {
		t.Errorf("reassigning after 30 days keeps no data, got %+v", got)
	}
	mustCheck(t, l)
}

func TestUsageLocationDefaultsToTheTenants(t *testing.T) {
	l, _, rdb := setup(t)
	submit(t, l, operator, "contoso", assign("ENTERPRISEPACK", "dave@contoso.com"))
	raw, err := rdb.HGet(context.Background(), "ld:{t:contoso}:users", "dave@contoso.com").Result()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(raw, `"usage_location":"FR"`) {
		t.Errorf("dave should have the tenant's usage location FR: %s", raw)
	}
}

func TestEmailRequestsTakeRolesFromTheTenantsContacts(t *testing.T) {
	l, _, _ := setup(t)
	ctx := context.Background()
	cases := []struct {
		name  string
		from  string
		roles []ledger.Role // claimed by the caller: must be ignored
		op    ledger.Op
		code  ledger.Code
	}{
		{"a license contact may not buy", "helpdesk@contoso.com", []ledger.Role{ledger.RoleGlobal}, add(1, "SPB"), ledger.NotAuthorized},
		{"a stranger is an unauthorised sender", "mallory@evil.example", []ledger.Role{ledger.RoleBilling}, add(1, "SPB"), ledger.UnauthorizedSender},
		{"a contact of another tenant is an unauthorised sender", "buyer@fabrikam.com", nil, add(1, "SPB"), ledger.UnauthorizedSender},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := l.Submit(ctx, ledger.Request{Tenant: "contoso", Requester: ledger.Requester{ID: c.from, Roles: c.roles},
				Origin: ledger.Origin{Channel: ledger.ChannelEmail, From: c.from}, Ops: []ledger.Op{c.op}})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != ledger.StatusRefused || res.Errors[0].Code != c.code {
				t.Errorf("got %s %+v, want refused %s", res.Status, res.Errors, c.code)
			}
		})
	}
	if got := figures(t, l, "contoso", "SPB"); got.Total != 13 {
		t.Errorf("refused requests changed the ledger: %+v", got)
	}
}

func TestARefusedRequestChangesNothing(t *testing.T) {
	l, _, _ := setup(t)
	ctx := context.Background()
	before, _ := l.Export(ctx)
	// R-ATOMIC: the SPB seats and the assignment would succeed alone.
	res := submit(t, l, operator, "contoso", add(2, "SPB"), assign("ENTERPRISEPACK", "dave@contoso.com"), add(1, "VISIOCLIENT"))
	if res.Status != ledger.StatusRefused {
		t.Fatalf("status %s", res.Status)
	}
	for i, want := range []string{ledger.OutcomeNotRun, ledger.OutcomeNotRun, ledger.OutcomeRefused} {
		if res.Ops[i].Outcome != want {
			t.Errorf("op %d outcome %s, want %s", i, res.Ops[i].Outcome, want)
		}
	}
	after, _ := l.Export(ctx)
	if mustJSON(t, before) != mustJSON(t, after) {
		t.Error("a refused request changed the ledger")
	}
	// It is recorded all the same (R-AUDIT).
	hist, err := l.History(ctx, "contoso", 1)
	if err != nil || len(hist) != 1 || hist[0].Result.Status != ledger.StatusRefused {
		t.Errorf("the refusal should be the last audit record: %+v %v", hist, err)
	}
	mustCheck(t, l)
}

func TestDryRunChangesNothing(t *testing.T) {
	l, _, _ := setup(t)
	ctx := context.Background()
	histBefore, _ := l.History(ctx, "contoso", 100)
	res, err := l.Submit(ctx, ledger.Request{Tenant: "contoso", Requester: operator, DryRun: true, Ops: []ledger.Op{add(5, "SPB")}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != ledger.StatusDryRun || res.Ops[0].After.Total != 18 || res.Ops[0].Prorated == nil {
		t.Errorf("a dry run should report the full outcome: %+v", res)
	}
	if got := figures(t, l, "contoso", "SPB"); got.Total != 13 {
		t.Errorf("a dry run changed the ledger: %+v", got)
	}
	histAfter, _ := l.History(ctx, "contoso", 100)
	if len(histAfter) != len(histBefore) {
		t.Error("a dry run wrote an audit record")
	}
	// A dry run that would be refused says so.
	res, _ = l.Submit(ctx, ledger.Request{Tenant: "contoso", Requester: operator, DryRun: true, Ops: []ledger.Op{remove(13, "SPB")}})
	if res.Status != ledger.StatusRefused {
		t.Errorf("a refused dry run should be refused, got %s", res.Status)
	}
}

func TestIdempotencyKeyAppliesOnce(t *testing.T) {
	l, _, _ := setup(t)
	ctx := context.Background()
	req := ledger.Request{Tenant: "contoso", Requester: operator, IdempotencyKey: "<CAF=abc@mail.gmail.com>", Ops: []ledger.Op{add(2, "SPB")}}
	first, err := l.Submit(ctx, req)
	if err != nil || first.Status != ledger.StatusApplied {
		t.Fatalf("%+v %v", first, err)
	}
	second, err := l.Submit(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if second.Status != ledger.StatusDuplicate || second.RequestID != first.RequestID || second.Ops[0].After.Total != 15 {
		t.Errorf("the second submission should return the first result marked duplicate: %+v", second)
	}
	if got := figures(t, l, "contoso", "SPB"); got.Total != 15 {
		t.Errorf("applied twice: %+v", got)
	}
	// A refused request is remembered too: a retry gets the same refusal.
	req2 := ledger.Request{Tenant: "contoso", Requester: operator, IdempotencyKey: "k2", Ops: []ledger.Op{remove(99, "SPB")}}
	a, _ := l.Submit(ctx, req2)
	b, _ := l.Submit(ctx, req2)
	if a.Status != ledger.StatusRefused || b.Status != ledger.StatusDuplicate || b.RequestID != a.RequestID {
		t.Errorf("refusal retry: %s %s", a.Status, b.Status)
	}
}

func TestConcurrentAdminsRaceForTheLastSeat(t *testing.T) {
	l, _, _ := setup(t)
	ctx := context.Background()
	// O365_BUSINESS_PREMIUM: 2 seats, erin holds one; 50 users race for the other.
	const n = 50
	results := make(chan ledger.Result, n)
	for i := range n {
		go func() {
			res, err := l.Submit(ctx, ledger.Request{Tenant: "contoso", Requester: operator,
				Ops: []ledger.Op{{Kind: ledger.OpAssign, SKU: "O365_BUSINESS_PREMIUM", Users: []string{fmt.Sprintf("racer%02d@contoso.com", i)}, Create: true}}})
			if err != nil {
				t.Error(err)
			}
			results <- res
		}()
	}
	winners, losers := 0, 0
	for range n {
		res := <-results
		switch res.Status {
		case ledger.StatusApplied:
			winners++
		case ledger.StatusRefused:
			if res.Ops[0].UserResults[0].Code != ledger.CountViolation {
				t.Errorf("a loser should get CountViolation, got %+v", res.Ops[0].UserResults[0])
			}
			losers++
		}
	}
	if winners != 1 || losers != n-1 {
		t.Errorf("%d winners and %d losers, want exactly 1 winner", winners, losers)
	}
	if got := figures(t, l, "contoso", "O365_BUSINESS_PREMIUM"); got != (ledger.Figures{Total: 2, Assigned: 2}) {
		t.Errorf("figures %+v", got)
	}
	mustCheck(t, l)
}

func TestCheckPassesAfterAStormOfMixedRequests(t *testing.T) {
	l, _, _ := setup(t)
	ctx := context.Background()
	const workers, each = 16, 25
	done := make(chan struct{})
	for w := range workers {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range each {
				upn := fmt.Sprintf("storm%02d-%02d@contoso.com", w, i%5)
				var ops []ledger.Op
				switch (w + i) % 6 {
				case 0:
					ops = []ledger.Op{add(1+i%3, "SPB")}
				case 1:
					ops = []ledger.Op{remove(1, "SPB")}
				case 2:
					ops = []ledger.Op{{Kind: ledger.OpAssign, SKU: "SPB", Users: []string{upn, "alice@contoso.com"}, Create: true}}
				case 3:
					ops = []ledger.Op{unassign("SPB", upn)}
				case 4:
					ops = []ledger.Op{set(12+i%4, "SPB"), assign("ENTERPRISEPACK", upn)}
				case 5:
					ops = []ledger.Op{add(1, "ENTERPRISEPACK"), {Kind: ledger.OpAssign, SKU: "ENTERPRISEPACK", Users: []string{upn}, Create: true}, unassign("ENTERPRISEPACK", "bob@contoso.com")}
				}
				if _, err := l.Submit(ctx, ledger.Request{Tenant: "contoso", Requester: operator, Ops: ops}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	for range workers {
		<-done
	}
	for _, sku := range []string{"SPB", "ENTERPRISEPACK"} {
		if f := figures(t, l, "contoso", sku); f.Available() < 0 {
			t.Errorf("%s oversold: %+v", sku, f)
		}
	}
	mustCheck(t, l)
}

func TestUndoAppliesTheInverseOnce(t *testing.T) {
	l, _, _ := setup(t)
	ctx := context.Background()
	res := submit(t, l, operator, "contoso", add(3, "SPB"), assign("ENTERPRISEPACK", "dave@contoso.com"))
	undo, err := l.Undo(ctx, res.RequestID, operator, ledger.Origin{Channel: ledger.ChannelCLI}, false)
	if err != nil {
		t.Fatal(err)
	}
	if undo.Status != ledger.StatusApplied || undo.Undoes != res.RequestID {
		t.Fatalf("undo: %+v", undo)
	}
	if got := figures(t, l, "contoso", "SPB"); got.Total != 13 {
		t.Errorf("SPB after undo %+v", got)
	}
	if got := figures(t, l, "contoso", "ENTERPRISEPACK"); got.Assigned != 1 {
		t.Errorf("ENTERPRISEPACK after undo %+v", got)
	}
	again, err := l.Undo(ctx, res.RequestID, operator, ledger.Origin{Channel: ledger.ChannelCLI}, false)
	if err != nil || again.Status != ledger.StatusDuplicate {
		t.Errorf("a second undo should be a duplicate: %+v %v", again, err)
	}
	unknown, _ := l.Undo(ctx, "LD-01JZZZZZZZZZZZZZZZZZZZZZZZ", operator, ledger.Origin{}, false)
	if unknown.Status != ledger.StatusRefused || unknown.Errors[0].Code != ledger.UnknownRequest {
		t.Errorf("undo of an unknown request: %+v", unknown)
	}
	mustCheck(t, l)
}

func TestHistoryRecordsWhoAndWhat(t *testing.T) {
	l, _, _ := setup(t)
	ctx := context.Background()
	_, err := l.Submit(ctx, ledger.Request{Tenant: "contoso", Requester: slackAdmin("U0BILL", ledger.RoleBilling),
		Origin: ledger.Origin{Channel: ledger.ChannelSlack, SlackUser: "U0BILL"}, Text: "add 2 SPB contoso", Ops: []ledger.Op{add(2, "SPB")}})
	if err != nil {
		t.Fatal(err)
	}
	hist, err := l.History(ctx, "contoso", 5)
	if err != nil {
		t.Fatal(err)
	}
	rec := hist[0]
	if rec.Request.Requester.ID != "U0BILL" || rec.Request.Origin.Channel != ledger.ChannelSlack || rec.Request.Text != "add 2 SPB contoso" {
		t.Errorf("who/channel/what missing: %+v", rec.Request)
	}
	if r := rec.Result.Ops[0]; r.Before.Total != 13 || r.After.Total != 15 {
		t.Errorf("before/after missing: %+v", r)
	}
	if _, err := l.History(ctx, "nope", 5); err == nil {
		t.Error("history of an unknown tenant should fail")
	}
}

func TestCheckFindsTampering(t *testing.T) {
	l, _, rdb := setup(t)
	ctx := context.Background()
	cases := []struct {
		name   string
		tamper func()
		want   string
	}{
		{"a counter off by one", func() { rdb.HIncrBy(ctx, "ld:{t:contoso}:assigned", "SPB", 1) }, "assigned counter of SPB"},
		{"a user changed behind the log", func() {
			rdb.HSet(ctx, "ld:{t:contoso}:users", "dave@contoso.com", `{"upn":"dave@contoso.com","licenses":["SPB"]}`)
		}, "replayed user dave@contoso.com"},
		{"seats changed behind the log", func() {
			rdb.HSet(ctx, "ld:{t:contoso}:subs", "EMS", `[{"id":"contoso-ems-1","sku":"EMS","state":"active","seats":[{"quantity":99,"added_at":"2026-01-01T00:00:00Z"}]}]`)
		}, "replayed subscriptions of EMS"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rdb.FlushAll(ctx)
			l, _, _ = seeded(t, rdb)
			c.tamper()
			problems, err := l.Check(ctx)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, p := range problems {
				found = found || strings.Contains(p.What, c.want)
			}
			if !found {
				t.Errorf("check did not report %q: %+v", c.want, problems)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// R-IDEMPOTENT: only an applied undo stops a second undo of the same
// request; a refusal (a missing role, a rule that may pass later) can be
// asked again.
func TestARefusedUndoCanBeAskedAgain(t *testing.T) {
	ctx := context.Background()
	origin := ledger.Origin{Channel: ledger.ChannelSlack}
	t.Run("refused for a missing role, then applied by a billing admin", func(t *testing.T) {
		l, _, _ := setup(t)
		res := submit(t, l, slackAdmin("U0BILL", ledger.RoleBilling), "contoso", add(3, "SPB"))
		refused, err := l.Undo(ctx, res.RequestID, slackAdmin("U0LIC", ledger.RoleLicense), origin, false)
		if err != nil || refused.Status != ledger.StatusRefused || refused.Errors[0].Code != ledger.NotAuthorized {
			t.Fatalf("undo by a license admin: %+v %v", refused, err)
		}
		applied, err := l.Undo(ctx, res.RequestID, slackAdmin("U0BILL", ledger.RoleBilling), origin, false)
		if err != nil || applied.Status != ledger.StatusApplied {
			t.Fatalf("undo by a billing admin after a refusal: %+v %v", applied, err)
		}
		if got := figures(t, l, "contoso", "SPB"); got.Total != 13 {
			t.Errorf("SPB after undo %+v, want 13 seats", got)
		}
		again, err := l.Undo(ctx, res.RequestID, slackAdmin("U0BILL", ledger.RoleBilling), origin, false)
		if err != nil || again.Status != ledger.StatusDuplicate || again.RequestID != applied.RequestID {
			t.Errorf("a second applied undo: %+v %v", again, err)
		}
		mustCheck(t, l)
	})
	t.Run("refused by a rule, then applied once the rule passes", func(t *testing.T) {
		l, _, _ := setup(t)
		res := submit(t, l, operator, "contoso", add(2, "SPB"))
		// 15 seats for 11 users: taking 4 leaves no room for the undo.
		submit(t, l, operator, "contoso", assign("SPB", "dave@contoso.com", "bob@contoso.com", "carol@contoso.com", "erin@contoso.com"))
		refused, err := l.Undo(ctx, res.RequestID, operator, origin, false)
		if err != nil || refused.Status != ledger.StatusRefused || refused.Errors[0].Code != ledger.CountViolation {
			t.Fatalf("undo while the seats are in use: %+v %v", refused, err)
		}
		submit(t, l, operator, "contoso", unassign("SPB", "dave@contoso.com", "bob@contoso.com"))
		applied, err := l.Undo(ctx, res.RequestID, operator, origin, false)
		if err != nil || applied.Status != ledger.StatusApplied {
			t.Fatalf("undo once seats are free: %+v %v", applied, err)
		}
		mustCheck(t, l)
	})
	t.Run("a dry run stops nothing", func(t *testing.T) {
		l, _, _ := setup(t)
		res := submit(t, l, operator, "contoso", add(2, "SPB"))
		dry, err := l.Undo(ctx, res.RequestID, operator, origin, true)
		if err != nil || dry.Status != ledger.StatusDryRun {
			t.Fatalf("dry-run undo: %+v %v", dry, err)
		}
		if applied, err := l.Undo(ctx, res.RequestID, operator, origin, false); err != nil || applied.Status != ledger.StatusApplied {
			t.Fatalf("undo after a dry run: %+v %v", applied, err)
		}
	})
}
