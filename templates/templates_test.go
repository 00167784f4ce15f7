package templates_test

import (
	htmlpkg "html"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/licensedesk/licensedesk/ledger"
	"github.com/licensedesk/licensedesk/templates"
)

func renderer(t *testing.T) *templates.Renderer {
	t.Helper()
	r, err := templates.New(ledger.DefaultCatalog())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func f(v float64) *float64 { return &v }

// Non-breaking spaces of French typography, as the tests write them.
const (
	nb = "\u00a0" // before a colon, inside « »
	nn = "\u202f" // before ; ! ?
)

// fr writes a French expectation with ordinary spaces, and returns it
// typeset as a reply is: "Licences : 2" → "Licences\u00a0: 2".
func fr(s string) string {
	r := strings.NewReplacer(" :", nb+":", " ;", nn+";", " ?", nn+"?", " !", nn+"!", "« ", "«"+nb, " »", nb+"»")
	return r.Replace(s)
}

// contains checks that text says each of want and none of not.
func contains(t *testing.T, text string, want, not []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("lacks %q:\n%s", w, text)
		}
	}
	for _, n := range not {
		if strings.Contains(text, n) {
			t.Errorf("should not say %q:\n%s", n, text)
		}
	}
}

var (
	reFrenchSpace = regexp.MustCompile(`\S [:;!?](\s|$)|« | »|«\n|«$`)
	reNoElision   = regexp.MustCompile(`\bde [AEIOUYaeiouyÉé]`)
	reOneMany     = regexp.MustCompile(`(^|[^\d,.])1 (users|seats|licences|tenants|utilisateurs|autres)\b`)
	reManyOne     = regexp.MustCompile(`\b([2-9]|\d\d+) (user|seat|licence|tenant)\b[^-]`)
)

// readable checks what every reply must be, in both languages: no double
// blank line, plurals that agree, and in French elision and the
// no-break spaces of French typography.
func readable(t *testing.T, lang, text string) {
	t.Helper()
	if strings.Contains(text, "\n\n\n") {
		t.Errorf("a double blank line:\n%q", text)
	}
	if m := reOneMany.FindString(text); m != "" {
		t.Errorf("a plural after 1: %q in\n%s", m, text)
	}
	if m := reManyOne.FindString(text); m != "" {
		t.Errorf("a singular after many: %q in\n%s", m, text)
	}
	if lang != "fr" {
		return
	}
	if m := reFrenchSpace.FindString(text); m != "" {
		t.Errorf("French typography: %q (ordinary space) in\n%s", m, text)
	}
	if m := reNoElision.FindString(text); m != "" {
		t.Errorf("no elision: %q in\n%s", m, text)
	}
}

var reTag = regexp.MustCompile(`<[^>]*>`)

// sameInHTML checks that the HTML part says every line of the text part,
// in paragraphs and lists.
func sameInHTML(t *testing.T, text, html string) {
	t.Helper()
	if !strings.HasPrefix(html, "<!DOCTYPE html>") {
		t.Fatalf("no HTML:\n%s", html)
	}
	shown := htmlpkg.UnescapeString(reTag.ReplaceAllString(strings.ReplaceAll(html, "<br>", "\n"), "\n"))
	lines := map[string]bool{}
	for _, l := range strings.Split(shown, "\n") {
		lines[strings.TrimSpace(l)] = true
	}
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimPrefix(strings.TrimSpace(l), "- ")
		if l != "" && !lines[l] {
			t.Errorf("HTML lacks the line %q:\n%s", l, html)
		}
	}
}

func TestEveryCodeIsExplainedInBothLanguages(t *testing.T) {
	r := renderer(t)
	for _, c := range ledger.Codes {
		for _, lang := range []string{"en", "fr"} {
			if got := r.Explain(lang, c); got == string(c) || len(got) < 15 {
				t.Errorf("%s/%s has no explanation: %q", lang, c, got)
			}
			if got := r.ExplainRead(lang, c); got == string(c) || len(got) < 15 {
				t.Errorf("%s/%s has no explanation for a read: %q", lang, c, got)
			}
		}
	}
}

func TestARefusedReadSaysViewingNotChanging(t *testing.T) {
	r := renderer(t)
	cases := []struct {
		name, lang string
		read       bool
		want, not  string
	}{
		{"a refused read in English says the reader may not view this", "en", true, "not allowed to view this", "make this change"},
		{"a refused read in French says the reader may not see this", "fr", true, "pas autorisé à consulter", "faire ce changement"},
		{"a refused change in English still says the change is not allowed", "en", false, "not allowed to make this change", "view"},
		{"a refused change in French still says the change is not allowed", "fr", false, "pas autorisé à faire ce changement", "consulter"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := r.Explain(c.lang, ledger.NotAuthorized)
			if c.read {
				got = r.ExplainRead(c.lang, ledger.NotAuthorized)
			}
			contains(t, got, []string{c.want}, []string{c.not})
		})
	}
	if r.ExplainRead("en", ledger.UnknownTenant) != r.Explain("en", ledger.UnknownTenant) {
		t.Error("a read refused for another reason should read as Explain")
	}
}

var applied = ledger.Result{RequestID: "LD-01JABCDEFGHJKMNPQRSTVWXYZ0", Status: ledger.StatusApplied, Tenant: "contoso",
	Ops: []ledger.OpResult{
		{Op: ledger.OpAdd, SKU: "SPB", Quantity: 5, Subscription: "contoso-spb-1", Outcome: ledger.OutcomeApplied, Currency: "EUR",
			Before: &ledger.Figures{Total: 13, Assigned: 11}, After: &ledger.Figures{Total: 18, Assigned: 11}, MonthlyCost: f(391.4), Prorated: f(142.22)},
		{Op: ledger.OpUnassign, SKU: "ENTERPRISEPACK", Outcome: ledger.OutcomeApplied, Currency: "EUR",
			Before: &ledger.Figures{Total: 10, Assigned: 2}, After: &ledger.Figures{Total: 10, Assigned: 1}, MonthlyCost: f(227),
			UserResults: []ledger.UserOutcome{{UPN: "bob@contoso.com", Outcome: ledger.OutcomeApplied, DataUntil: time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)}}},
	}}

func TestEmailReplies(t *testing.T) {
	r := renderer(t)
	refused := ledger.Result{RequestID: "LD-X", Status: ledger.StatusRefused, Ops: []ledger.OpResult{{Op: ledger.OpRemove, SKU: "SPB", Quantity: 3,
		Outcome: ledger.OutcomeRefused, Code: ledger.CountViolation, Holders: []string{"alice@contoso.com"},
		Before: &ledger.Figures{Total: 13, Assigned: 11}, After: &ledger.Figures{Total: 13, Assigned: 11}}}}
	rejected := ledger.Result{RequestID: "LD-Y", Status: ledger.StatusRejected, Decision: &ledger.Decision{By: "U1", Reason: "budget <frozen>"}}
	windowPassed := ledger.Result{RequestID: "LD-W", Status: ledger.StatusRefused, Ops: []ledger.OpResult{{Op: ledger.OpRemove, SKU: "ENTERPRISEPACK", Quantity: 1,
		Outcome: ledger.OutcomeRefused, Code: ledger.ReductionWindowPassed, FinalDates: []time.Time{time.Date(2026, 1, 8, 0, 0, 0, 0, time.UTC)}}}}
	dry := dryRun(applied)
	cases := []struct {
		name      string
		email     templates.Email
		want, not []string
	}{
		{"an applied request in French shows before and after, the cost and the retention", templates.Email{Lang: "fr", Kind: "result", Result: &applied, RequestID: applied.RequestID},
			[]string{"Bonjour,", "Votre demande a été traitée", "Ajout de 5 × Microsoft 365 Business Premium", fr("Licences : 13 → 18"), "391,40" + nb + "€", "142,22" + nb + "€",
				"Retrait de l'attribution d'Office 365 E3", fr("bob@contoso.com : fait ;"), "conservées pendant 30 jours (jusqu'au 20/12/2026)", "LD-01JABCDEFGHJKMNPQRSTVWXYZ0"},
			[]string{"de Office"}},
		{"an applied request in English", templates.Email{Lang: "en", Kind: "result", Result: &applied, RequestID: applied.RequestID},
			[]string{"Hello,", "has been applied", "Add 5 × Microsoft 365 Business Premium (subscription contoso-spb-1): done", "Licences: 13 → 18", "391.40 EUR", "prorated charge",
				"bob@contoso.com: done; their mailbox data is kept for 30 days (until 2026-12-20)"}, nil},
		{"a dry run in French says what would be done, never that it was", templates.Email{Lang: "fr", Kind: "result", Result: &dry, RequestID: dry.RequestID},
			[]string{"simulation", fr("Ajout de 5 × Microsoft 365 Business Premium (abonnement contoso-spb-1) : serait fait"), fr("bob@contoso.com : serait fait ;"), "seraient conservées pendant 30 jours"},
			[]string{fr(" : fait"), "sont conservées"}},
		{"a dry run in English says what would be done, never that it was", templates.Email{Lang: "en", Kind: "result", Result: &dry, RequestID: dry.RequestID},
			[]string{"dry run", "Add 5 × Microsoft 365 Business Premium (subscription contoso-spb-1): would be done", "bob@contoso.com: would be done;", "would be kept for 30 days"},
			[]string{": done", ": applied", "is kept"}},
		{"a refusal names the users and the next step", templates.Email{Lang: "en", Kind: "result", Result: &refused, RequestID: "LD-X"},
			[]string{"could not be applied", "alice@contoso.com", "Unassign users first"}, nil},
		{"a refusal in English speaks to a customer, not to a desk admin", templates.Email{Lang: "en", Kind: "result", Result: &windowPassed, RequestID: "LD-W"},
			[]string{"within 7 days", "at the next renewal", "These licences became final on 2026-01-08."}, []string{"--at-renewal"}},
		{"a refusal in French gives the date the seats became final", templates.Email{Lang: "fr", Kind: "result", Result: &windowPassed, RequestID: "LD-W"},
			[]string{"7 jours", fr("Date à laquelle ces licences sont devenues définitives : 08/01/2026.")}, nil},
		{"a pending request says a second message will follow", templates.Email{Lang: "fr", Kind: "pending", RequestID: "LD-P"},
			[]string{"validée par notre équipe", "second message"}, nil},
		{"a rejection gives the reason", templates.Email{Lang: "en", Kind: "decision", Result: &rejected, RequestID: "LD-Y"},
			[]string{"did not approve", "Reason: budget <frozen>"}, nil},
		{"a clarification lists what was understood and what was not", templates.Email{Lang: "fr", Kind: "clarification",
			Understood: []ledger.Op{{Kind: ledger.OpAdd, SKU: "SPB", Quantity: 5}},
			Issues:     []templates.Issue{{Code: ledger.AmbiguousProduct, Text: "2 licences F3", Candidates: []string{"SPE_F1", "DESKLESSPACK"}}}},
			[]string{fr("Nous avons compris :\n  - ajouter 5 × Microsoft 365 Business Premium\n\nCe que"), fr("« 2 licences F3 »"), "plusieurs produits",
				"Microsoft 365 F3 (SPE_F1) ou Office 365 F3 (DESKLESSPACK)", fr("pour compléter la demande ; rien n'a été modifié")}, nil},
		{"a refusal of the whole request gives its reason", templates.Email{Lang: "fr", Kind: "result", Result: &ledger.Result{Status: ledger.StatusRefused,
			Ops:    []ledger.OpResult{{Op: ledger.OpAdd, SKU: "SPB", Quantity: 1, Outcome: ledger.OutcomeNotRun}},
			Errors: []ledger.Error{{Code: ledger.NotAuthorized, Message: "add needs the billing role"}}}},
			[]string{"n'a pas pu être appliquée", "pas autorisé", "non appliqué"}, nil},
		{"an unknown sender learns nothing about any tenant", templates.Email{Lang: "en", Kind: "refusal", Code: ledger.UnauthorizedSender},
			[]string{"could not process", "not allowed to send requests"}, []string{"Request reference"}},
		{"a greeting uses the name it is given", templates.Email{Lang: "fr", Kind: "pending", Name: "Marie", RequestID: "LD-P"},
			[]string{"Bonjour Marie,\n"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text, html := r.EmailReply(c.email)
			contains(t, text, c.want, c.not)
			readable(t, c.email.Lang, text)
			sameInHTML(t, text, html)
			if strings.Contains(html, "<frozen>") {
				t.Errorf("HTML is not escaped:\n%s", html)
			}
		})
	}
}

func TestSwitchReplies(t *testing.T) {
	r := renderer(t)
	pending := switchKept
	pending.Status = ledger.StatusPendingApproval
	pending.Ops = []ledger.OpResult{switchKept.Ops[0]}
	pending.Ops[0].Outcome = ledger.OutcomePending
	cases := []struct {
		name      string
		lang      string
		res       ledger.Result
		want, not []string
	}{
		{"a switch in French gives both products before and after, who moved, who did not and why", "fr", switchKept, []string{
			fr("Passage de 5 utilisateurs de Microsoft 365 Business Standard à Microsoft 365 Business Premium : fait en partie"),
			fr("Microsoft 365 Business Standard — licences : 10 → 10 · attribuées : 8 → 5 · disponibles : 2 → 5"),
			fr("Microsoft 365 Business Premium — licences : 5 → 6 · attribuées : 3 → 6 · disponibles : 2 → 0"),
			fr("Passent à Microsoft 365 Business Premium (3) : alice@contoso.com, bob@contoso.com, carol@contoso.com."),
			fr("- dave@contoso.com : ne détient pas Microsoft 365 Business Standard ; rien n'a changé."),
			fr("- erin@contoso.com : détient déjà Microsoft 365 Business Premium ;"),
			"1 licence de Microsoft 365 Business Premium a été achetée",
			"3 licences de Microsoft 365 Business Standard sont maintenant libres.",
			"2 peuvent être rendues jusqu'au 08/03/2026 à 14:30 UTC",
			fr("répondez « retirer 2 Microsoft 365 Business Standard »"),
			"1 peut être retirée au renouvellement du 01/01/2027.",
			fr("Nouveau coût mensuel : Microsoft 365 Business Standard 105,00" + nb + "€ · Microsoft 365 Business Premium 158,40" + nb + "€."),
			fr("Montant facturé au prorata jusqu'à la fin de la période : 12,34" + nb + "€."),
		}, nil},
		{"a switch in English gives both products before and after, who moved, who did not and why", "en", switchKept, []string{
			"Move 5 users from Microsoft 365 Business Standard to Microsoft 365 Business Premium: partly done",
			"Microsoft 365 Business Standard — licences: 10 → 10 · assigned: 8 → 5 · available: 2 → 5",
			"Microsoft 365 Business Premium — licences: 5 → 6 · assigned: 3 → 6 · available: 2 → 0",
			"Moved to Microsoft 365 Business Premium (3): alice@contoso.com, bob@contoso.com, carol@contoso.com.",
			"- dave@contoso.com: does not hold Microsoft 365 Business Standard; nothing changed.",
			"- erin@contoso.com: already holds Microsoft 365 Business Premium; nothing changed.",
			"1 licence of Microsoft 365 Business Premium was bought",
			"3 licences of Microsoft 365 Business Standard are now free. 2 can be returned until 2026-03-08 14:30 UTC: to do so, reply 'remove 2 Microsoft 365 Business Standard'. 1 can be reduced at the renewal on 2027-01-01.",
			"New monthly cost: Microsoft 365 Business Standard 105.00 EUR · Microsoft 365 Business Premium 158.40 EUR.",
			"Prorated charge for the rest of the term: 12.34 EUR.",
		}, nil},
		{"a switch with --return in French says what was returned, what goes at the renewal, and the credit", "fr", switchReturned, []string{
			"Passage de 3 utilisateurs d'Office 365 E3 à Microsoft 365 E3",
			"3 licences de Microsoft 365 E3 ont été achetées",
			"2 licences d'Office 365 E3 ont été rendues.",
			"1 licence d'Office 365 E3 sera retirée au renouvellement du 01/01/2027.",
			fr("Avoir au prorata jusqu'à la fin de la période : 8,50" + nb + "€."),
		}, []string{"maintenant libres"}},
		{"a switch with --return in English says what was returned, what goes at the renewal, and the credit", "en", switchReturned, []string{
			"2 licences of Office 365 E3 were returned.",
			"1 licence of Office 365 E3 will be removed at the renewal on 2027-01-01.",
			"Prorated credit for the rest of the term: 8.50 EUR.",
		}, []string{"now free"}},
		{"a switch of many users in French names the first 20 and counts the rest", "fr", switchMany, []string{
			"u20@contoso.com … et 5 autres.", "25 licences de Microsoft 365 Business Standard sont maintenant libres."}, []string{"u21@"}},
		{"a switch of many users in English names the first 20 and counts the rest", "en", switchMany, []string{
			"u20@contoso.com … and 5 more.", "25 licences of Microsoft 365 Business Standard are now free."}, []string{"u21@", "Prorated"}},
		{"a refused switch in French moves nobody and says why", "fr", switchRefused, []string{
			"Passage de 1 utilisateur de", fr(": refusé"), "version d'essai"}, []string{"Passent", "achetée"}},
		{"a refused switch in English moves nobody and says why", "en", switchRefused, []string{
			"Move 1 user from", ": refused", "trial"}, []string{"Moved to", "was bought"}},
		{"a dry-run switch in French says what would happen", "fr", dryRun(switchKept), []string{
			fr(": serait fait en partie"), "Passeraient à", "serait achetée", "seraient libérées"}, []string{"Passent à", "a été achetée"}},
		{"a dry-run switch in English says what would happen", "en", dryRun(switchKept), []string{
			": would be partly done", "Would move to", "would be bought", "would be free"}, []string{"Moved to", "was bought"}},
		{"a switch waiting for approval in English says what would happen", "en", pending, []string{
			": waiting for approval", "Would move to", "would be bought"}, []string{"Moved to", "was bought"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text, html := r.EmailReply(templates.Email{Lang: c.lang, Kind: "result", Result: &c.res, RequestID: c.res.RequestID})
			contains(t, text, c.want, c.not)
			readable(t, c.lang, text)
			sameInHTML(t, text, html)
		})
	}
}

func TestSwitchCommandReplies(t *testing.T) {
	r := renderer(t)
	cases := []struct {
		name      string
		res       ledger.Result
		want, not []string
	}{
		{"a switch shows both products, who moved, refusals with their reason, the seats bought and freed, and the cost", switchKept, []string{
			"• switch 5 users from O365_BUSINESS_PREMIUM (Microsoft 365 Business Standard) to SPB (Microsoft 365 Business Premium) — partially applied",
			"O365_BUSINESS_PREMIUM: total 10 → 10 · assigned 8 → 5 · available 2 → 5",
			"SPB: total 5 → 6 · assigned 3 → 6 · available 2 → 0",
			"moved (3): alice@contoso.com, bob@contoso.com, carol@contoso.com",
			"✗ dave@contoso.com — NotAssigned: does not hold O365_BUSINESS_PREMIUM",
			"· erin@contoso.com — AlreadyAssigned: already holds SPB",
			"bought 1 seat of SPB",
			"3 seats of O365_BUSINESS_PREMIUM are free · 2 returnable until 2026-03-08 14:30 UTC · 1 reducible at the renewal on 2027-01-01",
			"new monthly cost O365_BUSINESS_PREMIUM 105.00 EUR · SPB 158.40 EUR · prorated charge 12.34 EUR",
		}, nil},
		{"a switch with --return says what was returned and scheduled", switchReturned, []string{
			"returned 2 seats of ENTERPRISEPACK now · 1 is scheduled to go at the renewal on 2027-01-01", "prorated credit 8.50 EUR"}, nil},
		{"a switch of many users names the first 20", switchMany, []string{"moved (25):", "u20@contoso.com … and 5 more"}, []string{"u21@"}},
		{"a refused switch explains the code and moves nobody", switchRefused, []string{"— refused", "TrialSubscription:", "trial"}, []string{"moved ("}},
		{"a dry-run switch says what would be done", dryRun(switchKept), []string{"◌ Dry run", "— would be partially applied", "would move (3)", "would buy 1 seat"}, []string{"— partially applied", "bought"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text := r.Result(c.res)
			contains(t, text, c.want, c.not)
			readable(t, "en", text)
		})
	}
}

func TestAnsweredQuestions(t *testing.T) {
	r := renderer(t)
	conflict := ledger.Result{Status: ledger.StatusAnswered, Answer: &ledger.Answer{Products: []ledger.AnswerLine{
		{SKU: "AAD_PREMIUM_P2", Total: 2, Assigned: 3, Available: -1, SeatPrice: 8.4, Term: "P1Y", Currency: "EUR", Held: true}}}}
	one := ledger.Result{Status: ledger.StatusAnswered, Answer: &ledger.Answer{Products: []ledger.AnswerLine{
		{SKU: "ENTERPRISEPACK", Total: 1, Assigned: 1, Available: 0, SeatPrice: 20.5, Term: "P1M", Currency: "EUR", Held: true, More: 1, MoreMonthly: 20.5, MoreProrated: 10.25}}}}
	cases := []struct {
		name      string
		lang      string
		res       ledger.Result
		want, not []string
	}{
		{"a question in French gets the figures, the price and what more would cost", "fr", answered, []string{
			"Voici les informations demandées.",
			fr("Microsoft 365 Business Premium :\n  - 15 licences, dont 13 attribuées et 2 libres."),
			fr("Prix : 22,00" + nb + "€ par licence et par mois (engagement annuel)."),
			fr("3 licences de plus ajouteraient 66,00" + nb + "€ par mois ; montant facturé dès maintenant, au prorata de la période en cours : 48,12" + nb + "€."),
			fr("Visio Plan 2 : vous n'avez pas d'abonnement à ce produit."),
			fr("Prix catalogue : 15,00" + nb + "€ par licence et par mois (engagement mensuel)."),
			fr("Rien n'a été modifié. Pour demander un changement, répondez par exemple « ajouter 3 Microsoft 365 Business Premium »."),
		}, []string{"Votre demande a été traitée"}},
		{"a question in English gets the figures, the price and what more would cost", "en", answered, []string{
			"Here is what you asked",
			"Microsoft 365 Business Premium:\n  - 15 licences: 13 assigned, 2 free.",
			"Price: 22.00 EUR per licence per month (annual commitment).",
			"3 more licences would add 66.00 EUR per month; the prorated charge now, for the rest of the current term, would be 48.12 EUR.",
			"Visio Plan 2: you have no subscription to this product.",
			"Catalog price: 15.00 EUR per licence per month (monthly commitment).",
			"Nothing was changed. To ask for a change, reply for example 'add 3 Microsoft 365 Business Premium'.",
		}, []string{"has been applied"}},
		{"a question in French about one licence agrees in the singular", "fr", one, []string{
			"1 licence, dont 1 attribuée et 0 libre.", "1 licence de plus ajouterait 20,50"}, nil},
		{"a question in English about one licence agrees in the singular", "en", one, []string{
			"1 licence: 1 assigned, 0 free.", "1 more licence would add 20.50 EUR"}, nil},
		{"a question in French about a product in conflict says how many too many", "fr", conflict, []string{"2 licences pour 3 utilisateurs, soit 1 de trop."}, nil},
		{"a question in English about a product in conflict says how many too many", "en", conflict, []string{"2 licences for 3 users: 1 too many."}, nil},
		{"a question in French about unused licences gets the report", "fr", answeredReport, []string{
			fr("Licences non utilisées :\n  - Microsoft 365 Business Premium : 4 licences non attribuées sur 15, soit 88,00" + nb + "€ par mois."),
			"2 peuvent être rendues jusqu'au 08/03/2026 à 14:30 UTC.",
			"2 peuvent être retirées au renouvellement du 01/01/2027.",
			fr("Exchange Online (Plan 1) : 1 licence non attribuée sur 5, soit 8,80" + nb + "€ par mois."),
			"Au total, les licences non attribuées vous coûtent 96,80" + nb + "€ par mois.",
			fr("Microsoft Entra ID P2 : 3 utilisateurs pour 2 licences, soit 1 de trop."),
			fr("Utilisateurs concernés : alice@contoso.com, bob@contoso.com, carol@contoso.com."),
			fr("À surveiller :"),
			"L'essai de Power BI Pro (abonnement contoso-pbi-trial) se termine le 12/03/2026.",
			"L'abonnement contoso-e3-1 d'Office 365 E3 se termine le 20/03/2026 et ne se renouvelle pas automatiquement.",
			"Une vérification de crédit est en cours sur l'abonnement contoso-ems-1 d'Enterprise Mobility + Security E3 (au 03/03/2026)",
			fr("Microsoft Entra ID P2 : plus d'utilisateurs que de licences (abonnement contoso-p2-1), au 03/03/2026."),
			fr("répondez par exemple « retirer 2 Microsoft 365 Business Premium »"),
		}, []string{"Office 365 E3 : 0"}},
		{"a question in English about unused licences gets the report", "en", answeredReport, []string{
			"Licences you are not using:\n  - Microsoft 365 Business Premium: 4 of 15 licences unassigned, 88.00 EUR per month.",
			"2 can be returned until 2026-03-08 14:30 UTC.",
			"2 can be reduced at the renewal on 2027-01-01.",
			"In all, unassigned licences cost you 96.80 EUR per month.",
			"Microsoft Entra ID P2: 3 users for 2 licences, 1 too many.",
			"The trial of Power BI Pro (subscription contoso-pbi-trial) ends on 2026-03-12.",
			"Subscription contoso-e3-1 of Office 365 E3 ends on 2026-03-20 and does not renew automatically.",
			"A credit check is pending on subscription contoso-ems-1 of Enterprise Mobility + Security E3 (as of 2026-03-03)",
			"Microsoft Entra ID P2 has more users than licences (subscription contoso-p2-1), as of 2026-03-03.",
			"reply for example 'remove 2 Microsoft 365 Business Premium'",
		}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text, html := r.EmailReply(templates.Email{Lang: c.lang, Kind: "answered", Answer: c.res.Answer, Result: &c.res, RequestID: "LD-A"})
			contains(t, text, c.want, c.not)
			readable(t, c.lang, text)
			sameInHTML(t, text, html)
		})
	}
	if got := renderer(t).Result(answered); !strings.HasPrefix(got, "ℹ Answered (nothing changed)") {
		t.Errorf("the command line should label an answered request:\n%s", got)
	}
}

func TestReports(t *testing.T) {
	r := renderer(t)
	var desk ledger.Report
	desk.Currency = "EUR"
	for i := 0; i < 60; i++ {
		tr := ledger.TenantReport{Tenant: "t" + string(rune('a'+i/26)) + string(rune('a'+i%26)), Name: "Tenant", UnassignedMonthlyCost: float64(60 - i), Currency: "EUR"}
		if i == 0 {
			tr.Alerts = report.Alerts
		}
		if i == 55 {
			tr.Alerts = []ledger.Alert{{Code: ledger.AlertTrialEnding, SKU: "POWER_BI_PRO", Date: time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC)}}
		}
		desk.Tenants = append(desk.Tenants, tr)
		desk.UnassignedMonthlyCost += tr.UnassignedMonthlyCost
	}
	cases := []struct {
		name      string
		rep       ledger.Report
		want, not []string
	}{
		{"the desk report leads with the waste and the alerts by code, then ranks 50 tenants and sums the rest", desk, []string{
			"Unassigned seats cost 1,830.00 EUR/month across 60 tenants · alerts: 1 Conflict, 2 TrialEnding, 1 SubscriptionEnding, 1 CreditCheckPending\n",
			"  1. taa (Tenant) · 60.00 EUR/month · ⚠ Conflict AAD_PREMIUM_P2, CreditCheckPending EMS, TrialEnding POWER_BI_PRO 2026-03-12 +1 more",
			" 50. tbx (Tenant) · 11.00 EUR/month\n",
			"… and 10 more tenants (55.00 EUR/month); with alerts: tcd (⚠ TrialEnding POWER_BI_PRO 2026-03-12)",
		}, []string{" 51. "}},
		{"the report of one tenant details each product with its deadlines, conflicts and alerts", ledger.Report{Tenants: []ledger.TenantReport{report}, Currency: "EUR", UnassignedMonthlyCost: 96.8}, []string{
			"Contoso SA (contoso) · unassigned seats cost 96.80 EUR/month · alerts: 1 Conflict, 1 TrialEnding, 1 SubscriptionEnding, 1 CreditCheckPending",
			"• Microsoft 365 Business Premium (SPB): 4 of 15 seats unassigned · 88.00 EUR/month",
			"  2 returnable until 2026-03-08 14:30 UTC (contoso-spb-1)",
			"  2 reducible at the renewal on 2027-01-01 (contoso-spb-1)",
			"• Exchange Online (Plan 1) (EXCHANGESTANDARD): 1 of 5 seats unassigned · 8.80 EUR/month",
			"• Microsoft Entra ID P2 (AAD_PREMIUM_P2): CONFLICT, 3 users for 2 seats (1 over): alice@contoso.com, bob@contoso.com, carol@contoso.com",
			"  ⚠ TrialEnding · The trial of Power BI Pro (subscription contoso-pbi-trial) ends on 2026-03-12.",
			"  ⚠ SubscriptionEnding · Subscription contoso-e3-1 of Office 365 E3 ends on 2026-03-20",
			"  ⚠ CreditCheckPending · A credit check is pending on subscription contoso-ems-1",
		}, []string{"Office 365 E3 (ENTERPRISEPACK):"}},
		{"a tenant with every seat assigned says so", ledger.Report{Tenants: []ledger.TenantReport{{Tenant: "x", Name: "X", Currency: "EUR",
			Products: []ledger.ReportProduct{{SKU: "SPB", Name: "Microsoft 365 Business Premium", Total: 1, Assigned: 1}}}}}, []string{"· no alerts", "Every seat is assigned."}, nil},
		{"an empty desk says there is nothing to report", ledger.Report{}, []string{"No tenant to report on."}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text := r.Report(c.rep)
			contains(t, text, c.want, c.not)
			readable(t, "en", text)
		})
	}
}

func TestClarificationsSayExactlyWhatToAnswer(t *testing.T) {
	r := renderer(t)
	visio := templates.Issue{Code: ledger.AmbiguousProduct, Text: "retirer 1 Visio", Candidates: []string{"VISIOCLIENT", "VISIO_PLAN1_DEPT"},
		Partial: &ledger.Op{Kind: ledger.OpRemove, Quantity: 1}}
	acrobat := templates.Issue{Code: ledger.UnknownProduct, Text: "2 licences Acrobat"}
	suggested := templates.Issue{Code: ledger.UnknownProduct, Text: "Visoi", Candidates: []string{"VISIOCLIENT"}}
	howMany := templates.Issue{Code: ledger.QuantityMissing, Text: "des licences E3", Partial: &ledger.Op{Kind: ledger.OpAdd, SKU: "ENTERPRISEPACK"}}
	forWhom := templates.Issue{Code: ledger.InvalidRequest, Text: "attribuer E3", Partial: &ledger.Op{Kind: ledger.OpAssign, SKU: "ENTERPRISEPACK"}}
	nothing := templates.Issue{Code: ledger.NoRequestFound, Text: "Merci"}
	cases := []struct {
		name      string
		lang      string
		issue     templates.Issue
		domain    string
		want, not []string
	}{
		{"an ambiguous product in French lists the candidates, restates the operation and gives the first as example", "fr", visio, "", []string{
			fr("Ce nom correspond à plusieurs produits : Visio Plan 2 (VISIOCLIENT) ou VISIO_PLAN1_DEPT."),
			fr("Nous avons compris : retirer 1 ×") + nb + "?\n",
			fr("Répondez avec le nom du produit, par exemple « Visio Plan 2 »."),
		}, nil},
		{"an ambiguous product in English lists the candidates, restates the operation and gives the first as example", "en", visio, "", []string{
			"This name fits several products: Visio Plan 2 (VISIOCLIENT) or VISIO_PLAN1_DEPT.",
			"We understood: remove 1 ×" + nb + "?\n",
			"Reply with the product name, for example 'Visio Plan 2'.",
		}, nil},
		{"an unknown product in French gets a generic example", "fr", acrobat, "", []string{
			"Ce produit ne figure pas au catalogue", fr("par exemple « Microsoft 365 Business Premium »")}, nil},
		{"an unknown product in English with a suggestion uses it as the example", "en", suggested, "", []string{
			"This product is not in the catalog", "for example 'Visio Plan 2'"}, nil},
		{"a missing quantity in French asks for a number", "fr", howMany, "", []string{
			fr("Nous avons compris : ajouter") + nb + "? × Office 365 E3",
			fr("Répondez avec le nombre de licences, par exemple « 3 »."),
		}, nil},
		{"a missing quantity in English asks for a number", "en", howMany, "", []string{
			"We understood: add" + nb + "? × Office 365 E3", "Reply with the number of licences, for example '3'."}, nil},
		{"a missing user in French asks for an address at the customer's domain", "fr", forWhom, "contoso.com", []string{
			fr("Nous avons compris : attribuer Office 365 E3 à") + nb + "?",
			fr("Répondez avec l'adresse de l'utilisateur, par exemple « alice@contoso.com »."),
		}, nil},
		{"a missing user in English without a domain gives a neutral address", "en", forWhom, "", []string{
			"Reply with the user's address, for example 'alice@yourdomain.com'."}, nil},
		{"a message with no request in French keeps its text and asks nothing more", "fr", nothing, "", []string{
			"Nous n'avons pas trouvé de demande de licences"}, []string{"Répondez avec"}},
		{"a message with no request in English keeps its text and asks nothing more", "en", nothing, "", []string{
			"No licence request was found"}, []string{"Reply with"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text, html := r.EmailReply(templates.Email{Lang: c.lang, Kind: "clarification", Domain: c.domain, Issues: []templates.Issue{c.issue}})
			contains(t, text, c.want, c.not)
			readable(t, c.lang, text)
			sameInHTML(t, text, html)
			if !regexp.MustCompile(`<li>[^<]*<br>`).MatchString(html) {
				t.Errorf("an issue's lines should stay in one list item:\n%s", html)
			}
		})
	}
}

func TestUnderstoodOperations(t *testing.T) {
	r := renderer(t)
	cases := []struct {
		name string
		lang string
		op   ledger.Op
		want string
	}{
		{"a switch in French names the users and both products", "fr", ledger.Op{Kind: ledger.OpSwitch, SKU: "O365_BUSINESS_PREMIUM", To: "SPB", Users: []string{"alice@contoso.com", "bob@contoso.com"}},
			"passer alice@contoso.com, bob@contoso.com de Microsoft 365 Business Standard à Microsoft 365 Business Premium"},
		{"a switch in English names the users and both products", "en", ledger.Op{Kind: ledger.OpSwitch, SKU: "O365_BUSINESS_PREMIUM", To: "SPB", Users: []string{"alice@contoso.com", "bob@contoso.com"}},
			"move alice@contoso.com, bob@contoso.com from Microsoft 365 Business Standard to Microsoft 365 Business Premium"},
		{"a switch in French from a product that elides", "fr", ledger.Op{Kind: ledger.OpSwitch, SKU: "ENTERPRISEPACK", To: "SPE_E3", All: true},
			"passer tous les utilisateurs d'Office 365 E3 à Microsoft 365 E3"},
		{"a total in French agrees with one licence", "fr", ledger.Op{Kind: ledger.OpSet, SKU: "SPB", Quantity: 1},
			"porter Microsoft 365 Business Premium à 1 licence au total"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text, _ := r.EmailReply(templates.Email{Lang: c.lang, Kind: "pending", Understood: []ledger.Op{c.op}})
			contains(t, text, []string{"  - " + c.want + "\n"}, nil)
			readable(t, c.lang, text)
		})
	}
}

func TestCommandReplies(t *testing.T) {
	r := renderer(t)
	text := r.Result(applied)
	contains(t, text, []string{"✓ Applied LD-01JABCDEFGHJKMNPQRSTVWXYZ0", "total 13 → 18", "new monthly cost 391.40 EUR", "prorated charge 142.22 EUR",
		"mailbox data kept for 30 days, until 2026-12-20"}, nil)
	dry := r.Result(dryRun(applied))
	contains(t, dry, []string{"◌ Dry run (nothing changed)", "— would be applied", "mailbox data would be kept for 30 days"}, []string{"— applied"})

	many := ledger.Result{Status: ledger.StatusApplied, Ops: []ledger.OpResult{{Op: ledger.OpAssign, SKU: "SPB", Outcome: ledger.OutcomeApplied}}}
	for i := 0; i < 300; i++ {
		many.Ops[0].UserResults = append(many.Ops[0].UserResults, ledger.UserOutcome{UPN: "u@x.com", Outcome: ledger.OutcomeApplied})
	}
	if text := r.Result(many); !strings.Contains(text, "… and 250 more users") || strings.Count(text, "u@x.com") != 50 {
		t.Errorf("a long user list should be summarised:\n%.500s", text)
	}
	view := ledger.TenantView{Tenant: ledger.Tenant{ID: "contoso", Name: "Contoso"}, Users: 1, Products: []ledger.ProductLine{
		{SKU: "AAD_PREMIUM_P2", Name: "Microsoft Entra ID P2", Total: 0, Assigned: 1, Available: -1, Conflict: true}}}
	contains(t, r.Show(view, false), []string{"CONFLICT: 1 over", "· 1 user\n"}, []string{"1 users"})
	conflicts := r.Conflicts([]ledger.Conflict{{Tenant: "contoso", SKU: "AAD_PREMIUM_P2", Total: 1, Assigned: 2, Users: []string{"a@contoso.com", "b@contoso.com"}}})
	contains(t, conflicts, []string{"2 users for 1 seat (1 over)", "resolve by buying 1 seat (add)"}, []string{"1 seats"})
}
