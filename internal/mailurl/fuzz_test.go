package mailurl

import (
	"net"
	"strings"
	"testing"
)

// FuzzParse: the parser never panics, never lets plain IMAP or SMTP leave
// the machine, never accepts an incomplete endpoint, and never shows the
// user information of the URL in an error, nor the password in the
// redacted form. The seeds are in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	const user, pass = "Us3rMark", "Zq9mArK7"
	f.Fuzz(func(t *testing.T, raw string) {
		for _, p := range []Protocol{IMAP, SMTP} {
			check(t, p, raw, "")
			// The same input behind credentials: neither may show.
			for _, scheme := range []string{"imap", "imaps", "smtp", "smtps"} {
				check(t, p, scheme+"://"+user+":"+pass+"@"+raw, pass)
				check(t, p, scheme+"://"+user+":"+pass+raw, pass)
			}
			check(t, p, user+":"+pass+"@"+raw, pass)
		}
	})
}

func check(t *testing.T, p Protocol, raw, pass string) {
	t.Helper()
	e, err := parse(raw, p)
	if err != nil {
		if pass != "" && (strings.Contains(err.Error(), pass) || strings.Contains(err.Error(), "Us3rMark")) {
			t.Fatalf("error %q shows the user information of %q", err, raw)
		}
		if !strings.HasPrefix(err.Error(), "mailurl: ") {
			t.Fatalf("error %q lacks the package prefix", err)
		}
		return
	}
	if pass != "" && strings.Contains(e.Redacted, pass) {
		t.Fatalf("redacted URL %q shows the password", e.Redacted)
	}
	if e.Security == Plain && !IsLoopback(e.Host) {
		t.Fatalf("%q: plain %s to %q, which is not loopback", raw, p, e.Host)
	}
	host, port, err := net.SplitHostPort(e.Addr)
	if err != nil || host != e.Host || port != e.Port || port == "" {
		t.Fatalf("%q gave address %q for host %q port %q", raw, e.Addr, e.Host, e.Port)
	}
	if (e.User == "") != (e.Password == "") {
		t.Fatalf("%q: a user without a password, or the reverse", raw)
	}
	if p == IMAP && (e.User == "" || e.Mailbox == "") {
		t.Fatalf("%q: an IMAP endpoint without credentials or mailbox: %+v", raw, e)
	}
	if p == SMTP && e.Mailbox != "" {
		t.Fatalf("%q: an SMTP endpoint with a mailbox", raw)
	}
}
