package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/licensedesk/licensedesk/internal/clip"
	"github.com/licensedesk/licensedesk/internal/fault"
	"github.com/redis/go-redis/v9"
)

// Outbox is one sender's door to the outboxes (DESIGN "Outbox"; SPEC §4.7,
// §7). The commit that records a request appends its reply to the tenant's
// outbox in the same atomic step, then nudges the wake-up stream; replies
// that belong to no tenant go to the desk-wide outbox. An outbox is named
// here by its tenant, "" being the desk-wide one. The stream protocol
// (consumer groups, pending entries, claims) stays inside the ledger:
// senders (SMTP in mailintake, Slack in bot) see entries and this contract.
//
// The contract, in the order a sender meets it:
//
//   - Next, Pending and Reclaim hand entries to this consumer: each entry
//     they return is held by this consumer (pending on it) until it is
//     settled with Ack or Fail, abandoned, or reclaimed by another consumer
//     after claimIdle. An entry is handed to one consumer of the group at a
//     time.
//   - Every entry comes back decoded; one that cannot be (unreadable, or
//     deleted while pending) carries Err, and the sender must settle it
//     with Fail without an attempt: no retry can make it readable.
//   - Before each attempt the sender calls Begin, which checks that the
//     entry is still held by this consumer and renews the hold. An attempt
//     must end within claimIdle of Begin: past that, another consumer may
//     reclaim the entry and send it too.
//   - Ack settles an entry that was delivered. It must never be called
//     before the server accepted the reply (SMTP 250 after the final dot,
//     Slack's ok): an entry acknowledged too early is lost if the process
//     dies. A crash between acceptance and Ack sends the reply again, the
//     one duplicate the design allows; the reply's Message-ID, a function
//     of the entry, lets receivers suppress it.
//   - Release records a temporary failure: the entry stays held, its
//     attempt is counted, and the sender tries again later. Fail settles
//     an entry for good after a permanent failure. Abandon gives the entry
//     up at once for any other consumer to reclaim (a one-shot sender that
//     is about to exit).
//   - Nothing is lost to a crash: what a dead consumer held is reclaimed by
//     another after claimIdle, or found again by Pending when the consumer
//     restarts under the same name. Two live consumers must never share a
//     name.
//
// The delivery count (Begin's, Release's) counts the attempts wherever
// they were made: the first read is 1, and every Release and every reclaim
// adds one. It lives in the stream's pending-entries list, next to the
// entry, so a consumer that reclaims an entry continues its backoff; a
// separate key would sit in another Cluster slot and could not be settled
// atomically with the entry.
//
// An Outbox is safe for concurrent use. Its errors are faults of the store,
// marked temporary or permanent (internal/fault).
type Outbox struct {
	l         *Ledger
	group     string
	consumer  string
	claimIdle time.Duration

	mu     sync.Mutex
	groups map[string]bool // streams whose group is known to exist
	read   map[string]bool // streams this consumer joined, for Leave
}

// Delivery is an outbox entry held by this consumer.
type Delivery struct {
	// Tenant names the outbox: a tenant, or "" for the desk-wide one.
	Tenant string
	// ID is the entry's id within its outbox.
	ID string
	// Request is the id of the request the entry was written for, as the
	// commit recorded it beside the entry ("" in the desk-wide outbox). It
	// is there for logs even when the entry cannot be read.
	Request string
	// Entry is the reply to send.
	Entry OutboxEntry
	// Err is set when the entry cannot be sent at all: it wraps
	// ErrEntryUnreadable or ErrEntryGone. Settle such an entry with Fail.
	Err error
}

// Nudge is one wake-up: an outbox that holds new entries.
type Nudge struct {
	// Tenant names the outbox ("" for the desk-wide one).
	Tenant string
	// Reclaim says that an entry there was abandoned (Abandon): a live
	// sender should reclaim it now rather than at its next scan.
	Reclaim bool
}

var (
	// ErrNotHeld means the entry is no longer held by this consumer: it was
	// acknowledged, deleted, or reclaimed by another consumer. Drop it
	// without sending.
	ErrNotHeld = fault.Permanent(errors.New("ledger: outbox entry no longer held by this sender"))
	// ErrEntryUnreadable marks an entry whose data cannot be decoded.
	ErrEntryUnreadable = errors.New("ledger: outbox entry unreadable")
	// ErrEntryGone marks an entry deleted from its outbox while pending.
	ErrEntryGone = errors.New("ledger: outbox entry deleted while pending")
)

// MaxBatch bounds the entries one Next, Pending or Reclaim returns.
const MaxBatch = 1000

// abandonedConsumer holds the entries given up with Abandon. It never
// reads: its entries look idle since long before any claimIdle, so the
// next Reclaim of any consumer takes them.
const abandonedConsumer = "(abandoned)"

// abandonedIdle is how idle an abandoned entry looks.
const abandonedIdle = 365 * 24 * time.Hour

// Outbox returns the door to the outboxes for one consumer of a consumer
// group. consumer names this sender: a restart under the same name finds
// its held entries again with Pending. claimIdle is how long an entry
// stays held by a silent consumer before Reclaim lets another take it: it
// must be longer than any attempt.
func (l *Ledger) Outbox(group, consumer string, claimIdle time.Duration) *Outbox {
	return &Outbox{l: l, group: group, consumer: consumer, claimIdle: claimIdle,
		groups: map[string]bool{}, read: map[string]bool{}}
}

// Consumer is the name this Outbox reads under.
func (o *Outbox) Consumer() string { return o.consumer }

// key is the stream of an outbox.
func (o *Outbox) key(tenant string) (string, error) {
	if tenant == "" {
		return KeyGlobalOutbox, nil
	}
	if !ValidTenantID(tenant) {
		return "", fault.Permanent(fmt.Errorf("ledger: outbox: %q is not a tenant id", clip.Text(tenant, 64)))
	}
	return OutboxKey(tenant), nil
}

// ensureGroup creates the consumer group of a stream once per process. It
// starts at 0, so that entries written before any sender ran are handed
// out: the stream holds exactly the replies not yet settled, since Ack and
// Fail also delete the entry.
func (o *Outbox) ensureGroup(ctx context.Context, key string) error {
	o.mu.Lock()
	known := o.groups[key]
	o.mu.Unlock()
	if known {
		return nil
	}
	err := o.l.rdb.XGroupCreateMkStream(ctx, key, o.group, "0").Err()
	if err != nil && !redis.HasErrorPrefix(err, "BUSYGROUP") {
		return wrapf("ledger: outbox: create group: %w", err)
	}
	o.mu.Lock()
	o.groups[key] = true
	o.mu.Unlock()
	return nil
}

// forgetGroup is called when the store says a group is gone (the stream
// was deleted, or the store flushed).
func (o *Outbox) forgetGroup(key string) {
	o.mu.Lock()
	delete(o.groups, key)
	o.mu.Unlock()
}

func (o *Outbox) joined(key string) {
	o.mu.Lock()
	o.read[key] = true
	o.mu.Unlock()
}

func batchSize(n int) int64 { return int64(min(max(n, 1), MaxBatch)) }

// Next hands this consumer up to n entries of an outbox that no consumer
// of the group was handed before, oldest first, without waiting. Fewer
// than n means the outbox holds no more new entries now.
func (o *Outbox) Next(ctx context.Context, tenant string, n int) ([]Delivery, error) {
	return o.readGroup(ctx, tenant, ">", n)
}

// Pending returns up to n entries this consumer already holds in an
// outbox, with ids after the id after ("" from the first): what a consumer
// restarted under the same name must finish. Page through with the ID of
// the last one; an empty answer is the end.
func (o *Outbox) Pending(ctx context.Context, tenant, after string, n int) ([]Delivery, error) {
	if after == "" {
		after = "0"
	}
	return o.readGroup(ctx, tenant, after, n)
}

// readGroup runs XREADGROUP on one outbox without blocking. A stream that
// lost its group (deleted, or flushed) gets it back, once.
func (o *Outbox) readGroup(ctx context.Context, tenant, id string, n int) ([]Delivery, error) {
	key, err := o.key(tenant)
	if err != nil {
		return nil, err
	}
	for try := 0; ; try++ {
		if err := o.ensureGroup(ctx, key); err != nil {
			return nil, err
		}
		res, err := o.l.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: o.group, Consumer: o.consumer,
			Streams: []string{key, id}, Count: batchSize(n), Block: -1}).Result()
		if errors.Is(err, redis.Nil) {
			return nil, nil
		}
		if redis.HasErrorPrefix(err, "NOGROUP") && try == 0 {
			o.forgetGroup(key)
			continue
		}
		if err != nil {
			return nil, wrapf("ledger: outbox %q: read: %w", tenant, err)
		}
		o.joined(key)
		if len(res) == 0 {
			return nil, nil
		}
		return decodeDeliveries(tenant, res[0].Messages), nil
	}
}

// Reclaim hands this consumer up to n entries of an outbox that other
// consumers held longer than claimIdle without a Begin or Release (they
// died, or lost the store that long), and those given up with Abandon.
// cursor is "" for the first call; next is the cursor of the following
// call, "" when the whole outbox was looked at.
func (o *Outbox) Reclaim(ctx context.Context, tenant, cursor string, n int) (ds []Delivery, next string, err error) {
	key, err := o.key(tenant)
	if err != nil {
		return nil, "", err
	}
	start := cursor
	if start == "" {
		start = "0-0"
	}
	msgs, next, err := o.l.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{Stream: key, Group: o.group,
		Consumer: o.consumer, MinIdle: o.claimIdle, Start: start, Count: batchSize(n)}).Result()
	if redis.HasErrorPrefix(err, "NOGROUP") {
		o.forgetGroup(key)
		return nil, "", nil // no group, nothing held by anyone
	}
	if err != nil {
		return nil, "", wrapf("ledger: outbox %q: reclaim: %w", tenant, err)
	}
	o.joined(key)
	if next == "0-0" || next == start {
		next = ""
	}
	return decodeDeliveries(tenant, msgs), next, nil
}

// decodeDeliveries turns stream entries into deliveries; an entry that
// cannot be read is reported in its Err, never dropped, so that the
// sender settles it.
func decodeDeliveries(tenant string, msgs []redis.XMessage) []Delivery {
	out := make([]Delivery, 0, len(msgs))
	for _, m := range msgs {
		d := Delivery{Tenant: tenant, ID: m.ID}
		if len(m.Values) == 0 {
			// Pending, but deleted from the stream: nothing to send.
			d.Err = ErrEntryGone
			out = append(out, d)
			continue
		}
		d.Request, _ = m.Values["req"].(string)
		data, _ := m.Values["data"].(string)
		if err := json.Unmarshal([]byte(data), &d.Entry); err != nil {
			d.Err = fmt.Errorf("%w: %v", ErrEntryUnreadable, err)
		}
		out = append(out, d)
	}
	return out
}

// holdScript checks that an entry is pending on this consumer and renews
// its hold (its idle time starts again), in one step. With ARGV[4] "1" it
// also counts an attempt. Returns the delivery count, or -1 when the entry
// is not held by this consumer.
//
// An entry id is unique only while its stream lives: a stream deleted and
// written again within the same millisecond reuses ids, so the entry's
// request id must match too.
//
// KEYS[1] the outbox. ARGV: group, consumer, entry id, "1" to count, the
// entry's request id ("" for the desk-wide outbox's).
var holdScript = redis.NewScript(`
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #p == 0 or p[1][2] ~= ARGV[2] then return -1 end
if ARGV[5] ~= '' then
  local e = redis.call('XRANGE', KEYS[1], ARGV[3], ARGV[3])
  if #e == 1 then
    local f = e[1][2]
    for i = 1, #f, 2 do
      if f[i] == 'req' and f[i+1] ~= ARGV[5] then return -1 end
    end
  end
end
local n = tonumber(p[1][4])
if ARGV[4] == '1' then n = n + 1 end
local c = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'RETRYCOUNT', n, 'JUSTID')
if #c == 0 then return -1 end
return n
`)

// Begin checks, just before an attempt, that d is still held by this
// consumer, and renews the hold so that no other consumer reclaims it
// while the attempt runs (it must end within claimIdle). It returns the
// delivery count, or ErrNotHeld when the entry is no longer this
// consumer's: the sender drops it without sending.
func (o *Outbox) Begin(ctx context.Context, d Delivery) (int, error) {
	return o.hold(ctx, d, false)
}

// Release records a failed attempt that may succeed later: the entry stays
// held by this consumer, its delivery count grows by one, and its hold is
// renewed. It returns the new count, or ErrNotHeld.
func (o *Outbox) Release(ctx context.Context, d Delivery) (int, error) {
	return o.hold(ctx, d, true)
}

func (o *Outbox) hold(ctx context.Context, d Delivery, count bool) (int, error) {
	key, err := o.key(d.Tenant)
	if err != nil {
		return 0, err
	}
	c := "0"
	if count {
		c = "1"
	}
	n, err := holdScript.Run(ctx, o.l.rdb, []string{key}, o.group, o.consumer, d.ID, c, d.Request).Int()
	if redis.HasErrorPrefix(err, "NOGROUP") {
		o.forgetGroup(key)
		return 0, ErrNotHeld // the stream or its group is gone, and the entry with it
	}
	if err != nil {
		return 0, wrapf("ledger: outbox %q: hold entry %s: %w", d.Tenant, d.ID, err)
	}
	if n < 0 {
		return 0, ErrNotHeld
	}
	return n, nil
}

// Ack settles a delivered entry: it is acknowledged and deleted in one
// step (MULTI/EXEC on its one key), so that the outbox holds exactly the
// replies still to send. Never call it before the server accepted the
// reply. Acknowledging an entry twice, or one another consumer settled,
// does nothing.
func (o *Outbox) Ack(ctx context.Context, d Delivery) error {
	if err := o.settle(ctx, d); err != nil {
		return wrapf("ledger: outbox %q: acknowledge %s: %w", d.Tenant, d.ID, err)
	}
	return nil
}

// Fail settles an entry that can never be sent (the server refused it for
// good, or it cannot be read): it leaves the outbox exactly as Ack would,
// without a delivery.
func (o *Outbox) Fail(ctx context.Context, d Delivery) error {
	if err := o.settle(ctx, d); err != nil {
		return wrapf("ledger: outbox %q: settle %s: %w", d.Tenant, d.ID, err)
	}
	return nil
}

func (o *Outbox) settle(ctx context.Context, d Delivery) error {
	key, err := o.key(d.Tenant)
	if err != nil {
		return err
	}
	pipe := o.l.rdb.TxPipeline()
	pipe.XAck(ctx, key, o.group, d.ID)
	pipe.XDel(ctx, key, d.ID)
	_, err = pipe.Exec(ctx)
	if redis.HasErrorPrefix(err, "NOGROUP") {
		// The group is gone; the entry must still leave the outbox.
		o.forgetGroup(key)
		err = o.l.rdb.XDel(ctx, key, d.ID).Err()
	}
	return err
}

// abandonScript hands an entry held by this consumer to the abandoned
// consumer, counting the attempt, and makes it look idle for long so that
// the next Reclaim of any consumer takes it. Returns the delivery count,
// or -1 when the entry is not held by this consumer.
//
// KEYS[1] the outbox. ARGV: group, consumer, entry id, the abandoned
// consumer, its idle time in milliseconds.
var abandonScript = redis.NewScript(`
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #p == 0 or p[1][2] ~= ARGV[2] then return -1 end
local n = tonumber(p[1][4]) + 1
local c = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[4], 0, ARGV[3], 'IDLE', ARGV[5], 'RETRYCOUNT', n, 'JUSTID')
if #c == 0 then return -1 end
return n
`)

// Abandon gives up an entry this consumer holds, after a failed attempt,
// for another consumer to take at once: it stays in the outbox, its
// attempt is counted, and a nudge asks live senders to reclaim it. A
// consumer that is about to exit and will not come back (`mail ingest`)
// abandons what it could not deliver, so that the reply waits for nobody's
// claimIdle. Abandoning an entry that is no longer held does nothing.
func (o *Outbox) Abandon(ctx context.Context, d Delivery) error {
	key, err := o.key(d.Tenant)
	if err != nil {
		return err
	}
	err = abandonScript.Run(ctx, o.l.rdb, []string{key}, o.group, o.consumer, d.ID, abandonedConsumer,
		strconv.FormatInt(abandonedIdle.Milliseconds(), 10)).Err()
	if redis.HasErrorPrefix(err, "NOGROUP") {
		o.forgetGroup(key)
		return nil
	}
	if err != nil {
		return wrapf("ledger: outbox %q: abandon %s: %w", d.Tenant, d.ID, err)
	}
	// Not part of the step: a lost nudge only delays the reply until the
	// senders' periodic scan.
	if err := o.l.rdb.XAdd(ctx, &redis.XAddArgs{Stream: KeyWake, MaxLen: 10000, Approx: true,
		Values: []any{"tenant", d.Tenant, "reclaim", "1"}}).Err(); err != nil {
		o.l.log.Warn("outbox wake-up not sent", "tenant", d.Tenant, "err", err)
	}
	return nil
}

// leaveScript removes a consumer from a group unless it still holds
// entries (removing it would orphan them). KEYS[1] the outbox. ARGV:
// group, consumer.
var leaveScript = redis.NewScript(`
local p = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if #p > 0 then return 0 end
redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
return 1
`)

// Leave removes this consumer from the group of every outbox it read,
// where it holds nothing. A consumer that will not come back under the same
// name (`mail ingest`, one per run) leaves, or the group keeps its name
// forever. A consumer still holding entries stays, so that they can be
// reclaimed.
func (o *Outbox) Leave(ctx context.Context) error {
	o.mu.Lock()
	keys := make([]string, 0, len(o.read))
	for k := range o.read {
		keys = append(keys, k)
	}
	o.mu.Unlock()
	for _, k := range keys {
		left, err := leaveScript.Run(ctx, o.l.rdb, []string{k}, o.group, o.consumer).Int()
		if redis.HasErrorPrefix(err, "NOGROUP") {
			left, err = 1, nil
		}
		if err != nil {
			return wrapf("ledger: outbox: leave: %w", err)
		}
		if left == 1 {
			o.mu.Lock()
			delete(o.read, k)
			o.mu.Unlock()
		}
	}
	return nil
}

// Scan lists the outboxes that hold entries, the desk-wide one first: the
// periodic scan that finds entries whose nudge a crash lost, and entries a
// dead consumer held. Empty outboxes are skipped in one pipelined XLEN, so
// a scan costs one round trip for tenants with nothing to send.
func (o *Outbox) Scan(ctx context.Context) ([]string, error) {
	tenants, err := o.l.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(tenants)+1)
	names = append(names, "")
	names = append(names, tenants...)
	pipe := o.l.rdb.Pipeline()
	lens := make([]*redis.IntCmd, len(names))
	for i, t := range names {
		key := KeyGlobalOutbox
		if t != "" {
			key = OutboxKey(t)
		}
		lens[i] = pipe.XLen(ctx, key)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, wrapf("ledger: outbox: scan: %w", err)
	}
	var out []string
	for i, c := range lens {
		if c.Val() > 0 {
			out = append(out, names[i])
		}
	}
	return out, nil
}

// WakeStart is where following the wake-up stream starts: its newest
// nudge. Read it before the first Scan, so that no nudge falls between the
// scan and the first Wait (starting from "now" would leave that gap).
func (o *Outbox) WakeStart(ctx context.Context) (string, error) {
	msgs, err := o.l.rdb.XRevRangeN(ctx, KeyWake, "+", "-", 1).Result()
	if err != nil {
		return "", wrapf("ledger: outbox: read the wake-up stream: %w", err)
	}
	if len(msgs) == 0 {
		return "0-0", nil
	}
	return msgs[0].ID, nil
}

// Wait waits up to block for nudges after the cursor after (from
// WakeStart, then from the previous Wait), and returns them with the next
// cursor. Several nudges of one outbox come back as one. No nudge within
// block returns none and the same cursor. A nudge naming no valid outbox
// is skipped.
func (o *Outbox) Wait(ctx context.Context, after string, block time.Duration) ([]Nudge, string, error) {
	res, err := o.l.rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{KeyWake, after}, Count: 1000,
		Block: max(block, time.Millisecond)}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, after, nil
	}
	if err != nil {
		return nil, after, wrapf("ledger: outbox: wait for the wake-up stream: %w", err)
	}
	next := after
	seen := map[string]int{}
	var out []Nudge
	for _, st := range res {
		for _, m := range st.Messages {
			next = m.ID
			t, _ := m.Values["tenant"].(string)
			if t != "" && !ValidTenantID(t) {
				continue
			}
			reclaim := m.Values["reclaim"] == "1"
			if i, ok := seen[t]; ok {
				out[i].Reclaim = out[i].Reclaim || reclaim
				continue
			}
			seen[t] = len(out)
			out = append(out, Nudge{Tenant: t, Reclaim: reclaim})
		}
	}
	return out, next, nil
}
