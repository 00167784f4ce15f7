package sender

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licensedesk/licensedesk/ledger"
	"github.com/licensedesk/licensedesk/mailintake/reply"
	"github.com/redis/go-redis/v9"
)

func TestAReplyWrittenByACommitIsSentPromptlyAndAcknowledged(t *testing.T) {
	e := newEnv(t)
	s := e.newSender(e.fastConfig("a")) // the periodic scan is an hour away
	e.run(s)
	time.Sleep(300 * time.Millisecond) // past the start-up scan: only the nudge can help now

	start := time.Now()
	res := e.email("m1@contoso.com")
	got := e.mail.waitMessages(t, 1, 5*time.Second)
	if d := time.Since(start); d > time.Second {
		t.Errorf("the reply took %v; the wake-up nudge should make it prompt", d)
	}
	m := got[0]
	if m.To != "it@contoso.com" || m.From != "desk@licensedesk.test" {
		t.Errorf("envelope %s -> %s, want desk@licensedesk.test -> it@contoso.com", m.From, m.To)
	}
	if want := res.RequestID + ".result@licensedesk.test"; m.MessageID != want {
		t.Errorf("Message-ID %q, want %q", m.MessageID, want)
	}
	e.waitEmpty(contosoOutbox, 5*time.Second)
	if n := e.stats.sent.Load(); n != 1 {
		t.Errorf("Sent counted %d, want 1", n)
	}
}

func TestAnEntryWithoutItsNudgeIsFoundByThePeriodicScan(t *testing.T) {
	e := newEnv(t)
	cfg := e.fastConfig("a")
	cfg.ScanInterval = 300 * time.Millisecond
	e.run(e.newSender(cfg))
	time.Sleep(100 * time.Millisecond)

	// The commit wrote the entry, then the process died before the nudge.
	entry := ledger.OutboxEntry{Kind: "result", RequestID: "LD-01JD0000000000000000000001", Tenant: "contoso",
		Origin: ledger.Origin{Channel: ledger.ChannelEmail, From: "it@contoso.com", MessageID: "lost@contoso.com"}}
	data, _ := json.Marshal(entry)
	if err := e.rdb.XAdd(context.Background(), &redis.XAddArgs{Stream: contosoOutbox,
		Values: []any{"req", entry.RequestID, "data", string(data)}}).Err(); err != nil {
		t.Fatal(err)
	}
	if n, _ := e.rdb.XLen(context.Background(), ledger.KeyWake).Result(); n != 0 {
		t.Fatalf("the wake-up stream holds %d nudges; this test needs none", n)
	}
	got := e.mail.waitMessages(t, 1, 5*time.Second)
	if got[0].MessageID != entry.RequestID+".result@licensedesk.test" {
		t.Errorf("sent %q, want the entry's reply", got[0].MessageID)
	}
	e.waitEmpty(contosoOutbox, 5*time.Second)
}

func TestRepliesQueuedBeforeTheSenderStartsAreSentAtStart(t *testing.T) {
	e := newEnv(t)
	// A crash between the commit and the send: the entries and even their
	// nudges are there, no sender ran.
	e.email("early1@contoso.com")
	e.email("early2@contoso.com")
	if err := e.rdb.Del(context.Background(), ledger.KeyWake).Err(); err != nil {
		t.Fatal(err)
	}
	e.run(e.newSender(e.fastConfig("a")))
	e.mail.waitMessages(t, 2, 5*time.Second)
	e.waitEmpty(contosoOutbox, 5*time.Second)
}

func TestTemporaryFailuresAreRetriedAndTheReplySentOnce(t *testing.T) {
	cases := []struct {
		name  string
		stage string
		code  int
		times int
	}{
		{"451 on RCPT twice (greylisting)", "rcpt", 451, 2},
		{"452 after the data", "data", 452, 1},
		{"421 on MAIL (server closing)", "mail", 421, 2},
		{"451 on MAIL", "mail", 451, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.mail.failNext(c.stage, c.code, c.times)
			e.run(e.newSender(e.fastConfig("a")))
			res := e.email("m@contoso.com")
			e.mail.waitMessages(t, 1, 10*time.Second)
			e.waitEmpty(contosoOutbox, 5*time.Second)
			time.Sleep(300 * time.Millisecond)
			got := e.mail.messages()
			if len(got) != 1 || got[0].MessageID != res.RequestID+".result@licensedesk.test" {
				t.Fatalf("got %d messages %v, want the reply once", len(got), got)
			}
			if r := e.stats.retry.Load(); r != int64(c.times) {
				t.Errorf("Retry counted %d, want %d", r, c.times)
			}
			if f := e.stats.failed.Load(); f != 0 {
				t.Errorf("Failed counted %d, want 0", f)
			}
		})
	}
}

func TestWhileTheServerIsDownRepliesWaitAndAllLeaveOnceWhenItIsBack(t *testing.T) {
	e := newEnv(t)
	e.run(e.newSender(e.fastConfig("a")))
	e.mail.stop()
	for i := 0; i < 5; i++ {
		e.email(fmt.Sprintf("down%d@contoso.com", i))
	}
	time.Sleep(time.Second)
	if n := e.outboxLen(contosoOutbox); n != 5 {
		t.Fatalf("XLEN %d while the server is down, want the 5 replies kept", n)
	}
	if e.stats.retry.Load() == 0 {
		t.Errorf("no retry counted while the server was down")
	}
	if f := e.stats.failed.Load(); f != 0 {
		t.Errorf("Failed counted %d while the server was down; an outage must not drop replies", f)
	}
	e.mail.start()
	e.mail.waitMessages(t, 5, 10*time.Second)
	e.waitEmpty(contosoOutbox, 5*time.Second)
	time.Sleep(300 * time.Millisecond)
	got := e.mail.messages()
	seen := map[string]int{}
	for _, m := range got {
		seen[m.MessageID]++
	}
	if len(got) != 5 || len(seen) != 5 {
		t.Fatalf("got %d messages with %d distinct ids, want 5 replies once each: %v", len(got), len(seen), seen)
	}
}

func TestA550IsDroppedAcknowledgedAndNeverRetried(t *testing.T) {
	e := newEnv(t)
	e.mail.reject["gone@contoso.com"] = 550
	e.run(e.newSender(e.fastConfig("a")))
	e.record("gone@contoso.com", "bounce@contoso.com")
	e.waitEmpty(contosoOutbox, 5*time.Second)
	time.Sleep(500 * time.Millisecond) // several backoffs: a retry would show
	if n := e.mail.rcptCount("gone@contoso.com"); n != 1 {
		t.Errorf("RCPT tried %d times, want 1", n)
	}
	if f := e.stats.failed.Load(); f != 1 {
		t.Errorf("Failed counted %d, want 1", f)
	}
	// The connection is still good for the next reply (RSET after the
	// refused transaction).
	e.email("after@contoso.com")
	got := e.mail.waitMessages(t, 1, 5*time.Second)
	if got[0].To != "it@contoso.com" {
		t.Errorf("next reply went to %s", got[0].To)
	}
}

func TestAnEntryLeftByADeadSenderIsClaimedAfterClaimIdle(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.email("orphan@contoso.com")
	// The dead sender read the entry, then died before sending it.
	if err := e.rdb.XGroupCreateMkStream(ctx, contosoOutbox, DefaultGroup, "0").Err(); err != nil {
		t.Fatal(err)
	}
	read, err := e.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: DefaultGroup, Consumer: "dead",
		Streams: []string{contosoOutbox, ">"}, Count: 10, Block: -1}).Result()
	if err != nil || len(read) != 1 || len(read[0].Messages) != 1 {
		t.Fatalf("dead sender's read: %v %v", read, err)
	}
	readAt := time.Now()

	cfg := e.fastConfig("alive")
	cfg.ClaimIdle = time.Second
	cfg.ScanInterval = 100 * time.Millisecond
	e.run(e.newSender(cfg))
	got := e.mail.waitMessages(t, 1, 10*time.Second)
	if d := got[0].At.Sub(readAt); d < time.Second {
		t.Errorf("claimed after %v, before ClaimIdle (1s): the other sender might still be alive", d)
	}
	e.waitEmpty(contosoOutbox, 5*time.Second)
	time.Sleep(200 * time.Millisecond)
	if n := len(e.mail.messages()); n != 1 {
		t.Errorf("sent %d times, want 1", n)
	}
}

func TestACrashAfterTheServerAcceptedSendsTheReplyAtMostTwice(t *testing.T) {
	// crashOnAccept makes a sender die between the server's 250 and the
	// XACK, the way kill -9 would: its Run stops, nothing is acknowledged.
	crashOnAccept := func(t *testing.T, e *env, consumer string) {
		t.Helper()
		cfg := e.fastConfig(consumer)
		cfg.ClaimIdle = time.Second
		first := e.newSender(cfg)
		ctx, cancel := context.WithCancel(context.Background())
		first.afterAccept = func(string) {
			cancel()
			panic("kill -9 between the 250 and the XACK")
		}
		done := make(chan error, 1)
		go func() { done <- first.Run(ctx) }()
		e.email("crash@contoso.com")
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("the first sender did not stop")
		}
		if n := e.pendingCount(contosoOutbox); n != 1 {
			t.Fatalf("XPENDING %d after the crash, want the entry still pending", n)
		}
		if n := len(e.mail.messages()); n != 1 {
			t.Fatalf("%d messages before the crash, want 1", n)
		}
	}

	t.Run("another sender claims it after ClaimIdle and sends it again", func(t *testing.T) {
		e := newEnv(t)
		crashOnAccept(t, e, "first")
		cfg := e.fastConfig("second")
		cfg.ClaimIdle = time.Second
		cfg.ScanInterval = 100 * time.Millisecond
		e.run(e.newSender(cfg))
		e.waitEmpty(contosoOutbox, 10*time.Second)
		time.Sleep(300 * time.Millisecond)
		assertTwiceSameID(t, e.mail.messages())
	})
	t.Run("the same consumer restarted finds its pending entry at once", func(t *testing.T) {
		e := newEnv(t)
		crashOnAccept(t, e, "a")
		start := time.Now()
		e.run(e.newSender(e.fastConfig("a"))) // ClaimIdle 10s: only its own pending list can explain a prompt send
		e.waitEmpty(contosoOutbox, 5*time.Second)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("restarted sender took %v", d)
		}
		time.Sleep(300 * time.Millisecond)
		assertTwiceSameID(t, e.mail.messages())
	})
	t.Run("a panic after the 250 in a live sender does not send again", func(t *testing.T) {
		e := newEnv(t)
		s := e.newSender(e.fastConfig("a"))
		var panicked atomic.Bool
		s.afterAccept = func(string) {
			if panicked.CompareAndSwap(false, true) {
				panic("a bug after the 250")
			}
		}
		e.run(s)
		e.email("panic@contoso.com")
		e.waitEmpty(contosoOutbox, 10*time.Second)
		time.Sleep(300 * time.Millisecond)
		if n := len(e.mail.messages()); n != 1 || !panicked.Load() {
			t.Errorf("sent %d times (panicked: %v), want once: the sender knows the server accepted it", n, panicked.Load())
		}
	})
}

func assertTwiceSameID(t *testing.T, got []received) {
	t.Helper()
	if len(got) != 2 {
		t.Fatalf("sent %d times, want exactly twice (once before the crash, once after)", len(got))
	}
	if got[0].MessageID == "" || got[0].MessageID != got[1].MessageID {
		t.Errorf("Message-IDs %q and %q differ: the receiver cannot suppress the duplicate", got[0].MessageID, got[1].MessageID)
	}
}

func TestTwoHundredRequestsGetTwoHundredRepliesEachOnce(t *testing.T) {
	e := newEnv(t)
	// Two senders compete for the same outbox.
	e.run(e.newSender(e.fastConfig("a")))
	e.run(e.newSender(e.fastConfig("b")))
	want := map[string]bool{}
	for i := 0; i < 200; i++ {
		res := e.record(fmt.Sprintf("user%03d@contoso.com", i), fmt.Sprintf("bulk%03d@contoso.com", i))
		want[res.RequestID+".result@licensedesk.test"] = true
	}
	e.mail.waitMessages(t, 200, 30*time.Second)
	e.waitEmpty(contosoOutbox, 5*time.Second)
	time.Sleep(300 * time.Millisecond)
	got := e.mail.messages()
	seen := map[string]int{}
	for _, m := range got {
		seen[m.MessageID]++
		if !want[m.MessageID] {
			t.Errorf("unexpected message %q", m.MessageID)
		}
	}
	if len(got) != 200 || len(seen) != 200 {
		t.Fatalf("%d sends, %d distinct; want 200 replies once each", len(got), len(seen))
	}
	if n := e.stats.sent.Load(); n != 200 {
		t.Errorf("Sent counted %d, want 200", n)
	}
	if n := e.mail.conns.Load(); n > 10 {
		t.Errorf("%d SMTP connections for 200 replies; each sender should reuse its own", n)
	}
}

func TestAConnectionTheServerDroppedIsReplacedWithoutARetry(t *testing.T) {
	e := newEnv(t)
	e.run(e.newSender(e.fastConfig("a")))
	e.email("first@contoso.com")
	e.mail.waitMessages(t, 1, 5*time.Second)
	e.mail.stop() // drops the connection the sender keeps
	e.mail.start()
	start := time.Now()
	e.email("second@contoso.com")
	e.mail.waitMessages(t, 2, 5*time.Second)
	if d := time.Since(start); d > time.Second {
		t.Errorf("the second reply took %v", d)
	}
	if r := e.stats.retry.Load(); r != 0 {
		t.Errorf("Retry counted %d; a stale connection is replaced, not retried", r)
	}
	if n := e.mail.conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2 (the first, then its replacement)", n)
	}
}

func TestARequestApprovedInSlackIsAnsweredByMailTheSameWay(t *testing.T) {
	e := newEnv(t)
	e.run(e.newSender(e.fastConfig("a")))
	ctx := context.Background()
	res, err := e.l.Submit(ctx, ledger.Request{Tenant: "contoso", Requester: ledger.Requester{ID: "it@contoso.com"},
		Origin: ledger.Origin{Channel: ledger.ChannelEmail, From: "it@contoso.com", MessageID: "remove@contoso.com"},
		Ops:    []ledger.Op{{Kind: ledger.OpRemove, SKU: "SPB", Quantity: 1}}})
	if err != nil || res.Status != ledger.StatusPendingApproval {
		t.Fatalf("submit: %v %v, want pending_approval", res.Status, err)
	}
	e.mail.waitMessages(t, 1, 5*time.Second)
	dec, err := e.l.Decide(ctx, res.RequestID, ledger.Requester{ID: "U0BILL", Roles: []ledger.Role{ledger.RoleBilling}}, true, "")
	if err != nil || dec.Status == ledger.StatusRefused {
		t.Fatalf("decide: %+v %v", dec, err)
	}
	got := e.mail.waitMessages(t, 2, 5*time.Second)
	ids := []string{got[0].MessageID, got[1].MessageID}
	want := []string{res.RequestID + ".pending@licensedesk.test", res.RequestID + ".decision@licensedesk.test"}
	if ids[0] != want[0] || ids[1] != want[1] {
		t.Errorf("sent %v, want %v", ids, want)
	}
	e.waitEmpty(contosoOutbox, 5*time.Second)
}

func TestTheDeskWideOutboxIsSent(t *testing.T) {
	e := newEnv(t)
	e.run(e.newSender(e.fastConfig("a")))
	ok, err := e.l.ClaimGlobal(context.Background(), "stranger-msg", &ledger.OutboxEntry{Kind: "result",
		Origin: ledger.Origin{Channel: ledger.ChannelEmail, From: "stranger@example.org", MessageID: "s1@example.org"},
		Result: ledger.Result{Status: ledger.StatusRefused}}, 0)
	if err != nil || ok != ledger.Claimed {
		t.Fatalf("claim: %v %v", ok, err)
	}
	got := e.mail.waitMessages(t, 1, 5*time.Second)
	if got[0].To != "stranger@example.org" {
		t.Errorf("sent to %s", got[0].To)
	}
	e.waitEmpty(ledger.KeyGlobalOutbox, 5*time.Second)
}

func TestUnreadableAndAddresslessEntriesAreAcknowledgedWithoutSending(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	nobody, _ := json.Marshal(ledger.OutboxEntry{Kind: "result", RequestID: "LD-01JD0000000000000000000002",
		Origin: ledger.Origin{Channel: ledger.ChannelEmail}})
	for _, data := range []string{`{"kind": "result", "origin": `, string(nobody)} {
		if err := e.rdb.XAdd(ctx, &redis.XAddArgs{Stream: contosoOutbox, Values: []any{"req", "x", "data", data}}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	e.run(e.newSender(e.fastConfig("a")))
	e.waitEmpty(contosoOutbox, 5*time.Second)
	if n := len(e.mail.messages()); n != 0 {
		t.Errorf("%d messages sent, want none", n)
	}
	if n := e.comp.calls.Load(); n != 0 {
		t.Errorf("composer called %d times, want 0", n)
	}
	if f := e.stats.failed.Load(); f != 1 {
		t.Errorf("Failed counted %d, want 1 (the unreadable entry)", f)
	}
	if !strings.Contains(e.logs.String(), "unreadable") {
		t.Errorf("the poison entry was not logged")
	}
}

func TestTheRealComposerThreadsTheReplyAndKeepsItsMessageID(t *testing.T) {
	e := newEnv(t)
	c, err := reply.NewComposer("desk@licensedesk.test", "Licence desk", e.l.Catalog())
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(e.fastConfig("a"), e.l, c, nil, e.stats)
	if err != nil {
		t.Fatal(err)
	}
	s.wakeBlock = 100 * time.Millisecond
	e.run(s)
	e.email("orig-1@contoso.com")
	got := e.mail.waitMessages(t, 1, 5*time.Second)
	msg, err := mail.ReadMessage(bytes.NewReader(got[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	if v := msg.Header.Get("In-Reply-To"); v != "<orig-1@contoso.com>" {
		t.Errorf("In-Reply-To %q", v)
	}
	if v := msg.Header.Get("Auto-Submitted"); v != "auto-replied" {
		t.Errorf("Auto-Submitted %q", v)
	}
	if !regexp.MustCompile(`^LD-[0-9A-Z]{26}\.result\.[0-9a-f]+@licensedesk\.test$`).MatchString(got[0].MessageID) {
		t.Errorf("Message-ID %q is not the desk's", got[0].MessageID)
	}
	e.waitEmpty(contosoOutbox, 5*time.Second)

	// A resend of the same entry carries the same Message-ID.
	var entry ledger.OutboxEntry
	entry.Kind, entry.Tenant = "result", "contoso"
	entry.RequestID = strings.SplitN(got[0].MessageID, ".", 2)[0]
	entry.Origin = ledger.Origin{Channel: ledger.ChannelEmail, From: "it@contoso.com", MessageID: "orig-1@contoso.com"}
	entry.At = testNow
	for i := 0; i < 2; i++ {
		if err := s.SendOnce(context.Background(), entry); err != nil {
			t.Fatal(err)
		}
	}
	got = e.mail.waitMessages(t, 3, 5*time.Second)
	if got[1].MessageID != got[2].MessageID {
		t.Errorf("two sends of one entry: Message-IDs %q and %q", got[1].MessageID, got[2].MessageID)
	}
}

func TestRunStopsPromptlyAndSaysGoodbye(t *testing.T) {
	e := newEnv(t)
	s := e.newSender(e.fastConfig("a"))
	stop := e.run(s)
	e.email("bye@contoso.com")
	e.mail.waitMessages(t, 1, 5*time.Second)
	begin := time.Now()
	stop()
	if d := time.Since(begin); d > 2*time.Second {
		t.Errorf("Run took %v to return after its context ended", d)
	}
	if err := s.Run(canceled()); err != nil {
		t.Errorf("a second Run after the first returned: %v", err)
	}
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}
