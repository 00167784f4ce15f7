package bot_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/licensedesk/licensedesk/bot"
	"github.com/licensedesk/licensedesk/ledger"
)

// clickPayload is the block_actions payload of a click on an approval
// button, as Slack sends it.
func clickPayload(user, action, id, channel, ts, responseURL string) map[string]any {
	return map[string]any{
		"type":         "block_actions",
		"team":         map[string]any{"id": "T0TEAM"},
		"user":         map[string]any{"id": user},
		"channel":      map[string]any{"id": channel},
		"container":    map[string]any{"type": "message", "message_ts": ts, "channel_id": channel},
		"message":      map[string]any{"ts": ts},
		"trigger_id":   "1234.5678.trigger-" + user,
		"response_url": responseURL,
		"actions": []map[string]any{{
			"action_id": action, "block_id": "ld_approval", "value": id, "type": "button", "action_ts": "1763640000.1",
		}},
	}
}

// postedApproval waits for the approval post of a request and returns its
// channel, ts and the call.
func postedApproval(t *testing.T, h *harness, id string) (string, string, apiCall) {
	t.Helper()
	var call apiCall
	eventually(t, "the approval post of "+id, func() bool {
		for _, c := range h.slack.callsOf("chat.postMessage") {
			if strings.Contains(c.Form.Get("blocks"), id) {
				call = c
				return true
			}
		}
		return false
	})
	var rec ledger.Post
	eventually(t, "the post record of "+id, func() bool {
		var ok bool
		var err error
		rec, ok, err = h.desk.Ledger.GetPost(context.Background(), bot.PostKind, id)
		return err == nil && ok && rec.State == ledger.PostPosted
	})
	return rec.Channel, rec.TS, call
}

// updatesOf returns the chat.update calls that name a request.
func updatesOf(h *harness, id string) []apiCall {
	var out []apiCall
	for _, c := range h.slack.callsOf("chat.update") {
		if strings.Contains(c.Form.Get("blocks"), id) {
			out = append(out, c)
		}
	}
	return out
}

func countPosts(h *harness, id string) int {
	n := 0
	for _, c := range h.slack.callsOf("chat.postMessage") {
		if strings.Contains(c.Form.Get("blocks"), id) {
			n++
		}
	}
	return n
}

// auditEntries counts the audit records of a request.
func auditEntries(t *testing.T, d *bot.Desk, id string) int {
	t.Helper()
	recs, err := d.Ledger.History(context.Background(), "contoso", 200)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range recs {
		if r.Request != nil && r.Request.ID == id {
			n++
		}
	}
	return n
}

// TestApprovalsEndToEnd: an emailed request waiting for approval is posted
// once with Approve and Reject buttons; a click without the role is
// refused to the clicker alone; a billing admin's click applies it, the
// message shows who decided, the decision is in the audit log; a second
// click is answered, not applied.
func TestApprovalsEndToEnd(t *testing.T) {
	h := newHarness(t)
	id := submitEmailed(t, h.desk, 20)
	channel, ts, post := postedApproval(t, h, id)
	if channel != "C0APPROVE" || post.Form.Get("channel") != "C0APPROVE" {
		t.Errorf("posted to %q (recorded %q), want C0APPROVE", post.Form.Get("channel"), channel)
	}
	blocks := post.Form.Get("blocks")
	for _, w := range []string{`"action_id":"ld_approve"`, `"action_id":"ld_reject"`, `"value":"` + id + `"`,
		"*add 20 SPB* (Microsoft 365 Business Premium) · subscription `contoso-spb-1`: total 13 → 33 · new monthly cost", "it@contoso.com",
		"Subject: Licences &lt;urgent&gt; &amp; more"} {
		if !strings.Contains(blocksText(json.RawMessage(blocks)), w) {
			t.Errorf("the approval post lacks %q:\n%s", w, blocks)
		}
	}
	// More polls, and a second replica on the same store, post nothing more.
	replica := newHarness(t, withDesk(h.desk))
	time.Sleep(150 * time.Millisecond)
	if n := countPosts(h, id) + countPosts(replica, id); n != 1 {
		t.Errorf("the request was posted %d times", n)
	}

	// A license admin may not decide on seats.
	lic := h.responseURL()
	if status, _ := h.interact(clickPayload("U0LIC", bot.ActionApprove, id, channel, ts, lic)); status != http.StatusOK {
		t.Fatalf("click: HTTP %d", status)
	}
	licPath, _ := url.Parse(lic)
	refusal := h.hooks.waitPost(licPath.Path)
	if got := blocksText(refusal.Msg); refusal.Msg["response_type"] != "ephemeral" || !strings.Contains(got, "NotAuthorized") {
		t.Errorf("a click without the role: %s", got)
	}
	if n := h.total("SPB"); n != 13 {
		t.Fatalf("a refused click applied the request: SPB %d", n)
	}

	// A billing admin approves.
	start := time.Now()
	status, body := h.interact(clickPayload("U0BILL", bot.ActionApprove, id, channel, ts, h.responseURL()))
	if status != http.StatusOK || len(body) != 0 || time.Since(start) > time.Second {
		t.Errorf("click: HTTP %d %q after %v, want an empty 200 at once", status, body, time.Since(start))
	}
	eventually(t, "the approval message update", func() bool { return len(updatesOf(h, id)) > 0 })
	up := updatesOf(h, id)[0]
	got := blocksText(json.RawMessage(up.Form.Get("blocks")))
	if up.Form.Get("channel") != channel || up.Form.Get("ts") != ts {
		t.Errorf("updated %s/%s, want %s/%s", up.Form.Get("channel"), up.Form.Get("ts"), channel, ts)
	}
	for _, w := range []string{"Customer request approved", "Approved by <@U0BILL>", "Total 13 → *33*"} {
		if !strings.Contains(got, w) {
			t.Errorf("the updated message lacks %q:\n%s", w, got)
		}
	}
	if strings.Contains(got, bot.ActionApprove) {
		t.Error("the updated message still has the buttons")
	}
	if n := h.total("SPB"); n != 33 {
		t.Errorf("SPB total %d after approval, want 33", n)
	}
	res, err := h.desk.Ledger.Result(context.Background(), "contoso", id)
	if err != nil || res.Decision == nil || res.Decision.By != "U0BILL" || !res.Decision.Approved {
		t.Errorf("the audit log's decision: %+v %v", res.Decision, err)
	}

	// A second click is answered, not applied.
	again := h.responseURL()
	h.interact(clickPayload("U0GLOBAL", bot.ActionApprove, id, channel, ts, again))
	againPath, _ := url.Parse(again)
	second := blocksText(h.hooks.waitPost(againPath.Path).Msg)
	if !strings.Contains(second, "no longer pending") || !strings.Contains(second, "Approved by <@U0BILL>") {
		t.Errorf("a second click: %s", second)
	}
	if n := h.total("SPB"); n != 33 {
		t.Errorf("a second click applied again: SPB %d", n)
	}
	if n := auditEntries(t, h.desk, id); n != 2 {
		t.Errorf("%d audit records of %s, want 2 (pending, decision)", n, id)
	}
}

// TestRejectAsksForTheReasonInAModal: Reject opens a modal; an empty
// reason is sent back; a reason rejects the request and is recorded.
func TestRejectAsksForTheReasonInAModal(t *testing.T) {
	h := newHarness(t)
	id := submitEmailed(t, h.desk, 30)
	channel, ts, _ := postedApproval(t, h, id)
	status, _ := h.interact(clickPayload("U0GLOBAL", bot.ActionReject, id, channel, ts, h.responseURL()))
	if status != http.StatusOK {
		t.Fatalf("click: HTTP %d", status)
	}
	open := h.slack.waitCalls("views.open", 1)[0]
	var req struct {
		TriggerID string `json:"trigger_id"`
		View      struct {
			CallbackID      string `json:"callback_id"`
			PrivateMetadata string `json:"private_metadata"`
		} `json:"view"`
	}
	if err := json.Unmarshal(open.Body, &req); err != nil {
		t.Fatalf("views.open body: %v\n%s", err, open.Body)
	}
	if req.TriggerID != "1234.5678.trigger-U0GLOBAL" || req.View.CallbackID != bot.CallbackReject {
		t.Errorf("views.open: %s", open.Body)
	}
	submit := func(reason string) (int, map[string]any) {
		status, body := h.interact(map[string]any{
			"type": "view_submission", "team": map[string]any{"id": "T0TEAM"}, "user": map[string]any{"id": "U0GLOBAL"},
			"view": map[string]any{
				"id": "V0MODAL", "type": "modal", "callback_id": bot.CallbackReject, "private_metadata": req.View.PrivateMetadata,
				"state": map[string]any{"values": map[string]any{bot.BlockReason: map[string]any{bot.ActionReason: map[string]any{"type": "plain_text_input", "value": reason}}}},
			},
		})
		var v map[string]any
		_ = json.Unmarshal(body, &v)
		return status, v
	}
	if status, v := submit("   "); status != http.StatusOK || v["response_action"] != "errors" {
		t.Errorf("an empty reason: HTTP %d %v, want the modal's errors", status, v)
	}
	if status, v := submit("budget frozen until January"); status != http.StatusOK || v["response_action"] != "clear" {
		t.Errorf("a reason: HTTP %d %v, want the modal cleared", status, v)
	}
	eventually(t, "the approval message update", func() bool { return len(updatesOf(h, id)) > 0 })
	got := blocksText(json.RawMessage(updatesOf(h, id)[0].Form.Get("blocks")))
	if !strings.Contains(got, "Customer request rejected") || !strings.Contains(got, "Rejected by <@U0GLOBAL>: budget frozen until January") {
		t.Errorf("the updated message:\n%s", got)
	}
	res, err := h.desk.Ledger.Result(context.Background(), "contoso", id)
	if err != nil || res.Status != ledger.StatusRejected || res.Decision == nil || res.Decision.Reason != "budget frozen until January" {
		t.Errorf("recorded: %+v %+v %v", res.Status, res.Decision, err)
	}
	if n := h.total("SPB"); n != 13 {
		t.Errorf("a rejection changed SPB to %d", n)
	}
}

// TestAnExpiredRequestIsAnsweredNotApplied: a click after 30 days settles
// the request as expired.
func TestAnExpiredRequestIsAnsweredNotApplied(t *testing.T) {
	h := newHarness(t)
	id := submitEmailed(t, h.desk, 20)
	channel, ts, _ := postedApproval(t, h, id)
	h.desk.Ledger.Clock().(*ledger.ManualClock).Advance(31 * 24 * time.Hour)
	h.interact(clickPayload("U0BILL", bot.ActionApprove, id, channel, ts, h.responseURL()))
	eventually(t, "the approval message update", func() bool { return len(updatesOf(h, id)) > 0 })
	got := blocksText(json.RawMessage(updatesOf(h, id)[0].Form.Get("blocks")))
	if !strings.Contains(got, "Customer request expired") || !strings.Contains(got, "RequestExpired") {
		t.Errorf("the updated message:\n%s", got)
	}
	if n := h.total("SPB"); n != 13 {
		t.Errorf("an expired request was applied: SPB %d", n)
	}
}

// TestDecisionsMadeElsewhereUpdateTheMessage: approve by slash command, and
// a rejection from the command line, both reach the approval message.
func TestDecisionsMadeElsewhereUpdateTheMessage(t *testing.T) {
	h := newHarness(t)
	byCommand := submitEmailed(t, h.desk, 20)
	byCLI := submitEmailed(t, h.desk, 25)
	postedApproval(t, h, byCommand)
	postedApproval(t, h, byCLI)

	form := h.slash("U0BILL", "approve "+byCommand)
	h.command(form)
	path, _ := url.Parse(form.Get("response_url"))
	if got := blocksText(h.hooks.waitPost(path.Path).Msg); !strings.Contains(got, "Approved by <@U0BILL>") {
		t.Errorf("the command's answer: %s", got)
	}
	eventually(t, "the update after the command", func() bool { return len(updatesOf(h, byCommand)) > 0 })

	rep, err := h.desk.Run(context.Background(), "reject "+byCLI+" duplicate of an earlier request", bot.Caller{Operator: true}, bot.Options{})
	if err != nil || rep.Status != ledger.StatusRejected {
		t.Fatalf("reject on the command line: %v %v", rep.Status, err)
	}
	eventually(t, "the update after the command line", func() bool { return len(updatesOf(h, byCLI)) > 0 })
	if got := blocksText(json.RawMessage(updatesOf(h, byCLI)[0].Form.Get("blocks"))); !strings.Contains(got, "Rejected by cli: duplicate of an earlier request") {
		t.Errorf("the updated message:\n%s", got)
	}
}

// TestTheApprovalPostShowsTheConversationItContinues (SPEC §4.6): an
// emailed request that answers a clarification is posted with the earlier
// messages and the request it continues.
func TestTheApprovalPostShowsTheConversationItContinues(t *testing.T) {
	h := newHarness(t)
	first := "LD-01JYYYYYYYYYYYYYYYYYYYYYYY"
	res, err := h.desk.Ledger.Submit(context.Background(), ledger.Request{Tenant: "contoso", Requester: ledger.Requester{ID: "it@contoso.com"},
		Origin:    ledger.Origin{Channel: ledger.ChannelEmail, From: "it@contoso.com", Subject: "Re: Licences [" + first + "]"},
		Ops:       []ledger.Op{{Kind: ledger.OpAdd, SKU: "SPB", Quantity: 20}},
		Continues: first,
		Thread: []ledger.Turn{{RequestID: first, From: "it@contoso.com", Text: "Could you add some <b>licences</b>?\n\nThanks",
			Status: ledger.StatusNeedsClarification, At: time.Date(2026, 11, 19, 9, 30, 0, 0, time.UTC)}}})
	if err != nil || res.Status != ledger.StatusPendingApproval {
		t.Fatalf("emailed request: %+v %v", res, err)
	}
	_, _, post := postedApproval(t, h, res.RequestID)
	got := blocksText(json.RawMessage(post.Form.Get("blocks")))
	for _, w := range []string{"*Earlier in this conversation* · continues `" + first + "`",
		"> *it@contoso.com* · 2026-11-19 09:30 UTC · needs clarification · `" + first + "`",
		"> “Could you add some &lt;b&gt;licences&lt;/b&gt;? Thanks”"} {
		if !strings.Contains(got, w) {
			t.Errorf("the approval post lacks %q:\n%s", w, got)
		}
	}
}
