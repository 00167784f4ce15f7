package bot

// Approvals in Slack (R-APPROVAL, SPEC §5.4). Pending customer requests are
// posted once to the approval channel with Approve and Reject buttons; a
// click is decided by the ledger (Ledger.Decide checks the clicker's role,
// the expiry, and that the request is still pending, and records the
// decision in the audit log and the customer's reply in the outbox, in one
// step), then the message is updated to show who decided and the outcome.
//
// Which requests were posted lives in the ledger's registry of posts (kind
// "approval", request id → ledger.Post), so that replicas never post a
// request twice and a restart does not repost: a poster claims a request
// before posting. A request that continues an email conversation (SPEC
// §4.6) is posted with the earlier messages.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/licensedesk/licensedesk/internal/backoff"
	"github.com/licensedesk/licensedesk/internal/clip"
	"github.com/licensedesk/licensedesk/internal/fault"
	"github.com/licensedesk/licensedesk/ledger"
	"github.com/slack-go/slack"
)

// Block Kit ids of the approval message and the reject modal.
const (
	actionApprove  = "ld_approve"
	actionReject   = "ld_reject"
	blockApproval  = "ld_approval"
	callbackReject = "ld_reject_reason"
	blockReason    = "ld_reason"
	actionReason   = "reason"
)

// postKind names the approval posts in the ledger's registry of posts.
const postKind = "approval"

const (
	// claimStale is how long a claim may go without its post before another
	// poster takes it over (the claimant died between claim and post).
	claimStale = 2 * time.Minute
	// finalKept is how long a settled record is kept: past a pending
	// request's 30-day lifetime, so a settled request can never be seen
	// pending again and reposted.
	finalKept = ledger.PendingLifetime + 24*time.Hour
)

// instanceID names this process in claims, for the logs of a stuck claim.
func instanceID() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
}

// pollApprovals posts every pending request not posted yet, and updates the
// messages of requests decided elsewhere (by command, by another replica,
// or expired by the sweep).
func (s *Server) pollApprovals(ctx context.Context) error {
	// The records are read before the pending list: a request decided in
	// between is then seen as posted and not pending, and settled.
	recs, bad, err := s.desk.Ledger.Posts(ctx, postKind)
	if err != nil {
		return err
	}
	for _, id := range bad {
		s.log.Warn("unreadable approval post record", "request", id)
	}
	pending, err := s.desk.Ledger.Pending(ctx)
	if err != nil {
		return err
	}
	now, lnow := s.now(), s.desk.Ledger.Clock().Now()
	isPending := make(map[string]bool, len(pending))
	for _, p := range pending {
		id := p.Request.ID
		isPending[id] = true
		if lnow.After(p.Expires) {
			continue // the sweep settles it; nobody can approve it now
		}
		if rec, ok := recs[id]; ok && (rec.State != ledger.PostClaimed || now.Unix()-rec.At < int64(claimStale/time.Second)) {
			continue
		}
		if err := s.postApproval(ctx, p, now); err != nil {
			return err
		}
	}
	for id, rec := range recs {
		switch {
		case rec.State == ledger.PostPosted && !isPending[id]:
			s.finalizeApproval(ctx, id, nil, "", "")
		case rec.State == ledger.PostFinal && now.Sub(time.Unix(rec.At, 0)) > finalKept:
			if err := s.desk.Ledger.DeletePost(ctx, postKind, id); err != nil {
				s.log.Warn("settled approval post not forgotten", "request", id, "err", err)
			}
		}
	}
	return nil
}

// postApproval claims and posts one pending request.
func (s *Server) postApproval(ctx context.Context, p ledger.PendingRequest, now time.Time) error {
	l := s.desk.Ledger
	id := p.Request.ID
	claim := ledger.Post{Owner: s.instance, Tenant: p.Request.Tenant, At: now.Unix()}
	won, err := l.ClaimPost(ctx, postKind, id, claim, now.Add(-claimStale))
	if err != nil {
		return err
	}
	if !won {
		return nil // another poster has it
	}
	m := s.view.approvalRequest(p)
	var channel, ts string
	err = s.resp.web(ctx, "chat.postMessage", func(ctx context.Context) error {
		var err error
		channel, ts, err = s.api.PostMessageContext(ctx, s.cfg.ApprovalChannel,
			slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...))
		return err
	})
	if err != nil {
		if rerr := l.ReleasePost(ctx, postKind, id, claim); rerr != nil {
			s.log.Warn("approval claim not released", "request", id, "err", rerr)
		}
		return fmt.Errorf("bot: post approval %s: %w", id, err)
	}
	if channel == "" {
		channel = s.cfg.ApprovalChannel
	}
	rec := ledger.Post{State: ledger.PostPosted, Owner: s.instance, Tenant: p.Request.Tenant, Channel: channel, TS: ts, At: s.now().Unix()}
	if err := l.SetPost(ctx, postKind, id, rec); err != nil {
		return err
	}
	s.m.posted.Inc()
	s.log.Info("approval request posted", "request", id, "tenant", p.Request.Tenant, "channel", channel)
	return nil
}

// finalizeApproval updates a posted approval message to the decision. res
// is the decision's result, or nil to read the stored one; channel and ts
// name the message when known from a click.
func (s *Server) finalizeApproval(ctx context.Context, id string, res *ledger.Result, channel, ts string) {
	if s.api == nil || s.cfg.BotToken == "" {
		return
	}
	rec, known, err := s.desk.Ledger.GetPost(ctx, postKind, id)
	known = known && err == nil && rec.State != ledger.PostClaimed
	if known {
		channel, ts = rec.Channel, rec.TS
	}
	if channel == "" || ts == "" {
		return
	}
	if res == nil {
		tenant := rec.Tenant
		if tenant == "" {
			if tenant, err = s.desk.Ledger.FindRequest(ctx, id); err != nil || tenant == "" {
				return
			}
		}
		r, err := s.desk.Ledger.Result(ctx, tenant, id)
		if errors.Is(err, ledger.ErrUnknownRequest) {
			// The tenant was re-imported without the request: there is
			// nothing left to show, and nothing to try again.
			s.log.Warn("decided request no longer in the ledger", "request", id)
			s.markFinal(ctx, id, rec, known)
			return
		}
		if err != nil {
			s.log.Warn("decided request not read", "request", id, "err", err)
			return
		}
		res = &r
	}
	if res.Decision == nil {
		return // still pending
	}
	m := s.view.approvalDecided(*res)
	err = s.resp.web(ctx, "chat.update", func(ctx context.Context) error {
		_, _, _, err := s.api.UpdateMessageContext(ctx, channel, ts, slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...))
		return err
	})
	var apiErr slack.SlackErrorResponse
	switch {
	case err == nil:
	case errors.As(err, &apiErr):
		// message_not_found, channel_not_found…: trying again will not help.
		s.log.Warn("approval message cannot be updated", "request", id, "err", err)
	default:
		s.log.Warn("approval message not updated", "request", id, "err", err)
		return
	}
	s.markFinal(ctx, id, rec, known)
}

// markFinal records that a request's message shows its outcome.
func (s *Server) markFinal(ctx context.Context, id string, rec ledger.Post, known bool) {
	if known {
		rec.State, rec.At = ledger.PostFinal, s.now().Unix()
		if err := s.desk.Ledger.SetPost(ctx, postKind, id, rec); err != nil {
			s.log.Warn("approval post not marked final", "request", id, "err", err)
		}
	}
}

// interaction handles a button click or a modal submission from either
// transport and returns the acknowledgement's payload (nil: an empty 200).
func (s *Server) interaction(cb slack.InteractionCallback) any {
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		for _, a := range cb.ActionCallback.BlockActions {
			switch a.ActionID {
			case actionApprove:
				s.m.interacts.WithLabelValues("approve").Inc()
				s.clickApprove(cb, a.Value)
			case actionReject:
				s.m.interacts.WithLabelValues("reject").Inc()
				s.clickReject(cb, a.Value)
			default:
				s.m.interacts.WithLabelValues("other").Inc()
			}
		}
		return nil
	case slack.InteractionTypeViewSubmission:
		if cb.View.CallbackID == callbackReject {
			s.m.interacts.WithLabelValues("reject_reason").Inc()
			return s.submitReject(cb)
		}
	}
	s.m.interacts.WithLabelValues("other").Inc()
	return nil
}

// messageTS is the timestamp of the message a button sits in.
func messageTS(cb slack.InteractionCallback) string {
	if cb.Container.MessageTs != "" {
		return cb.Container.MessageTs
	}
	return cb.Message.Timestamp
}

func clickTarget(cb slack.InteractionCallback, issued time.Time) target {
	channel := cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	return target{ResponseURL: cb.ResponseURL, Issued: issued, Channel: channel, User: cb.User.ID}
}

// answer posts a short note to whoever clicked, from a tracked goroutine.
func (s *Server) answer(t target, m message) {
	s.spawn("answer", func(ctx context.Context) {
		if err := s.resp.send(ctx, t, m); err != nil {
			s.log.Warn("answer not delivered", "err", err)
		}
	})
}

func (s *Server) clickApprove(cb slack.InteractionCallback, id string) {
	t := clickTarget(cb, s.now())
	if !ledger.ValidRequestID(id) {
		s.answer(t, notice("✗ This button names no request the desk knows."))
		return
	}
	channel, ts := t.Channel, messageTS(cb)
	if !s.enqueue(func(ctx context.Context) { s.decide(ctx, id, cb.User.ID, true, "", t, channel, ts) }) {
		s.answer(t, notice("The desk is busy or restarting: nothing was decided. Click again in a moment."))
	}
}

// rejectMeta travels in the reject modal's private_metadata, back to us
// in the (signed) view_submission.
type rejectMeta struct {
	ID      string `json:"id"`
	Channel string `json:"c"`
	TS      string `json:"ts"`
	URL     string `json:"u,omitempty"`
	Issued  int64  `json:"i"`
}

// clickReject asks for the reason in a modal. The trigger_id it needs is
// valid for 3 seconds, so the modal is opened at once, not queued.
func (s *Server) clickReject(cb slack.InteractionCallback, id string) {
	t := clickTarget(cb, s.now())
	if !ledger.ValidRequestID(id) {
		s.answer(t, notice("✗ This button names no request the desk knows."))
		return
	}
	meta, _ := json.Marshal(rejectMeta{ID: id, Channel: t.Channel, TS: messageTS(cb), URL: cb.ResponseURL, Issued: t.Issued.Unix()})
	s.spawn("reject modal", func(ctx context.Context) {
		roles, err := s.desk.Ledger.AdminRoles(ctx, cb.User.ID)
		if err != nil {
			s.log.Error("roles not read", "err", err)
			s.resp.send(ctx, t, faultReply())
			return
		}
		if len(roles) == 0 {
			s.resp.send(ctx, t, s.view.reply(s.desk.refusal(nil, ledger.NotAuthorized, "you have no role at the desk; ask a global admin to grant you one")))
			return
		}
		fallbackNote := notice("Could not open the form: reject with " + code("/licenses reject "+id+" reason") + " instead.")
		if s.api == nil || s.cfg.BotToken == "" || cb.TriggerID == "" {
			s.resp.send(ctx, t, fallbackNote)
			return
		}
		octx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		if _, err := s.api.OpenViewContext(octx, cb.TriggerID, rejectModal(id, string(meta))); err != nil {
			s.log.Warn("reject modal not opened", "request", id, "err", err)
			s.resp.send(ctx, t, fallbackNote)
		}
	})
}

func rejectModal(id, meta string) slack.ModalViewRequest {
	input := slack.NewPlainTextInputBlockElement(plain("For example: budget frozen until January"), actionReason)
	input.Multiline = true
	input.MaxLength = 500
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           plain("Reject request"),
		Submit:          plain("Reject"),
		Close:           plain("Cancel"),
		CallbackID:      callbackReject,
		PrivateMetadata: meta,
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			section("Reject " + code(id) + "? The customer receives the reason by email."),
			slack.NewInputBlock(blockReason, plain("Reason"), nil, input),
		}},
	}
}

// submitReject decides a rejection once the modal is submitted. Slack
// wants the answer to a view_submission at once: it closes the modal, or
// shows what is missing.
func (s *Server) submitReject(cb slack.InteractionCallback) any {
	var meta rejectMeta
	if err := json.Unmarshal([]byte(cb.View.PrivateMetadata), &meta); err != nil || !ledger.ValidRequestID(meta.ID) {
		s.log.Warn("reject modal without a request", "err", err)
		return slack.NewClearViewSubmissionResponse()
	}
	reason := ""
	if cb.View.State != nil {
		reason = strings.TrimSpace(cb.View.State.Values[blockReason][actionReason].Value)
	}
	if reason == "" {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{blockReason: "Say why: the customer receives this reason."})
	}
	t := target{ResponseURL: meta.URL, Issued: time.Unix(meta.Issued, 0), Channel: meta.Channel, User: cb.User.ID}
	if !s.enqueue(func(ctx context.Context) { s.decide(ctx, meta.ID, cb.User.ID, false, reason, t, meta.Channel, meta.TS) }) {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{blockReason: "The desk is busy or restarting: submit again in a moment."})
	}
	return slack.NewClearViewSubmissionResponse()
}

// decide applies a click's decision and shows its outcome: the approval
// message shows who decided and what happened; a refusal (no role, already
// decided, unknown request) is answered to the clicker alone.
func (s *Server) decide(ctx context.Context, id, user string, approve bool, reason string, t target, channel, ts string) {
	defer s.answerPanic(ctx, t)
	var res ledger.Result
	var err error
	// Decide is idempotent ("decide:" + id), so a temporary fault is safe
	// to retry.
	retry := backoff.Backoff{Policy: storeRetry}
	for attempt := 0; attempt < 3; attempt++ {
		var roles []ledger.Role
		if roles, err = s.desk.Ledger.AdminRoles(ctx, user); err == nil {
			res, err = s.desk.Ledger.Decide(ctx, id, ledger.Requester{ID: user, Roles: roles}, approve, reason)
		}
		if err == nil || ctx.Err() != nil || !fault.IsTemporary(err) {
			break
		}
		if !s.resp.sleep(ctx, retry.Failure()) {
			break
		}
	}
	if err != nil {
		s.log.Error("decision failed", "request", id, "err", err)
		s.resp.send(ctx, t, faultReply())
		return
	}
	verb := "reject"
	if approve {
		verb = "approve"
	}
	s.m.commands.WithLabelValues(verb, string(res.Status)).Inc()
	switch {
	case hasCode(res, ledger.AlreadyDecided):
		text := "↺ " + esc(firstMessage(res))
		if res.Decision != nil {
			text += " — " + decisionLine(*res.Decision)
		}
		s.resp.send(ctx, t, notice(text))
		s.finalizeApproval(ctx, id, nil, channel, ts)
	case res.Decision != nil:
		s.log.Info("request decided", "request", id, "by", user, "status", res.Status)
		s.finalizeApproval(ctx, id, &res, channel, ts)
	default:
		if err := s.resp.send(ctx, t, s.view.reply(Reply{Result: &res, Status: res.Status, Text: s.desk.Renderer.Result(res)})); err != nil {
			s.log.Warn("answer not delivered", "err", err)
		}
	}
}

func firstMessage(res ledger.Result) string {
	if len(res.Errors) > 0 {
		return res.Errors[0].Message
	}
	return string(res.Status)
}

// approvalRequest is the message that asks the desk to decide.
func (v view) approvalRequest(p ledger.PendingRequest) message {
	id := p.Request.ID
	approve := slack.NewButtonBlockElement(actionApprove, id, plain("Approve")).WithStyle(slack.StylePrimary).
		WithConfirm(slack.NewConfirmationBlockObject(plain("Approve this request?"),
			mrkdwn("The request is applied under the rules as they stand now, and the customer is told."), plain("Approve"), plain("Cancel")))
	reject := slack.NewButtonBlockElement(actionReject, id, plain("Reject…")).WithStyle(slack.StyleDanger)
	blocks := []slack.Block{
		header("Customer request waiting for approval"),
		section(v.pendingSummary(p)),
	}
	if p.Request.Continues != "" || len(p.Request.Thread) > 0 {
		blocks = append(blocks, section(conversation(p.Request)))
	}
	blocks = append(blocks,
		slack.NewActionBlock(blockApproval, approve, reject),
		contextText("Approving needs the role the change needs (billing or global for seats). The customer gets a reply either way."),
	)
	return message{Text: fmt.Sprintf("Customer request %s for %s waits for approval", id, esc(p.Request.Tenant)), Blocks: blocks}
}

const (
	// turnsShown is how many earlier messages of a conversation an
	// approval post shows: the latest, which say how the request came
	// about. With turnText, they stay well within a section's 3,000
	// characters.
	turnsShown = 6
	// turnText is how much of an earlier message's text is shown.
	turnText = 300
)

// conversation shows the email conversation a pending request continues
// (SPEC §4.6): the request it continues, and the earlier messages, oldest
// first (who wrote, when, what became of it, and the text clipped), so
// that the admin who decides sees how the request came about.
func conversation(r ledger.Request) string {
	var b strings.Builder
	b.WriteString("*Earlier in this conversation*")
	if r.Continues != "" {
		b.WriteString(" · continues " + code(r.Continues))
	}
	turns := r.Thread
	if n := len(turns) - turnsShown; n > 0 {
		fmt.Fprintf(&b, "\n… %d earlier message%s not shown", n, plural(n))
		turns = turns[n:]
	}
	for _, t := range turns {
		from := "someone"
		if t.From != "" {
			from = who(t.From)
		}
		b.WriteString("\n> *" + from + "*")
		if !t.At.IsZero() {
			b.WriteString(" · " + dateTime(t.At))
		}
		if t.Status != "" {
			b.WriteString(" · " + esc(strings.ReplaceAll(string(t.Status), "_", " ")))
		}
		if t.RequestID != "" {
			b.WriteString(" · " + code(t.RequestID))
		}
		if text := strings.Join(strings.Fields(t.Text), " "); text != "" {
			b.WriteString("\n> “" + esc(clip.Text(text, turnText)) + "”")
		}
	}
	return b.String()
}

// approvalDecided replaces the buttons with the decision and its outcome.
func (v view) approvalDecided(res ledger.Result) message {
	title := "Customer request decided"
	switch {
	case res.Decision != nil && res.Decision.Approved && (res.Status == ledger.StatusApplied || res.Status == ledger.StatusPartiallyApplied):
		title = "Customer request approved"
	case res.Decision != nil && res.Decision.Approved:
		title = "Customer request approved, but refused by the rules"
	case hasCode(res, ledger.RequestExpired):
		title = "Customer request expired"
	case res.Status == ledger.StatusRejected:
		title = "Customer request rejected"
	}
	var bl blockList
	bl.add(header(title))
	v.resultInto(&bl, res)
	bl.add(contextText("The customer's reply is on its way by email."))
	text := title + ": " + res.RequestID
	if res.Decision != nil {
		text += " — " + decisionLine(*res.Decision)
	}
	return message{Text: text, Blocks: bl.done("operations")}
}
