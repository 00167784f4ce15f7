package watch_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/licensedesk/licensedesk/mailintake/watch"
)

// These tests use go-imap's in-memory server: fast, and it lets a test
// choose the server's capabilities and TLS.

func TestTheInMemoryServerHappyPathWithIdleAndMove(t *testing.T) {
	t.Parallel()
	m := newMemServer(t, memOptions{})
	c := m.client(t)
	appendMail(t, c, "INBOX", message("one"), message("two"))

	cfg := fastConfig(m.url("INBOX"))
	cfg.Liveness, cfg.IdleRestart = 10*time.Minute, 20*time.Minute
	r := start(t, cfg, newFake(t, nil))
	waitContents(t, c, "Processed", "one", "two")
	r.waitLog(t, "idling", 1)
	appendMail(t, c, "INBOX", message("three"))
	waitContents(t, c, "Processed", "one", "two", "three")
	waitContents(t, c, "INBOX")
	if n := r.logs.count("IMAP session started"); n != 1 {
		t.Errorf("%d sessions, want 1", n)
	}
}

func TestWithoutIdleAndMoveTheWatcherPollsAndCopies(t *testing.T) {
	t.Parallel()
	// IMAP4rev1 alone: no MOVE, no UIDPLUS. The in-memory server offers
	// IDLE regardless, so NoIdle stands for a server without it.
	m := newMemServer(t, memOptions{caps: imap.CapSet{imap.CapIMAP4rev1: {}}})
	c := m.client(t)
	appendMail(t, c, "INBOX", message("waiting"))

	cfg := fastConfig(m.url("INBOX"))
	cfg.NoIdle, cfg.PollInterval = true, 50*time.Millisecond
	r := start(t, cfg, newFake(t, nil))
	waitContents(t, c, "Processed", "waiting")
	appendMail(t, c, "INBOX", message("polled"))
	waitContents(t, c, "Processed", "waiting", "polled")
	// COPY, STORE \Deleted, EXPUNGE: nothing is left behind.
	waitContents(t, c, "INBOX")
	if n := r.logs.count("idling"); n != 0 {
		t.Errorf("the watcher idled %d times with NoIdle", n)
	}
}

func TestAFailedCopyDeletesNothing(t *testing.T) {
	t.Parallel()
	// Without MOVE, a message is copied, flagged \Deleted and expunged; if
	// the COPY fails, the other two must not happen (go-imap's own fallback
	// sends all three at once).
	m := newMemServer(t, memOptions{
		caps: imap.CapSet{imap.CapIMAP4rev1: {}},
		wrap: func(s imapserver.Session) imapserver.Session { return refuseCopy{s} },
	})
	c := m.client(t)
	appendMail(t, c, "INBOX", message("keep me"))
	cfg := fastConfig(m.url("INBOX"))
	cfg.NoIdle, cfg.PollInterval = true, 50*time.Millisecond
	r := start(t, cfg, newFake(t, nil))
	r.waitLog(t, "cannot move the message to its folder", 2)
	r.stop(t)
	if inbox, _ := contents(t, c, "INBOX"); fmt.Sprint(inbox) != "[keep me]" {
		t.Errorf("INBOX holds %q after failed copies, want the message", inbox)
	}
	if processed, _ := contents(t, c, "Processed"); len(processed) != 0 {
		t.Errorf("Processed holds %q, want nothing", processed)
	}
}

// refuseCopy is a server session whose COPY always fails.
type refuseCopy struct{ imapserver.Session }

func (refuseCopy) Copy(imap.NumSet, string) (*imap.CopyData, error) {
	return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeOverQuota, Text: "Quota exceeded"}
}

func TestStoppingDoesNotWaitForAHungServer(t *testing.T) {
	t.Parallel()
	m := newMemServer(t, memOptions{})
	p := newProxy(t, m.addr)
	u, _ := url.Parse(m.url("INBOX"))
	u.Host = p.addr
	cfg := fastConfig(u.String())
	cfg.Liveness, cfg.Timeout = 10*time.Minute, time.Minute
	r := start(t, cfg, newFake(t, nil))
	r.waitLog(t, "idling", 1)

	p.blackhole()
	r.cancel()
	select {
	case <-r.returned:
	case <-time.After(15 * time.Second): // Timeout is a minute
		t.Fatal("Run waited for the hung server's answer")
	}
}

func TestTLSIsRequiredAsTheURLSays(t *testing.T) {
	t.Parallel()
	serverTLS := selfSigned(t)
	tests := []struct {
		name        string
		serverTLS   *tls.Config // nil: the server offers no TLS at all
		implicit    bool
		query       string
		clientTLS   *tls.Config
		wantsIngest bool
	}{
		{name: "STARTTLS with a trusted certificate", serverTLS: serverTLS, query: "?starttls=1", clientTLS: clientTLS(serverTLS), wantsIngest: true},
		{name: "implicit TLS with a trusted certificate", serverTLS: serverTLS, implicit: true, clientTLS: clientTLS(serverTLS), wantsIngest: true},
		{name: "STARTTLS asked of a server without it", query: "?starttls=1", clientTLS: clientTLS(serverTLS)},
		{name: "STARTTLS with an untrusted certificate", serverTLS: serverTLS, query: "?starttls=1", clientTLS: &tls.Config{}},
		{name: "implicit TLS with an untrusted certificate", serverTLS: serverTLS, implicit: true, clientTLS: &tls.Config{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := newMemServer(t, memOptions{tls: tt.serverTLS, implicit: tt.implicit})
			c := m.client(t)
			appendMail(t, c, "INBOX", message("secure"))
			cfg := fastConfig(m.url("INBOX") + tt.query)
			cfg.TLSConfig = tt.clientTLS
			r := start(t, cfg, newFake(t, nil))
			if tt.wantsIngest {
				waitContents(t, c, "Processed", "secure")
				return
			}
			r.waitLog(t, "IMAP session ended; reconnecting", 2)
			if n := r.logs.count("IMAP session started"); n != 0 || len(r.fake.Calls()) != 0 {
				t.Errorf("%d sessions started and %d messages ingested over a connection that is not secure", n, len(r.fake.Calls()))
			}
		})
	}
}

func TestALivenessCheckFindsADeadConnectionWhileIdling(t *testing.T) {
	t.Parallel()
	m := newMemServer(t, memOptions{})
	p := newProxy(t, m.addr)
	u, _ := url.Parse(m.url("INBOX"))
	u.Host = p.addr
	cfg := fastConfig(u.String())
	cfg.Liveness, cfg.Timeout = 200*time.Millisecond, time.Second
	r := start(t, cfg, newFake(t, nil))
	r.waitLog(t, "idling", 1)

	// The peer vanishes without FIN or RST: only asking tells.
	p.blackhole()
	r.waitLog(t, "IMAP session started", 2)
	c := m.client(t)
	appendMail(t, c, "INBOX", message("after the outage"))
	waitContents(t, c, "Processed", "after the outage")
}

func TestAPanicInIngestCountsAsAFailedAttempt(t *testing.T) {
	t.Parallel()
	m := newMemServer(t, memOptions{})
	c := m.client(t)
	appendMail(t, c, "INBOX", message("explosive"))
	fake := newFake(t, func(_ context.Context, cl call) error {
		if cl.subject == "explosive" {
			panic("index out of range")
		}
		return nil
	})
	cfg := fastConfig(m.url("INBOX"))
	cfg.MaxAttempts = 2
	r := start(t, cfg, fake)
	waitContents(t, c, "Failed", "explosive")
	f := r.failures.get()
	if len(f) != 1 || !strings.Contains(fmt.Sprint(f[0].err), "index out of range") {
		t.Errorf("onFailed calls %+v, want one carrying the panic", f)
	}
	appendMail(t, c, "INBOX", message("calm"))
	waitContents(t, c, "Processed", "calm")
}

func TestShutdownGraceEndsAnIngestThatWillNotFinish(t *testing.T) {
	t.Parallel()
	m := newMemServer(t, memOptions{})
	c := m.client(t)
	appendMail(t, c, "INBOX", message("stuck"))
	entered := make(chan struct{})
	fake := newFake(t, func(ctx context.Context, _ call) error {
		close(entered)
		<-ctx.Done()
		return ctx.Err()
	})
	cfg := fastConfig(m.url("INBOX"))
	cfg.ShutdownGrace = 100 * time.Millisecond
	r := start(t, cfg, fake)
	<-entered
	r.cancel()
	select {
	case <-r.returned:
	case <-time.After(deadline):
		t.Fatal("Run did not return after the grace period")
	}
	// Its Ingest failed: the message stays for the next start.
	if inbox, _ := contents(t, c, "INBOX"); fmt.Sprint(inbox) != "[stuck]" {
		t.Errorf("INBOX holds %q, want the unfinished message", inbox)
	}
}

func TestRunRefusesToRunTwiceAtOnce(t *testing.T) {
	t.Parallel()
	m := newMemServer(t, memOptions{})
	r := start(t, fastConfig(m.url("INBOX")), newFake(t, nil))
	r.waitLog(t, "idling", 1)
	if err := r.w.Run(context.Background()); err == nil {
		t.Error("a second Run started while the first was running")
	}
}

func TestNewRefusesABadConfiguration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  watch.Config
	}{
		{"plain IMAP to a remote host", watch.Config{URL: "imap://u:p@mail.example.com/INBOX?starttls=0"}},
		{"Processed is the watched mailbox", watch.Config{URL: "imaps://u:p@mail.example.com/INBOX", Processed: "inbox"}},
		{"Failed is the watched mailbox", watch.Config{URL: "imaps://u:p@mail.example.com/Desk", Failed: "Desk"}},
		{"IDLE kept past 29 minutes", watch.Config{URL: "imaps://u:p@mail.example.com/", IdleRestart: 29 * time.Minute}},
		{"a negative poll interval", watch.Config{URL: "imaps://u:p@mail.example.com/", PollInterval: -time.Second}},
		{"a negative attempt count", watch.Config{URL: "imaps://u:p@mail.example.com/", MaxAttempts: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := watch.New(tt.cfg, newFake(t, nil), nil, nil, nil); err == nil {
				t.Errorf("New accepted %+v", tt.cfg)
			} else if !strings.HasPrefix(err.Error(), "watch: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
	if _, err := watch.New(watch.Config{URL: "imaps://u:p@mail.example.com/"}, nil, nil, nil, nil); err == nil {
		t.Error("New accepted a nil Ingester")
	}
}

// proxy forwards TCP to a server; blackhole makes the connections open so
// far swallow everything without closing, as a peer that vanished would.
type proxy struct {
	addr string

	mu    sync.Mutex
	conns []*proxied
}

type proxied struct {
	dead atomic.Bool
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{addr: ln.Addr().String()}
	var wg sync.WaitGroup
	var open []net.Conn
	var openMu sync.Mutex
	track := func(c net.Conn) {
		openMu.Lock()
		open = append(open, c)
		openMu.Unlock()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				_ = in.Close()
				continue
			}
			track(in)
			track(out)
			pc := &proxied{}
			p.mu.Lock()
			p.conns = append(p.conns, pc)
			p.mu.Unlock()
			pipe := func(dst, src net.Conn) {
				defer wg.Done()
				buf := make([]byte, 32<<10)
				for {
					n, err := src.Read(buf)
					if n > 0 && !pc.dead.Load() {
						if _, werr := dst.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						if !pc.dead.Load() {
							_ = dst.Close()
						}
						return
					}
				}
			}
			wg.Add(2)
			go pipe(out, in)
			go pipe(in, out)
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		openMu.Lock()
		for _, c := range open {
			_ = c.Close()
		}
		openMu.Unlock()
		wg.Wait()
	})
	return p
}

func (p *proxy) blackhole() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.dead.Store(true)
	}
}
