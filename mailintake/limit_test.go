package mailintake_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/licensedesk/licensedesk/ledger"
	"github.com/licensedesk/licensedesk/mailintake"
)

func contactMail(id, body string) []byte {
	return []byte("From: Jean Dupont <it@contoso.com>\r\nTo: " + deskAddr + "\r\nSubject: Licences\r\n" +
		"Message-ID: <" + id + ">\r\nDate: Fri, 20 Nov 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n")
}

// SPEC §4.4 (issue 8, defects 1 and 2): the per-sender reply limit counts
// distinct messages only and holds back replies, never requests.
func TestTheReplyLimitNeverLosesARequest(t *testing.T) {
	desk := newCorpusDesk(t)
	ctx := context.Background()
	ingest := func(t *testing.T, in *mailintake.Intake, raw []byte) mailintake.Outcome {
		t.Helper()
		out, err := in.Ingest(ctx, bytes.NewReader(raw), mailintake.Source{}, false)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	newIn := func(t *testing.T, l *ledger.Ledger, perHour int) *mailintake.Intake {
		in, err := mailintake.New(mailintake.Config{Desk: deskAddr, RepliesPerHour: perHour}, l, nil)
		if err != nil {
			t.Fatal(err)
		}
		return in
	}
	const add = "Bonjour, merci d'ajouter 2 licences Microsoft 365 Business Premium. Cordialement"

	t.Run("20 copies of one mail, then a new request: the request is applied and answered", func(t *testing.T) {
		l := desk.fresh(t)
		in := newIn(t, l, 2) // the copies used to use it up
		for i := range 20 {
			out := ingest(t, in, contactMail("copy@contoso.com", add))
			if i > 0 && out.Status != ledger.StatusDuplicate {
				t.Fatalf("copy %d: %s", i, out.Status)
			}
		}
		out := ingest(t, in, contactMail("new@contoso.com", strings.Replace(add, "2 licences", "1 licence", 1)))
		if out.Status != ledger.StatusApplied || out.Reply == nil {
			t.Fatalf("the new request: %s, reply %v (%+v)", out.Status, out.Reply != nil, out.Result.Errors)
		}
	})
	t.Run("over the limit a request is held for approval with one notice, and a retry is no refusal", func(t *testing.T) {
		l := desk.fresh(t)
		in := newIn(t, l, 2)
		for i := range 2 {
			if out := ingest(t, in, contactMail(fmt.Sprintf("m%d@contoso.com", i), add)); out.Reply == nil {
				t.Fatalf("message %d under the limit got no reply: %s", i, out.Status)
			}
		}
		held := ingest(t, in, contactMail("m2@contoso.com", add))
		if held.Status != ledger.StatusPendingApproval || held.Reply == nil {
			t.Fatalf("first over the limit: %s, reply %v", held.Status, held.Reply != nil)
		}
		silent := ingest(t, in, contactMail("m3@contoso.com", add))
		if silent.Status != ledger.StatusPendingApproval || silent.Reply != nil {
			t.Fatalf("second over the limit: %s, reply %v", silent.Status, silent.Reply != nil)
		}
		if again := ingest(t, in, contactMail("m3@contoso.com", add)); again.Status != ledger.StatusDuplicate || again.RequestID != silent.RequestID {
			t.Errorf("a retry of the held mail: %s %s", again.Status, again.RequestID)
		}
		if list, _ := l.Pending(ctx); len(list) != 2 {
			t.Errorf("%d requests wait for approval, want 2", len(list))
		}
	})
	t.Run("unreadable mail counts against the limit", func(t *testing.T) {
		l := desk.fresh(t)
		in, err := mailintake.New(mailintake.Config{Desk: deskAddr, RepliesPerHour: 5}, l, nil)
		if err != nil {
			t.Fatal(err)
		}
		long := strings.Repeat("x", 1100<<10) // a 1.1 MB line: over MaxLineBytes
		replies := 0
		for i := range 30 {
			out := ingest(t, in, contactMail(fmt.Sprintf("big%d@contoso.com", i), long))
			if out.Status != ledger.StatusRefused {
				t.Fatalf("message %d: %s", i, out.Status)
			}
			if out.Reply != nil {
				replies++
			}
		}
		if replies != 5 {
			t.Errorf("%d replies to 30 unreadable mails, want the limit of 5", replies)
		}
	})
}
