package ledger_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/licensedesk/licensedesk/internal/testredis"
	"github.com/licensedesk/licensedesk/ledger"
)

func switchOp(from, to string, users ...string) ledger.Op {
	return ledger.Op{Kind: ledger.OpSwitch, SKU: from, To: to, Users: users}
}

func userHolds(t *testing.T, l *ledger.Ledger, tenant, upn string) []string {
	t.Helper()
	seed, err := l.Export(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range seed.Tenants {
		if st.ID != tenant {
			continue
		}
		for _, u := range st.Users {
			if u.UPN == upn {
				return u.Licenses
			}
		}
	}
	return nil
}

func outcomesOf(r ledger.OpResult) map[string]ledger.Code {
	m := map[string]ledger.Code{}
	for _, u := range r.UserResults {
		if u.Outcome == ledger.OutcomeApplied {
			m[u.UPN] = "applied"
		} else {
			m[u.UPN] = u.Code
		}
	}
	return m
}

// R-SWITCH: per user, FROM leaves and TO arrives in one step.
func TestSwitchMovesEachUserInOneStep(t *testing.T) {
	ctx := context.Background()
	t.Run("Business Standard to Business Premium: excluding each other is no violation", func(t *testing.T) {
		l, _, _ := setup(t)
		res := submit(t, l, slackAdmin("U0LIC", ledger.RoleLicense), "contoso", switchOp("O365_BUSINESS_PREMIUM", "SPB", "erin@contoso.com"))
		if res.Status != ledger.StatusApplied {
			t.Fatalf("status %s: %+v", res.Status, res)
		}
		r := res.Ops[0]
		if r.SKU != "O365_BUSINESS_PREMIUM" || r.To != "SPB" || r.Bought != 0 {
			t.Errorf("op %+v", r)
		}
		if *r.Before != (ledger.Figures{Total: 2, Assigned: 1}) || *r.After != (ledger.Figures{Total: 2, Assigned: 0}) {
			t.Errorf("FROM figures %+v → %+v", r.Before, r.After)
		}
		if *r.ToBefore != (ledger.Figures{Total: 13, Assigned: 11}) || *r.ToAfter != (ledger.Figures{Total: 13, Assigned: 12}) {
			t.Errorf("TO figures %+v → %+v", r.ToBefore, r.ToAfter)
		}
		if got := userHolds(t, l, "contoso", "erin@contoso.com"); len(got) != 1 || got[0] != "SPB" {
			t.Errorf("erin holds %v", got)
		}
		if r.MonthlyCost == nil || r.ToCost == nil || r.Prorated == nil || *r.Prorated != 0 {
			t.Errorf("R-COST: %+v %+v %+v", r.MonthlyCost, r.ToCost, r.Prorated)
		}
		if r.Detail == "" {
			t.Error("the reply must say how many FROM seats the switch freed")
		}
		mustCheck(t, l)
	})
	t.Run("a mixed batch: some move, others are refused with their reason", func(t *testing.T) {
		l, _, _ := setup(t)
		res := submit(t, l, operator, "contoso", switchOp("ENTERPRISEPACK", "SPE_E3",
			"bob@contoso.com", "dave@contoso.com", "nobody@contoso.com", "alice@contoso.com"))
		if res.Status != ledger.StatusPartiallyApplied {
			t.Fatalf("status %s: %+v", res.Status, res)
		}
		want := map[string]ledger.Code{"bob@contoso.com": "applied", "dave@contoso.com": ledger.NotAssigned,
			"nobody@contoso.com": ledger.UnknownUser, "alice@contoso.com": ledger.NotAssigned}
		if got := outcomesOf(res.Ops[0]); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("outcomes %v, want %v", got, want)
		}
		mustCheck(t, l)
	})
	t.Run("an add-on that needs FROM keeps the user on FROM", func(t *testing.T) {
		l, _, _ := setup(t)
		// Carol's archiving needs an Exchange mailbox: Power BI gives none.
		res := submit(t, l, operator, "contoso", switchOp("EXCHANGESTANDARD", "POWER_BI_PRO", "carol@contoso.com"))
		if res.Status != ledger.StatusRefused || outcomesOf(res.Ops[0])["carol@contoso.com"] != ledger.DependencyViolation {
			t.Fatalf("%s %+v", res.Status, res.Ops[0].UserResults)
		}
		if got := userHolds(t, l, "contoso", "carol@contoso.com"); len(got) != 2 {
			t.Errorf("carol holds %v", got)
		}
		// Business Premium qualifies for archiving: she moves.
		res = submit(t, l, operator, "contoso", switchOp("EXCHANGESTANDARD", "SPB", "carol@contoso.com"))
		if res.Status != ledger.StatusApplied {
			t.Fatalf("%s %+v", res.Status, res.Ops[0].UserResults)
		}
		mustCheck(t, l)
	})
	t.Run("a user who already holds TO is reported, not moved", func(t *testing.T) {
		l, _, _ := setup(t)
		res := submit(t, l, operator, "contoso", switchOp("ENTERPRISEPACK", "SPB", "alice@contoso.com"))
		if outcomesOf(res.Ops[0])["alice@contoso.com"] != ledger.AlreadyAssigned || res.Ops[0].Outcome != ledger.OutcomeUnchanged {
			t.Errorf("%s %+v", res.Status, res.Ops[0])
		}
	})
	t.Run("--all moves every holder of FROM", func(t *testing.T) {
		l, _, _ := setup(t)
		submit(t, l, operator, "contoso", ledger.Op{Kind: ledger.OpAssign, SKU: "ENTERPRISEPACK", Users: []string{"x1@contoso.com", "x2@contoso.com"}, Create: true})
		res := submit(t, l, operator, "contoso", ledger.Op{Kind: ledger.OpSwitch, SKU: "ENTERPRISEPACK", To: "SPE_E3", All: true})
		if res.Status != ledger.StatusApplied || len(res.Ops[0].UserResults) != 3 {
			t.Fatalf("%s %+v", res.Status, res.Ops[0].UserResults)
		}
		if got := figures(t, l, "contoso", "ENTERPRISEPACK"); got.Assigned != 0 {
			t.Errorf("E3 still assigned to %d", got.Assigned)
		}
		mustCheck(t, l)
	})
	_ = ctx
}

// R-SWITCH: when TO lacks free seats, the missing ones are bought in the
// same request, under R-ADD and R-ROLE-BUY; a refused purchase refuses
// the whole request (R-ATOMIC).
func TestSwitchBuysWhatTOLacks(t *testing.T) {
	users := []string{"u01@contoso.com", "u02@contoso.com", "u03@contoso.com", "u04@contoso.com", "u05@contoso.com"}
	t.Run("a license admin may move but not buy", func(t *testing.T) {
		l, _, _ := setup(t)
		res := submit(t, l, slackAdmin("U0LIC", ledger.RoleLicense), "contoso", switchOp("SPB", "SPE_E3", users...))
		if res.Status != ledger.StatusRefused || res.Errors[0].Code != ledger.NotAuthorized {
			t.Fatalf("%s %+v", res.Status, res.Errors)
		}
		if got := figures(t, l, "contoso", "SPE_E3"); got != (ledger.Figures{Total: 4, Assigned: 0}) {
			t.Errorf("SPE_E3 changed: %+v", got)
		}
		mustCheck(t, l)
	})
	t.Run("a billing and license admin buys the missing seat", func(t *testing.T) {
		l, _, _ := setup(t)
		res := submit(t, l, slackAdmin("U0BOTH", ledger.RoleBilling, ledger.RoleLicense), "contoso", switchOp("SPB", "SPE_E3", users...))
		if res.Status != ledger.StatusApplied {
			t.Fatalf("%s %+v", res.Status, res.Errors)
		}
		r := res.Ops[0]
		if r.Bought != 1 || *r.ToAfter != (ledger.Figures{Total: 5, Assigned: 5}) || r.Prorated == nil || *r.Prorated <= 0 {
			t.Errorf("bought %d, TO %+v, prorated %v", r.Bought, r.ToAfter, r.Prorated)
		}
		mustCheck(t, l)
	})
	t.Run("every refusal of R-ADD refuses the switch", func(t *testing.T) {
		l, _, _ := setup(t)
		// Visio is prepaid: seats cannot be added to it.
		submit(t, l, operator, "contoso", ledger.Op{Kind: ledger.OpAssign, SKU: "VISIOCLIENT", Users: []string{"v1@contoso.com", "v2@contoso.com", "v3@contoso.com", "v4@contoso.com", "v5@contoso.com"}, Create: true})
		res := submit(t, l, operator, "contoso", switchOp("SPB", "VISIOCLIENT", "alice@contoso.com"))
		if res.Status != ledger.StatusRefused || res.Errors[0].Code != ledger.PrepaidSubscription {
			t.Fatalf("%s %+v", res.Status, res.Errors)
		}
		if got := userHolds(t, l, "contoso", "alice@contoso.com"); len(got) != 1 || got[0] != "SPB" {
			t.Errorf("alice holds %v", got)
		}
		mustCheck(t, l)
	})
}

// R-SWITCH --return: the freed seats are returned as far as R-REMOVE allows
// and the rest scheduled for the renewal; undo moves the users back.
func TestSwitchReturnAndUndo(t *testing.T) {
	ctx := context.Background()
	l, _, _ := setup(t)
	// Two fresh E3 seats (inside the 7-day window) for two new holders.
	submit(t, l, operator, "contoso", add(2, "ENTERPRISEPACK"))
	submit(t, l, operator, "contoso", ledger.Op{Kind: ledger.OpAssign, SKU: "ENTERPRISEPACK", Users: []string{"x1@contoso.com", "x2@contoso.com"}, Create: true})
	op := switchOp("ENTERPRISEPACK", "SPE_E3", "bob@contoso.com", "x1@contoso.com", "x2@contoso.com")
	op.Return = true
	dry, err := l.Submit(ctx, ledger.Request{Tenant: "contoso", Requester: operator, Ops: []ledger.Op{op}, DryRun: true})
	if err != nil || dry.Status != ledger.StatusDryRun || dry.Ops[0].Returned != 2 || dry.Ops[0].Scheduled != 1 {
		t.Fatalf("dry run: %v %s %+v", err, dry.Status, dry.Ops[0])
	}
	if got := figures(t, l, "contoso", "ENTERPRISEPACK"); got != (ledger.Figures{Total: 12, Assigned: 3}) {
		t.Fatalf("a dry run changed E3: %+v", got)
	}
	res := submit(t, l, operator, "contoso", op)
	r := res.Ops[0]
	if res.Status != ledger.StatusApplied || r.Returned != 2 || r.Scheduled != 1 {
		t.Fatalf("%s returned %d scheduled %d: %+v", res.Status, r.Returned, r.Scheduled, r)
	}
	if *r.After != (ledger.Figures{Total: 10, Assigned: 0}) || r.Prorated == nil || *r.Prorated >= 0 {
		t.Errorf("FROM after %+v, net prorated %v (a credit expected)", r.After, r.Prorated)
	}
	mustCheck(t, l)
	undo, err := l.Undo(ctx, res.RequestID, operator, ledger.Origin{Channel: ledger.ChannelCLI}, false)
	if err != nil || undo.Status != ledger.StatusApplied {
		t.Fatalf("undo: %v %+v", err, undo)
	}
	for _, u := range []string{"bob@contoso.com", "x1@contoso.com", "x2@contoso.com"} {
		if got := userHolds(t, l, "contoso", u); len(got) != 1 || got[0] != "ENTERPRISEPACK" {
			t.Errorf("%s holds %v after undo", u, got)
		}
	}
	mustCheck(t, l)
}

// Two switches race for TO's last free seats: exactly one moves its users;
// the other, which may not buy, is refused whole.
func TestTwoSwitchesRaceForTheLastFreeSeats(t *testing.T) {
	l, _, _ := setup(t)
	ctx := context.Background()
	submit(t, l, operator, "contoso", ledger.Op{Kind: ledger.OpAssign, SKU: "ENTERPRISEPACK",
		Users: []string{"x1@contoso.com", "x2@contoso.com", "x3@contoso.com", "x4@contoso.com"}, Create: true})
	lic := slackAdmin("U0LIC", ledger.RoleLicense)
	batches := [][]string{{"x1@contoso.com", "x2@contoso.com"}, {"x3@contoso.com", "x4@contoso.com"}}
	results := make([]ledger.Result, 2)
	var wg sync.WaitGroup
	for i, users := range batches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			results[i], err = l.Submit(ctx, ledger.Request{Tenant: "contoso", Requester: lic, Ops: []ledger.Op{switchOp("ENTERPRISEPACK", "SPB", users...)}})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	applied := 0
	for _, r := range results {
		if r.Status == ledger.StatusApplied {
			applied++
		} else if r.Status != ledger.StatusRefused || r.Errors[0].Code != ledger.NotAuthorized {
			t.Errorf("the loser: %s %+v", r.Status, r.Errors)
		}
	}
	if applied != 1 {
		t.Fatalf("%d switches applied, want exactly 1", applied)
	}
	if got := figures(t, l, "contoso", "SPB"); got != (ledger.Figures{Total: 13, Assigned: 13}) {
		t.Errorf("SPB %+v", got)
	}
	mustCheck(t, l)
}

// BenchmarkSwitch1000 measures one request switching 1,000 users, buying
// the seats TO lacks (issue 14: under 200 ms on local Redis), then back.
func BenchmarkSwitch1000(b *testing.B) {
	rdb := testredis.New(b)
	clock := ledger.NewManualClock(testNow)
	l := ledger.New(rdb, nil, clock, nil)
	ctx := context.Background()
	sub := func(id, sku string, n int) ledger.SeedSubscription {
		return ledger.SeedSubscription{Subscription: ledger.Subscription{ID: id, SKU: sku, State: ledger.StateActive, AutoRenew: true,
			Source: ledger.SourceDirect, Payment: ledger.PaymentCard, Term: ledger.TermYear, TermStart: testNow.Add(-time.Hour), TermEnd: testNow.AddDate(1, 0, 0),
			Seats: []ledger.SeatBatch{{Quantity: n, AddedAt: testNow.Add(-time.Hour)}}}}
	}
	st := ledger.SeedTenant{Tenant: ledger.Tenant{ID: "bulk", Domains: []string{"bulk.example"}, UsageLocation: "FR"},
		Subscriptions: []ledger.SeedSubscription{sub("bulk-e3", "SPE_E3", 1000), sub("bulk-e5", "SPE_E5", 1)}}
	users := make([]string, 1000)
	for i := range users {
		users[i] = fmt.Sprintf("u%04d@bulk.example", i)
		st.Users = append(st.Users, ledger.User{UPN: users[i], Licenses: []string{"SPE_E3"}})
	}
	if err := l.Import(ctx, &ledger.Seed{Tenants: []ledger.SeedTenant{st}}); err != nil {
		b.Fatal(err)
	}
	op := ledger.Requester{ID: "bench", Operator: true}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		from, to := "SPE_E3", "SPE_E5"
		if i%2 == 1 {
			from, to = to, from
		}
		res, err := l.Submit(ctx, ledger.Request{Tenant: "bulk", Requester: op, Ops: []ledger.Op{switchOp(from, to, users...)}})
		if err != nil || res.Status != ledger.StatusApplied {
			b.Fatalf("%v %s %+v", err, res.Status, res.Errors)
		}
	}
}
