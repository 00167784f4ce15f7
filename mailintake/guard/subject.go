package guard

import (
	"fmt"
	"io"
	"mime"
	"net"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
)

// maxSubjectBytes bounds the work done on a hostile subject. The prefixes
// sit at the start and the markers in the first words, so nothing useful is
// lost.
const maxSubjectBytes = 2048

// colonPrefixes start the subject of an auto-reply or a bounce and end with
// a colon: the colon is what tells "Automatic reply: Order" (Outlook) from a
// human's "Automatic reply settings". They are matched after lower-casing and
// after a space before a colon was removed (French writes "Non remis :").
var colonPrefixes = []string{
	// Out-of-office and other auto-replies: Outlook/Exchange in the languages
	// of our customers and of the corpora, Apple/iCloud, generic responders.
	"automatic reply:", "auto reply:", "auto-reply:", "autoreply:",
	"automatic response:", "auto response:", "auto-response:", "autoresponse:",
	"out of office:", "out of office reply:",
	"réponse automatique:", "reponse automatique:", "absence du bureau:",
	"automatische antwort:", "abwesenheitsnotiz:", "respuesta automática:",
	"respuesta automatica:", "risposta automatica:", "automatisch antwoord:",
	"resposta automática:", "automatyczna odpowiedź:", "automatisk svar:",
	"automaattinen vastaus:", "автоматический ответ:",
	// Bounces and delay notices: Exchange ("Undeliverable:", "Non remis :",
	// "Unzustellbar:", "Delivery delayed:") and its translations.
	"undeliverable:", "undelivered mail:", "non remis:", "non distribuable:",
	"unzustellbar:", "onbestelbaar:", "non recapitabile:", "no se puede entregar:",
	"não é possível entregar:", "delivery delayed:", "message delivery failure:",
	"nondeliverable mail:",
}

// phrasePrefixes start a machine subject as a whole phrase (followed by the
// end or a non-letter), with or without a colon.
var phrasePrefixes = []string{
	"[automatyczna odpowiedź]", // Polish auto-reply (rjbs polish-autoreply)
	"out of office autoreply",  // Exchange 2003
	"delivery status notification",
	"notification d'état de remise", // French Exchange DSN
	"notification d’état de remise",
	"mail delivery status notification",
	"undelivered mail returned to sender", // Postfix
	"returned mail",                       // sendmail "Returned mail: see transcript…"
	"mail delivery failed",                // Exim
	"mail delivery failure",
	"mail delivery problem",
	"message delivery has failed",
	"permanent delivery failure",
	"mail failed, returning to sender",
	"delayed mail (still being retried)", // Postfix delay notice
	"warning: could not send message",    // sendmail delay notices
	"warning--could not send mail",
	"failure notice", // qmail
	"message undeliverable",
	"undeliverable message",
	"undeliverable mail",
	"mail system error",
	"delivery notification: delivery has failed", // Lotus Domino
}

// caseSensitivePrefixes are only safe in the exact case machines write them:
// Lotus Notes "AUTO: Jane Doe is out of the office" and Domino "DELIVERY
// FAILURE: User … not listed", where "Delivery failure: my key never came"
// could be a customer's.
var caseSensitivePrefixes = []string{"AUTO:", "DELIVERY FAILURE:"}

// autoReplyMarkers may appear anywhere in an auto-reply subject ("RE:
// Automatic reply: …", "Fw: Out of Office"). They are only trusted together
// with X-Auto-Response-Suppress, since a human may write "automatic reply"
// in a sentence.
var autoReplyMarkers = []string{
	"automatic reply", "auto reply", "auto-reply", "autoreply",
	"automatic response", "auto response", "autoresponse",
	"out of office", "out of the office", "réponse automatique", "reponse automatique",
	"absence du bureau", "automatische antwort", "abwesenheitsnotiz",
	"respuesta automática", "risposta automatica", "automatisch antwoord",
	"automatyczna odpowiedź",
}

// subjectHasAutoPrefix reports a raw Subject value that starts like an
// auto-reply or a bounce.
func subjectHasAutoPrefix(raw string) bool {
	s := normalizeSubject(decodeSubject(raw))
	for _, p := range caseSensitivePrefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	lower := strings.ToLower(s)
	for _, p := range colonPrefixes {
		if strings.HasPrefix(lower, p) {
			return true
		}
	}
	for _, p := range phrasePrefixes {
		if hasPhrasePrefix(lower, p) {
			return true
		}
	}
	return isJMRPComplaint(lower)
}

// isJMRPComplaint matches Hotmail/Outlook.com's feedback-loop reports
// (JMRP), which are not ARF: "complaint about message from 192.0.2.1". The
// IP address is what keeps a customer's "Complaint about message from
// support" out.
func isJMRPComplaint(lower string) bool {
	rest, ok := strings.CutPrefix(lower, "complaint about message from ")
	if !ok {
		return false
	}
	ip, _, _ := strings.Cut(rest, " ")
	return net.ParseIP(strings.Trim(ip, "[]")) != nil
}

// subjectHasAutoReplyMarker reports an auto-reply marker anywhere in a raw
// Subject value.
func subjectHasAutoReplyMarker(raw string) bool {
	lower := strings.ToLower(normalizeSubject(decodeSubject(raw)))
	for _, m := range autoReplyMarkers {
		if strings.Contains(lower, m) {
			return true
		}
	}
	return false
}

func hasPhrasePrefix(s, p string) bool {
	if !strings.HasPrefix(s, p) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s[len(p):])
	return len(s) == len(p) || !(unicode.IsLetter(r) || unicode.IsDigit(r))
}

// decodeSubject decodes RFC 2047 encoded words; a subject that is already
// decoded passes through. Raw 8-bit bytes that are not UTF-8 are read as
// Windows-1252, what old clients send undeclared. It never fails: on a
// broken encoded word the raw text is kept, which still matches ASCII
// prefixes.
func decodeSubject(raw string) string {
	if len(raw) > maxSubjectBytes {
		raw = raw[:maxSubjectBytes]
	}
	if strings.Contains(raw, "=?") {
		if dec, err := subjectDecoder.DecodeHeader(raw); err == nil {
			raw = dec
		}
	}
	if !utf8.ValidString(raw) {
		if dec, err := charmap.Windows1252.NewDecoder().String(raw); err == nil {
			raw = dec
		}
	}
	return raw
}

var subjectDecoder = &mime.WordDecoder{CharsetReader: charsetReader}

// charsetReader covers the charsets mime.WordDecoder lacks (it knows UTF-8,
// ISO-8859-1 and US-ASCII) with the WHATWG names and aliases.
func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	enc, err := htmlindex.Get(charset)
	if err != nil {
		return nil, fmt.Errorf("guard: charset %q: %w", charset, err)
	}
	return enc.NewDecoder().Reader(input), nil
}

// normalizeSubject folds every run of white space (folding, tabs, the
// no-break spaces French puts before a colon) into one space, trims, and
// drops a space before a colon, so "Non remis : x" reads "Non remis: x".
func normalizeSubject(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 && r != ':' {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}
