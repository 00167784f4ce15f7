package watch_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/licensedesk/licensedesk/internal/testdovecot"
	"github.com/licensedesk/licensedesk/ledger"
	"github.com/licensedesk/licensedesk/mailintake"
	"github.com/licensedesk/licensedesk/mailintake/watch"
)

// deadline is generous: it bounds a wait, it does not measure speed.
const deadline = 20 * time.Second

// message is a small RFC 5322 message whose Subject names it.
func message(subject string) []byte {
	return fmt.Appendf(nil, "From: alice@contoso.com\r\nTo: desk@example.com\r\nSubject: %s\r\n"+
		"Message-ID: <%s@contoso.com>\r\nDate: Mon, 2 Jun 2025 10:00:00 +0000\r\n\r\nplease add 2 E3\r\n",
		subject, strings.ReplaceAll(subject, " ", "."))
}

// subjectOf reads the Subject header of a raw message.
func subjectOf(raw []byte) string {
	for _, line := range strings.Split(string(raw), "\r\n") {
		if s, ok := strings.CutPrefix(line, "Subject: "); ok {
			return s
		}
		if line == "" {
			break
		}
	}
	return ""
}

// call is one Ingest call the fake saw.
type call struct {
	src     mailintake.Source
	subject string
	attempt int // 1 for the first call with this src
}

// fakeIngester records calls; behave, when set, decides each call's fate:
// return an error, block, or panic.
type fakeIngester struct {
	t      testing.TB
	behave func(ctx context.Context, c call) error

	mu    sync.Mutex
	calls []call
	per   map[mailintake.Source]int
}

func newFake(t testing.TB, behave func(ctx context.Context, c call) error) *fakeIngester {
	return &fakeIngester{t: t, behave: behave, per: map[mailintake.Source]int{}}
}

func (f *fakeIngester) Ingest(ctx context.Context, r io.Reader, src mailintake.Source, dryRun bool) (mailintake.Outcome, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return mailintake.Outcome{}, err
	}
	if dryRun {
		f.t.Errorf("the watcher asked for a dry run of uid %d", src.UID)
	}
	f.mu.Lock()
	f.per[src]++
	c := call{src: src, subject: subjectOf(raw), attempt: f.per[src]}
	f.calls = append(f.calls, c)
	f.mu.Unlock()
	f.t.Logf("fake ingest: uid %d %q attempt %d", src.UID, c.subject, c.attempt)
	if f.behave != nil {
		if err := f.behave(ctx, c); err != nil {
			return mailintake.Outcome{}, err
		}
	}
	return mailintake.Outcome{Status: ledger.StatusApplied, RequestID: fmt.Sprintf("req-%d", src.UID)}, nil
}

func (f *fakeIngester) Calls() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

// stats counts what the watcher reports.
type stats struct {
	mu                                  sync.Mutex
	seen, failed, reconnects, lags, bad int
	done                                map[ledger.Status]int
}

func (s *stats) Seen()                 { s.mu.Lock(); s.seen++; s.mu.Unlock() }
func (s *stats) Failed()               { s.mu.Lock(); s.failed++; s.mu.Unlock() }
func (s *stats) Reconnect()            { s.mu.Lock(); s.reconnects++; s.mu.Unlock() }
func (s *stats) Done(st ledger.Status) { s.mu.Lock(); s.done[st]++; s.mu.Unlock() }
func (s *stats) Lag(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lags++
	if d < 0 || d > time.Hour {
		s.bad++
	}
}

func (s *stats) get() (seen, done, failed, reconnects, lags, badLags int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.done {
		done += n
	}
	return s.seen, done, s.failed, s.reconnects, s.lags, s.bad
}

// failure is one onFailed call.
type failure struct {
	src     mailintake.Source
	subject string
	err     error
}

type failures struct {
	mu   sync.Mutex
	list []failure
}

func (f *failures) record(_ context.Context, src mailintake.Source, subject string, err error) {
	f.mu.Lock()
	f.list = append(f.list, failure{src, subject, err})
	f.mu.Unlock()
}

func (f *failures) get() []failure {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]failure(nil), f.list...)
}

// logs records the watcher's log messages and passes them to t.Log.
type logs struct {
	t      testing.TB
	secret string // must never be logged
	mu     sync.Mutex
	n      map[string]int
}

func (l *logs) Enabled(context.Context, slog.Level) bool { return true }
func (l *logs) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logs) WithGroup(string) slog.Handler            { return l }
func (l *logs) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
	line := fmt.Sprintf("%s %s%s", r.Level, r.Message, b.String())
	l.t.Logf("watcher: %s", line)
	if l.secret != "" && strings.Contains(line, l.secret) {
		l.t.Errorf("the log shows the password: %s", line)
	}
	l.mu.Lock()
	l.n[r.Message]++
	l.mu.Unlock()
	return nil
}

func (l *logs) count(msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n[msg]
}

// running is a watcher started by start.
type running struct {
	w        *watch.Watcher
	fake     *fakeIngester
	stats    *stats
	failures *failures
	logs     *logs
	cancel   context.CancelFunc
	returned chan struct{} // closed when Run returned, with its result in err
	err      error
	stopped  sync.Once
}

// start runs a watcher until the test ends (or stop).
func start(t *testing.T, cfg watch.Config, fake *fakeIngester) *running {
	t.Helper()
	r := &running{fake: fake, stats: &stats{done: map[ledger.Status]int{}}, failures: &failures{},
		logs: &logs{t: t, n: map[string]int{}}, returned: make(chan struct{})}
	if u, err := url.Parse(cfg.URL); err == nil {
		r.logs.secret, _ = u.User.Password()
	}
	w, err := watch.New(cfg, fake, slog.New(r.logs), r.stats, r.failures.record)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	r.w = w
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() {
		defer close(r.returned)
		r.err = w.Run(ctx)
	}()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop cancels Run, waits for it, and checks it returned nil.
func (r *running) stop(t *testing.T) {
	t.Helper()
	r.stopped.Do(func() {
		r.cancel()
		select {
		case <-r.returned:
			if r.err != nil {
				t.Errorf("Run returned %v", r.err)
			}
		case <-time.After(deadline):
			t.Fatalf("Run did not return within %s of the cancel", deadline)
		}
	})
}

// waitLog waits until the watcher logged msg at least n times.
func (r *running) waitLog(t *testing.T, msg string, n int) {
	t.Helper()
	eventually(t, fmt.Sprintf("log %q %d times", msg, n), func() bool { return r.logs.count(msg) >= n })
}

// eventually polls cond until it holds, or fails the test at the deadline.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(deadline)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out after %s waiting for %s", deadline, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// imapServer is what the tests need of a server: where it is, and how to
// talk to it as a client.
type imapServer struct {
	url    func(mailbox string) string
	client func(tb testing.TB) *imapclient.Client
}

func dovecot(t *testing.T) (*testdovecot.Server, imapServer) {
	s := testdovecot.Start(t)
	return s, imapServer{url: s.URL, client: s.Client}
}

// memServer is go-imap's in-memory server.
type memServer struct {
	addr     string
	user     string
	password string
	imapServer
}

// memOptions shape a memServer.
type memOptions struct {
	caps     imap.CapSet // nil: IMAP4rev2, which has IDLE and MOVE
	tls      *tls.Config // offered with STARTTLS, or from the start with implicit
	implicit bool
	wrap     func(imapserver.Session) imapserver.Session // to inject faults
}

func newMemServer(t *testing.T, o memOptions) *memServer {
	t.Helper()
	caps, tlsCfg, implicit := o.caps, o.tls, o.implicit
	mem := imapmemserver.New()
	u := imapmemserver.NewUser("desk", "p@ss/w%rd")
	if err := u.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(u)
	if caps == nil {
		caps = imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}}
	}
	opts := &imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			if o.wrap != nil {
				return o.wrap(mem.NewSession()), nil, nil
			}
			return mem.NewSession(), nil, nil
		},
		Caps:         caps,
		InsecureAuth: true,
		Logger:       testLogger{t},
	}
	var ln net.Listener
	var err error
	if implicit {
		ln, err = tls.Listen("tcp", "127.0.0.1:0", tlsCfg)
	} else {
		opts.TLSConfig = tlsCfg
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	srv := imapserver.New(opts)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-served
	})
	m := &memServer{addr: ln.Addr().String(), user: "desk", password: "p@ss/w%rd"}
	scheme := "imap"
	if implicit {
		scheme = "imaps"
	}
	m.url = func(mailbox string) string {
		u := url.URL{Scheme: scheme, User: url.UserPassword(m.user, m.password), Host: m.addr, Path: "/" + mailbox}
		return u.String()
	}
	m.client = func(t testing.TB) *imapclient.Client {
		t.Helper()
		var c *imapclient.Client
		var err error
		if implicit {
			c, err = imapclient.DialTLS(m.addr, &imapclient.Options{TLSConfig: clientTLS(tlsCfg)})
		} else {
			c, err = imapclient.DialInsecure(m.addr, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		if err := c.Login(m.user, m.password).Wait(); err != nil {
			t.Fatal(err)
		}
		return c
	}
	return m
}

// testLogger sends the in-memory server's complaints to the test log.
type testLogger struct{ t *testing.T }

func (l testLogger) Printf(format string, args ...any) { l.t.Logf("imapserver: "+format, args...) }

// appendMail stores messages in mailbox through c.
func appendMail(t *testing.T, c *imapclient.Client, mailbox string, raws ...[]byte) {
	t.Helper()
	for _, raw := range raws {
		if err := testdovecot.AppendTo(c, mailbox, raw); err != nil {
			t.Fatal(err)
		}
	}
}

// contents lists the subjects in mailbox, in UID order, and its
// UIDVALIDITY. A missing mailbox is empty.
func contents(t *testing.T, c *imapclient.Client, mailbox string) (subjects []string, uidValidity uint32) {
	t.Helper()
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return nil, 0
	}
	if sel.NumMessages == 0 {
		return nil, sel.UIDValidity
	}
	msgs, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, Envelope: true}).Collect()
	if err != nil {
		t.Fatalf("fetch %s: %v", mailbox, err)
	}
	for _, m := range msgs {
		subjects = append(subjects, m.Envelope.Subject)
	}
	return subjects, sel.UIDValidity
}

// waitContents waits until mailbox holds exactly want (in UID order).
func waitContents(t *testing.T, c *imapclient.Client, mailbox string, want ...string) {
	t.Helper()
	var got []string
	end := time.Now().Add(deadline)
	for {
		got, _ = contents(t, c, mailbox)
		if strings.Join(got, "|") == strings.Join(want, "|") {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("%s holds %q after %s, want %q", mailbox, got, deadline, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// selfSigned makes a certificate for 127.0.0.1 and a client config that
// trusts it.
func selfSigned(t *testing.T) (server *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "imap.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}}}
}

// clientTLS trusts the certificate of a selfSigned server config.
func clientTLS(server *tls.Config) *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(server.Certificates[0].Leaf)
	return &tls.Config{RootCAs: pool}
}

// fastConfig is a watcher configuration with short waits, for url.
func fastConfig(url string) watch.Config {
	return watch.Config{URL: url, MaxBackoff: 100 * time.Millisecond, Timeout: 5 * time.Second, MaxAttempts: 3}
}
