package decode_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/licensedesk/licensedesk/mailintake/decode"
)

// Small bounds so the fuzzer reaches every refusal and spends its time in
// the parser rather than on big inputs.
var fuzzLimits = decode.Limits{MaxBytes: 1 << 16, MaxDepth: 5, MaxParts: 24, MaxHeaderBytes: 2048, MaxLineBytes: 4096}

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		typicalMail,
		nested(4),
		withParts(5),
		textPart("text/plain; charset=windows-1252", "quoted-printable", "=93Ajouter=94 =96 5 licences, =9Cuvre"),
		textPart("text/plain; charset=ISO-2022-JP", "7bit", "\x1b$B$3$s$K$A$O\x1b(B"),
		textPart("text/html; charset=utf-8", "base64", "PGJsb2NrcXVvdGU+PHA+b3VpPC9wPjwvYmxvY2txdW90ZT4="),
		msg("Subject: =?UTF-8?Q?Ajout_?=\r\n =?x-unknown?B?VEVTVA=?=", "From: Pete(c) <pete(x)@silly.test>", "", "x"),
		msg("Content-Type: multipart/mixed; boundary=b", "", "--b", "Content-Type: message/rfc822", "", "Subject: old", "", "x", "--b", "", "no header"),
		"From MAILER-DAEMON Fri Jul  8 12:08:34 2011\nFrom: MAILER-DAEMON\nSubject: s\nbody without blank line",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decode.Parse(bytes.NewReader(data), fuzzLimits)
		if err != nil {
			if !errors.Is(err, decode.ErrTooLarge) && !errors.Is(err, decode.ErrMalformed) {
				t.Fatalf("error wraps neither sentinel: %v", err)
			}
			if m != nil {
				t.Fatal("a message returned with an error")
			}
			return
		}
		if m.Parts < 1 || m.Parts > fuzzLimits.MaxParts {
			t.Fatalf("Parts = %d", m.Parts)
		}
		checkText(t, "Text", m.Text, "\n\t")
		checkText(t, "HTML", m.HTML, "\n\t")
		checkText(t, "Subject", m.Subject, "")
		addrs := append(append(append([]decode.Address{}, m.To...), m.Cc...), m.ReplyTo...)
		for _, a := range []*decode.Address{m.From, m.Sender} {
			if a != nil {
				addrs = append(addrs, *a)
			}
		}
		for _, a := range addrs {
			checkText(t, "address name", a.Name, "")
			checkText(t, "address", a.Email, "")
			if a.Email == "" || a.Email != strings.ToLower(a.Email) || strings.ContainsAny(a.Email, " \t") {
				t.Fatalf("address %q is empty, has blanks or is not lower-cased", a.Email)
			}
		}
		checkSender(t, m, data)
		checkIDs(t, m)
		if m.ContentType == "multipart/report" && !m.HasReport {
			t.Fatal("a top-level multipart/report without HasReport")
		}
		if m.FromHTML && m.HTML == "" {
			t.Fatal("FromHTML without HTML")
		}
		if !strings.Contains(m.ContentType, "/") {
			t.Fatalf("ContentType = %q", m.ContentType)
		}
		again, err := decode.Parse(bytes.NewReader(data), fuzzLimits)
		if err != nil || again.Text != m.Text || again.Subject != m.Subject || again.FromProblem != m.FromProblem {
			t.Fatal("Parse is not deterministic")
		}
	})
}

// FuzzFrom feeds arbitrary From fields, one or two, to Parse and checks
// SPEC §4.3: Message.From is set only for exactly one From field naming
// exactly one address, and that address is a plain addr-spec replies can
// go to. Seeds: testdata/fuzz/FuzzFrom (the crafted senders of
// mailintake/testdata/adversarial among them).
func FuzzFrom(f *testing.F) {
	f.Add(`"Marie Dupont" <marie.dupont@contoso.fr>`, "")
	f.Add("it@contoso.com", "attacker@evil.example")
	f.Fuzz(func(t *testing.T, from, second string) {
		lines := []string{"From: " + from}
		if second != "" {
			lines = append(lines, "From: "+second)
		}
		raw := msg(append(lines, "Subject: s", "", "body")...)
		m, err := decode.Parse(strings.NewReader(raw), fuzzLimits)
		if err != nil {
			if !errors.Is(err, decode.ErrTooLarge) {
				t.Fatalf("Parse: %v", err)
			}
			return
		}
		checkSender(t, m, []byte(raw))
		oneLine := !strings.ContainsAny(from+second, "\r\n")
		if oneLine && second != "" && m.FromProblem != decode.FromSeveralFields {
			t.Fatalf("two From fields gave From %+v, FromProblem %q", m.From, m.FromProblem)
		}
		if oneLine && second == "" && m.FromProblem == decode.FromSeveralFields {
			t.Fatal("one From field read as several")
		}
		again, _ := decode.Parse(strings.NewReader(raw), fuzzLimits)
		if again.FromProblem != m.FromProblem || (m.From != nil) != (again.From != nil) || m.From != nil && *m.From != *again.From {
			t.Fatal("Parse is not deterministic")
		}
	})
}

// fromProblems are every value Message.FromProblem may take.
var fromProblems = map[string]bool{"": true, decode.FromMissing: true, decode.FromSeveralFields: true,
	decode.FromSeveralAddresses: true, decode.FromNoValidAddress: true, decode.FromNotAnAddress: true}

// checkSender fails unless m.From obeys SPEC §4.3: set exactly when
// FromProblem is "", only with one From field, and then a lower-case ASCII
// addr-spec (dot-atom local part, one '@', a host name of two labels or
// more) whose parts were written in raw: decoding never makes an address.
func checkSender(t *testing.T, m *decode.Message, raw []byte) {
	t.Helper()
	if !fromProblems[m.FromProblem] {
		t.Fatalf("unknown FromProblem %q", m.FromProblem)
	}
	if (m.From == nil) != (m.FromProblem != "") {
		t.Fatalf("From %+v with FromProblem %q", m.From, m.FromProblem)
	}
	if m.From == nil {
		return
	}
	if n := len(m.Header.Values("From")); n != 1 {
		t.Fatalf("From %+v set with %d From fields", m.From, n)
	}
	checkText(t, "From name", m.From.Name, "")
	email := m.From.Email
	local, domain, ok := strings.Cut(email, "@")
	if !ok || strings.Contains(domain, "@") {
		t.Fatalf("From %q has not exactly one '@'", email)
	}
	for i := 0; i < len(email); i++ {
		c := email[i]
		if c <= ' ' || c >= 0x7f || c >= 'A' && c <= 'Z' || strings.IndexByte(`"<>()[]\,;:`, c) >= 0 {
			t.Fatalf("From %q holds %q", email, c)
		}
	}
	if local == "" || len(local) > 64 || strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") ||
		strings.Contains(local, "..") || strings.Contains(local, "=?") {
		t.Fatalf("From %q: local part is no dot-atom", email)
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 || strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		t.Fatalf("From %q: domain is no host name", email)
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
			t.Fatalf("From %q: bad domain label %q", email, l)
		}
	}
	lowerRaw := bytes.ToLower(raw)
	for _, part := range append(strings.Split(local, "."), labels...) {
		if strings.HasPrefix(part, "xn--") {
			continue // an A-label converted from the Unicode written
		}
		if !bytes.Contains(lowerRaw, []byte(part)) {
			t.Fatalf("From %q: %q was never written in the message", email, part)
		}
	}
}

// checkIDs fails unless every message id can be echoed into a reply's
// In-Reply-To (SPEC §4.5): 1 to 250 bytes of printable ASCII without
// blanks, brackets, parentheses, quotes, backslashes or commas.
func checkIDs(t *testing.T, m *decode.Message) {
	t.Helper()
	ids := append(append([]string{}, m.InReplyTo...), m.References...)
	if m.MessageID != "" {
		ids = append(ids, m.MessageID)
	}
	for _, id := range ids {
		if id == "" || len(id) > 250 {
			t.Fatalf("id %q is empty or too long", id)
		}
		for i := 0; i < len(id); i++ {
			if c := id[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`<>()"\,`, c) >= 0 {
				t.Fatalf("id %q holds %q", id, c)
			}
		}
	}
}

func FuzzHTMLToText(f *testing.F) {
	for _, seed := range []string{
		"<p>Bonjour,</p><p>Ajoutez 5 licences.</p>",
		"<ul><li>a<ul><li>b</li></ul></li></ul><table><tr><td>E3</td><td>5</td></tr></table>",
		"<blockquote>a<blockquote>b<br><br></blockquote>c</blockquote>",
		"<html><head><title>T</title><style>p{}</style><div>x</div>",
		"<pre>a  b\n\n c </pre>&nbsp;&eacute;&#0;&#x1b;<script/>x</script>y",
		"<!--[if mso]><p>x</p><![endif]--><p class=MsoNormal><o:p>&nbsp;</o:p></p>",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := decode.HTMLToText(in)
		checkText(t, "output", out, "\n")
		if len(out) > 32*len(in)+64 {
			t.Fatalf("%d bytes of output for %d of input", len(out), len(in))
		}
		if strings.Contains(out, "\n\n\n") || strings.HasPrefix(out, "\n") || strings.HasSuffix(out, "\n") {
			t.Fatalf("blank lines not collapsed or trimmed: %q", out)
		}
		for line := range strings.Lines(out) {
			if strings.HasSuffix(strings.TrimSuffix(line, "\n"), " ") {
				t.Fatalf("line ends with a blank: %q", line)
			}
		}
	})
}

// checkText fails unless s is valid UTF-8 free of control characters other
// than those in allowed.
func checkText(t *testing.T, what, s, allowed string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("%s is not valid UTF-8: %q", what, s)
	}
	for _, r := range s {
		if (r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0) && !strings.ContainsRune(allowed, r) {
			t.Fatalf("%s holds control character %U: %q", what, r, s)
		}
	}
}
