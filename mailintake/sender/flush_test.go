package sender

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/licensedesk/licensedesk/ledger"
	"github.com/redis/go-redis/v9"
)

// These tests cover Flush, the delivery of `mail ingest`: one try, by a
// deadline, leaving what cannot be sent to the running senders.

func consumers(t *testing.T, e *env, stream string) []string {
	t.Helper()
	cs, err := e.rdb.XInfoConsumers(context.Background(), stream, DefaultGroup).Result()
	if err != nil && !redis.HasErrorPrefix(err, "NOGROUP") {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cs {
		names = append(names, c.Name)
	}
	return names
}

func TestFlushSendsWhatTheOutboxHoldsAcknowledgesItAndLeaves(t *testing.T) {
	e := newEnv(t)
	res := e.email("flush@contoso.com")
	s := e.newSender(e.fastConfig("mail-ingest-1"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	accepted, err := s.Flush(ctx, "contoso")
	if err != nil {
		t.Fatal(err)
	}
	want := res.RequestID + ".result@licensedesk.test"
	if !slices.Equal(accepted, []string{want}) {
		t.Errorf("accepted %v, want [%s]", accepted, want)
	}
	if got := e.mail.messages(); len(got) != 1 || got[0].MessageID != want {
		t.Errorf("the server got %v", got)
	}
	e.waitEmpty(contosoOutbox, 5*time.Second)
	if names := consumers(t, e, contosoOutbox); slices.Contains(names, "mail-ingest-1") {
		t.Errorf("the one-shot consumer stayed in the group: %v", names)
	}
}

func TestFlushLeavesWhatItCannotSendToARunningSenderAtOnce(t *testing.T) {
	e := newEnv(t)
	// The running sender's periodic scan is an hour away and its ClaimIdle
	// 10s: only the hand-over's nudge can explain a prompt send.
	e.run(e.newSender(e.fastConfig("serve")))
	time.Sleep(300 * time.Millisecond) // past its start-up scan
	e.mail.stop()
	entry := ledger.OutboxEntry{Kind: "result", RequestID: "LD-01JD0000000000000000000009", Tenant: "contoso",
		Origin: ledger.Origin{Channel: ledger.ChannelEmail, From: "it@contoso.com", MessageID: "later@contoso.com"}}
	data, _ := json.Marshal(entry)
	// Written without its nudge, so that the running sender does not take
	// it first, as it would the reply of a commit it heard of.
	if err := e.rdb.XAdd(context.Background(), &redis.XAddArgs{Stream: contosoOutbox,
		Values: []any{"req", entry.RequestID, "data", string(data)}}).Err(); err != nil {
		t.Fatal(err)
	}

	s := e.newSender(e.fastConfig("mail-ingest-2"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	accepted, err := s.Flush(ctx, "contoso")
	if err != nil || len(accepted) != 0 {
		t.Fatalf("Flush with the server down: %v, %v; want nothing accepted and no error", accepted, err)
	}
	if n := e.outboxLen(contosoOutbox); n != 1 {
		t.Fatalf("XLEN %d, want the reply kept", n)
	}
	if names := consumers(t, e, contosoOutbox); slices.Contains(names, "mail-ingest-2") {
		t.Errorf("the one-shot consumer stayed in the group: %v", names)
	}

	e.mail.start()
	got := e.mail.waitMessages(t, 1, 5*time.Second)
	if got[0].MessageID != entry.RequestID+".result@licensedesk.test" {
		t.Errorf("sent %q", got[0].MessageID)
	}
	e.waitEmpty(contosoOutbox, 5*time.Second)
}

func TestFlushRefusesToRunBesideRun(t *testing.T) {
	e := newEnv(t)
	s := e.newSender(e.fastConfig("a"))
	e.run(s)
	deadline := time.Now().Add(5 * time.Second)
	for !s.running.Load() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := s.Flush(context.Background(), "contoso"); err == nil {
		t.Error("Flush ran while Run held the connection")
	}
}
