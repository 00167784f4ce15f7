package decode_test

import (
	"strings"
	"testing"

	"github.com/licensedesk/licensedesk/mailintake/decode"
)

// RFC 3676: format=flowed text is joined at its soft breaks before anyone
// reads it, so that a product name wrapped by the client is one name again
// (issue 9, class 6).
func TestParseJoinsFormatFlowedSoftBreaks(t *testing.T) {
	tests := []struct {
		name, params, body, want string
	}{
		{"a soft break inside a product name is joined, the space kept",
			"format=flowed", "merci d'ajouter 3 licences Microsoft 365 \r\nBusiness Premium pour lundi.\r\n",
			"merci d'ajouter 3 licences Microsoft 365 Business Premium pour lundi.\n"},
		{"with DelSp=yes the space before the break goes too",
			"format=flowed; delsp=yes", "2 licences Micro \r\nsoft 365 E3\r\n", "2 licences Microsoft 365 E3\n"},
		{"DelSp=yes written by Apple Mail: two spaces, one of them the client's",
			"format=flowed; DelSp=\"yes\"", "licences Microsoft  \r\n365 E3\r\n", "licences Microsoft 365 E3\n"},
		{"a line without a trailing space is a hard break",
			"format=flowed", "Bonjour,\r\n\r\nMerci\r\n", "Bonjour,\n\nMerci\n"},
		{"the signature separator is never a soft break",
			"format=flowed", "Merci\r\n-- \r\nJean\r\n", "Merci\n-- \nJean\n"},
		{"quoted lines join only with lines of the same depth",
			"format=flowed", "> add 9 \r\n> E3\r\nOK \r\n> x\r\n", "> add 9 E3\nOK \n> x\n"},
		{"nested quotes keep one marker per level",
			"format=flowed", ">> old \r\n>> text\r\n", "> > old text\n"},
		{"space stuffing is removed",
			"format=flowed", " From here\r\n", "From here\n"},
		{"a parenthesised plan name split before its parenthesis",
			"format=flowed; delsp=yes", "2 Exchange Online  \r\n(Plan 2) licences\r\n", "2 Exchange Online (Plan 2) licences\n"},
		{"without format=flowed trailing spaces break nothing",
			"charset=utf-8", "Microsoft 365 \r\nE3\r\n", "Microsoft 365 \nE3\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := "From: a@b.example\r\nSubject: x\r\nContent-Type: text/plain; " + tc.params +
				"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + tc.body
			m, err := decode.Parse(strings.NewReader(raw), decode.DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			if m.Text != tc.want {
				t.Errorf("text %q, want %q", m.Text, tc.want)
			}
		})
	}
}

// A flowed text part inside multipart/alternative is joined too, and a
// quoted-printable soft space (=20 before the line end) counts as a space.
func TestParseJoinsFlowedTextInAMultipart(t *testing.T) {
	raw := "From: a@b.example\r\nSubject: x\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n" +
		"Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes\r\n" +
		"Content-Transfer-Encoding: quoted-printable\r\n\r\n" +
		"merci d'ajouter 2 licences Mic=\r\nrosoft =20\r\n365 E3 pour eux.\r\n--b\r\n" +
		"Content-Type: text/html\r\n\r\n<p>x</p>\r\n--b--\r\n"
	m, err := decode.Parse(strings.NewReader(raw), decode.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if want := "merci d'ajouter 2 licences Microsoft 365 E3 pour eux."; m.Text != want {
		t.Errorf("text %q, want %q", m.Text, want)
	}
}
