package templates_test

import (
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

func TestEveryCodeIsExplainedInBothLanguages(t *testing.T) {
	r := renderer(t)
	for _, c := range ledger.Codes {
		for _, lang := range []string{"en", "fr"} {
			if got := r.Explain(lang, c); got == string(c) || len(got) < 15 {
				t.Errorf("%s/%s has no explanation: %q", lang, c, got)
			}
		}
	}
}

func f(v float64) *float64 { return &v }

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
	cases := []struct {
		name  string
		email templates.Email
		want  []string
	}{
		{"an applied request in French shows before and after, the cost and the retention", templates.Email{Lang: "fr", Kind: "result", Result: &applied, RequestID: applied.RequestID},
			[]string{"Bonjour", "Votre demande a été traitée", "Ajout de 5 × Microsoft 365 Business Premium", "13 → 18", "391,40 €", "142,22 €", "conservées jusqu'au 20/12/2026", "LD-01JABCDEFGHJKMNPQRSTVWXYZ0"}},
		{"an applied request in English", templates.Email{Lang: "en", Kind: "result", Result: &applied, RequestID: applied.RequestID},
			[]string{"Hello", "has been applied", "Add 5 × Microsoft 365 Business Premium", "391.40 EUR", "prorated charge", "kept until 2026-12-20"}},
		{"a refusal names the users and the next step", templates.Email{Lang: "en", Kind: "result", Result: &refused, RequestID: "LD-X"},
			[]string{"could not be applied", "alice@contoso.com", "Unassign users first"}},
		{"a pending request says a second message will follow", templates.Email{Lang: "fr", Kind: "pending", RequestID: "LD-P"},
			[]string{"validée par notre équipe", "second message"}},
		{"a rejection gives the reason", templates.Email{Lang: "en", Kind: "decision", Result: &rejected, RequestID: "LD-Y"},
			[]string{"did not approve", "Reason: budget <frozen>"}},
		{"a clarification lists what was understood and what was not", templates.Email{Lang: "fr", Kind: "clarification",
			Understood: []ledger.Op{{Kind: ledger.OpAdd, SKU: "SPB", Quantity: 5}},
			Issues:     []templates.Issue{{Code: ledger.AmbiguousProduct, Text: "2 licences F3", Candidates: []string{"SPE_F1", "DESKLESSPACK"}}}},
			[]string{"Nous avons compris", "ajouter 5 × Microsoft 365 Business Premium", "« 2 licences F3 »", "plusieurs produits", "Microsoft 365 F3 (SPE_F1) ou Office 365 F3 (DESKLESSPACK)", "rien n'a été modifié"}},
		{"a refusal of the whole request gives its reason", templates.Email{Lang: "fr", Kind: "result", Result: &ledger.Result{Status: ledger.StatusRefused,
			Ops:    []ledger.OpResult{{Op: ledger.OpAdd, SKU: "SPB", Quantity: 1, Outcome: ledger.OutcomeNotRun}},
			Errors: []ledger.Error{{Code: ledger.NotAuthorized, Message: "add needs the billing role"}}}},
			[]string{"n'a pas pu être appliquée", "pas autorisé"}},
		{"an unknown sender learns nothing about any tenant", templates.Email{Lang: "en", Kind: "refusal", Code: ledger.UnauthorizedSender},
			[]string{"could not process", "not allowed to send requests"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text, html := r.EmailReply(c.email)
			for _, w := range c.want {
				if !strings.Contains(text, w) {
					t.Errorf("text lacks %q:\n%s", w, text)
				}
			}
			if !strings.Contains(html, "<html") || strings.Contains(html, "<frozen>") {
				t.Errorf("HTML is missing or not escaped:\n%s", html)
			}
		})
	}
}

func TestCommandReplies(t *testing.T) {
	r := renderer(t)
	text := r.Result(applied)
	for _, w := range []string{"✓ Applied LD-01JABCDEFGHJKMNPQRSTVWXYZ0", "total 13 → 18", "new monthly cost 391.40 EUR", "prorated charge 142.22 EUR", "mailbox data kept until 2026-12-20"} {
		if !strings.Contains(text, w) {
			t.Errorf("result lacks %q:\n%s", w, text)
		}
	}
	many := ledger.Result{Status: ledger.StatusApplied, Ops: []ledger.OpResult{{Op: ledger.OpAssign, SKU: "SPB", Outcome: ledger.OutcomeApplied}}}
	for i := 0; i < 300; i++ {
		many.Ops[0].UserResults = append(many.Ops[0].UserResults, ledger.UserOutcome{UPN: "u@x.com", Outcome: ledger.OutcomeApplied})
	}
	if text := r.Result(many); !strings.Contains(text, "… and 250 more users") || strings.Count(text, "u@x.com") != 50 {
		t.Errorf("a long user list should be summarised:\n%.500s", text)
	}
	view := ledger.TenantView{Tenant: ledger.Tenant{ID: "contoso", Name: "Contoso"}, Products: []ledger.ProductLine{
		{SKU: "AAD_PREMIUM_P2", Name: "Microsoft Entra ID P2", Total: 0, Assigned: 1, Available: -1, Conflict: true}}}
	if text := r.Show(view, false); !strings.Contains(text, "CONFLICT: 1 over") {
		t.Errorf("show should flag the conflict:\n%s", text)
	}
}
