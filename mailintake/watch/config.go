package watch

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"time"

	"github.com/licensedesk/licensedesk/internal/mailurl"
)

// Config is the watcher's part of the settings (SPEC §4.1, §6.2). Zero
// fields take their defaults.
type Config struct {
	// URL is LICENSEDESK_IMAP_URL, read by internal/mailurl:
	// imaps://user:pass@host:993/INBOX (implicit TLS), imap://… (STARTTLS,
	// required off loopback; ?starttls=1 forces it), plain imap:// to a
	// loopback host only. The path names the watched mailbox (INBOX when
	// empty); user and password are percent-encoded.
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
	// MaxBackoff caps the wait between reconnections, and between retries
	// of a message that failed for a temporary reason; the wait grows
	// exponentially from a second (or MaxBackoff, if smaller), with jitter,
	// and starts again after a healthy session. A few seconds: mail must
	// not wait long once a server is back. Default 5s.
	MaxBackoff time.Duration
	// MaxAttempts is how many times a message whose Ingest fails for a
	// permanent reason (or kills the process) is attempted before it goes
	// to Failed without being processed again. Attempts are counted in
	// Attempts, before each one begins. Default 5.
	MaxAttempts int
	// Attempts keeps the attempt counts where a crash does not reset them:
	// the ledger (*ledger.Ledger). Nil keeps them in memory, which only a
	// store that dies with the process may do (the demo's embedded one).
	Attempts Attempts
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
	DefaultMaxBackoff      = 5 * time.Second
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

// Attempts counts the attempts at processing each message, keyed by
// mailbox, UIDVALIDITY and UID (DESIGN "Errors"). *ledger.Ledger is one.
type Attempts interface {
	// StartAttempt counts one more attempt before it begins, and returns
	// the count including this one.
	StartAttempt(ctx context.Context, key string) (int, error)
	// ForgetAttempt takes back an attempt that failed for a temporary
	// reason.
	ForgetAttempt(ctx context.Context, key string) error
	// EndAttempts forgets a message done with.
	EndAttempts(ctx context.Context, key string) error
}

// security is how the connection is protected.
type security = mailurl.Security

const (
	implicitTLS = mailurl.ImplicitTLS // imaps://
	startTLS    = mailurl.StartTLS    // imap:// off loopback, or with ?starttls=1
	plain       = mailurl.Plain       // imap:// to loopback only
)

// endpoint is a parsed IMAP URL.
type endpoint struct {
	addr     string // host:port
	host     string
	security security
	user     string
	password string
	mailbox  string
	redacted string // the URL without its user information, for logs
}

// parseURL reads LICENSEDESK_IMAP_URL with the project's one mail-URL
// parser (internal/mailurl). Errors never quote the URL.
func parseURL(raw string) (endpoint, error) {
	e, err := mailurl.ParseIMAP(raw)
	if err != nil {
		return endpoint{}, fmt.Errorf("watch: %w", err)
	}
	return endpoint{addr: e.Addr, host: e.Host, security: e.Security, user: e.User, password: e.Password,
		mailbox: e.Mailbox, redacted: e.Redacted}, nil
}

// sameMailbox compares mailbox names, INBOX case-insensitively (RFC 3501
// §5.1).
func sameMailbox(a, b string) bool {
	if strings.EqualFold(a, "INBOX") || strings.EqualFold(b, "INBOX") {
		return strings.EqualFold(a, b)
	}
	return a == b
}
