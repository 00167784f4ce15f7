package ledger_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/licensedesk/licensedesk/ledger"
)

func emailed(from string, ops ...ledger.Op) ledger.Request {
	return ledger.Request{Tenant: "contoso", Requester: ledger.Requester{ID: from},
		Origin: ledger.Origin{Channel: ledger.ChannelEmail, From: from, MessageID: "m-" + time.Now().String()}, Ops: ops}
}

func outbox(t *testing.T, l *ledger.Ledger) []ledger.OutboxEntry {
	t.Helper()
	msgs, err := ledger.RedisOf(l).XRange(context.Background(), "ld:{t:contoso}:outbox", "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	var out []ledger.OutboxEntry
	for _, m := range msgs {
		var e ledger.OutboxEntry
		if err := json.Unmarshal([]byte(m.Values["data"].(string)), &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func TestApprovalPolicyForEmailedRequests(t *testing.T) {
	cases := []struct {
		name   string
		ops    []ledger.Op
		status ledger.Status
	}{
		{"a small addition applies at once", []ledger.Op{add(10, "SPB")}, ledger.StatusApplied},
		{"a large addition waits", []ledger.Op{add(11, "SPB")}, ledger.StatusPendingApproval},
		{"several additions count together", []ledger.Op{add(6, "SPB"), add(5, "ENTERPRISEPACK")}, ledger.StatusPendingApproval},
		{"every removal waits", []ledger.Op{remove(1, "SPB")}, ledger.StatusPendingApproval},
		{"a set that lowers the total waits", []ledger.Op{set(12, "SPB")}, ledger.StatusPendingApproval},
		{"assignments apply at once", []ledger.Op{assign("ENTERPRISEPACK", "dave@contoso.com")}, ledger.StatusApplied},
		{"a refused request is refused, not parked", []ledger.Op{add(1, "VISIOCLIENT")}, ledger.StatusRefused},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, _, _ := setup(t)
			before := figures(t, l, "contoso", "SPB")
			res, err := l.Submit(context.Background(), emailed("it@contoso.com", c.ops...))
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != c.status {
				t.Fatalf("status %s, want %s", res.Status, c.status)
			}
			if c.status == ledger.StatusPendingApproval {
				if after := figures(t, l, "contoso", "SPB"); after != before {
					t.Errorf("a pending request changed the ledger: %+v → %+v", before, after)
				}
				if res.Ops[0].Outcome != ledger.OutcomePending || res.Ops[0].After == nil {
					t.Errorf("a pending request shows what it would do: %+v", res.Ops[0])
				}
			}
			// Every emailed request queues its reply in the same step.
			box := outbox(t, l)
			if len(box) != 1 || box[0].RequestID != res.RequestID || box[0].Language != "fr" {
				t.Errorf("outbox: %+v", box)
			}
			mustCheck(t, l)
		})
	}
}

func TestApproveAppliesOnceAndRejectRecordsWhy(t *testing.T) {
	l, _, _ := setup(t)
	ctx := context.Background()
	pending, err := l.Submit(ctx, emailed("it@contoso.com", add(12, "SPB")))
	if err != nil || pending.Status != ledger.StatusPendingApproval {
		t.Fatalf("%+v %v", pending, err)
	}
	list, err := l.Pending(ctx)
	if err != nil || len(list) != 1 || list[0].Request.ID != pending.RequestID {
		t.Fatalf("pending list: %+v %v", list, err)
	}
	// A license admin may not approve a purchase.
	res, _ := l.Decide(ctx, pending.RequestID, slackAdmin("U0LIC", ledger.RoleLicense), true, "")
	if res.Status != ledger.StatusRefused || res.Errors[0].Code != ledger.NotAuthorized {
		t.Errorf("license admin: %+v", res)
	}
	res, err = l.Decide(ctx, pending.RequestID, slackAdmin("U0BILL", ledger.RoleBilling), true, "")
	if err != nil || res.Status != ledger.StatusApplied || res.Decision == nil || res.Decision.By != "U0BILL" || res.RequestID != pending.RequestID {
		t.Fatalf("approve: %+v %v", res, err)
	}
	if f := figures(t, l, "contoso", "SPB"); f.Total != 25 {
		t.Errorf("after approval SPB %+v, want 25", f)
	}
	again, _ := l.Decide(ctx, pending.RequestID, slackAdmin("U0GLOBAL", ledger.RoleGlobal), true, "")
	if again.Status == ledger.StatusApplied || (again.Status == ledger.StatusRefused && again.Errors[0].Code != ledger.AlreadyDecided) {
		t.Errorf("a second click: %+v", again)
	}
	if f := figures(t, l, "contoso", "SPB"); f.Total != 25 {
		t.Errorf("applied twice: %+v", f)
	}
	// Reject another one, with a reason.
	p2, _ := l.Submit(ctx, emailed("it@contoso.com", remove(1, "SPB")))
	rej, err := l.Decide(ctx, p2.RequestID, slackAdmin("U0GLOBAL", ledger.RoleGlobal), false, "please call us first")
	if err != nil || rej.Status != ledger.StatusRejected || rej.Decision == nil || rej.Decision.Reason != "please call us first" {
		t.Fatalf("reject: %+v %v", rej, err)
	}
	if list, _ := l.Pending(ctx); len(list) != 0 {
		t.Errorf("still pending: %+v", list)
	}
	// The customer hears about each step.
	var kinds []string
	for _, e := range outbox(t, l) {
		kinds = append(kinds, e.Kind)
	}
	if want := []string{"pending", "decision", "pending", "decision"}; len(kinds) != 4 || kinds[1] != want[1] || kinds[3] != want[3] {
		t.Errorf("outbox kinds %v, want %v", kinds, want)
	}
	hist, _ := l.History(ctx, "contoso", 1)
	if hist[0].Result.Decision == nil || hist[0].Result.Status != ledger.StatusRejected {
		t.Errorf("the decision is not in the audit log: %+v", hist[0].Result)
	}
	mustCheck(t, l)
}

func TestApprovalReChecksTheRulesAndARefusalLeavesTheRequestPending(t *testing.T) {
	l, _, _ := setup(t)
	ctx := context.Background()
	p, _ := l.Submit(ctx, emailed("it@contoso.com", remove(2, "SPB")))
	// Meanwhile the two free seats are assigned: the removal no longer fits.
	submit(t, l, operator, "contoso", assign("SPB", "dave@contoso.com", "bob@contoso.com"))
	admin := slackAdmin("U0GLOBAL", ledger.RoleGlobal)
	res, err := l.Decide(ctx, p.RequestID, admin, true, "")
	if err != nil || res.Status != ledger.StatusRefused || res.Errors[0].Code != ledger.CountViolation {
		t.Fatalf("approval should re-check the rules: %+v %v", res, err)
	}
	// R-IDEMPOTENT: a rule that may pass later leaves the request pending,
	// and the customer hears nothing of the attempt.
	if list, _ := l.Pending(ctx); len(list) != 1 {
		t.Fatalf("a request whose approval a rule refused is no longer pending: %+v", list)
	}
	before := len(outbox(t, l))
	// The seats are freed again: the same approval now applies, once.
	submit(t, l, operator, "contoso", unassign("SPB", "dave@contoso.com", "bob@contoso.com"))
	res, err = l.Decide(ctx, p.RequestID, admin, true, "")
	if err != nil || res.Status != ledger.StatusApplied || res.Decision == nil {
		t.Fatalf("second approval: %+v %v", res, err)
	}
	if n := len(outbox(t, l)); n != before+1 {
		t.Errorf("outbox grew by %d, want one decision reply", n-before)
	}
	again, err := l.Decide(ctx, p.RequestID, admin, true, "")
	if err != nil || again.Errors[0].Code != ledger.AlreadyDecided {
		t.Errorf("a third approval: %+v %v", again, err)
	}
	mustCheck(t, l)
}

func TestPendingRequestsExpireAfterThirtyDays(t *testing.T) {
	l, clock, _ := setup(t)
	ctx := context.Background()
	p, _ := l.Submit(ctx, emailed("it@contoso.com", add(50, "SPB")))
	clock.Advance(29 * 24 * time.Hour)
	if rep, _ := l.Sweep(ctx); rep.Expired != 0 {
		t.Fatal("expired too early")
	}
	clock.Advance(2 * 24 * time.Hour)
	rep, err := l.Sweep(ctx)
	if err != nil || rep.Expired != 1 {
		t.Fatalf("sweep: %+v %v", rep, err)
	}
	res, _ := l.Decide(ctx, p.RequestID, operator, true, "")
	if res.Status != ledger.StatusRefused || res.Errors[0].Code != ledger.AlreadyDecided {
		t.Errorf("approving an expired request: %+v", res)
	}
	r, _ := l.Result(ctx, "contoso", p.RequestID)
	if r.Status != ledger.StatusRejected || r.Errors[0].Code != ledger.RequestExpired {
		t.Errorf("expired result: %+v", r)
	}
	mustCheck(t, l)
}

// SPEC §4.4: the reply limit holds back replies, never requests; a
// duplicate never counts; a held request gets one notice an hour.
func TestTheReplyLimitHoldsBackRepliesNeverRequests(t *testing.T) {
	l, clock, _ := setup(t)
	ctx := context.Background()
	const limit = 3
	mail := func(id string, ops ...ledger.Op) ledger.Request {
		r := emailed("it@contoso.com", ops...)
		r.Origin.MessageID, r.IdempotencyKey, r.ReplyLimit = id, "msgid:"+id, limit
		return r
	}
	// The same message many times: one reply, however often it comes.
	for i := 0; i < 10; i++ {
		res, err := l.Submit(ctx, mail("same@x", add(1, "SPB")))
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]ledger.Status{true: ledger.StatusApplied, false: ledger.StatusDuplicate}[i == 0]; res.Status != want {
			t.Fatalf("copy %d: %s, want %s", i, res.Status, want)
		}
	}
	// Two more distinct messages use the budget up (1 + 2 = 3 replies).
	for _, id := range []string{"b@x", "c@x"} {
		if res, err := l.Submit(ctx, mail(id, add(1, "SPB"))); err != nil || res.Status != ledger.StatusApplied || res.Outbox == nil {
			t.Fatalf("%s: %+v %v", id, res, err)
		}
	}
	if n := len(outbox(t, l)); n != 3 {
		t.Fatalf("%d replies queued, want 3", n)
	}
	// Over the limit: the request is not refused but held for approval,
	// with one notice; the next one is held silently.
	held, err := l.Submit(ctx, mail("d@x", add(1, "SPB")))
	if err != nil || held.Status != ledger.StatusPendingApproval || !held.ReplyLimited || held.Outbox == nil || held.Outbox.Kind != "pending" {
		t.Fatalf("first request over the limit: %+v %v", held, err)
	}
	silent, err := l.Submit(ctx, mail("e@x", add(1, "SPB")))
	if err != nil || silent.Status != ledger.StatusPendingApproval || silent.Outbox != nil {
		t.Fatalf("second request over the limit: %+v %v", silent, err)
	}
	// A question back over the limit is recorded without a reply.
	q, err := l.Record(ctx, mail("f@x"), ledger.Result{Status: ledger.StatusNeedsClarification}, true)
	if err != nil || q.Outbox != nil || !q.ReplyLimited {
		t.Fatalf("clarification over the limit: %+v %v", q, err)
	}
	if n := len(outbox(t, l)); n != 4 {
		t.Errorf("%d replies queued, want 4 (3 + one notice)", n)
	}
	if list, _ := l.Pending(ctx); len(list) != 2 {
		t.Errorf("%d held requests, want 2", len(list))
	}
	// Nothing is refused under a Message-ID: the held request is still the
	// answer to a retry of its mail.
	if again, _ := l.Submit(ctx, mail("e@x", add(1, "SPB"))); again.Status != ledger.StatusDuplicate || again.RequestID != silent.RequestID {
		t.Errorf("retry of a held mail: %+v", again)
	}
	// The next hour, replies flow again.
	clock.Advance(time.Hour)
	if res, err := l.Submit(ctx, mail("g@x", add(1, "SPB"))); err != nil || res.Status != ledger.StatusApplied || res.Outbox == nil {
		t.Fatalf("next hour: %+v %v", res, err)
	}
	mustCheck(t, l)
}
