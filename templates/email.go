package templates

import (
	"bytes"
	htmltemplate "html/template"
	"strconv"
	"strings"

	"github.com/licensedesk/licensedesk/ledger"
)

// Issue is a part of an email that was not understood with certainty.
type Issue struct {
	Code       ledger.Code
	Text       string
	Detail     string   // in the reply's language, or ""
	Candidates []string // the SKUs an ambiguous name could mean
	// Partial is what was understood of the operation the issue is about,
	// its missing part empty (SPEC §4.6): the reply restates it with the
	// missing part as "?".
	Partial *ledger.Op
}

// Email is what an email reply says. Kind is "result" (the outcome of a
// request), "pending", "decision", "clarification" (needs_clarification),
// "answered" (a question about the tenant's own licences, with Answer) or
// "refusal" (a message refused before it reached the ledger, with Code).
type Email struct {
	Lang       string
	Kind       string
	Name       string // the contact's first name, when known
	Desk       string // the signature
	Subject    string
	RequestID  string
	Result     *ledger.Result
	Understood []ledger.Op
	Issues     []Issue
	Code       ledger.Code
	// Answer holds the figures of an answered question (Kind "answered").
	Answer *ledger.Answer
	// Domain is the customer's domain, for examples of a user's address
	// ("alice@contoso.com"); "" for a neutral example.
	Domain string
}

// emailData adds what the templates derive from an Email.
type emailData struct {
	Email
	Status   ledger.Status
	DryRun   bool
	Rejected bool
	Expired  bool
	Reason   string
}

// EmailReply renders the plain text and HTML bodies of a reply, in the
// email's language.
func (r *Renderer) EmailReply(e Email) (text, html string) {
	lang := Lang(e.Lang)
	d := emailData{Email: e}
	if d.Desk == "" {
		d.Desk = map[string]string{"fr": "Le support licences", "en": "The licence desk"}[lang]
	}
	if e.Result != nil {
		d.Status = e.Result.Status
		d.DryRun = e.Result.Status == ledger.StatusDryRun
		if dec := e.Result.Decision; dec != nil {
			d.Rejected = !dec.Approved
			d.Reason = dec.Reason
		}
		for _, er := range e.Result.Errors {
			if er.Code == ledger.RequestExpired {
				d.Expired = true
			}
		}
	}
	text = r.exec(lang+"/email/text", d)
	if lang == "fr" {
		text = frenchTypography(text)
	}
	return text, r.textToHTML(lang, e.Subject, text)
}

// issueHint is what to answer to a question of a clarification, with an
// example built from the issue: Kind is "product", "quantity", "user" or
// "" (no hint: the explanation says it all).
type issueHint struct {
	Kind    string
	Example string
}

// issueView is an issue with what to answer to it.
type issueView struct {
	Issue
	Hint issueHint
}

// genericProduct is the example of a product name when an issue offers
// none.
const genericProduct = "SPB"

// hint says what to answer to an issue (SPEC §4.6), and gives an example
// to copy: the first candidate of an ambiguous name, a suggestion for an
// unknown one, a number, or a user of the customer's domain.
func (r *Renderer) hint(is Issue, lang, domain string) issueHint {
	switch is.Code {
	case ledger.AmbiguousProduct, ledger.UnknownProduct:
		sku := genericProduct
		if len(is.Candidates) > 0 {
			sku = is.Candidates[0]
		} else if s := r.cat.Suggest(is.Text, 1); len(s) == 1 {
			sku, _, _ = strings.Cut(s[0], " (") // "SKU (Name)"
		}
		return issueHint{Kind: "product", Example: r.productName(sku)}
	case ledger.QuantityMissing, ledger.InvalidQuantity:
		return issueHint{Kind: "quantity", Example: "3"}
	case ledger.UnknownUser, ledger.InvalidUser, ledger.ForeignUser:
		return issueHint{Kind: "user", Example: exampleUser(lang, domain)}
	}
	if p := is.Partial; p != nil && len(p.Users) == 0 && !p.All {
		switch p.Kind {
		case ledger.OpAssign, ledger.OpUnassign, ledger.OpSwitch:
			return issueHint{Kind: "user", Example: exampleUser(lang, domain)}
		}
	}
	return issueHint{}
}

// exampleUser is an address to give as an example: at the customer's
// domain when known.
func exampleUser(lang, domain string) string {
	if domain != "" {
		return "alice@" + domain
	}
	if Lang(lang) == "fr" {
		return "alice@votredomaine.fr"
	}
	return "alice@yourdomain.com"
}

// askExample is a request the customer could write to change what an
// answer told them about: "add 3 Microsoft 365 Business Premium", or
// "remove 2 …" for seats the report says can be returned now.
func (r *Renderer) askExample(lang string, a *ledger.Answer) string {
	verbs := map[bool]map[string]string{
		true:  {"fr": "ajouter", "en": "add"},
		false: {"fr": "retirer", "en": "remove"},
	}
	lang = Lang(lang)
	if a != nil {
		for _, p := range a.Products {
			return verbs[true][lang] + " " + strconv.Itoa(max(p.More, 1)) + " " + r.productName(p.SKU)
		}
		if a.Report != nil {
			for _, p := range a.Report.Products {
				n := 0
				for _, b := range p.ReturnableNow {
					n += b.Quantity
				}
				if n = min(n, p.Unassigned); n > 0 {
					return verbs[false][lang] + " " + strconv.Itoa(n) + " " + r.productName(p.SKU)
				}
			}
			for _, p := range a.Report.Products {
				return verbs[true][lang] + " 1 " + r.productName(p.SKU)
			}
		}
	}
	return verbs[true][lang] + " 1 " + r.productName(genericProduct)
}

type htmlBlock struct {
	List  bool
	Items [][]string // the lines of each paragraph line or list item
}

// textToHTML lays the text reply out as HTML paragraphs and lists, escaped
// by html/template, so both parts of the reply say exactly the same. A
// line indented under a list item ("  - …" then "    …") continues that
// item.
func (r *Renderer) textToHTML(lang, subject, text string) string {
	var blocks []htmlBlock
	for _, para := range strings.Split(strings.TrimSpace(text), "\n\n") {
		var cur *htmlBlock
		itemIndent := -1
		for _, line := range strings.Split(para, "\n") {
			trimmed := strings.TrimSpace(line)
			indent := len(line) - len(strings.TrimLeft(line, " "))
			item := strings.HasPrefix(trimmed, "- ")
			if !item && cur != nil && cur.List && indent > itemIndent {
				last := &cur.Items[len(cur.Items)-1]
				*last = append(*last, trimmed)
				continue
			}
			if cur == nil || cur.List != item {
				blocks = append(blocks, htmlBlock{List: item})
				cur = &blocks[len(blocks)-1]
			}
			if item {
				trimmed = strings.TrimPrefix(trimmed, "- ")
				itemIndent = indent
			}
			if item || len(cur.Items) == 0 {
				cur.Items = append(cur.Items, []string{trimmed})
			} else {
				last := &cur.Items[len(cur.Items)-1]
				*last = append(*last, trimmed)
			}
		}
	}
	var b bytes.Buffer
	if err := r.html.ExecuteTemplate(&b, "email/html", map[string]any{"Lang": lang, "Subject": subject, "Blocks": blocks}); err != nil {
		return ""
	}
	return b.String()
}

// newHTML parses the HTML layout.
func newHTML() (*htmltemplate.Template, error) {
	return htmltemplate.New("").ParseFS(files, "email_html.tmpl")
}
