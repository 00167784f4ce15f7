package sender

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/licensedesk/licensedesk/internal/mailurl"
	"github.com/licensedesk/licensedesk/mailintake/reply"
)

// security is how the connection to the SMTP server is protected.
type security = mailurl.Security

const (
	implicitTLS = mailurl.ImplicitTLS // smtps://, TLS from the first byte (RFC 8314)
	startTLS    = mailurl.StartTLS    // smtp://, upgraded with STARTTLS (RFC 3207), required
	plaintext   = mailurl.Plain       // smtp:// to a loopback host only
)

// endpoint is a parsed LICENSEDESK_SMTP_URL.
type endpoint struct {
	addr     string // host:port
	host     string
	security security
	user     string
	pass     string
	redacted string // the URL with its user information hidden, for logs
}

// parseURL reads LICENSEDESK_SMTP_URL with the project's one mail-URL
// parser (internal/mailurl, SPEC §6.2):
//
//	smtps://user:pass@host[:465]            implicit TLS
//	smtp://user:pass@host[:587]             STARTTLS, required
//	smtp://host:25 to a loopback host       plain, unless ?starttls=1
//	smtp://host:25?starttls=0               plain: refused unless host is loopback
//
// Reserved characters in the user or password are percent-encoded. No error
// ever quotes the URL.
func parseURL(raw string) (endpoint, error) {
	e, err := mailurl.ParseSMTP(raw)
	if err != nil {
		return endpoint{}, fmt.Errorf("sender: %w", err)
	}
	return endpoint{addr: e.Addr, host: e.Host, security: e.Security, user: e.User, pass: e.Password,
		redacted: e.Redacted}, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// Error is a delivery that failed, classified by whether a retry can help
// (alertmanager's notify/util.go habit).
type Error struct {
	// Stage is where it failed: "address", "compose", "connect", "tls",
	// "auth", "mail", "rcpt", "data".
	Stage string
	// Code is the SMTP reply code, 0 when the server did not answer.
	Code int
	kind kind
	Err  error
}

// kind says what a failure means for the entry.
type kind int

const (
	// permanent: this reply can never be delivered (5xx on RCPT or DATA, a
	// malformed address, an entry that cannot be composed).
	permanent kind = iota
	// deferred: this reply, later (4xx on RCPT or DATA: greylisting, a full
	// mailbox).
	deferred
	// transport: the server or our side of it (network, TLS, AUTH, MAIL,
	// 421): nothing is wrong with the reply, every reply waits.
	transport
)

func (e *Error) Error() string {
	return "sender: " + e.Stage + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether retrying the same reply later can succeed.
func (e *Error) Temporary() bool { return e.kind != permanent }

// ErrNoRecipient means the entry names nobody to answer; it is acknowledged
// without sending.
var ErrNoRecipient = errors.New("sender: the entry has no recipient")

// classify turns what go-smtp returned at a stage into an *Error.
func classify(stage string, err error) *Error {
	e := &Error{Stage: stage, Err: err, kind: transport}
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		return e // network, TLS, timeouts: the server, not the reply
	}
	e.Code = se.Code
	switch {
	case se.Code == 421:
		// RFC 5321 §3.8: the server is closing the channel.
		e.kind = transport
	case stage != "rcpt" && stage != "data":
		// A refused AUTH or MAIL FROM is the desk's configuration and hits
		// every reply: keep them all until someone fixes it.
		e.kind = transport
	case se.Code >= 400 && se.Code < 500:
		e.kind = deferred
	case se.Code >= 500 && se.Code < 600:
		e.kind = permanent
	}
	return e
}

// validAddress accepts an address that can go on a MAIL or RCPT line as is.
func validAddress(a string) bool {
	at := strings.LastIndexByte(a, '@')
	if at < 1 || at == len(a)-1 || len(a) > 320 {
		return false
	}
	return !strings.ContainsAny(a, " \t\r\n<>()[],;:\\\"\x00")
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// deadlineConn bounds a whole SMTP transaction: go-smtp sets and clears a
// deadline around every command, and each of those is clamped to the
// attempt's hard deadline. An attempt that ends before ClaimIdle can never
// overlap a second sender's claim of the same entry.
type deadlineConn struct {
	net.Conn
	mu   sync.Mutex
	hard time.Time
}

func (c *deadlineConn) clamp(t time.Time) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.hard.IsZero() && (t.IsZero() || t.After(c.hard)) {
		return c.hard
	}
	return t
}

func (c *deadlineConn) setHard(t time.Time) {
	c.mu.Lock()
	c.hard = t
	c.mu.Unlock()
	_ = c.Conn.SetDeadline(t)
}

func (c *deadlineConn) SetDeadline(t time.Time) error     { return c.Conn.SetDeadline(c.clamp(t)) }
func (c *deadlineConn) SetReadDeadline(t time.Time) error { return c.Conn.SetReadDeadline(c.clamp(t)) }
func (c *deadlineConn) SetWriteDeadline(t time.Time) error {
	return c.Conn.SetWriteDeadline(c.clamp(t))
}

// session is one authenticated SMTP connection.
type session struct {
	c        *smtp.Client
	dc       *deadlineConn
	lastUsed time.Time
	dirty    bool // a transaction stopped midway: RSET before the next
}

func (s *session) close(quit bool) {
	if quit {
		s.dc.setHard(time.Now().Add(2 * time.Second))
		if s.c.Quit() == nil {
			return
		}
	}
	_ = s.c.Close()
}

// localName is what we say in EHLO: some servers refuse "localhost".
func localName() string {
	h, err := os.Hostname()
	if err != nil || h == "" || strings.ContainsAny(h, " \t\r\n") || len(h) > 255 {
		return "localhost"
	}
	return h
}

// dial opens, secures and authenticates a connection to the server; every
// step ends by the deadline.
func (s *Sender) dial(ctx context.Context, deadline time.Time) (*session, error) {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	raw, err := s.dialer(ctx, "tcp", s.ep.addr)
	if err != nil {
		return nil, &Error{Stage: "connect", Err: err, kind: transport}
	}
	dc := &deadlineConn{Conn: raw}
	dc.setHard(deadline)
	var c *smtp.Client
	switch s.ep.security {
	case implicitTLS:
		tc := tls.Client(dc, s.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = raw.Close()
			return nil, &Error{Stage: "tls", Err: err, kind: transport}
		}
		c = smtp.NewClient(tc)
	case startTLS:
		// NewClientStartTLS fails when the server does not offer STARTTLS:
		// a network attacker must not be able to strip it.
		if c, err = smtp.NewClientStartTLS(dc, s.tls); err != nil {
			_ = raw.Close()
			return nil, classifyAs("tls", err)
		}
	default:
		c = smtp.NewClient(dc)
	}
	if err := c.Hello(s.localName); err != nil {
		_ = c.Close()
		return nil, classifyAs("connect", err)
	}
	if s.ep.user != "" {
		if err := s.auth(c); err != nil {
			_ = c.Close()
			return nil, err
		}
	}
	return &session{c: c, dc: dc, lastUsed: time.Now()}, nil
}

// classifyAs is classify for a stage where every failure is the transport's.
func classifyAs(stage string, err error) *Error {
	e := classify(stage, err)
	e.kind = transport
	return e
}

// auth logs in with PLAIN, or LOGIN when the server offers only LOGIN
// (older Exchange). It never runs over plain text to another host:
// parseURL allows plain text only to loopback.
func (s *Sender) auth(c *smtp.Client) error {
	var mech sasl.Client
	switch {
	case c.SupportsAuth(sasl.Plain):
		mech = sasl.NewPlainClient("", s.ep.user, s.ep.pass)
	case c.SupportsAuth(sasl.Login):
		mech = sasl.NewLoginClient(s.ep.user, s.ep.pass)
	default:
		_, mechs := c.Extension("AUTH")
		if mechs == "" {
			mechs = "none"
		}
		return &Error{Stage: "auth", kind: transport,
			Err: fmt.Errorf("the server offers neither AUTH PLAIN nor LOGIN (offers: %s)", truncate(mechs, 100))}
	}
	if err := c.Auth(mech); err != nil {
		return classifyAs("auth", err)
	}
	return nil
}

// transact sends one reply on an open session. Only a nil return means the
// server accepted the message (250 after the final dot).
func transact(ss *session, r *reply.Reply) error {
	c := ss.c
	var opts *smtp.MailOptions
	if !isASCII(r.From) || !isASCII(r.To) {
		if ok, _ := c.Extension("SMTPUTF8"); !ok {
			return &Error{Stage: "rcpt", kind: permanent,
				Err: errors.New("the address is not ASCII and the server lacks SMTPUTF8 (RFC 6531)")}
		}
		opts = &smtp.MailOptions{UTF8: true}
	}
	if max, ok := c.MaxMessageSize(); ok && max > 0 && len(r.Raw) > max {
		return &Error{Stage: "data", kind: permanent,
			Err: fmt.Errorf("the reply is %d bytes, over the server's SIZE %d", len(r.Raw), max)}
	}
	ss.dirty = true
	if err := c.Mail(r.From, opts); err != nil {
		return classify("mail", err)
	}
	if err := c.Rcpt(r.To, nil); err != nil {
		return classify("rcpt", err)
	}
	w, err := c.Data()
	if err != nil {
		return classify("data", err)
	}
	if _, err := w.Write(r.Raw); err != nil {
		return classifyAs("data", err)
	}
	if err := w.Close(); err != nil {
		return classify("data", err)
	}
	ss.dirty = false
	return nil
}

// checkReply refuses, before any SMTP, a reply that cannot be sent.
func checkReply(r *reply.Reply) error {
	if r == nil || len(r.Raw) == 0 {
		return &Error{Stage: "compose", kind: permanent, Err: errors.New("the composer returned no message")}
	}
	if !validAddress(r.To) {
		return &Error{Stage: "address", kind: permanent, Err: fmt.Errorf("recipient %q is not a mailbox", truncate(r.To, 100))}
	}
	if !validAddress(r.From) {
		// The desk's own address (LICENSEDESK_FROM) is wrong: every reply
		// is affected, so none is dropped.
		return &Error{Stage: "address", kind: transport, Err: fmt.Errorf("sender address %q is not a mailbox", truncate(r.From, 100))}
	}
	return nil
}
