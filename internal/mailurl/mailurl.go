// Package mailurl reads the URLs of the desk's mail servers,
// LICENSEDESK_IMAP_URL and LICENSEDESK_SMTP_URL (SPEC §4.1, §4.7, §6.2),
// with the same rules for both (DESIGN "Errors": one mail-URL parser for
// every endpoint):
//
//	imaps://user:password@host[:993]/Mailbox   implicit TLS (RFC 8314)
//	smtps://user:password@host[:465]           implicit TLS (RFC 8314)
//	imap://user:password@host[:143]/Mailbox    STARTTLS (RFC 2595), required
//	smtp://user:password@host[:587]            STARTTLS (RFC 3207), required
//
// imap:// and smtp:// to a loopback host ("localhost", 127.0.0.0/8, ::1)
// are plain, since the traffic never leaves the machine; everywhere else
// they need STARTTLS, and a server that does not offer it is refused. The
// query ?starttls=1 forces STARTTLS (also to loopback); ?starttls=0 asks for
// plain, which only a loopback host may have. The user and the password are
// percent-decoded (write '@' as %40, ':' as %3A, '/' as %2F, '#' as %23, '%'
// as %25). An IMAP URL needs both (the watcher logs in); an SMTP URL has
// both or neither (no AUTH). The path of an IMAP URL names the watched
// mailbox, percent-decoded (INBOX when empty); an SMTP URL has no path.
//
// No error quotes the URL, nor any part of it: with a forgotten '@' or '/'
// the "host" or the "port" is the password. Endpoint.Redacted is the URL
// with its user information masked (internal/redact), for logs.
package mailurl

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/licensedesk/licensedesk/internal/fault"
	"github.com/licensedesk/licensedesk/internal/redact"
)

// Protocol is the kind of server a URL names.
type Protocol int

const (
	IMAP Protocol = iota
	SMTP
)

func (p Protocol) String() string {
	if p == SMTP {
		return "SMTP"
	}
	return "IMAP"
}

// Security is how the connection is protected.
type Security int

const (
	// ImplicitTLS is TLS from the first byte: imaps://, smtps://.
	ImplicitTLS Security = iota
	// StartTLS upgrades the connection before anything else is said, and
	// fails when the server does not offer it: imap://, smtp:// (off
	// loopback, or with ?starttls=1).
	StartTLS
	// Plain is no protection: imap:// and smtp:// to a loopback host only.
	Plain
)

func (s Security) String() string {
	switch s {
	case ImplicitTLS:
		return "tls"
	case StartTLS:
		return "starttls"
	}
	return "plain"
}

// Default ports (RFC 8314 §7 for the implicit TLS ones, RFC 6409 for
// submission).
const (
	IMAPSPort = "993"
	IMAPPort  = "143"
	SMTPSPort = "465"
	SMTPPort  = "587"
)

// Endpoint is a parsed mail URL.
type Endpoint struct {
	Protocol Protocol
	Security Security
	Host     string // as written (no brackets around an IPv6 address)
	Port     string // the default of the scheme when the URL has none
	Addr     string // host:port, for dialling
	User     string // percent-decoded; "" for an SMTP server without AUTH
	Password string // percent-decoded
	Mailbox  string // IMAP only: the watched mailbox, "INBOX" by default
	Redacted string // the URL with its user information masked, for logs
}

// String is the redacted URL: an Endpoint may be logged as it is.
func (e Endpoint) String() string { return e.Redacted }

// ErrInvalid is wrapped by every error of this package, and marked
// permanent (internal/fault): a URL does not mend itself.
var ErrInvalid = errors.New("invalid mail URL")

// ParseIMAP reads LICENSEDESK_IMAP_URL.
func ParseIMAP(raw string) (Endpoint, error) { return parse(raw, IMAP) }

// ParseSMTP reads LICENSEDESK_SMTP_URL.
func ParseSMTP(raw string) (Endpoint, error) { return parse(raw, SMTP) }

// problem is an error of this package: a fixed text, never a piece of the
// URL.
func problem(p Protocol, format string, args ...any) error {
	return fault.Permanent(fmt.Errorf("mailurl: %s URL: %w: "+format, append([]any{p, ErrInvalid}, args...)...))
}

func parse(raw string, p Protocol) (Endpoint, error) {
	raw = strings.TrimSpace(raw)
	secure, plain := "imaps", "imap"
	if p == SMTP {
		secure, plain = "smtps", "smtp"
	}
	if raw == "" {
		return Endpoint{}, problem(p, "it is empty (give the scheme, the host and the credentials: %s://user:password@host)", secure)
	}
	if strings.Contains(raw, "#") {
		// A mail URL has no fragment: a '#' is a password character left
		// unencoded, which would cut the URL there.
		return Endpoint{}, problem(p, "it holds a '#', and a mail URL has no #fragment (percent-encode a '#' of the password as %%23)")
	}
	i := strings.Index(raw, "://")
	if i <= 0 {
		// "user:pass@host" and "imap:user:pass@host" both land here; what
		// stands before the first ':' may be the user's name: not quoted.
		return Endpoint{}, problem(p, "it must be scheme://host, with the two slashes (%s:// or %s://)", secure, plain)
	}
	scheme := strings.ToLower(raw[:i])
	if scheme != secure && scheme != plain {
		return Endpoint{}, problem(p, "the scheme must be %s:// or %s://", secure, plain)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return Endpoint{}, problem(p, "%s", parseReason(err))
	}
	e := Endpoint{Protocol: p, Redacted: redacted(u)}

	e.Host = u.Hostname()
	if e.Host == "" {
		return Endpoint{}, problem(p, "it has no host")
	}
	if !validHost(e.Host) {
		// Not quoted: with a forgotten '@', the "host" is the password.
		return Endpoint{}, problem(p, "the host is neither a host name nor an IP address")
	}
	e.Port = u.Port()
	if e.Port != "" {
		if n, err := strconv.Atoi(e.Port); err != nil || n < 1 || n > 65535 {
			return Endpoint{}, problem(p, "the port is out of range: it must be a number from 1 to 65535")
		}
	}

	if u.User != nil {
		e.User = u.User.Username()
		e.Password, _ = u.User.Password()
	}
	switch {
	case e.User == "" && e.Password != "":
		return Endpoint{}, problem(p, "it has a password but no user")
	case e.User != "" && e.Password == "":
		return Endpoint{}, problem(p, "it has a user but no password")
	case p == IMAP && e.User == "":
		return Endpoint{}, problem(p, "it has no user and no password: the watcher logs in (imaps://user:password@host/INBOX)")
	}

	switch p {
	case IMAP:
		e.Mailbox = strings.TrimPrefix(u.Path, "/")
		// RFC 3501 §5.1: INBOX is case-insensitive.
		if e.Mailbox == "" || strings.EqualFold(e.Mailbox, "INBOX") {
			e.Mailbox = "INBOX"
		}
	case SMTP:
		if u.Path != "" && u.Path != "/" {
			return Endpoint{}, problem(p, "it has a path; an SMTP URL names only the server")
		}
	}

	starttls, err := starttlsOf(u.RawQuery, p)
	if err != nil {
		return Endpoint{}, err
	}
	loopback := IsLoopback(e.Host)
	switch {
	case scheme == secure:
		if starttls != nil {
			return Endpoint{}, problem(p, "%s:// is implicit TLS already; starttls applies to %s://", secure, plain)
		}
		e.Security = ImplicitTLS
	case starttls != nil && *starttls:
		e.Security = StartTLS
	case !loopback && starttls != nil:
		// SPEC §6.2: a password in clear only where it never leaves the
		// machine.
		return Endpoint{}, problem(p, "plain %s:// is allowed only to a loopback host; use %s:// or leave starttls on", plain, secure)
	case !loopback:
		e.Security = StartTLS
	default:
		e.Security = Plain
	}
	if e.Port == "" {
		e.Port = defaultPort(p, e.Security == ImplicitTLS)
	}
	e.Addr = net.JoinHostPort(e.Host, e.Port)
	return e, nil
}

func defaultPort(p Protocol, implicit bool) string {
	switch {
	case p == IMAP && implicit:
		return IMAPSPort
	case p == IMAP:
		return IMAPPort
	case implicit:
		return SMTPSPort
	}
	return SMTPPort
}

// starttlsOf reads the query: nothing, or starttls=0|1 once.
func starttlsOf(rawQuery string, p Protocol) (*bool, error) {
	if rawQuery == "" {
		return nil, nil
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, problem(p, "its query does not parse (only ?starttls=0|1)")
	}
	var v *bool
	for k, vs := range q {
		if k != "starttls" {
			return nil, problem(p, "it has an unknown parameter (only starttls=0|1)")
		}
		if len(vs) != 1 {
			return nil, problem(p, "starttls is given more than once")
		}
		var b bool
		switch strings.ToLower(vs[0]) {
		case "1", "true", "yes", "on":
			b = true
		case "0", "false", "no", "off":
		default:
			return nil, problem(p, "starttls must be 0 or 1")
		}
		v = &b
	}
	return v, nil
}

// redacted is the URL for logs, its user information masked as
// internal/redact masks it. It is rebuilt from the parsed URL rather than
// passed through redact.URL, which reads a ',' as the end of one URL of a
// list (LICENSEDESK_REDIS_URL's cluster form) and would show what follows a
// ',' in a password.
func redacted(u *url.URL) string {
	c := *u
	if c.User != nil {
		c.User = url.User(redact.Mask)
	}
	return c.String()
}

// parseReason says what url.Parse disliked, in words of our own: its error
// quotes the whole URL, password included.
func parseReason(err error) string {
	var ee url.EscapeError
	if errors.As(err, &ee) {
		return "bad percent-encoding (a % must be followed by two hex digits: write a % of the password as %25)"
	}
	var he url.InvalidHostError
	if errors.As(err, &he) {
		return "invalid character in the host"
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "invalid port"):
		return "the port does not parse: it must be a number from 1 to 65535 (and a '/', '?' or '@' of the password must be percent-encoded)"
	case strings.Contains(msg, "missing ']'"), strings.Contains(msg, "invalid IP-literal"):
		return "an IPv6 address must be written in [brackets]"
	case strings.Contains(msg, "invalid userinfo"):
		return "the user or the password holds a character that must be percent-encoded"
	}
	return "it does not parse (check the port, and percent-encode the reserved characters of the user and the password)"
}

// validHost accepts an IP address or a DNS name (RFC 1123 labels; '_'
// tolerated, as resolvers do).
func validHost(h string) bool {
	if net.ParseIP(h) != nil {
		return true
	}
	if len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// IsLoopback accepts "localhost" and loopback addresses, not names that
// merely resolve to one today: a name is only as trustworthy as the
// resolver.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
