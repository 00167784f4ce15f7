package guard

import (
	"fmt"
	"net/mail"
	"net/textproto"
	"strings"
	"testing"

	gmtextproto "github.com/emersion/go-message/textproto"
)

const deskAddress = "licences@desk.example"

// header builds a header from name, value pairs; a name may repeat.
func header(kv ...string) textproto.MIMEHeader {
	h := textproto.MIMEHeader{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func TestAutomated(t *testing.T) {
	human := "alice@contoso.example"
	tests := []struct {
		name        string
		h           textproto.MIMEHeader
		contentType string
		from        string
		want        Reason // ReasonNone: must be answered
	}{
		// Human mail, including the look-alikes each rule must let through.
		{"plain human mail is answered", header("Subject", "Ajouter 2 licences E3"), "text/plain", human, ReasonNone},
		{"Auto-Submitted: no is answered", header("Auto-Submitted", "no", "Subject", "Add 2 E3"), "text/plain", human, ReasonNone},
		{"Auto-Submitted: No with a comment is answered", header("Auto-Submitted", "No (typed by hand)"), "text/plain", human, ReasonNone},
		{"Outlook mail with X-Auto-Response-Suppress: All is answered",
			header("X-Auto-Response-Suppress", "All", "Subject", "Add 3 E5 licences", "X-MS-Has-Attach", ""), "multipart/alternative", human, ReasonNone},
		{"mail via an Exchange distribution group is answered",
			header("X-Auto-Response-Suppress", "DR, OOF, AutoReply", "Subject", "RE: licences for the new starters"), "multipart/alternative", human, ReasonNone},
		{"a subject that merely contains automatic is answered", header("Subject", "Question about automatic renewal"), "text/plain", human, ReasonNone},
		{"a subject starting with Automatic reply but no colon is answered", header("Subject", "Automatic reply settings broken since the upgrade"), "text/plain", human, ReasonNone},
		{"Out of office without the machine colon is answered", header("Subject", "Out of office next week, please remove my licence"), "text/plain", human, ReasonNone},
		{"mixed-case Auto: is not Lotus AUTO:", header("Subject", "Auto: renewal question"), "text/plain", human, ReasonNone},
		{"a reply to a bounce written by a person is answered", header("Subject", "Re: Undeliverable: invoice"), "text/plain", human, ReasonNone},
		{"a human complaint is not a JMRP report", header("Subject", "Complaint about message from support"), "text/plain", human, ReasonNone},
		{"Precedence: normal is answered", header("Precedence", "normal"), "text/plain", human, ReasonNone},
		{"a real Return-Path is answered", header("Return-Path", "<alice@contoso.example>"), "text/plain", human, ReasonNone},
		{"a local part that only starts like noreply is answered", header(), "text/plain", "noreplyer@contoso.example", ReasonNone},
		{"a local part that only starts like postmaster is answered", header(), "text/plain", "postmasters-club@contoso.example", ReasonNone},
		{"multipart/mixed is answered", header(), "multipart/mixed; boundary=x", human, ReasonNone},

		// RFC 3834 Auto-Submitted.
		{"Auto-Submitted: auto-replied is ignored", header("Auto-Submitted", "auto-replied"), "text/plain", human, ReasonAutoSubmitted},
		{"Auto-Submitted with a comment is ignored", header("Auto-Submitted", "auto-generated (failure)"), "text/plain", human, ReasonAutoSubmitted},
		{"Auto-Submitted in upper case with parameters is ignored", header("Auto-Submitted", "AUTO-NOTIFIED; owner-email=a@b.example"), "text/plain", human, ReasonAutoSubmitted},
		{"an empty Auto-Submitted is ignored", header("Auto-Submitted", ""), "text/plain", human, ReasonAutoSubmitted},
		{"a second Auto-Submitted is read too", header("Auto-Submitted", "no", "Auto-Submitted", "auto-replied"), "text/plain", human, ReasonAutoSubmitted},

		// Precedence.
		{"Precedence: bulk is ignored", header("Precedence", "bulk"), "text/plain", human, ReasonPrecedence},
		{"Precedence: JUNK is ignored", header("Precedence", "JUNK"), "text/plain", human, ReasonPrecedence},
		{"Precedence: list is ignored", header("Precedence", " list "), "text/plain", human, ReasonPrecedence},
		{"Precedence: auto_reply is ignored", header("Precedence", "auto_reply"), "text/plain", human, ReasonPrecedence},

		// Lists, including a human writing through one (documented choice).
		{"List-Id is ignored", header("List-Id", "<licences.lists.example>"), "text/plain", human, ReasonList},
		{"List-Unsubscribe is ignored", header("List-Unsubscribe", "<mailto:leave@lists.example>"), "text/plain", human, ReasonList},
		{"a human mail relayed by a list is ignored", header("List-Id", "IT <it.contoso.example>", "Subject", "Add 2 E3 please"), "text/plain", human, ReasonList},
		{"ezmlm Mailing-List is ignored", header("Mailing-List", "contact it-help@contoso.example; run by ezmlm"), "text/plain", human, ReasonList},

		// Vendor auto-reply headers.
		{"X-Autoreply: yes is ignored", header("X-Autoreply", "yes"), "text/plain", human, ReasonAutoReplyHeader},
		{"X-Autorespond is ignored", header("X-Autorespond", "1"), "text/plain", human, ReasonAutoReplyHeader},
		// SPEC §4.4: the presence of X-Autoreply or X-Autorespond is the
		// signal, whatever its value.
		{"an empty X-Autoreply is ignored", header("X-Autoreply", ""), "text/plain", human, ReasonAutoReplyHeader},
		{"X-Autoreply: no is ignored all the same", header("X-Autoreply", "no"), "text/plain", human, ReasonAutoReplyHeader},
		{"an empty X-Autorespond is ignored", header("X-Autorespond", ""), "text/plain", human, ReasonAutoReplyHeader},
		{"X-Autorespond: false is ignored all the same", header("X-Autorespond", "false"), "text/plain", human, ReasonAutoReplyHeader},
		{"x-autoreply in lower case is ignored", header("x-autoreply", "off"), "text/plain", human, ReasonAutoReplyHeader},
		{"X-Autogenerated: Reply is ignored", header("X-Autogenerated", "Reply"), "text/plain", human, ReasonAutoReplyHeader},
		{"X-Auto-Response-Suppress with an auto-reply marker later in the subject is ignored",
			header("X-Auto-Response-Suppress", "All", "Subject", "RE: Automatic reply: Add 2 E3"), "text/plain", human, ReasonAutoReplyHeader},
		{"X-Auto-Response-Suppress: OOF with a French marker is ignored",
			header("X-Auto-Response-Suppress", "OOF", "Subject", "TR: Réponse automatique : commande"), "text/plain", human, ReasonAutoReplyHeader},

		// Reports.
		{"multipart/report is ignored", header(), "multipart/report; report-type=delivery-status; boundary=x", human, ReasonDeliveryReport},
		{"Multipart/Report in mixed case is ignored", header(), "Multipart/Report", human, ReasonDeliveryReport},
		{"an MDN read receipt is ignored", header(), "multipart/report; report-type=disposition-notification", human, ReasonDeliveryReport},
		{"Exim's X-Failed-Recipients is ignored", header("X-Failed-Recipients", "bob@contoso.example"), "text/plain", human, ReasonDeliveryReport},

		// Senders.
		{"Return-Path <> is ignored", header("Return-Path", "<>"), "text/plain", human, ReasonNullSender},
		{"IIS's Return-Path <<>> is ignored", header("Return-Path", "<<>>"), "text/plain", human, ReasonNullSender},
		{"a null Return-Path below a real one is ignored", header("Return-Path", "<a@b.example>", "Return-Path", "< >"), "text/plain", human, ReasonNullSender},
		{"an empty From is ignored", header(), "text/plain", "", ReasonNullSender},
		{"From MAILER-DAEMON is ignored", header(), "text/plain", "MAILER-DAEMON@mx.contoso.example", ReasonMailerDaemon},
		{"From postmaster is ignored", header(), "text/plain", "Postmaster@contoso.example", ReasonMailerDaemon},
		{"a bare MAILER-DAEMON From is ignored", header(), "text/plain", "mailer-daemon", ReasonMailerDaemon},
		{"Return-Path MAILER-DAEMON is ignored", header("Return-Path", "<MAILER-DAEMON@mx.example>"), "text/plain", human, ReasonMailerDaemon},
		{"the desk's own address is ignored", header(), "text/plain", "Licences@Desk.example", ReasonOwnAddress},
		{"a no-reply robot is ignored", header(), "text/plain", "no-reply@sns.amazonaws.com", ReasonNoReplySender},
		{"a tagged noreply robot is ignored", header(), "text/plain", "noreply-dmarc-support@google.com", ReasonNoReplySender},

		// Challenge/response.
		{"a Bluebottle challenge is ignored", header("X-Bluebottle-Request", "<1234>", "Subject", "RE: BLAH"), "text/plain", human, ReasonChallengeResponse},
		{"a TMDA challenge is ignored", header("X-Delivery-Agent", "TMDA/1.1.12 (Macallan)"), "text/plain", human, ReasonChallengeResponse},
		{"a Boxbe waitlist notice is ignored", header("Subject", "Re: Add 2 E3 (Action Required)"), "multipart/alternative", "noreply@boxbe.com", ReasonChallengeResponse},

		// Subjects, decoded first.
		{"Outlook Automatic reply: is ignored", header("Subject", "Automatic reply: Add 2 E3"), "text/plain", human, ReasonAutoReplySubject},
		{"Auto reply: without any header is ignored", header("Subject", "Auto reply: Nyaan"), "text/plain", human, ReasonAutoReplySubject},
		{"Out of Office: is ignored", header("Subject", "Out of Office: licences"), "text/plain", human, ReasonAutoReplySubject},
		{"French Réponse automatique with a no-break space is ignored", header("Subject", "Réponse automatique\u00a0: commande"), "text/plain", human, ReasonAutoReplySubject},
		{"French Absence du bureau is ignored", header("Subject", "Absence du bureau : commande"), "text/plain", human, ReasonAutoReplySubject},
		{"an encoded French auto-reply is ignored", header("Subject", "=?UTF-8?Q?R=C3=A9ponse_automatique_:_commande?="), "text/plain", human, ReasonAutoReplySubject},
		{"the Polish auto-reply in ISO-8859-2 is ignored", header("Subject", "[Automatyczna =?iso-8859-2?Q?odpowied=BC?=] test"), "text/plain", human, ReasonAutoReplySubject},
		{"Lotus AUTO: is ignored", header("Subject", "AUTO: Jane Doe is out of the office (returning 05/01/2010)"), "text/plain", human, ReasonAutoReplySubject},
		{"Undeliverable: is ignored", header("Subject", "Undeliverable: Add 2 E3"), "text/plain", human, ReasonAutoReplySubject},
		{"French Non remis : is ignored", header("Subject", "Non remis : Add 2 E3"), "text/plain", human, ReasonAutoReplySubject},
		{"Delivery Status Notification is ignored", header("Subject", "Delivery Status Notification (Failure)"), "text/plain", human, ReasonAutoReplySubject},
		{"sendmail Returned mail is ignored", header("Subject", "Returned mail: see transcript for details"), "text/plain", human, ReasonAutoReplySubject},
		{"Exim Mail delivery failed is ignored", header("Subject", "Mail delivery failed: returning message to sender"), "text/plain", human, ReasonAutoReplySubject},
		{"a folded subject is ignored", header("Subject", "Undelivered Mail\r\n Returned to Sender"), "text/plain", human, ReasonAutoReplySubject},
		{"a raw Windows-1252 subject is ignored", header("Subject", "R\xe9ponse automatique : commande"), "text/plain", human, ReasonAutoReplySubject},
		{"a Hotmail JMRP complaint is ignored", header("Subject", "complaint about message from 192.0.2.222"), "multipart/mixed", "staff@hotmail.com", ReasonAutoReplySubject},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			automated, reason := Automated(tt.h, tt.contentType, tt.from, false, []string{deskAddress})
			if automated != (tt.want != ReasonNone) || reason != tt.want {
				t.Errorf("Automated = %v, %q; want %v, %q", automated, reason, tt.want != ReasonNone, tt.want)
			}
		})
	}
}

// SPEC §4.4: a delivery report wrapped in multipart/mixed, at any depth,
// is a delivery report (decode.Message.HasReport says so).
func TestAutomatedIgnoresADeliveryReportNestedAtAnyDepth(t *testing.T) {
	human := "alice@contoso.example"
	tests := []struct {
		name        string
		contentType string
		hasReport   bool
		want        Reason
	}{
		{"a report inside multipart/mixed is ignored", "multipart/mixed; boundary=m", true, ReasonDeliveryReport},
		{"a report inside multipart/signed is ignored", "multipart/signed", true, ReasonDeliveryReport},
		{"a top-level report is ignored with or without the flag", "multipart/report", false, ReasonDeliveryReport},
		{"multipart/mixed without a report is answered", "multipart/mixed; boundary=m", false, ReasonNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			automated, reason := Automated(header("Subject", "Ajouter 2 licences"), tt.contentType, human, tt.hasReport, []string{deskAddress})
			if automated != (tt.want != ReasonNone) || reason != tt.want {
				t.Errorf("Automated = %v, %q; want %v, %q", automated, reason, tt.want != ReasonNone, tt.want)
			}
		})
	}
}

func TestAutomatedGivesTheOwnAddressReasonBeforeAnyOther(t *testing.T) {
	h := header("Auto-Submitted", "auto-replied", "Return-Path", "<>")
	if _, reason := Automated(h, "multipart/report", deskAddress, false, []string{"other@desk.example", " " + deskAddress + " "}); reason != ReasonOwnAddress {
		t.Errorf("reason = %q, want %q", reason, ReasonOwnAddress)
	}
}

func TestAutomatedReadsEveryCommonHeaderType(t *testing.T) {
	raw := "From: a@b.example\r\nAuto-Submitted: auto-replied\r\nSubject: x\r\n\r\n"

	msg, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var gm gmtextproto.Header
	gm.Add("Auto-Submitted", "auto-replied")

	for name, h := range map[string]Header{
		"net/textproto.MIMEHeader":            textproto.MIMEHeader{"Auto-Submitted": {"auto-replied"}},
		"net/mail.Header as MIMEHeader":       textproto.MIMEHeader(msg.Header),
		"go-message textproto.Header pointer": &gm,
	} {
		if automated, reason := Automated(h, "text/plain", "a@b.example", false, nil); !automated || reason != ReasonAutoSubmitted {
			t.Errorf("%s: Automated = %v, %q; want true, %q", name, automated, reason, ReasonAutoSubmitted)
		}
	}
}

func TestStripCommentsKeepsQuotedTextAndSurvivesBrokenInput(t *testing.T) {
	tests := []struct{ in, want string }{
		{"auto-replied (vacation)", "auto-replied  "},
		{"a (b (c) d) e", "a   e"},
		{`a "(not a comment)" b`, `a "(not a comment)" b`},
		{`a (esc \) still comment) b`, "a   b"},
		{"a (unclosed", "a "},
		{"a ) b", "a ) b"},
		{`"unclosed (quote`, `"unclosed (quote`},
	}
	for _, tt := range tests {
		if got := stripComments(tt.in); got != tt.want {
			t.Errorf("stripComments(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// hostileGuardInputs are fields built to trip quadratic loops in the
// rules and the Authentication-Results parser, one hostile field per
// message so that no early rule hides a later one.
func hostileGuardInputs(n int) []textproto.MIMEHeader {
	return []textproto.MIMEHeader{
		header("Return-Path", strings.Repeat("<", n)),
		header("Return-Path", strings.Repeat("<a", n/2)),
		header("Auto-Submitted", "no"+strings.Repeat("(", n)),
		header("Precedence", strings.Repeat(`"(`, n/2)),
		header("X-Autogenerated", strings.Repeat(`(\`, n/2)),
		header("X-Auto-Response-Suppress", strings.Repeat(",", n), "Subject", "x"),
		header("Subject", strings.Repeat("=?x?q?", n/6)),
	}
}

// hostileAuth is an Authentication-Results set built the same way.
func hostileAuth(n int) Header {
	return authHeader(strings.Repeat(`("\\;`, n/4), strings.Repeat(";", n), strings.Repeat("mx.example.net; a", n/16),
		"mx.example.net; "+strings.Repeat("dkim=pass header.d=", n/19))
}

// TestHostileHeadersGetTheRightVerdict checks the verdicts on hostile
// fields of a modest size; BenchmarkHostileHeaders shows how the cost grows.
// A test asserts behaviour, never time.
func TestHostileHeadersGetTheRightVerdict(t *testing.T) {
	const n = 64 << 10
	want := []Reason{ReasonNullSender, ReasonNone, ReasonNone, ReasonNone, ReasonNone, ReasonNone, ReasonNone}
	for i, h := range hostileGuardInputs(n) {
		if _, reason := Automated(h, "text/plain", "alice@contoso.example", false, []string{deskAddress}); reason != want[i] {
			t.Errorf("hostile header %d: reason %q, want %q", i, reason, want[i])
		}
	}
	if automated, reason := Automated(header(), strings.Repeat("(", n), "alice"+strings.Repeat("@", n), false, nil); automated {
		t.Errorf("hostile content type and sender: ignored as %q", reason)
	}
	if v := CheckAuth(hostileAuth(n), "mx.example.net", "example.com", true); v.Pass {
		t.Errorf("hostile Authentication-Results passed: %+v", v)
	}
}

// BenchmarkHostileHeaders runs the hostile inputs at 64 KiB and 1 MiB per
// field: linear work takes 16 times longer for the larger, a quadratic
// loop 256 times (compare the ns/op).
func BenchmarkHostileHeaders(b *testing.B) {
	for _, n := range []int{64 << 10, 1 << 20} {
		hostile, auth := hostileGuardInputs(n), hostileAuth(n)
		b.Run(fmt.Sprintf("%dKiB", n>>10), func(b *testing.B) {
			for b.Loop() {
				for _, h := range hostile {
					Automated(h, "text/plain", "alice@contoso.example", false, []string{deskAddress})
				}
				Automated(header(), strings.Repeat("(", n), "alice"+strings.Repeat("@", n), false, nil)
				CheckAuth(auth, "mx.example.net", "example.com", true)
			}
		})
	}
}

func TestHostileSubjectsAreHandledInLinearTime(t *testing.T) {
	subjects := []string{
		strings.Repeat("=?utf-8?q?", 200_000),
		strings.Repeat("=?utf-8?b?QUFB?= ", 100_000),
		strings.Repeat("\xff", 1<<20),
		strings.Repeat(" ", 1<<20) + "Automatic reply: x",
	}
	for _, s := range subjects {
		// The subject is cut at maxSubjectBytes, so the last one is out of reach
		// and none may take long; the test timeout catches a blow-up.
		if automated, _ := Automated(header("Subject", s), "text/plain", "a@b.example", false, nil); automated {
			t.Errorf("hostile subject of %d bytes classified as automated", len(s))
		}
	}
}
