// Package sender delivers the replies of the outbox over SMTP (SPEC §4.7,
// DESIGN "Outbox").
//
// The ledger's commit appends each reply to the tenant's outbox in the same
// atomic step as the request, then nudges the wake-up stream. The sender
// reads the outboxes through the ledger's Outbox API, and keeps its
// contract (ledger/outbox.go): a reply is acknowledged only after the SMTP
// server accepted it with 250, so a crash before that leaves the entry
// held, and another sender reclaims it once it has been idle for
// ClaimIdle. The one window for a duplicate is a crash between the
// server's 250 and the acknowledgement; the resend carries the same
// Message-ID, so receivers can suppress it.
//
// Attempts are counted where the entry lives (Release adds one to the
// entry's delivery count), so a sender that reclaims an entry continues
// its backoff. Only the schedule (when to try next) is kept in memory, by
// the sender holding the entry; it is meaningless to anyone else.
package sender

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	retry "github.com/licensedesk/licensedesk/internal/backoff"
	"github.com/licensedesk/licensedesk/internal/fault"
	"github.com/licensedesk/licensedesk/ledger"
	"github.com/licensedesk/licensedesk/mailintake/reply"
)

// Composer renders the reply an outbox entry asks for. The Message-ID it
// gives an entry must be the same every time, so that a resend can be
// recognised (mailintake.Intake is one).
type Composer interface {
	Compose(ledger.OutboxEntry) (*reply.Reply, error)
}

// Stats counts deliveries; the command wires it to Prometheus. Its
// methods are called from Run and SendOnce at once.
type Stats interface {
	Sent()   // the server accepted a reply
	Retry()  // an attempt failed and will be repeated
	Failed() // a reply was given up for good
}

// NopStats counts nothing.
type NopStats struct{}

func (NopStats) Sent()   {}
func (NopStats) Retry()  {}
func (NopStats) Failed() {}

// Config is the sender's part of the settings.
type Config struct {
	// URL is LICENSEDESK_SMTP_URL, read by internal/mailurl:
	// smtps://user:pass@host:465 (implicit TLS), smtp://user:pass@host:587
	// (STARTTLS, required off loopback; ?starttls=1 forces it), or plain
	// smtp:// to a loopback host only. AUTH PLAIN, or LOGIN when the server
	// offers only LOGIN.
	URL string
	// Consumer names this sender in the consumer group; default
	// hostname-pid. Two live senders must not share a name.
	Consumer string
	// Group is the consumer group; default "senders".
	Group string
	// ScanInterval is how often every outbox is scanned for entries whose
	// nudge was lost and for entries a dead sender left; default 30s.
	ScanInterval time.Duration
	// ClaimIdle is how long an entry stays pending on another consumer
	// before this one claims it; default 1m. One attempt (connect, send)
	// is cut at half of it, so a live sender never loses an entry it is
	// sending.
	ClaimIdle time.Duration
	// MaxBackoff caps the wait between retries of a reply the server
	// deferred (4xx: greylisting, a full mailbox); default 5m. The first
	// retry comes after 1s, then the wait doubles, with jitter. While the
	// server cannot be reached at all, connection attempts come at most
	// 30s apart (or MaxBackoff, if shorter), so that replies leave soon
	// after it is back.
	MaxBackoff time.Duration
	// TLSConfig, when set, replaces the default TLS settings (tests, a
	// private CA).
	TLSConfig *tls.Config
	// Dial, when set, opens the TCP connection (tests).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Defaults.
const (
	DefaultGroup        = "senders"
	DefaultScanInterval = 30 * time.Second
	DefaultClaimIdle    = time.Minute
	DefaultMaxBackoff   = 5 * time.Minute
)

const (
	// firstRetry is the wait after a first failure.
	firstRetry = time.Second
	// ackTimeout bounds the acknowledgement of a message in hand, which
	// goes on after the context ended.
	ackTimeout = 5 * time.Second
	// connMaxIdle is how long an SMTP connection is kept for the next
	// reply; servers drop idle clients after a few minutes (RFC 5321
	// §4.5.3.2.7).
	connMaxIdle = 20 * time.Second
	// maxPanics settles an entry whose handling keeps panicking.
	maxPanics = 5
	// storeRetryMax caps the wait after a failure of the store.
	storeRetryMax = 5 * time.Second
	// serverRetryMax caps the wait between connection attempts while the
	// SMTP server is unreachable: an attempt costs little, and every
	// reply waits on it.
	serverRetryMax = 30 * time.Second
)

// Sender delivers the outbox. Run owns the delivery loop; SendOnce is safe
// to call from other goroutines meanwhile.
type Sender struct {
	cfg            Config
	ep             endpoint
	tls            *tls.Config
	dialer         func(ctx context.Context, network, addr string) (net.Conn, error)
	localName      string
	attemptTimeout time.Duration
	ob             *ledger.Outbox
	composer       Composer
	log            *slog.Logger
	stats          Stats

	// wakeBlock is how long one wait on the wake-up stream blocks; it
	// bounds how long Run takes to return after its context ends.
	wakeBlock time.Duration
	// afterAccept, when set (tests), runs between the server's 250 and
	// the acknowledgement: the window of the one allowed duplicate.
	afterAccept func(entryID string)

	running atomic.Bool
	kick    chan struct{}
	mu      sync.Mutex
	woken   map[string]bool // outboxes nudged since the last read: true to reclaim there too

	// Owned by Run's goroutine.
	items      []*item
	byKey      map[string]*item
	seq        uint64
	sess       *session
	serverDue  time.Time // no SMTP attempt before this
	serverDown retry.Backoff
	starved    bool // entries were left unread for lack of room
}

// item is an outbox entry that this sender holds.
type item struct {
	d        ledger.Delivery
	seq      uint64
	due      time.Time
	tried    bool // attempted by this sender
	failures int
	panics   int
	settled  bool // accepted, or refused for good: only settling it in the outbox is left
	refused  bool // settled because it can never be sent: Fail, not Ack
	ackFails int
	done     bool
}

var consumerSeq atomic.Int64

// New returns a sender for the outboxes of l. The URL is checked here
// (internal/mailurl): a plain connection to another host is refused.
func New(cfg Config, l *ledger.Ledger, c Composer, log *slog.Logger, stats Stats) (*Sender, error) {
	if l == nil || c == nil {
		return nil, errors.New("sender: a ledger and a composer are required")
	}
	ep, err := parseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.ScanInterval < 0 || cfg.ClaimIdle < 0 || cfg.MaxBackoff < 0 {
		return nil, errors.New("sender: durations must not be negative")
	}
	if cfg.Group == "" {
		cfg.Group = DefaultGroup
	}
	if cfg.Consumer == "" {
		host, _ := os.Hostname()
		if host == "" {
			host = "sender"
		}
		cfg.Consumer = host + "-" + strconv.Itoa(os.Getpid())
		if n := consumerSeq.Add(1); n > 1 {
			cfg.Consumer += "-" + strconv.FormatInt(n, 10) // a second sender in this process
		}
	}
	if cfg.ScanInterval == 0 {
		cfg.ScanInterval = DefaultScanInterval
	}
	if cfg.ClaimIdle == 0 {
		cfg.ClaimIdle = DefaultClaimIdle
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if stats == nil {
		stats = NopStats{}
	}
	tc := &tls.Config{}
	if cfg.TLSConfig != nil {
		tc = cfg.TLSConfig.Clone()
	}
	if tc.ServerName == "" {
		tc.ServerName = ep.host
	}
	if tc.MinVersion == 0 {
		tc.MinVersion = tls.VersionTLS12
	}
	dial := cfg.Dial
	if dial == nil {
		d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
		dial = d.DialContext
	}
	s := &Sender{cfg: cfg, ep: ep, tls: tc, dialer: dial, localName: localName(),
		attemptTimeout: cfg.ClaimIdle / 2, ob: l.Outbox(cfg.Group, cfg.Consumer, cfg.ClaimIdle), composer: c, stats: stats,
		log:       log.With("component", "smtp-sender", "smtp", ep.redacted, "consumer", cfg.Consumer),
		wakeBlock: time.Second, kick: make(chan struct{}, 1), woken: map[string]bool{},
		serverDown: retry.Backoff{Policy: retryPolicy(firstRetry, min(cfg.MaxBackoff, serverRetryMax))}}
	return s, nil
}

// Run delivers the outboxes until ctx ends, then finishes the message in
// hand (its SMTP transaction and acknowledgement), closes the connection
// and returns nil. Faults (store down, SMTP down) are logged and retried
// with backoff; they never end Run.
func (s *Sender) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return errors.New("sender: Run is already running")
	}
	defer s.running.Store(false)
	s.items, s.byKey = nil, map[string]*item{}
	s.serverDown.Reset()
	s.log.Info("outbox sender started", "security", s.ep.security.String(), "group", s.cfg.Group)
	defer s.log.Info("outbox sender stopped")

	start, ok := s.wakeStart(ctx)
	if !ok {
		return nil
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.watch(ctx, start)
	}()
	defer wg.Wait()
	defer s.closeSession(true)
	// The loop returns only when ctx ended, or when a step panicked: then
	// it starts again after a pause, so that a bug does not spin.
	sup := retry.Loop{Name: "outbox sender", Log: s.log,
		Backoff: retry.Backoff{Policy: retryPolicy(time.Second, storeRetryMax)}}
	sup.Run(ctx, func(ctx context.Context) error { s.loop(ctx); return nil })
	return nil
}

// wakeStart finds where to follow the wake-up stream from, retrying while
// the store is down; ok is false when ctx ended first.
func (s *Sender) wakeStart(ctx context.Context) (string, bool) {
	bo := retry.Backoff{Policy: retryPolicy(100*time.Millisecond, storeRetryMax)}
	for {
		id, err := s.ob.WakeStart(ctx)
		if err == nil {
			return id, true
		}
		if ctx.Err() != nil {
			return "", false
		}
		wait := bo.Failure()
		s.log.Warn("store unavailable; retrying", "err", err, "in", wait)
		if !retry.Sleep(ctx, wait) {
			return "", false
		}
	}
}

// loop is the delivery loop: scan, read what was nudged, send what is due,
// wait.
func (s *Sender) loop(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	var nextScan time.Time // at once: a crash may have left work
	scanBackoff := retry.Backoff{Policy: retryPolicy(100*time.Millisecond, storeRetryMax)}
	for ctx.Err() == nil {
		if !time.Now().Before(nextScan) {
			if err := retry.Safely(s.log, "outbox scan", func() error { return s.scan(ctx) }); err != nil && ctx.Err() == nil {
				nextScan = time.Now().Add(min(scanBackoff.Failure(), s.cfg.ScanInterval))
				s.log.Warn("outbox scan failed; retrying", "err", err, "in", time.Until(nextScan).Round(time.Millisecond))
			} else {
				scanBackoff.Success()
				nextScan = time.Now().Add(s.cfg.ScanInterval)
			}
		}
		if err := retry.Safely(s.log, "outbox wake-up", func() error { return s.readWoken(ctx) }); err != nil && ctx.Err() == nil {
			s.log.Warn("reading nudged outboxes failed; retrying", "err", err)
		}
		s.work(ctx)
		if s.starved && len(s.items) < maxItems/2 {
			s.starved = false
			nextScan = time.Now() // room again: read what was left unread
		}
		if s.sess != nil && time.Since(s.sess.lastUsed) > connMaxIdle {
			s.closeSession(true)
		}
		wait := time.Until(nextScan)
		if due, ok := s.nextDue(); ok {
			wait = min(wait, time.Until(due))
		}
		timer.Reset(max(wait, time.Millisecond))
		select {
		case <-ctx.Done():
		case <-s.kick:
		case <-timer.C:
		}
	}
}

// scan reads every outbox that holds entries: entries dead senders left,
// this consumer's own held ones, and new ones.
func (s *Sender) scan(ctx context.Context) error {
	tenants, err := s.ob.Scan(ctx)
	if err != nil {
		return err
	}
	for _, t := range tenants {
		if len(s.items) >= maxItems {
			s.starved = true
			return nil
		}
		if err := s.claim(ctx, t); err != nil {
			return err
		}
		if err := s.readOwn(ctx, t); err != nil {
			return err
		}
		if err := s.readNew(ctx, t); err != nil {
			return err
		}
	}
	if len(s.items) >= maxItems {
		s.starved = true
	}
	return nil
}

// readWoken reads the new entries of the outboxes nudged since last time,
// and reclaims there what a one-shot sender abandoned.
func (s *Sender) readWoken(ctx context.Context) error {
	if len(s.items) >= maxItems {
		s.starved = true
		return nil // the nudges wait; the scan after the backlog reads them
	}
	s.mu.Lock()
	woken := s.woken
	s.woken = map[string]bool{}
	s.mu.Unlock()
	for t, reclaim := range woken {
		err := s.readNew(ctx, t)
		if err == nil && reclaim {
			err = s.claim(ctx, t)
		}
		if err != nil {
			s.mu.Lock()
			for t, r := range woken {
				s.woken[t] = s.woken[t] || r
			}
			s.mu.Unlock()
			return err
		}
		delete(woken, t)
	}
	return nil
}

// work attempts every due item, oldest first, until ctx ends.
func (s *Sender) work(ctx context.Context) {
	for _, it := range s.items {
		if ctx.Err() != nil {
			break
		}
		now := time.Now()
		if it.due.After(now) || (!it.settled && now.Before(s.serverDue)) {
			continue
		}
		if s.attempt(ctx, it) {
			it.done = true
			delete(s.byKey, itemKey(it.d))
		}
	}
	kept := s.items[:0]
	for _, it := range s.items {
		if !it.done {
			kept = append(kept, it)
		}
	}
	clear(s.items[len(kept):])
	s.items = kept
}

// nextDue is when the next item can be attempted.
func (s *Sender) nextDue() (time.Time, bool) {
	var next time.Time
	for _, it := range s.items {
		due := it.due
		if !it.settled && s.serverDue.After(due) {
			due = s.serverDue
		}
		if next.IsZero() || due.Before(next) {
			next = due
		}
	}
	return next, !next.IsZero()
}

// attempt sends one item, or finishes settling it; it reports whether the
// item is done with. Once begun, an attempt runs to its end even if ctx
// ends: that is the message in hand.
func (s *Sender) attempt(ctx context.Context, it *item) (finished bool) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.attemptTimeout+ackTimeout)
	defer cancel()
	log := s.log.With("outbox", it.d.Tenant, "entry", it.d.ID, "request", it.d.Entry.RequestID)
	defer func() {
		if r := recover(); r != nil {
			it.panics++
			log.Error("panic while sending a reply", "panic", r, "stack", string(debug.Stack()))
			if it.panics >= maxPanics && !it.settled {
				log.Error("reply dropped: its handling keeps panicking", "panics", it.panics)
				s.stats.Failed()
				it.settled, it.refused = true, true
			}
			it.due = time.Now().Add(backoff(it.panics, firstRetry, s.cfg.MaxBackoff))
			finished = false
		}
	}()
	if it.settled {
		return s.finish(actx, it, log)
	}
	n, err := s.ob.Begin(actx, it.d)
	if errors.Is(err, ledger.ErrNotHeld) {
		log.Debug("entry no longer held by this sender (acknowledged, or reclaimed by another)")
		return true
	}
	if err != nil {
		log.Warn("store unavailable; retrying", "err", err)
		it.due = time.Now().Add(backoff(1, firstRetry, s.cfg.MaxBackoff))
		return false
	}
	if !it.tried {
		// Deliveries before this one were attempts elsewhere: keep their
		// backoff.
		it.failures = max(it.failures, n-1)
	}
	it.tried = true

	reply, err := s.compose(it.d.Entry)
	if err == nil {
		err = s.deliver(actx, reply)
	}
	if err == nil {
		// Settled before anything else runs: whatever fails from here on,
		// this process only acknowledges, never sends again.
		it.settled = true
		s.serverDown.Success()
		s.stats.Sent()
		if s.afterAccept != nil {
			s.afterAccept(it.d.ID)
		}
		log.Info("reply sent", "to", reply.To, "message_id", reply.MessageID, "deliveries", n)
		return s.finish(actx, it, log)
	}
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Stage: "send", kind: transport, Err: err}
	}
	now := time.Now()
	switch e.kind {
	case permanent:
		s.serverDown.Success()
		s.stats.Failed()
		log.Warn("reply refused for good; dropped", "err", e, "code", e.Code)
		it.settled, it.refused = true, true
		return s.finish(actx, it, log)
	case deferred:
		s.serverDown.Success()
		s.stats.Retry()
		it.failures++
		it.due = now.Add(backoff(it.failures, firstRetry, s.cfg.MaxBackoff))
		log.Info("reply deferred by the server; retrying", "err", e, "code", e.Code, "in", time.Until(it.due).Round(time.Millisecond))
	default:
		s.stats.Retry()
		s.serverDue = now.Add(s.serverDown.Failure())
		log.Warn("SMTP server unavailable; every reply waits", "err", e, "code", e.Code,
			"in", time.Until(s.serverDue).Round(time.Millisecond))
	}
	// The attempt is counted where the entry lives, so that a sender that
	// reclaims it continues the backoff.
	if _, err := s.ob.Release(actx, it.d); errors.Is(err, ledger.ErrNotHeld) {
		return true
	} else if err != nil {
		log.Warn("failed attempt not counted in the store", "err", err)
	}
	return false
}

// finish settles an item in the outbox: acknowledged when it was sent,
// failed when it never can be. A failure to settle is retried later
// without sending again.
func (s *Sender) finish(ctx context.Context, it *item, log *slog.Logger) bool {
	settle := s.ob.Ack
	if it.refused {
		settle = s.ob.Fail
	}
	if err := settle(ctx, it.d); err != nil {
		it.ackFails++
		it.due = time.Now().Add(backoff(it.ackFails, 100*time.Millisecond, storeRetryMax))
		log.Warn("acknowledgement failed; retrying it (the reply is not sent again)", "err", err)
		return false
	}
	return true
}

// compose renders an entry; the composer's failure is permanent unless
// the error says it is temporary.
func (s *Sender) compose(e ledger.OutboxEntry) (*reply.Reply, error) {
	r, err := s.composer.Compose(e)
	if err != nil {
		k := permanent
		if fault.IsTemporary(err) {
			k = deferred
		}
		return nil, &Error{Stage: "compose", kind: k, Err: err}
	}
	return r, nil
}

// deadlineFor is when an attempt starting now must end: within half of
// ClaimIdle, and within ctx's own deadline.
func (s *Sender) deadlineFor(ctx context.Context) time.Time {
	deadline := time.Now().Add(s.attemptTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	return deadline
}

// deliver sends a reply on the loop's connection, opening one when needed.
// A reused connection that the server dropped meanwhile is replaced once,
// before anything of the message was sent.
func (s *Sender) deliver(ctx context.Context, r *reply.Reply) error {
	if err := checkReply(r); err != nil {
		return err
	}
	deadline := s.deadlineFor(ctx)
	for try := 0; ; try++ {
		ss, reused, err := s.session(ctx, deadline)
		if err != nil {
			return err
		}
		err = transact(ss, r)
		var e *Error
		if err != nil && errors.As(err, &e) && e.kind == transport {
			s.closeSession(false)
			if reused && e.Stage == "mail" && try == 0 {
				continue
			}
			return err
		}
		ss.lastUsed = time.Now() // the server answered: the connection is good
		return err
	}
}

// session returns the open connection, or opens one; reused says whether
// it served before.
func (s *Sender) session(ctx context.Context, deadline time.Time) (*session, bool, error) {
	if s.sess != nil && time.Since(s.sess.lastUsed) > connMaxIdle {
		s.closeSession(true)
	}
	if s.sess != nil {
		s.sess.dc.setHard(deadline)
		if !s.sess.dirty {
			return s.sess, true, nil
		}
		if err := s.sess.c.Reset(); err == nil {
			s.sess.dirty = false
			return s.sess, true, nil
		}
		s.closeSession(false)
	}
	ss, err := s.dial(ctx, deadline)
	if err != nil {
		return nil, false, err
	}
	s.sess = ss
	return ss, false, nil
}

func (s *Sender) closeSession(quit bool) {
	if s.sess != nil {
		s.sess.close(quit)
		s.sess = nil
	}
}

// Flush is the delivery of a one-shot command (`mail ingest`, SPEC §6): it
// takes the entries of one outbox ("" for the desk-wide one) that no
// sender was handed yet, tries each once on one connection by ctx's
// deadline, and returns the Message-IDs the server accepted. What was
// accepted is acknowledged and what was refused for good is settled, as
// Run does; what could not be sent yet is abandoned to the running
// senders (`serve`), which reclaim it at once: a reply that cannot leave
// now stays queued, and is not an error. Then this consumer leaves the
// group. The error is a fault of the store; the entries stay queued.
func (s *Sender) Flush(ctx context.Context, tenant string) (accepted []string, err error) {
	if !s.running.CompareAndSwap(false, true) {
		return nil, errors.New("sender: Flush while Run is running")
	}
	defer s.running.Store(false)
	defer s.closeSession(true)
	// Settling goes on after ctx ended: what was sent must be acknowledged.
	settleCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ackTimeout)
	defer cancel()
	defer func() {
		if err := s.ob.Leave(settleCtx); err != nil {
			s.log.Warn("consumer not removed from the outbox group", "err", err)
		}
	}()
	ds, err := s.ob.Next(ctx, tenant, batch)
	if err != nil {
		return nil, err
	}
	serverDown := false
	for _, d := range ds {
		it := &item{d: d}
		if s.settleUnsendable(settleCtx, it) {
			continue
		}
		log := s.log.With("outbox", d.Tenant, "entry", d.ID, "request", d.Entry.RequestID)
		if serverDown || ctx.Err() != nil {
			s.abandon(settleCtx, d, log)
			continue
		}
		if _, err := s.ob.Begin(ctx, d); err != nil {
			if !errors.Is(err, ledger.ErrNotHeld) {
				s.abandon(settleCtx, d, log)
			}
			continue
		}
		r, err := s.compose(d.Entry)
		if err == nil {
			err = s.deliver(ctx, r)
		}
		var e *Error
		switch {
		case err == nil:
			s.stats.Sent()
			accepted = append(accepted, r.MessageID)
			log.Info("reply sent", "to", r.To, "message_id", r.MessageID)
			if err := s.ob.Ack(settleCtx, d); err != nil {
				log.Warn("reply sent but not acknowledged; it may be sent again", "err", err)
			}
		case errors.As(err, &e) && e.kind == permanent:
			s.stats.Failed()
			log.Warn("reply refused for good; dropped", "err", e, "code", e.Code)
			if err := s.ob.Fail(settleCtx, d); err != nil {
				log.Warn("refused reply not settled", "err", err)
			}
		default:
			s.stats.Retry()
			serverDown = serverDown || !errors.As(err, &e) || e.kind == transport
			log.Warn("reply not sent yet; it stays queued for serve", "err", err)
			s.abandon(settleCtx, d, log)
		}
	}
	return accepted, nil
}

// abandon hands an entry this one-shot sender could not send to the
// running senders.
func (s *Sender) abandon(ctx context.Context, d ledger.Delivery, log *slog.Logger) {
	if err := s.ob.Abandon(ctx, d); err != nil {
		log.Warn("entry not handed back; a running sender reclaims it after its claim delay", "err", err)
	}
}

// watch follows the wake-up stream and marks the nudged outboxes, until
// ctx ends. It starts after start, the newest nudge before the first scan.
func (s *Sender) watch(ctx context.Context, start string) {
	last := start
	bo := retry.Backoff{Policy: retryPolicy(100*time.Millisecond, storeRetryMax)}
	for ctx.Err() == nil {
		var next string
		err := retry.Safely(s.log, "outbox wake-up watch", func() (err error) {
			next, err = s.watchOnce(ctx, last)
			return err
		})
		if err != nil && ctx.Err() == nil {
			wait := bo.Failure()
			if n := bo.Failures(); n == 1 || n%50 == 0 {
				s.log.Warn("reading the wake-up stream failed; the periodic scan covers meanwhile", "err", err, "failures", n)
			}
			retry.Sleep(ctx, wait)
			continue
		}
		bo.Success()
		if next != "" {
			last = next
		}
	}
}

func (s *Sender) watchOnce(ctx context.Context, last string) (string, error) {
	nudges, next, err := s.ob.Wait(ctx, last, s.wakeBlock)
	if err != nil {
		return last, err
	}
	if len(nudges) == 0 {
		return next, nil
	}
	s.mu.Lock()
	for _, n := range nudges {
		s.woken[n.Tenant] = s.woken[n.Tenant] || n.Reclaim
	}
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
	return next, nil
}

// retryPolicy is the sender's backoff (internal/backoff): from base,
// doubling, capped at limit, with up to a quarter of jitter so that
// senders do not retry in step.
func retryPolicy(base, limit time.Duration) retry.Policy {
	return retry.Policy{Base: base, Max: limit, Jitter: 0.25}
}

// backoff is the wait after n failures of the sender's policy.
func backoff(n int, base, limit time.Duration) time.Duration {
	return retryPolicy(base, limit).Delay(n, rand.Float64())
}
