package watch_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/licensedesk/licensedesk/internal/fault"
	"github.com/licensedesk/licensedesk/internal/testredis"
	"github.com/licensedesk/licensedesk/ledger"
	"github.com/licensedesk/licensedesk/mailintake"
	"github.com/licensedesk/licensedesk/mailintake/watch"
)

// These tests hold the watcher to DESIGN "Errors" against a real Dovecot,
// with the attempts counted in the ledger on a real redis-server: one way
// to fail, and no message ever blocks the mailbox.

// store is a ledger on a real redis-server, where the attempts live.
func store(t *testing.T) *ledger.Ledger {
	t.Helper()
	return ledger.New(testredis.New(t), nil, nil, nil)
}

func TestAPermanentFailureGoesToFailedAfterMaxAttemptsWhileTheNextMessageIsProcessed(t *testing.T) {
	t.Parallel()
	_, srv := dovecot(t)
	c := srv.client(t)
	appendMail(t, c, "INBOX", message("unreadable"), message("next"))

	fake := newFake(t, func(_ context.Context, cl call) error {
		if cl.subject == "unreadable" {
			return fault.Permanent(errors.New("the pipeline cannot read this message"))
		}
		return nil
	})
	cfg := fastConfig(srv.url("INBOX")) // MaxAttempts 3
	cfg.Attempts = store(t)
	r := start(t, cfg, fake)
	waitContents(t, c, "Failed", "unreadable")
	waitContents(t, c, "Processed", "next")
	waitContents(t, c, "INBOX")

	var order []string
	for _, cl := range fake.Calls() {
		order = append(order, cl.subject)
	}
	if fmt.Sprint(order) != "[unreadable next unreadable unreadable]" {
		t.Errorf("Ingest calls %v, want the failing message three times, the next one in the first pass", order)
	}
	f := r.failures.get()
	if len(f) != 1 || f[0].subject != "unreadable" || !strings.Contains(fmt.Sprint(f[0].err), "cannot read") {
		t.Errorf("onFailed calls %+v, want one for the failing message with its error", f)
	}
	if _, done, failed, reconnects, _, _ := r.stats.get(); done != 1 || failed != 1 || reconnects != 0 {
		t.Errorf("stats: done %d failed %d reconnects %d; want 1, 1, and no reconnection for a bad message", done, failed, reconnects)
	}
}

func TestATemporaryFailureIsRetriedWithoutBeingCountedThenProcessed(t *testing.T) {
	t.Parallel()
	_, srv := dovecot(t)
	c := srv.client(t)
	appendMail(t, c, "INBOX", message("during an outage"), message("behind it"))

	// Five temporary failures, more than MaxAttempts (3): only an
	// uncounted retry gets the message through.
	fake := newFake(t, func(_ context.Context, cl call) error {
		if cl.subject == "during an outage" && cl.attempt <= 5 {
			return fault.Temporary(errors.New("ledger: store unavailable"))
		}
		return nil
	})
	cfg := fastConfig(srv.url("INBOX"))
	l := store(t)
	cfg.Attempts = l
	r := start(t, cfg, fake)
	waitContents(t, c, "Processed", "during an outage", "behind it")
	waitContents(t, c, "INBOX")

	if f := r.failures.get(); len(f) != 0 {
		t.Errorf("a temporary failure sent mail to Failed: %+v", f)
	}
	var order []string
	for _, cl := range fake.Calls() {
		order = append(order, cl.subject)
	}
	// The fault stops the pass: the message behind waits, in UID order.
	want := "[during an outage during an outage during an outage during an outage during an outage during an outage behind it]"
	if fmt.Sprint(order) != want {
		t.Errorf("Ingest calls %v, want the first message six times, then the one behind it", order)
	}
	if _, _, _, reconnects, _, _ := r.stats.get(); reconnects != 0 {
		t.Errorf("%d reconnections: a store fault is retried within the IMAP session", reconnects)
	}
	// Nothing of the attempts is left in the store.
	key := watch.AttemptKey(mailintake.Source{Mailbox: "INBOX", UIDValidity: fake.Calls()[0].src.UIDValidity, UID: fake.Calls()[0].src.UID})
	if n, err := l.StartAttempt(context.Background(), key); err != nil || n != 1 {
		t.Errorf("the next attempt would be number %d (%v), want 1: the processed message's count was forgotten", n, err)
	}
}

func TestAMessageThatKilledTheProcessGoesToFailedAfterTheRestart(t *testing.T) {
	t.Parallel()
	_, srv := dovecot(t)
	c := srv.client(t)
	appendMail(t, c, "INBOX", message("deadly"))
	l := store(t)

	// The first watcher dies in the pipeline: its Ingest never returns,
	// as if the process had been killed there.
	entered, release := make(chan call, 1), make(chan struct{})
	crashing := newFake(t, func(_ context.Context, cl call) error {
		entered <- cl
		<-release
		return errors.New("released at the end of the test")
	})
	cfg := fastConfig(srv.url("INBOX")) // MaxAttempts 3
	cfg.Attempts = l
	start(t, cfg, crashing)
	t.Cleanup(func() { close(release) }) // runs before the first watcher is stopped
	first := <-entered
	// Two more crashes, counted the same way: before the attempt began.
	key := watch.AttemptKey(first.src)
	for range 2 {
		if _, err := l.StartAttempt(context.Background(), key); err != nil {
			t.Fatal(err)
		}
	}

	// The restarted watcher, on the same store, recognises the message.
	restarted := newFake(t, nil)
	r := start(t, cfg, restarted)
	waitContents(t, c, "Failed", "deadly")
	if calls := restarted.Calls(); len(calls) != 0 {
		t.Errorf("the restarted watcher ingested %+v; a message that killed the process MaxAttempts times is not processed again", calls)
	}
	f := r.failures.get()
	if len(f) != 1 || f[0].subject != "deadly" || f[0].src != first.src || f[0].err == nil {
		t.Errorf("onFailed calls %+v, want one for the deadly message", f)
	}
}

func TestProcessedMessagesAreSeenAndFailedOnesAreNot(t *testing.T) {
	t.Parallel()
	_, srv := dovecot(t)
	c := srv.client(t)
	appendMail(t, c, "INBOX", message("handled"), message("broken"), message("also handled"))
	fake := newFake(t, func(_ context.Context, cl call) error {
		if cl.subject == "broken" {
			return errors.New("unreadable")
		}
		return nil
	})
	cfg := fastConfig(srv.url("INBOX"))
	cfg.Attempts = store(t)
	start(t, cfg, fake)
	waitContents(t, c, "Processed", "handled", "also handled")
	waitContents(t, c, "Failed", "broken")

	for subject, seen := range flagsIn(t, c, "Processed") {
		if !seen {
			t.Errorf("%q in Processed is not \\Seen: the desk's mail client shows it unhandled", subject)
		}
	}
	for subject, seen := range flagsIn(t, c, "Failed") {
		if seen {
			t.Errorf("%q in Failed is \\Seen: it needs the desk's attention", subject)
		}
	}
}

// flagsIn says, per subject in mailbox, whether the message is \Seen.
func flagsIn(t *testing.T, c *imapclient.Client, mailbox string) map[string]bool {
	t.Helper()
	if _, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatalf("select %s: %v", mailbox, err)
	}
	msgs, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{Envelope: true, Flags: true}).Collect()
	if err != nil {
		t.Fatalf("fetch %s: %v", mailbox, err)
	}
	out := map[string]bool{}
	for _, m := range msgs {
		out[m.Envelope.Subject] = slices.Contains(m.Flags, imap.FlagSeen)
	}
	if len(out) == 0 {
		t.Fatalf("%s is empty", mailbox)
	}
	return out
}
