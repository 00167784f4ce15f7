package watch_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/licensedesk/licensedesk/internal/fault"
)

// These tests run the watcher against a real Dovecot (SPEC §4.1, DESIGN
// "Tests"); the pipeline is a recording fake.

func TestMailWaitingAtStartIsProcessedInUIDOrderAndMovedToProcessed(t *testing.T) {
	t.Parallel()
	_, srv := dovecot(t)
	c := srv.client(t)
	appendMail(t, c, "INBOX", message("first"), message("second"), message("third"))
	_, uidValidity := contents(t, c, "INBOX")

	r := start(t, fastConfig(srv.url("INBOX")), newFake(t, nil))
	waitContents(t, c, "Processed", "first", "second", "third")
	waitContents(t, c, "INBOX")

	calls := r.fake.Calls()
	if len(calls) != 3 {
		t.Fatalf("Ingest called %d times, want 3: %+v", len(calls), calls)
	}
	for i, want := range []string{"first", "second", "third"} {
		got := calls[i]
		if got.subject != want || got.src.Mailbox != "INBOX" || got.src.UIDValidity != uidValidity {
			t.Errorf("call %d = %+v, want %q from INBOX with UIDVALIDITY %d", i, got, want, uidValidity)
		}
		if i > 0 && got.src.UID <= calls[i-1].src.UID {
			t.Errorf("call %d has UID %d after UID %d: not in UID order", i, got.src.UID, calls[i-1].src.UID)
		}
	}
	if _, done, _, _, lags, bad := r.stats.get(); done != 3 || lags != 3 || bad != 0 {
		t.Errorf("stats: done %d lags %d (bad %d), want 3 and 3 plausible lags", done, lags, bad)
	}
}

func TestMailAppendedWhileIdlingIsProcessed(t *testing.T) {
	t.Parallel()
	_, srv := dovecot(t)
	c := srv.client(t)
	cfg := fastConfig(srv.url("INBOX"))
	// Nothing but the server's EXISTS can wake the watcher within the test.
	cfg.Liveness, cfg.IdleRestart = 10*time.Minute, 20*time.Minute
	r := start(t, cfg, newFake(t, nil))
	r.waitLog(t, "idling", 1)

	appendMail(t, c, "INBOX", message("late"))
	waitContents(t, c, "Processed", "late")
	waitContents(t, c, "INBOX")
	if r.logs.count("IMAP session started") != 1 {
		t.Errorf("the watcher reconnected instead of hearing the EXISTS")
	}
}

func TestIngestErrorsLeaveTheMessageInTheMailboxForARetry(t *testing.T) {
	t.Parallel()
	_, srv := dovecot(t)
	c := srv.client(t)
	appendMail(t, c, "INBOX", message("flaky"))

	checked := make(chan []string)
	fake := newFake(t, func(_ context.Context, cl call) error {
		switch cl.attempt {
		case 1:
			return errors.New("redis: connection refused")
		case 2:
			// Fetched again: it stayed. Let the test look at the mailboxes.
			checked <- nil
			<-checked
			return errors.New("redis: connection refused")
		}
		return nil
	})
	start(t, fastConfig(srv.url("INBOX")), fake)

	<-checked
	inbox, _ := contents(t, srv.client(t), "INBOX")
	processed, _ := contents(t, srv.client(t), "Processed")
	checked <- nil
	if len(inbox) != 1 || len(processed) != 0 {
		t.Errorf("after a failed Ingest, INBOX holds %q and Processed %q; want the message still in INBOX", inbox, processed)
	}
	waitContents(t, c, "Processed", "flaky")
	if calls := fake.Calls(); len(calls) != 3 {
		t.Errorf("Ingest called %d times, want 3 (two failures, then success)", len(calls))
	}
}

func TestAMessageFailingMaxAttemptsTimesGoesToFailedAndTheDeskIsTold(t *testing.T) {
	t.Parallel()
	_, srv := dovecot(t)
	c := srv.client(t)
	appendMail(t, c, "INBOX", message("poison"), message("fine"))

	fake := newFake(t, func(_ context.Context, cl call) error {
		if cl.subject == "poison" {
			panic("the pipeline cannot read this message")
		}
		return nil
	})
	r := start(t, fastConfig(srv.url("INBOX")), fake) // MaxAttempts 3
	waitContents(t, c, "Failed", "poison")
	waitContents(t, c, "Processed", "fine")
	waitContents(t, c, "INBOX")

	var order []string
	for _, cl := range fake.Calls() {
		order = append(order, cl.subject)
	}
	// The message behind the failing one does not wait for it.
	if fmt.Sprint(order) != "[poison fine poison poison]" {
		t.Errorf("Ingest calls %v, want poison, fine in the same pass, then poison twice more", order)
	}
	f := r.failures.get()
	if len(f) != 1 || f[0].subject != "poison" || f[0].src.UID == 0 || f[0].src.UIDValidity == 0 || !strings.Contains(f[0].err.Error(), "cannot read this message") {
		t.Errorf("onFailed calls %+v, want one for poison with its source and error", f)
	}
	if _, done, failed, _, _, _ := r.stats.get(); done != 1 || failed != 1 {
		t.Errorf("stats: done %d failed %d, want 1 and 1", done, failed)
	}
}

// A store outage is not the message's fault: however many times Ingest
// fails for a temporary reason, the message waits in INBOX and is applied
// once the store is back.
func TestAnOutageNeverSendsMailToFailed(t *testing.T) {
	t.Parallel()
	_, srv := dovecot(t)
	c := srv.client(t)
	appendMail(t, c, "INBOX", message("during-outage"))
	fake := newFake(t, func(_ context.Context, cl call) error {
		if cl.attempt <= 6 { // twice MaxAttempts
			return fault.Temporary(errors.New("redis: connection refused"))
		}
		return nil
	})
	r := start(t, fastConfig(srv.url("INBOX")), fake)
	waitContents(t, c, "Processed", "during-outage")
	if f := r.failures.get(); len(f) != 0 {
		t.Errorf("an outage sent mail to Failed: %+v", f)
	}
	if calls := fake.Calls(); len(calls) != 7 {
		t.Errorf("Ingest called %d times, want 7 (six failures, then success)", len(calls))
	}
}

func TestTheWatcherSurvivesADovecotRestart(t *testing.T) {
	t.Parallel()
	dv, srv := dovecot(t)
	r := start(t, fastConfig(srv.url("INBOX")), newFake(t, nil))
	r.waitLog(t, "idling", 1)

	dv.Restart(t)
	c := srv.client(t)
	appendMail(t, c, "INBOX", message("after restart"))
	waitContents(t, c, "Processed", "after restart")
	if r.logs.count("IMAP session started") < 2 {
		t.Errorf("the watcher did not start a new session after the restart")
	}
	if _, _, _, reconnects, _, _ := r.stats.get(); reconnects < 1 {
		t.Errorf("no reconnection counted")
	}
}

func TestABurstOf200MessagesIsIngestedExactlyOnceEach(t *testing.T) {
	t.Parallel()
	_, srv := dovecot(t)
	r := start(t, fastConfig(srv.url("INBOX")), newFake(t, nil))
	r.waitLog(t, "idling", 1)

	const n = 200
	c := srv.client(t)
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("burst %03d", i))
		appendMail(t, c, "INBOX", message(want[i]))
	}
	waitContents(t, c, "Processed", want...)
	waitContents(t, c, "INBOX")

	perUID := map[uint32]int{}
	for _, cl := range r.fake.Calls() {
		perUID[cl.src.UID]++
	}
	if len(perUID) != n {
		t.Errorf("%d distinct UIDs ingested, want %d", len(perUID), n)
	}
	for uid, k := range perUID {
		if k != 1 {
			t.Errorf("UID %d ingested %d times", uid, k)
		}
	}
}

func TestStoppingFinishesTheMessageInHandBeforeRunReturns(t *testing.T) {
	t.Parallel()
	_, srv := dovecot(t)
	c := srv.client(t)
	appendMail(t, c, "INBOX", message("in hand"), message("next"))

	entered, release := make(chan struct{}), make(chan struct{})
	fake := newFake(t, func(ctx context.Context, cl call) error {
		if cl.subject == "in hand" {
			close(entered)
			<-release
			if ctx.Err() != nil {
				return fmt.Errorf("the message in hand lost its context: %w", ctx.Err())
			}
		}
		return nil
	})
	r := start(t, fastConfig(srv.url("INBOX")), fake)
	<-entered
	r.cancel() // SIGTERM
	select {
	case <-r.returned:
		t.Fatal("Run returned while a message was in hand")
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	r.stop(t)
	processed, _ := contents(t, c, "Processed")
	inbox, _ := contents(t, c, "INBOX")
	if fmt.Sprint(processed) != "[in hand]" || fmt.Sprint(inbox) != "[next]" {
		t.Errorf("after stopping, Processed holds %q and INBOX %q; want the message in hand moved, the next one left", processed, inbox)
	}
}

func TestMailInAnotherMailboxIsWatchedThere(t *testing.T) {
	t.Parallel()
	_, srv := dovecot(t)
	c := srv.client(t)
	appendMail(t, c, "Support/Licences", message("elsewhere"))
	appendMail(t, c, "INBOX", message("not mine"))

	cfg := fastConfig(srv.url("Support/Licences"))
	cfg.Processed, cfg.Failed = "Support/Done", "Support/Broken"
	r := start(t, cfg, newFake(t, nil))
	waitContents(t, c, "Support/Done", "elsewhere")
	waitContents(t, c, "INBOX", "not mine")
	if calls := r.fake.Calls(); len(calls) != 1 || calls[0].src.Mailbox != "Support/Licences" {
		t.Errorf("Ingest calls %+v, want one from Support/Licences", calls)
	}
	if _, v := contents(t, c, "Support/Broken"); v == 0 {
		t.Errorf("the Failed folder was not created")
	}
}

func TestAFolderDeletedWhileRunningIsCreatedAgain(t *testing.T) {
	t.Parallel()
	_, srv := dovecot(t)
	c := srv.client(t)
	r := start(t, fastConfig(srv.url("INBOX")), newFake(t, nil))
	r.waitLog(t, "idling", 1)

	if err := c.Delete("Processed").Wait(); err != nil {
		t.Fatal(err)
	}
	appendMail(t, c, "INBOX", message("homeless"))
	waitContents(t, c, "Processed", "homeless")
	waitContents(t, c, "INBOX")
	// Mended within the session (TRYCREATE), not by reconnecting.
	if n, created := r.logs.count("IMAP session started"), r.logs.count("created folder"); n != 1 || created != 3 {
		t.Errorf("%d sessions and %d folder creations, want 1 session and Processed created again", n, created)
	}
}
