package watch

import (
	"strings"
	"testing"
	"time"
)

func TestParseURLReadsSecurityHostMailboxAndCredentials(t *testing.T) {
	tests := []struct {
		name, url string
		want      endpoint
	}{
		{"imaps defaults to port 993", "imaps://desk:pw@mail.example.com/INBOX",
			endpoint{addr: "mail.example.com:993", host: "mail.example.com", security: implicitTLS, user: "desk", password: "pw", mailbox: "INBOX"}},
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
		{"plain imap to a remote host", "imap://desk:s3cr3t@mail.example.com/INBOX", "loopback"},
		{"plain imap to a private address", "imap://desk:s3cr3t@10.0.0.1/INBOX", "loopback"},
		{"plain imap to a name merely starting with localhost", "imap://desk:s3cr3t@localhost.example.com/", "loopback"},
		{"starttls=0 on a remote host", "imap://desk:s3cr3t@mail.example.com/?starttls=0", "loopback"},
		{"starttls on imaps", "imaps://desk:s3cr3t@mail.example.com/?starttls=1", "already TLS"},
		{"a starttls value that is not a boolean", "imap://desk:s3cr3t@mail.example.com/?starttls=maybe", "neither 1 nor 0"},
		{"starttls given twice", "imap://desk:s3cr3t@mail.example.com/?starttls=1&starttls=1", "2 times"},
		{"an unknown parameter", "imaps://desk:s3cr3t@mail.example.com/?tls=1", "unknown parameter"},
		{"another scheme", "pop3s://desk:s3cr3t@mail.example.com/", "neither imaps nor imap"},
		{"no user", "imaps://mail.example.com/", "no user"},
		{"no password", "imaps://desk@mail.example.com/", "no password"},
		{"an empty password", "imaps://desk:@mail.example.com/", "no password"},
		{"no host", "imaps://desk:s3cr3t@/INBOX", "no host"},
		{"port zero", "imaps://desk:s3cr3t@mail.example.com:0/", "out of range"},
		{"a port too large", "imaps://desk:s3cr3t@mail.example.com:70000/", "out of range"},
		{"a port that is not a number", "imaps://desk:s3cr3t@mail.example.com:imap/", "port"},
		{"a fragment", "imaps://desk:s3cr3t@mail.example.com/INBOX#x", "fragment"},
		{"no URL at all", "  ", "empty"},
		{"a host:port without a scheme", "mail.example.com:993", ""},
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
		IdleRestart: 25 * time.Minute, Liveness: 2 * time.Minute, MaxBackoff: time.Minute, MaxAttempts: 5,
		Timeout: time.Minute, MaxMessageBytes: 32 << 20, ShutdownGrace: 25 * time.Second}
	if c != want {
		t.Errorf("defaults\n got %+v\nwant %+v", c, want)
	}
}

func TestBackoffDoublesFromOneSecondUpToItsCapWithJitter(t *testing.T) {
	var b backoff
	max := 10 * time.Second
	for i, base := range []time.Duration{1, 2, 4, 8, 10, 10, 10} {
		base *= time.Second
		for range 20 { // jitter: draw a few times at the same step
			bb := b
			d := bb.next(max)
			if d < base/2 || d > base {
				t.Fatalf("step %d: wait %s outside [%s, %s]", i, d, base/2, base)
			}
		}
		b.next(max)
	}
	b.reset()
	if d := b.next(max); d > time.Second {
		t.Errorf("after reset the wait is %s, want at most 1s", d)
	}
	// Many failures must not overflow into a zero or negative wait.
	for range 100 {
		b.next(max)
	}
	if d := b.next(max); d < max/2 || d > max {
		t.Errorf("after 100 failures the wait is %s, want within [%s, %s]", d, max/2, max)
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
