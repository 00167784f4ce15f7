package templates

import (
	"bytes"
	htmltemplate "html/template"
	"strings"

	"github.com/licensedesk/licensedesk/ledger"
)

// Issue is a part of an email that was not understood with certainty.
type Issue struct {
	Code       ledger.Code
	Text       string
	Detail     string   // in the reply's language, or ""
	Candidates []string // the SKUs an ambiguous name could mean
}

// Email is what an email reply says. Kind is "result" (the outcome of a
// request), "pending", "decision", "clarification" (needs_clarification)
// or "refusal" (a message refused before it reached the ledger, with Code).
type Email struct {
	Lang       string
	Kind       string
	Name       string // the contact's name, when known
	Desk       string // the signature
	Subject    string
	RequestID  string
	Result     *ledger.Result
	Understood []ledger.Op
	Issues     []Issue
	Code       ledger.Code
}

// emailData adds what the templates derive from an Email.
type emailData struct {
	Email
	Status   ledger.Status
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
	return text, r.textToHTML(lang, e.Subject, text)
}

type htmlBlock struct {
	List  bool
	Lines []string
}

// textToHTML lays the text reply out as HTML paragraphs and lists, escaped
// by html/template, so both parts of the reply say exactly the same.
func (r *Renderer) textToHTML(lang, subject, text string) string {
	var blocks []htmlBlock
	for _, para := range strings.Split(strings.TrimSpace(text), "\n\n") {
		var cur *htmlBlock
		for _, line := range strings.Split(para, "\n") {
			item := strings.HasPrefix(strings.TrimSpace(line), "- ")
			if cur == nil || cur.List != item {
				blocks = append(blocks, htmlBlock{List: item})
				cur = &blocks[len(blocks)-1]
			}
			if item {
				line = strings.TrimPrefix(strings.TrimSpace(line), "- ")
			}
			cur.Lines = append(cur.Lines, strings.TrimSpace(line))
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
