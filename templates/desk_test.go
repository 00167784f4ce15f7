package templates_test

import (
	"testing"
	"time"

	"github.com/licensedesk/licensedesk/ledger"
	"github.com/licensedesk/licensedesk/templates"
)

// TestRepliesTheDeskComposesItself: whoami without the store and the dry
// runs of grant, revoke, approve and reject (R-DRYRUN) are templates too.
func TestRepliesTheDeskComposesItself(t *testing.T) {
	r := renderer(t)
	cost := 700.4
	p := ledger.PendingRequest{
		Request: ledger.Request{ID: "LD-01JZZZZZZZZZZZZZZZZZZZZZZZ", Tenant: "contoso", Requester: ledger.Requester{ID: "it@contoso.com"}},
		Planned: ledger.Result{Ops: []ledger.OpResult{{Op: ledger.OpAdd, SKU: "SPB", Quantity: 20, Before: &ledger.Figures{Total: 13}, After: &ledger.Figures{Total: 33}, MonthlyCost: &cost, Currency: "EUR"}}},
		At:      time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC), Expires: time.Date(2026, 12, 20, 12, 0, 0, 0, time.UTC),
	}
	cases := []struct {
		name      string
		text      string
		want, not []string
	}{
		{"whoami while the store does not answer", r.WhoamiUnread("U0ALICE"),
			[]string{"You are U0ALICE. Your roles at the desk could not be read: the desk's store did not answer. Try again in a moment.\n"}, nil},
		{"a grant that would give a role", r.RoleDryRun("U0NEWBIE1", ledger.RoleLicense, true, false),
			[]string{"Dry run: nothing changed. grant would give the role license to U0NEWBIE1.\n"}, nil},
		{"a grant of a role already held", r.RoleDryRun("U0BILL", ledger.RoleBilling, true, true),
			[]string{"Dry run: nothing changed. U0BILL already has the role billing: grant would change nothing.\n"}, nil},
		{"a revoke that would take a role", r.RoleDryRun("U0LIC", ledger.RoleLicense, false, true),
			[]string{"Dry run: nothing changed. revoke would take the role license from U0LIC.\n"}, nil},
		{"a revoke of a role not held", r.RoleDryRun("U0LIC", ledger.RoleBilling, false, false),
			[]string{"Dry run: nothing changed. U0LIC does not have the role billing: revoke would change nothing.\n"}, nil},
		{"an approval", r.DecideDryRun(p, true, "", false), []string{
			"Dry run: nothing was decided and the customer was told nothing.\napprove LD-01JZZZZZZZZZZZZZZZZZZZZZZZ would check it again against the current state and apply it as below, if it still passes, and send the customer the outcome.\n• LD-01JZZZZZZZZZZZZZZZZZZZZZZZ · contoso",
			"add 20 SPB: total 13 → 33"}, []string{"expired"}},
		{"an approval of an expired request", r.DecideDryRun(p, true, "", true),
			[]string{"approve LD-01JZZZZZZZZZZZZZZZZZZZZZZZ would find it expired: it would be closed as expired, not applied.\n"}, []string{"check it again"}},
		{"a rejection with a reason", r.DecideDryRun(p, false, "budget frozen", false),
			[]string{"reject LD-01JZZZZZZZZZZZZZZZZZZZZZZZ would refuse this request, and the customer would be told so, with the reason: budget frozen.\n"}, nil},
		{"a rejection without one", r.DecideDryRun(p, false, "", false),
			[]string{"would be told so.\n"}, []string{"with the reason"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			contains(t, c.text, c.want, c.not)
			readable(t, "en", c.text)
		})
	}
}

func TestTheBlockKitViewSharesTheTemplatesWords(t *testing.T) {
	r := renderer(t)
	for _, c := range []struct{ got, want string }{
		{templates.CommandOutcome(ledger.OutcomeApplied, false), "applied"},
		{templates.CommandOutcome(ledger.OutcomeApplied, true), "would be applied"},
		{templates.CommandOutcome(ledger.OutcomeScheduled, true), "would be scheduled"},
		{templates.CommandOutcome(ledger.OutcomeRefused, true), "refused"},
		{templates.Money(1234.5, "EUR"), "1,234.50 EUR"},
		{r.SwitchFreed(ledger.OpResult{Op: ledger.OpSwitch, SKU: "SPB", Returned: 2, Before: &ledger.Figures{Assigned: 5}, After: &ledger.Figures{Assigned: 3}}, false), "returned 2 seats of SPB now"},
		{r.SwitchFreed(ledger.OpResult{Op: ledger.OpSwitch, SKU: "SPB", Returned: 2, Before: &ledger.Figures{Assigned: 5}, After: &ledger.Figures{Assigned: 3}}, true), "would return 2 seats of SPB now"},
		{r.SwitchFreed(ledger.OpResult{Op: ledger.OpSwitch, SKU: "SPB", Before: &ledger.Figures{Assigned: 5}, After: &ledger.Figures{Assigned: 5}}, false), ""},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
