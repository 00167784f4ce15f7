package guard

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a settable clock, safe for concurrent reads.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// allowN calls Allow n times and returns how many were allowed.
func allowN(l Limiter, sender string, n int) int {
	allowed := 0
	for range n {
		if l.Allow(sender) {
			allowed++
		}
	}
	return allowed
}

func TestLimiterRefusesThe21stReplyInAnHourAndAllowsItAfterTheWindow(t *testing.T) {
	clock := newFakeClock()
	l := NewMemoryLimiter(20, clock.Now)

	for i := range 20 {
		if !l.Allow("alice@contoso.example") {
			t.Fatalf("reply %d refused, want allowed", i+1)
		}
		clock.Advance(time.Minute)
	}
	if l.Allow("alice@contoso.example") {
		t.Fatal("21st reply within the hour allowed, want refused")
	}
	// The first reply was at 09:00; at 09:59:59 it still counts.
	clock.Advance(39*time.Minute + 59*time.Second)
	if l.Allow("alice@contoso.example") {
		t.Fatal("reply one second before the first one expires allowed, want refused")
	}
	clock.Advance(time.Second)
	if !l.Allow("alice@contoso.example") {
		t.Fatal("reply once the first one left the window refused, want allowed")
	}
	if l.Allow("alice@contoso.example") {
		t.Fatal("second reply after one expiry allowed, want refused: only one slot freed")
	}
}

func TestLimiterWindowSlides(t *testing.T) {
	clock := newFakeClock()
	l := NewMemoryLimiter(20, clock.Now)

	if got := allowN(l, "bob@contoso.example", 10); got != 10 {
		t.Fatalf("allowed %d of the first 10, want 10", got)
	}
	clock.Advance(30 * time.Minute)
	if got := allowN(l, "bob@contoso.example", 15); got != 10 {
		t.Fatalf("allowed %d at +30 min, want 10 (20 per hour)", got)
	}
	clock.Advance(30 * time.Minute) // the first 10 expire, the next 10 remain
	if got := allowN(l, "bob@contoso.example", 15); got != 10 {
		t.Fatalf("allowed %d at +60 min, want 10", got)
	}
}

func TestLimiterCountsEachSenderApartIgnoringCase(t *testing.T) {
	clock := newFakeClock()
	l := NewMemoryLimiter(2, clock.Now)

	if got := allowN(l, "Alice@Contoso.example", 2); got != 2 {
		t.Fatalf("allowed %d for alice, want 2", got)
	}
	if l.Allow(" alice@contoso.example ") {
		t.Error("the same sender in another case and with spaces got a third reply")
	}
	if got := allowN(l, "bob@contoso.example", 3); got != 2 {
		t.Errorf("allowed %d for bob, want 2: one sender's replies must not use another's", got)
	}
}

func TestLimiterBelowOneAllowsNothing(t *testing.T) {
	for _, perHour := range []int{0, -5} {
		if NewMemoryLimiter(perHour, nil).Allow("alice@contoso.example") {
			t.Errorf("perHour %d allowed a reply", perHour)
		}
	}
}

func TestLimiterUsesTheRealClockByDefault(t *testing.T) {
	l := NewMemoryLimiter(1, nil)
	if !l.Allow("alice@contoso.example") || l.Allow("alice@contoso.example") {
		t.Error("a limit of 1 with the real clock did not allow exactly one reply")
	}
}

func TestLimiterForgetsIdleSenders(t *testing.T) {
	clock := newFakeClock()
	l := NewMemoryLimiter(20, clock.Now)
	for i := range 1000 {
		l.Allow(fmt.Sprintf("sender%d@contoso.example", i))
	}
	if got := l.Len(); got != 1000 {
		t.Fatalf("remembers %d senders, want 1000", got)
	}
	clock.Advance(LimitWindow)
	l.Allow("new@contoso.example")
	if got := l.Len(); got != 1 {
		t.Errorf("remembers %d senders an hour later, want 1: idle senders must be forgotten", got)
	}
}

func TestLimiterForgetsTheLongestIdleSenderWhenFull(t *testing.T) {
	clock := newFakeClock()
	l := NewMemoryLimiter(1, clock.Now)
	l.maxSenders = 3

	for _, s := range []string{"a@x.example", "b@x.example", "c@x.example"} {
		l.Allow(s)
		clock.Advance(time.Second)
	}
	l.Allow("a@x.example") // refused, but a is now the most recently seen
	l.Allow("d@x.example") // full: b, idle the longest, goes
	if got := l.Len(); got != 3 {
		t.Fatalf("remembers %d senders, want the cap of 3", got)
	}
	if !l.Allow("b@x.example") {
		t.Error("b was not forgotten: the longest idle sender must go first")
	}
	if l.Allow("d@x.example") {
		t.Error("d was forgotten although recently seen")
	}
}

func TestLimiterIsSafeForConcurrentUse(t *testing.T) {
	clock := newFakeClock()
	l := NewMemoryLimiter(20, clock.Now)
	var shared atomic.Int64
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				if l.Allow("shared@contoso.example") {
					shared.Add(1)
				}
				l.Allow(fmt.Sprintf("g%d-%d@contoso.example", g, i%5))
				if i%10 == 0 {
					clock.Advance(time.Second)
				}
			}
		}()
	}
	wg.Wait()
	if got := shared.Load(); got != 20 {
		t.Errorf("allowed %d replies to one sender from 32 goroutines, want exactly 20", got)
	}
}
