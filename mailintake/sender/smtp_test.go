package sender

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/licensedesk/licensedesk/ledger"
)

const secret = "s3cr3t-PW"

func TestParseURL(t *testing.T) {
	cases := []struct {
		name     string
		url      string
		security security
		addr     string
		user     string
		pass     string
		wantErr  string // a part of the error; "" when it parses
	}{
		{"smtps is implicit TLS on 465", "smtps://desk:" + secret + "@mail.example.com", implicitTLS, "mail.example.com:465", "desk", secret, ""},
		{"smtp is STARTTLS on 587", "smtp://desk:" + secret + "@mail.example.com", startTLS, "mail.example.com:587", "desk", secret, ""},
		{"an explicit port is kept", "smtp://desk:" + secret + "@mail.example.com:2525", startTLS, "mail.example.com:2525", "desk", secret, ""},
		{"the scheme is case-insensitive", "SMTPS://mail.example.com", implicitTLS, "mail.example.com:465", "", "", ""},
		{"smtp to 127.0.0.1 is plain", "smtp://127.0.0.1:25", plaintext, "127.0.0.1:25", "", "", ""},
		{"smtp to localhost is plain", "smtp://localhost:25", plaintext, "localhost:25", "", "", ""},
		{"smtp to ::1 is plain", "smtp://[::1]:25", plaintext, "[::1]:25", "", "", ""},
		{"starttls=0 to loopback is plain", "smtp://127.0.0.2:25?starttls=0", plaintext, "127.0.0.2:25", "", "", ""},
		{"starttls=1 to loopback asks for STARTTLS", "smtp://127.0.0.1:25?starttls=1", startTLS, "127.0.0.1:25", "", "", ""},
		{"reserved characters in credentials are percent-decoded",
			"smtps://desk%40example.com:p%40ss%3Aw%2Fo%23rd%25%20x@mail.example.com", implicitTLS, "mail.example.com:465",
			"desk@example.com", "p@ss:w/o#rd% x", ""},
		{"a trailing slash is allowed", "smtps://mail.example.com/", implicitTLS, "mail.example.com:465", "", "", ""},

		{"plain to another host is refused", "smtp://desk:" + secret + "@mail.example.com:25?starttls=0", 0, "", "", "", "loopback"},
		{"plain to a private address is refused", "smtp://10.0.0.5:25?starttls=0", 0, "", "", "", "loopback"},
		{"a name that begins with localhost is not loopback", "smtp://localhost.example.com?starttls=0", 0, "", "", "", "loopback"},
		{"starttls does not apply to smtps", "smtps://mail.example.com?starttls=1", 0, "", "", "", "implicit TLS"},
		{"starttls takes 0 or 1", "smtp://mail.example.com?starttls=maybe", 0, "", "", "", "0 or 1"},
		{"other parameters are refused", "smtp://mail.example.com?auth=plain", 0, "", "", "", "unknown"},
		{"other schemes are refused", "imaps://desk:" + secret + "@mail.example.com", 0, "", "", "", "scheme"},
		{"a user needs a password", "smtps://desk@mail.example.com", 0, "", "", "", "no password"},
		{"a password needs a user", "smtps://:" + secret + "@mail.example.com", 0, "", "", "", "no user"},
		{"an unencoded # in the password is caught", "smtps://desk:pa#" + secret + "@mail.example.com", 0, "", "", "", "%23"},
		{"a path is refused", "smtps://desk:" + secret + "@mail.example.com/inbox", 0, "", "", "", "path"},
		{"a bad port is refused", "smtps://desk:" + secret + "@mail.example.com:99999", 0, "", "", "", "port"},
		{"a port that is not a number is refused", "smtps://desk:" + secret + "@mail.example.com:smtp", 0, "", "", "", "parse"},
		{"a bad escape is refused", "smtps://desk:" + secret + "%zz@mail.example.com", 0, "", "", "", "percent-encoding"},
		{"a forgotten @ is caught without showing the password", "smtps://desk:" + secret + ":", 0, "", "", "", "host"},
		{"a host with odd characters is refused", "smtps://mail!example.com", 0, "", "", "", "host"},
		{"no host is refused", "smtps://desk:" + secret + "@", 0, "", "", "", "no host"},
		{"an empty URL is refused", "", 0, "", "", "", "scheme"},
		{"the opaque form is refused", "smtp:mail.example.com", 0, "", "", "", "two slashes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ep, err := parseURL(c.url)
			if c.wantErr != "" {
				if err == nil {
					t.Fatalf("parsed %+v, want an error", ep)
				}
				if !strings.Contains(err.Error(), c.wantErr) {
					t.Errorf("error %q does not say %q", err, c.wantErr)
				}
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q shows the password", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ep.security != c.security || ep.addr != c.addr || ep.user != c.user || ep.pass != c.pass {
				t.Errorf("got %v %s %q %q, want %v %s %q %q", ep.security, ep.addr, ep.user, ep.pass,
					c.security, c.addr, c.user, c.pass)
			}
			if c.pass != "" && strings.Contains(ep.redacted, c.pass) {
				t.Errorf("redacted URL %q shows the password", ep.redacted)
			}
		})
	}
}

func TestNewRefusesPlainSMTPToAnotherHostWithoutShowingThePassword(t *testing.T) {
	e := newEnv(t)
	_, err := New(Config{URL: "smtp://desk:" + secret + "@mail.example.com?starttls=0"}, e.l, e.comp, nil, nil)
	if err == nil {
		t.Fatal("New accepted plain SMTP to a remote host")
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error %q shows the password", err)
	}
}

func entryFor(to string) ledger.OutboxEntry {
	return ledger.OutboxEntry{Kind: "result", RequestID: "LD-01JD0000000000000000000003", Tenant: "contoso",
		Origin: ledger.Origin{Channel: ledger.ChannelEmail, From: to, MessageID: "q@contoso.com"}}
}

func TestSendOnceOverEachTransport(t *testing.T) {
	cases := []struct {
		name    string
		opts    []serverOpt
		url     func(m *mailServer) string
		wantTLS bool
	}{
		{"smtps, implicit TLS", []serverOpt{withImplicitTLS()}, (*mailServer).url, true},
		{"smtp with STARTTLS", []serverOpt{withSTARTTLS()}, (*mailServer).url, true},
		{"plain smtp to loopback", nil, (*mailServer).url, false},
		{"plain smtp to loopback with AUTH PLAIN", []serverOpt{withAuth("desk", secret, "PLAIN", "LOGIN")}, (*mailServer).url, false},
		{"STARTTLS and AUTH LOGIN", []serverOpt{withSTARTTLS(), withAuth("desk", secret, "LOGIN")}, (*mailServer).url, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, c.opts...)
			cfg := e.fastConfig("once")
			cfg.URL = c.url(e.mail)
			s := e.newSender(cfg)
			if err := s.SendOnce(context.Background(), entryFor("it@contoso.com")); err != nil {
				t.Fatal(err)
			}
			got := e.mail.messages()
			if len(got) != 1 || got[0].To != "it@contoso.com" {
				t.Fatalf("got %v", got)
			}
			if got[0].TLS != c.wantTLS {
				t.Errorf("TLS %v, want %v", got[0].TLS, c.wantTLS)
			}
		})
	}
}

func TestAuthUsesPlainAndFallsBackToLogin(t *testing.T) {
	user, pass := "desk@example.com", "p@ss:w/o#rd% é"
	cases := []struct {
		name   string
		offers []string
		want   string
	}{
		{"PLAIN when offered", []string{"LOGIN", "PLAIN"}, "PLAIN"},
		{"LOGIN when it is all the server offers", []string{"LOGIN"}, "LOGIN"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, withSTARTTLS(), withAuth(user, pass, c.offers...))
			s := e.newSender(e.fastConfig("once"))
			if err := s.SendOnce(context.Background(), entryFor("it@contoso.com")); err != nil {
				t.Fatal(err)
			}
			if got := e.mail.authMechs(); len(got) != 1 || got[0] != c.want {
				t.Errorf("authenticated with %v, want %s", got, c.want)
			}
		})
	}
}

func TestConnectionFailuresAreTemporaryAndSendNothing(t *testing.T) {
	cases := []struct {
		name  string
		opts  []serverOpt
		url   func(m *mailServer) string
		tls   bool // trust the test CA
		stage string
	}{
		{"a wrong password", []serverOpt{withAuth("desk", secret, "PLAIN")},
			func(m *mailServer) string { return "smtp://desk:wrong-" + secret + "@" + m.addr }, true, "auth"},
		{"a server that offers no AUTH we speak", []serverOpt{withAuth("desk", secret, "CRAM-MD5")},
			(*mailServer).url, true, "auth"},
		{"STARTTLS required but not offered", nil,
			func(m *mailServer) string { return "smtp://" + m.addr + "?starttls=1" }, true, "tls"},
		{"a certificate we do not trust", []serverOpt{withImplicitTLS()}, (*mailServer).url, false, "tls"},
		{"TLS to a server that speaks plain", nil,
			func(m *mailServer) string { return "smtps://" + m.addr }, true, "tls"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, c.opts...)
			cfg := e.fastConfig("once")
			cfg.URL = c.url(e.mail)
			if !c.tls {
				cfg.TLSConfig = nil
			}
			s := e.newSender(cfg)
			err := s.SendOnce(context.Background(), entryFor("it@contoso.com"))
			var se *Error
			if !errors.As(err, &se) || se.Stage != c.stage {
				t.Fatalf("error %v, want one at stage %q", err, c.stage)
			}
			if !Temporary(err) {
				t.Errorf("%v is permanent; a fault of the desk's side must keep the reply", err)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q shows the password", err)
			}
			if n := len(e.mail.messages()); n != 0 {
				t.Errorf("%d messages sent", n)
			}
		})
	}
}

func TestPermanentRefusalsAreNotTemporary(t *testing.T) {
	e := newEnv(t)
	e.mail.reject["nobody@contoso.com"] = 550
	s := e.newSender(e.fastConfig("once"))
	cases := []struct {
		name string
		to   string
		want string
	}{
		{"a mailbox the server does not know", "nobody@contoso.com", "rcpt"},
		{"an address that cannot go on a RCPT line", "it@contoso.com>\r\nRCPT TO:<x@evil.example", "address"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := s.SendOnce(context.Background(), entryFor(c.to))
			var se *Error
			if !errors.As(err, &se) || se.Stage != c.want || Temporary(err) {
				t.Fatalf("error %v, want a permanent one at %s", err, c.want)
			}
		})
	}
	if err := s.SendOnce(context.Background(), ledger.OutboxEntry{}); !errors.Is(err, ErrNoRecipient) || Temporary(err) {
		t.Errorf("an entry with no sender: %v, want ErrNoRecipient, not temporary", err)
	}
}

func TestClassify(t *testing.T) {
	cases := []struct {
		name  string
		stage string
		err   error
		want  kind
	}{
		{"550 on RCPT: no such mailbox", "rcpt", smtpErr(550), permanent},
		{"554 after the data: content refused", "data", smtpErr(554), permanent},
		{"451 on RCPT: greylisted", "rcpt", smtpErr(451), deferred},
		{"452 after the data", "data", smtpErr(452), deferred},
		{"421 anywhere: the server is closing", "rcpt", smtpErr(421), transport},
		{"535 on AUTH: our credentials", "auth", smtpErr(535), transport},
		{"550 on MAIL: our sender address", "mail", smtpErr(550), transport},
		{"a network error", "data", io.ErrUnexpectedEOF, transport},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := classify(c.stage, c.err).kind; got != c.want {
				t.Errorf("kind %d, want %d", got, c.want)
			}
		})
	}
}

func TestBackoffStartsAtOneSecondDoublesAndStaysUnderTheCap(t *testing.T) {
	limit := 5 * time.Minute
	for i := 0; i < 200; i++ {
		if d := backoff(1, time.Second, limit); d < time.Second || d > 1250*time.Millisecond {
			t.Fatalf("first retry after %v, want 1s to 1.25s", d)
		}
		if d := backoff(4, time.Second, limit); d < 8*time.Second || d > 10*time.Second {
			t.Fatalf("fourth retry after %v, want 8s to 10s", d)
		}
		for _, n := range []int{10, 30, 64, 1 << 20} {
			if d := backoff(n, time.Second, limit); d > limit || d < limit*3/4 {
				t.Fatalf("retry %d after %v, want at most the cap %v", n, d, limit)
			}
		}
	}
}

func TestOneAttemptNeverOutlastsHalfOfClaimIdle(t *testing.T) {
	// A server that accepts the connection and then says nothing.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	silent := make(chan net.Conn, 10)
	t.Cleanup(func() {
		l.Close()
		close(silent)
		for c := range silent {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			silent <- c
		}
	}()
	e := newEnv(t)
	cfg := e.fastConfig("once")
	cfg.URL = "smtp://" + l.Addr().String()
	cfg.ClaimIdle = 600 * time.Millisecond
	s := e.newSender(cfg)
	start := time.Now()
	err = s.SendOnce(context.Background(), entryFor("it@contoso.com"))
	if d := time.Since(start); d > time.Second {
		t.Errorf("the attempt took %v; it must end by ClaimIdle/2 (300ms)", d)
	}
	if !Temporary(err) {
		t.Errorf("error %v, want a temporary one", err)
	}
}

func TestThePasswordNeverReachesTheLog(t *testing.T) {
	e := newEnv(t, withAuth("desk", "right", "PLAIN"))
	cfg := e.fastConfig("a")
	cfg.URL = "smtp://desk:" + secret + "@" + e.mail.addr
	e.run(e.newSender(cfg))
	e.email("pw@contoso.com")
	deadline := time.Now().Add(5 * time.Second)
	for e.stats.retry.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "auth") {
		t.Fatalf("the failed login was not logged:\n%s", logs)
	}
	if strings.Contains(logs, secret) {
		t.Errorf("the log shows the password:\n%s", logs)
	}
	if n := e.outboxLen(contosoOutbox); n != 1 {
		t.Errorf("XLEN %d, want the reply kept while the login fails", n)
	}
}
