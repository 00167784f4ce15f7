package watch

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is the watcher's part of the settings (SPEC §4.1, §6.2). Zero
// fields take their defaults.
type Config struct {
	// URL is LICENSEDESK_IMAP_URL: imaps://user:pass@host:993/INBOX (implicit
	// TLS), imap://user:pass@host/INBOX?starttls=1 (STARTTLS), or plain
	// imap:// to a loopback host only. The path names the watched mailbox
	// (INBOX when empty); user and password are URL-escaped.
	URL string
	// Processed and Failed are the folders messages are moved to, created
	// when missing. Defaults "Processed" and "Failed".
	Processed, Failed string
	// PollInterval is how often the mailbox is checked when the server lacks
	// IDLE (or NoIdle is set). Default 30s.
	PollInterval time.Duration
	// IdleRestart is how long one IDLE lasts at most; RFC 2177 §3 asks
	// clients to re-issue it before the server's 30-minute autologout, so it
	// must stay under 29 minutes. Default 25m.
	IdleRestart time.Duration
	// Liveness is how often, while idling, the connection is proven alive
	// (DONE, NOOP, IDLE again): a TCP connection whose peer vanished
	// otherwise looks idle forever. Default 2m.
	Liveness time.Duration
	// MaxBackoff caps the wait between reconnections, which grows
	// exponentially from 1s, with jitter. Default 1m.
	MaxBackoff time.Duration
	// MaxAttempts is how many times a message whose Ingest fails (an error,
	// not an outcome) is tried before it goes to Failed. Default 5.
	MaxAttempts int
	// TLSConfig is used for imaps:// and STARTTLS (tests pass their own
	// roots). Its ServerName defaults to the URL's host.
	TLSConfig *tls.Config

	// NoIdle polls even when the server offers IDLE: for servers whose IDLE
	// is broken, and for tests of polling (go-imap's in-memory server
	// always offers IDLE).
	NoIdle bool
	// Timeout bounds each IMAP command, the dial and the greeting; a
	// command without an answer by then means a dead connection. Fetching a
	// message may take 5 times as long. Default 1m.
	Timeout time.Duration
	// MaxMessageBytes bounds the memory one fetched message takes. A bigger
	// message is handed to Ingest cut at MaxMessageBytes+1 bytes, which the
	// pipeline refuses as too large, so it must be at least the pipeline's
	// own limit (decode.Limits.MaxBytes, 10 MiB). Default 32 MiB.
	MaxMessageBytes int64
	// ShutdownGrace is how long the message in hand may still take once
	// Run's context ends, before its Ingest context is cancelled too.
	// Default 25s (under the usual 30s between SIGTERM and SIGKILL).
	ShutdownGrace time.Duration
}

// Defaults (see Config).
const (
	DefaultProcessed       = "Processed"
	DefaultFailed          = "Failed"
	DefaultPollInterval    = 30 * time.Second
	DefaultIdleRestart     = 25 * time.Minute
	DefaultLiveness        = 2 * time.Minute
	DefaultMaxBackoff      = time.Minute
	DefaultMaxAttempts     = 5
	DefaultTimeout         = time.Minute
	DefaultMaxMessageBytes = 32 << 20
	DefaultShutdownGrace   = 25 * time.Second

	// maxIdle is RFC 2177's bound: servers may log a client out after 30
	// minutes of IDLE, so it is re-issued before 29.
	maxIdle = 29 * time.Minute
)

func (c Config) withDefaults() (Config, error) {
	if c.Processed == "" {
		c.Processed = DefaultProcessed
	}
	if c.Failed == "" {
		c.Failed = DefaultFailed
	}
	durations := []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"PollInterval", &c.PollInterval, DefaultPollInterval},
		{"IdleRestart", &c.IdleRestart, DefaultIdleRestart},
		{"Liveness", &c.Liveness, DefaultLiveness},
		{"MaxBackoff", &c.MaxBackoff, DefaultMaxBackoff},
		{"Timeout", &c.Timeout, DefaultTimeout},
		{"ShutdownGrace", &c.ShutdownGrace, DefaultShutdownGrace},
	}
	for _, d := range durations {
		switch {
		case *d.v == 0:
			*d.v = d.def
		case *d.v < 0:
			return c, fmt.Errorf("watch: %s is negative (%s)", d.name, *d.v)
		}
	}
	if c.IdleRestart >= maxIdle {
		return c, fmt.Errorf("watch: IdleRestart %s must be under %s (RFC 2177)", c.IdleRestart, maxIdle)
	}
	switch {
	case c.MaxAttempts == 0:
		c.MaxAttempts = DefaultMaxAttempts
	case c.MaxAttempts < 0:
		return c, fmt.Errorf("watch: MaxAttempts is negative (%d)", c.MaxAttempts)
	}
	switch {
	case c.MaxMessageBytes == 0:
		c.MaxMessageBytes = DefaultMaxMessageBytes
	case c.MaxMessageBytes < 0:
		return c, fmt.Errorf("watch: MaxMessageBytes is negative (%d)", c.MaxMessageBytes)
	}
	return c, nil
}

// security is how the connection is protected.
type security int

const (
	implicitTLS security = iota // imaps://
	startTLS                    // imap://…?starttls=1
	plain                       // imap:// to loopback only
)

func (s security) String() string {
	return [...]string{"tls", "starttls", "plain"}[s]
}

// endpoint is a parsed IMAP URL.
type endpoint struct {
	addr     string // host:port
	host     string
	security security
	user     string
	password string
	mailbox  string
	redacted string // the URL without its password, for logs and errors
}

// parseURL reads LICENSEDESK_IMAP_URL. Errors never quote the password.
func parseURL(raw string) (endpoint, error) {
	if strings.TrimSpace(raw) == "" {
		return endpoint{}, errors.New("watch: IMAP URL is empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the whole URL, password included; its cause
		// does not.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return endpoint{}, fmt.Errorf("watch: IMAP URL: %w", err)
	}
	ep := endpoint{redacted: u.Redacted()}
	fail := func(format string, args ...any) (endpoint, error) {
		return endpoint{}, fmt.Errorf("watch: IMAP URL %s: "+format, append([]any{ep.redacted}, args...)...)
	}
	if u.Opaque != "" || u.Host == "" {
		return fail("has no host")
	}
	if u.Fragment != "" {
		return fail("has a #fragment")
	}
	starttls := false
	for k, vs := range u.Query() {
		if k != "starttls" {
			return fail("unknown parameter %q (only starttls)", k)
		}
		if len(vs) != 1 {
			return fail("starttls given %d times", len(vs))
		}
		switch strings.ToLower(vs[0]) {
		case "1", "true", "yes", "on":
			starttls = true
		case "0", "false", "no", "off":
		default:
			return fail("starttls=%q is neither 1 nor 0", vs[0])
		}
	}
	port := ""
	switch strings.ToLower(u.Scheme) {
	case "imaps":
		if starttls {
			return fail("imaps:// is already TLS; starttls applies to imap://")
		}
		ep.security, port = implicitTLS, "993"
	case "imap":
		ep.security, port = plain, "143"
		if starttls {
			ep.security = startTLS
		}
	default:
		return fail("scheme %q is neither imaps nor imap", u.Scheme)
	}
	ep.host = u.Hostname()
	if ep.host == "" {
		return fail("has no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return fail("port %q is out of range", p)
		}
		port = p
	}
	ep.addr = net.JoinHostPort(ep.host, port)
	// SPEC §4.1: a password in clear only where it never leaves the machine.
	if ep.security == plain && !isLoopback(ep.host) {
		return fail("plain imap:// is allowed only to a loopback host; use imaps:// or imap://…?starttls=1")
	}
	if u.User == nil || u.User.Username() == "" {
		return fail("has no user")
	}
	ep.user = u.User.Username()
	pw, ok := u.User.Password()
	if !ok || pw == "" {
		return fail("has no password")
	}
	ep.password = pw
	ep.mailbox = strings.TrimPrefix(u.Path, "/")
	// RFC 3501 §5.1: INBOX is case-insensitive.
	if ep.mailbox == "" || strings.EqualFold(ep.mailbox, "INBOX") {
		ep.mailbox = "INBOX"
	}
	return ep, nil
}

// isLoopback accepts "localhost" and loopback addresses, not names that
// merely resolve to one today.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// sameMailbox compares mailbox names, INBOX case-insensitively (RFC 3501
// §5.1).
func sameMailbox(a, b string) bool {
	if strings.EqualFold(a, "INBOX") || strings.EqualFold(b, "INBOX") {
		return strings.EqualFold(a, b)
	}
	return a == b
}
