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
	lang := e.Language
	if lang == "" {
		lang = e.Result.Language
	}
	if lang == "" {
		lang = "en"
	}
	res := e.Result
	em := templates.Email{Lang: lang, Kind: replyKind(e), Name: firstName(e.Origin.FromName), Desk: c.deskName,
		Subject: e.Origin.Subject, RequestID: e.RequestID, Understood: res.Understood}
	switch em.Kind {
	case "clarification":
		for _, er := range res.Errors {
			em.Issues = append(em.Issues, templates.Issue{Code: er.Code, Text: er.Message, Detail: er.Detail, Candidates: er.Candidates})
		}
	case "refusal":
		if len(res.Errors) > 0 {
			em.Code = res.Errors[0].Code
		}
	default:
		em.Result = &res
	}
	if em.Kind == "refusal" && em.Code == ledger.UnauthorizedSender {
		em.RequestID = "" // nothing was recorded for a stranger
	}
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
		MessageID: fmt.Sprintf("%s.%s.%s@%s", idPart, e.Kind, hex.EncodeToString(sum[:6]), domain), Text: text, HTML: html}

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

// replyKind chooses the wording of a reply from its entry.
func replyKind(e ledger.OutboxEntry) string {
	switch {
	case e.Kind == "pending" || e.Kind == "decision":
		return e.Kind
	case e.Result.Status == ledger.StatusNeedsClarification:
		return "clarification"
	case e.Result.Status == ledger.StatusRefused && len(e.Result.Ops) == 0:
		return "refusal"
	}
	return "result"
}

var rePrefix = regexp.MustCompile(`(?i)^\s*((re|tr|fw|fwd|aw|sv|antw)\s*(\[\d+\])?\s*:\s*)+`)

// replySubject is "Re: <original> [LD-…]", without piling up prefixes or
// tags.
func replySubject(orig, id string) string {
	s := strings.TrimSpace(rePrefix.ReplaceAllString(orig, ""))
	if s == "" {
		s = "Licences"
	}
	if id != "" && !strings.Contains(s, "["+id+"]") {
		s += " [" + id + "]"
	}
	return "Re: " + s
}

func firstName(name string) string {
	name = strings.TrimSpace(strings.Trim(name, `"'`))
	if strings.ContainsAny(name, "@<>") {
		return ""
	}
	return name
}

// RequestOf returns the request id carried by the Message-ID of one of our
// replies (without <>), or "" for any other id.
func RequestOf(messageID string) string {
	if m := idPattern.FindStringSubmatch(messageID); m != nil {
		return m[1]
	}
	return ""
}
