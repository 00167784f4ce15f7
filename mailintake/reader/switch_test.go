package reader

import (
	"slices"
	"testing"

	"github.com/licensedesk/licensedesk/ledger"
)

func switchOp(from, to string, users ...string) ledger.Op {
	return ledger.Op{Kind: ledger.OpSwitch, SKU: from, To: to, Users: users}
}

func switchAllOp(from, to string) ledger.Op {
	return ledger.Op{Kind: ledger.OpSwitch, SKU: from, To: to, All: true}
}

func switchEqual(a, b ledger.Op) bool {
	return opEqual(a, b) && a.Kind == b.Kind && a.To == b.To && a.All == b.All
}

// Issue 14: switch requests by email (R-SWITCH), French and English.
func TestReadSwitchRequests(t *testing.T) {
	tests := []struct {
		name, body string
		opt        *Options
		ops        []ledger.Op
		issues     []ledger.Code
	}{
		{name: "upgrade two users from one product to another",
			body: "Please upgrade alice@contoso.com and bob@contoso.com from Business Standard to Business Premium.",
			ops:  ops(switchOp(standard, spb, "alice@contoso.com", "bob@contoso.com"))},
		{name: "move all our E3 users is every holder",
			body: "Could you move all our E3 users to E5?", ops: ops(switchAllOp(e3, e5))},
		{name: "passer X de A à B is a switch, not a total",
			body: "Merci de passer alice@contoso.com de Business Standard à Business Premium.",
			ops:  ops(switchOp(standard, spb, "alice@contoso.com"))},
		{name: "migrer nos utilisateurs E3 vers E5 is every holder",
			body: "Pouvez-vous migrer nos utilisateurs E3 vers E5 ?", ops: ops(switchAllOp(e3, e5))},
		{name: "basculer tous les utilisateurs is every holder",
			body: "Basculer tous les utilisateurs Business Standard vers Business Premium.", ops: ops(switchAllOp(standard, spb))},
		{name: "downgrade with a reason after it",
			body: "Please downgrade bob@contoso.com from E5 to E3, he changed roles.", ops: ops(switchOp(e5, e3, "bob@contoso.com"))},
		{name: "a family name resolves by holdings on both sides", opt: holding(map[string]int{m365e3: 8, standard: 12}),
			body: "Merci de passer alice@contoso.com de Business Standard à E3.", ops: ops(switchOp(standard, m365e3, "alice@contoso.com"))},
		{name: "an ambiguous side is asked about", opt: bothE3,
			body: "Pouvez-vous migrer nos utilisateurs E3 vers Business Premium ?", issues: codes(ledger.AmbiguousProduct)},
		{name: "a switch without FROM is asked about", body: "Please upgrade alice@contoso.com to Business Premium.",
			issues: codes(ledger.UnknownProduct)},
		{name: "a switch to the same product is refused", body: "Please switch bob@contoso.com from E3 to E3.",
			issues: codes(ledger.InvalidRequest)},
		{name: "a count of users without their names is asked about", body: "Please move 3 users from E3 to E5.",
			issues: codes(ledger.InvalidRequest)},
		{name: "a switch without users nor all is asked about", body: "Please switch Bob from E3 to E5.",
			issues: codes(ledger.InvalidRequest)},
		{name: "a foreign user is refused", body: "Please move eve@evil.example from E3 to E5.",
			issues: codes(ledger.ForeignUser)},
		{name: "a conditional switch is never applied", body: "If budget allows, move alice@contoso.com from E1 to E3.", issues: none},
		{name: "a past move is no request", body: "We moved alice@contoso.com from E1 to E3 last week.", issues: none},
		{name: "a negated switch is no request", body: "Please don't move alice@contoso.com from E1 to E3.", issues: none},
		{name: "moving offices is no request", body: "We moved to a new office last week.", issues: none},
		{name: "a set of two totals is no switch", body: "Please set E3 to 40 and E5 to 10", ops: ops(set(40, e3), set(10, e5))},
		{name: "passer les E3 à N is a total", body: "Passer les E3 à 40 svp", ops: ops(set(40, e3))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opt := contoso
			if tc.opt != nil {
				opt = *tc.opt
			}
			r := Read("", tc.body, testCatalog, opt)
			if !slices.EqualFunc(r.Ops, tc.ops, switchEqual) {
				t.Errorf("ops %+v, want %+v", r.Ops, tc.ops)
			}
			got := issueCodes(r)
			if !slices.Equal(got, tc.issues) {
				t.Errorf("issues %v, want %v\n%s", got, tc.issues, fmtIssues(r.Issues))
			}
			if len(r.Understood) != len(r.Ops) {
				t.Errorf("%d understood lines for %d ops", len(r.Understood), len(r.Ops))
			}
		})
	}
}

func TestSwitchPartialsNameTheKnownSide(t *testing.T) {
	r := Read("", "Please upgrade alice@contoso.com to Business Premium.", testCatalog, contoso)
	if len(r.Issues) != 1 || r.Issues[0].Partial == nil {
		t.Fatalf("issues %+v", r.Issues)
	}
	p := r.Issues[0].Partial
	if p.Kind != ledger.OpSwitch || p.SKU != "" || p.To != spb || !slices.Equal(p.Users, []string{"alice@contoso.com"}) {
		t.Errorf("partial %+v, want a switch to SPB for alice without its FROM", p)
	}
}

func TestSwitchUnderstoodLines(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{"Merci de passer alice@contoso.com de Business Standard à Business Premium.",
			"passer alice@contoso.com de Microsoft 365 Business Standard à Microsoft 365 Business Premium"},
		{"Could you move all our E3 users to E5?", "move every user from Office 365 E3 to Office 365 E5"},
	} {
		r := Read("", tc.body, testCatalog, contoso)
		if len(r.Understood) != 1 || r.Understood[0] != tc.want {
			t.Errorf("%q: understood %q, want %q", tc.body, r.Understood, tc.want)
		}
	}
}
