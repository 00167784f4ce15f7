// Package backoff is the one retry policy of the project (DESIGN "The
// edges", "Errors"): capped exponential backoff with jitter, a counter of
// consecutive failures that starts again after a healthy period, and a
// supervised loop that runs a step until its context ends, recovers and logs
// panics, and backs off after failures (alertmanager's notify/retry_stage.go
// is the model: retry what can succeed, wait longer each time, never spin).
//
// Nothing here reads the clock or the random source directly: both can be
// injected, so that the tests say what the waits are without timing them.
package backoff

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"time"
)

// Policy says how long to wait after n consecutive failures: Base after the
// first, doubling after each next one, never more than Max.
//
// Jitter spreads the waits so that clients that failed together (every
// sender of a desk when the SMTP server went away) do not come back
// together: a wait is d plus up to Jitter·d, drawn at random; where that
// would pass Max, it is Max minus up to Jitter·Max instead, so that waits
// at the cap are spread too. Jitter 0 waits exactly d; 1 spreads the most.
type Policy struct {
	Base   time.Duration
	Max    time.Duration
	Jitter float64
}

// Delay is the wait after n consecutive failures (n < 1 counts as 1), for
// a random draw r in [0, 1). It is never more than Max, never negative, and
// does not overflow however large n grows.
func (p Policy) Delay(n int, r float64) time.Duration {
	base, limit := p.Base, p.Max
	if base <= 0 {
		base = time.Millisecond
	}
	if limit <= 0 || limit < base {
		limit = base
	}
	n = max(n, 1)
	d := limit
	if n <= 62 {
		if b := base << (n - 1); b > 0 && b < limit && b>>(n-1) == base {
			d = b
		}
	}
	j := min(max(p.Jitter, 0), 1)
	r = min(max(r, 0), 1)
	up := d + time.Duration(float64(d)*j*r)
	if up <= limit && up >= d {
		return up
	}
	return limit - time.Duration(float64(limit)*j*r)
}

// Backoff counts consecutive failures and says how long to wait after
// each one. Set Policy (and the optional fields), then call Failure after
// each failure and Success after each success. It is not safe for
// concurrent use: each loop owns its own.
type Backoff struct {
	Policy Policy
	// HealthyAfter is how long things must go well before the count of
	// failures starts again: a failure that comes at least HealthyAfter
	// after the last Success is counted as a first failure again, and one
	// that comes sooner continues the count. A connection that logs in and
	// drops at once is thus not retried at the fastest pace forever. 0
	// starts again at every Success.
	HealthyAfter time.Duration
	// Rand draws the jitter, in [0, 1); nil uses math/rand/v2.
	Rand func() float64
	// Now is the clock; nil uses time.Now.
	Now func() time.Time

	n       int
	upSince time.Time // the last Success, while HealthyAfter > 0
	up      bool
}

// Failure counts one more failure and returns the wait before the next try.
func (b *Backoff) Failure() time.Duration {
	if b.up && b.HealthyAfter > 0 && b.now().Sub(b.upSince) >= b.HealthyAfter {
		b.n = 0
	}
	b.up = false
	b.n++
	return b.Policy.Delay(b.n, b.draw())
}

// Success records that things went well. With HealthyAfter 0 the count
// starts again at once; otherwise when the healthy period has lasted.
func (b *Backoff) Success() {
	if b.HealthyAfter <= 0 {
		b.n = 0
		return
	}
	if !b.up {
		b.up, b.upSince = true, b.now()
	}
}

// Reset forgets every failure.
func (b *Backoff) Reset() { b.n, b.up = 0, false }

// Failures is the number of consecutive failures counted so far.
func (b *Backoff) Failures() int { return b.n }

func (b *Backoff) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

func (b *Backoff) draw() float64 {
	if b.Rand != nil {
		return b.Rand()
	}
	return rand.Float64()
}

// Sleep waits d, or until ctx ends; it reports whether the wait was full.
func Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// ErrPanic marks the error that Safely makes of a panic.
var ErrPanic = errors.New("panic")

// Safely runs f, turning a panic into an error wrapping ErrPanic, logged
// with its stack under what: a goroutine must outlive a bug in one step
// (STYLE habit 5). log may be nil.
func Safely(log *slog.Logger, what string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if log != nil {
				log.Error("panic recovered", "in", what, "panic", r, "stack", string(debug.Stack()))
			}
			err = fmt.Errorf("%s: %w: %v", what, ErrPanic, r)
		}
	}()
	return f()
}

// Loop supervises one long-running part of the service: it runs a step
// again and again until its context ends (DESIGN "The edges": every loop
// recovers and logs panics, backs off with a cap, and stops cleanly).
type Loop struct {
	// Name says which part failed, in the log.
	Name string
	// Log receives a warning per failure; nil logs nothing.
	Log *slog.Logger
	// Backoff is the wait after failed steps. Its count starts again after
	// each step that succeeds. With Backoff.HealthyAfter set, a step that
	// ran that long before it failed was healthy too: a part that works for
	// hours and then fails is restarted at once, one that fails at start
	// waits longer each time.
	Backoff Backoff
	// Every is the wait after a step that succeeded (0: at once).
	Every time.Duration
	// Sleep waits between steps, and reports false when ctx ended first;
	// nil uses the package's Sleep. Tests record the waits with it.
	Sleep func(ctx context.Context, d time.Duration) bool
}

// Run runs step until ctx ends. A step that returns an error or panics is
// a failure: it is logged, and the next step comes after the backoff. A
// step that returns nil is a success, and the next comes after Every. A
// step that is running when ctx ends is not interrupted by Run: the step
// has ctx and decides how to finish. Run returns once ctx ended.
func (l *Loop) Run(ctx context.Context, step func(context.Context) error) {
	sleep := l.Sleep
	if sleep == nil {
		sleep = Sleep
	}
	for ctx.Err() == nil {
		if l.Backoff.HealthyAfter > 0 {
			l.Backoff.Success() // the step's own running time counts as healthy
		}
		err := Safely(l.Log, l.Name, func() error { return step(ctx) })
		if ctx.Err() != nil {
			return
		}
		wait := l.Every
		if err != nil {
			wait = l.Backoff.Failure()
			if l.Log != nil {
				l.Log.Warn(l.Name+" failed; retrying", "err", err, "failures", l.Backoff.Failures(), "retry_in", wait)
			}
		} else {
			l.Backoff.Success()
		}
		if !sleep(ctx, wait) {
			return
		}
	}
}
