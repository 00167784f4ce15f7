package templates_test

import (
	"fmt"
	"time"

	"github.com/licensedesk/licensedesk/ledger"
)

// Fixtures shared by the tests: one of each outcome a reply must say.

var (
	day     = time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	renewal = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
)

func upns(n int, domain string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("u%02d@%s", i+1, domain)
	}
	return out
}

func moved(us ...string) []ledger.UserOutcome {
	out := make([]ledger.UserOutcome, len(us))
	for i, u := range us {
		out[i] = ledger.UserOutcome{UPN: u, Outcome: ledger.OutcomeApplied}
	}
	return out
}

// switchKept: three users move from Business Standard to Business
// Premium, one is refused, one already holds it; one seat is bought and
// the freed seats stay (no --return).
var switchKept = ledger.Result{RequestID: "LD-01JSWITCH00000000000000000", Status: ledger.StatusPartiallyApplied, Tenant: "contoso",
	Ops: []ledger.OpResult{{Op: ledger.OpSwitch, SKU: "O365_BUSINESS_PREMIUM", To: "SPB", Outcome: ledger.OutcomePartial, Currency: "EUR",
		Users:  []string{"alice@contoso.com", "bob@contoso.com", "carol@contoso.com", "dave@contoso.com", "erin@contoso.com"},
		Before: &ledger.Figures{Total: 10, Assigned: 8}, After: &ledger.Figures{Total: 10, Assigned: 5},
		ToBefore: &ledger.Figures{Total: 5, Assigned: 3}, ToAfter: &ledger.Figures{Total: 6, Assigned: 6},
		MonthlyCost: f(105), ToCost: f(158.4), Prorated: f(12.34), Bought: 1,
		Detail: "3 seats of O365_BUSINESS_PREMIUM are now free; 2 can be returned until 2026-03-08 14:30 UTC; 1 can be reduced at the renewal on 2027-01-01",
		UserResults: append(moved("alice@contoso.com", "bob@contoso.com", "carol@contoso.com"),
			ledger.UserOutcome{UPN: "dave@contoso.com", Outcome: ledger.OutcomeRefused, Code: ledger.NotAssigned, Detail: "does not hold O365_BUSINESS_PREMIUM"},
			ledger.UserOutcome{UPN: "erin@contoso.com", Outcome: ledger.OutcomeUnchanged, Code: ledger.AlreadyAssigned, Detail: "already holds SPB"}),
	}}}

// switchReturned: --return, 2 seats returned now and 1 scheduled, a
// credit on balance.
var switchReturned = ledger.Result{RequestID: "LD-01JSWITCH00000000000000001", Status: ledger.StatusApplied, Tenant: "contoso",
	Ops: []ledger.OpResult{{Op: ledger.OpSwitch, SKU: "ENTERPRISEPACK", To: "SPE_E3", Outcome: ledger.OutcomeApplied, Currency: "EUR",
		Before: &ledger.Figures{Total: 10, Assigned: 10}, After: &ledger.Figures{Total: 8, Assigned: 7},
		ToBefore: &ledger.Figures{Total: 5, Assigned: 5}, ToAfter: &ledger.Figures{Total: 8, Assigned: 8},
		MonthlyCost: f(181.6), ToCost: f(259.2), Prorated: f(-8.5), Bought: 3, Returned: 2, Scheduled: 1,
		Detail:      "2 seats of ENTERPRISEPACK are returned now and 1 will go at the renewal on 2027-01-01",
		UserResults: moved("alice@contoso.com", "bob@contoso.com", "carol@contoso.com")}}}

// switchMany: 25 users move; no deadline to report.
var switchMany = ledger.Result{RequestID: "LD-01JSWITCH00000000000000002", Status: ledger.StatusApplied, Tenant: "contoso",
	Ops: []ledger.OpResult{{Op: ledger.OpSwitch, SKU: "O365_BUSINESS_PREMIUM", To: "SPB", Outcome: ledger.OutcomeApplied, Currency: "EUR",
		Before: &ledger.Figures{Total: 30, Assigned: 25}, After: &ledger.Figures{Total: 30, Assigned: 0},
		ToBefore: &ledger.Figures{Total: 25, Assigned: 0}, ToAfter: &ledger.Figures{Total: 25, Assigned: 25},
		MonthlyCost: f(315), ToCost: f(660), Prorated: f(0),
		Detail:      "25 seats of O365_BUSINESS_PREMIUM are now free",
		UserResults: moved(upns(25, "contoso.com")...)}}}

// switchRefused: TO's missing seat cannot be bought.
var switchRefused = ledger.Result{RequestID: "LD-01JSWITCH00000000000000003", Status: ledger.StatusRefused, Tenant: "contoso",
	Ops: []ledger.OpResult{{Op: ledger.OpSwitch, SKU: "O365_BUSINESS_PREMIUM", To: "SPB", Outcome: ledger.OutcomeRefused, Code: ledger.TrialSubscription,
		Subscription: "contoso-spb-trial", Detail: "2 seats of SPB are missing and cannot be bought: the subscription is a trial",
		Before: &ledger.Figures{Total: 10, Assigned: 8}, ToBefore: &ledger.Figures{Total: 5, Assigned: 5},
		UserResults: moved("alice@contoso.com")}},
	Errors: []ledger.Error{{Code: ledger.TrialSubscription, Message: "2 seats of SPB are missing and cannot be bought: the subscription is a trial"}}}

func dryRun(res ledger.Result) ledger.Result {
	res.Status = ledger.StatusDryRun
	return res
}

// answered: how many Business Premium are free and what 3 more would
// cost; and Visio, which the tenant does not hold.
var answered = ledger.Result{RequestID: "LD-01JANSWER00000000000000000", Status: ledger.StatusAnswered, Tenant: "contoso",
	Answer: &ledger.Answer{Products: []ledger.AnswerLine{
		{SKU: "SPB", Total: 15, Assigned: 13, Available: 2, MonthlyCost: 330, SeatPrice: 22, Term: "P1Y", Currency: "EUR", Held: true,
			More: 3, MoreMonthly: 66, MoreProrated: 48.12},
		{SKU: "VISIOCLIENT", SeatPrice: 15, Term: "P1M", Currency: "EUR"},
	}}}

// report is contoso's R-REPORT.
var report = ledger.TenantReport{Tenant: "contoso", Name: "Contoso SA", Language: "fr", UnassignedMonthlyCost: 96.8, Currency: "EUR",
	Products: []ledger.ReportProduct{
		{SKU: "SPB", Name: "Microsoft 365 Business Premium", Total: 15, Assigned: 11, Unassigned: 4, UnassignedMonthlyCost: 88,
			ReturnableNow:      []ledger.Returnable{{Quantity: 2, Until: time.Date(2026, 3, 8, 14, 30, 0, 0, time.UTC), Subscription: "contoso-spb-1"}},
			ReducibleAtRenewal: ledger.Reducible{Quantity: 2, Date: renewal, Subscription: "contoso-spb-1"}},
		{SKU: "EXCHANGESTANDARD", Name: "Exchange Online (Plan 1)", Total: 5, Assigned: 4, Unassigned: 1, UnassignedMonthlyCost: 8.8},
		{SKU: "AAD_PREMIUM_P2", Name: "Microsoft Entra ID P2", Total: 2, Assigned: 3, ConflictUsers: []string{"alice@contoso.com", "bob@contoso.com", "carol@contoso.com"}},
		{SKU: "ENTERPRISEPACK", Name: "Office 365 E3", Total: 10, Assigned: 10},
	},
	Alerts: []ledger.Alert{
		{Code: ledger.AlertConflict, SKU: "AAD_PREMIUM_P2", Subscription: "contoso-p2-1", Date: day},
		{Code: ledger.AlertCreditCheckPending, SKU: "EMS", Subscription: "contoso-ems-1", Date: day},
		{Code: ledger.AlertTrialEnding, SKU: "POWER_BI_PRO", Subscription: "contoso-pbi-trial", Date: time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC)},
		{Code: ledger.AlertSubscriptionEnding, SKU: "ENTERPRISEPACK", Subscription: "contoso-e3-1", Date: time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)},
	}}

var answeredReport = ledger.Result{RequestID: "LD-01JANSWER00000000000000001", Status: ledger.StatusAnswered, Tenant: "contoso",
	Answer: &ledger.Answer{Report: &report}}
