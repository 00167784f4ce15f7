package bot

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/licensedesk/licensedesk/ledger"
)

func TestTheReportsWeekIsTheISOWeekInTheDesksTimezone(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no timezone database:", err)
	}
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no timezone database:", err)
	}
	cases := []struct {
		name string
		now  time.Time
		loc  *time.Location
		week string
		due  time.Time
	}{
		{"a Monday at 08:00 in Paris is due at once", time.Date(2026, 12, 7, 8, 0, 0, 0, paris), paris, "2026-W50", time.Date(2026, 12, 7, 8, 0, 0, 0, paris)},
		{"Sunday night in UTC is already Monday in Paris", time.Date(2026, 12, 6, 23, 30, 0, 0, time.UTC), paris, "2026-W50", time.Date(2026, 12, 7, 8, 0, 0, 0, paris)},
		{"the same moment in UTC is still the week before", time.Date(2026, 12, 6, 23, 30, 0, 0, time.UTC), time.UTC, "2026-W49", time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)},
		{"a Sunday belongs to the week of the Monday before", time.Date(2026, 12, 13, 22, 0, 0, 0, paris), paris, "2026-W50", time.Date(2026, 12, 7, 8, 0, 0, 0, paris)},
		{"New Year's Day 2027 is in the last week of 2026", time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC), time.UTC, "2026-W53", time.Date(2026, 12, 28, 8, 0, 0, 0, time.UTC)},
		{"the first Monday of 2027 starts week 1", time.Date(2027, 1, 4, 8, 0, 0, 0, time.UTC), time.UTC, "2027-W01", time.Date(2027, 1, 4, 8, 0, 0, 0, time.UTC)},
		{"08:00 stays 08:00 on the Monday after a change to summer time", time.Date(2026, 3, 9, 10, 0, 0, 0, newYork), newYork, "2026-W11", time.Date(2026, 3, 9, 8, 0, 0, 0, newYork)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			week, due := reportWeek(c.now, c.loc)
			if week != c.week || !due.Equal(c.due) {
				t.Errorf("reportWeek(%v) = %s, due %v; want %s, due %v", c.now, week, due, c.week, c.due)
			}
		})
	}
}

// reportFixture is a tenant's report with something of everything: waste,
// batches returnable now, a reduction at renewal, a conflict, and alerts.
func reportFixture() ledger.TenantReport {
	at := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	return ledger.TenantReport{Tenant: "contoso", Name: "Contoso SA", Currency: "EUR", UnassignedMonthlyCost: 1296.8,
		Alerts: []ledger.Alert{
			{Code: ledger.AlertConflict, SKU: "AAD_PREMIUM_P2", Subscription: "contoso-p2-1", Date: at},
			{Code: ledger.AlertTrialEnding, SKU: "POWER_BI_PRO", Subscription: "contoso-pbi-trial", Date: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)},
		},
		Products: []ledger.ReportProduct{
			{SKU: "EXCHANGESTANDARD", Name: "Exchange Online (Plan 1)", Total: 5, Assigned: 4, Unassigned: 1, UnassignedMonthlyCost: 8.8},
			{SKU: "SPB", Name: "Microsoft 365 Business Premium", Total: 15, Assigned: 11, Unassigned: 4, UnassignedMonthlyCost: 1288,
				ReturnableNow:      []ledger.Returnable{{Quantity: 2, Until: time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC), Subscription: "contoso-spb-1"}},
				ReducibleAtRenewal: ledger.Reducible{Quantity: 2, Date: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), Subscription: "contoso-spb-1"}},
			{SKU: "AAD_PREMIUM_P2", Name: "Microsoft Entra ID P2", Total: 2, Assigned: 3, ConflictUsers: []string{"alice@contoso.com", "bob@contoso.com", "carol@contoso.com"}},
			{SKU: "ENTERPRISEPACK", Name: "Office 365 E3", Total: 10, Assigned: 10},
		}}
}

// messageText is every text of a message's blocks, one after another, as
// Slack receives them (escaped for mrkdwn).
func messageText(t *testing.T, m message) string {
	t.Helper()
	_, ts := texts(t, m)
	var parts []string
	for _, kt := range ts {
		parts = append(parts, kt[1])
	}
	return strings.Join(parts, "\n|\n")
}

// TestReportViews: the desk's report leads with its waste and its alerts by
// code and ranks the tenants; one tenant's shows what to act on, product
// by product, most urgent first; long reports stay within Slack's limits.
func TestReportViews(t *testing.T) {
	v := testView(t)
	at := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	one := reportFixture()

	var desk ledger.Report
	desk.Currency, desk.At = "EUR", at
	for i := 0; i < 70; i++ {
		tr := ledger.TenantReport{Tenant: fmt.Sprintf("t%02d", i), Name: fmt.Sprintf("Tenant %02d", i), Currency: "EUR",
			UnassignedMonthlyCost: float64(100 - i), Alerts: []ledger.Alert{}}
		switch {
		case i == 0:
			tr = one
		case i >= 60:
			tr.UnassignedMonthlyCost = 0 // nothing to act on
		case i == 55:
			tr.Alerts = []ledger.Alert{{Code: ledger.AlertSubscriptionEnding, Subscription: "t55-e3", SKU: "ENTERPRISEPACK", Date: at}}
		}
		desk.Tenants = append(desk.Tenants, tr)
		desk.UnassignedMonthlyCost += tr.UnassignedMonthlyCost
	}

	big := reportFixture()
	big.Name = hostile
	big.Products = nil
	big.Alerts = nil
	for i := 0; i < 120; i++ {
		p := ledger.ReportProduct{SKU: fmt.Sprintf("SKU%03d", i), Name: hostile, Total: 200, Assigned: 300, UnassignedMonthlyCost: 1}
		for j := 0; j < 100; j++ {
			p.ConflictUsers = append(p.ConflictUsers, fmt.Sprintf("user%03d@contoso.com", j))
			p.ReturnableNow = append(p.ReturnableNow, ledger.Returnable{Quantity: 1, Until: at, Subscription: hostile})
		}
		big.Products = append(big.Products, p)
	}
	big.Alerts = append(big.Alerts, ledger.Alert{Code: hostile, Subscription: hostile, SKU: hostile, Date: at})
	for i := 1; i < 30; i++ {
		big.Alerts = append(big.Alerts, ledger.Alert{Code: ledger.AlertSubscriptionEnding, Subscription: fmt.Sprintf("sub-%d", i), SKU: "SPB", Date: at})
	}

	cases := []struct {
		name      string
		rep       ledger.Report
		want, not []string
	}{
		{"the desk leads with its waste and its alerts by code, then ranks the tenants", desk, []string{
			"Licence report",
			"Unassigned seats cost *5,426.80 EUR* a month across 70 tenants\n:warning: 1 Conflict · 1 TrialEnding · 1 SubscriptionEnding",
			"As of 2026-11-20 12:00 UTC",
			"*1. Contoso SA* · `contoso` · *1,296.80 EUR* a month unassigned\n:warning: *Conflict* · `contoso-p2-1` · Microsoft Entra ID P2 · 2026-11-20\n:warning: *TrialEnding* · `contoso-pbi-trial` · Power BI Pro · 2026-12-01",
			"*40. Tenant 39* · `t39` · *61.00 EUR* a month unassigned",
			"… and 20 more tenants (1,010.00 EUR a month); with alerts: t55",
			"10 tenants with every seat assigned and no alerts",
		}, []string{"*41. "}},
		{"one tenant shows what to act on, the conflict first, then by cost", ledger.Report{Tenants: []ledger.TenantReport{one}, Currency: "EUR", At: at}, []string{
			"*Contoso SA* · `contoso`\nUnassigned seats cost *1,296.80 EUR* a month · :warning: 1 Conflict · 1 TrialEnding",
			"*Microsoft Entra ID P2* · `AAD_PREMIUM_P2`\n:warning: *Conflict*: 3 users for 2 seats (1 over): alice@contoso.com, bob@contoso.com, carol@contoso.com — unassign users or buy seats",
			"*Microsoft 365 Business Premium* · `SPB`\n*4* of 15 seats unassigned · *1,288.00 EUR* a month\n↩ 2 returnable now, until *2026-11-25 09:30 UTC* (`contoso-spb-1`)\n↓ 2 reducible at the renewal on *2027-01-01* (`contoso-spb-1`)",
			"*Exchange Online (Plan 1)* · `EXCHANGESTANDARD`\n*1* of 5 seats unassigned · *8.80 EUR* a month",
			"*Alerts*\n:warning: *Conflict* · `contoso-p2-1`",
		}, []string{"ENTERPRISEPACK"}},
		{"a tenant with every seat assigned says so", ledger.Report{Tenants: []ledger.TenantReport{{Tenant: "x", Name: "X",
			Products: []ledger.ReportProduct{{SKU: "SPB", Total: 1, Assigned: 1}}}}}, []string{":white_check_mark: no alerts", "Every seat is assigned."}, nil},
		{"an empty desk says there is nothing to report", ledger.Report{}, []string{"No tenant to report on."}, nil},
		{"a tenant with 120 products, 100 batches each and 30 alerts is summarised", ledger.Report{Tenants: []ledger.TenantReport{big}}, []string{
			"user009@contoso.com … and 290 more", "… and 90 more batches returnable now", "more product(s) with seats to act on",
		}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := v.reply(Reply{Data: c.rep, Text: "fallback"})
			checkLimits(t, m)
			checkInert(t, m)
			got := messageText(t, m)
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("the message lacks %q:\n%s", w, got)
				}
			}
			for _, n := range c.not {
				if strings.Contains(got, n) {
					t.Errorf("the message should not show %q:\n%s", n, got)
				}
			}
		})
	}
	// The alerts of a tenant come before its products are cut short: a
	// tenant with few products shows all 30 alerts, summarised.
	big.Products = big.Products[:2]
	got := messageText(t, v.reply(Reply{Data: ledger.Report{Tenants: []ledger.TenantReport{big}}}))
	if !strings.Contains(got, "… and 10 more alerts") {
		t.Errorf("30 alerts should be summarised after 20:\n%s", got)
	}
}

func TestTheWeeklyReportSaysItsWeekAndWhenItIsLate(t *testing.T) {
	v := testView(t)
	rep := ledger.Report{Tenants: []ledger.TenantReport{reportFixture(), {Tenant: "fabrikam", Name: "Fabrikam", UnassignedMonthlyCost: 94}}, Currency: "EUR", UnassignedMonthlyCost: 1390.8}
	for _, late := range []bool{false, true} {
		m := v.weeklyReport(rep, "2026-W50", late)
		checkLimits(t, m)
		got := messageText(t, m)
		if !strings.Contains(got, "Weekly licence report · 2026-W50") || !strings.HasPrefix(m.Text, "Weekly licence report 2026-W50: Unassigned seats cost 1,390.80 EUR/month") {
			t.Errorf("late=%v: the post lacks its week:\n%s", late, got)
		}
		if strings.Contains(got, "Posted late") != late {
			t.Errorf("late=%v: the post says late=%v:\n%s", late, !late, got)
		}
	}
}

// TestSwitchResultsShowBothProducts (R-SWITCH, R-COST): both products
// before → after, who moved (named up to 20), who did not and why, the
// seats bought and returned, both costs and the net prorated amount; a dry
// run says what would be done.
func TestSwitchResultsShowBothProducts(t *testing.T) {
	v := testView(t)
	fromCost, toCost, net := 288.4, 1135.0, 412.5
	op := ledger.OpResult{Op: ledger.OpSwitch, SKU: "SPB", To: "ENTERPRISEPACK", Outcome: ledger.OutcomePartial,
		Before: &ledger.Figures{Total: 40, Assigned: 35}, After: &ledger.Figures{Total: 10, Assigned: 5},
		ToBefore: &ledger.Figures{Total: 10, Assigned: 10}, ToAfter: &ledger.Figures{Total: 40, Assigned: 40},
		MonthlyCost: &fromCost, ToCost: &toCost, Prorated: &net, Currency: "EUR", Bought: 30, Returned: 30,
		Detail: "the 30 freed seats of SPB are returned"}
	for i := 0; i < 30; i++ {
		op.UserResults = append(op.UserResults, ledger.UserOutcome{UPN: fmt.Sprintf("user%02d@contoso.com", i), Outcome: ledger.OutcomeApplied})
	}
	op.UserResults = append(op.UserResults,
		ledger.UserOutcome{UPN: "addon@contoso.com", Outcome: ledger.OutcomeRefused, Code: ledger.DependencyViolation, Detail: "EXCHANGEARCHIVE_ADDON requires SPB, and ENTERPRISEPACK does not qualify for it: the user keeps SPB"},
		ledger.UserOutcome{UPN: hostile, Outcome: ledger.OutcomeRefused, Code: ledger.UnknownUser, Detail: "no such user in this tenant"},
		ledger.UserOutcome{UPN: "bob@contoso.com", Outcome: ledger.OutcomeUnchanged, Code: ledger.AlreadyAssigned, Detail: "already holds ENTERPRISEPACK"})
	applied := ledger.Result{RequestID: "LD-1", Status: ledger.StatusPartiallyApplied, Tenant: "contoso", Ops: []ledger.OpResult{op}}
	dry := applied
	dry.Status = ledger.StatusDryRun
	cases := []struct {
		name      string
		res       ledger.Result
		want, not []string
	}{
		{"a switch that ran", applied, []string{
			"*switch SPB → ENTERPRISEPACK* (Microsoft 365 Business Premium → Office 365 E3) — partially applied",
			"`SPB`: Total 40 → *10* · Assigned 35 → 5 · Available 5 → 5",
			"`ENTERPRISEPACK`: Total 10 → *40* · Assigned 10 → 40 · Available 0 → 0",
			"Moved (30): user00@contoso.com, user01@contoso.com", "user19@contoso.com … and 10 more",
			"✗ addon@contoso.com — DependencyViolation: EXCHANGEARCHIVE_ADDON requires SPB",
			"✗ &lt;!channel&gt; &amp;", "· bob@contoso.com — AlreadyAssigned: already holds ENTERPRISEPACK",
			"Bought 30 seats of `ENTERPRISEPACK`", "Returned 30 seats of SPB now",
			"New monthly cost `SPB` *288.40 EUR* · `ENTERPRISEPACK` *1,135.00 EUR* · net prorated charge 412.50 EUR for the rest of the term",
		}, []string{"would"}},
		{"a dry run of the same switch", dry, []string{
			"— would be partially applied", "Would move (30)", "Would buy 30 seats", "Would return 30 seats of SPB now",
		}, []string{"— partially applied", "Moved (", "Bought ", "Returned "}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := v.reply(Reply{Result: &c.res, Status: c.res.Status, Text: "fallback"})
			checkLimits(t, m)
			checkInert(t, m)
			got := messageText(t, m)
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("the message lacks %q:\n%s", w, got)
				}
			}
			for _, n := range c.not {
				if strings.Contains(got, n) {
					t.Errorf("the message should not say %q:\n%s", n, got)
				}
			}
		})
	}
}

// TestDryRunsAreNotLabelledApplied (R-DRYRUN): nothing happened, and the
// Block Kit view does not say it did.
func TestDryRunsAreNotLabelledApplied(t *testing.T) {
	v := testView(t)
	cost, pro := 391.4, 142.22
	until := time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)
	users := []ledger.UserOutcome{{UPN: "alice@contoso.com", Outcome: ledger.OutcomeApplied, DataUntil: until}}
	for i := 0; i < 20; i++ {
		users = append(users, ledger.UserOutcome{UPN: fmt.Sprintf("u%02d@contoso.com", i), Outcome: ledger.OutcomeApplied})
	}
	cases := []struct {
		name      string
		op        ledger.OpResult
		want, not []string
	}{
		{"an addition", ledger.OpResult{Op: ledger.OpAdd, SKU: "SPB", Quantity: 5, Outcome: ledger.OutcomeApplied, Before: &ledger.Figures{Total: 13}, After: &ledger.Figures{Total: 18},
			MonthlyCost: &cost, Prorated: &pro, Currency: "EUR"}, []string{"— would be applied", "Total 13 → *18*"}, []string{"— applied"}},
		{"a removal at renewal", ledger.OpResult{Op: ledger.OpRemove, SKU: "SPB", Quantity: 2, Outcome: ledger.OutcomeScheduled, ScheduledFor: until},
			[]string{"— would be scheduled", "Would be scheduled for the renewal on 2026-12-20"}, []string{"\nScheduled for"}},
		{"an unassignment of 21 users", ledger.OpResult{Op: ledger.OpUnassign, SKU: "SPB", Outcome: ledger.OutcomeApplied, UserResults: users},
			[]string{"(mailbox data would be kept until 2026-12-20)", "(21 would be applied, 0 would be refused in all)"}, []string{"data kept until"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := ledger.Result{RequestID: "LD-1", Status: ledger.StatusDryRun, Ops: []ledger.OpResult{c.op}}
			got := messageText(t, v.reply(Reply{Result: &res, Status: res.Status}))
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("the message lacks %q:\n%s", w, got)
				}
			}
			for _, n := range c.not {
				if strings.Contains(got, n) {
					t.Errorf("the message should not say %q:\n%s", n, got)
				}
			}
		})
	}
}

// TestApprovalPostsShowTheConversation (SPEC §4.6): the approval post of a
// request that continues an email conversation shows the request it
// continues and the latest earlier messages, escaped and clipped.
func TestApprovalPostsShowTheConversation(t *testing.T) {
	v := testView(t)
	p := ledger.PendingRequest{
		Request: ledger.Request{ID: "LD-01JZZZZZZZZZZZZZZZZZZZZZZZ", Tenant: "contoso", Requester: ledger.Requester{ID: "it@contoso.com"},
			Continues: "LD-01JYYYYYYYYYYYYYYYYYYYYYYY"},
		At: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC), Expires: time.Date(2026, 12, 20, 12, 0, 0, 0, time.UTC),
	}
	without := p
	without.Request.Continues = ""
	plain := v.approvalRequest(without)
	for i := 0; i < 9; i++ {
		p.Request.Thread = append(p.Request.Thread, ledger.Turn{RequestID: fmt.Sprintf("LD-%d", i), From: "it@contoso.com",
			Text: fmt.Sprintf("message %d: please add licences", i), Status: ledger.StatusNeedsClarification,
			At: time.Date(2026, 11, 19, 9, i, 0, 0, time.UTC)})
	}
	p.Request.Thread[8].Text = hostile + "\n\n" + strings.Repeat("very long text ", 100)
	m := v.approvalRequest(p)
	checkLimits(t, m)
	checkInert(t, m)
	got := messageText(t, m)
	for _, w := range []string{
		"*Earlier in this conversation* · continues `LD-01JYYYYYYYYYYYYYYYYYYYYYYY`",
		"… 3 earlier messages not shown",
		"> *it@contoso.com* · 2026-11-19 09:03 UTC · needs clarification · `LD-3`\n> “message 3: please add licences”",
		"> “&lt;!channel&gt; &amp; &lt;@U0BILL|boss&gt;", "very long text v…”",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("the approval post lacks %q:\n%s", w, got)
		}
	}
	if strings.Contains(got, "message 2:") {
		t.Errorf("the approval post shows more than the latest %d messages:\n%s", turnsShown, got)
	}
	if strings.Contains(messageText(t, plain), "Earlier in this conversation") {
		t.Error("a request without a conversation shows one")
	}
}
