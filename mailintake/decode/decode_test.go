package decode_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf8"

	"github.com/licensedesk/licensedesk/mailintake/decode"
)

// msg joins header and body lines with CRLF, as mail travels.
func msg(lines ...string) string { return strings.Join(lines, "\r\n") }

func parse(t *testing.T, raw string) *decode.Message {
	t.Helper()
	m, err := decode.Parse(strings.NewReader(raw), decode.DefaultLimits())
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return m
}

// textPart is a one-part message whose body is declared with ct and cte.
func textPart(ct, cte, body string) string {
	h := []string{"From: client@contoso.fr", "Subject: test", "Content-Type: " + ct}
	if cte != "" {
		h = append(h, "Content-Transfer-Encoding: "+cte)
	}
	return msg(append(h, "", body)...)
}

func TestParseDecodesBodyCharsetsAndTransferEncodings(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want string
	}{
		{"UTF-8 in 8bit is kept",
			textPart("text/plain; charset=utf-8", "8bit", "Bonjour, 3 licences E3 de plus. Hélène"),
			"Bonjour, 3 licences E3 de plus. Hélène"},
		{"ISO-8859-1 in quoted-printable is converted",
			textPart("text/plain; charset=ISO-8859-1", "quoted-printable", "Ajoutez deux licences =E0 notre abonnement, Fran=E7ois"),
			"Ajoutez deux licences à notre abonnement, François"},
		{"ISO-8859-1 in 8bit is converted",
			textPart(`text/plain; charset="iso-8859-1"`, "8bit", "R\xe9sili\xe9 l'\xe9t\xe9 dernier"),
			"Résilié l'été dernier"},
		{"ISO-8859-1 reads 0x80-0x9F as Windows-1252, as Outlook means it",
			textPart("text/plain; charset=iso-8859-1", "8bit", "l\x92abonnement"),
			"l’abonnement"},
		{"ISO-8859-15 has the euro sign and oe ligature",
			textPart("text/plain; charset=ISO-8859-15", "8bit", "Co\xfbt : 30 \xa4 par mois, c\xbdur"),
			"Coût : 30 € par mois, cœur"},
		{"Windows-1252 has curly quotes, dashes and oe",
			textPart("text/plain; charset=windows-1252", "quoted-printable", "=93Ajouter=94 =96 5 licences, =9Cuvre"),
			"“Ajouter” – 5 licences, œuvre"},
		{"base64 is decoded and CRLF becomes LF",
			textPart("text/plain; charset=utf-8", "base64", "TWVyY2kgZGUgcmV0aXJlciAyIGxpY2VuY2VzLg0K\r\nQ29yZGlhbGVtZW50"),
			"Merci de retirer 2 licences.\nCordialement"},
		{"KOI8-R is converted",
			textPart("text/plain; charset=koi8-r", "8bit", "\xf0\xd2\xc9\xd7\xc5\xd4, \xc4\xcf\xc2\xc1\xd7\xd8\xd4\xc5 2 \xcc\xc9\xc3\xc5\xce\xda\xc9\xc9"),
			"Привет, добавьте 2 лицензии"},
		{"ISO-2022-JP is converted",
			textPart("text/plain; charset=ISO-2022-JP", "7bit", "\x1b$B$3$s$K$A$O!\"%i%$%;%s%9$rDI2C\x1b(B"),
			"こんにちは、ライセンスを追加"},
		{"an unknown charset keeps the bytes, invalid ones replaced",
			textPart("text/plain; charset=x-klingon", "8bit", "caf\xe9 ok, déjà"),
			"caf\uFFFD ok, déjà"},
		{"no charset and 8-bit bytes that are not UTF-8 are read as Windows-1252",
			textPart("text/plain", "8bit", "caf\xe9 \x80"),
			"café €"},
		{"declared UTF-8 with a bad byte gets a replacement character",
			textPart("text/plain; charset=UTF-8", "8bit", "caf\xe9 ok"),
			"caf\uFFFD ok"},
		{"quoted-printable keeps a lone or malformed = and joins soft breaks",
			textPart("text/plain; charset=us-ascii", "Quoted-Printable", "Total =3D 5, soft=\r\nbreak, lone = sign, bad =ZZ="),
			"Total = 5, softbreak, lone = sign, bad =ZZ"},
		{"quoted-printable goes on past control bytes and very long lines",
			textPart("text/plain; charset=utf-8", "quoted-printable", strings.Repeat("x", 5000)+"\x01=41"),
			strings.Repeat("x", 5000) + "A"},
		{"base64 with garbage and missing padding yields what it can",
			textPart("text/plain", "base64", "QWpv!!dXRl\r\nci AxIGxp*Y2VuY2U"),
			"Ajouter 1 licence"},
		{"an unknown transfer encoding is read as 7bit",
			textPart("text/plain", "x-uuencode", "begin 644 rien\r\nAjouter 1"),
			"begin 644 rien\nAjouter 1"},
		{"a transfer encoding with stray punctuation is still recognised",
			textPart("text/plain; charset=utf-8", "base64;", "w6l0w6k="),
			"été"},
		{"NUL and control characters are removed, lone CR becomes LF",
			textPart("text/plain", "", "a\rb\x00c\x07d\te\x1b"),
			"a\nbcd\te"},
		{"a C1 control that is really Windows-1252 is restored",
			textPart("text/plain; charset=utf-8", "8bit", "30 \u0080 HT"),
			"30 € HT"},
		{"a leading byte-order mark is dropped",
			textPart("text/plain; charset=utf-8", "8bit", "\uFEFFBonjour"),
			"Bonjour"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := parse(t, tt.raw)
			if m.Text != tt.want {
				t.Errorf("Text = %q, want %q", m.Text, tt.want)
			}
			if m.FromHTML {
				t.Error("FromHTML set for a text/plain body")
			}
		})
	}
}

func TestParseDecodesEncodedWordSubjects(t *testing.T) {
	tests := []struct {
		name, subject, want string
	}{
		{"Q encoding in ISO-8859-1", "=?ISO-8859-1?Q?Demande_de_licences_suppl=E9mentaires?=", "Demande de licences supplémentaires"},
		{"B encoding in UTF-8", "=?UTF-8?B?UsOpZHVpcmUgw6AgMTAgbGljZW5jZXM=?=", "Réduire à 10 licences"},
		{"words split across folded lines join without the fold", "=?UTF-8?Q?Ajout_de_licences_?=\r\n =?UTF-8?Q?pour_l=E2=80=99=C3=A9quipe?=", "Ajout de licences pour l’équipe"},
		{"a character split across two words", "=?UTF-8?Q?caf=C3?= =?UTF-8?Q?=A9?=", "café"},
		{"Windows-1252 words", "=?windows-1252?Q?=93Urgent=94?=", "“Urgent”"},
		{"plain text around a word keeps its blanks", "Re: =?utf-8?q?Licence_E3?= [LD-42]", "Re: Licence E3 [LD-42]"},
		{"a word in an unknown charset keeps its bytes", "=?x-unknown?Q?caf=E9_ok?=", "caf\uFFFD ok"},
		{"a B word with broken padding", "=?NONE?B?VEVTVA=?=", "TEST"},
		{"raw Latin-1 bytes are read as Windows-1252", "R\xe9union \x93urgente\x94", "Réunion “urgente”"},
		{"raw UTF-8 (RFC 6532) is kept", "Réunion d’équipe", "Réunion d’équipe"},
		{"a folded plain subject is unfolded", "Une demande\r\n\tassez longue", "Une demande assez longue"},
		{"surrounding blanks are trimmed", "   Ajouter 2   ", "Ajouter 2"},
		{"an empty subject", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := parse(t, msg("From: a@b.fr", "Subject: "+tt.subject, "", "x"))
			if m.Subject != tt.want {
				t.Errorf("Subject = %q, want %q", m.Subject, tt.want)
			}
		})
	}
}

func TestParseReadsHeaderFields(t *testing.T) {
	raw := msg(
		`From: "Dupont, Marie" <Marie.Dupont@Contoso.FR>`,
		"Sender: =?UTF-8?Q?H=C3=A9l=C3=A8ne?= <helene@contoso.fr>",
		"Reply-To: support <Support@contoso.fr>, other@contoso.fr",
		`To: desk@licensedesk.example, "Bob" <bob@contoso.fr>`,
		"Cc: Ann <ann@contoso.fr>",
		"To: second@contoso.fr",
		"Message-ID: <abc.123@contoso.fr>",
		"In-Reply-To: <ld-1@licensedesk.example>",
		"References: <a@x.example> <b@y.example>",
		"  <ld-1@licensedesk.example>",
		"Date: Tue, 3 Mar 2026 10:15:00 +0100",
		"Auto-Submitted: no",
		"X-Custom: one",
		"x-custom: two",
		`Content-Type: multipart/REPORT; report-type="Delivery-Status"; boundary="b1"`,
		"",
		"--b1",
		"Content-Type: text/plain",
		"",
		"Your message could not be delivered.",
		"--b1--",
	)
	m := parse(t, raw)

	if m.From == nil || *m.From != (decode.Address{Name: "Dupont, Marie", Email: "marie.dupont@contoso.fr"}) {
		t.Errorf("From = %+v", m.From)
	}
	if m.Sender == nil || *m.Sender != (decode.Address{Name: "Hélène", Email: "helene@contoso.fr"}) {
		t.Errorf("Sender = %+v", m.Sender)
	}
	wantReplyTo := []decode.Address{{Name: "support", Email: "support@contoso.fr"}, {Email: "other@contoso.fr"}}
	if fmt.Sprint(m.ReplyTo) != fmt.Sprint(wantReplyTo) {
		t.Errorf("ReplyTo = %+v, want %+v", m.ReplyTo, wantReplyTo)
	}
	wantTo := []decode.Address{{Email: "desk@licensedesk.example"}, {Name: "Bob", Email: "bob@contoso.fr"}, {Email: "second@contoso.fr"}}
	if fmt.Sprint(m.To) != fmt.Sprint(wantTo) {
		t.Errorf("To = %+v, want %+v (both To fields)", m.To, wantTo)
	}
	if len(m.Cc) != 1 || m.Cc[0].Email != "ann@contoso.fr" {
		t.Errorf("Cc = %+v", m.Cc)
	}
	if m.MessageID != "abc.123@contoso.fr" {
		t.Errorf("MessageID = %q", m.MessageID)
	}
	if fmt.Sprint(m.InReplyTo) != "[ld-1@licensedesk.example]" {
		t.Errorf("InReplyTo = %q", m.InReplyTo)
	}
	if fmt.Sprint(m.References) != "[a@x.example b@y.example ld-1@licensedesk.example]" {
		t.Errorf("References = %q", m.References)
	}
	if want := time.Date(2026, 3, 3, 9, 15, 0, 0, time.UTC); !m.Date.Equal(want) {
		t.Errorf("Date = %v, want %v", m.Date, want)
	}
	if m.ContentType != "multipart/report" || m.ReportType != "delivery-status" {
		t.Errorf("ContentType, ReportType = %q, %q", m.ContentType, m.ReportType)
	}
	if m.Text != "Your message could not be delivered." {
		t.Errorf("Text = %q", m.Text)
	}
	if m.Parts != 2 {
		t.Errorf("Parts = %d, want 2", m.Parts)
	}

	h := m.Header
	if got := h.Get("auto-submitted"); got != "no" {
		t.Errorf(`Get("auto-submitted") = %q`, got)
	}
	if got := h.Values("X-CUSTOM"); fmt.Sprint(got) != "[one two]" {
		t.Errorf(`Values("X-CUSTOM") = %q`, got)
	}
	if got := h.Get("References"); got != "<a@x.example> <b@y.example> <ld-1@licensedesk.example>" {
		t.Errorf("References is not unfolded raw: %q", got)
	}
	if got := h.Get("Sender"); !strings.HasPrefix(got, "=?UTF-8?Q?") {
		t.Errorf("Header values must stay raw, got Sender %q", got)
	}
	if got := h.Get("Missing"); got != "" || h.Values("Missing") != nil {
		t.Errorf("absent field: Get %q, Values %q", got, h.Values("Missing"))
	}
	wantKeys := "From Sender Reply-To To Cc Message-Id In-Reply-To References Date Auto-Submitted X-Custom Content-Type"
	if got := strings.Join(h.Keys(), " "); got != wantKeys {
		t.Errorf("Keys = %s\nwant   %s", got, wantKeys)
	}
	if h.Len() != 14 {
		t.Errorf("Len = %d, want 14 (repeated fields counted each time)", h.Len())
	}
}

func TestParseReadsSloppyAddresses(t *testing.T) {
	tests := []struct {
		name, from string
		want       *decode.Address
		problem    string // Message.FromProblem when want is nil
	}{
		// SPEC §4.3: a bare word is no address; the loop guard still ignores
		// such mail, as from a null sender (guard.ReasonNullSender).
		{"a bare MAILER-DAEMON is no address", "MAILER-DAEMON", nil, decode.FromNotAnAddress},
		{"a daemon with a domain", "Mail Delivery System <MAILER-DAEMON@mx.example>", &decode.Address{Name: "Mail Delivery System", Email: "mailer-daemon@mx.example"}, ""},
		{"comments everywhere", `Pete(A wonderful \) chap) <pete(his account)@silly.test(his host)>`, &decode.Address{Name: "Pete", Email: "pete@silly.test"}, ""},
		{"an encoded display name", "=?utf-8?q?Ren=C3=A9_Martin?= <rene@x.fr>", &decode.Address{Name: "René Martin", Email: "rene@x.fr"}, ""},
		{"an encoded word inside quotes", `"=?UTF-8?Q?Miros=C5=82aw?=" <m@x.pl>`, &decode.Address{Name: "Mirosław", Email: "m@x.pl"}, ""},
		{"an unquoted name before a bare address", "Big Bug bb@bug.com", &decode.Address{Email: "bb@bug.com"}, ""},
		{"an obsolete source route", "Mary <@relay.example:Mary@Example.NET>", &decode.Address{Name: "Mary", Email: "mary@example.net"}, ""},
		{"obsolete blanks around the dots", "jdoe@test   . example", &decode.Address{Email: "jdoe@test.example"}, ""},
		{"an unquoted comma in the display name", "Dupont, Marie <marie@contoso.fr>", &decode.Address{Name: "Dupont, Marie", Email: "marie@contoso.fr"}, ""},
		{"a raw Latin-1 display name", "Fran\xe7ois <f@x.fr>", &decode.Address{Name: "François", Email: "f@x.fr"}, ""},
		{"the null sender is no address", "<>", nil, decode.FromNoValidAddress},
		{"an empty group is no address", "undisclosed-recipients:;", nil, decode.FromNotAnAddress},
		{"an empty field is no address", "", nil, decode.FromNotAnAddress},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := parse(t, msg("From: "+tt.from, "Subject: s", "", "x"))
			switch {
			case tt.want == nil && m.From != nil:
				t.Errorf("From = %+v, want nil", m.From)
			case tt.want != nil && (m.From == nil || *m.From != *tt.want):
				t.Errorf("From = %+v, want %+v", m.From, tt.want)
			}
			if m.FromProblem != tt.problem {
				t.Errorf("FromProblem = %q, want %q", m.FromProblem, tt.problem)
			}
		})
	}
}

func TestParseSkipsUnreadableDatesAndIDs(t *testing.T) {
	m := parse(t, msg(
		"From: a@b.fr",
		"Date: Tue, 06 Jun 2017 27:39:33 +0600",
		"Message-ID: not-bracketed@host",
		"References: <good@x> <broken <also-good@y>",
		"", "x"))
	if !m.Date.IsZero() {
		t.Errorf("Date = %v, want zero for hour 27", m.Date)
	}
	if m.MessageID != "not-bracketed@host" {
		t.Errorf("MessageID = %q", m.MessageID)
	}
	if fmt.Sprint(m.References) != "[good@x also-good@y]" {
		t.Errorf("References = %q", m.References)
	}
}

// SPEC §4.5: the Message-ID is echoed into our reply's In-Reply-To and
// References, and in-reply-to ids are matched against ours, so an id that
// is not one is taken as absent rather than used verbatim.
func TestParseDropsMessageIDsThatCannotBeEchoed(t *testing.T) {
	long := strings.Repeat("a", 246) + "@x.y" // 250 bytes: the longest kept
	tests := []struct {
		name      string
		messageID string
		want      string
	}{
		{"a plain id is kept", "<CAF=42xyz@mail.contoso.fr>", "CAF=42xyz@mail.contoso.fr"},
		{"an id of 250 bytes is kept", "<" + long + ">", long},
		{"an unbracketed id is kept", "abc.123@contoso.fr", "abc.123@contoso.fr"},
		{"a comment beside the id is ignored", "<abc@x> (from Outlook)", "abc@x"},
		{"an id over 250 bytes is absent", "<a" + long + ">", ""},
		{"an id with a blank is absent", "<abc def@x>", ""},
		{"an id with a tab is absent", "<abc\tdef@x>", ""},
		{"an id with a bracket inside is absent", "<abc<def@x>", ""},
		{"an id with a closing bracket inside is absent", "<abc>def@x>", ""},
		{"an id with a control character is absent", "<abc\x01def@x>", ""},
		{"an id with a NUL is absent", "<abc\x00def@x>", ""},
		{"an id with DEL is absent", "<abc\x7fdef@x>", ""},
		{"an id with 8-bit bytes is absent", "<caf\xc3\xa9@x>", ""},
		{"an id with a quote is absent", `<"abc"@x>`, ""},
		{"an id with a backslash is absent", `<abc\def@x>`, ""},
		{"an id with a comma is absent", "<abc,def@x>", ""},
		{"two ids are absent", "<a@x> <b@x>", ""},
		{"an unterminated id is absent", "<abc@x", ""},
		{"empty brackets are absent", "<>", ""},
		{"a folded field smuggling another field is absent", "<a@x>\r\n X-Injected: 1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := parse(t, msg("From: a@b.fr", "Message-ID: "+tt.messageID, "Subject: s", "", "x"))
			if m.MessageID != tt.want {
				t.Errorf("MessageID = %q, want %q", m.MessageID, tt.want)
			}
		})
	}
}

func TestParseDropsUnusableIDsFromInReplyToAndReferences(t *testing.T) {
	tests := []struct {
		name  string
		field string
		want  string
	}{
		{"good ids are kept in order", "<a@x> <b@y>", "[a@x b@y]"},
		{"an id with a blank is dropped", "<a@x> <bad id@x> <b@y>", "[a@x b@y]"},
		{"an id with a control character is dropped", "<a@x> <bad\x01@x>", "[a@x]"},
		{"an id over 250 bytes is dropped", "<" + strings.Repeat("a", 251) + "> <b@y>", "[b@y]"},
		{"an id with a quote is dropped", `<"q"@x> <b@y>`, "[b@y]"},
		{"an id with 8-bit bytes is dropped", "<caf\xe9@x> <b@y>", "[b@y]"},
		{"a broken id gives way to the id after its last bracket", "<broken <a@x>", "[a@x]"},
		{"unbracketed ids are split on blanks and commas", "a@x, b@y", "[a@x b@y]"},
		{"only unusable ids leave none", "<a b> <>", "[]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := parse(t, msg("From: a@b.fr", "In-Reply-To: "+tt.field, "References: "+tt.field, "Subject: s", "", "x"))
			if got := fmt.Sprint(m.InReplyTo); got != tt.want {
				t.Errorf("InReplyTo = %q, want %s", m.InReplyTo, tt.want)
			}
			if got := fmt.Sprint(m.References); got != tt.want {
				t.Errorf("References = %q, want %s", m.References, tt.want)
			}
		})
	}
}

// SPEC §4.4: a delivery report is ignored wherever it sits in the tree.
func TestParseFindsDeliveryReportsAtAnyDepth(t *testing.T) {
	report := []string{
		"Content-Type: multipart/report; report-type=delivery-status; boundary=r", "",
		"--r", "Content-Type: text/plain", "", "Delivery failed.",
		"--r", "Content-Type: message/delivery-status", "", "Final-Recipient: rfc822; x@contoso.fr", "Action: failed",
		"--r--",
	}
	mixed := func(inner ...string) []string {
		return append(append([]string{"Content-Type: multipart/mixed; boundary=m" + fmt.Sprint(len(inner)), "",
			"--m" + fmt.Sprint(len(inner))}, inner...), "--m"+fmt.Sprint(len(inner))+"--")
	}
	tests := []struct {
		name       string
		raw        string
		hasReport  bool
		reportType string
	}{
		{"a top-level report", msg(append([]string{"From: mailer-daemon@mx.example", "Subject: s"}, report...)...), true, "delivery-status"},
		{"a report inside multipart/mixed", msg(append([]string{"From: a@b.fr", "Subject: s"}, mixed(report...)...)...), true, "delivery-status"},
		{"a report two levels down", msg(append([]string{"From: a@b.fr", "Subject: s"}, mixed(mixed(report...)...)...)...), true, "delivery-status"},
		{"a report after a text part", msg("From: a@b.fr", "Subject: s", "Content-Type: multipart/mixed; boundary=m", "",
			"--m", "Content-Type: text/plain", "", "see below",
			"--m", strings.Join(report, "\r\n"),
			"--m--"), true, "delivery-status"},
		{"a report inside an attached message is not entered", msg("From: a@b.fr", "Subject: s", "Content-Type: multipart/mixed; boundary=m", "",
			"--m", "Content-Type: text/plain", "", "a bounce I got, forwarded",
			"--m", "Content-Type: message/rfc822", "", "Subject: bounce", strings.Join(report, "\r\n"),
			"--m--"), false, ""},
		{"plain multipart/mixed is no report", msg(append([]string{"From: a@b.fr", "Subject: s"},
			mixed("Content-Type: text/plain", "", "hello")...)...), false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := parse(t, tt.raw)
			if m.HasReport != tt.hasReport || m.ReportType != tt.reportType {
				t.Errorf("HasReport, ReportType = %v, %q; want %v, %q", m.HasReport, m.ReportType, tt.hasReport, tt.reportType)
			}
		})
	}
}

// SPEC §4.4: a malformed field must not end the header before a loop
// marker that follows it.
func TestParseReadsTheFieldsAfterAMalformedOne(t *testing.T) {
	tests := []struct {
		name      string
		malformed []string // the malformed field with its continuation lines
	}{
		{"an 8-bit byte in the name, then a folded line", []string{"X-Bad\xe9: v", " folded"}},
		{"UTF-8 in the name, then a folded line", []string{"Sübject: v", "\tfolded"}},
		{"a NUL in the name, then a folded line", []string{"X-\x00Bad: v", " folded"}},
		{"a control character in the name, then folded lines", []string{"X-\x1bBad: v", " one", " two"}},
		{"DEL in the name, then a folded line", []string{"X-Bad\x7f: v", " folded"}},
		{"an 8-bit name with nothing after its colon", []string{"X-\xff:"}},
		{"no colon, then a folded line", []string{"X-No-Colon-Here", " folded"}},
		{"blanks in the name, then a folded line", []string{"X Bad Name: v", " folded"}},
		{"blanks and an 8-bit byte in the name, then a folded line", []string{"X B\xe4d: v", " folded"}},
		{"two malformed fields in a row", []string{"X-Bad\xe9: v", " folded", "X-\x00Worse: w", " folded"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := append(append([]string{"From: a@b.fr", "Subject: s"}, tt.malformed...), "Auto-Submitted: auto-replied", "X-After: yes", "", "body")
			m := parse(t, msg(lines...))
			if got := m.Header.Get("Auto-Submitted"); got != "auto-replied" {
				t.Errorf("Auto-Submitted = %q, want it read after the malformed field", got)
			}
			if got := m.Header.Get("X-After"); got != "yes" {
				t.Errorf("X-After = %q", got)
			}
			if m.Text != "body" || m.Subject != "s" {
				t.Errorf("Subject, Text = %q, %q", m.Subject, m.Text)
			}
		})
	}
	// The same malformed field as the last one ends with the header, and a
	// line of prose after the fields still starts a body that lacks its
	// blank line.
	for _, tt := range []struct{ name, raw, text string }{
		{"a malformed last field is skipped", msg("Subject: s", "X-Bad\xe9: v", " folded", "", "body"), "body"},
		{"prose with 8-bit words before a colon starts the body",
			msg("Subject: s", "R\xc3\xa9union \xc3\xa0 10:00 demain", "second line"), "Réunion à 10:00 demain\nsecond line"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if m := parse(t, tt.raw); m.Text != tt.text {
				t.Errorf("Text = %q, want %q", m.Text, tt.text)
			}
		})
	}
}

func TestParseChoosesTheBody(t *testing.T) {
	tests := []struct {
		name     string
		raw      string
		text     string
		html     string // "" means any
		fromHTML bool
		parts    int
	}{
		{"text/plain beside HTML in nested multiparts",
			msg("Content-Type: multipart/mixed; boundary=outer", "",
				"--outer",
				"Content-Type: multipart/alternative; boundary=inner", "",
				"--inner", "Content-Type: text/plain; charset=utf-8", "", "Ajoutez 5 licences.",
				"--inner", "Content-Type: text/html; charset=utf-8", "", "<p>Ajoutez <b>5</b> licences.</p>",
				"--inner--",
				"--outer", "Content-Type: text/plain; name=tarifs.txt", "Content-Disposition: attachment; filename=tarifs.txt", "", "E3;30",
				"--outer--"),
			"Ajoutez 5 licences.", "<p>Ajoutez <b>5</b> licences.</p>", false, 5},
		{"HTML only is rendered",
			textPart("text/html; charset=utf-8", "quoted-printable", "<div>Bonjour,</div><div>retirez 2 licences E5=\r\n.</div>"),
			"Bonjour,\nretirez 2 licences E5.", "<div>Bonjour,</div><div>retirez 2 licences E5.</div>", true, 1},
		{"a text attachment is not the body",
			msg("Content-Type: multipart/mixed; boundary=b", "",
				"--b", "Content-Type: text/plain", "Content-Disposition: attachment; filename=export.csv", "", "user;sku",
				"--b", "Content-Type: text/html", "", "<p>Voir la pièce jointe</p>",
				"--b--"),
			"Voir la pièce jointe", "", true, 3},
		{"a text part named like a file is not the body",
			msg("Content-Type: multipart/mixed; boundary=b", "",
				"--b", "Content-Type: text/plain; name=notes.txt", "", "file content",
				"--b", "Content-Type: text/plain", "", "the real body",
				"--b--"),
			"the real body", "", false, 3},
		{"an attached message is not entered",
			msg("Content-Type: multipart/mixed; boundary=b", "",
				"--b", "Content-Type: message/rfc822", "", "Subject: old", "", "forwarded history",
				"--b", "Content-Type: text/plain", "", "my own words",
				"--b--"),
			"my own words", "", false, 3},
		{"multipart/related inside multipart/signed",
			msg("Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; boundary=s", "",
				"--s", "Content-Type: multipart/related; boundary=r", "",
				"--r", "Content-Type: multipart/alternative; boundary=a", "",
				"--a", "Content-Type: text/plain", "", "signed text",
				"--a", "Content-Type: text/html", "", "<p>signed html</p>",
				"--a--",
				"--r", "Content-Type: image/png", "Content-Transfer-Encoding: base64", "", "iVBORw0KGgo=",
				"--r--",
				"--s", "Content-Type: application/pgp-signature", "", "-----BEGIN PGP SIGNATURE-----",
				"--s--"),
			"signed text", "<p>signed html</p>", false, 7},
		{"a missing final boundary keeps what was read",
			msg("Content-Type: multipart/alternative; boundary=b", "",
				"--b", "Content-Type: text/plain", "", "line one", "line two"),
			"line one\nline two", "", false, 2},
		{"a blank text/plain gives way to the HTML",
			msg("Content-Type: multipart/alternative; boundary=b", "",
				"--b", "Content-Type: text/plain", "", "  ",
				"--b", "Content-Type: text/html", "", "<p>le vrai texte</p>",
				"--b--"),
			"le vrai texte", "", true, 3},
		{"no Content-Type means text/plain",
			msg("From: a@b.fr", "", "Bonjour"),
			"Bonjour", "", false, 1},
		{"a multipart without a boundary is read as text",
			msg("Content-Type: multipart/report;", "", "I'm multipart without boundary"),
			"I'm multipart without boundary", "", false, 1},
		{"a text part inherits the charset declared on its multipart",
			msg("Content-Type: multipart/mixed; charset=iso-8859-2; boundary=b", "",
				"--b", "Content-Type: text/plain", "", "Pchn\xb1\xe6",
				"--b--"),
			"Pchnąć", "", false, 2},
		{"parts of a digest default to attached messages",
			msg("Content-Type: multipart/mixed; boundary=b", "",
				"--b", "Content-Type: multipart/digest; boundary=d", "",
				"--d", "", "Subject: digested", "", "digest text",
				"--d--",
				"--b", "Content-Type: text/plain", "", "after the digest",
				"--b--"),
			"after the digest", "", false, 4},
		{"a part without a header is text/plain",
			msg("Content-Type: multipart/mixed; boundary=b", "",
				"--b", "", "no header here",
				"--b--"),
			"no header here", "", false, 2},
		{"a part header missing its blank line ends at a boundary",
			msg("Content-Type: multipart/mixed; boundary=a", "",
				"--a", "Content-Type: multipart/mixed; boundary=ab",
				"--ab", "Content-Type: text/plain", "", "inner",
				"--ab--",
				"--a--"),
			"inner", "", false, 3},
		{"preamble and epilogue are ignored",
			msg("Content-Type: multipart/mixed; boundary=b", "",
				"This is a multi-part message in MIME format.",
				"--b", "Content-Type: text/plain", "", "body",
				"--b--", "epilogue"),
			"body", "", false, 2},
		{"a boundary that is a prefix of another line does not split",
			msg("Content-Type: multipart/mixed; boundary=b", "",
				"--b", "Content-Type: text/plain", "", "--bx is not a boundary", "--b--x", "--b--"),
			"--bx is not a boundary\n--b--x", "", false, 2},
		{"bare LF line endings",
			strings.ReplaceAll(msg("Content-Type: multipart/alternative; boundary=b", "",
				"--b", "Content-Type: text/plain", "", "one\r\ntwo", "--b--"), "\r\n", "\n"),
			"one\ntwo", "", false, 2},
		{"an attachment only gives no text",
			msg("Content-Type: application/pdf", "Content-Disposition: attachment; filename=a.pdf", "", "%PDF-1.4"),
			"", "", false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := parse(t, tt.raw)
			if m.Text != tt.text {
				t.Errorf("Text = %q, want %q", m.Text, tt.text)
			}
			if tt.html != "" && m.HTML != tt.html {
				t.Errorf("HTML = %q, want %q", m.HTML, tt.html)
			}
			if m.FromHTML != tt.fromHTML {
				t.Errorf("FromHTML = %v, want %v", m.FromHTML, tt.fromHTML)
			}
			if m.Parts != tt.parts {
				t.Errorf("Parts = %d, want %d", m.Parts, tt.parts)
			}
		})
	}
}

func TestParseToleratesSloppyHeaders(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		subject string
		text    string
		field   [2]string // a header field that must be found, and its value
	}{
		{"an mbox From line before the header",
			"From MAILER-DAEMON Fri Jul  8 12:08:34 2011\nFrom: a@b.fr\nSubject: s\n\nbody",
			"s", "body", [2]string{"From", "a@b.fr"}},
		{"a line of blanks before the header",
			"      \r\nSubject: s\r\n\r\nbody",
			"s", "body", [2]string{"Subject", "s"}},
		{"an indented first line",
			" From: a@b.fr\r\nSubject: s\r\n\r\nbody",
			"s", "body", [2]string{"From", "a@b.fr"}},
		{"a junk line among fields is skipped",
			"Subject: s\r\nBadLine-\r\nX-After: yes\r\n\r\nbody",
			"s", "body", [2]string{"X-After", "yes"}},
		{"the body starts without a blank line",
			"Subject: s\r\nFrom: a@b.fr\r\nno separating line here\r\nsecond line",
			"s", "no separating line here\nsecond line", [2]string{"From", "a@b.fr"}},
		{"a field name with blanks and punctuation is kept",
			"Subject: s\r\nX-Script/function/\t !\"#: TEST\r\n VALUE\r\nContent-Type: text/plain\r\n\r\nbody",
			"s", "body", [2]string{"X-Script/function/\t !\"#", "TEST VALUE"}},
		{"obsolete blanks before the colon",
			"Subject    : s\r\n\r\nbody",
			"s", "body", [2]string{"subject", "s"}},
		{"a header with no body",
			"Subject: s\r\nFrom: a@b.fr",
			"s", "", [2]string{"From", "a@b.fr"}},
		{"a message with no header at all",
			"\r\nJust a body",
			"", "Just a body", [2]string{"Subject", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := parse(t, tt.raw)
			if m.Subject != tt.subject || m.Text != tt.text {
				t.Errorf("Subject, Text = %q, %q; want %q, %q", m.Subject, m.Text, tt.subject, tt.text)
			}
			if got := m.Header.Get(tt.field[0]); got != tt.field[1] {
				t.Errorf("Header.Get(%q) = %q, want %q", tt.field[0], got, tt.field[1])
			}
		})
	}
}

// nested returns a message whose multiparts nest depth entities deep, the
// message itself counted.
func nested(depth int) string {
	var b strings.Builder
	b.WriteString("Subject: deep\r\n")
	for i := 1; i < depth; i++ {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i, i)
	}
	b.WriteString("Content-Type: text/plain\r\n\r\nbottom\r\n")
	for i := depth - 1; i >= 1; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return b.String()
}

// withParts returns a multipart message of n entities, the message included.
func withParts(n int) string {
	var b strings.Builder
	b.WriteString("Subject: many\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "--b\r\nContent-Type: text/plain\r\n\r\npart %d\r\n", i)
	}
	b.WriteString("--b--\r\n")
	return b.String()
}

func TestParseRefusesMessagesOverEachBound(t *testing.T) {
	longLine := "Subject: s\r\n\r\n" + strings.Repeat("a", 1000) + "\r\n"
	bigHeader := "Subject: s\r\nX-Pad: " + strings.Repeat("p", 480) + "\r\n\r\nbody"
	bigPartHeader := "Subject: s\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nX-Pad: " +
		strings.Repeat("p", 600) + "\r\n\r\nbody\r\n--b--\r\n"
	tests := []struct {
		name  string
		raw   string
		lim   decode.Limits
		limit string // "" when the message must pass
		max   int64
	}{
		{"MaxBytes: one byte over", "Subject: s\r\n\r\n" + strings.Repeat("b", 87), decode.Limits{MaxBytes: 100}, "MaxBytes", 100},
		{"MaxBytes: exactly at the bound", "Subject: s\r\n\r\n" + strings.Repeat("b", 86), decode.Limits{MaxBytes: 100}, "", 0},
		{"MaxLineBytes: a line one byte over", longLine, decode.Limits{MaxLineBytes: 999}, "MaxLineBytes", 999},
		{"MaxLineBytes: a line at the bound", longLine, decode.Limits{MaxLineBytes: 1000}, "", 0},
		{"MaxHeaderBytes: the message header", bigHeader, decode.Limits{MaxHeaderBytes: 256}, "MaxHeaderBytes", 256},
		{"MaxHeaderBytes: a part header", bigPartHeader, decode.Limits{MaxHeaderBytes: 512}, "MaxHeaderBytes", 512},
		{"MaxHeaderBytes: headers within the bound", bigPartHeader, decode.Limits{MaxHeaderBytes: 1024}, "", 0},
		{"MaxDepth: one level too deep", nested(4), decode.Limits{MaxDepth: 3}, "MaxDepth", 3},
		{"MaxDepth: exactly at the bound", nested(3), decode.Limits{MaxDepth: 3}, "", 0},
		{"MaxParts: one part too many", withParts(6), decode.Limits{MaxParts: 5}, "MaxParts", 5},
		{"MaxParts: exactly at the bound", withParts(5), decode.Limits{MaxParts: 5}, "", 0},
		{"MaxDepth by default: hostile nesting", nested(10000), decode.Limits{}, "MaxDepth", 8},
		{"MaxParts by default: a flood of empty parts", "Content-Type: multipart/mixed; boundary=b\r\n\r\n" + strings.Repeat("--b\r\n", 100000), decode.Limits{}, "MaxParts", 128},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := decode.Parse(strings.NewReader(tt.raw), tt.lim)
			if tt.limit == "" {
				if err != nil || m == nil {
					t.Fatalf("Parse = %v, want success at the bound", err)
				}
				return
			}
			if !errors.Is(err, decode.ErrTooLarge) {
				t.Fatalf("err = %v, want ErrTooLarge", err)
			}
			var le *decode.LimitError
			if !errors.As(err, &le) || le.Limit != tt.limit || le.Max != tt.max {
				t.Fatalf("err = %#v, want LimitError{%s %d}", err, tt.limit, tt.max)
			}
			if m != nil {
				t.Error("a refused message must not be returned in part")
			}
		})
	}
}

// hostileHeader is a header field built to trip a quadratic loop, and
// what Parse must make of it.
type hostileHeader struct {
	name  string
	field func(size int) string                    // the field (or fields) of about size bytes, without the final CRLF
	check func(m *decode.Message, size int) string // "" when right, else what is wrong
}

// fill repeats unit to about size bytes.
func fill(unit string, size int) string { return strings.Repeat(unit, size/len(unit)) }

// hostileHeaders are shared by TestParseGetsHostileHeadersRight, which
// checks the result, and BenchmarkParseHostileHeaders, which shows the cost
// grows linearly with the size (unterminated encoded words, obsolete dotted
// addresses, unbalanced brackets, many addresses or fields).
var hostileHeaders = []hostileHeader{
	{"unterminated encoded words", func(n int) string { return "Subject: " + fill("=?a?q?", n) },
		func(m *decode.Message, n int) string {
			return want(strings.HasPrefix(m.Subject, "=?a?q?") && utf8.ValidString(m.Subject), "Subject lost")
		}},
	{"broken encoded words before one terminator", func(n int) string { return "Subject: " + fill("=?x?q?a ", n) + "?=" },
		func(m *decode.Message, n int) string {
			return want(strings.HasPrefix(m.Subject, "=?x?q?a") && utf8.ValidString(m.Subject), "Subject lost")
		}},
	{"many word starts before one terminator", func(n int) string { return "Subject: " + fill("=?", n) + "?=" },
		func(m *decode.Message, n int) string { return want(m.Subject == fill("=?", n)+"?=", "Subject changed") }},
	{"valid encoded words", func(n int) string { return "Subject: " + fill("=?utf-8?q?a?= ", n) },
		func(m *decode.Message, n int) string {
			return want(m.Subject == strings.Repeat("a", n/len("=?utf-8?q?a?= ")), "words not decoded")
		}},
	{"obsolete dotted words", func(n int) string { return "From: " + fill("a. ", n) },
		func(m *decode.Message, n int) string { return fromProblem(m, decode.FromNotAnAddress) }},
	{"unbalanced angle brackets", func(n int) string { return "From: " + fill("<", n) },
		func(m *decode.Message, n int) string { return fromProblem(m, decode.FromNoValidAddress) }},
	{"unbalanced comments", func(n int) string { return "From: " + fill("(", n) },
		func(m *decode.Message, n int) string { return fromProblem(m, decode.FromNotAnAddress) }},
	{"unbalanced quotes", func(n int) string { return "From: " + fill(`"a\`, n) },
		func(m *decode.Message, n int) string { return fromProblem(m, decode.FromNotAnAddress) }},
	{"many angle addresses in From", func(n int) string { return "From: " + fill("<a@b.example>", n) },
		func(m *decode.Message, n int) string { return fromProblem(m, decode.FromSeveralAddresses) }},
	{"many bare addresses in From", func(n int) string { return "From: " + fill("a@b.example ", n) },
		func(m *decode.Message, n int) string { return fromProblem(m, decode.FromSeveralAddresses) }},
	{"a huge domain in From", func(n int) string { return "From: a@" + fill("b.", n) + "example" },
		func(m *decode.Message, n int) string { return fromProblem(m, decode.FromNoValidAddress) }},
	{"many From fields", func(n int) string { return strings.TrimSuffix(fill("From: a@b.example\r\n", n), "\r\n") },
		func(m *decode.Message, n int) string { return fromProblem(m, decode.FromSeveralFields) }},
	{"many addresses", func(n int) string { return "To: " + fill("a@b,", n) },
		func(m *decode.Message, n int) string {
			return want(len(m.To) == n/4, fmt.Sprintf("%d To addresses", len(m.To)))
		}},
	{"unbalanced message ids", func(n int) string { return "References: " + fill("<", n) },
		func(m *decode.Message, n int) string { return want(len(m.References) == 0, "References kept") }},
	{"an unbalanced Message-ID", func(n int) string { return "Message-ID: " + fill("<", n) },
		func(m *decode.Message, n int) string { return want(m.MessageID == "", "MessageID kept") }},
	{"unbalanced parameters", func(n int) string { return "Content-Type: text/plain" + fill(`;a="`, n) },
		func(m *decode.Message, n int) string {
			return want(m.ContentType == "text/plain" && m.Text == "body", "body lost")
		}},
	{"a date of comments", func(n int) string { return "Date: " + fill("(", n) },
		func(m *decode.Message, n int) string { return want(m.Date.IsZero(), "a date was read") }},
	{"many short fields", func(n int) string { return strings.TrimSuffix(fill("A: b\r\n", n), "\r\n") },
		func(m *decode.Message, n int) string {
			return want(m.Header.Len() == n/6, fmt.Sprintf("%d fields", m.Header.Len()))
		}},
	{"many malformed fields with folded lines", func(n int) string {
		return "Subject: s\r\n" + fill("X-\xff: v\r\n folded\r\n", n) + "Auto-Submitted: auto-replied"
	}, func(m *decode.Message, n int) string {
		return want(m.Header.Len() == 2 && m.Header.Get("Auto-Submitted") == "auto-replied", "the field after them was lost")
	}},
}

func want(ok bool, what string) string {
	if ok {
		return ""
	}
	return what
}

func fromProblem(m *decode.Message, problem string) string {
	return want(m.From == nil && m.FromProblem == problem, fmt.Sprintf("From %+v, FromProblem %q; want %q", m.From, m.FromProblem, problem))
}

// hostileLimits admit a header of size bytes.
func hostileLimits(size int) decode.Limits {
	return decode.Limits{MaxBytes: int64(2 * size), MaxHeaderBytes: 2 * size, MaxLineBytes: 2 * size}
}

// TestParseGetsHostileHeadersRight checks what Parse makes of each hostile
// field at a modest size. How the cost grows is BenchmarkParseHostileHeaders'
// business: a test asserts behaviour, never time.
func TestParseGetsHostileHeadersRight(t *testing.T) {
	const size = 64 << 10
	for _, h := range hostileHeaders {
		t.Run(h.name, func(t *testing.T) {
			m, err := decode.Parse(strings.NewReader(h.field(size)+"\r\n\r\nbody"), hostileLimits(size))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if problem := h.check(m, size); problem != "" {
				t.Error(problem)
			}
		})
	}
}

// BenchmarkParseHostileHeaders parses each hostile field at 256 KiB and at
// 4 MiB. Linear work keeps the same MB/s at both sizes; a quadratic loop
// loses a factor of 16 (run with -bench ParseHostileHeaders and compare).
func BenchmarkParseHostileHeaders(b *testing.B) {
	for _, h := range hostileHeaders {
		for _, size := range []int{256 << 10, 4 << 20} {
			raw := []byte(h.field(size) + "\r\n\r\nbody")
			lim := hostileLimits(size)
			b.Run(fmt.Sprintf("%s/%dKiB", h.name, size>>10), func(b *testing.B) {
				b.SetBytes(int64(len(raw)))
				for b.Loop() {
					if _, err := decode.Parse(bytes.NewReader(raw), lim); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// countingReader is an endless source that counts what is read from it.
type countingReader struct{ n int64 }

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	r.n += int64(len(p))
	return len(p), nil
}

func TestParseReadsAtMostOneByteBeyondMaxBytes(t *testing.T) {
	src := &countingReader{}
	_, err := decode.Parse(io.MultiReader(strings.NewReader("Subject: s\r\n\r\n"), src), decode.Limits{MaxBytes: 4096})
	if !errors.Is(err, decode.ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if read := src.n + int64(len("Subject: s\r\n\r\n")); read != 4096+1 {
		t.Errorf("read %d bytes from an endless reader with MaxBytes 4096, want 4097", read)
	}
}

func TestParseReadsSlowReaders(t *testing.T) {
	raw := textPart("text/plain; charset=utf-8", "quoted-printable", "Ajoutez 1 licence =C3=A0 Zo=C3=A9")
	m, err := decode.Parse(iotest.OneByteReader(strings.NewReader(raw)), decode.DefaultLimits())
	if err != nil || m.Text != "Ajoutez 1 licence à Zoé" {
		t.Fatalf("Parse = %v, %q", err, m.Text)
	}
}

func TestParseReturnsReadErrorsWrapped(t *testing.T) {
	boom := errors.New("connection reset")
	m, err := decode.Parse(io.MultiReader(strings.NewReader("Subject: s\r\n\r\nhalf a bo"), iotest.ErrReader(boom)), decode.DefaultLimits())
	if m != nil {
		t.Error("a message cut by a read error must not be returned")
	}
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want it to wrap the read error", err)
	}
	if errors.Is(err, decode.ErrMalformed) || errors.Is(err, decode.ErrTooLarge) {
		t.Errorf("a read error is not a verdict on the message: %v", err)
	}
}

func TestParseRejectsInputThatIsNotAMessage(t *testing.T) {
	for _, tt := range []struct{ name, raw string }{
		{"empty input", ""},
		{"only blank lines", "\r\n\r\n  \r\n"},
		{"binary noise", "\x00\x01\x02\xff\xfe:\x89PNG\r\n\x1a\n"},
		{"prose", "Hello, this is not a mail: just text.\nSecond line"},
		{"JSON", `{"subject": "x"}`},
		{"an empty header and an empty body", "\r\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, err := decode.Parse(strings.NewReader(tt.raw), decode.DefaultLimits())
			if !errors.Is(err, decode.ErrMalformed) || m != nil {
				t.Fatalf("Parse = %v, %v; want ErrMalformed", m, err)
			}
		})
	}
}

func TestLimitErrorNamesTheBound(t *testing.T) {
	err := error(&decode.LimitError{Limit: "MaxParts", Max: 128})
	if !errors.Is(err, decode.ErrTooLarge) {
		t.Error("LimitError does not wrap ErrTooLarge")
	}
	if got := err.Error(); !strings.HasPrefix(got, "decode: ") || !strings.Contains(got, "MaxParts (128)") {
		t.Errorf("Error() = %q", got)
	}
}

func TestDefaultLimitsAreUsedForZeroFields(t *testing.T) {
	// Only MaxParts is set: the other bounds must still hold at their defaults.
	_, err := decode.Parse(strings.NewReader(nested(20)), decode.Limits{MaxParts: 1000})
	var le *decode.LimitError
	if !errors.As(err, &le) || le.Limit != "MaxDepth" || le.Max != int64(decode.DefaultLimits().MaxDepth) {
		t.Fatalf("err = %v, want the default MaxDepth", err)
	}
}

func TestParseOutputIsCleanUTF8(t *testing.T) {
	raw := msg("Subject: =?utf-8?q?a=00b=07c?=", "Content-Type: text/html; charset=x-unknown", "",
		"<p>\xff\xfe x\x00y\x1b \u0085</p>")
	m := parse(t, raw)
	for name, s := range map[string]string{"Subject": m.Subject, "Text": m.Text, "HTML": m.HTML} {
		if !utf8.ValidString(s) {
			t.Errorf("%s is not valid UTF-8: %q", name, s)
		}
		if strings.ContainsAny(s, "\x00\x07\x1b\r") {
			t.Errorf("%s keeps control characters: %q", name, s)
		}
	}
}

// A typical customer email: French, multipart/alternative, quoted-printable,
// about 3 KB.
var typicalMail = func() string {
	para := "Nous souhaiterions ajouter 5 licences Microsoft 365 E3 =C3=A0 notre abonnem=\r\n" +
		"ent et retirer 2 licences Visio Plan 2 d=C3=A8s que possible. Pourriez-vous =\r\n" +
		"nous confirmer le co=C3=BBt mensuel ? Merci d'avance.\r\n"
	html := "<div>Bonjour,</div><div><br></div><div>Nous souhaiterions ajouter 5 licences =\r\n" +
		"Microsoft 365 E3 =C3=A0 notre abonnement et retirer 2 licences Visio Plan 2 =\r\n" +
		"d=C3=A8s que possible.</div><div>Merci d'avance.</div><div><br></div>\r\n"
	return msg(
		"Return-Path: <marie.dupont@contoso.fr>",
		"Received: from mail.contoso.fr (mail.contoso.fr [192.0.2.10]) by mx.licensedesk.example with ESMTPS id 4F2A1; Tue, 3 Mar 2026 10:15:02 +0100",
		"Authentication-Results: mx.licensedesk.example; spf=pass smtp.mailfrom=contoso.fr; dkim=pass header.d=contoso.fr; dmarc=pass",
		`From: "Marie Dupont" <marie.dupont@contoso.fr>`,
		"To: licences@licensedesk.example",
		"Subject: =?UTF-8?Q?Ajout_de_licences_pour_l=E2=80=99=C3=A9quipe?=",
		"Date: Tue, 3 Mar 2026 10:15:00 +0100",
		"Message-ID: <CAF=42xyz@mail.contoso.fr>",
		"MIME-Version: 1.0",
		`Content-Type: multipart/alternative; boundary="000000000000abcdef"`,
		"",
		"--000000000000abcdef",
		`Content-Type: text/plain; charset="UTF-8"`,
		"Content-Transfer-Encoding: quoted-printable",
		"",
		"Bonjour,", "",
		strings.Repeat(para, 6),
		"Cordialement,", "Marie Dupont", "Responsable informatique, Contoso", "",
		"--000000000000abcdef",
		`Content-Type: text/html; charset="UTF-8"`,
		"Content-Transfer-Encoding: quoted-printable",
		"",
		strings.Repeat(html, 4),
		"--000000000000abcdef--",
		"")
}()

func TestTypicalMailDecodes(t *testing.T) {
	m := parse(t, typicalMail)
	if m.Subject != "Ajout de licences pour l’équipe" || m.From == nil || m.From.Email != "marie.dupont@contoso.fr" {
		t.Errorf("Subject, From = %q, %+v", m.Subject, m.From)
	}
	if !strings.Contains(m.Text, "ajouter 5 licences Microsoft 365 E3 à notre abonnement") || m.FromHTML {
		t.Errorf("Text = %q", m.Text)
	}
	if n := len(typicalMail); n < 2500 || n > 3500 {
		t.Errorf("typical mail is %d bytes, want about 3 KB", n)
	}
}

func BenchmarkParse(b *testing.B) {
	raw := []byte(typicalMail)
	lim := decode.DefaultLimits()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decode.Parse(bytes.NewReader(raw), lim); err != nil {
			b.Fatal(err)
		}
	}
}
