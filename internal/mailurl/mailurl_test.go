package mailurl

import (
	"errors"
	"strings"
	"testing"

	"github.com/licensedesk/licensedesk/internal/fault"
)

func TestTheDefaultsAreTheSameForIMAPAndSMTP(t *testing.T) {
	cases := []struct {
		name  string
		parse func(string) (Endpoint, error)
		url   string
		want  Endpoint
	}{
		{"imaps is implicit TLS on 993", ParseIMAP, "imaps://desk:pw@mail.example.com/INBOX",
			Endpoint{Protocol: IMAP, Security: ImplicitTLS, Host: "mail.example.com", Port: "993", Addr: "mail.example.com:993", User: "desk", Password: "pw", Mailbox: "INBOX"}},
		{"smtps is implicit TLS on 465", ParseSMTP, "smtps://desk:pw@mail.example.com",
			Endpoint{Protocol: SMTP, Security: ImplicitTLS, Host: "mail.example.com", Port: "465", Addr: "mail.example.com:465", User: "desk", Password: "pw"}},
		{"imap to another host is STARTTLS on 143", ParseIMAP, "imap://desk:pw@mail.example.com/INBOX",
			Endpoint{Protocol: IMAP, Security: StartTLS, Host: "mail.example.com", Port: "143", Addr: "mail.example.com:143", User: "desk", Password: "pw", Mailbox: "INBOX"}},
		{"smtp to another host is STARTTLS on 587", ParseSMTP, "smtp://desk:pw@mail.example.com",
			Endpoint{Protocol: SMTP, Security: StartTLS, Host: "mail.example.com", Port: "587", Addr: "mail.example.com:587", User: "desk", Password: "pw"}},
		{"imap to 127.0.0.1 is plain", ParseIMAP, "imap://desk:pw@127.0.0.1:1143/INBOX",
			Endpoint{Protocol: IMAP, Security: Plain, Host: "127.0.0.1", Port: "1143", Addr: "127.0.0.1:1143", User: "desk", Password: "pw", Mailbox: "INBOX"}},
		{"smtp to ::1 is plain", ParseSMTP, "smtp://[::1]:25",
			Endpoint{Protocol: SMTP, Security: Plain, Host: "::1", Port: "25", Addr: "[::1]:25"}},
		{"smtp to localhost in any case is plain", ParseSMTP, "smtp://LocalHost",
			Endpoint{Protocol: SMTP, Security: Plain, Host: "LocalHost", Port: "587", Addr: "LocalHost:587"}},
		{"starttls=1 forces STARTTLS to loopback", ParseIMAP, "imap://desk:pw@127.0.0.1/?starttls=1",
			Endpoint{Protocol: IMAP, Security: StartTLS, Host: "127.0.0.1", Port: "143", Addr: "127.0.0.1:143", User: "desk", Password: "pw", Mailbox: "INBOX"}},
		{"starttls=true is accepted too", ParseSMTP, "smtp://mail.example.com:2525?starttls=true",
			Endpoint{Protocol: SMTP, Security: StartTLS, Host: "mail.example.com", Port: "2525", Addr: "mail.example.com:2525"}},
		{"starttls=0 to loopback is plain", ParseSMTP, "smtp://127.0.0.2:25?starttls=0",
			Endpoint{Protocol: SMTP, Security: Plain, Host: "127.0.0.2", Port: "25", Addr: "127.0.0.2:25"}},
		{"the scheme is case-insensitive", ParseSMTP, "SMTPS://mail.example.com",
			Endpoint{Protocol: SMTP, Security: ImplicitTLS, Host: "mail.example.com", Port: "465", Addr: "mail.example.com:465"}},
		{"user and password are percent-decoded", ParseIMAP, "imaps://desk%40contoso.com:p%40ss%2Fw%25rd%3A%20x%23@mail.example.com/",
			Endpoint{Protocol: IMAP, Security: ImplicitTLS, Host: "mail.example.com", Port: "993", Addr: "mail.example.com:993", User: "desk@contoso.com", Password: "p@ss/w%rd: x#", Mailbox: "INBOX"}},
		{"a missing mailbox is INBOX", ParseIMAP, "imaps://desk:pw@mail.example.com",
			Endpoint{Protocol: IMAP, Security: ImplicitTLS, Host: "mail.example.com", Port: "993", Addr: "mail.example.com:993", User: "desk", Password: "pw", Mailbox: "INBOX"}},
		{"inbox in any case is INBOX", ParseIMAP, "imaps://desk:pw@mail.example.com/inbox",
			Endpoint{Protocol: IMAP, Security: ImplicitTLS, Host: "mail.example.com", Port: "993", Addr: "mail.example.com:993", User: "desk", Password: "pw", Mailbox: "INBOX"}},
		{"a nested mailbox keeps its case and is decoded", ParseIMAP, "imaps://desk:pw@mail.example.com/Support%2FLicences",
			Endpoint{Protocol: IMAP, Security: ImplicitTLS, Host: "mail.example.com", Port: "993", Addr: "mail.example.com:993", User: "desk", Password: "pw", Mailbox: "Support/Licences"}},
		{"a trailing slash is allowed on SMTP", ParseSMTP, "smtps://mail.example.com/",
			Endpoint{Protocol: SMTP, Security: ImplicitTLS, Host: "mail.example.com", Port: "465", Addr: "mail.example.com:465"}},
		{"spaces around the URL are ignored", ParseSMTP, "  smtps://mail.example.com \n",
			Endpoint{Protocol: SMTP, Security: ImplicitTLS, Host: "mail.example.com", Port: "465", Addr: "mail.example.com:465"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.parse(c.url)
			if err != nil {
				t.Fatalf("%q: %v", c.url, err)
			}
			if got.Password != "" && strings.Contains(got.Redacted, got.Password) {
				t.Errorf("Redacted %q shows the password", got.Redacted)
			}
			if got.String() != got.Redacted {
				t.Errorf("String() = %q, want the redacted URL", got.String())
			}
			got.Redacted = ""
			if got != c.want {
				t.Errorf("%q\n got %+v\nwant %+v", c.url, got, c.want)
			}
		})
	}
}

func TestRefusalsSayWhyAndNeverQuoteTheURL(t *testing.T) {
	const secret = "Zq9-s3cr3t"
	const user = "jdupont"
	cases := []struct {
		name  string
		parse func(string) (Endpoint, error)
		url   string
		want  string // a part of the error
	}{
		{"plain imap to another host", ParseIMAP, "imap://" + user + ":" + secret + "@mail.example.com/?starttls=0", "loopback"},
		{"plain smtp to a private address", ParseSMTP, "smtp://10.0.0.5:25?starttls=0", "loopback"},
		{"a name that merely begins with localhost", ParseSMTP, "smtp://localhost.example.com?starttls=0", "loopback"},
		{"starttls on imaps", ParseIMAP, "imaps://" + user + ":" + secret + "@mail.example.com/?starttls=1", "implicit TLS"},
		{"a starttls that is not a boolean", ParseSMTP, "smtp://mail.example.com?starttls=maybe", "0 or 1"},
		{"starttls twice", ParseIMAP, "imap://u:p@mail.example.com/?starttls=1&starttls=1", "more than once"},
		{"an unknown parameter", ParseIMAP, "imaps://u:p@mail.example.com/?tls=1", "unknown parameter"},
		{"a query that does not parse", ParseSMTP, "smtp://mail.example.com?starttls=%zz", "query"},
		{"the other protocol's scheme", ParseSMTP, "imaps://" + user + ":" + secret + "@mail.example.com", "scheme"},
		{"another scheme", ParseIMAP, "pop3s://" + user + ":" + secret + "@mail.example.com/", "scheme"},
		{"no user on IMAP", ParseIMAP, "imaps://mail.example.com/", "no user"},
		{"a user without a password", ParseSMTP, "smtps://" + user + "@mail.example.com", "no password"},
		{"an empty password", ParseIMAP, "imaps://" + user + ":@mail.example.com/", "no password"},
		{"a password without a user", ParseSMTP, "smtps://:" + secret + "@mail.example.com", "no user"},
		{"no host", ParseIMAP, "imaps://" + user + ":" + secret + "@/INBOX", "no host"},
		{"port zero", ParseIMAP, "imaps://u:p@mail.example.com:0/", "port"},
		{"a port too large", ParseSMTP, "smtps://" + user + ":" + secret + "@mail.example.com:99999", "port"},
		{"a port that is not a number", ParseSMTP, "smtps://" + user + ":" + secret + "@mail.example.com:smtp", "port"},
		{"a path on SMTP", ParseSMTP, "smtps://" + user + ":" + secret + "@mail.example.com/inbox", "path"},
		{"a fragment", ParseIMAP, "imaps://u:p@mail.example.com/INBOX#x", "fragment"},
		{"an unencoded # in the password", ParseSMTP, "smtps://" + user + ":pa#" + secret + "@mail.example.com", "%23"},
		{"an empty URL", ParseSMTP, "   ", "empty"},
		{"a host and port without a scheme", ParseIMAP, "mail.example.com:993", "two slashes"},
		{"the opaque form", ParseSMTP, "smtp:mail.example.com", "two slashes"},
		// The malformed values an operator actually types, each holding a
		// user name and a password that must not show.
		{"user:pass@host:1 without a scheme", ParseSMTP, user + ":" + secret + "@mail.example.com:1", "two slashes"},
		{"imap:user:pass@host without the slashes", ParseIMAP, "imap:" + user + ":" + secret + "@mail.example.com", "two slashes"},
		{"a forgotten @", ParseSMTP, "smtps://" + user + ":" + secret, "port"},
		{"a forgotten @ before a trailing colon", ParseSMTP, "smtps://" + user + ":" + secret + ":", "host"},
		{"a numeric password with a forgotten @", ParseSMTP, "smtps://" + user + ":123456789", "port"},
		{"a bad % escape in the password", ParseIMAP, "imaps://" + user + ":" + secret + "%zz@mail.example.com/", "percent-encoding"},
		{"a bad % escape in the user", ParseSMTP, "smtps://" + user + "%g1:" + secret + "@mail.example.com", "percent-encoding"},
		{"an unencoded / in the password", ParseIMAP, "imaps://" + user + ":" + secret + "/x@mail.example.com/", "port"},
		{"an unclosed [", ParseIMAP, "imaps://" + user + ":" + secret + "@[::1/INBOX", "brackets"},
		{"an unclosed [ after the credentials", ParseSMTP, "smtp://" + user + ":" + secret + "@[fe80::1:25", "brackets"},
		{"odd characters in the host", ParseSMTP, "smtps://" + user + ":" + secret + "@mail!example.com", "host"},
		{"a space in the host", ParseSMTP, "smtps://" + user + ":" + secret + "@mail example.com", "host"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.parse(c.url)
			if err == nil {
				t.Fatalf("%q was accepted", c.url)
			}
			msg := err.Error()
			if !strings.Contains(msg, c.want) {
				t.Errorf("error %q does not say %q", msg, c.want)
			}
			if !strings.HasPrefix(msg, "mailurl: ") {
				t.Errorf("error %q lacks the package prefix", msg)
			}
			for _, leak := range []string{secret, user, "123456789", "example", "[::1", "fe80"} {
				if strings.Contains(msg, leak) {
					t.Errorf("error %q quotes %q from the URL", msg, leak)
				}
			}
			if !errors.Is(err, ErrInvalid) || fault.IsTemporary(err) {
				t.Errorf("error %v: want ErrInvalid, marked permanent", err)
			}
		})
	}
}

func TestIsLoopbackTrustsAddressesAndLocalhostOnly(t *testing.T) {
	cases := []struct {
		host string
		want bool
	}{
		{"localhost", true}, {"LOCALHOST", true}, {"127.0.0.1", true}, {"127.8.9.10", true}, {"::1", true},
		{"localhost.example.com", false}, {"10.0.0.1", false}, {"::", false}, {"mail.example.com", false}, {"", false},
	}
	for _, c := range cases {
		if got := IsLoopback(c.host); got != c.want {
			t.Errorf("IsLoopback(%q) = %v, want %v", c.host, got, c.want)
		}
	}
}
