package reader

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"weak"

	"github.com/licensedesk/licensedesk/ledger"
)

// bothE3 holds Office 365 E3 and E5 and Microsoft 365 E3 and E5, as the
// corpus' contoso holds both E3s: a bare "E3" is ambiguous.
var bothE3 = holding(map[string]int{"ENTERPRISEPACK": 10, "SPE_E3": 4, "ENTERPRISEPREMIUM": 2, "SPE_E5": 2})

// The real catalog: the reader must work with the names that ship.
var testCatalog = ledger.DefaultCatalog()

// contoso is the tenant of the unit tests: the contoso domains, holding
// Office 365 E1, E3 and E5 (not their Microsoft 365 namesakes, so that a
// bare "E3" is Office 365 E3, issue 9 class 7) and the products the tests
// name, each with 10 seats.
var contoso = Options{Domains: []string{"contoso.com", "contoso.onmicrosoft.com"}, Held: map[string]int{
	"STANDARDPACK": 10, "ENTERPRISEPACK": 10, "ENTERPRISEPREMIUM": 10, "SPB": 10,
	"O365_BUSINESS_ESSENTIALS": 10, "O365_BUSINESS_PREMIUM": 10, "EXCHANGESTANDARD": 10,
	"EXCHANGEENTERPRISE": 10, "POWER_BI_PRO": 10, "VISIOCLIENT": 10, "PROJECTPROFESSIONAL": 10,
	"MCOEV": 10, "Microsoft_365_Copilot": 10, "AAD_PREMIUM": 10,
}}

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

const (
	spb       = "SPB"
	e1        = "STANDARDPACK"
	e3        = "ENTERPRISEPACK"
	e5        = "ENTERPRISEPREMIUM"
	m365e3    = "SPE_E3"
	m365e5    = "SPE_E5"
	basic     = "O365_BUSINESS_ESSENTIALS"
	standard  = "O365_BUSINESS_PREMIUM"
	appsBiz   = "O365_BUSINESS"
	exoPlan1  = "EXCHANGESTANDARD"
	exoPlan2  = "EXCHANGEENTERPRISE"
	powerBI   = "POWER_BI_PRO"
	copilot   = "Microsoft_365_Copilot"
	phone     = "MCOEV"
	project   = "PROJECTPROFESSIONAL"
	visioPlan = "VISIOCLIENT"
)

// readCase is one message and what the reader must make of it.
type readCase struct {
	name    string
	subject string
	body    string
	ops     []ledger.Op
	issues  []ledger.Code
	lang    string // checked when set
	// opt replaces the contoso test tenant when set.
	opt *Options
	// asks are the questions the message asks (checked when set; "none"
	// is noAsks).
	asks []ledger.Ask
}

// holding returns the contoso options with other holdings.
func holding(held map[string]int) *Options {
	return &Options{Domains: contoso.Domains, Held: held}
}

func ops(o ...ledger.Op) []ledger.Op       { return o }
func codes(c ...ledger.Code) []ledger.Code { return c }

// issueCodes returns the codes of a reading's issues, in order.
func issueCodes(r Reading) []ledger.Code {
	var out []ledger.Code
	for _, is := range r.Issues {
		out = append(out, is.Code)
	}
	return out
}

var none = codes(ledger.NoRequestFound)

func runCases(t *testing.T, cases []readCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opt := contoso
			if tc.opt != nil {
				opt = *tc.opt
			}
			r := Read(tc.subject, tc.body, testCatalog, opt)
			if tc.asks != nil && !slices.Equal(r.Asks, tc.asks) && !(len(r.Asks) == 0 && len(tc.asks) == 0) {
				t.Errorf("asks:\n got %+v\nwant %+v", r.Asks, tc.asks)
			}
			if !slices.EqualFunc(r.Ops, tc.ops, opEqual) {
				t.Errorf("ops:\n got %s\nwant %s", fmtOps(r.Ops), fmtOps(tc.ops))
			}
			got := issueCodes(r)
			if !slices.Equal(got, tc.issues) {
				t.Errorf("issues:\n got %v\nwant %v\n%s", got, tc.issues, fmtIssues(r.Issues))
			}
			if len(r.Understood) != len(r.Ops) {
				t.Errorf("%d understood lines for %d ops", len(r.Understood), len(r.Ops))
			}
			if tc.lang != "" && r.Language != tc.lang {
				t.Errorf("language %q, want %q", r.Language, tc.lang)
			}
		})
	}
}

func opEqual(a, b ledger.Op) bool {
	return a.Kind == b.Kind && a.SKU == b.SKU && a.Quantity == b.Quantity && slices.Equal(a.Users, b.Users)
}

func fmtOps(o []ledger.Op) string {
	var parts []string
	for _, op := range o {
		s := fmt.Sprintf("%s %d %s", op.Kind, op.Quantity, op.SKU)
		if len(op.Users) > 0 {
			s += " " + strings.Join(op.Users, ",")
		}
		parts = append(parts, s)
	}
	return "[" + strings.Join(parts, "; ") + "]"
}

func fmtIssues(is []Issue) string {
	var b strings.Builder
	for _, i := range is {
		fmt.Fprintf(&b, "  %s: %s (%q)\n", i.Code, i.Detail, i.Text)
	}
	return b.String()
}

func TestReadFrenchVerbsAndPoliteness(t *testing.T) {
	runCases(t, []readCase{
		{name: "merci d'ajouter adds Business Premium by its full name", body: "Bonjour,\nMerci d'ajouter 5 licences Microsoft 365 Business Premium.\nCordialement", ops: ops(add(5, spb)), lang: "fr"},
		{name: "an imperative ajoutez adds", body: "Ajoutez 3 licences E3 svp", ops: ops(add(3, e3)), lang: "fr"},
		{name: "an infinitive ajouter adds", body: "ajouter 2 E5", ops: ops(add(2, e5))},
		{name: "rajouter adds", body: "Pouvez-vous rajouter 2 licences E1 ?", ops: ops(add(2, e1))},
		{name: "commander adds", body: "Nous souhaiterions commander 10 licences Business Basic.", ops: ops(add(10, basic))},
		{name: "acheter adds", body: "Je voudrais acheter 4 Power BI Pro", ops: ops(add(4, powerBI))},
		{name: "pourriez-vous ajouter is a request", body: "Pourriez-vous ajouter 2 licences Copilot ?", ops: ops(add(2, copilot))},
		{name: "merci de bien vouloir ajouter is a request", body: "Merci de bien vouloir ajouter 1 licence Teams Phone.", ops: ops(add(1, phone))},
		{name: "the noun ajout in a subject-like line adds", body: "Ajout de 3 licences E3", ops: ops(add(3, e3))},
		{name: "passer commande adds", body: "Pourriez-vous passer commande de 5 E3 ?", ops: ops(add(5, e3))},
		{name: "supprimer removes", body: "Merci de supprimer 2 licences E3.", ops: ops(remove(2, e3))},
		{name: "retirez removes", body: "Retirez 2 licences E3 s'il vous plaît", ops: ops(remove(2, e3))},
		{name: "je voudrais retirer removes", body: "Je voudrais retirer 2 E1", ops: ops(remove(2, e1))},
		{name: "enlever removes", body: "Pouvez-vous enlever 3 Business Standard ?", ops: ops(remove(3, standard))},
		{name: "restituer removes", body: "Nous souhaitons restituer 2 licences Exchange Online Plan 1", ops: ops(remove(2, exoPlan1))},
		{name: "rendre removes", body: "Nous voulons rendre 2 licences E3", ops: ops(remove(2, e3))},
		{name: "résilier removes", body: "Merci de résilier 4 licences Power BI Pro", ops: ops(remove(4, powerBI))},
		{name: "réduire de N removes", body: "Pouvez-vous réduire les E3 de 2 ?", ops: ops(remove(2, e3))},
		{name: "réduire à N sets the total", body: "Merci de réduire les licences E5 à 10", ops: ops(set(10, e5))},
		{name: "augmenter de N adds", body: "Merci d'augmenter les E3 de 5", ops: ops(add(5, e3))},
		{name: "augmenter à N sets the total", body: "Merci d'augmenter les E3 à 50", ops: ops(set(50, e3))},
		{name: "passer à N sets the total", body: "Pouvez-vous passer les E1 à 40 ?", ops: ops(set(40, e1))},
		{name: "porter à N sets the total", body: "Merci de porter le nombre de licences E3 à 40", ops: ops(set(40, e3))},
		{name: "passer de N à M sets the second number", body: "Merci de passer de 10 à 15 licences E3", ops: ops(set(15, e3))},
		{name: "il nous faut N au total sets the total", body: "Il nous faut 50 E3 au total.", ops: ops(set(50, e3))},
		{name: "N de plus without a verb adds", body: "5 E3 de plus svp", ops: ops(add(5, e3))},
		{name: "N de moins without a verb removes", body: "2 E1 de moins", ops: ops(remove(2, e1))},
		{name: "besoin de N licences supplémentaires adds", body: "J'ai besoin de 2 licences E3 supplémentaires", ops: ops(add(2, e3))},
		{name: "nous aurions besoin de N en plus adds", body: "Nous aurions besoin de 3 Business Premium en plus", ops: ops(add(3, spb))},
		{name: "a verb written without accents still reads", body: "Merci de resilier 2 licences E3", ops: ops(remove(2, e3))},
		{name: "n'oubliez pas d'ajouter is a request, not a negation", body: "N'oubliez pas d'ajouter 5 E3", ops: ops(add(5, e3))},
		{name: "a request to be done in the passive reads", body: "5 licences E3 doivent être ajoutées", ops: ops(add(5, e3))},
		{name: "a quantity before an infinitive reads", body: "5 licences E3 à ajouter", ops: ops(add(5, e3))},
		{name: "a pronoun brings back the items before the comma", body: "5 E3, merci de les ajouter", ops: ops(add(5, e3))},
	})
}

func TestReadEnglishVerbsAndPoliteness(t *testing.T) {
	runCases(t, []readCase{
		{name: "please add adds", body: "Hi,\nPlease add 5 Business Premium licenses.\nThanks", ops: ops(add(5, spb)), lang: "en"},
		{name: "could you please add adds", body: "Could you please add 3 more E5 licenses? Thanks!", ops: ops(add(3, e5))},
		{name: "buy adds", body: "We want to buy 2 Power BI Pro", ops: ops(add(2, powerBI))},
		{name: "we'd like to order adds", body: "We'd like to order 10 Business Standard seats.", ops: ops(add(10, standard))},
		{name: "purchase adds", body: "Please purchase 3 Teams Phone licences", ops: ops(add(3, phone))},
		{name: "increase by N adds", body: "Please increase E3 by 5", ops: ops(add(5, e3))},
		{name: "increase to N sets the total", body: "Please increase E5 to 20", ops: ops(set(20, e5))},
		{name: "N more without a verb adds", body: "3 more Power BI Pro please", ops: ops(add(3, powerBI))},
		{name: "a plus sign adds", body: "+3 E5", ops: ops(add(3, e5))},
		{name: "set to N sets the total", body: "Set our E1 to 40", ops: ops(set(40, e1))},
		{name: "a total of N sets the total", body: "We need a total of 40 E3.", ops: ops(set(40, e3))},
		{name: "bring to N sets the total", body: "Please bring E3 to 40.", ops: ops(set(40, e3))},
		{name: "we need N in total sets the total", body: "We need 25 Business Basic in total", ops: ops(set(25, basic))},
		{name: "we need N more adds", body: "We need 5 more E3 licenses", ops: ops(add(5, e3))},
		{name: "please remove removes", body: "Please remove 2 E3 licenses", ops: ops(remove(2, e3))},
		{name: "reduce by N removes", body: "Please reduce E3 by 2", ops: ops(remove(2, e3))},
		{name: "reduce to N sets the total", body: "Please reduce E3 to 10", ops: ops(set(10, e3))},
		{name: "return removes", body: "We would like to return 2 E3 licenses", ops: ops(remove(2, e3))},
		{name: "cancel removes", body: "Please cancel 3 E3", ops: ops(remove(3, e3))},
		{name: "drop removes", body: "drop 2 Power BI Pro", ops: ops(remove(2, powerBI))},
		{name: "N fewer removes", body: "2 fewer E3 please", ops: ops(remove(2, e3))},
		{name: "N less removes", body: "3 E5 less", ops: ops(remove(3, e5))},
		{name: "we need to remove chains to remove", body: "We need to remove 2 E3", ops: ops(remove(2, e3))},
		{name: "don't forget to add is a request", body: "Don't forget to add 5 E3", ops: ops(add(5, e3))},
		{name: "a request to be done in the passive reads", body: "5 E3 licenses need to be added", ops: ops(add(5, e3))},
		{name: "setting a total to zero is allowed", body: "Set E3 licences to 0", ops: ops(set(0, e3))},
	})
}

func TestReadQuantities(t *testing.T) {
	runCases(t, []readCase{
		{name: "une licence is one", body: "Ajoutez une licence E3 svp", ops: ops(add(1, e3))},
		{name: "an E3 license is one", body: "add an E3 license please", ops: ops(add(1, e3))},
		{name: "a Business Premium license is one", body: "Please add a Business Premium license", ops: ops(add(1, spb))},
		{name: "another is one more", body: "Please add another Copilot licence", ops: ops(add(1, copilot))},
		{name: "french number words read", body: "Ajoutez deux licences E3", ops: ops(add(2, e3))},
		{name: "vingt-cinq and dix-huit read", body: "Ajouter vingt-cinq licences E3 et dix-huit E5", ops: ops(add(25, e3), add(18, e5))},
		{name: "vingt et un reads", body: "ajouter vingt et une licences E3", ops: ops(add(21, e3))},
		{name: "quatre-vingt-dix reads", body: "ajouter quatre-vingt-dix E3", ops: ops(add(90, e3))},
		{name: "cent reads", body: "ajouter cent licences E3", ops: ops(add(100, e3))},
		{name: "english number words read", body: "add twenty-one E3 licenses", ops: ops(add(21, e3))},
		{name: "a hundred reads", body: "add a hundred E3", ops: ops(add(100, e3))},
		{name: "one hundred and five reads", body: "please add one hundred and five E3", ops: ops(add(105, e3))},
		{name: "a French thousands space reads", body: "ajouter 1 000 licences E3", ops: ops(add(1000, e3))},
		{name: "a no-break thousands space reads", body: "ajouter 1\u00a0000 licences E3", ops: ops(add(1000, e3))},
		{name: "a narrow no-break thousands space reads", body: "ajouter 2\u202f500 licences E3", ops: ops(add(2500, e3))},
		{name: "an English thousands comma reads", body: "add 1,000 E3 licenses", ops: ops(add(1000, e3))},
		{name: "a French thousands dot reads", body: "merci d'ajouter 1.000 licences E3", ops: ops(add(1000, e3))},
		{name: "an apostrophe thousands separator reads", body: "add 1'000 E3", ops: ops(add(1000, e3))},
		{name: "5x reads as five", body: "Please add 5x E3", ops: ops(add(5, e3))},
		{name: "a dot that may group thousands in English is ambiguous", body: "add 1.000 E3 licenses", issues: codes(ledger.QuantityMissing)},
		{name: "a comma that may be a decimal in French is ambiguous", body: "ajouter 1,000 E3", issues: codes(ledger.QuantityMissing)},
		{name: "a range with a dash is not a quantity", body: "ajouter 5-10 licences E3", issues: codes(ledger.QuantityMissing)},
		{name: "5 ou 6 is not a quantity", body: "ajouter 5 ou 6 licences E3", issues: codes(ledger.QuantityMissing)},
		{name: "5 à 10 is a range", body: "ajouter 5 à 10 licences E3", issues: codes(ledger.QuantityMissing)},
		{name: "between 5 and 10 is a range", body: "add between 5 and 10 E3", issues: codes(ledger.QuantityMissing)},
		{name: "around 20 is approximate", body: "add around 20 E3", issues: codes(ledger.QuantityMissing)},
		{name: "environ 20 is approximate", body: "ajouter environ 20 E3", issues: codes(ledger.QuantityMissing)},
		{name: "env. 20 is approximate", body: "env. 20 E3 à ajouter", issues: codes(ledger.QuantityMissing)},
		{name: "au moins 5 is a bound", body: "ajouter au moins 5 E3", issues: codes(ledger.QuantityMissing)},
		{name: "20+ is a bound", body: "add 20+ E3", issues: codes(ledger.QuantityMissing)},
		{name: "a couple is taken as fuzzy", body: "add a couple of E3 licenses", issues: codes(ledger.QuantityMissing)},
		{name: "a few is no quantity", body: "please add a few E3 licenses", issues: codes(ledger.QuantityMissing)},
		{name: "quelques is no quantity", body: "ajouter quelques licences E3", issues: codes(ledger.QuantityMissing)},
		{name: "une vingtaine is approximate", body: "ajouter une vingtaine de E3", issues: codes(ledger.QuantityMissing)},
		{name: "two numbers side by side have two readings", body: "ajouter 5 6 licences E3", issues: codes(ledger.QuantityMissing)},
		{name: "a product without a number misses its quantity", body: "Merci d'ajouter des licences Exchange Online (Plan 2)", issues: codes(ledger.QuantityMissing)},
		{name: "zero to add is invalid", body: "ajouter 0 licence E3", issues: codes(ledger.InvalidQuantity)},
		{name: "zero to remove is invalid", body: "remove 0 E3", issues: codes(ledger.InvalidQuantity)},
		{name: "more than the maximum is invalid", body: "ajouter 200000 licences E3", issues: codes(ledger.InvalidQuantity)},
		{name: "a million in French groups is invalid", body: "ajouter 1 000 000 E3", issues: codes(ledger.InvalidQuantity)},
		{name: "a decimal comma is not a whole number", body: "ajouter 2,5 E3", issues: codes(ledger.InvalidQuantity)},
		{name: "a decimal dot is not a whole number", body: "add 2.5 E3", issues: codes(ledger.InvalidQuantity)},
		{name: "need N alone could be more or a total", body: "We need 5 E3 licenses", issues: codes(ledger.QuantityMissing)},
		{name: "increase N alone could be by or to", body: "increase E3 licenses 5", issues: codes(ledger.QuantityMissing)},
		{name: "add up to N is a bound", body: "add up to 10 E3", issues: codes(ledger.QuantityMissing)},
		{name: "Plan 1 is part of the name, not a quantity", body: "ajouter 3 Exchange Online Plan 1", ops: ops(add(3, exoPlan1))},
		{name: "Plan 1 in parentheses is part of the name", body: "Merci d'ajouter 2 licences Exchange Online (Plan 1)", ops: ops(add(2, exoPlan1))},
		{name: "Plan 2 alone gives no quantity", body: "Please add Exchange Online Plan 2", issues: codes(ledger.QuantityMissing)},
		{name: "Plan 3 is part of the name", body: "Please add 5 Planner and Project Plan 3", ops: ops(add(5, project))},
		{name: "one licence of Plan 2 reads one", body: "ajouter 1 Exchange Online Plan 2", ops: ops(add(1, exoPlan2))},
		{name: "the 365 of a name is not a quantity", body: "Merci d'ajouter 4 Microsoft 365 E3", ops: ops(add(4, m365e3))},
		{name: "the 2 of Visio Plan 2 is not a quantity", body: "add 2 Visio Plan 2", ops: ops(add(2, visioPlan))},
		{name: "a ticket number is not a quantity", body: "Please add 5 E3. Ticket #12345", ops: ops(add(5, e3))},
		{name: "a date is not a quantity", body: "Merci d'ajouter 5 E3 avant le 12/03/2026", ops: ops(add(5, e3))},
		{name: "a day of a month is not a quantity", body: "Please add 5 E3 by March 5", ops: ops(add(5, e3))},
		{name: "a phone number is not a quantity", body: "Merci d'ajouter 5 E3, mon numéro : 06 12 34 56 78", ops: ops(add(5, e3))},
		{name: "a price is not a quantity", body: "Please add 5 E3 at 22 € each", ops: ops(add(5, e3))},
		{name: "a number counting people next to a full item is left alone", body: "Merci d'ajouter 5 E3 pour les 2 nouveaux arrivants", ops: ops(add(5, e3))},
		{name: "licences for N users counts the licences", body: "please add E3 licences for 5 users", ops: ops(add(5, e3))},
	})
}

func TestReadProducts(t *testing.T) {
	runCases(t, []readCase{
		{name: "E3 alone is Office 365 E3, not ambiguous", body: "retirez 2 licences E3", ops: ops(remove(2, e3))},
		{name: "M365 E3 is Microsoft 365 E3", body: "merci d'ajouter 5 M365 E3 et 2 M365 E5", ops: ops(add(5, m365e3), add(2, m365e5))},
		{name: "the SKU itself names the product", body: "add 3 O365_BUSINESS_PREMIUM", ops: ops(add(3, standard))},
		{name: "an alias names the product", body: "Please add 2 M365 BP", ops: ops(add(2, spb))},
		{name: "a plural name reads", body: "add 2 Business Premiums", ops: ops(add(2, spb))},
		{name: "a name in lower case reads", body: "add 5 copilot", ops: ops(add(5, copilot))},
		{name: "the longest name wins", body: "Pouvez-vous ajouter 10 Microsoft 365 Apps for business ?", ops: ops(add(10, appsBiz))},
		{name: "Office 365 Business Premium is ambiguous", body: "Add 5 Office 365 Business Premium", issues: codes(ledger.AmbiguousProduct)},
		{name: "F3 is ambiguous", body: "add 3 F3 licences", issues: codes(ledger.AmbiguousProduct)},
		{name: "Microsoft 365 Apps is ambiguous", body: "Please add 2 Microsoft 365 Apps licenses", issues: codes(ledger.AmbiguousProduct)},
		{name: "Microsoft E3 is ambiguous for a tenant holding both E3s", body: "Merci d'ajouter 5 Microsoft E3", opt: bothE3,
			issues: codes(ledger.AmbiguousProduct)},
		{name: "Microsoft E3 is the E3 the tenant holds", body: "Merci d'ajouter 5 Microsoft E3", ops: ops(add(5, e3))},
		{name: "E5 after Microsoft E3 is ambiguous too for a tenant holding both", body: "add 5 Microsoft E3 and 2 E5", opt: bothE3,
			issues: codes(ledger.AmbiguousProduct, ledger.AmbiguousProduct)},
		{name: "a GUID names the product", body: "add 2 6fd2c87f-b296-42f0-b197-1e91e994b900", ops: ops(add(2, e3))},
		{name: "Office Business Premium is ambiguous", body: "add 5 Office Business Premium", issues: codes(ledger.AmbiguousProduct)},
		{name: "E5 after Microsoft 365 E3 is ambiguous for a tenant holding both E5s", body: "ajouter 5 Microsoft 365 E3 et 2 E5", opt: bothE3,
			ops: ops(add(5, m365e3)), issues: codes(ledger.AmbiguousProduct)},
		{name: "E5 after Office 365 E3 is not ambiguous", body: "ajouter 5 Office 365 E3 et 2 E5", ops: ops(add(5, e3), add(2, e5))},
		{name: "an unknown product is reported with its phrase", body: "ajouter 5 licences Visio Plan 1", issues: codes(ledger.UnknownProduct)},
		{name: "an unknown product with a year is reported", body: "Pouvez-vous ajouter 5 Office 2019 ?", issues: codes(ledger.UnknownProduct)},
		{name: "Microsoft 365 alone is not a product", body: "Merci d'ajouter 5 licences Microsoft 365", issues: codes(ledger.UnknownProduct)},
		{name: "an unknown product before a target is reported", body: "passer les licences Adobe à 10", issues: codes(ledger.UnknownProduct)},
		{name: "an unknown subscription is reported", body: "Cancel our Adobe subscription", issues: codes(ledger.UnknownProduct)},
		{name: "a quantity with no product at all is asked about", body: "add 5 licenses", issues: codes(ledger.UnknownProduct)},
		{name: "a negated product is left out", body: "Ajoutez 5 E3 mais pas de E5", ops: ops(add(5, e3))},
	})
}

func TestReadSeveralRequests(t *testing.T) {
	runCases(t, []readCase{
		{name: "two verbs in one sentence make two operations", body: "Ajouter 5 E3 et retirer 2 Business Basic", ops: ops(add(5, e3), remove(2, basic))},
		{name: "two items after one verb make two adds", body: "Merci d'ajouter 5 E3 et 3 E5.", ops: ops(add(5, e3), add(3, e5))},
		{name: "a list of three items after one verb", body: "Ajoutez 5 licences E3, 3 E5 et 2 Business Basic s'il vous plaît.", ops: ops(add(5, e3), add(3, e5), add(2, basic))},
		{name: "one request per sentence", body: "Hello, please add 10 E3 licenses and remove 2 Exchange Online Plan 2 licenses. Also set Power BI Pro to 15.", ops: ops(add(10, e3), remove(2, exoPlan2), set(15, powerBI))},
		{name: "one request per line", body: "Please assign E3 to alice@contoso.com\nPlease assign E5 to bob@contoso.com", ops: ops(assign(e3, "alice@contoso.com"), assign(e5, "bob@contoso.com"))},
		{name: "a list under a verb line", body: "Merci d'ajouter :\n- 5 E3\n- 2 Business Basic\n\nCordialement", ops: ops(add(5, e3), add(2, basic))},
		{name: "a sentence wrapped before its product", body: "Pourriez-vous ajouter 5 licences\nMicrosoft 365 Business Premium ?", ops: ops(add(5, spb))},
		{name: "more and total markers each apply to their own item", body: "Il nous faut 5 E3 de plus et 40 E5 au total", ops: ops(add(5, e3), set(40, e5))},
		{name: "increase by and increase to in one sentence", body: "Please increase E3 by 5 and increase E5 to 20", ops: ops(add(5, e3), set(20, e5))},
		{name: "réduire de and réduire à in one sentence", body: "Pouvez-vous réduire les E3 de 2 et réduire les E5 à 10 ?", ops: ops(remove(2, e3), set(10, e5))},
		{name: "a negated request next to a real one", body: "Merci d'ajouter 5 E3 et ne retirez pas les E1", ops: ops(add(5, e3))},
		{name: "a past report next to a request", body: "Please add 3 E3 licenses. I added 2 users yesterday.", ops: ops(add(3, e3))},
		{name: "a described count before the verb is not ordered", body: "Bonjour,\n\nNous avons 20 licences E3, merci d'en ajouter 5.\n\nCordialement,\nJean", ops: ops(add(5, e3))},
		{name: "a past purchase before a request", body: "We have purchased 5 E3 licences from another reseller, please add 5 more.", ops: ops(add(5, e3))},
		{name: "an item without its own marker next to a marked one is asked about", body: "5 E3 et 3 E5 de plus", ops: ops(add(3, e5)), issues: codes(ledger.InvalidRequest)},
	})
}

func TestReadAssignments(t *testing.T) {
	runCases(t, []readCase{
		{name: "attribuer assigns to two users", body: "Merci d'attribuer une licence E3 à alice@contoso.com et bob@contoso.com", ops: ops(assign(e3, "alice@contoso.com", "bob@contoso.com"))},
		{name: "assign to one user", body: "Please assign E3 to alice@contoso.com", ops: ops(assign(e3, "alice@contoso.com"))},
		{name: "affecter assigns", body: "Pouvez-vous affecter une licence Power BI Pro à carol@contoso.com ?", ops: ops(assign(powerBI, "carol@contoso.com"))},
		{name: "donner assigns", body: "Merci de donner une licence E5 à dave@contoso.com", ops: ops(assign(e5, "dave@contoso.com"))},
		{name: "give someone a licence assigns", body: "Please give alice@contoso.com an E3 licence", ops: ops(assign(e3, "alice@contoso.com"))},
		{name: "add a user to a product assigns", body: "Please add alice@contoso.com to E3", ops: ops(assign(e3, "alice@contoso.com"))},
		{name: "addresses are lower-cased and deduplicated", body: "Je souhaite attribuer Business Premium à Alice@Contoso.com, bob@contoso.com et alice@CONTOSO.com.", ops: ops(assign(spb, "alice@contoso.com", "bob@contoso.com"))},
		{name: "a second domain of the tenant is accepted", body: "assign E3 to eve@contoso.onmicrosoft.com", ops: ops(assign(e3, "eve@contoso.onmicrosoft.com"))},
		{name: "each product takes the users after it", body: "Assign E3 to alice@contoso.com and E5 to bob@contoso.com", ops: ops(assign(e3, "alice@contoso.com"), assign(e5, "bob@contoso.com"))},
		{name: "two products before the users go to every user", body: "Please assign E3 and Teams Phone to alice@contoso.com", ops: ops(assign(e3, "alice@contoso.com"), assign(phone, "alice@contoso.com"))},
		{name: "retirer la licence à unassigns", body: "Merci de retirer la licence E3 à alice@contoso.com", ops: ops(unassign(e3, "alice@contoso.com"))},
		{name: "remove from unassigns", body: "Could you remove the E3 licence from alice@contoso.com?", ops: ops(unassign(e3, "alice@contoso.com"))},
		{name: "unassign unassigns several users", body: "unassign E3 from alice@contoso.com and bob@contoso.com", ops: ops(unassign(e3, "alice@contoso.com", "bob@contoso.com"))},
		{name: "désattribuer unassigns", body: "Merci de désattribuer la licence E5 de bob@contoso.com", ops: ops(unassign(e5, "bob@contoso.com"))},
		{name: "a user of another domain is refused", body: "assign E3 to alice@contoso.com and bob@fabrikam.com", issues: codes(ledger.ForeignUser)},
		{name: "a look-alike domain is foreign", body: "attribuer E3 à mallory@contoso.com.evil.example", issues: codes(ledger.ForeignUser)},
		{name: "a subdomain is foreign", body: "attribuer E3 à bob@mail.contoso.com", issues: codes(ledger.ForeignUser)},
		{name: "buying for a user asks whether to buy or assign", body: "Please order 5 E3 for alice@contoso.com", issues: codes(ledger.InvalidRequest)},
		{name: "a count that differs from the users is asked about", body: "Please add 5 E3 to alice@contoso.com and bob@contoso.com", issues: codes(ledger.InvalidRequest)},
		{name: "an assignment to nobody is asked about", body: "Merci d'attribuer une licence E3", issues: codes(ledger.InvalidRequest)},
		{name: "an assignment without a product is asked about", body: "Please assign alice@contoso.com", issues: codes(ledger.UnknownProduct)},
		{name: "an ambiguous product for a user is asked about", body: "assign F3 to alice@contoso.com", issues: codes(ledger.AmbiguousProduct)},
		{name: "the subject's product serves a licence for a user", subject: "Licence Power BI Pro", body: "Merci d'attribuer une licence à alice@contoso.com", ops: ops(assign(powerBI, "alice@contoso.com"))},
		{name: "addresses in a sentence about something else are no request", body: "I need to parse emails that come from: john@example.com and from: jane@example.com", issues: none},
	})
}

func TestReadNoRequest(t *testing.T) {
	runCases(t, []readCase{
		{name: "thanks alone is no request", body: "Merci pour votre aide !", issues: none, lang: "fr"},
		{name: "an invoice question is no request", body: "Bonjour, pouvez-vous m'envoyer la facture ?", issues: none},
		{name: "an empty message is no request", issues: none},
		{name: "a past report is no request", body: "Nous avons ajouté 5 utilisateurs la semaine dernière.", issues: none},
		{name: "a past report written without accents is no request", body: "Nous avons ajoute 5 licences E3 hier.", issues: none},
		{name: "an English past report is no request", body: "I removed the old account", issues: none},
		{name: "a report with have and a verb whose past is its base is no request", body: "We have already set E3 to 40.", issues: none},
		{name: "have to add is a request", body: "We have to add 3 E5", ops: ops(add(3, e5))},
		{name: "a past question is no request", body: "Did you add the 5 E3 licences?", issues: none},
		{name: "ne pas ajouter is no request", body: "Merci de ne pas ajouter de E3", issues: none},
		{name: "n'ajoutez pas is no request", body: "N'ajoutez pas de licences E3 pour l'instant", issues: none},
		{name: "pas besoin is no request", body: "Pas besoin d'ajouter des E3 pour l'instant.", issues: none},
		{name: "don't add is no request", body: "Please don't add E3 licences.", issues: none},
		{name: "no need to add is no request", body: "No need to add E3 licences.", issues: none},
		{name: "si besoin is no request", body: "Ajoutez 5 E3 si besoin", issues: none},
		{name: "if needed is no request", body: "Add 5 E3 if needed.", issues: none},
		{name: "maybe is no request", body: "Maybe we should add 5 E3 next quarter.", issues: none},
		{name: "a plan in the future is no request", body: "We will order 5 E3 next month.", issues: none},
		{name: "a French plan in the future is no request", body: "Nous allons commander 5 E3 le mois prochain.", issues: none},
		{name: "a statement of the current count is no request", body: "Nous avons actuellement 20 E3.", issues: none},
		{name: "a quantity and product without verb or marker is no request", body: "5 E3", issues: none},
		{name: "in order to is not an order", body: "In order to plan the budget we looked at our 20 E3 licences.", issues: none},
		{name: "set up is not a set", body: "Please set up a meeting for 3 pm", issues: none},
		{name: "thanks for an addition is no request", body: "Merci pour l'ajout des 5 licences E3 !", issues: none},
		{name: "thanks for an order is no request", body: "Thanks for the quick turnaround on the E3 order.", issues: none},
		{name: "a comparison is no request", body: "Pour rappel, nous avons 5 E3 de plus que l'an dernier.", issues: none},
		{name: "a count described with more is no request", body: "We have 2 more E5 than last year.", issues: none},
		{name: "an emoji shortcode is not a quantity", body: ":+1:", issues: none},
		{name: "a verb inside an identifier is not a request", body: "def nil_add_12 f", issues: none},
	})
}

func TestReadSubject(t *testing.T) {
	runCases(t, []readCase{
		{name: "an empty body with a request in the subject", subject: "Ajout de 3 licences E3", ops: ops(add(3, e3)), lang: "fr"},
		{name: "reply and forward prefixes are removed", subject: "RE : TR: Fwd: Ajout de 3 licences E3", ops: ops(add(3, e3))},
		{name: "a body with no request falls back to the subject", subject: "Please add 2 E5", body: "Hello,\nsee subject.\nThanks", ops: ops(add(2, e5))},
		{name: "the subject's one product serves N de plus", subject: "Licences E3", body: "Bonjour, 5 de plus svp", ops: ops(add(5, e3))},
		{name: "the subject's product serves en ajouter N", subject: "Licence Power BI Pro", body: "Bonjour,\nPouvez-vous en ajouter 3 ?\nMerci", ops: ops(add(3, powerBI))},
		{name: "licences supplémentaires take the subject's product", subject: "Licences E3", body: "Nous avons besoin de 3 licences supplémentaires", ops: ops(add(3, e3))},
		{name: "without a product anywhere N de plus is asked about", body: "Nous avons besoin de 3 licences supplémentaires", issues: codes(ledger.UnknownProduct)},
		{name: "two products in the message make N de plus ambiguous", subject: "E3 et E5", body: "5 de plus svp", issues: codes(ledger.AmbiguousProduct)},
		{name: "the body wins over the subject", subject: "Ajout de 3 licences E3", body: "Merci d'ajouter 5 licences E5", ops: ops(add(5, e5))},
		{name: "a subject's verb applies to the body's list", subject: "Commande de licences", body: "Bonjour,\n5 E3 et 2 E5 svp\nMerci", ops: ops(add(5, e3), add(2, e5))},
		{name: "a vague body defers to a precise subject", subject: "Ajout de 5 licences E3", body: "Bonjour, merci d'ajouter les licences.", ops: ops(add(5, e3))},
		{name: "a vague body without a subject asks for the quantity", body: "Merci d'ajouter des licences", issues: codes(ledger.QuantityMissing)},
		{name: "a subject with no request and no body is no request", subject: "Re: votre facture", issues: none},
	})
}

func TestReadRealisticMessages(t *testing.T) {
	runCases(t, []readCase{
		{
			name: "a French list of mixed changes",
			body: "Bonjour,\n\nMerci de bien vouloir procéder aux modifications suivantes :\n" +
				"- ajouter 3 licences Microsoft 365 Business Standard\n" +
				"- retirer 1 licence Exchange Online (Plan 1)\n" +
				"- attribuer une licence Business Standard à paul@contoso.com\n\nBonne journée,\nMarie",
			ops: ops(add(3, standard), remove(1, exoPlan1), assign(standard, "paul@contoso.com")),
		},
		{
			name: "an English numbered list",
			body: "Hi,\n\nCould you please:\n1) add 2 Power BI Pro\n2) remove 1 Visio Plan 2\n\nThanks",
			ops:  ops(add(2, powerBI), remove(1, visioPlan)),
		},
		{
			name: "two verbs, one of them with two items",
			body: "Please add 5 E3 and 2 E5 by Friday, and cancel 1 Project Plan 3.",
			ops:  ops(add(5, e3), add(2, e5), remove(1, project)),
		},
		{
			name: "a report then a request",
			body: "Pour info, nous avons supprimé 3 comptes. Merci de retirer 3 licences E3.",
			ops:  ops(remove(3, e3)),
		},
		{
			name: "nouns in a subject-like sentence",
			body: "Ajout de 5 E3 svp, et suppression de 2 E1.",
			ops:  ops(add(5, e3), remove(2, e1)),
		},
		{
			name: "a French request with a Business Premium and an E3 in one sentence",
			body: "Bonjour,\nMerci d'ajouter 5 licences Microsoft 365 Business Premium et de retirer 2 licences E3.\nCordialement",
			ops:  ops(add(5, spb), remove(2, e3)),
		},
		{
			name: "an order number is a reference",
			body: "Regarding order 12345: please add 5 E3",
			ops:  ops(add(5, e3)),
		},
		{
			name: "will you add is a request",
			body: "Will you add 5 E3 today?",
			ops:  ops(add(5, e3)),
		},
		{
			name: "a count the tenant has is not ordered",
			body: "Please add 5 E3 (we currently have 20)",
			ops:  ops(add(5, e3)),
		},
		{
			name: "a description without a comma before the request",
			body: "Nous avons 20 E3 merci d'en ajouter 5",
			ops:  ops(add(5, e3)),
		},
		{
			name:   "a known and an unknown product in one request",
			body:   "Merci d'ajouter 5 E3 et 3 Adobe",
			ops:    ops(add(5, e3)),
			issues: codes(ledger.UnknownProduct),
		},
		{
			name:   "a line that describes does not continue a request",
			body:   "Merci d'ajouter 5 licences\nNous avons aussi 10 E5 et 20 E3",
			issues: codes(ledger.AmbiguousProduct),
		},
		{
			name: "our order followed by a colon introduces the items",
			body: "Bonjour, voici notre commande : 5 E3 et 2 E5.",
			ops:  ops(add(5, e3), add(2, e5)),
		},
		{
			name: "thanks then a request",
			body: "Thanks for the E3 order, please also add 2 E5.",
			ops:  ops(add(2, e5)),
		},
		{
			name:   "a swap is not understood",
			body:   "Can you swap 2 E3 for 2 E5?",
			issues: none,
		},
	})
}

func TestUnderstoodLinesAreInTheMessageLanguage(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
	}{
		{"French add", "Merci d'ajouter 5 licences Business Premium", []string{"ajouter 5 × Microsoft 365 Business Premium"}},
		{"English add", "Please add 5 Business Premium licenses", []string{"add 5 × Microsoft 365 Business Premium"}},
		{"French set and remove", "Merci de passer les E3 à 40 et de retirer 2 E1", []string{"passer Office 365 E3 à 40 au total", "retirer 2 × Office 365 E1"}},
		{"English set", "Please set E3 to 40", []string{"set Office 365 E3 to 40 in total"}},
		{"French assignment", "Merci d'attribuer une licence E3 à alice@contoso.com et bob@contoso.com", []string{"attribuer Office 365 E3 à alice@contoso.com et bob@contoso.com"}},
		{"English unassignment", "Please remove E3 from alice@contoso.com", []string{"unassign Office 365 E3 from alice@contoso.com"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Read("", tc.body, testCatalog, contoso)
			if !slices.Equal(r.Understood, tc.want) {
				t.Errorf("understood %q, want %q", r.Understood, tc.want)
			}
		})
	}
}

func TestAmbiguousProductNamesItsCandidates(t *testing.T) {
	r := Read("", "add 3 F3 licences", testCatalog, contoso)
	if len(r.Issues) != 1 {
		t.Fatalf("issues %+v", r.Issues)
	}
	is := r.Issues[0]
	if !slices.Equal(is.Candidates, []string{"SPE_F1", "DESKLESSPACK"}) {
		t.Errorf("candidates %v", is.Candidates)
	}
	if is.Detail != "F3 could be SPE_F1 (Microsoft 365 F3) or DESKLESSPACK (Office 365 F3)" {
		t.Errorf("detail %q", is.Detail)
	}
	if is.Text != "add 3 F3 licences" {
		t.Errorf("text %q", is.Text)
	}
	r = Read("", "Ajoutez 5 Office 365 Business Premium", testCatalog, contoso)
	if len(r.Issues) != 1 || !slices.Equal(r.Issues[0].Candidates, []string{standard, spb}) {
		t.Fatalf("issues %+v", r.Issues)
	}
	if !strings.Contains(r.Issues[0].Detail, "peut désigner") {
		t.Errorf("French detail %q", r.Issues[0].Detail)
	}
}

func TestUnknownProductDetailQuotesThePhraseAndSuggests(t *testing.T) {
	r := Read("", "Please add 5 Visio Plan 1 licences", testCatalog, contoso)
	if len(r.Issues) != 1 || r.Issues[0].Code != ledger.UnknownProduct {
		t.Fatalf("issues %+v", r.Issues)
	}
	d := r.Issues[0].Detail
	if !strings.Contains(d, `"Visio Plan 1"`) || !strings.Contains(d, "VISIOCLIENT") {
		t.Errorf("detail %q: want the phrase and the suggestion VISIOCLIENT", d)
	}
}

func TestForeignUserDetailNamesOnlyTheForeignUsers(t *testing.T) {
	r := Read("", "assign E3 to alice@contoso.com, bob@fabrikam.com and carol@evil.example", testCatalog, contoso)
	if len(r.Ops) != 0 || len(r.Issues) != 1 {
		t.Fatalf("ops %v issues %+v", r.Ops, r.Issues)
	}
	d := r.Issues[0].Detail
	if !strings.Contains(d, "bob@fabrikam.com") || !strings.Contains(d, "carol@evil.example") || strings.Contains(d, "alice@") {
		t.Errorf("detail %q", d)
	}
}

func TestWithoutDomainsEveryUserIsForeign(t *testing.T) {
	r := Read("", "assign E3 to alice@contoso.com", testCatalog, Options{})
	if len(r.Ops) != 0 || len(r.Issues) != 1 || r.Issues[0].Code != ledger.ForeignUser {
		t.Fatalf("ops %v issues %+v", r.Ops, r.Issues)
	}
}

func TestTooManyUsersIsRefused(t *testing.T) {
	var b strings.Builder
	b.WriteString("Please assign E3 to ")
	for i := range ledger.MaxUsersPerOp + 1 {
		fmt.Fprintf(&b, "user%d@contoso.com, ", i)
	}
	r := Read("", b.String(), testCatalog, contoso)
	if len(r.Ops) != 0 || len(r.Issues) != 1 || r.Issues[0].Code != ledger.TooManyUsers {
		t.Fatalf("ops %d issues %+v", len(r.Ops), r.Issues)
	}
	// Exactly the maximum is fine, and the reply line stays short.
	b.Reset()
	b.WriteString("Please assign E3 to ")
	for i := range ledger.MaxUsersPerOp {
		fmt.Fprintf(&b, "user%d@contoso.com ", i)
	}
	r = Read("", b.String(), testCatalog, contoso)
	if len(r.Ops) != 1 || len(r.Ops[0].Users) != ledger.MaxUsersPerOp || len(r.Issues) != 0 {
		t.Fatalf("ops %d issues %+v", len(r.Ops), r.Issues)
	}
	if len(r.Understood[0]) > 200 {
		t.Errorf("understood line is %d bytes long", len(r.Understood[0]))
	}
}

func TestMoreThanMaxOpsIsRefused(t *testing.T) {
	var b strings.Builder
	for range ledger.MaxOpsPerReq + 1 {
		b.WriteString("Please add 1 E3.\n")
	}
	r := Read("", b.String(), testCatalog, contoso)
	if len(r.Ops) != ledger.MaxOpsPerReq {
		t.Errorf("%d ops, want %d", len(r.Ops), ledger.MaxOpsPerReq)
	}
	if len(r.Issues) != 1 || r.Issues[0].Code != ledger.InvalidRequest {
		t.Errorf("issues %+v", r.Issues)
	}
}

func TestIssuesAreBounded(t *testing.T) {
	r := Read("", strings.Repeat("add 3 F3.\n", 500), testCatalog, contoso)
	if len(r.Issues) != maxIssues {
		t.Fatalf("%d issues, want %d", len(r.Issues), maxIssues)
	}
	if last := r.Issues[len(r.Issues)-1]; last.Code != ledger.InvalidRequest {
		t.Errorf("last issue %+v, want the InvalidRequest that says the rest was not read", last)
	}
}

func TestInputOver64KiBIsTruncatedAtALineAndReported(t *testing.T) {
	filler := strings.Repeat("Lorem ipsum dolor sit amet.\n", maxBody/28+10)
	r := Read("", "Please add 5 E3.\n"+filler+"Please add 50 E5.\n", testCatalog, contoso)
	if !slices.EqualFunc(r.Ops, ops(add(5, e3)), opEqual) {
		t.Errorf("ops %s: the request after 64 KiB must not be read", fmtOps(r.Ops))
	}
	if len(r.Issues) != 1 || r.Issues[0].Code != ledger.InvalidRequest {
		t.Errorf("issues %+v, want the truncation reported", r.Issues)
	}
	got, cut := truncate("ajouter 50 E3", 9)
	if got != "ajouter" || !cut {
		t.Errorf("truncate cut inside a number: %q", got)
	}
}

func TestIssueTextIsTrimmedAndAtMost200Characters(t *testing.T) {
	body := "   Merci d'ajouter 5 licences Adobe " + strings.Repeat("très ", 100) + "   "
	r := Read("", body, testCatalog, contoso)
	if len(r.Issues) == 0 {
		t.Fatal("no issue")
	}
	text := r.Issues[0].Text
	if n := len([]rune(text)); n > 200 {
		t.Errorf("text has %d characters", n)
	}
	if strings.TrimSpace(text) != text || !strings.HasPrefix(text, "Merci d'ajouter") {
		t.Errorf("text %q", text)
	}
}

func TestCleanSubject(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Re: Ajout de licences", "Ajout de licences"},
		{"RE : Ajout", "Ajout"},
		{"TR: Fwd: RE: Ajout", "Ajout"},
		{"Fw: add", "add"},
		{"AW: WG: Lizenzen", "Lizenzen"},
		{"Re[2]: add", "add"},
		{"Réponse: rien", "Réponse: rien"},
		{"Remove 2 E3", "Remove 2 E3"},
		{"  Re:   ", ""},
	}
	for _, tc := range tests {
		if got := CleanSubject(tc.in); got != tc.want {
			t.Errorf("CleanSubject(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLanguageIsDetectedFromTheWords(t *testing.T) {
	tests := []struct{ subject, body, want string }{
		{"", "Bonjour, merci d'ajouter 5 E3.", "fr"},
		{"", "retirez 2 licences E3", "fr"},
		{"", "Hello, please add 5 E3.", "en"},
		{"", "5 E3", "en"},
		{"Ajout de licences E3", "", "fr"},
		{"Please add E3", "", "en"},
		{"Please add E3", "Très bien, merci de les ajouter à notre abonnement.", "fr"},
	}
	for _, tc := range tests {
		if got := Read(tc.subject, tc.body, testCatalog, contoso).Language; got != tc.want {
			t.Errorf("Read(%q, %q).Language = %q, want %q", tc.subject, tc.body, got, tc.want)
		}
	}
}

func TestANilCatalogKnowsNoProduct(t *testing.T) {
	r := Read("", "Please add 5 E3", nil, contoso)
	if len(r.Ops) != 0 || len(r.Issues) != 1 || r.Issues[0].Code != ledger.UnknownProduct {
		t.Fatalf("ops %v issues %+v", r.Ops, r.Issues)
	}
}

func TestCatalogOverridesAreRead(t *testing.T) {
	cat, err := testCatalog.WithOverrides([]ledger.Product{{SKU: "SPB", Aliases: []string{"Premium Pack"}}})
	if err != nil {
		t.Fatal(err)
	}
	r := Read("", "Please add 2 Premium Pack", cat, contoso)
	if !slices.EqualFunc(r.Ops, ops(add(2, spb)), opEqual) {
		t.Errorf("ops %s", fmtOps(r.Ops))
	}
	// The built-in catalog, read again, does not know the alias.
	r = Read("", "Please add 2 Premium Pack", testCatalog, contoso)
	if len(r.Ops) != 0 {
		t.Errorf("the override leaked into another catalog: %s", fmtOps(r.Ops))
	}
}

func TestReaderIsSafeForConcurrentUse(t *testing.T) {
	rd := New(testCatalog)
	done := make(chan []ledger.Op)
	for range 8 {
		go func() {
			var last []ledger.Op
			for range 50 {
				last = rd.Read("", "Merci d'ajouter 5 E3 et de retirer 2 E1", contoso).Ops
			}
			done <- last
		}()
	}
	for range 8 {
		if got := <-done; !slices.EqualFunc(got, ops(add(5, e3), remove(2, e1)), opEqual) {
			t.Errorf("ops %s", fmtOps(got))
		}
	}
}

func TestACatalogsIndexIsBuiltOnceAndReleasedWithIt(t *testing.T) {
	if a, b := New(testCatalog), New(testCatalog); a.ix != b.ix {
		t.Fatal("the index of one catalog was built twice")
	}
	cat, err := ledger.NewCatalog(testCatalog.All())
	if err != nil {
		t.Fatal(err)
	}
	key := weak.Make(cat)
	if r := Read("", "Please add 2 E3", cat, contoso); len(r.Ops) != 1 {
		t.Fatalf("ops %v", r.Ops)
	}
	if _, ok := indexes.Load(key); !ok {
		t.Fatal("the index was not cached")
	}
	runtime.KeepAlive(cat)
	cat = nil
	deadline := time.Now().Add(5 * time.Second)
	for {
		runtime.GC()
		if _, ok := indexes.Load(key); !ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the index outlived its catalog")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
