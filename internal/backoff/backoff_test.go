package backoff

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestDelay(t *testing.T) {
	sec := time.Second
	p := Policy{Base: sec, Max: 5 * sec, Jitter: 0.5}
	cases := []struct {
		name   string
		policy Policy
		n      int
		r      float64
		want   time.Duration
	}{
		{"the first failure waits Base", p, 1, 0, sec},
		{"a count below one is the first failure", p, 0, 0, sec},
		{"each failure doubles the wait", p, 3, 0, 4 * sec},
		{"jitter adds up to its share of the wait", p, 2, 0.5, 2*sec + sec/2},
		{"the cap holds after many failures", p, 40, 0, 5 * sec},
		{"jitter at the cap draws below it", p, 40, 0.5, 5*sec - 5*sec/4},
		{"jitter that would pass the cap draws below it instead", p, 3, 0.6, 5*sec - 1500*time.Millisecond},
		{"no jitter waits exactly", Policy{Base: sec, Max: time.Minute}, 4, 0.9, 8 * sec},
		{"a huge count does not overflow", p, 1 << 30, 0, 5 * sec},
		{"a count of 63 does not overflow", Policy{Base: 3 * time.Nanosecond, Max: time.Hour}, 63, 0, time.Hour},
		{"a cap below Base is Base", Policy{Base: 2 * sec, Max: sec}, 5, 0, 2 * sec},
		{"no Base starts at a millisecond", Policy{Max: sec}, 1, 0, time.Millisecond},
		{"full jitter at the cap may wait far less", Policy{Base: time.Millisecond, Max: 20 * time.Millisecond, Jitter: 1}, 9, 0.75, 5 * time.Millisecond},
		{"jitter beyond 1 counts as 1", Policy{Base: sec, Max: time.Minute, Jitter: 7}, 1, 0.5, sec + sec/2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.policy.Delay(c.n, c.r); got != c.want {
				t.Errorf("Delay(%d, %v) = %v, want %v", c.n, c.r, got, c.want)
			}
		})
	}
}

func TestDelayStaysWithinItsBounds(t *testing.T) {
	p := Policy{Base: 100 * time.Millisecond, Max: 3 * time.Second, Jitter: 0.5}
	for n := 1; n < 100; n++ {
		for _, r := range []float64{0, 0.1, 0.5, 0.999999} {
			d := p.Delay(n, r)
			if d > p.Max || d < min(p.Base, p.Max/2) {
				t.Fatalf("Delay(%d, %v) = %v: above the cap, or below both Base and half the cap", n, r, d)
			}
		}
	}
}

// clock is a manual clock for Backoff.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestBackoffCountsFailuresAndStartsAgainAfterAHealthyPeriod(t *testing.T) {
	sec := time.Second
	type step struct {
		op      string // "fail", "ok", "wait", "reset"
		d       time.Duration
		want    time.Duration // the wait Failure returns
		wantCnt int
	}
	cases := []struct {
		name    string
		healthy time.Duration
		steps   []step
	}{
		{"failures grow the wait up to the cap", 0, []step{
			{op: "fail", want: sec, wantCnt: 1}, {op: "fail", want: 2 * sec, wantCnt: 2},
			{op: "fail", want: 4 * sec, wantCnt: 3}, {op: "fail", want: 5 * sec, wantCnt: 4},
		}},
		{"without a healthy period a success starts again at once", 0, []step{
			{op: "fail", want: sec, wantCnt: 1}, {op: "fail", want: 2 * sec, wantCnt: 2},
			{op: "ok"}, {op: "fail", want: sec, wantCnt: 1},
		}},
		{"a success that does not last continues the count", 10 * sec, []step{
			{op: "fail", want: sec, wantCnt: 1}, {op: "fail", want: 2 * sec, wantCnt: 2},
			{op: "ok"}, {op: "wait", d: 3 * sec}, {op: "fail", want: 4 * sec, wantCnt: 3},
		}},
		{"a success that lasts the healthy period starts again", 10 * sec, []step{
			{op: "fail", want: sec, wantCnt: 1}, {op: "fail", want: 2 * sec, wantCnt: 2}, {op: "fail", want: 4 * sec, wantCnt: 3},
			{op: "ok"}, {op: "wait", d: 6 * sec}, {op: "ok"}, {op: "wait", d: 4 * sec}, {op: "fail", want: sec, wantCnt: 1},
		}},
		{"a failure ends the healthy period", 10 * sec, []step{
			{op: "fail", want: sec, wantCnt: 1}, {op: "ok"}, {op: "wait", d: 20 * sec},
			{op: "fail", want: sec, wantCnt: 1}, {op: "wait", d: 20 * sec}, {op: "fail", want: 2 * sec, wantCnt: 2},
		}},
		{"reset forgets every failure", 10 * sec, []step{
			{op: "fail", want: sec, wantCnt: 1}, {op: "fail", want: 2 * sec, wantCnt: 2},
			{op: "reset"}, {op: "fail", want: sec, wantCnt: 1},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			b := Backoff{Policy: Policy{Base: sec, Max: 5 * sec, Jitter: 0.5}, HealthyAfter: c.healthy,
				Rand: func() float64 { return 0 }, Now: clk.now}
			for i, s := range c.steps {
				switch s.op {
				case "fail":
					if got := b.Failure(); got != s.want || b.Failures() != s.wantCnt {
						t.Fatalf("step %d: Failure() = %v with %d failures, want %v with %d", i, got, b.Failures(), s.want, s.wantCnt)
					}
				case "ok":
					b.Success()
				case "wait":
					clk.advance(s.d)
				case "reset":
					b.Reset()
				}
			}
		})
	}
}

func TestTheJitterComesFromTheInjectedSource(t *testing.T) {
	draws := []float64{0.5, 0}
	b := Backoff{Policy: Policy{Base: time.Second, Max: time.Minute, Jitter: 1},
		Rand: func() float64 { r := draws[0]; draws = draws[1:]; return r }}
	if got := b.Failure(); got != 1500*time.Millisecond {
		t.Errorf("first wait %v, want 1.5s from the draw 0.5", got)
	}
	if got := b.Failure(); got != 2*time.Second {
		t.Errorf("second wait %v, want 2s from the draw 0", got)
	}
}

// recorder is a Loop.Sleep that records the waits and ends the loop after
// a number of them.
type recorder struct {
	waits  []time.Duration
	stopAt int
	cancel context.CancelFunc
}

func (r *recorder) sleep(ctx context.Context, d time.Duration) bool {
	r.waits = append(r.waits, d)
	if len(r.waits) >= r.stopAt {
		r.cancel()
		return false
	}
	return ctx.Err() == nil
}

// lines is a slog handler that keeps the messages.
type lines struct{ msgs []string }

func (l *lines) Enabled(context.Context, slog.Level) bool { return true }
func (l *lines) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *lines) WithGroup(string) slog.Handler            { return l }
func (l *lines) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
	l.msgs = append(l.msgs, b.String())
	return nil
}

func TestLoopRunsStepsBacksOffAfterFailuresAndRecoversPanics(t *testing.T) {
	sec := time.Second
	boom := errors.New("boom")
	cases := []struct {
		name      string
		results   []string // per step: "ok", "err" or "panic"
		wantWaits []time.Duration
		wantLogs  int // warnings about failures
	}{
		{"successes wait Every", []string{"ok", "ok", "ok"}, []time.Duration{10 * sec, 10 * sec, 10 * sec}, 0},
		{"failures back off, doubling", []string{"err", "err", "err"}, []time.Duration{sec, 2 * sec, 4 * sec}, 3},
		{"a success starts the backoff again", []string{"err", "err", "ok", "err"}, []time.Duration{sec, 2 * sec, 10 * sec, sec}, 3},
		{"a panic is a failure, and the loop goes on", []string{"panic", "ok"}, []time.Duration{sec, 10 * sec}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			rec := &recorder{stopAt: len(c.results), cancel: cancel}
			h := &lines{}
			l := &Loop{Name: "part", Log: slog.New(h), Every: 10 * sec, Sleep: rec.sleep,
				Backoff: Backoff{Policy: Policy{Base: sec, Max: time.Minute}}}
			i := 0
			l.Run(ctx, func(context.Context) error {
				r := c.results[i]
				i++
				switch r {
				case "err":
					return boom
				case "panic":
					panic("a bug")
				}
				return nil
			})
			if i != len(c.results) {
				t.Errorf("%d steps ran, want %d", i, len(c.results))
			}
			if fmt.Sprint(rec.waits) != fmt.Sprint(c.wantWaits) {
				t.Errorf("waits %v, want %v", rec.waits, c.wantWaits)
			}
			warns := 0
			for _, m := range h.msgs {
				if strings.HasPrefix(m, "part failed; retrying") {
					warns++
				}
			}
			if warns != c.wantLogs {
				t.Errorf("%d failure warnings, want %d: %q", warns, c.wantLogs, h.msgs)
			}
		})
	}
}

func TestLoopRestartsAPartThatRanLongAtOnceAndOneThatFailsAtStartLater(t *testing.T) {
	sec := time.Second
	cases := []struct {
		name      string
		ran       []time.Duration // how long each step ran before it failed
		wantWaits []time.Duration
	}{
		{"parts failing at start wait longer each time", []time.Duration{0, sec, 0}, []time.Duration{sec, 2 * sec, 4 * sec}},
		{"a part that ran long is restarted after the first wait", []time.Duration{0, 0, 2 * time.Minute, 0}, []time.Duration{sec, 2 * sec, sec, 2 * sec}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			rec := &recorder{stopAt: len(c.ran), cancel: cancel}
			l := &Loop{Name: "part", Sleep: rec.sleep, Backoff: Backoff{Policy: Policy{Base: sec, Max: time.Minute},
				HealthyAfter: time.Minute, Now: clk.now}}
			i := 0
			l.Run(ctx, func(context.Context) error {
				clk.advance(c.ran[i])
				i++
				return errors.New("stopped")
			})
			if fmt.Sprint(rec.waits) != fmt.Sprint(c.wantWaits) {
				t.Errorf("waits %v, want %v", rec.waits, c.wantWaits)
			}
		})
	}
}

func TestLoopReturnsWhenItsContextEndsDuringAStep(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	steps := 0
	l := &Loop{Name: "part", Sleep: func(context.Context, time.Duration) bool {
		t.Error("the loop waited after its context ended")
		return false
	}}
	l.Run(ctx, func(context.Context) error {
		steps++
		cancel()
		return errors.New("stopped")
	})
	if steps != 1 {
		t.Errorf("%d steps, want 1", steps)
	}
}

func TestSafelyTurnsAPanicIntoAnError(t *testing.T) {
	h := &lines{}
	err := Safely(slog.New(h), "scan", func() error { panic("index out of range") })
	if !errors.Is(err, ErrPanic) || !strings.Contains(err.Error(), "index out of range") || !strings.Contains(err.Error(), "scan") {
		t.Errorf("Safely = %v, want an ErrPanic naming the step and the panic", err)
	}
	if len(h.msgs) != 1 || !strings.Contains(h.msgs[0], "stack=") {
		t.Errorf("logs %q, want the panic with its stack", h.msgs)
	}
	want := errors.New("plain")
	if err := Safely(nil, "scan", func() error { return want }); err != want {
		t.Errorf("Safely = %v, want the step's own error", err)
	}
}

func TestSleepEndsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if Sleep(ctx, time.Hour) {
		t.Error("Sleep reported a full wait on an ended context")
	}
	if !Sleep(context.Background(), 0) {
		t.Error("Sleep(0) reported an interrupted wait")
	}
}
