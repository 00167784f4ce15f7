// Package sender delivers the replies of the outbox over SMTP (SPEC §4.6,
// DESIGN "Outbox").
//
// The ledger's commit script appends each reply to the tenant's outbox
// stream in the same atomic step as the request, then nudges the wake-up
// stream. Senders read the outboxes through a consumer group: a reply is
// acknowledged (XACK, then XDEL in the same MULTI) only after the SMTP
// server accepted it with 250, so a crash before that leaves the entry
// pending, and another sender claims it (XAUTOCLAIM) once it has been idle
// for ClaimIdle. The one window for a duplicate is a crash between the
// server's 250 and the acknowledgement; the resend carries the same
// Message-ID, so receivers can suppress it.
//
// Attempts are tracked where the entry lives: the pending-entries list
// counts deliveries, and a sender adds one per retry, so a sender that
// claims an entry continues its backoff. Only the schedule (when to try
// next) is kept in memory, by the sender holding the entry; it is
// meaningless to anyone else. A separate Redis hash would sit in another
// Cluster slot than the outbox, could not be updated atomically with XACK,
// and would leak entries.
package sender

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/licensedesk/licensedesk/ledger"
	"github.com/licensedesk/licensedesk/mailintake/reply"
	"github.com/redis/go-redis/v9"
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
	// URL is LICENSEDESK_SMTP_URL: smtps://user:pass@host:465 (implicit
	// TLS), smtp://user:pass@host:587 (STARTTLS, required), or plain
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
	// MaxBackoff caps the wait between retries; default 5m. The first
	// retry comes after 1s, then the wait doubles, with jitter.
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
	// redisRetryMax caps the wait after a Redis failure.
	redisRetryMax = 5 * time.Second
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
	ledger         *ledger.Ledger
	rdb            redis.UniversalClient
	composer       Composer
	log            *slog.Logger
	stats          Stats

	// wakeBlock is how long one XREAD of the wake-up stream blocks; it
	// bounds how long Run takes to return after its context ends.
	wakeBlock time.Duration
	// afterAccept, when set (tests), runs between the server's 250 and
	// the acknowledgement: the window of the one allowed duplicate.
	afterAccept func(entryID string)

	running atomic.Bool
	kick    chan struct{}
	mu      sync.Mutex
	woken   map[string]bool // outboxes nudged since the last read

	// Owned by Run's goroutine.
	items          []*item
	byKey          map[string]*item
	seq            uint64
	groups         map[string]bool
	sess           *session
	serverDue      time.Time // no SMTP attempt before this
	serverFailures int
	starved        bool // entries were left unread for lack of room
}

// item is an outbox entry that this sender holds (it is pending on this
// consumer).
type item struct {
	stream, id string
	entry      ledger.OutboxEntry
	seq        uint64
	due        time.Time
	tried      bool // attempted by this sender: the next attempt is a new delivery
	failures   int
	panics     int
	settled    bool // accepted, or refused for good: only the acknowledgement is left
	ackFails   int
	done       bool
}

var consumerSeq atomic.Int64

// New returns a sender for the outboxes of l. The URL is checked here: a
// plain connection to another host is refused.
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
		attemptTimeout: cfg.ClaimIdle / 2, ledger: l, rdb: l.Redis(), composer: c, stats: stats,
		log:       log.With("component", "smtp-sender", "smtp", ep.redacted, "consumer", cfg.Consumer),
		wakeBlock: time.Second, kick: make(chan struct{}, 1), woken: map[string]bool{}}
	return s, nil
}

// Run delivers the outboxes until ctx ends, then finishes the message in
// hand (its SMTP transaction and acknowledgement), closes the connection
// and returns nil. Faults (Redis down, SMTP down) are logged and retried
// with backoff; they never end Run.
func (s *Sender) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return errors.New("sender: Run is already running")
	}
	defer s.running.Store(false)
	s.items, s.byKey, s.groups = nil, map[string]*item{}, map[string]bool{}
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
	for ctx.Err() == nil {
		_ = s.safely("loop", func() error { s.loop(ctx); return nil })
		if ctx.Err() == nil {
			sleep(ctx, time.Second) // after a panic: do not spin
		}
	}
	return nil
}

// wakeStart finds where to read the wake-up stream from, retrying while
// Redis is down; ok is false when ctx ended first.
func (s *Sender) wakeStart(ctx context.Context) (string, bool) {
	for n := 1; ; n++ {
		id, err := s.lastWakeID(ctx)
		if err == nil {
			return id, true
		}
		if ctx.Err() != nil {
			return "", false
		}
		s.log.Warn("Redis unavailable; retrying", "err", err)
		if !sleep(ctx, backoff(n, 100*time.Millisecond, redisRetryMax)) {
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
	scanFails := 0
	for ctx.Err() == nil {
		if !time.Now().Before(nextScan) {
			if err := s.safely("scan", func() error { return s.scan(ctx) }); err != nil && ctx.Err() == nil {
				scanFails++
				s.log.Warn("outbox scan failed; retrying", "err", err)
				nextScan = time.Now().Add(min(backoff(scanFails, 100*time.Millisecond, redisRetryMax), s.cfg.ScanInterval))
			} else {
				scanFails = 0
				nextScan = time.Now().Add(s.cfg.ScanInterval)
			}
		}
		if err := s.safely("wake", func() error { return s.readWoken(ctx) }); err != nil && ctx.Err() == nil {
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

// safely runs one step of the loop, turning a panic into an error: the
// loop must outlive a bug in one step.
func (s *Sender) safely(step string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic in outbox sender", "step", step, "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("sender: panic in %s: %v", step, r)
		}
	}()
	return f()
}

// scan reads every non-empty outbox: entries dead senders left, this
// consumer's own pending ones, and new ones.
func (s *Sender) scan(ctx context.Context) error {
	streams, err := s.streamsToScan(ctx)
	if err != nil {
		return err
	}
	for _, st := range streams {
		if len(s.items) >= maxItems {
			s.starved = true
			return nil
		}
		if err := s.claim(ctx, st); err != nil {
			return err
		}
		if err := s.readOwn(ctx, st); err != nil {
			return err
		}
		if err := s.readNew(ctx, st); err != nil {
			return err
		}
	}
	if len(s.items) >= maxItems {
		s.starved = true
	}
	return nil
}

// readWoken reads the new entries of the outboxes nudged since last time.
func (s *Sender) readWoken(ctx context.Context) error {
	if len(s.items) >= maxItems {
		s.starved = true
		return nil // the nudges wait; the scan after the backlog reads them
	}
	s.mu.Lock()
	woken := s.woken
	s.woken = map[string]bool{}
	s.mu.Unlock()
	for st := range woken {
		if err := s.readNew(ctx, st); err != nil {
			s.mu.Lock()
			for st := range woken {
				s.woken[st] = true
			}
			s.mu.Unlock()
			return err
		}
		delete(woken, st)
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
			delete(s.byKey, it.stream+"\x00"+it.id)
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

// attempt sends one item, or finishes its acknowledgement; it reports
// whether the item is done with. Once begun, an attempt runs to its end
// even if ctx ends: that is the message in hand.
func (s *Sender) attempt(ctx context.Context, it *item) (finished bool) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.attemptTimeout+ackTimeout)
	defer cancel()
	log := s.log.With("stream", it.stream, "entry", it.id, "request", it.entry.RequestID)
	defer func() {
		if r := recover(); r != nil {
			it.panics++
			log.Error("panic while sending a reply", "panic", r, "stack", string(debug.Stack()))
			if it.panics >= maxPanics && !it.settled {
				log.Error("reply dropped: its handling keeps panicking", "panics", it.panics)
				s.stats.Failed()
				it.settled = true
			}
			it.due = time.Now().Add(backoff(it.panics, firstRetry, s.cfg.MaxBackoff))
			finished = false
		}
	}()
	if it.settled {
		return s.finish(actx, it, log)
	}
	n, err := s.own(actx, it, it.tried)
	if err != nil {
		log.Warn("Redis unavailable; retrying", "err", err)
		it.due = time.Now().Add(backoff(1, firstRetry, s.cfg.MaxBackoff))
		return false
	}
	if n < 0 {
		log.Debug("entry no longer held by this sender (acknowledged, or claimed by another)")
		return true
	}
	if !it.tried {
		// Deliveries before this one were attempts elsewhere: keep their
		// backoff.
		it.failures = max(it.failures, int(n)-1)
	}
	it.tried = true

	reply, err := s.compose(it.entry)
	if err == nil {
		err = s.deliver(actx, reply)
	}
	if err == nil {
		// Settled before anything else runs: whatever fails from here on,
		// this process only acknowledges, never sends again.
		it.settled = true
		s.serverFailures = 0
		s.stats.Sent()
		if s.afterAccept != nil {
			s.afterAccept(it.id)
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
		s.serverFailures = 0
		s.stats.Failed()
		log.Warn("reply refused for good; dropped", "err", e, "code", e.Code)
		it.settled = true
		return s.finish(actx, it, log)
	case deferred:
		s.serverFailures = 0
		s.stats.Retry()
		it.failures++
		it.due = now.Add(backoff(it.failures, firstRetry, s.cfg.MaxBackoff))
		log.Info("reply deferred by the server; retrying", "err", e, "code", e.Code, "in", time.Until(it.due).Round(time.Millisecond))
	default:
		s.stats.Retry()
		s.serverFailures++
		s.serverDue = now.Add(backoff(s.serverFailures, firstRetry, s.cfg.MaxBackoff))
		log.Warn("SMTP server unavailable; every reply waits", "err", e, "code", e.Code,
			"in", time.Until(s.serverDue).Round(time.Millisecond))
	}
	return false
}

// finish acknowledges a settled item; a failed acknowledgement is retried
// later without sending again.
func (s *Sender) finish(ctx context.Context, it *item, log *slog.Logger) bool {
	if err := s.ack(ctx, it); err != nil {
		it.ackFails++
		it.due = time.Now().Add(backoff(it.ackFails, 100*time.Millisecond, redisRetryMax))
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
		var t interface{ Temporary() bool }
		if errors.As(err, &t) && t.Temporary() {
			k = deferred
		}
		return nil, &Error{Stage: "compose", kind: k, Err: err}
	}
	return r, nil
}

// deliver sends a reply on the loop's connection, opening one when needed.
// A reused connection that the server dropped meanwhile is replaced once,
// before anything of the message was sent.
func (s *Sender) deliver(ctx context.Context, r *reply.Reply) error {
	if err := checkReply(r); err != nil {
		return err
	}
	deadline := time.Now().Add(s.attemptTimeout)
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

// SendOnce composes an entry and sends it on a connection of its own,
// without touching the outbox: for tests and `mail ingest`. It returns
// ErrNoRecipient for an entry that names nobody, and an *Error (see
// Temporary) when the delivery failed.
func (s *Sender) SendOnce(ctx context.Context, entry ledger.OutboxEntry) error {
	if entry.Origin.From == "" {
		return ErrNoRecipient
	}
	r, err := s.compose(entry)
	if err != nil {
		return err
	}
	if err := checkReply(r); err != nil {
		return err
	}
	deadline := time.Now().Add(s.attemptTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	ss, err := s.dial(ctx, deadline)
	if err != nil {
		return err
	}
	if err := transact(ss, r); err != nil {
		ss.close(false)
		var e *Error
		if errors.As(err, &e) && e.kind == permanent {
			s.stats.Failed()
		}
		return err
	}
	ss.close(true)
	s.stats.Sent()
	return nil
}

// watch follows the wake-up stream and marks the nudged outboxes, until
// ctx ends. It starts after start, the newest nudge before the first scan.
func (s *Sender) watch(ctx context.Context, start string) {
	last, fails := start, 0
	for ctx.Err() == nil {
		next, err := s.watchOnce(ctx, last)
		if err != nil && ctx.Err() == nil {
			fails++
			if fails == 1 || fails%50 == 0 {
				s.log.Warn("reading the wake-up stream failed; the periodic scan covers meanwhile", "err", err, "failures", fails)
			}
			sleep(ctx, backoff(fails, 100*time.Millisecond, redisRetryMax))
			continue
		}
		fails, last = 0, next
	}
}

func (s *Sender) watchOnce(ctx context.Context, last string) (next string, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic in outbox sender", "step", "watch", "panic", r, "stack", string(debug.Stack()))
			next, err = last, fmt.Errorf("sender: panic in watch: %v", r)
		}
	}()
	res, err := s.rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{ledger.KeyWake, last}, Count: 1000, Block: s.wakeBlock}).Result()
	if errors.Is(err, redis.Nil) {
		return last, nil
	}
	if err != nil {
		return last, err
	}
	found := false
	s.mu.Lock()
	for _, st := range res {
		for _, m := range st.Messages {
			last = m.ID
			if box, ok := outboxOf(m.Values["tenant"]); ok {
				s.woken[box] = true
				found = true
			}
		}
	}
	s.mu.Unlock()
	if found {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
	return last, nil
}

// backoff is the wait after n failures: base, doubling, capped at limit,
// with up to a quarter of jitter so that senders do not retry in step.
func backoff(n int, base, limit time.Duration) time.Duration {
	d := limit
	if n < 1 {
		n = 1
	}
	if n <= 30 {
		if b := base << (n - 1); b > 0 && b < limit {
			d = b
		}
	}
	j := time.Duration(rand.Int64N(int64(d)/4 + 1))
	if d+j > limit {
		return d - j
	}
	return d + j
}

// sleep waits d or until ctx ends; it reports whether the wait was full.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
