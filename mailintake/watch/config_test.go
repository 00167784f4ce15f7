package watch

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/licensedesk/licensedesk/mailintake"
)

func TestParseURLReadsSecurityHostMailboxAndCredentials(t *testing.T) {
	tests := []struct {
		name, url string
		want      endpoint
	}{
		{"imaps defaults to port 993", "imaps://desk:pw@mail.example.com/INBOX",
			endpoint{addr: "mail.example.com:993", host: "mail.example.com", security: implicitTLS, user: "desk", password: "pw", mailbox: "INBOX"}},
		{"imap to another host is STARTTLS on port 143", "imap://desk:pw@mail.example.com/INBOX",
			endpoint{addr: "mail.example.com:143", host: "mail.example.com", security: startTLS, user: "desk", password: "pw", mailbox: "INBOX"}},
		{"imap with starttls=1 defaults to port 143", "imap://desk:pw@mail.example.com/INBOX?starttls=1",
			endpoint{addr: "mail.example.com:143", host: "mail.example.com", security: startTLS, user: "desk", password: "pw", mailbox: "INBOX"}},
		{"starttls=true is accepted too", "imap://desk:pw@mail.example.com:1143/?starttls=true",
			endpoint{addr: "mail.example.com:1143", host: "mail.example.com", security: startTLS, user: "desk", password: "pw", mailbox: "INBOX"}},
		{"plain imap to 127.0.0.1 is allowed", "imap://desk:pw@127.0.0.1:1143/INBOX",
			endpoint{addr: "127.0.0.1:1143", host: "127.0.0.1", security: plain, user: "desk", password: "pw", mailbox: "INBOX"}},
		{"plain imap to ::1 is allowed", "imap://desk:pw@[::1]:1143/INBOX",
			endpoint{addr: "[::1]:1143", host: "::1", security: plain, user: "desk", password: "pw", mailbox: "INBOX"}},
		{"plain imap to localhost is allowed", "imap://desk:pw@LocalHost/INBOX?starttls=0",
			endpoint{addr: "LocalHost:143", host: "LocalHost", security: plain, user: "desk", password: "pw", mailbox: "INBOX"}},
		{"a missing mailbox means INBOX", "imaps://desk:pw@mail.example.com",
			endpoint{addr: "mail.example.com:993", host: "mail.example.com", security: implicitTLS, user: "desk", password: "pw", mailbox: "INBOX"}},
		{"a bare slash means INBOX", "imaps://desk:pw@mail.example.com/",
			endpoint{addr: "mail.example.com:993", host: "mail.example.com", security: implicitTLS, user: "desk", password: "pw", mailbox: "INBOX"}},
		{"inbox in any case is INBOX", "imaps://desk:pw@mail.example.com/inbox",
			endpoint{addr: "mail.example.com:993", host: "mail.example.com", security: implicitTLS, user: "desk", password: "pw", mailbox: "INBOX"}},
		{"a nested mailbox keeps its case and is decoded", "imaps://desk:pw@mail.example.com/Support%2FLicences",
			endpoint{addr: "mail.example.com:993", host: "mail.example.com", security: implicitTLS, user: "desk", password: "pw", mailbox: "Support/Licences"}},
		{"user and password with special characters are decoded", "imaps://desk%40contoso.com:p%40ss%2Fw%25rd%3A%20x@mail.example.com/INBOX",
			endpoint{addr: "mail.example.com:993", host: "mail.example.com", security: implicitTLS, user: "desk@contoso.com", password: "p@ss/w%rd: x", mailbox: "INBOX"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseURL(tt.url)
			if err != nil {
				t.Fatalf("parseURL(%q): %v", tt.url, err)
			}
			got.redacted = ""
			if got != tt.want {
				t.Errorf("parseURL(%q)\n got %+v\nwant %+v", tt.url, got, tt.want)
			}
		})
	}
}

func TestParseURLRefusesWhatIsUnsafeOrUnclear(t *testing.T) {
	const secret = "s3cr3t"
	tests := []struct{ name, url, wantErr string }{
		{"plain imap to a remote host", "imap://desk:s3cr3t@mail.example.com/INBOX?starttls=0", "loopback"},
		{"plain imap to a private address", "imap://desk:s3cr3t@10.0.0.1/INBOX?starttls=0", "loopback"},
		{"plain imap to a name merely starting with localhost", "imap://desk:s3cr3t@localhost.example.com/?starttls=0", "loopback"},
		{"starttls on imaps", "imaps://desk:s3cr3t@mail.example.com/?starttls=1", "implicit TLS"},
		{"a starttls value that is not a boolean", "imap://desk:s3cr3t@mail.example.com/?starttls=maybe", "0 or 1"},
		{"starttls given twice", "imap://desk:s3cr3t@mail.example.com/?starttls=1&starttls=1", "more than once"},
		{"an unknown parameter", "imaps://desk:s3cr3t@mail.example.com/?tls=1", "unknown parameter"},
		{"another scheme", "pop3s://desk:s3cr3t@mail.example.com/", "scheme"},
		{"no user", "imaps://mail.example.com/", "no user"},
		{"no password", "imaps://desk@mail.example.com/", "no password"},
		{"an empty password", "imaps://desk:@mail.example.com/", "no password"},
		{"no host", "imaps://desk:s3cr3t@/INBOX", "no host"},
		{"port zero", "imaps://desk:s3cr3t@mail.example.com:0/", "out of range"},
		{"a port too large", "imaps://desk:s3cr3t@mail.example.com:70000/", "out of range"},
		{"a port that is not a number", "imaps://desk:s3cr3t@mail.example.com:imap/", "port"},
		{"a fragment", "imaps://desk:s3cr3t@mail.example.com/INBOX#x", "fragment"},
		{"no URL at all", "  ", "empty"},
		{"a host:port without a scheme", "mail.example.com:993", "two slashes"},
		{"credentials without a scheme", "desk:s3cr3t@mail.example.com:993", "two slashes"},
		{"a bad escape in the password", "imaps://desk:s3cr3t%zz@mail.example.com/", "percent-encoding"},
		{"an unclosed bracket", "imaps://desk:s3cr3t@[::1/INBOX", "brackets"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseURL(tt.url)
			if err == nil {
				t.Fatalf("parseURL(%q) accepted it", tt.url)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "watch: ") || !strings.Contains(msg, tt.wantErr) {
				t.Errorf("error %q, want the watch: prefix and %q", msg, tt.wantErr)
			}
			if strings.Contains(msg, secret) {
				t.Errorf("error %q shows the password", msg)
			}
		})
	}
}

func TestDefaultsFillZeroFields(t *testing.T) {
	c, err := Config{URL: "imaps://u:p@h/"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	want := Config{URL: "imaps://u:p@h/", Processed: "Processed", Failed: "Failed", PollInterval: 30 * time.Second,
		IdleRestart: 25 * time.Minute, Liveness: 2 * time.Minute, MaxBackoff: 5 * time.Second, MaxAttempts: 5,
		Timeout: time.Minute, MaxMessageBytes: 32 << 20, ShutdownGrace: 25 * time.Second}
	if c != want {
		t.Errorf("defaults\n got %+v\nwant %+v", c, want)
	}
}

func TestReconnectionWaitsStayWithinAFewSeconds(t *testing.T) {
	// After a 38-second outage of the IMAP server, waits that had grown to
	// a minute left mail waiting a minute once the server was back.
	w, err := New(Config{URL: "imaps://u:p@mail.example.com/"}, nopIngester{}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := w.retryPolicy()
	cases := []struct {
		name     string
		failures int
		r        float64
		lo, hi   time.Duration
	}{
		{"the first reconnection comes after a second", 1, 0, time.Second, time.Second},
		{"jitter adds at most half", 1, 0.99, time.Second, 1500 * time.Millisecond},
		{"the third waits about four seconds", 3, 0, 4 * time.Second, 4 * time.Second},
		{"a long outage waits at most five seconds", 40, 0, 5 * time.Second, 5 * time.Second},
		{"a long outage with jitter waits between half the cap and the cap", 40, 0.99, 2500 * time.Millisecond, 5 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if d := p.Delay(c.failures, c.r); d < c.lo || d > c.hi {
				t.Errorf("wait after %d failures: %v, want within [%v, %v]", c.failures, d, c.lo, c.hi)
			}
		})
	}
	short, err := New(Config{URL: "imaps://u:p@mail.example.com/", MaxBackoff: 100 * time.Millisecond}, nopIngester{}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := short.retryPolicy().Delay(1, 0); d != 100*time.Millisecond {
		t.Errorf("with a cap under a second the first wait is %v, want the cap", d)
	}
}

type nopIngester struct{}

func (nopIngester) Ingest(context.Context, io.Reader, mailintake.Source, bool) (mailintake.Outcome, error) {
	return mailintake.Outcome{}, nil
}

func TestAttemptKeysTellMailboxesUIDValiditiesAndUIDsApart(t *testing.T) {
	base := mailintake.Source{Mailbox: "INBOX", UIDValidity: 7, UID: 42}
	others := []mailintake.Source{
		{Mailbox: "Support", UIDValidity: 7, UID: 42},
		{Mailbox: "INBOX", UIDValidity: 8, UID: 42},
		{Mailbox: "INBOX", UIDValidity: 7, UID: 43},
		{Mailbox: "INBOX", UIDValidity: 74, UID: 2},
	}
	if again := base; AttemptKey(again) != AttemptKey(base) {
		t.Fatal("the key of one message changes")
	}
	for _, o := range others {
		if AttemptKey(o) == AttemptKey(base) {
			t.Errorf("%+v and %+v share the key %q", o, base, AttemptKey(base))
		}
	}
}

func TestSameMailboxIgnoresTheCaseOfINBOXOnly(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"INBOX", "inbox", true},
		{"Inbox", "INBOX", true},
		{"Processed", "Processed", true},
		{"Processed", "processed", false},
		{"INBOX", "INBOX/Sub", false},
	}
	for _, tt := range tests {
		if got := sameMailbox(tt.a, tt.b); got != tt.want {
			t.Errorf("sameMailbox(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
