package sender

import (
	"github.com/licensedesk/licensedesk/internal/mailurl"
	"net"
	"strings"
	"testing"
)

// FuzzParseURL: parseURL never panics, never lets plain SMTP leave the
// machine, and never puts the password in an error or the redacted URL.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"smtps://desk:pw@mail.example.com", "smtp://desk:pw@mail.example.com:587",
		"smtp://127.0.0.1:25?starttls=0", "smtp://[::1]:25", "smtp://localhost.example.com?starttls=0",
		"smtps://desk%40x:p%23w@h", "smtp://h:99999", "smtp:opaque", "smtps://u:p@h/#frag", "",
	} {
		f.Add(s)
	}
	const mark = "Zq9mArK7"
	f.Fuzz(func(t *testing.T, raw string) {
		check(t, raw, "")
		// The same input behind credentials: the password must never show.
		check(t, "smtp://desk:"+mark+"@"+raw, mark)
		check(t, "smtps://desk:"+mark+raw, mark)
	})
}

func check(t *testing.T, raw, pass string) {
	ep, err := parseURL(raw)
	if err != nil {
		if pass != "" && strings.Contains(err.Error(), pass) {
			t.Fatalf("error %q shows the password of %q", err, raw)
		}
		return
	}
	if pass != "" && strings.Contains(ep.redacted, pass) {
		t.Fatalf("redacted URL %q shows the password", ep.redacted)
	}
	host, port, err := net.SplitHostPort(ep.addr)
	if err != nil || host != ep.host || port == "" {
		t.Fatalf("%q gave address %q (host %q)", raw, ep.addr, ep.host)
	}
	if ep.security == plaintext && !mailurl.IsLoopback(ep.host) {
		t.Fatalf("%q: plain SMTP to %q, which is not loopback", raw, ep.host)
	}
	if (ep.user == "") != (ep.pass == "") {
		t.Fatalf("%q: user %q without password, or the reverse", raw, ep.user)
	}
}
