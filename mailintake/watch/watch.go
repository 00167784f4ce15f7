// Package watch is the IMAP watcher of `licensedesk serve` (SPEC §4.1): it
// processes what waits in the mailbox, then IDLEs (or polls) for more, and
// hands every message to exactly the pipeline of `licensedesk mail ingest`.
//
// A message leaves the mailbox only after its Ingest returned an Outcome
// (to Processed, marked \Seen) or failed MaxAttempts times (to Failed,
// and the desk is told); until then it stays where it is, so a crash, a
// network drop or a server restart loses nothing: the next session finds
// it again. There is one way to fail (DESIGN "Errors"): a temporary fault
// (fault.IsTemporary: the store or a server away) is retried with backoff
// and not counted; any other failure, and a panic, counts one attempt in
// the store, before the attempt begins, so that a message that kills the
// process is recognised after the restart. A failing message never blocks
// the ones behind it. The pipeline's de-duplication key for a message
// without Message-ID is its Source — mailbox, UIDVALIDITY and UID — so a
// message seen twice is recorded once, and a UID reused after the server
// reset UIDVALIDITY is not mistaken for an old one.
package watch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	retry "github.com/licensedesk/licensedesk/internal/backoff"
	"github.com/licensedesk/licensedesk/internal/fault"
	"github.com/licensedesk/licensedesk/ledger"
	"github.com/licensedesk/licensedesk/mailintake"
)

// Ingester is the mail pipeline: *mailintake.Intake. An Outcome of any
// status means the message is done. An error is a failure of the attempt:
// temporary (fault.IsTemporary: the store away) or not, as the pipeline
// marks it.
type Ingester interface {
	Ingest(ctx context.Context, r io.Reader, src mailintake.Source, dryRun bool) (mailintake.Outcome, error)
}

var _ Ingester = (*mailintake.Intake)(nil)

// Stats receives the watcher's measurements; the binary wires them to
// Prometheus. Methods are called from Run's goroutine.
type Stats interface {
	Seen()                     // a message was fetched
	Done(status ledger.Status) // a message was ingested and moved to Processed
	Failed()                   // a message was moved to Failed
	Lag(d time.Duration)       // from the server's INTERNALDATE to Done
	Reconnect()                // a session ended and a new one will start
}

// NopStats discards the measurements.
type NopStats struct{}

func (NopStats) Seen()              {}
func (NopStats) Done(ledger.Status) {}
func (NopStats) Failed()            {}
func (NopStats) Lag(time.Duration)  {}
func (NopStats) Reconnect()         {}

// Watcher watches one mailbox. Create it with New and start it with Run.
type Watcher struct {
	cfg      Config
	ep       endpoint
	ing      Ingester
	attempts Attempts
	log      *slog.Logger
	stats    Stats
	onFailed func(ctx context.Context, src mailintake.Source, subject string, err error)

	running atomic.Bool
	// unforgotten holds the keys whose ForgetAttempt failed (the store was
	// away): their attempt is taken back before the next one is counted.
	// Only Run's goroutine touches it.
	unforgotten map[string]bool
}

// New checks cfg and returns a watcher. onFailed is told about each message
// moved to Failed (the desk hears of it in Slack when Slack is configured),
// with the message's decoded Subject and the last error; it gets a context
// of its own bounded by Timeout. log, stats and onFailed may be nil.
func New(cfg Config, ing Ingester, log *slog.Logger, stats Stats, onFailed func(ctx context.Context, src mailintake.Source, subject string, err error)) (*Watcher, error) {
	if ing == nil {
		return nil, errors.New("watch: no Ingester")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	ep, err := parseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	for _, f := range []struct{ name, v string }{{"Processed", cfg.Processed}, {"Failed", cfg.Failed}} {
		// Moving a message to the watched mailbox would process it forever.
		if sameMailbox(f.v, ep.mailbox) {
			return nil, fmt.Errorf("watch: the %s folder %q is the watched mailbox", f.name, f.v)
		}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if stats == nil {
		stats = NopStats{}
	}
	attempts := cfg.Attempts
	if attempts == nil {
		attempts = &memAttempts{n: map[string]int{}}
	}
	return &Watcher{cfg: cfg, ep: ep, ing: ing, attempts: attempts, stats: stats, onFailed: onFailed,
		log: log.With("imap", ep.redacted, "mailbox", ep.mailbox), unforgotten: map[string]bool{}}, nil
}

// healthySession is how long a session must last after its first pass for
// the reconnection backoff to start again from its shortest wait: a server
// that accepts the login and drops the connection at once is not hammered.
const healthySession = 10 * time.Second

// retryPolicy is the watcher's backoff (internal/backoff): from a second,
// or MaxBackoff when that is shorter, doubling, capped at MaxBackoff, half
// of each wait at most added at random so that watchers do not come back
// in step. The cap is a few seconds: after a 38-second outage of the IMAP
// server, a cap of a minute left mail waiting a minute once it was back.
func (w *Watcher) retryPolicy() retry.Policy {
	return retry.Policy{Base: min(time.Second, w.cfg.MaxBackoff), Max: w.cfg.MaxBackoff, Jitter: 0.5}
}

// Run watches the mailbox until ctx ends, reconnecting with capped
// exponential backoff after any error. When ctx ends it finishes the
// message in hand (its Ingest and its move), logs out, and returns nil.
// Run must not be called again before it returned.
func (w *Watcher) Run(ctx context.Context) error {
	if !w.running.CompareAndSwap(false, true) {
		return errors.New("watch: Run is already running")
	}
	defer w.running.Store(false)

	w.log.Info("watching mailbox", "security", w.ep.security.String())
	reconnect := retry.Backoff{Policy: w.retryPolicy(), HealthyAfter: healthySession}
	for {
		err := w.session(ctx, &reconnect)
		if ctx.Err() != nil {
			w.log.Info("stopped watching mailbox")
			return nil
		}
		delay := reconnect.Failure()
		w.log.Warn("IMAP session ended; reconnecting", "err", err, "in", delay, "failures", reconnect.Failures())
		w.stats.Reconnect()
		if !retry.Sleep(ctx, delay) {
			w.log.Info("stopped watching mailbox")
			return nil
		}
	}
}

// session runs one connection: connect, log in, select, then process and
// wait for more, alternately. It returns nil only when ctx ended. Once its
// first pass completed, the session counts as a success for reconnect
// (healthy once it lasted healthySession).
func (w *Watcher) session(ctx context.Context, reconnect *retry.Backoff) (err error) {
	defer func() {
		// Every goroutine recovers: a panic ends this session, the next
		// one starts after the backoff.
		if r := recover(); r != nil {
			w.log.Error("panic in IMAP session", "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("watch: panic: %v", r)
		}
	}()
	s, err := w.connect(ctx)
	if err != nil {
		return err
	}
	defer s.close()
	// Commands are not bound to ctx; a server that hangs while the watcher
	// is stopping would hold the stop for a whole Timeout. Once ctx ends,
	// the session has logoutGrace to say goodbye, unless a message is in
	// hand (bounded by ShutdownGrace and the timeouts).
	ended := make(chan struct{})
	defer close(ended)
	defer context.AfterFunc(ctx, func() {
		t := time.NewTimer(logoutGrace)
		defer t.Stop()
		select {
		case <-ended:
		case <-t.C:
			if !s.inHand.Load() {
				s.close()
			}
		}
	})()
	if err := s.setup(); err != nil {
		return err
	}
	w.log.Info("IMAP session started", "uidvalidity", s.uidValidity, "idle", s.canIdle, "move", s.canMove)
	// again paces the passes that left work behind: a temporary fault, or
	// messages that failed and wait for their next attempt.
	again := retry.Backoff{Policy: w.retryPolicy()}
	for first := true; ; first = false {
		res, err := s.pass(ctx)
		if err != nil {
			return err
		}
		if first {
			reconnect.Success()
		}
		if ctx.Err() != nil {
			s.logout()
			return nil
		}
		var retryIn time.Duration // 0: nothing to retry, wait for mail
		if res.stopped || res.left > 0 {
			retryIn = again.Failure()
			w.log.Info("messages wait for another attempt", "stopped_by_fault", res.stopped, "left", res.left, "in", retryIn)
		} else {
			again.Success()
		}
		if s.canIdle {
			err = s.idle(ctx, retryIn) // may turn canIdle off
		} else {
			err = s.poll(ctx, retryIn)
		}
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			s.logout()
			return nil
		}
	}
}

// errPoison marks a message the pipeline could not process at all: its
// Ingest panicked. It counts as a failed attempt, like any permanent
// failure.
var errPoison = errors.New("watch: the pipeline failed on this message")

// errGaveUp is the cause given to the desk for a message whose earlier
// attempts never ended (the process died in them).
var errGaveUp = errors.New("watch: the message was attempted too many times without finishing")

// ingest runs the pipeline on one message, turning a panic into a
// permanent error wrapping errPoison. Its context outlives ctx by
// ShutdownGrace, so a SIGTERM lets the message in hand finish; an Ingest
// cut by the end of that grace failed for a temporary reason, not the
// message's.
func (w *Watcher) ingest(ctx context.Context, raw []byte, src mailintake.Source) (out mailintake.Outcome, err error) {
	defer func() {
		if r := recover(); r != nil {
			w.log.Error("panic in Ingest", "uid", src.UID, "panic", r, "stack", string(debug.Stack()))
			err = fault.Permanent(fmt.Errorf("%w: ingest panicked: %v", errPoison, r))
		}
	}()
	ictx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cancel(nil)
	grace := w.cfg.ShutdownGrace
	stop := context.AfterFunc(ctx, func() {
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-t.C:
			cancel(errors.New("watch: shutdown grace period over"))
		case <-ictx.Done():
		}
	})
	defer stop()
	out, err = w.ing.Ingest(ictx, bytes.NewReader(raw), src, false)
	if err != nil && ictx.Err() != nil {
		err = fault.Temporary(fmt.Errorf("watch: ingest cut short by the shutdown: %w", err))
	}
	return out, err
}

// AttemptKey names a message in the attempts store: its mailbox,
// UIDVALIDITY and UID (DESIGN "Errors"), which no other message shares,
// even after the server renumbered the mailbox.
func AttemptKey(src mailintake.Source) string {
	return "imap:" + src.Mailbox + "\x00" + strconv.FormatUint(uint64(src.UIDValidity), 10) + "\x00" +
		strconv.FormatUint(uint64(src.UID), 10)
}

// storeContext bounds a call to the attempts store; it outlives ctx, so
// that the message in hand is accounted for during a shutdown.
func (w *Watcher) storeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), w.cfg.Timeout)
}

// startAttempt counts an attempt, after taking back one that an earlier
// ForgetAttempt could not.
func (w *Watcher) startAttempt(ctx context.Context, key string) (int, error) {
	if w.unforgotten[key] {
		if err := w.attempts.ForgetAttempt(ctx, key); err != nil {
			return 0, err
		}
		delete(w.unforgotten, key)
	}
	return w.attempts.StartAttempt(ctx, key)
}

// forgetAttempt takes back the attempt of a temporary failure; when the
// store refuses (it is often what failed), the next startAttempt does.
func (w *Watcher) forgetAttempt(ctx context.Context, key string) {
	if err := w.attempts.ForgetAttempt(ctx, key); err != nil {
		w.unforgotten[key] = true
		w.log.Warn("attempt not taken back yet; it will be before the next", "err", err)
	}
}

// endAttempts forgets a message done with; a failure leaves a count that
// expires in the store by itself.
func (w *Watcher) endAttempts(ctx context.Context, key string) {
	delete(w.unforgotten, key)
	if err := w.attempts.EndAttempts(ctx, key); err != nil {
		w.log.Warn("attempts of a finished message not forgotten; they expire by themselves", "err", err)
	}
}

// notifyFailed tells onFailed, which must not take the watcher down.
func (w *Watcher) notifyFailed(ctx context.Context, src mailintake.Source, subject string, cause error) {
	if w.onFailed == nil {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			w.log.Error("panic in the Failed notification", "uid", src.UID, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	nctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.cfg.Timeout)
	defer cancel()
	w.onFailed(nctx, src, subject, cause)
}

// logoutGrace is how long a stopping session may take to log out.
const logoutGrace = 5 * time.Second

// memAttempts keeps attempt counts in memory: for a watcher without a
// durable store (Config.Attempts nil), where a restart loses everything
// anyway.
type memAttempts struct {
	mu sync.Mutex
	n  map[string]int
}

func (m *memAttempts) StartAttempt(_ context.Context, key string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.n[key]++
	return m.n[key], nil
}

func (m *memAttempts) ForgetAttempt(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.n[key] > 0 {
		m.n[key]--
	}
	return nil
}

func (m *memAttempts) EndAttempts(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.n, key)
	return nil
}
