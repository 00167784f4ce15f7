package sender

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net"
	"net/mail"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/licensedesk/licensedesk/internal/testredis"
	"github.com/licensedesk/licensedesk/ledger"
	"github.com/licensedesk/licensedesk/mailintake/reply"
	"github.com/redis/go-redis/v9"
)

// testNow is the clock of ledger/testdata/seed.yaml.
var testNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// received is a message the test SMTP server accepted.
type received struct {
	From, To  string
	MessageID string
	Data      []byte
	At        time.Time
	TLS       bool
}

// mailServer is an in-process go-smtp server that records what it accepts
// and fails on demand: N times at a stage with a code, always for an
// address, or not at all because it is down.
type mailServer struct {
	t        *testing.T
	addr     string
	tlsConf  *tls.Config // server side; nil for no TLS
	implicit bool        // TLS from the first byte (smtps)
	mechs    []string    // AUTH mechanisms offered; nil for no AUTH
	user     string
	pass     string

	mu      sync.Mutex
	srv     *smtp.Server
	lis     net.Listener
	msgs    []received
	faults  map[string][]int // stage -> codes to answer, one per command
	reject  map[string]int   // recipient -> code, always
	rcpts   map[string]int   // RCPT commands per recipient
	auths   []string         // mechanisms clients authenticated with
	onData  func()           // runs before a message is accepted
	arrived chan struct{}
	conns   atomic.Int64 // SMTP sessions opened
}

type serverOpt func(*mailServer)

func withAuth(user, pass string, mechs ...string) serverOpt {
	return func(m *mailServer) { m.user, m.pass, m.mechs = user, pass, mechs }
}

func withSTARTTLS() serverOpt { return func(m *mailServer) { m.tlsConf = serverTLS(m.t) } }

func withImplicitTLS() serverOpt {
	return func(m *mailServer) { m.tlsConf, m.implicit = serverTLS(m.t), true }
}

func newMailServer(t *testing.T, opts ...serverOpt) *mailServer {
	t.Helper()
	m := &mailServer{t: t, faults: map[string][]int{}, reject: map[string]int{}, rcpts: map[string]int{},
		arrived: make(chan struct{}, 1)}
	for _, o := range opts {
		o(m)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m.addr = l.Addr().String()
	m.serve(l)
	t.Cleanup(m.stop)
	return m
}

func (m *mailServer) serve(l net.Listener) {
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		m.conns.Add(1)
		return &testSession{m: m, conn: c}, nil
	}))
	srv.Domain = "mx.test"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	if m.tlsConf != nil && !m.implicit {
		srv.TLSConfig = m.tlsConf // offers STARTTLS
	}
	if m.implicit {
		l = tls.NewListener(l, m.tlsConf)
	}
	m.mu.Lock()
	m.srv, m.lis = srv, l
	m.mu.Unlock()
	go func() { _ = srv.Serve(l) }()
}

// stop takes the server down: the listener and every connection close.
func (m *mailServer) stop() {
	m.mu.Lock()
	srv, l := m.srv, m.lis
	m.srv, m.lis = nil, nil
	m.mu.Unlock()
	if srv != nil {
		// Close the listener too: Serve may not have registered it yet.
		_ = l.Close()
		_ = srv.Close()
	}
}

// start brings a stopped server back on the same address.
func (m *mailServer) start() {
	m.t.Helper()
	var l net.Listener
	var err error
	for i := 0; i < 50; i++ {
		if l, err = net.Listen("tcp", m.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		m.t.Fatalf("restart SMTP server on %s: %v", m.addr, err)
	}
	m.serve(l)
}

// failNext answers the next n commands of a stage ("mail", "rcpt",
// "data") with code.
func (m *mailServer) failNext(stage string, code, n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := 0; i < n; i++ {
		m.faults[stage] = append(m.faults[stage], code)
	}
}

func (m *mailServer) fault(stage string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	q := m.faults[stage]
	if len(q) == 0 {
		return nil
	}
	m.faults[stage] = q[1:]
	return smtpErr(q[0])
}

func smtpErr(code int) *smtp.SMTPError {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: fmt.Sprintf("test fault %d", code)}
}

func (m *mailServer) messages() []received {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]received(nil), m.msgs...)
}

func (m *mailServer) authMechs() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.auths...)
}

func (m *mailServer) rcptCount(addr string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rcpts[addr]
}

// waitMessages waits until at least n messages arrived.
func (m *mailServer) waitMessages(t *testing.T, n int, within time.Duration) []received {
	t.Helper()
	deadline := time.After(within)
	for {
		if got := m.messages(); len(got) >= n {
			return got
		}
		select {
		case <-m.arrived:
		case <-deadline:
			t.Fatalf("got %d messages within %v, want %d", len(m.messages()), within, n)
		}
	}
}

// url is the LICENSEDESK_SMTP_URL of the server.
func (m *mailServer) url() string {
	scheme, q := "smtp", ""
	switch {
	case m.implicit:
		scheme = "smtps"
	case m.tlsConf != nil:
		q = "?starttls=1"
	}
	cred := ""
	if m.user != "" {
		cred = escape(m.user) + ":" + escape(m.pass) + "@"
	}
	return scheme + "://" + cred + m.addr + q
}

func escape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') || c == '-' || c == '.' || c == '_' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

type testSession struct {
	m      *mailServer
	conn   *smtp.Conn
	authed bool
	from   string
	to     []string
}

func (s *testSession) AuthMechanisms() []string { return s.m.mechs }

func (s *testSession) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if user != s.m.user || pass != s.m.pass {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		s.m.mu.Lock()
		s.m.auths = append(s.m.auths, mech)
		s.m.mu.Unlock()
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (s *testSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.m.user != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	if err := s.m.fault("mail"); err != nil {
		return err
	}
	s.from = from
	return nil
}

func (s *testSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.m.mu.Lock()
	s.m.rcpts[to]++
	code := s.m.reject[to]
	s.m.mu.Unlock()
	if code != 0 {
		return smtpErr(code)
	}
	if err := s.m.fault("rcpt"); err != nil {
		return err
	}
	s.to = append(s.to, to)
	return nil
}

func (s *testSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := s.m.fault("data"); err != nil {
		return err
	}
	s.m.mu.Lock()
	onData := s.m.onData
	s.m.mu.Unlock()
	if onData != nil {
		onData()
	}
	id := ""
	if msg, err := mail.ReadMessage(bytes.NewReader(data)); err == nil {
		id = strings.Trim(msg.Header.Get("Message-Id"), "<>")
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.m.mu.Lock()
	for _, to := range s.to {
		s.m.msgs = append(s.m.msgs, received{From: s.from, To: to, MessageID: id, Data: data, At: time.Now(), TLS: isTLS})
	}
	s.m.mu.Unlock()
	select {
	case s.m.arrived <- struct{}{}:
	default:
	}
	return nil
}

func (s *testSession) Reset()        { s.from, s.to = "", nil }
func (s *testSession) Logout() error { return nil }

// loginServer is the server side of AUTH LOGIN, which go-sasl lacks.
type loginServer struct {
	check func(user, pass string) error
	user  string
	step  int
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		l.step = 1
		if resp == nil {
			return []byte("Username:"), false, nil
		}
		l.user, l.step = string(resp), 2
		return []byte("Password:"), false, nil
	case 1:
		l.user, l.step = string(resp), 2
		return []byte("Password:"), false, nil
	case 2:
		l.step = 3
		return nil, true, l.check(l.user, string(resp))
	}
	return nil, false, errors.New("login: unexpected response")
}

var (
	certOnce sync.Once
	certPair tls.Certificate
	certPool *x509.CertPool
	certErr  error
)

// testCert is a self-signed certificate for 127.0.0.1 and localhost.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	certOnce.Do(func() {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			certErr = err
			return
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mx.test"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			certErr = err
			return
		}
		leaf, err := x509.ParseCertificate(der)
		if err != nil {
			certErr = err
			return
		}
		certPair = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
		certPool = x509.NewCertPool()
		certPool.AddCert(leaf)
	})
	if certErr != nil {
		t.Fatal(certErr)
	}
	return certPair, certPool
}

func serverTLS(t *testing.T) *tls.Config {
	pair, _ := testCert(t)
	return &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
}

func clientTLS(t *testing.T) *tls.Config {
	_, pool := testCert(t)
	return &tls.Config{RootCAs: pool}
}

// fakeComposer renders a short reply whose Message-ID is a function of the
// entry, as mailintake's is.
type fakeComposer struct{ calls atomic.Int64 }

func (f *fakeComposer) Compose(e ledger.OutboxEntry) (*reply.Reply, error) {
	f.calls.Add(1)
	id := fmt.Sprintf("%s.%s@licensedesk.test", e.RequestID, e.Kind)
	if e.RequestID == "" {
		id = "ld-unknown." + e.Origin.MessageID + "@licensedesk.test"
	}
	r := &reply.Reply{From: "desk@licensedesk.test", To: e.Origin.From, Subject: "Re: " + e.Origin.Subject,
		MessageID: id, Text: "status " + string(e.Result.Status)}
	r.Raw = []byte("From: desk@licensedesk.test\r\nTo: " + e.Origin.From + "\r\nSubject: " + r.Subject +
		"\r\nMessage-ID: <" + id + ">\r\nAuto-Submitted: auto-replied\r\n\r\n" + r.Text + "\r\n")
	return r, nil
}

// counts is a Stats that counts.
type counts struct{ sent, retry, failed atomic.Int64 }

func (c *counts) Sent()   { c.sent.Add(1) }
func (c *counts) Retry()  { c.retry.Add(1) }
func (c *counts) Failed() { c.failed.Add(1) }

// env is a seeded ledger on a real redis-server, and an SMTP server.
type env struct {
	t     *testing.T
	rdb   *redis.Client
	l     *ledger.Ledger
	mail  *mailServer
	stats *counts
	comp  *fakeComposer
	logs  *syncBuffer
}

func newEnv(t *testing.T, opts ...serverOpt) *env {
	t.Helper()
	rdb := testredis.New(t)
	l := ledger.New(rdb, nil, ledger.NewManualClock(testNow), nil)
	if err := l.ImportFile(context.Background(), "../../ledger/testdata/seed.yaml"); err != nil {
		t.Fatalf("seed: %v", err)
	}
	e := &env{t: t, rdb: rdb, l: l, mail: newMailServer(t, opts...), stats: &counts{}, comp: &fakeComposer{},
		logs: &syncBuffer{}}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("sender log:\n%s", e.logs)
		}
	})
	return e
}

// fastConfig reacts within a fraction of a second: the tests wait on it.
func (e *env) fastConfig(consumer string) Config {
	return Config{URL: e.mail.url(), Consumer: consumer, ScanInterval: time.Hour, ClaimIdle: 10 * time.Second,
		MaxBackoff: 200 * time.Millisecond, TLSConfig: clientTLS(e.t)}
}

func (e *env) newSender(cfg Config) *Sender {
	e.t.Helper()
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := New(cfg, e.l, e.comp, log, e.stats)
	if err != nil {
		e.t.Fatalf("New: %v", err)
	}
	s.wakeBlock = 100 * time.Millisecond
	return s
}

// run starts s.Run; the returned stop cancels it and waits for it to
// return, as the command does on SIGTERM.
func (e *env) run(s *Sender) (stop func()) {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					e.t.Errorf("Run: %v", err)
				}
			case <-time.After(10 * time.Second):
				e.t.Errorf("Run did not return within 10s of its context ending")
			}
		})
	}
	e.t.Cleanup(stop)
	return stop
}

// email submits an emailed request that applies at once (one seat, under
// contoso's auto_apply_max_seats), which queues one reply.
func (e *env) email(msgID string) ledger.Result {
	e.t.Helper()
	res, err := e.l.Submit(context.Background(), ledger.Request{Tenant: "contoso",
		Requester: ledger.Requester{ID: "it@contoso.com"},
		Origin: ledger.Origin{Channel: ledger.ChannelEmail, From: "it@contoso.com", MessageID: msgID,
			Subject: "one more E3"},
		Ops: []ledger.Op{{Kind: ledger.OpAdd, SKU: "ENTERPRISEPACK", Quantity: 1}}})
	if err != nil {
		e.t.Fatalf("submit: %v", err)
	}
	return res
}

// record queues a reply to a question back to the customer, as the mail
// intake does for a message it did not understand.
func (e *env) record(from, msgID string) ledger.Result {
	e.t.Helper()
	res, err := e.l.Record(context.Background(), ledger.Request{Tenant: "contoso",
		Requester: ledger.Requester{ID: from},
		Origin:    ledger.Origin{Channel: ledger.ChannelEmail, From: from, MessageID: msgID, Subject: "hello"}},
		ledger.Result{Status: ledger.StatusNeedsClarification}, true)
	if err != nil {
		e.t.Fatalf("record: %v", err)
	}
	return res
}

func (e *env) outboxLen(stream string) int64 {
	e.t.Helper()
	n, err := e.rdb.XLen(context.Background(), stream).Result()
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) pendingCount(stream string) int64 {
	e.t.Helper()
	p, err := e.rdb.XPending(context.Background(), stream, DefaultGroup).Result()
	if err != nil {
		if redis.HasErrorPrefix(err, "NOGROUP") {
			return 0
		}
		e.t.Fatal(err)
	}
	return p.Count
}

// waitEmpty waits until the outbox holds nothing and nothing is pending.
func (e *env) waitEmpty(stream string, within time.Duration) {
	e.t.Helper()
	deadline := time.Now().Add(within)
	for {
		l, p := e.outboxLen(stream), e.pendingCount(stream)
		if l == 0 && p == 0 {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: XLEN %d, XPENDING %d after %v; want both 0", stream, l, p, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var contosoOutbox = ledger.OutboxKey("contoso")

// syncBuffer is a bytes.Buffer safe for the logger and the test at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
