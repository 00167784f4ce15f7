package guard

import (
	"container/list"
	"strings"
	"sync"
	"time"
)

// Limiter decides whether one more reply may go to a sender (SPEC §4.4: at
// most N replies per sender per hour). Allow records the reply when it
// answers true. Implementations must be safe for concurrent use; the mail
// intake may back one with Redis to share the count between processes.
type Limiter interface {
	Allow(sender string) bool
}

// LimitWindow is the span the per-sender limit applies to.
const LimitWindow = time.Hour

// DefaultMaxSenders bounds the senders a MemoryLimiter remembers at once.
const DefaultMaxSenders = 100_000

// MemoryLimiter is an in-process Limiter with a sliding one-hour window.
//
// Memory is bounded: each sender keeps at most perHour timestamps, a sender
// with no reply in the last hour is forgotten, and beyond DefaultMaxSenders
// the sender idle the longest is forgotten first. Forgetting an active sender
// resets its count, so the cap is set far above what a desk sees in an hour.
type MemoryLimiter struct {
	perHour int
	now     func() time.Time

	mu         sync.Mutex
	maxSenders int
	senders    map[string]*list.Element // values are *senderWindow
	lru        *list.List               // front: most recently seen
}

// senderWindow holds the times of the replies allowed within the window,
// oldest first; there are never more than perHour of them.
type senderWindow struct {
	sender   string
	lastSeen time.Time
	times    []time.Time
}

// NewMemoryLimiter returns a limiter allowing perHour replies per sender in
// any one-hour window. A perHour below 1 allows nothing: never spamming wins
// over answering. now is the clock (time.Now when nil), injectable for tests.
func NewMemoryLimiter(perHour int, now func() time.Time) *MemoryLimiter {
	if now == nil {
		now = time.Now
	}
	return &MemoryLimiter{
		perHour:    perHour,
		now:        now,
		maxSenders: DefaultMaxSenders,
		senders:    make(map[string]*list.Element),
		lru:        list.New(),
	}
}

// Allow reports whether a reply to sender is allowed now and, if so, counts
// it. Senders are compared ignoring case and surrounding spaces.
func (l *MemoryLimiter) Allow(sender string) bool {
	if l.perHour < 1 {
		return false
	}
	key := strings.ToLower(strings.TrimSpace(sender))
	now := l.now()
	cutoff := now.Add(-LimitWindow)

	l.mu.Lock()
	defer l.mu.Unlock()
	l.forgetIdle(cutoff)

	var w *senderWindow
	if e, ok := l.senders[key]; ok {
		w = e.Value.(*senderWindow)
		l.lru.MoveToFront(e)
	} else {
		for l.lru.Len() >= l.maxSenders {
			l.remove(l.lru.Back())
		}
		w = &senderWindow{sender: key}
		l.senders[key] = l.lru.PushFront(w)
	}
	w.lastSeen = now

	w.expire(cutoff)
	if len(w.times) >= l.perHour {
		return false
	}
	w.times = append(w.times, now)
	return true
}

// expire drops the replies at or before cutoff. The backing array is
// reallocated once mostly empty, so a sender's memory follows its recent
// replies rather than its history.
func (w *senderWindow) expire(cutoff time.Time) {
	k := 0
	for k < len(w.times) && !w.times[k].After(cutoff) {
		k++
	}
	if k == 0 {
		return
	}
	w.times = w.times[k:]
	if cap(w.times) > 8 && len(w.times) < cap(w.times)/4 {
		w.times = append([]time.Time(nil), w.times...)
	}
}

// forgetIdle drops the senders not seen within the window: all their
// replies have expired, so forgetting them changes no answer. The list is
// ordered by last sight, so this stops at the first sender still active.
func (l *MemoryLimiter) forgetIdle(cutoff time.Time) {
	for e := l.lru.Back(); e != nil; e = l.lru.Back() {
		if e.Value.(*senderWindow).lastSeen.After(cutoff) {
			return
		}
		l.remove(e)
	}
}

func (l *MemoryLimiter) remove(e *list.Element) {
	w := l.lru.Remove(e).(*senderWindow)
	delete(l.senders, w.sender)
}

// Len returns how many senders the limiter currently remembers.
func (l *MemoryLimiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lru.Len()
}

var _ Limiter = (*MemoryLimiter)(nil)
