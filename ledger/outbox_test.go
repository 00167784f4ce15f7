package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/licensedesk/licensedesk/internal/testredis"
	"github.com/licensedesk/licensedesk/ledger"
	"github.com/redis/go-redis/v9"
)

// These tests hold the outbox to its contract (ledger/outbox.go) on a real
// redis-server.

const senders = "senders"

// queueReply records an emailed question of contoso, which queues one
// reply in contoso's outbox, and returns its request id.
func queueReply(t *testing.T, l *ledger.Ledger, msgID string) string {
	t.Helper()
	res, err := l.Record(context.Background(), ledger.Request{Tenant: "contoso",
		Requester: ledger.Requester{ID: "it@contoso.com"},
		Origin:    ledger.Origin{Channel: ledger.ChannelEmail, From: "it@contoso.com", MessageID: msgID, Subject: "hello"}},
		ledger.Result{Status: ledger.StatusNeedsClarification}, true)
	if err != nil {
		t.Fatalf("record: %v", err)
	}
	return res.RequestID
}

func outboxStore(t *testing.T) (*ledger.Ledger, redis.UniversalClient) {
	t.Helper()
	l, _, rdb := seeded(t, testredis.New(t))
	return l, rdb
}

func outboxLen(t *testing.T, l *ledger.Ledger, tenant string) int64 {
	t.Helper()
	n, err := l.OutboxLen(context.Background(), tenant)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func next(t *testing.T, o *ledger.Outbox, tenant string) []ledger.Delivery {
	t.Helper()
	ds, err := o.Next(context.Background(), tenant, 100)
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	return ds
}

func ids(ds []ledger.Delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Entry.RequestID)
	}
	return out
}

func TestAnEntryIsHandedOutDecodedOnceAndLeavesTheOutboxWhenAcknowledged(t *testing.T) {
	l, _ := outboxStore(t)
	ctx := context.Background()
	id := queueReply(t, l, "q1@contoso.com")
	a := l.Outbox(senders, "a", time.Hour)
	b := l.Outbox(senders, "b", time.Hour)

	ds := next(t, a, "contoso")
	if len(ds) != 1 || ds[0].Err != nil || ds[0].Tenant != "contoso" || ds[0].Request != id {
		t.Fatalf("Next = %+v, want the one entry of %s", ds, id)
	}
	if e := ds[0].Entry; e.RequestID != id || e.Origin.From != "it@contoso.com" || e.Result.Status != ledger.StatusNeedsClarification {
		t.Errorf("entry %+v is not the reply the request queued", e)
	}
	if more := next(t, b, "contoso"); len(more) != 0 {
		t.Errorf("a second consumer was handed %v too", ids(more))
	}
	if n, err := a.Begin(ctx, ds[0]); err != nil || n != 1 {
		t.Errorf("Begin = %d, %v; want the first delivery", n, err)
	}
	if err := a.Ack(ctx, ds[0]); err != nil {
		t.Fatal(err)
	}
	if n := outboxLen(t, l, "contoso"); n != 0 {
		t.Errorf("the outbox holds %d entries after the acknowledgement, want 0", n)
	}
	if _, err := a.Begin(ctx, ds[0]); !errors.Is(err, ledger.ErrNotHeld) {
		t.Errorf("Begin after Ack: %v, want ErrNotHeld", err)
	}
	if err := a.Ack(ctx, ds[0]); err != nil {
		t.Errorf("a second Ack: %v, want nothing to happen", err)
	}
}

func TestAConsumerRestartedUnderTheSameNameFindsWhatItHeld(t *testing.T) {
	l, _ := outboxStore(t)
	var want []string
	for i := range 3 {
		want = append(want, queueReply(t, l, fmt.Sprintf("r%d@contoso.com", i)))
	}
	first := l.Outbox(senders, "host-a", time.Hour)
	if got := next(t, first, "contoso"); len(got) != 3 {
		t.Fatalf("Next handed %d entries, want 3", len(got))
	}

	// The process died; it comes back under the same name.
	again := l.Outbox(senders, "host-a", time.Hour)
	if got := next(t, again, "contoso"); len(got) != 0 {
		t.Errorf("Next handed %v again: they were already handed out", ids(got))
	}
	var got []ledger.Delivery
	after := ""
	for {
		page, err := again.Pending(context.Background(), "contoso", after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		got = append(got, page...)
		after = page[len(page)-1].ID
	}
	if fmt.Sprint(ids(got)) != fmt.Sprint(want) {
		t.Errorf("Pending = %v, want %v in order", ids(got), want)
	}
	other := l.Outbox(senders, "host-b", time.Hour)
	if page, err := other.Pending(context.Background(), "contoso", "", 10); err != nil || len(page) != 0 {
		t.Errorf("another consumer's Pending = %v, %v; want nothing", ids(page), err)
	}
}

func TestWhatADeadConsumerHeldIsReclaimedOnlyOnceIdleLongerThanClaimIdle(t *testing.T) {
	l, _ := outboxStore(t)
	ctx := context.Background()
	id := queueReply(t, l, "orphan@contoso.com")
	dead := l.Outbox(senders, "dead", time.Hour)
	held := next(t, dead, "contoso")
	if len(held) != 1 {
		t.Fatalf("Next = %v", ids(held))
	}

	patient := l.Outbox(senders, "patient", time.Hour)
	if ds, cur, err := patient.Reclaim(ctx, "contoso", "", 10); err != nil || len(ds) != 0 || cur != "" {
		t.Errorf("Reclaim within claimIdle = %v %q %v; want nothing", ids(ds), cur, err)
	}
	eager := l.Outbox(senders, "eager", time.Millisecond)
	var ds []ledger.Delivery
	for len(ds) == 0 {
		time.Sleep(5 * time.Millisecond) // past the millisecond of claimIdle
		var err error
		if ds, _, err = eager.Reclaim(ctx, "contoso", "", 10); err != nil {
			t.Fatal(err)
		}
	}
	if len(ds) != 1 || ds[0].Entry.RequestID != id {
		t.Fatalf("Reclaim = %v, want %s", ids(ds), id)
	}
	if n, err := eager.Begin(ctx, ds[0]); err != nil || n != 2 {
		t.Errorf("Begin after the reclaim = %d, %v; want the second delivery", n, err)
	}
	if _, err := dead.Begin(ctx, held[0]); !errors.Is(err, ledger.ErrNotHeld) {
		t.Errorf("the dead consumer's Begin = %v, want ErrNotHeld: it must not send it too", err)
	}
	if _, err := dead.Release(ctx, held[0]); !errors.Is(err, ledger.ErrNotHeld) {
		t.Errorf("the dead consumer's Release = %v, want ErrNotHeld", err)
	}
}

func TestReleaseCountsTheAttemptAndKeepsTheEntryHeld(t *testing.T) {
	l, _ := outboxStore(t)
	ctx := context.Background()
	queueReply(t, l, "retry@contoso.com")
	a := l.Outbox(senders, "a", time.Hour)
	d := next(t, a, "contoso")[0]
	steps := []struct {
		name string
		f    func(context.Context, ledger.Delivery) (int, error)
		want int
	}{
		{"the first Begin is delivery 1", a.Begin, 1},
		{"a Release counts the failed attempt", a.Release, 2},
		{"Begin after the Release sees it", a.Begin, 2},
		{"a second Release counts again", a.Release, 3},
	}
	for _, s := range steps {
		if n, err := s.f(ctx, d); err != nil || n != s.want {
			t.Errorf("%s: %d, %v; want %d", s.name, n, err, s.want)
		}
	}
	if n := outboxLen(t, l, "contoso"); n != 1 {
		t.Errorf("the outbox holds %d entries, want the released one kept", n)
	}
}

func TestAckOnlyRemovesWhatWasAcknowledged(t *testing.T) {
	l, _ := outboxStore(t)
	ctx := context.Background()
	var want []string
	for i := range 3 {
		want = append(want, queueReply(t, l, fmt.Sprintf("a%d@contoso.com", i)))
	}
	a := l.Outbox(senders, "a", time.Hour)
	ds := next(t, a, "contoso")
	if len(ds) != 3 {
		t.Fatalf("Next = %v", ids(ds))
	}
	if err := a.Ack(ctx, ds[1]); err != nil {
		t.Fatal(err)
	}
	if n := outboxLen(t, l, "contoso"); n != 2 {
		t.Errorf("the outbox holds %d entries, want 2", n)
	}
	left, err := a.Pending(ctx, "contoso", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ids(left)) != fmt.Sprint([]string{want[0], want[2]}) {
		t.Errorf("still held: %v, want %v", ids(left), []string{want[0], want[2]})
	}
	if err := a.Fail(ctx, ds[0]); err != nil {
		t.Fatal(err)
	}
	if n := outboxLen(t, l, "contoso"); n != 1 {
		t.Errorf("the outbox holds %d entries after a Fail, want 1", n)
	}
}

func TestADeletedOutboxGetsItsGroupBack(t *testing.T) {
	l, rdb := outboxStore(t)
	ctx := context.Background()
	queueReply(t, l, "before@contoso.com")
	a := l.Outbox(senders, "a", time.Hour)
	old := next(t, a, "contoso")
	if len(old) != 1 {
		t.Fatalf("Next = %v", ids(old))
	}
	// An operator deletes the stream (or the store was flushed): its group
	// goes with it, and the next commit makes a stream without one.
	if err := rdb.Del(ctx, ledger.OutboxKey("contoso")).Err(); err != nil {
		t.Fatal(err)
	}
	id := queueReply(t, l, "after@contoso.com")
	if got := next(t, a, "contoso"); len(got) != 1 || got[0].Entry.RequestID != id {
		t.Errorf("Next after the deletion = %v, want %s", ids(got), id)
	}
	if _, err := a.Begin(ctx, old[0]); !errors.Is(err, ledger.ErrNotHeld) {
		t.Errorf("Begin of an entry deleted with its outbox = %v, want ErrNotHeld", err)
	}
	// Without the group, Reclaim finds nothing rather than failing.
	if err := rdb.Del(ctx, ledger.OutboxKey("contoso")).Err(); err != nil {
		t.Fatal(err)
	}
	queueReply(t, l, "again@contoso.com")
	if ds, _, err := l.Outbox(senders, "b", 0).Reclaim(ctx, "contoso", "", 10); err != nil || len(ds) != 0 {
		t.Errorf("Reclaim without a group = %v, %v; want nothing", ids(ds), err)
	}
}

func TestEntriesThatCannotBeSentAreReportedForTheSenderToSettle(t *testing.T) {
	l, rdb := outboxStore(t)
	ctx := context.Background()
	if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: ledger.OutboxKey("contoso"),
		Values: []any{"req", "LD-BROKEN", "data", `{"kind": "result", "origin": `}}).Err(); err != nil {
		t.Fatal(err)
	}
	queueReply(t, l, "gone@contoso.com")
	a := l.Outbox(senders, "a", time.Hour)
	ds := next(t, a, "contoso")
	if len(ds) != 2 {
		t.Fatalf("Next = %+v", ds)
	}
	if !errors.Is(ds[0].Err, ledger.ErrEntryUnreadable) || ds[0].Request != "LD-BROKEN" {
		t.Errorf("the unreadable entry: %+v, want ErrEntryUnreadable with its request id", ds[0])
	}
	// The second is deleted behind the consumer's back while it holds it.
	if err := rdb.XDel(ctx, ledger.OutboxKey("contoso"), ds[1].ID).Err(); err != nil {
		t.Fatal(err)
	}
	held, err := a.Pending(ctx, "contoso", "", 10)
	if err != nil || len(held) != 2 || !errors.Is(held[1].Err, ledger.ErrEntryGone) {
		t.Fatalf("Pending = %+v, %v; want the deleted entry reported gone", held, err)
	}
	for _, d := range held {
		if err := a.Fail(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if left, err := a.Pending(ctx, "contoso", "", 10); err != nil || len(left) != 0 {
		t.Errorf("still held after Fail: %+v %v", left, err)
	}
	if n := outboxLen(t, l, "contoso"); n != 0 {
		t.Errorf("the outbox holds %d entries, want 0", n)
	}
}

func TestAnAbandonedEntryIsReclaimedAtOnceAndTheOneShotConsumerLeaves(t *testing.T) {
	l, rdb := outboxStore(t)
	ctx := context.Background()
	live := l.Outbox(senders, "serve", time.Hour)
	cursor, err := live.WakeStart(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id := queueReply(t, l, "ingest@contoso.com")
	once := l.Outbox(senders, "mail-ingest-1", time.Hour)
	ds := next(t, once, "contoso")
	if len(ds) != 1 {
		t.Fatalf("Next = %v", ids(ds))
	}
	if err := once.Leave(ctx); err != nil {
		t.Fatal(err)
	}
	if !hasConsumer(t, rdb, "mail-ingest-1") {
		t.Fatal("Leave removed a consumer that still held an entry: the entry would be orphaned")
	}
	if err := once.Abandon(ctx, ds[0]); err != nil {
		t.Fatal(err)
	}
	if err := once.Leave(ctx); err != nil {
		t.Fatal(err)
	}
	if hasConsumer(t, rdb, "mail-ingest-1") {
		t.Error("the one-shot consumer is still in the group after Leave")
	}

	// The live sender hears of it, and takes it at once although its
	// claimIdle is an hour.
	var nudges []ledger.Nudge
	for !containsReclaim(nudges, "contoso") {
		var got []ledger.Nudge
		got, cursor, err = live.Wait(ctx, cursor, 100*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		nudges = append(nudges, got...)
	}
	got, _, err := live.Reclaim(ctx, "contoso", "", 10)
	if err != nil || len(got) != 1 || got[0].Entry.RequestID != id {
		t.Fatalf("Reclaim = %v, %v; want %s", ids(got), err, id)
	}
	if n, err := live.Begin(ctx, got[0]); err != nil || n != 3 {
		t.Errorf("Begin = %d, %v; want delivery 3 (read, abandoned, reclaimed)", n, err)
	}
}

func hasConsumer(t *testing.T, rdb redis.UniversalClient, name string) bool {
	t.Helper()
	cs, err := rdb.XInfoConsumers(context.Background(), ledger.OutboxKey("contoso"), senders).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Name == name {
			return true
		}
	}
	return false
}

func containsReclaim(ns []ledger.Nudge, tenant string) bool {
	for _, n := range ns {
		if n.Tenant == tenant && n.Reclaim {
			return true
		}
	}
	return false
}

func TestScanListsTheOutboxesThatHoldEntries(t *testing.T) {
	l, _ := outboxStore(t)
	ctx := context.Background()
	o := l.Outbox(senders, "a", time.Hour)
	if got, err := o.Scan(ctx); err != nil || len(got) != 0 {
		t.Errorf("Scan of an empty desk = %q, %v", got, err)
	}
	queueReply(t, l, "scan@contoso.com")
	if _, err := l.ClaimGlobal(ctx, "stranger", &ledger.OutboxEntry{Kind: "result",
		Origin: ledger.Origin{Channel: ledger.ChannelEmail, From: "x@example.org"}}, 0); err != nil {
		t.Fatal(err)
	}
	got, err := o.Scan(ctx)
	if err != nil || fmt.Sprint(got) != fmt.Sprint([]string{"", "contoso"}) {
		t.Errorf("Scan = %q, %v; want the desk-wide outbox and contoso", got, err)
	}
	if ds := next(t, o, ""); len(ds) != 1 || ds[0].Entry.Origin.From != "x@example.org" {
		t.Errorf("the desk-wide outbox handed %+v", ds)
	}
	if _, err := o.Next(ctx, "Not A Tenant", 1); err == nil {
		t.Error("Next accepted an outbox name that is no tenant")
	}
}

func TestWaitReturnsTheNudgedOutboxesOnce(t *testing.T) {
	l, rdb := outboxStore(t)
	ctx := context.Background()
	o := l.Outbox(senders, "a", time.Hour)
	queueReply(t, l, "before-start@contoso.com") // before WakeStart: the scan's business
	cursor, err := o.WakeStart(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"contoso", "contoso", "../etc", ""} {
		if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: ledger.KeyWake, Values: []any{"tenant", v}}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	got, next, err := o.Wait(ctx, cursor, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint([]ledger.Nudge{{Tenant: "contoso"}, {Tenant: ""}}) {
		t.Errorf("Wait = %+v, want contoso once and the desk-wide outbox, the bad name skipped", got)
	}
	if got, again, err := o.Wait(ctx, next, 10*time.Millisecond); err != nil || len(got) != 0 || again != next {
		t.Errorf("a Wait with nothing new = %+v %q %v; want nothing and the same cursor", got, again, err)
	}
}
