package watch

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSubjectOfDecodesTheHeaderForTheDesksNote(t *testing.T) {
	long := strings.Repeat("é", 500)
	tests := []struct{ name, raw, want string }{
		{"a plain subject", "Subject: add 2 E3\r\n\r\nbody", "add 2 E3"},
		{"an encoded word in ISO-8859-1", "Subject: =?ISO-8859-1?Q?R=E9duire_E5?=\r\n\r\n", "Réduire E5"},
		{"an encoded word in UTF-8 base64", "Subject: =?UTF-8?B?w6AgbGEgcGFnZQ==?=\r\n\r\n", "à la page"},
		{"no subject", "From: a@b.c\r\n\r\n", ""},
		{"no header at all", "just text", ""},
		{"a very long subject is cut", "Subject: " + long + "\r\n\r\n", strings.Repeat("é", 200) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := subjectOf([]byte(tt.raw))
			if got != tt.want {
				t.Errorf("subjectOf = %q, want %q", got, tt.want)
			}
			if !utf8.ValidString(got) {
				t.Errorf("subjectOf = %q is not valid UTF-8", got)
			}
		})
	}
}
