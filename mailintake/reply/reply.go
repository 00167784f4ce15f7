// Package reply composes the email a licence request is answered with
// (SPEC §4.5), from the outbox entry the ledger queued in the same step as
// the request (DESIGN "Outbox"): `mail ingest` prints, and the SMTP sender
// delivers, the same composition of the same entry.
package reply

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/licensedesk/licensedesk/ledger"
	"github.com/licensedesk/licensedesk/templates"
)

// Reply is an email answer, composed and ready to send.
type Reply struct {
	From, To  string
	Subject   string
	MessageID string // without <>
	InReplyTo string // the Message-ID answered, without <>; "" when none
	Text      string
	HTML      string
	// Raw is the whole RFC 5322 message.
	Raw []byte
}

// idPattern recognises the Message-ID of our replies, which carries the
// request id, so a customer's answer to it finds the request.
var idPattern = regexp.MustCompile(`^(LD-[0-9A-HJKMNP-TV-Z]{26})\.[a-z]+\.[0-9a-f]+@`)

// Composer renders replies for one desk. It is safe for concurrent use.
type Composer struct {
	desk, deskName string
	render         *templates.Renderer
}

// NewComposer returns a composer for the desk's address and signature.
func NewComposer(desk, deskName string, cat *ledger.Catalog) (*Composer, error) {
	r, err := templates.New(cat)
	if err != nil {
		return nil, err
	}
	return &Composer{desk: strings.ToLower(strings.TrimSpace(desk)), deskName: deskName, render: r}, nil
}

// Compose renders the reply an outbox entry asks for (SPEC §4.5): to the
// sender, "Re: <subject> [LD-…]", threaded with In-Reply-To and References,
// marked Auto-Submitted: auto-replied, text and HTML, in the language the
// entry carries (decided once, when the request was recorded). The
// Message-ID is a function of the entry, so a resend can be recognised.
func (c *Composer) Compose(e ledger.OutboxEntry) (*Reply, error) {
	em := c.email(e)
	lang := em.Lang
	text, html := c.render.EmailReply(em)

	from := c.desk
	if from == "" {
		from = "licensedesk@localhost"
	}
	domain := from[strings.LastIndexByte(from, '@')+1:]
	sum := sha256.Sum256([]byte(e.Kind + e.RequestID + e.Origin.MessageID + e.At.String()))
	idPart := e.RequestID
	if idPart == "" {
		idPart = "ld-unknown"
	}
	r := &Reply{From: from, To: e.Origin.From, Subject: replySubject(e.Origin.Subject, e.RequestID),
		MessageID: fmt.Sprintf("%s.%s.%s@%s", idPart, e.Kind, hex.EncodeToString(sum[:6]), domain), InReplyTo: e.Origin.MessageID, Text: text, HTML: html}

	var h mail.Header
	h.SetDate(e.At)
	if e.At.IsZero() {
		h.SetDate(time.Now())
	}
	h.SetAddressList("From", []*mail.Address{{Name: c.deskName, Address: from}})
	h.SetAddressList("To", []*mail.Address{{Name: e.Origin.FromName, Address: e.Origin.From}})
	h.SetSubject(r.Subject)
	h.SetMessageID(r.MessageID)
	if e.Origin.MessageID != "" {
		h.SetMsgIDList("In-Reply-To", []string{e.Origin.MessageID})
		refs := strings.Fields(e.Origin.References)
		h.SetMsgIDList("References", append(refs, e.Origin.MessageID))
	}
	h.Set("Auto-Submitted", "auto-replied")  // RFC 3834: no auto-reply to this
	h.Set("X-Auto-Response-Suppress", "All") // and no Outlook out-of-office either
	h.Set("Content-Language", lang)
	if e.RequestID != "" {
		h.Set("X-Licensedesk-Request", e.RequestID)
	}
	h.SetContentType("multipart/alternative", nil)
	var buf bytes.Buffer
	w, err := message.CreateWriter(&buf, h.Header)
	if err != nil {
		return nil, fmt.Errorf("reply: compose: %w", err)
	}
	for _, part := range []struct{ ctype, body string }{{"text/plain", text}, {"text/html", html}} {
		var ph message.Header
		ph.SetContentType(part.ctype, map[string]string{"charset": "utf-8"})
		ph.Set("Content-Transfer-Encoding", "quoted-printable")
		pw, err := w.CreatePart(ph)
		if err != nil {
			return nil, fmt.Errorf("reply: compose: %w", err)
		}
		if _, err := pw.Write([]byte(part.body)); err != nil {
			return nil, fmt.Errorf("reply: compose: %w", err)
		}
		pw.Close()
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("reply: compose: %w", err)
	}
	r.Raw = buf.Bytes()
	return r, nil
}

// email is what the reply to an entry says: everything the templates
// need, read from the entry alone, so that every composition of one entry
// says the same.
func (c *Composer) email(e ledger.OutboxEntry) templates.Email {
	lang := e.Language
	if lang == "" {
		lang = e.Result.Language
	}
	if lang == "" {
		lang = "en"
	}
	res := e.Result
	em := templates.Email{Lang: lang, Kind: replyKind(e), Name: firstName(e.Origin.FromName), Desk: c.deskName,
		Subject: e.Origin.Subject, RequestID: e.RequestID, Understood: res.Understood, Domain: customerDomain(e)}
	switch em.Kind {
	case "clarification":
		for _, er := range res.Errors {
			em.Issues = append(em.Issues, templates.Issue{Code: er.Code, Text: er.Message, Detail: er.Detail,
				Candidates: er.Candidates, Partial: er.Partial})
		}
	case "refusal":
		if len(res.Errors) > 0 {
			em.Code = res.Errors[0].Code
		}
	case "answered":
		em.Answer = res.Answer
		em.Result = &res
	default:
		em.Result = &res
	}
	if em.Kind == "refusal" && em.Code == ledger.UnauthorizedSender {
		em.RequestID = "" // nothing was recorded for a stranger
		em.Domain = ""
	}
	return em
}

// replyKind chooses the wording of a reply from its entry.
func replyKind(e ledger.OutboxEntry) string {
	switch {
	case e.Kind == "pending" || e.Kind == "decision":
		return e.Kind
	case e.Result.Status == ledger.StatusNeedsClarification:
		return "clarification"
	case e.Result.Status == ledger.StatusAnswered && e.Result.Answer != nil:
		return "answered"
	case e.Result.Status == ledger.StatusRefused && len(e.Result.Ops) == 0:
		return "refusal"
	}
	return "result"
}

// rePrefix matches the reply and forward prefixes of a subject, in the
// languages of the desk's customers' mail clients ("Re:", "RE :", "TR:",
// "Fwd:", "AW:"…), and reTag the request tags of the desk's
// replies.
var (
	rePrefix = regexp.MustCompile(`(?i)^\s*((re|tr|fw|fwd|aw|wg|sv|antw)\s*(\[\d+\])?\s*:\s*)+`)
	reTag    = regexp.MustCompile(`\s*\[LD-[0-9A-Za-z]+\]`)
)

// replySubject is "Re: <original> [LD-…]" (SPEC §4.5). A conversation
// moves to its newest request (SPEC §4.6): an earlier [LD-…] tag is
// replaced by id, and prefixes never pile up, wherever a client put them
// ("Re: [LD-1] Re: add 5").
func replySubject(orig, id string) string {
	s := orig
	for {
		next := strings.TrimSpace(rePrefix.ReplaceAllString(reTag.ReplaceAllString(s, ""), ""))
		if next == s {
			break
		}
		s = next
	}
	if s == "" {
		s = "Licences"
	}
	if id != "" {
		s += " [" + id + "]"
	}
	return "Re: " + s
}

// firstName is how a reply greets the sender: by the first name of the
// From display name ("Bonjour Marie,"), and not at all when the name is
// no person's or cannot be told. It reads "Last, First" ("Martin,
// Marie"), the French "MARTIN Marie", quoted names, and names that carry
// an address ("Marie Martin (marie@contoso.com)").
func firstName(name string) string {
	name = reAddress.ReplaceAllString(name, " ")
	name = reComment.ReplaceAllString(name, " ")
	if i := strings.Index(strings.ToLower(name), " via "); i > 0 {
		name = name[:i] // "Marie Martin via Contoso IT" (a list or group)
	}
	name = strings.Trim(strings.TrimSpace(name), "\"'“”‘’«» \t")
	if last, first, ok := strings.Cut(name, ","); ok {
		name = strings.TrimSpace(first)
		if name == "" {
			name = strings.TrimSpace(last)
		}
	}
	words := strings.Fields(strings.Trim(name, "\"'“”‘’«» "))
	if len(words) == 0 {
		return ""
	}
	for _, w := range words {
		if notPerson[strings.ToLower(strings.Trim(w, ".-_"))] {
			return "" // "IT Department", "Fabrikam Service Desk", "no-reply"
		}
	}
	first := words[0]
	if strings.HasSuffix(first, ".") && len([]rune(first)) <= 4 {
		// "M. Martin", "Dr. Smith", "J. Martin": greet the whole name.
		return strings.Join(words, " ")
	}
	if len(words) > 1 && upper(first) {
		// "MARTIN Marie": French puts the last name first, in capitals.
		for _, w := range words[1:] {
			if !upper(w) {
				return w
			}
		}
	}
	if upper(first) && len([]rune(first)) > 1 {
		return titleCase(first) // "JEAN DUPONT"
	}
	return first
}

var (
	// reAddress matches an address in a display name, bracketed or not.
	reAddress = regexp.MustCompile(`<[^>]*>|[^\s<>()"',;]+@[^\s<>()"',;]*`)
	// reComment matches a parenthesised or bracketed remark: "(Contoso)".
	reComment = regexp.MustCompile(`\([^)]*\)|\[[^\]]*\]`)
)

// notPerson are words of display names that are not a person's.
var notPerson = map[string]bool{
	"desk": true, "helpdesk": true, "servicedesk": true, "service": true, "support": true, "team": true,
	"department": true, "dept": true, "admin": true, "administrator": true, "accounts": true, "accounting": true,
	"billing": true, "it": true, "noreply": true, "no-reply": true, "mailer-daemon": true, "postmaster": true,
	"équipe": true, "comptabilité": true, "informatique": true, "achats": true, "purchasing": true,
	"procurement": true, "licences": true, "licenses": true, "info": true, "contact": true,
}

// upper reports whether a word has letters, all of them capitals.
func upper(w string) bool {
	letters := false
	for _, r := range w {
		if unicode.IsLetter(r) {
			letters = true
			if !unicode.IsUpper(r) {
				return false
			}
		}
	}
	return letters
}

// titleCase writes a name in capitals as a name: "JEAN-PIERRE" →
// "Jean-Pierre".
func titleCase(w string) string {
	var b strings.Builder
	start := true
	for _, r := range w {
		if start {
			b.WriteRune(unicode.ToUpper(r))
		} else {
			b.WriteRune(unicode.ToLower(r))
		}
		start = !unicode.IsLetter(r)
	}
	return b.String()
}

// customerDomain is the customer's domain, for an example of a user's
// address in a question: that of a user the request names, else the
// sender's, unless it is a public mailbox provider's.
func customerDomain(e ledger.OutboxEntry) string {
	var ops []ledger.Op
	ops = append(ops, e.Result.Understood...)
	for _, er := range e.Result.Errors {
		if er.Partial != nil {
			ops = append(ops, *er.Partial)
		}
	}
	for _, op := range ops {
		for _, u := range op.Users {
			if _, d, ok := strings.Cut(u, "@"); ok && d != "" {
				return strings.ToLower(d)
			}
		}
	}
	_, d, ok := strings.Cut(e.Origin.From, "@")
	d = strings.ToLower(strings.TrimSpace(d))
	if !ok || d == "" || publicMail[d] || !strings.Contains(d, ".") {
		return ""
	}
	return d
}

// publicMail are mailbox providers whose domain is nobody's organisation.
var publicMail = map[string]bool{
	"gmail.com": true, "googlemail.com": true, "outlook.com": true, "hotmail.com": true, "hotmail.fr": true,
	"live.com": true, "live.fr": true, "msn.com": true, "yahoo.com": true, "yahoo.fr": true, "icloud.com": true,
	"me.com": true, "aol.com": true, "gmx.com": true, "gmx.fr": true, "proton.me": true, "protonmail.com": true,
	"orange.fr": true, "wanadoo.fr": true, "free.fr": true, "laposte.net": true, "sfr.fr": true, "bbox.fr": true,
}

// RequestOf returns the request id carried by the Message-ID of one of our
// replies (without <>), or "" for any other id.
func RequestOf(messageID string) string {
	if m := idPattern.FindStringSubmatch(messageID); m != nil {
		return m[1]
	}
	return ""
}
