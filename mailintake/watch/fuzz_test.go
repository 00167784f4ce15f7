package watch

import (
	"github.com/licensedesk/licensedesk/internal/mailurl"
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
// remote host, no incomplete endpoint, and no password in an error or the
// redacted URL, whatever surrounds it.
func FuzzParseURL(f *testing.F) {
	// Seeds: testdata/fuzz/FuzzParseURL.
	const mark = "Zq9mArK7"
	f.Fuzz(func(t *testing.T, raw string) {
		checkURL(t, raw, "")
		checkURL(t, "imaps://desk:"+mark+"@"+raw, mark)
		checkURL(t, "imap://desk:"+mark+raw, mark)
	})
}

func checkURL(t *testing.T, raw, pass string) {
	t.Helper()
	ep, err := parseURL(raw)
	if err != nil {
		if !strings.HasPrefix(err.Error(), "watch: ") {
			t.Fatalf("error %q lacks the package prefix", err)
		}
		if pass != "" && strings.Contains(err.Error(), pass) {
			t.Fatalf("error %q shows the password of %q", err, raw)
		}
		return
	}
	if pass != "" && strings.Contains(ep.redacted, pass) {
		t.Fatalf("redacted URL %q shows the password", ep.redacted)
	}
	if ep.security == plain && !mailurl.IsLoopback(ep.host) {
		t.Fatalf("plain IMAP accepted to %q", ep.host)
	}
	if ep.mailbox == "" || ep.user == "" || ep.password == "" || ep.addr == "" {
		t.Fatalf("accepted an incomplete endpoint %+v", ep)
	}
}
