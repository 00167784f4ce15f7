package ledger

import (
	"context"
	"time"
)

// attemptsTTL is how long a message's attempt count is kept: far longer
// than any outage a message waits out.
const attemptsTTL = 30 * 24 * time.Hour

func attemptsKey(key string) string { return "ld:{g}:attempts:" + hashKey(key) }

// StartAttempt counts one more attempt at processing a message (named by
// its mailbox, UIDVALIDITY and UID, or any stable key) before the attempt
// begins, and returns the count including this one. Counting first is what
// lets a message that kills the process be recognised after the restart
// (DESIGN "Errors"): its count keeps growing however it ended.
func (l *Ledger) StartAttempt(ctx context.Context, key string) (int, error) {
	k := attemptsKey(key)
	pipe := l.rdb.TxPipeline()
	n := pipe.Incr(ctx, k)
	pipe.Expire(ctx, k, attemptsTTL)
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, wrapf("ledger: count attempt: %w", err)
	}
	return int(n.Val()), nil
}

// ForgetAttempt takes back the attempt StartAttempt counted, when it
// failed for a temporary reason (the store or a server was away): such a
// failure says nothing about the message.
func (l *Ledger) ForgetAttempt(ctx context.Context, key string) error {
	if err := l.rdb.Decr(ctx, attemptsKey(key)).Err(); err != nil {
		return wrapf("ledger: forget attempt: %w", err)
	}
	return nil
}

// EndAttempts forgets a message's attempts once it is done with.
func (l *Ledger) EndAttempts(ctx context.Context, key string) error {
	if err := l.rdb.Del(ctx, attemptsKey(key)).Err(); err != nil {
		return wrapf("ledger: end attempts: %w", err)
	}
	return nil
}
