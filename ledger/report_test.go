package ledger_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/licensedesk/licensedesk/internal/testredis"
	"github.com/licensedesk/licensedesk/ledger"
)

func productOf(t *testing.T, tr ledger.TenantReport, sku string) ledger.ReportProduct {
	t.Helper()
	for _, p := range tr.Products {
		if p.SKU == sku {
			return p
		}
	}
	t.Fatalf("%s: no product %s in the report", tr.Tenant, sku)
	return ledger.ReportProduct{}
}

func alertsOf(tr ledger.TenantReport, code string) []ledger.Alert {
	var out []ledger.Alert
	for _, a := range tr.Alerts {
		if a.Code == code {
			out = append(out, a)
		}
	}
	return out
}

// reportSub is an active, directly bought, monthly subscription.
func reportSub(id, sku string, seats ...ledger.SeatBatch) ledger.SeedSubscription {
	return ledger.SeedSubscription{Subscription: ledger.Subscription{ID: id, SKU: sku, State: ledger.StateActive,
		Source: ledger.SourceDirect, Payment: ledger.PaymentCard, AutoRenew: true, Term: ledger.TermMonth,
		TermStart: testNow.AddDate(0, 0, -10), TermEnd: testNow.AddDate(0, 0, 20), Seats: seats}}
}

// R-REPORT on the test desk, at fixed clock times on both sides of each
// deadline.
func TestReportFiguresAndAlerts(t *testing.T) {
	l, clock, _ := setup(t)
	ctx := context.Background()
	window := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC) // contoso-spb-1's batch of 2026-11-18 09:00 + 168 h

	rep, err := l.Report(ctx, "contoso")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Tenants) != 1 {
		t.Fatalf("%d tenants", len(rep.Tenants))
	}
	c := rep.Tenants[0]
	spb := productOf(t, c, "SPB")
	if spb.Total != 13 || spb.Assigned != 11 || spb.Unassigned != 2 {
		t.Errorf("SPB figures %+v", spb)
	}
	// Two unassigned seats of 13: 8 P1Y at 20.60 and 5 P1M at 24.72 make
	// 288.40 a month; two thirteenths of it are wasted.
	if want := 44.37; spb.UnassignedMonthlyCost != want {
		t.Errorf("SPB unassigned monthly cost %.2f, want %.2f", spb.UnassignedMonthlyCost, want)
	}
	if len(spb.ReturnableNow) != 1 || spb.ReturnableNow[0].Quantity != 3 || !spb.ReturnableNow[0].Until.Equal(window) {
		t.Errorf("SPB returnable now %+v, want 3 until %s", spb.ReturnableNow, window)
	}
	// Power BI's trial seats count but cost nothing.
	if pbi := productOf(t, c, "POWER_BI_PRO"); pbi.Unassigned != 25 || pbi.UnassignedMonthlyCost != 0 {
		t.Errorf("trial %+v", pbi)
	}
	if e3 := productOf(t, c, "ENTERPRISEPACK"); e3.ReducibleAtRenewal.Quantity != 9 || e3.ReducibleAtRenewal.Subscription != "contoso-e3-1" {
		t.Errorf("E3 reducible %+v", e3.ReducibleAtRenewal)
	}
	for code, subs := range map[string][]string{ledger.AlertTrialEnding: {"contoso-pbi-trial"},
		// Both end within 30 days without auto-renew.
		ledger.AlertSubscriptionEnding: {"contoso-m365e3-1", "contoso-ems-1"},
		ledger.AlertCreditCheckPending: {"contoso-ems-1"}} {
		as := alertsOf(c, code)
		var got []string
		for _, a := range as {
			if a.Date.IsZero() {
				t.Errorf("%s alert without a date: %+v", code, a)
			}
			got = append(got, a.Subscription)
		}
		if fmt.Sprint(got) != fmt.Sprint(subs) {
			t.Errorf("%s alerts for %v, want %v", code, got, subs)
		}
	}
	if c.UnassignedMonthlyCost <= spb.UnassignedMonthlyCost {
		t.Errorf("tenant total %.2f", c.UnassignedMonthlyCost)
	}

	// One second before the window closes the batch can still go; at the
	// close it is final.
	clock.Set(window.Add(-time.Second))
	rep, _ = l.Report(ctx, "contoso")
	if got := productOf(t, rep.Tenants[0], "SPB").ReturnableNow; len(got) != 1 {
		t.Errorf("a second before the window closes: %+v", got)
	}
	clock.Set(window)
	rep, _ = l.Report(ctx, "contoso")
	if got := productOf(t, rep.Tenants[0], "SPB").ReturnableNow; len(got) != 0 {
		t.Errorf("at the window's close: %+v", got)
	}
}

func TestReportAlertsThirtyDaysAheadAndNamesConflicts(t *testing.T) {
	rdb := testredis.New(t)
	clock := ledger.NewManualClock(testNow)
	l := ledger.New(rdb, nil, clock, nil)
	ctx := context.Background()
	ending := reportSub("acme-e3-1", "ENTERPRISEPACK", ledger.SeatBatch{Quantity: 1, AddedAt: testNow.AddDate(0, -2, 0)})
	ending.AutoRenew = false
	ending.TermEnd = testNow.Add(ledger.AlertHorizon + time.Hour)
	seed := &ledger.Seed{Tenants: []ledger.SeedTenant{{
		Tenant:        ledger.Tenant{ID: "acme", Name: "Acme", Domains: []string{"acme.example"}, UsageLocation: "FR"},
		Subscriptions: []ledger.SeedSubscription{ending},
		// Two users for one seat: an import may record a conflict.
		Users: []ledger.User{{UPN: "a@acme.example", Licenses: []string{"ENTERPRISEPACK"}}, {UPN: "b@acme.example", Licenses: []string{"ENTERPRISEPACK"}}},
	}}}
	if err := l.Import(ctx, seed); err != nil {
		t.Fatal(err)
	}
	rep, err := l.Report(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	tr := rep.Tenants[0]
	if as := alertsOf(tr, ledger.AlertSubscriptionEnding); len(as) != 0 {
		t.Errorf("30 days and an hour ahead: %+v", as)
	}
	conf := alertsOf(tr, ledger.AlertConflict)
	if len(conf) != 1 || conf[0].SKU != "ENTERPRISEPACK" {
		t.Errorf("conflict alerts %+v", conf)
	}
	if users := productOf(t, tr, "ENTERPRISEPACK").ConflictUsers; len(users) != 2 {
		t.Errorf("conflict users %v", users)
	}
	clock.Advance(2 * time.Hour)
	rep, _ = l.Report(ctx, "acme")
	if as := alertsOf(rep.Tenants[0], ledger.AlertSubscriptionEnding); len(as) != 1 || !as[0].Date.Equal(ending.TermEnd) {
		t.Errorf("29 days and 23 hours ahead: %+v", as)
	}
	if _, err := l.Report(ctx, "nobody"); err != ledger.ErrUnknownTenant {
		t.Errorf("unknown tenant: %v", err)
	}
}

// Desk-wide: every tenant, ranked by the monthly cost of its unassigned
// seats, with the desk's total.
func TestTheDeskWideReportRanksTenantsByWaste(t *testing.T) {
	l, _, _ := setup(t)
	rep, err := l.Report(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Tenants) < 2 {
		t.Fatalf("%d tenants", len(rep.Tenants))
	}
	total := 0.0
	for i, tr := range rep.Tenants {
		total += tr.UnassignedMonthlyCost
		if i > 0 && tr.UnassignedMonthlyCost > rep.Tenants[i-1].UnassignedMonthlyCost {
			t.Errorf("%s (%.2f) ranked after %s (%.2f)", tr.Tenant, tr.UnassignedMonthlyCost, rep.Tenants[i-1].Tenant, rep.Tenants[i-1].UnassignedMonthlyCost)
		}
	}
	if diff := total - rep.UnassignedMonthlyCost; diff > 0.01 || diff < -0.01 {
		t.Errorf("desk total %.2f, sum %.2f", rep.UnassignedMonthlyCost, total)
	}
	if rep.Tenants[0].Tenant != "contoso" || rep.Currency != "EUR" {
		t.Errorf("first %s, currency %s", rep.Tenants[0].Tenant, rep.Currency)
	}
}

// BenchmarkDeskReport measures the desk-wide report over 1,000 tenants
// (issue 15: under a second).
func BenchmarkDeskReport(b *testing.B) {
	rdb := testredis.New(b)
	l := ledger.New(rdb, nil, ledger.NewManualClock(testNow), nil)
	ctx := context.Background()
	seed := &ledger.Seed{}
	for i := range 1000 {
		id := fmt.Sprintf("t%04d", i)
		st := ledger.SeedTenant{Tenant: ledger.Tenant{ID: id, Name: id, Domains: []string{id + ".example"}, UsageLocation: "FR"},
			Subscriptions: []ledger.SeedSubscription{
				reportSub(id+"-spb", "SPB", ledger.SeatBatch{Quantity: 10 + i%7, AddedAt: testNow.AddDate(0, -1, 0)}, ledger.SeatBatch{Quantity: 2, AddedAt: testNow.Add(-time.Hour)}),
				reportSub(id+"-e3", "ENTERPRISEPACK", ledger.SeatBatch{Quantity: 5, AddedAt: testNow.AddDate(0, -1, 0)}),
			}}
		for u := range 10 {
			st.Users = append(st.Users, ledger.User{UPN: fmt.Sprintf("u%d@%s.example", u, id), Licenses: []string{"SPB"}})
		}
		seed.Tenants = append(seed.Tenants, st)
	}
	if err := l.Import(ctx, seed); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		rep, err := l.Report(ctx, "")
		if err != nil || len(rep.Tenants) != 1000 {
			b.Fatalf("%v %d", err, len(rep.Tenants))
		}
	}
}

// A customer's question is answered with the figures, and nothing changes.
func TestAnswerGivesTheFiguresOfAQuestion(t *testing.T) {
	l, _, _ := setup(t)
	ctx := context.Background()
	ans, err := l.Answer(ctx, "contoso", []ledger.Ask{{SKU: "SPB", More: 5}, {SKU: "SPE_E5"}, {Unused: true}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ans.Products) != 2 {
		t.Fatalf("%d products", len(ans.Products))
	}
	spb := ans.Products[0]
	if spb.Total != 13 || spb.Available != 2 || !spb.Held || spb.More != 5 || spb.MoreMonthly <= 0 || spb.MoreProrated <= 0 || spb.MoreProrated > spb.MoreMonthly*12 {
		t.Errorf("SPB %+v", spb)
	}
	if e5 := ans.Products[1]; e5.Held || e5.SeatPrice <= 0 || e5.Total != 0 {
		t.Errorf("a product the tenant does not hold: %+v", e5)
	}
	if ans.Report == nil || ans.Report.Tenant != "contoso" {
		t.Errorf("report %+v", ans.Report)
	}
	if got := figures(t, l, "contoso", "SPB"); got.Total != 13 {
		t.Errorf("an answer changed SPB: %+v", got)
	}
}
