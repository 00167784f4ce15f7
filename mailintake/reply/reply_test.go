package reply

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/licensedesk/licensedesk/ledger"
)

const (
	oldID = "LD-01JOLD0000000000000000000Z"
	newID = "LD-01JNEW0000000000000000000Z"
)

func TestReplySubject(t *testing.T) {
	cases := []struct {
		name, orig, id, want string
	}{
		{"a first reply adds Re: and the request's tag", "Ajout de licences", newID, "Re: Ajout de licences [" + newID + "]"},
		{"a reply in a conversation replaces the earlier tag with the newest request's", "Re: Ajout de licences [" + oldID + "]", newID, "Re: Ajout de licences [" + newID + "]"},
		{"prefixes never pile up, in any client's language", "RE : Re: TR: AW: Fwd: add 5", newID, "Re: add 5 [" + newID + "]"},
		{"a tag between prefixes goes too", "Re: [" + oldID + "] Re: add 5", newID, "Re: add 5 [" + newID + "]"},
		{"several earlier tags leave one, the newest", "Re: add 5 [" + oldID + "] [" + oldID + "]", newID, "Re: add 5 [" + newID + "]"},
		{"a subject already tagged with this request keeps one tag", "Re: add 5 [" + newID + "]", newID, "Re: add 5 [" + newID + "]"},
		{"a numbered prefix goes", "Re[2]: add 5", newID, "Re: add 5 [" + newID + "]"},
		{"an empty subject is named", "", newID, "Re: Licences [" + newID + "]"},
		{"a reply with no request has no tag, and loses an earlier one", "Re: add 5 [" + oldID + "]", "", "Re: add 5"},
		{"other bracketed words are the customer's and stay", "[Externe] add 5", newID, "Re: [Externe] add 5 [" + newID + "]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := replySubject(c.orig, c.id); got != c.want {
				t.Errorf("replySubject(%q) = %q, want %q", c.orig, got, c.want)
			}
		})
	}
}

func TestFirstName(t *testing.T) {
	cases := []struct {
		name, from, want string
	}{
		{"a first and last name greets the first name", "Marie Martin", "Marie"},
		{"Last, First greets the first name", "Martin, Marie", "Marie"},
		{"a role and a company written Last, First greet the part after the comma", "Buyer, Fabrikam", "Fabrikam"},
		{"a quoted name is unquoted", `"Martin, Marie"`, "Marie"},
		{"a name in capitals is written as a name", "JEAN DUPONT", "Jean"},
		{"a French last name in capitals comes first", "MARTIN Marie", "Marie"},
		{"a compound first name after a last name in capitals stays whole", "DUPONT Jean-Pierre", "Jean-Pierre"},
		{"a compound first name in capitals is written as a name", "JEAN-PIERRE DUPONT", "Jean-Pierre"},
		{"an address in the name is dropped", "Marie Martin (marie.martin@contoso.com)", "Marie"},
		{"an address in angle brackets is dropped", "Marie Martin <marie@contoso.com>", "Marie"},
		{"a name that is only an address greets nobody", "it@contoso.com", ""},
		{"a quoted address greets nobody", `'it@contoso.com'`, ""},
		{"a single word is the first name", "Hélène", "Hélène"},
		{"a group's name after via is dropped", "Marie Martin via Contoso IT", "Marie"},
		{"a team greets nobody", "Fabrikam Service Desk", ""},
		{"a department greets nobody", "IT Department", ""},
		{"a title keeps the whole name", "M. Martin", "M. Martin"},
		{"an empty name greets nobody", "  ", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := firstName(c.from); got != c.want {
				t.Errorf("firstName(%q) = %q, want %q", c.from, got, c.want)
			}
		})
	}
}

func composer(t *testing.T) *Composer {
	t.Helper()
	c, err := NewComposer("licences@desk.example", "Le support licences", ledger.DefaultCatalog())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func f(v float64) *float64 { return &v }

// entries are one outbox entry of each outcome a reply must say.
func entries(lang string) map[string]ledger.OutboxEntry {
	at := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	origin := ledger.Origin{Channel: ledger.ChannelEmail, MessageID: "m1@contoso.com", References: "m0@contoso.com",
		From: "marie.martin@contoso.com", FromName: "Martin, Marie", Subject: "Re: Licences [" + oldID + "]"}
	add := ledger.OpResult{Op: ledger.OpAdd, SKU: "SPB", Quantity: 2, Outcome: ledger.OutcomeApplied, Currency: "EUR",
		Before: &ledger.Figures{Total: 13, Assigned: 11}, After: &ledger.Figures{Total: 15, Assigned: 11}, MonthlyCost: f(330), Prorated: f(40.5)}
	entry := func(kind string, res ledger.Result) ledger.OutboxEntry {
		res.RequestID, res.Language, res.At = newID, lang, at
		return ledger.OutboxEntry{Kind: kind, RequestID: newID, Tenant: "contoso", Language: lang, Origin: origin, Result: res, At: at}
	}
	pending := add
	pending.Outcome = ledger.OutcomePending
	refused := add
	refused.Op, refused.Outcome, refused.Code = ledger.OpRemove, ledger.OutcomeRefused, ledger.ReductionWindowPassed
	refused.After, refused.MonthlyCost, refused.Prorated = refused.Before, nil, nil
	return map[string]ledger.OutboxEntry{
		"applied": entry("result", ledger.Result{Status: ledger.StatusApplied, Ops: []ledger.OpResult{add},
			Understood: []ledger.Op{{Kind: ledger.OpAdd, SKU: "SPB", Quantity: 2}}}),
		"pending": entry("pending", ledger.Result{Status: ledger.StatusPendingApproval, Ops: []ledger.OpResult{pending}}),
		"refused": entry("result", ledger.Result{Status: ledger.StatusRefused, Ops: []ledger.OpResult{refused},
			Errors: []ledger.Error{{Code: ledger.ReductionWindowPassed, Message: "seats are final"}}}),
		"clarification": entry("result", ledger.Result{Status: ledger.StatusNeedsClarification,
			Errors: []ledger.Error{{Code: ledger.AmbiguousProduct, Message: "retirer 1 Visio", Candidates: []string{"VISIOCLIENT"},
				Partial: &ledger.Op{Kind: ledger.OpRemove, Quantity: 1}},
				{Code: ledger.InvalidRequest, Message: "attribuer E3", Partial: &ledger.Op{Kind: ledger.OpAssign, SKU: "ENTERPRISEPACK"}}}}),
		"answered": entry("result", ledger.Result{Status: ledger.StatusAnswered, Answer: &ledger.Answer{Products: []ledger.AnswerLine{
			{SKU: "SPB", Total: 15, Assigned: 13, Available: 2, SeatPrice: 22, Term: "P1Y", Currency: "EUR", Held: true, More: 3, MoreMonthly: 66, MoreProrated: 48.12}}}}),
		"switch": entry("result", ledger.Result{Status: ledger.StatusApplied, Ops: []ledger.OpResult{{Op: ledger.OpSwitch, SKU: "O365_BUSINESS_PREMIUM", To: "SPB",
			Outcome: ledger.OutcomeApplied, Currency: "EUR", Before: &ledger.Figures{Total: 10, Assigned: 8}, After: &ledger.Figures{Total: 10, Assigned: 7},
			ToBefore: &ledger.Figures{Total: 15, Assigned: 15}, ToAfter: &ledger.Figures{Total: 16, Assigned: 16}, Bought: 1,
			MonthlyCost: f(126), ToCost: f(352), Prorated: f(12.3), Detail: "1 seats of O365_BUSINESS_PREMIUM are now free",
			UserResults: []ledger.UserOutcome{{UPN: "alice@contoso.com", Outcome: ledger.OutcomeApplied}}}}}),
	}
}

// textPart decodes the text/plain part of a composed message.
func textPart(t *testing.T, raw []byte) (*mail.Header, string) {
	t.Helper()
	mr, err := mail.CreateReader(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			t.Fatal("no text/plain part")
		}
		if err != nil {
			t.Fatal(err)
		}
		if h, ok := p.Header.(*mail.InlineHeader); ok {
			if ct, _, _ := h.ContentType(); ct == "text/plain" {
				b, err := io.ReadAll(p.Body)
				if err != nil {
					t.Fatal(err)
				}
				// Quoted-printable carries text lines as CRLF (RFC 2045 §6.7).
				return &mr.Header, strings.ReplaceAll(string(b), "\r\n", "\n")
			}
		}
	}
}

func TestComposeSaysWhatTheTemplatesSay(t *testing.T) {
	c := composer(t)
	for _, lang := range []string{"fr", "en"} {
		for kind, e := range entries(lang) {
			t.Run("the "+kind+" reply in "+lang+" is the templates' text for the entry", func(t *testing.T) {
				r, err := c.Compose(e)
				if err != nil {
					t.Fatal(err)
				}
				want, wantHTML := c.render.EmailReply(c.email(e))
				h, got := textPart(t, r.Raw)
				if got != want || r.Text != want || r.HTML != wantHTML {
					t.Errorf("the text part is not the templates' text:\n got: %q\nwant: %q", got, want)
				}
				greeting := map[string]string{"fr": "Bonjour Marie,\n", "en": "Hello Marie,\n"}[lang]
				if !strings.HasPrefix(got, greeting) {
					t.Errorf("the greeting should use the first name:\n%s", got)
				}
				if s, _ := h.Subject(); s != "Re: Licences ["+newID+"]" {
					t.Errorf("subject %q", s)
				}
				if h.Get("Auto-Submitted") != "auto-replied" || h.Get("Content-Language") != lang {
					t.Errorf("headers: Auto-Submitted %q, Content-Language %q", h.Get("Auto-Submitted"), h.Get("Content-Language"))
				}
				if irt, _ := h.MsgIDList("In-Reply-To"); len(irt) != 1 || irt[0] != "m1@contoso.com" {
					t.Errorf("In-Reply-To %v", irt)
				}
				if refs, _ := h.MsgIDList("References"); strings.Join(refs, " ") != "m0@contoso.com m1@contoso.com" {
					t.Errorf("References %v", refs)
				}
				again, _ := c.Compose(e)
				if id, _ := h.MessageID(); id != r.MessageID || again.MessageID != r.MessageID || RequestOf(r.MessageID) != newID {
					t.Errorf("the Message-ID %q should be a function of the entry naming its request (again %q)", r.MessageID, again.MessageID)
				}
			})
		}
	}
}

func TestComposeCarriesWhatEachReplyNeeds(t *testing.T) {
	c := composer(t)
	cases := []struct {
		name, lang, kind string
		want             []string
	}{
		{"an answered question in French gets the figures and says nothing changed", "fr", "answered", []string{"Voici les informations demandées", "15 licences, dont 13 attribuées et 2 libres", "Rien n'a été modifié"}},
		{"an answered question in English gets the figures and says nothing changed", "en", "answered", []string{"Here is what you asked", "15 licences: 13 assigned, 2 free", "Nothing was changed"}},
		{"a clarification in French restates the partial operation and asks for a user of the sender's domain", "fr", "clarification",
			[]string{"retirer 1 ×\u00a0?", "par exemple «\u00a0Visio Plan 2\u00a0»", "«\u00a0alice@contoso.com\u00a0»"}},
		{"a clarification in English restates the partial operation and asks for a user of the sender's domain", "en", "clarification",
			[]string{"remove 1 ×\u00a0?", "for example 'Visio Plan 2'", "'alice@contoso.com'"}},
		{"a switch in French says who moved", "fr", "switch", []string{"Passage de 1 utilisateur de Microsoft 365 Business Standard à Microsoft 365 Business Premium"}},
		{"a switch in English says who moved", "en", "switch", []string{"Moved to Microsoft 365 Business Premium (1): alice@contoso.com."}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := c.Compose(entries(tc.lang)[tc.kind])
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.Text, w) {
					t.Errorf("lacks %q:\n%s", w, r.Text)
				}
			}
		})
	}
}

func TestCustomerDomain(t *testing.T) {
	cases := []struct {
		name string
		e    ledger.OutboxEntry
		want string
	}{
		{"the domain of a user the request names comes first", ledger.OutboxEntry{Origin: ledger.Origin{From: "x@gmail.com"},
			Result: ledger.Result{Understood: []ledger.Op{{Kind: ledger.OpAssign, Users: []string{"bob@Contoso.com"}}}}}, "contoso.com"},
		{"else the sender's domain", ledger.OutboxEntry{Origin: ledger.Origin{From: "it@fabrikam.com"}}, "fabrikam.com"},
		{"a public mailbox provider is nobody's domain", ledger.OutboxEntry{Origin: ledger.Origin{From: "pierre.martin1987@gmail.com"}}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := customerDomain(c.e); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}
