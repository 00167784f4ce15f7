package ledger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/licensedesk/licensedesk/internal/fault"
	"github.com/licensedesk/licensedesk/internal/redact"
	"github.com/redis/go-redis/v9"
)

// ErrNoStore is returned by Open for an empty URL: the commands that work
// on the desk's store refuse a throw-away one (SPEC §6).
var ErrNoStore = errors.New("LICENSEDESK_REDIS_URL is not set: this command works on the desk's Redis (redis://host:6379/0, rediss://…, or host:port,host:port for a cluster)")

// ErrBadStoreURL wraps every refusal of a store URL. Its text never holds
// the URL's user information (SPEC §6: no secret is ever printed).
var ErrBadStoreURL = errors.New("not a valid store URL")

// Open connects to the store a URL names (SPEC §6.2 LICENSEDESK_REDIS_URL):
// redis:// or rediss:// for one node, or a comma-separated host:port list
// for Redis Cluster. It checks that the store answers, and loads the
// catalog overrides. The URL is validated here, and any error names it
// redacted, before a parser could quote its password.
func Open(ctx context.Context, rawURL string, clock Clock, log *slog.Logger) (*Ledger, error) {
	l, err := Dial(rawURL, clock, log)
	if err != nil {
		return nil, err
	}
	if err := l.Ping(ctx); err != nil {
		l.Close()
		return nil, wrapf("store %s does not answer: %w", redact.URL(strings.TrimSpace(rawURL)), err)
	}
	if err := l.Refresh(ctx); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// Dial is Open without the check that the store answers: for the commands
// that may not need the store at all (help, whoami), which must work while
// it is down. The catalog is the built-in one until Refresh.
func Dial(rawURL string, clock Clock, log *slog.Logger) (*Ledger, error) {
	quietRedisLogs()
	rawURL = strings.TrimSpace(rawURL)
	shown := redact.URL(rawURL)
	var rdb redis.UniversalClient
	switch {
	case rawURL == "":
		return nil, ErrNoStore
	case strings.Contains(rawURL, "://"):
		opt, err := parseStoreURL(rawURL)
		if err != nil {
			return nil, fault.Permanent(fmt.Errorf("store %s: %w", shown, err))
		}
		rdb = redis.NewClient(opt)
	default:
		addrs, err := clusterAddrs(rawURL)
		if err != nil {
			return nil, fault.Permanent(fmt.Errorf("store %s: %w", shown, err))
		}
		if len(addrs) == 1 {
			rdb = redis.NewClient(&redis.Options{Addr: addrs[0]})
		} else {
			rdb = redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
		}
	}
	l := New(rdb, nil, clock, log)
	l.closer = func() { rdb.Close() }
	return l, nil
}

// parseStoreURL parses a redis:// or rediss:// URL. Its errors never carry
// the URL itself: url.Parse and redis.ParseURL quote what they refuse,
// which may be a password.
func parseStoreURL(raw string) (*redis.Options, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrBadStoreURL, urlProblem(err))
	}
	switch u.Scheme {
	case "redis", "rediss", "unix":
	default:
		return nil, fmt.Errorf("%w: the scheme must be redis://, rediss:// or unix://", ErrBadStoreURL)
	}
	if u.Scheme != "unix" {
		if _, port, err := net.SplitHostPort(u.Host); err == nil {
			if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
				return nil, fmt.Errorf("%w: the port must be a number from 1 to 65535", ErrBadStoreURL)
			}
		}
	}
	opt, err := redis.ParseURL(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: check the host, port, database number and options", ErrBadStoreURL)
	}
	return opt, nil
}

// urlProblem says what url.Parse disliked, in words of our own.
func urlProblem(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "invalid URL escape"):
		return "a % in it is not followed by two hex digits (escape it as %25)"
	case strings.Contains(msg, "invalid port"):
		return "the port must be a number"
	case strings.Contains(msg, "missing ']'"), strings.Contains(msg, "invalid IP-literal"):
		return "an IPv6 address must be written in [brackets]"
	}
	return "it cannot be parsed"
}

// clusterAddrs checks a comma-separated host:port list.
func clusterAddrs(raw string) ([]string, error) {
	var addrs []string
	for _, a := range strings.Split(raw, ",") {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		host, port, err := net.SplitHostPort(a)
		n, perr := strconv.Atoi(port)
		if err != nil || host == "" || strings.ContainsAny(host, "@/ ") || perr != nil || n <= 0 || n > 65535 {
			return nil, fmt.Errorf("%w: give redis://host:port/db, rediss://…, or host:port,host:port for a cluster", ErrBadStoreURL)
		}
		addrs = append(addrs, a)
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("%w: no address", ErrBadStoreURL)
	}
	return addrs, nil
}

// OpenEmbedded starts an in-process store: not durable, everything is lost
// when the process ends (SPEC §6.2). The demo uses it, and serve when no
// store is configured and the embedded store is allowed.
func OpenEmbedded(ctx context.Context, clock Clock, log *slog.Logger) (*Ledger, error) {
	quietRedisLogs()
	m, err := miniredis.Run()
	if err != nil {
		return nil, fmt.Errorf("store: embedded: %w", err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	l := New(rdb, nil, clock, log)
	l.closer = func() { rdb.Close(); m.Close() }
	l.embedded = m.Addr()
	if err := l.Refresh(ctx); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// EmbeddedAddr is the address of an embedded store ("" for a real one), so
// that the demo can say how to reach it from another shell.
func (l *Ledger) EmbeddedAddr() string { return l.embedded }

// Close releases the store a ledger opened. A ledger from New does not own
// its client, and Close leaves it open.
func (l *Ledger) Close() {
	if l.closer != nil {
		l.closer()
		l.closer = nil
	}
}

var quietOnce sync.Once

// quietRedisLogs routes go-redis's own log lines (pool dial failures name
// the address they dialled) through redaction, at debug level: the
// ledger reports store faults itself, as errors.
func quietRedisLogs() {
	quietOnce.Do(func() { redis.SetLogger(redisLogger{}) })
}

type redisLogger struct{}

func (redisLogger) Printf(ctx context.Context, format string, v ...any) {
	slog.Default().DebugContext(ctx, "redis", "msg", redact.URL(fmt.Sprintf(format, v...)))
}

// pingTimeout bounds the store check of Open and Ping.
const pingTimeout = 2 * time.Second
