package ledger

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// replyBudget is where a sender stands against the hourly reply limit of
// SPEC §4.4 when their message is recorded.
type replyBudget struct {
	key     string // the sender's budget for this hour; "" when unbounded
	over    bool   // the limit is reached: no more replies this hour
	noticed bool   // the hourly notice of a held request was sent
}

// allows says whether a reply of this kind may be queued: any reply under
// the limit; over it, only the first notice of a held request.
func (b replyBudget) allows(kind string) bool {
	if b.key == "" || !b.over {
		return true
	}
	return kind == "pending" && !b.noticed
}

// budgetKey is a sender's reply budget for the clock hour of now, in the
// tenant's slot so that the commit that queues a reply also charges it.
// Only distinct messages reach the commit, so a duplicate never counts.
func budgetKey(tenant, sender string, now time.Time) string {
	hour := strconv.FormatInt(now.Truncate(time.Hour).Unix(), 10)
	return "ld:{t:" + tenant + "}:budget:" + hashKey(strings.ToLower(strings.TrimSpace(sender))) + ":" + hour
}

// replyBudget reads the sender's budget for an emailed request with a
// reply limit.
func (l *Ledger) replyBudget(ctx context.Context, req *Request, now time.Time) (replyBudget, error) {
	if req.Origin.Channel != ChannelEmail || req.ReplyLimit <= 0 || req.Origin.From == "" {
		return replyBudget{}, nil
	}
	b := replyBudget{key: budgetKey(req.Tenant, req.Origin.From, now)}
	vals, err := l.rdb.HMGet(ctx, b.key, "n", "notice").Result()
	if err != nil {
		return b, wrapf("ledger: reply budget: %w", err)
	}
	b.over = parseIntAny(vals[0]) >= int64(req.ReplyLimit)
	b.noticed = parseIntAny(vals[1]) > 0
	return b, nil
}
