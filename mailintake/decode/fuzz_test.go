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
		if m.FromHTML && m.HTML == "" {
			t.Fatal("FromHTML without HTML")
		}
		if !strings.Contains(m.ContentType, "/") {
			t.Fatalf("ContentType = %q", m.ContentType)
		}
		again, err := decode.Parse(bytes.NewReader(data), fuzzLimits)
		if err != nil || again.Text != m.Text || again.Subject != m.Subject {
			t.Fatal("Parse is not deterministic")
		}
	})
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
