package sender

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/licensedesk/licensedesk/ledger"
	"github.com/redis/go-redis/v9"
)

// batch is how many entries one read or claim takes from a stream.
const batch = 100

// maxItems bounds the entries a sender holds at once; the rest stays
// unread in Redis, where the next scan finds it. During a long SMTP outage
// memory stays flat however many replies queue up.
const maxItems = 1000

// ownScript checks, just before an attempt, that the entry is still
// pending on this consumer, and resets its idle time so that no other
// sender claims it while the attempt runs (an attempt lasts at most half of
// ClaimIdle). Optionally it counts a new delivery: the PEL's delivery
// counter then holds the attempts, and a sender that claims the entry
// continues its backoff from there. Returns the delivery count, or -1 when
// the entry is no longer ours (acknowledged, or claimed by another sender).
//
// KEYS[1] the outbox stream. ARGV: group, consumer, entry id, "1" to count.
var ownScript = redis.NewScript(`
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #p == 0 or p[1][2] ~= ARGV[2] then return -1 end
local n = tonumber(p[1][4])
if ARGV[4] == '1' then n = n + 1 end
local c = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'RETRYCOUNT', n, 'JUSTID')
if #c == 0 then return -1 end
return n
`)

// ensureGroup creates the consumer group on a stream once per process. The
// group starts at 0 so that entries written before any sender ran are
// delivered: the stream holds exactly the replies not yet sent, since an
// acknowledged entry is also deleted.
func (s *Sender) ensureGroup(ctx context.Context, stream string) error {
	if s.groups[stream] {
		return nil
	}
	err := s.rdb.XGroupCreateMkStream(ctx, stream, s.cfg.Group, "0").Err()
	if err != nil && !redis.HasErrorPrefix(err, "BUSYGROUP") {
		return fmt.Errorf("sender: create group on %s: %w", stream, err)
	}
	s.groups[stream] = true
	return nil
}

// readGroup runs XREADGROUP on one stream without blocking; id is ">" for
// new entries or an id for this consumer's own pending ones after it. A
// stream that lost its group (deleted, or flushed) gets it back.
func (s *Sender) readGroup(ctx context.Context, stream, id string) ([]redis.XMessage, error) {
	for try := 0; ; try++ {
		if err := s.ensureGroup(ctx, stream); err != nil {
			return nil, err
		}
		res, err := s.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: s.cfg.Group, Consumer: s.cfg.Consumer,
			Streams: []string{stream, id}, Count: batch, Block: -1}).Result()
		if errors.Is(err, redis.Nil) {
			return nil, nil
		}
		if redis.HasErrorPrefix(err, "NOGROUP") && try == 0 {
			delete(s.groups, stream)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("sender: read %s: %w", stream, err)
		}
		if len(res) == 0 {
			return nil, nil
		}
		return res[0].Messages, nil
	}
}

// readNew takes the entries never delivered to any sender.
func (s *Sender) readNew(ctx context.Context, stream string) error {
	for len(s.items) < maxItems {
		msgs, err := s.readGroup(ctx, stream, ">")
		if err != nil {
			return err
		}
		s.take(ctx, stream, msgs)
		if len(msgs) < batch {
			return nil
		}
	}
	return nil
}

// readOwn takes this consumer's own pending entries that it does not hold:
// a restart under the same consumer name finds its work again.
func (s *Sender) readOwn(ctx context.Context, stream string) error {
	after := "0"
	for len(s.items) < maxItems {
		msgs, err := s.readGroup(ctx, stream, after)
		if err != nil {
			return err
		}
		if len(msgs) == 0 {
			return nil
		}
		s.take(ctx, stream, msgs)
		after = msgs[len(msgs)-1].ID
	}
	return nil
}

// claim takes the entries that other senders left pending longer than
// ClaimIdle: they died, or lost their Redis connection for that long.
func (s *Sender) claim(ctx context.Context, stream string) error {
	start := "0-0"
	for len(s.items) < maxItems {
		msgs, next, err := s.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{Stream: stream, Group: s.cfg.Group,
			Consumer: s.cfg.Consumer, MinIdle: s.cfg.ClaimIdle, Start: start, Count: batch}).Result()
		if redis.HasErrorPrefix(err, "NOGROUP") {
			delete(s.groups, stream)
			return nil // no group, nothing pending
		}
		if err != nil {
			return fmt.Errorf("sender: claim on %s: %w", stream, err)
		}
		s.take(ctx, stream, msgs)
		if next == "0-0" || next == "" || next == start {
			return nil
		}
		start = next
	}
	return nil
}

// take turns delivered stream entries into work. An entry that cannot be
// read, or names nobody, is settled at once.
func (s *Sender) take(ctx context.Context, stream string, msgs []redis.XMessage) {
	for _, m := range msgs {
		key := stream + "\x00" + m.ID
		if _, held := s.byKey[key]; held {
			continue
		}
		it := &item{stream: stream, id: m.ID}
		if m.Values == nil {
			// Pending but deleted from the stream: nothing to send.
			s.settle(ctx, it, "gone")
			continue
		}
		data, _ := m.Values["data"].(string)
		if err := json.Unmarshal([]byte(data), &it.entry); err != nil {
			// A poison message: retrying cannot make it readable.
			s.log.Error("outbox entry unreadable; dropped", "stream", stream, "entry", m.ID,
				"req", m.Values["req"], "err", err)
			s.stats.Failed()
			s.settle(ctx, it, "unreadable")
			continue
		}
		if it.entry.Origin.From == "" {
			s.log.Info("outbox entry has no recipient; acknowledged without sending", "stream", stream,
				"entry", m.ID, "request", it.entry.RequestID)
			s.settle(ctx, it, "no recipient")
			continue
		}
		s.seq++
		it.seq = s.seq
		s.items = append(s.items, it)
		s.byKey[key] = it
	}
}

// settle acknowledges an entry that needs no attempt. When Redis refuses,
// the entry stays pending on this consumer and the next scan settles it.
func (s *Sender) settle(ctx context.Context, it *item, why string) {
	if err := s.ack(ctx, it); err != nil {
		s.log.Warn("outbox entry not acknowledged; the next scan retries", "stream", it.stream,
			"entry", it.id, "why", why, "err", err)
	}
}

// own runs ownScript for an item.
func (s *Sender) own(ctx context.Context, it *item, count bool) (int64, error) {
	c := "0"
	if count {
		c = "1"
	}
	n, err := ownScript.Run(ctx, s.rdb, []string{it.stream}, s.cfg.Group, s.cfg.Consumer, it.id, c).Int64()
	if redis.HasErrorPrefix(err, "NOGROUP") {
		return -1, nil // the stream or its group is gone, and the entry with it
	}
	if err != nil {
		return 0, fmt.Errorf("sender: check entry %s: %w", it.id, err)
	}
	return n, nil
}

// ack acknowledges and deletes an entry in one step (MULTI/EXEC on one
// key), so that the stream holds only replies still to send.
func (s *Sender) ack(ctx context.Context, it *item) error {
	pipe := s.rdb.TxPipeline()
	pipe.XAck(ctx, it.stream, s.cfg.Group, it.id)
	pipe.XDel(ctx, it.stream, it.id)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("sender: acknowledge %s: %w", it.id, err)
	}
	return nil
}

// outboxOf maps a wake-up nudge to the stream it names ("" is the
// desk-wide outbox); ok is false for anything else.
func outboxOf(v any) (string, bool) {
	t, _ := v.(string)
	if t == "" {
		return ledger.KeyGlobalOutbox, true
	}
	if !ledger.ValidTenantID(t) {
		return "", false
	}
	return ledger.OutboxKey(t), true
}

// streamsToScan lists every outbox that holds entries: the desk-wide one
// and every tenant's. Empty streams are skipped in one pipelined XLEN, so a
// scan costs one round trip for tenants that have nothing to send.
func (s *Sender) streamsToScan(ctx context.Context) ([]string, error) {
	tenants, err := s.ledger.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	all := make([]string, 0, len(tenants)+1)
	all = append(all, ledger.KeyGlobalOutbox)
	for _, t := range tenants {
		all = append(all, ledger.OutboxKey(t))
	}
	pipe := s.rdb.Pipeline()
	lens := make([]*redis.IntCmd, len(all))
	for i, k := range all {
		lens[i] = pipe.XLen(ctx, k)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("sender: scan: %w", err)
	}
	var out []string
	for i, c := range lens {
		if c.Val() > 0 {
			out = append(out, all[i])
		}
	}
	return out, nil
}

// lastWakeID is where reading the wake-up stream starts: its newest entry,
// read before the first scan, so that no nudge falls between the scan and
// the first XREAD (reading from "$" would leave that gap).
func (s *Sender) lastWakeID(ctx context.Context) (string, error) {
	msgs, err := s.rdb.XRevRangeN(ctx, ledger.KeyWake, "+", "-", 1).Result()
	if err != nil {
		return "", fmt.Errorf("sender: read wake-up stream: %w", err)
	}
	if len(msgs) == 0 {
		return "0-0", nil
	}
	return msgs[0].ID, nil
}
