// Package mailintake turns customer emails into licence change requests and
// composes the replies (SPEC §4): decode with bounds, guard against loops and
// strangers, strip quotes and signatures, read the request, hand it to the
// ledger, and answer in the customer's language, threaded to their mail.
//
// Everything after the message's bytes are in hand is here, so the IMAP
// watcher and `licensedesk mail ingest` run exactly the same code.
package mailintake

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"

	"github.com/licensedesk/licensedesk/internal/clip"
	"github.com/licensedesk/licensedesk/ledger"
	"github.com/licensedesk/licensedesk/mailintake/decode"
	"github.com/licensedesk/licensedesk/mailintake/guard"
	"github.com/licensedesk/licensedesk/mailintake/quote"
	"github.com/licensedesk/licensedesk/mailintake/reader"
	"github.com/licensedesk/licensedesk/mailintake/reply"
)

// Config is the mail intake's part of the settings (SPEC §6.2).
type Config struct {
	// Desk is the desk's own address: replies come from it, mail from it is
	// ignored.
	Desk string
	// DeskName signs the replies.
	DeskName string
	// TrustedAuthserv is the authserv-id whose Authentication-Results count.
	TrustedAuthserv string
	// RequireAuthPass also refuses mail without an SPF, DKIM or DMARC pass
	// aligned with its From domain from the trusted server (SPEC §4.3).
	RequireAuthPass bool
	// RepliesPerHour bounds the replies to one sender (SPEC §4.4).
	RepliesPerHour int
	Limits         decode.Limits
}

// DefaultRepliesPerHour is SPEC §4.4's default.
const DefaultRepliesPerHour = 20

// Intake runs the pipeline. It is safe for concurrent use.
type Intake struct {
	cfg      Config
	ledger   *ledger.Ledger
	composer *reply.Composer
	log      *slog.Logger
}

// New returns an intake on l. The reply limit is kept by the ledger, with
// the requests, so it holds across processes and restarts.
func New(cfg Config, l *ledger.Ledger, log *slog.Logger) (*Intake, error) {
	c, err := reply.NewComposer(cfg.Desk, cfg.DeskName, l.Catalog())
	if err != nil {
		return nil, err
	}
	if cfg.RepliesPerHour <= 0 {
		cfg.RepliesPerHour = DefaultRepliesPerHour
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg.Desk = strings.ToLower(strings.TrimSpace(cfg.Desk))
	return &Intake{cfg: cfg, ledger: l, composer: c, log: log}, nil
}

// Composer is the intake's reply composer: the one the outbox sender must
// use, so that what is delivered is what `mail ingest` prints.
func (in *Intake) Composer() *reply.Composer { return in.composer }

// Source says where a message came from (IMAP), for the audit log and the
// de-duplication of messages without a Message-ID.
type Source struct {
	Mailbox     string
	UIDValidity uint32
	UID         uint32
}

// Outcome is what the pipeline did with one message.
type Outcome struct {
	Status    ledger.Status
	RequestID string
	Tenant    string
	// Result is the ledger's result, or the recorded outcome of a message
	// that did not reach the rules (questions, refusals).
	Result ledger.Result
	// Reason says why a message was ignored, or what it was attached to.
	Reason string
	// Reply is the answer queued for the sender (or, for a dry run, that
	// would be), composed from the outbox entry; nil when none is due.
	Reply *reply.Reply
}

// Ingest runs one RFC 5322 message through the pipeline. With dryRun, the
// checks run and the reply is composed, but nothing is recorded or changed.
// Errors are faults (Redis down); every refusal is an Outcome.
func (in *Intake) Ingest(ctx context.Context, r io.Reader, src Source, dryRun bool) (Outcome, error) {
	lim := in.cfg.Limits
	raw, err := io.ReadAll(io.LimitReader(r, limitsOf(lim).MaxBytes+1))
	if err != nil {
		return Outcome{}, fmt.Errorf("mailintake: read: %w", err)
	}
	msg, err := decode.Parse(bytes.NewReader(raw), lim)
	if err != nil {
		return in.unreadable(ctx, raw, err, dryRun)
	}
	return in.process(ctx, msg, raw, src, dryRun)
}

func limitsOf(l decode.Limits) decode.Limits {
	d := decode.DefaultLimits()
	if l.MaxBytes > 0 {
		d.MaxBytes = l.MaxBytes
	}
	return d
}

func (in *Intake) process(ctx context.Context, msg *decode.Message, raw []byte, src Source, dryRun bool) (Outcome, error) {
	from := ""
	if msg.From != nil {
		from = msg.From.Email
	}
	key := idempotencyKey(msg, raw, src)
	// SPEC §4.3: exactly one From header with exactly one address, or
	// UnauthorizedSender. Nobody is answered: a reply to one of the
	// addresses could answer the forger, or a non-address. Several senders
	// are refused before the loop guards, which would take a message without
	// a usable sender for a bounce.
	p := msg.FromProblem
	if p == decode.FromSeveralFields || p == decode.FromSeveralAddresses {
		in.log.Warn("mail refused: its sender cannot be told", "why", p, "message_id", msg.MessageID)
		return in.unknownSender(ctx, key, p, dryRun)
	}
	// SPEC §4.4: never loop, never answer machines (a bare MAILER-DAEMON
	// among them). A From that holds no usable address is given to the
	// guards as written: only a missing one is a null sender.
	guardFrom := from
	if guardFrom == "" {
		guardFrom = strings.TrimSpace(msg.Header.Get("From"))
	}
	if auto, why := guard.Automated(msg.Header, msg.ContentType, guardFrom, msg.HasReport, in.own()); auto {
		in.log.Info("mail ignored", "reason", why, "from", from, "message_id", msg.MessageID)
		if p == "" {
			return in.attachAutomated(ctx, msg, originOf(msg, src), key, why, dryRun)
		}
		return Outcome{Status: ledger.StatusIgnored, Reason: string(why)}, nil
	}
	if p != "" {
		in.log.Warn("mail refused: its sender cannot be told", "why", p, "message_id", msg.MessageID)
		return in.unknownSender(ctx, key, p, dryRun)
	}
	origin := originOf(msg, src)
	body := quote.Strip(msg.Text)

	// SPEC §4.3: the sender (From, never Reply-To) must be a contact of
	// exactly one tenant; nothing about any tenant is revealed otherwise.
	tenants, err := in.ledger.ContactTenants(ctx, from)
	if err != nil {
		return Outcome{}, err
	}
	if len(tenants) != 1 {
		return in.stranger(ctx, origin, key, detectLanguage(msg.Subject, body), dryRun, true)
	}
	t, err := in.ledger.Tenant(ctx, tenants[0])
	if errors.Is(err, ledger.ErrUnknownTenant) {
		return in.stranger(ctx, origin, key, detectLanguage(msg.Subject, body), dryRun, true)
	}
	if err != nil {
		return Outcome{}, err
	}
	req := contactRequest(t.ID, origin, key, dryRun)
	req.Text, req.Language, req.ReplyLimit = clip.Text(body, 4000), t.Language, in.cfg.RepliesPerHour

	if in.cfg.TrustedAuthserv != "" {
		// Only a pass aligned with the From domain counts (SPEC §4.3).
		if v := guard.CheckAuth(msg.Header, in.cfg.TrustedAuthserv, from, in.cfg.RequireAuthPass); !v.Pass {
			in.log.Warn("mail not authenticated", "from", from, "why", v.Reason)
			return in.record(ctx, req, refusal(ledger.SenderNotAuthenticated, "the message could not be authenticated: "+v.Reason), true)
		}
	}
	// SPEC §4.6: a message that answers one of the desk's replies continues
	// that request's conversation, when it is this tenant's and recent.
	conv, err := in.continuation(ctx, msg, req)
	if err != nil {
		return Outcome{}, err
	}
	subject := msg.Subject
	if conv != nil {
		req.Continues, req.Thread = conv.req.ID, conv.thread()
	}
	if referencedRequest(msg) != "" {
		// The subject of an answer to the desk is the conversation's:
		// reading it again would repeat the first request, whether or not
		// that request is still known.
		subject = ""
	}

	// Issue 9: the reader resolves family names ("E3") and checks "from N
	// to M" against what the tenant holds (one round trip).
	view, err := in.ledger.Show(ctx, t.ID)
	if err != nil {
		return Outcome{}, err
	}
	opt := reader.Options{Domains: t.Domains, Held: heldOf(view)}
	if conv != nil {
		opt.Context = conv.context() // SPEC §4.6: an answer completes the earlier request
	}
	reading := reader.Read(subject, body, in.ledger.Catalog(), opt)
	if req.Language == "" {
		req.Language = reading.Language
	}
	if answered := referencedRequest(msg); answered != "" && len(reading.Ops) == 0 && len(reading.Asks) == 0 && onlyNoRequest(reading.Issues) {
		// Thanks, an acknowledgement, an auto-reply that slipped past the
		// guards, written in answer to one of the desk's replies: attached
		// to the conversation, never answered, so that a polite customer or
		// another desk's robot never starts a loop. An answer to a request
		// this tenant no longer has (too old, or unknown) is recorded the
		// same way: there is nothing to ask about.
		return in.attach(ctx, req, answered)
	}
	if len(reading.Ops) == 0 && len(reading.Issues) == 0 && len(reading.Asks) > 0 {
		// A question about the tenant's own licences: answered with the
		// figures, nothing changes (SPEC §6, status answered).
		ans, err := in.ledger.Answer(ctx, t.ID, reading.Asks)
		if err != nil {
			return Outcome{}, err
		}
		return in.record(ctx, req, ledger.Result{Status: ledger.StatusAnswered, Answer: &ans, Understood: nil}, true)
	}
	if conv != nil && len(reading.Ops) == 0 && conv.askedInARow() >= maxQuestionsInARow {
		// The desk asked this thread the same kind of question several
		// times and the answers still settle nothing: a robot that does
		// not mark itself, or a customer who will write again. Attached,
		// not answered, so that no exchange of questions can loop.
		in.log.Info("mail attached without a reply: questions in a row", "request", conv.req.ID)
		return in.attach(ctx, req, conv.req.ID)
	}
	if len(reading.Issues) > 0 || len(reading.Ops) == 0 {
		res := ledger.Result{Status: ledger.StatusNeedsClarification, Understood: reading.Ops}
		for _, is := range reading.Issues {
			e := ledger.Error{Code: is.Code, Message: is.Text, Candidates: is.Candidates, Partial: is.Partial}
			if reading.Language == req.Language {
				e.Detail = is.Detail // written in the message's language: only when the reply's too
			}
			res.Errors = append(res.Errors, e)
		}
		if len(res.Errors) == 0 {
			res.Errors = []ledger.Error{{Code: ledger.NoRequestFound, Message: clip.Text(firstLine(msg.Subject), 200)}}
		}
		return in.record(ctx, req, res, true)
	}
	req.Ops = reading.Ops
	res, err := in.ledger.Submit(ctx, req)
	if err != nil {
		return Outcome{}, err
	}
	return in.outcome(res, t.ID)
}

// outcome turns the ledger's result into the pipeline's, composing the
// reply from the outbox entry the ledger queued with it.
func (in *Intake) outcome(res ledger.Result, tenant string) (Outcome, error) {
	out := Outcome{Status: res.Status, RequestID: res.RequestID, Tenant: tenant, Result: res}
	if res.Status == ledger.StatusDuplicate || res.Outbox == nil {
		return out, nil // a duplicate was answered the first time
	}
	var err error
	out.Reply, err = in.composer.Compose(*res.Outbox)
	return out, err
}

// record writes an outcome that changes nothing and composes its reply.
func (in *Intake) record(ctx context.Context, req ledger.Request, res ledger.Result, withReply bool) (Outcome, error) {
	rec, err := in.ledger.Record(ctx, req, res, withReply)
	if err != nil {
		return Outcome{}, err
	}
	return in.outcome(rec, req.Tenant)
}

// stranger answers a sender who is no tenant's contact, once per message
// and within the sender's reply limit, without naming any tenant (SPEC
// §4.3). A message whose sender cannot be told (several From addresses)
// is refused without a reply: answering one of them could answer the
// forger.
func (in *Intake) stranger(ctx context.Context, origin ledger.Origin, key, lang string, dryRun, answer bool) (Outcome, error) {
	in.log.Warn("mail from an unknown sender", "from", origin.From)
	res := refusal(ledger.UnauthorizedSender, "the sender is not a contact of any customer")
	res.At, res.Language = in.ledger.Clock().Now(), lang
	out := Outcome{Status: ledger.StatusRefused, Result: res}
	var entry *ledger.OutboxEntry
	if answer {
		entry = &ledger.OutboxEntry{Kind: "result", Language: lang, Origin: origin, Result: res, At: res.At}
	}
	if !dryRun {
		claim, err := in.ledger.ClaimGlobal(ctx, key, entry, in.cfg.RepliesPerHour)
		if err != nil {
			return Outcome{}, err
		}
		switch claim {
		case ledger.ClaimedBefore:
			out.Status = ledger.StatusDuplicate
			return out, nil
		case ledger.ClaimedReplyHeld:
			out.Result.ReplyLimited = true
			return out, nil
		}
	}
	if entry == nil {
		return out, nil
	}
	var err error
	out.Reply, err = in.composer.Compose(*entry)
	return out, err
}

// unknownSender refuses a message whose sender cannot be told, once per
// message and without a reply.
func (in *Intake) unknownSender(ctx context.Context, key, why string, dryRun bool) (Outcome, error) {
	res := refusal(ledger.UnauthorizedSender, "the sender cannot be told: "+why)
	res.At = in.ledger.Clock().Now()
	out := Outcome{Status: ledger.StatusRefused, Result: res, Reason: why}
	if dryRun {
		return out, nil
	}
	claim, err := in.ledger.ClaimGlobal(ctx, key, nil, 0)
	if err != nil {
		return Outcome{}, err
	}
	if claim == ledger.ClaimedBefore {
		out.Status = ledger.StatusDuplicate
	}
	return out, nil
}

// unreadable answers a message that could not be decoded, when its header
// can at least tell who sent it and that a person did. The answer counts
// against the sender's reply limit like any other (SPEC §4.4).
func (in *Intake) unreadable(ctx context.Context, raw []byte, perr error, dryRun bool) (Outcome, error) {
	code := ledger.MalformedMessage
	if errors.Is(perr, decode.ErrTooLarge) {
		code = ledger.MessageTooLarge
	}
	msg := headerOnly(raw)
	if msg == nil || msg.From == nil {
		in.log.Warn("unreadable mail without sender", "err", perr)
		return Outcome{Status: ledger.StatusIgnored, Reason: "unreadable: " + perr.Error()}, nil
	}
	if auto, why := guard.Automated(msg.Header, msg.ContentType, msg.From.Email, msg.HasReport, in.own()); auto {
		return Outcome{Status: ledger.StatusIgnored, Reason: string(why)}, nil
	}
	in.log.Warn("unreadable mail", "from", msg.From.Email, "err", perr)
	origin := originOf(msg, Source{})
	key := idempotencyKey(msg, raw, Source{})
	tenants, err := in.ledger.ContactTenants(ctx, msg.From.Email)
	if err != nil {
		return Outcome{}, err
	}
	if len(tenants) != 1 {
		return in.stranger(ctx, origin, key, detectLanguage(msg.Subject, ""), dryRun, true)
	}
	req := contactRequest(tenants[0], origin, key, dryRun)
	req.ReplyLimit = in.cfg.RepliesPerHour
	return in.record(ctx, req, refusal(code, perr.Error()), true)
}

// contactRequest is the request a contact's message makes of its tenant:
// asked by the sender, once per idempotency key.
func contactRequest(tenant string, origin ledger.Origin, key string, dryRun bool) ledger.Request {
	return ledger.Request{Tenant: tenant, Requester: ledger.Requester{ID: origin.From}, Origin: origin,
		IdempotencyKey: key, DryRun: dryRun}
}

// originOf is where a message with a usable sender comes from.
func originOf(msg *decode.Message, src Source) ledger.Origin {
	o := ledger.Origin{Channel: ledger.ChannelEmail, MessageID: msg.MessageID, Subject: clip.Text(msg.Subject, 300),
		Mailbox: src.Mailbox, UID: src.UID, References: threadReferences(msg)}
	if msg.From != nil {
		o.From, o.FromName = msg.From.Email, clip.Text(msg.From.Name, 100)
	}
	return o
}

// attachAutomated records an automatic message (an out-of-office, another
// desk's auto-reply) that a contact's mailbox sent in answer to one of the
// desk's replies in the conversation it answers, for the desk to see
// (SPEC §4.6), never answered and never read (§4.4). Any other automatic
// message, a stranger's, or one naming no live conversation of the
// sender's tenant, is only ignored: nothing is recorded.
func (in *Intake) attachAutomated(ctx context.Context, msg *decode.Message, origin ledger.Origin, key string,
	why guard.Reason, dryRun bool) (Outcome, error) {
	ignored := Outcome{Status: ledger.StatusIgnored, Reason: string(why)}
	answered := referencedRequest(msg)
	if answered == "" || origin.From == "" {
		return ignored, nil
	}
	if in.cfg.TrustedAuthserv != "" && !guard.CheckAuth(msg.Header, in.cfg.TrustedAuthserv, origin.From, in.cfg.RequireAuthPass).Pass {
		return ignored, nil // a forged sender writes nothing in a history
	}
	tenants, err := in.ledger.ContactTenants(ctx, origin.From)
	if err != nil || len(tenants) != 1 {
		return ignored, err
	}
	req := contactRequest(tenants[0], origin, key, dryRun)
	req.Text = clip.Text(quote.Strip(msg.Text), 4000)
	conv, err := in.continuation(ctx, msg, req)
	if err != nil || conv == nil {
		return ignored, err
	}
	req.Continues, req.Thread = conv.req.ID, conv.thread()
	req.Language = conv.req.Language
	out, err := in.attach(ctx, req, answered)
	if err == nil && out.Status == ledger.StatusIgnored {
		out.Reason = string(why) + "; follow-up of " + answered
	}
	return out, err
}

// attach records a message with no request in the conversation it
// answers: in the tenant's history for the desk, without a reply.
func (in *Intake) attach(ctx context.Context, req ledger.Request, id string) (Outcome, error) {
	res := ledger.Result{Status: ledger.StatusIgnored, Errors: []ledger.Error{}}
	out, err := in.record(ctx, req, res, false)
	if out.Status != ledger.StatusDuplicate {
		out.Status = ledger.StatusIgnored
	}
	out.Reason = "follow-up of " + id
	return out, err
}

func refusal(code ledger.Code, msg string) ledger.Result {
	return ledger.Result{Status: ledger.StatusRefused, Errors: []ledger.Error{{Code: code, Message: msg}}, Ops: []ledger.OpResult{}}
}

func (in *Intake) own() []string {
	if in.cfg.Desk == "" {
		return nil
	}
	return []string{in.cfg.Desk}
}

// idempotencyKey is the Message-ID (R-IDEMPOTENT); a message without one is
// known by its mailbox position and, failing that, by its bytes.
func idempotencyKey(msg *decode.Message, raw []byte, src Source) string {
	if msg.MessageID != "" {
		return "msgid:" + msg.MessageID
	}
	if src.Mailbox != "" && src.UID != 0 {
		return fmt.Sprintf("imap:%s:%d:%d", src.Mailbox, src.UIDValidity, src.UID)
	}
	sum := sha256.Sum256(raw)
	return "sha256:" + hex.EncodeToString(sum[:])
}

var requestTag = regexp.MustCompile(`\[(LD-[0-9A-HJKMNP-TV-Z]{26})\]`)

// referencedRequest finds the request a message answers: the [LD-…] tag of
// our subject, or our reply's Message-ID in In-Reply-To or References.
func referencedRequest(msg *decode.Message) string {
	if m := requestTag.FindStringSubmatch(msg.Subject); m != nil {
		return m[1]
	}
	for _, id := range append(append([]string(nil), msg.InReplyTo...), msg.References...) {
		if r := reply.RequestOf(id); r != "" {
			return r
		}
	}
	return ""
}

// threadReferences is the References of a reply: the original's
// References, then its Message-ID (RFC 5322 §3.6.4), bounded.
func threadReferences(msg *decode.Message) string {
	refs := msg.References
	if len(refs) > 20 {
		refs = refs[len(refs)-20:]
	}
	return strings.Join(refs, " ")
}

// headerOnly decodes just the header of a message that could not be
// decoded whole, to learn who sent it.
func headerOnly(raw []byte) *decode.Message {
	if len(raw) > 256<<10 {
		raw = raw[:256<<10]
	}
	end := bytes.Index(raw, []byte("\r\n\r\n"))
	if end < 0 {
		end = bytes.Index(raw, []byte("\n\n"))
	}
	if end < 0 {
		return nil
	}
	head := append(append([]byte(nil), raw[:end]...), "\r\n\r\n"...)
	// The body is gone, so the header's content type no longer applies.
	msg, err := decode.Parse(bytes.NewReader(head), decode.DefaultLimits())
	if err != nil {
		return nil
	}
	return msg
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// detectLanguage is the reader's language of a message with no tenant to
// ask: the same detector as for every other message.
func detectLanguage(subject, body string) string {
	return reader.Read(subject, body, nil, reader.Options{}).Language
}

// heldOf is what the tenant holds for the reader: each product it has a
// subscription to, with its total (R-TOTAL).
func heldOf(v ledger.TenantView) map[string]int {
	held := make(map[string]int, len(v.Products))
	for _, p := range v.Products {
		if len(p.Subscriptions) > 0 {
			held[p.SKU] = p.Total
		}
	}
	return held
}
