package mailintake

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/licensedesk/licensedesk/ledger"
)

// redisLimiter bounds the replies to one sender per hour (SPEC §4.4) in the
// ledger's Redis, so the bound holds across processes and restarts. The
// window is the clock hour; a Redis fault lets the reply through (a lost
// reply is worse than an extra one) and is logged.
type redisLimiter struct {
	l       *ledger.Ledger
	perHour int
	log     *slog.Logger
}

func newRedisLimiter(l *ledger.Ledger, perHour int, log *slog.Logger) *redisLimiter {
	return &redisLimiter{l: l, perHour: perHour, log: log}
}

func (r *redisLimiter) Allow(sender string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	hour := r.l.Clock().Now().Truncate(time.Hour).Unix()
	key := fmt.Sprintf("ld:{g}:rate:%s:%d", strings.ToLower(sender), hour)
	if len(key) > 300 {
		key = key[:300]
	}
	n, err := r.l.Redis().Incr(ctx, key).Result()
	if err != nil {
		r.log.Warn("reply limiter unavailable", "err", err)
		return true
	}
	if n == 1 {
		r.l.Redis().Expire(ctx, key, 2*time.Hour)
	}
	return n <= int64(r.perHour)
}
