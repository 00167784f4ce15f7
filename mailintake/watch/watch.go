// Package watch is the IMAP watcher of `licensedesk serve` (SPEC §4.1): it
// processes what waits in the mailbox, then IDLEs (or polls) for more, and
// hands every message to exactly the pipeline of `licensedesk mail ingest`.
//
// A message leaves the mailbox only after its Ingest returned an Outcome
// (to Processed) or failed MaxAttempts times (to Failed); until then it
// stays where it is, so a crash, a network drop or a server restart loses
// nothing: the next session finds it again. The pipeline's de-duplication
// key for a message without Message-ID is its Source — mailbox, UIDVALIDITY
// and UID — so a message seen twice is recorded once, and a UID reused
// after the server reset UIDVALIDITY is not mistaken for an old one.
package watch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/licensedesk/licensedesk/ledger"
	"github.com/licensedesk/licensedesk/mailintake"
)

// Ingester is the mail pipeline: *mailintake.Intake. An error is a fault
// (Redis down) and the message must stay to be retried; an Outcome of any
// status means the message is done.
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
	log      *slog.Logger
	stats    Stats
	onFailed func(ctx context.Context, src mailintake.Source, subject string, err error)

	running atomic.Bool
	// attempts counts Ingest failures per message across sessions; only
	// Run's goroutine touches it, and every pass prunes messages that left
	// the mailbox, so it stays as small as the mailbox.
	attempts map[mailintake.Source]*attempt
}

type attempt struct {
	n       int
	err     error
	subject string
}

// New checks cfg and returns a watcher. onFailed is told about each message
// moved to Failed (the desk hears of it in Slack when Slack is configured),
// with the message's decoded Subject and the last Ingest error; it gets a
// context of its own bounded by Timeout. log, stats and onFailed may be nil.
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
	return &Watcher{cfg: cfg, ep: ep, ing: ing, stats: stats, onFailed: onFailed,
		log:      log.With("imap", ep.redacted, "mailbox", ep.mailbox),
		attempts: make(map[mailintake.Source]*attempt)}, nil
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
	var bo backoff
	for {
		progressed, err := w.session(ctx)
		if ctx.Err() != nil {
			w.log.Info("stopped watching mailbox")
			return nil
		}
		if progressed {
			bo.reset()
		}
		delay := bo.next(w.cfg.MaxBackoff)
		w.log.Warn("IMAP session ended; reconnecting", "err", err, "in", delay)
		w.stats.Reconnect()
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			w.log.Info("stopped watching mailbox")
			return nil
		case <-t.C:
		}
	}
}

// session runs one connection: connect, log in, select, then process and
// wait for more, alternately. It returns nil only when ctx ended, and
// reports whether a whole pass over the mailbox completed (which resets the
// backoff).
func (w *Watcher) session(ctx context.Context) (progressed bool, err error) {
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
		return false, err
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
		return false, err
	}
	w.log.Info("IMAP session started", "uidvalidity", s.uidValidity, "idle", s.canIdle, "move", s.canMove)
	for {
		if err := s.pass(ctx); err != nil {
			return progressed, err
		}
		progressed = true
		if ctx.Err() != nil {
			s.logout()
			return true, nil
		}
		if s.canIdle {
			err = s.idle(ctx) // may turn canIdle off
		} else {
			err = s.poll(ctx)
		}
		if err != nil {
			return true, err
		}
		if ctx.Err() != nil {
			s.logout()
			return true, nil
		}
	}
}

// errPoison marks a message the pipeline could not process at all: its
// Ingest panicked. Only such failures count towards MaxAttempts; an Ingest
// error is an outage (Redis down) by the pipeline's contract, and the
// message waits for it to end, however long.
var errPoison = errors.New("watch: the pipeline failed on this message")

// ingest runs the pipeline on one message, turning a panic into an error
// wrapping errPoison (which counts as a failed attempt). Its context outlives ctx by
// ShutdownGrace, so a SIGTERM lets the message in hand finish.
func (w *Watcher) ingest(ctx context.Context, raw []byte, src mailintake.Source) (out mailintake.Outcome, err error) {
	defer func() {
		if r := recover(); r != nil {
			w.log.Error("panic in Ingest", "uid", src.UID, "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("%w: ingest panicked: %v", errPoison, r)
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
	return w.ing.Ingest(ictx, bytes.NewReader(raw), src, false)
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

// backoff is capped exponential backoff from 1s with jitter.
type backoff struct{ n int }

func (b *backoff) reset() { b.n = 0 }

func (b *backoff) next(limit time.Duration) time.Duration {
	d := limit
	if b.n < 30 {
		if e := time.Second << b.n; e < limit {
			d = e
		}
	}
	b.n++
	// Half fixed, half random: watchers that lost the same server spread
	// out, and none retries at once.
	return d/2 + rand.N(d/2+1)
}
