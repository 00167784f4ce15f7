package guard

import (
	"strings"
)

// Header is the read side of a message header. net/textproto.MIMEHeader and
// go-message's textproto.Header (through a pointer) satisfy it; net/mail.Header
// does through textproto.MIMEHeader(h).
type Header interface {
	Get(key string) string
	Values(key string) []string
}

// Reason says why a message is ignored. The values are stable: they are logged
// and counted, so rename none of them.
type Reason string

// Reasons returned by Automated.
const (
	ReasonNone              Reason = ""
	ReasonOwnAddress        Reason = "own-address"
	ReasonNullSender        Reason = "null-sender"
	ReasonMailerDaemon      Reason = "mailer-daemon"
	ReasonNoReplySender     Reason = "no-reply-sender"
	ReasonAutoSubmitted     Reason = "auto-submitted"
	ReasonDeliveryReport    Reason = "delivery-report"
	ReasonAutoReplyHeader   Reason = "autoreply-header"
	ReasonChallengeResponse Reason = "challenge-response"
	ReasonPrecedence        Reason = "precedence"
	ReasonList              Reason = "list"
	ReasonAutoReplySubject  Reason = "auto-reply-subject"
)

// Automated reports whether a message must get no reply and no change (SPEC
// §4.4), and why. contentType is the top-level media type (parameters are
// allowed and ignored), from the From address (may be ""), hasReport whether
// any part of the MIME tree, however deep, is multipart/report
// (decode.Message.HasReport), ownAddresses the desk's own addresses.
func Automated(h Header, contentType, from string, hasReport bool, ownAddresses []string) (bool, Reason) {
	m := message{h: h, contentType: contentType, from: strings.ToLower(strings.TrimSpace(from)), hasReport: hasReport, own: ownAddresses}
	for _, rule := range rules {
		if r := rule(&m); r != ReasonNone {
			return true, r
		}
	}
	return false, ReasonNone
}

// message holds what the rules look at.
type message struct {
	h           Header
	contentType string
	from        string // lower-cased
	hasReport   bool   // a multipart/report somewhere in the MIME tree
	own         []string
}

// rules run in order; the first that matches gives the reason. The most
// certain and most telling rules come first.
var rules = []func(*message) Reason{
	func(m *message) Reason { return ownAddress(m.from, m.own) },
	func(m *message) Reason { return nullOrDaemonSender(m.h, m.from) },
	func(m *message) Reason { return autoSubmitted(m.h) },
	func(m *message) Reason { return challengeResponse(m.h, m.from) },
	func(m *message) Reason { return deliveryReport(m.h, m.contentType, m.hasReport) },
	func(m *message) Reason { return autoReplyHeader(m.h) },
	func(m *message) Reason { return noReplySender(m.from) },
	func(m *message) Reason { return precedence(m.h) },
	func(m *message) Reason { return mailingList(m.h) },
	func(m *message) Reason { return subjectRule(m.h) },
}

func ownAddress(from string, own []string) Reason {
	if from == "" {
		return ReasonNone
	}
	for _, a := range own {
		if strings.EqualFold(strings.TrimSpace(a), from) {
			return ReasonOwnAddress
		}
	}
	return ReasonNone
}

// daemonLocalParts are the local parts MTAs send bounces and notices from.
var daemonLocalParts = map[string]bool{
	"mailer-daemon": true,
	"mailer_daemon": true,
	"mailerdaemon":  true,
	"postmaster":    true,
	"post_master":   true, // Verizon and Apache James bounces
}

func nullOrDaemonSender(h Header, from string) Reason {
	if from == "" {
		return ReasonNullSender
	}
	// Every Return-Path counts, not only the top one: one null or daemon
	// envelope sender anywhere is reason enough not to answer.
	for _, rp := range h.Values("Return-Path") {
		addr := unbracket(stripComments(rp))
		if addr == "" {
			return ReasonNullSender
		}
		if daemonLocalParts[localPart(addr)] {
			return ReasonMailerDaemon
		}
	}
	if daemonLocalParts[localPart(from)] {
		return ReasonMailerDaemon
	}
	return ReasonNone
}

// unbracket turns "<a@b>", "< >", "<<>>" (IIS) or "a@b" into the bare
// address, "" for a null path. One trim, so hostile runs of brackets cost
// linear time.
func unbracket(v string) string {
	return strings.ToLower(strings.TrimFunc(v, func(r rune) bool {
		return r == '<' || r == '>' || r == ' ' || r == '\t' || r == '\r' || r == '\n'
	}))
}

func localPart(addr string) string {
	addr = strings.ToLower(strings.TrimSpace(addr))
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		addr = addr[:i]
	}
	// A source route ("@relay:user@host") leaves "@relay:user".
	if i := strings.LastIndexByte(addr, ':'); i >= 0 {
		addr = addr[i+1:]
	}
	return strings.Trim(addr, `"`)
}

// noReplyLocalParts name the senders that announce no one reads replies:
// notification robots (AWS SNS, carriers' error notices, DMARC reporters).
// No human writes from them, and the desk's answer would at best bounce.
var noReplyLocalParts = []string{"noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "do_not_reply"}

// noReplySender matches those local parts exactly or followed by a
// separator: "no-reply", "noreply-dmarc-support", "no-reply+bounces".
func noReplySender(from string) Reason {
	lp := localPart(from)
	for _, p := range noReplyLocalParts {
		if rest, ok := strings.CutPrefix(lp, p); ok && (rest == "" || strings.ContainsRune("-._+", rune(rest[0]))) {
			return ReasonNoReplySender
		}
	}
	return ReasonNone
}

// keyword is the first word of a structured value, lower-cased, without
// comments or parameters: "Auto-Generated (failure); x=y" gives
// "auto-generated".
func keyword(v string) string {
	v = stripComments(v)
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[:i]
	}
	return strings.ToLower(strings.TrimSpace(v))
}

// autoSubmitted applies RFC 3834 §5: anything but "no" is automatic. A
// present but empty field counts as automatic too: it was not written by a
// mail client, and erring there costs one unanswered message, not a loop.
func autoSubmitted(h Header) Reason {
	for _, v := range h.Values("Auto-Submitted") {
		if keyword(v) != "no" {
			return ReasonAutoSubmitted
		}
	}
	return ReasonNone
}

// deliveryReport spots bounces, read receipts and feedback reports (RFC
// 6522): a multipart/report at the top or nested at any depth, which is
// how some gateways and forwarders wrap a bounce (multipart/mixed around
// the report), or a report part as the whole message.
func deliveryReport(h Header, contentType string, hasReport bool) Reason {
	if hasReport {
		return ReasonDeliveryReport
	}
	switch keyword(contentType) {
	case "multipart/report", "message/delivery-status", "message/disposition-notification",
		"message/feedback-report":
		return ReasonDeliveryReport
	}
	// Exim and some others add X-Failed-Recipients to their bounces, which
	// are not always multipart/report.
	if len(h.Values("X-Failed-Recipients")) > 0 {
		return ReasonDeliveryReport
	}
	return ReasonNone
}

// presenceAutoReplyHeaders mark an auto-reply by their mere presence (SPEC
// §4.4): vacation programs and Yandex write "X-Autoreply: yes", and no mail
// client writes either field on a person's mail, so whatever the value
// ("", "no"), a program was involved. Trusting the value would let a
// responder that writes "no" start a loop; ignoring a person wrongly costs
// one unanswered message.
var presenceAutoReplyHeaders = []string{"X-Autoreply", "X-Autorespond"}

// valuedAutoReplyHeaders are vendor fields whose affirmative value marks an
// auto-reply (cPanel's X-Mail-Autoreply, Mimecast's X-Autogenerated: Reply,
// X-AutoReply-From, X-Autoresponse).
var valuedAutoReplyHeaders = []string{
	"X-Autoresponse", "X-Autoreply-From", "X-Mail-Autoreply", "X-Autogenerated",
}

func autoReplyHeader(h Header) Reason {
	for _, name := range presenceAutoReplyHeaders {
		if len(h.Values(name)) > 0 {
			return ReasonAutoReplyHeader
		}
	}
	for _, name := range valuedAutoReplyHeaders {
		for _, v := range h.Values(name) {
			switch keyword(v) {
			case "", "no", "false", "0", "off", "none":
			default:
				return ReasonAutoReplyHeader
			}
		}
	}
	return ReasonNone
}

// suppressesAutoReplies reports an X-Auto-Response-Suppress asking not to
// answer with out-of-office or other auto-replies, which Exchange sets on its
// own auto-replies. Alone it proves nothing (see the package comment).
func suppressesAutoReplies(h Header) bool {
	for _, v := range h.Values("X-Auto-Response-Suppress") {
		for _, item := range strings.Split(v, ",") {
			switch strings.ToLower(strings.TrimSpace(item)) {
			case "all", "oof", "autoreply":
				return true
			}
		}
	}
	return false
}

// challengeResponse spots the "please confirm you are human" answers of
// challenge/response filters: Bluebottle (X-Bluebottle-Request), TMDA
// (X-Delivery-Agent: TMDA/…) and Boxbe (sent from boxbe.com).
func challengeResponse(h Header, from string) Reason {
	if len(h.Values("X-Bluebottle-Request")) > 0 {
		return ReasonChallengeResponse
	}
	for _, v := range h.Values("X-Delivery-Agent") {
		if strings.HasPrefix(keyword(v), "tmda") {
			return ReasonChallengeResponse
		}
	}
	if strings.HasSuffix(from, "@boxbe.com") {
		return ReasonChallengeResponse
	}
	return ReasonNone
}

// precedence covers the de facto Precedence field; auto_reply is what some
// vacation programs write.
func precedence(h Header) Reason {
	for _, v := range h.Values("Precedence") {
		switch keyword(v) {
		case "bulk", "junk", "list", "auto_reply":
			return ReasonPrecedence
		}
	}
	return ReasonNone
}

// listHeaders mark mail sent or relayed by list software: the RFC 2369 and
// RFC 2919 fields, ezmlm's Mailing-List, and the X- fields of older list
// servers (fml, SmartList).
var listHeaders = []string{
	"List-Id", "List-Unsubscribe", "List-Subscribe", "List-Post", "List-Help",
	"List-Owner", "List-Archive", "Mailing-List", "X-Mailing-List", "X-ML-Name",
	"X-MLServer",
}

func mailingList(h Header) Reason {
	for _, name := range listHeaders {
		if len(h.Values(name)) > 0 {
			return ReasonList
		}
	}
	return ReasonNone
}

// subjectRule runs last: a subject is the weakest evidence. A known prefix
// decides alone; a marker elsewhere in the subject only with an
// X-Auto-Response-Suppress that suppresses auto-replies.
func subjectRule(h Header) Reason {
	subject := h.Get("Subject")
	if subjectHasAutoPrefix(subject) {
		return ReasonAutoReplySubject
	}
	if suppressesAutoReplies(h) && subjectHasAutoReplyMarker(subject) {
		return ReasonAutoReplyHeader
	}
	return ReasonNone
}

// stripComments removes RFC 5322 comments, which may nest and quote, outside
// quoted strings. It runs in one pass and never fails: an unclosed comment
// runs to the end, as a lenient reader would take it.
func stripComments(s string) string {
	if strings.IndexByte(s, '(') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	depth := 0
	inQuote := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && (depth > 0 || inQuote):
			if depth == 0 {
				b.WriteByte(c)
				if i+1 < len(s) {
					b.WriteByte(s[i+1])
				}
			}
			i++
		case depth > 0:
			switch c {
			case '(':
				depth++
			case ')':
				depth--
				if depth == 0 {
					// A comment separates words like a space does.
					b.WriteByte(' ')
				}
			}
		case c == '"':
			inQuote = !inQuote
			b.WriteByte(c)
		case c == '(' && !inQuote:
			depth = 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
