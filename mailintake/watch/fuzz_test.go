package watch

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzSubjectOf feeds message bytes from the network to the Subject reader
// used for the desk's note: it must not panic, and its result must be short
// valid UTF-8.
func FuzzSubjectOf(f *testing.F) {
	// Seeds: testdata/fuzz/FuzzSubjectOf.
	f.Fuzz(func(t *testing.T, raw []byte) {
		got := subjectOf(raw)
		if !utf8.ValidString(got) {
			t.Fatalf("subjectOf = %q: not valid UTF-8", got)
		}
		if n := utf8.RuneCountInString(got); n > 201 {
			t.Fatalf("subjectOf returned %d runes, want at most 201", n)
		}
	})
}

// FuzzParseURL checks the settings parser: no panic, no plain IMAP to a
// remote host, and no password in an error.
func FuzzParseURL(f *testing.F) {
	// Seeds: testdata/fuzz/FuzzParseURL.
	f.Fuzz(func(t *testing.T, raw string) {
		ep, err := parseURL(raw)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "watch: ") {
				t.Fatalf("error %q lacks the package prefix", err)
			}
			// A password long enough not to be a coincidence must not show.
			if u, perr := url.Parse(raw); perr == nil && u.User != nil {
				if pw, ok := u.User.Password(); ok && len(pw) >= 8 && !strings.Contains(u.Redacted(), pw) &&
					strings.Contains(err.Error(), pw) {
					t.Fatalf("error %q shows the password", err)
				}
			}
			return
		}
		if ep.security == plain && !isLoopback(ep.host) {
			t.Fatalf("plain IMAP accepted to %q", ep.host)
		}
		if ep.mailbox == "" || ep.user == "" || ep.password == "" || ep.addr == "" {
			t.Fatalf("accepted an incomplete endpoint %+v", ep)
		}
	})
}
