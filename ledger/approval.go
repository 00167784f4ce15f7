package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/licensedesk/licensedesk/internal/clip"
	"github.com/licensedesk/licensedesk/internal/fault"

	"github.com/redis/go-redis/v9"
)

// PendingRequest is an emailed request waiting for a desk admin (R-APPROVAL).
type PendingRequest struct {
	Request Request   `json:"request"`
	Planned Result    `json:"planned"` // what it would do, as planned when it arrived
	At      time.Time `json:"at"`
	Expires time.Time `json:"expires"`
}

// OutboxEntry is a reply to send, written by the commit that produced it
// (DESIGN "Outbox"). Senders render it in the tenant's language.
type OutboxEntry struct {
	// Kind is "result" (the outcome of a request), "pending" (it waits for
	// approval) or "decision" (a pending request was approved, rejected or
	// expired).
	Kind      string    `json:"kind"`
	RequestID string    `json:"request_id"`
	Tenant    string    `json:"tenant"`
	Language  string    `json:"language,omitempty"`
	Origin    Origin    `json:"origin"`
	Result    Result    `json:"result"`
	At        time.Time `json:"at"`
}

// needsApproval applies R-APPROVAL to an emailed request: every removal,
// and additions of more than the tenant's auto_apply_max_seats seats, wait
// for a desk admin. Assignments move no money and apply at once.
func needsApproval(req *Request, res *Result, t *Tenant) bool {
	if req.Origin.Channel != ChannelEmail {
		return false
	}
	max := t.Approval.AutoApplyMaxSeats
	if max <= 0 {
		max = DefaultAutoApplyMaxSeats
	}
	seats := 0
	for _, r := range res.Ops {
		switch r.Op {
		case OpRemove:
			return true
		case OpAdd, OpSet:
			if r.Before != nil && r.After != nil {
				d := r.After.Total - r.Before.Total
				if d < 0 {
					return true // set to a lower total is a removal
				}
				seats += d
			}
			if r.Outcome == OutcomeScheduled {
				return true
			}
		case OpRenew, OpAutoRenew:
			return true // commitments change: a person decides
		case OpSwitch:
			// R-SWITCH: seats bought count as additions; the removals that
			// --return implies always wait.
			if r.Returned > 0 || r.Scheduled > 0 {
				return true
			}
			seats += r.Bought
		}
	}
	return seats > max
}

// decidedResult is the result of a rejected or expired pending request.
func decidedResult(req *Request, now time.Time, dec *decision) Result {
	code, msg := Rejected, "the desk rejected the request"
	if dec.d.Reason != "" {
		msg += ": " + dec.d.Reason
	}
	if dec.expired {
		code, msg = RequestExpired, "the request waited 30 days for approval and expired"
	}
	res := refusedResult(req, now, code, msg)
	res.Status = StatusRejected
	return res
}

// Pending lists the requests waiting for approval, oldest first.
func (l *Ledger) Pending(ctx context.Context) ([]PendingRequest, error) {
	tenants, err := l.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	pipe := l.rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(tenants))
	for i, t := range tenants {
		cmds[i] = pipe.HGetAll(ctx, keysFor(t).pending)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, wrapf("ledger: pending: %w", err)
	}
	var out []PendingRequest
	for _, c := range cmds {
		for id, raw := range c.Val() {
			var p PendingRequest
			if err := json.Unmarshal([]byte(raw), &p); err != nil {
				return nil, wrapf("ledger: pending %s: %w", id, err)
			}
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, nil
}

// pendingRequest reads one pending request; ok is false when it is not
// (or no longer) pending.
func (l *Ledger) pendingRequest(ctx context.Context, tenant, id string) (PendingRequest, bool, error) {
	var p PendingRequest
	raw, err := l.rdb.HGet(ctx, keysFor(tenant).pending, id).Result()
	if errors.Is(err, redis.Nil) {
		return p, false, nil
	}
	if err != nil {
		return p, false, wrapf("ledger: pending %s: %w", id, err)
	}
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return p, false, wrapf("ledger: pending %s: %w", id, err)
	}
	return p, true, nil
}

// Decide approves or rejects a pending request (R-APPROVAL). Approval
// re-checks the request against the current state under the same rules and
// applies it under its own id; the decision is recorded in the audit log and
// the customer's reply is queued in the outbox, in one step. A second
// decision, or a decision on an expired request, changes nothing and says
// why.
func (l *Ledger) Decide(ctx context.Context, id string, by Requester, approve bool, reason string) (Result, error) {
	now := l.clock.Now()
	tenant, err := l.FindRequest(ctx, id)
	if err != nil {
		return Result{}, err
	}
	stub := &Request{ID: id, Tenant: tenant}
	if tenant == "" {
		return refusedResult(stub, now, UnknownRequest, fmt.Sprintf("no request %s", id)), nil
	}
	p, ok, err := l.pendingRequest(ctx, tenant, id)
	if err != nil {
		return Result{}, err
	}
	if !ok {
		return l.alreadyDecided(ctx, stub)
	}
	req := p.Request
	if code, msg := authorizeDecision(by, &req); code != "" {
		return refusedResult(stub, now, code, msg), nil
	}
	dec := &decision{d: Decision{By: by.ID, Approved: approve, Reason: clip.Text(strings.TrimSpace(reason), 500)}}
	if approve && now.After(p.Expires) {
		dec.d.Approved, dec.expired = false, true
	}
	// A second click is answered from the first decision: the decision's
	// once key (R-IDEMPOTENT), not the message's key, which the pending
	// record already used.
	req.IdempotencyKey = ""
	if approve {
		req.ApprovedBy = by.ID
		if by.Operator && req.ApprovedBy == "" {
			req.ApprovedBy = "cli"
		}
	}
	return l.apply(ctx, &req, l.Catalog(), dec)
}

// authorizeDecision: approving or rejecting needs the role the change needs
// (R-ROLE-BUY, R-ROLE-ASSIGN), held by a desk admin.
func authorizeDecision(by Requester, req *Request) (Code, string) {
	if by.Operator {
		return "", ""
	}
	for _, op := range req.Ops {
		if op.Kind.IsSeatOp() {
			if !HasRole(by.Roles, RoleGlobal, RoleBilling) {
				return NotAuthorized, "deciding on seat changes needs the global or billing role"
			}
		} else if !HasRole(by.Roles, RoleGlobal, RoleLicense, RoleUser) {
			return NotAuthorized, "deciding on assignments needs the global, license or user role"
		}
	}
	return "", ""
}

// alreadyDecided answers a decision on a request that is not pending.
func (l *Ledger) alreadyDecided(ctx context.Context, req *Request) (Result, error) {
	now := l.clock.Now()
	prev, err := l.Result(ctx, req.Tenant, req.ID)
	if err != nil {
		return refusedResult(req, now, UnknownRequest, fmt.Sprintf("no request %s", req.ID)), nil
	}
	res := refusedResult(req, now, AlreadyDecided, fmt.Sprintf("request %s is no longer pending: it was %s", req.ID, prev.Status))
	res.Decision = prev.Decision
	res.Tenant = prev.Tenant
	return res, nil
}

// expirePending settles the requests that waited longer than 30 days.
func (l *Ledger) expirePending(ctx context.Context, tenant string) (int, error) {
	all, err := l.rdb.HGetAll(ctx, keysFor(tenant).pending).Result()
	if err != nil {
		return 0, wrapf("ledger: pending %s: %w", tenant, err)
	}
	now := l.clock.Now()
	n := 0
	for id, raw := range all {
		var p PendingRequest
		if err := json.Unmarshal([]byte(raw), &p); err != nil {
			return n, wrapf("ledger: pending %s: %w", id, err)
		}
		if now.Before(p.Expires) {
			continue
		}
		req := p.Request
		req.IdempotencyKey = ""
		if _, err := l.apply(ctx, &req, l.Catalog(), &decision{d: Decision{By: "sweep"}, expired: true}); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Record writes the outcome of a request that changes nothing (a question
// back to the customer, a refusal decided before the rules, an answer): its
// audit record, its idempotency key and, for email with reply set, its
// reply in the outbox, in one step (R-AUDIT, R-IDEMPOTENT). A sender over
// the reply limit of req.ReplyLimit gets no reply (SPEC §4.4). A second
// record with the same key returns the first, marked duplicate. The result
// carries the outbox entry it queued, if any.
func (l *Ledger) Record(ctx context.Context, req Request, res Result, reply bool) (Result, error) {
	now := l.clock.Now()
	if req.ID == "" {
		req.ID = NewRequestID(now)
	}
	res.RequestID, res.Tenant, res.At = req.ID, req.Tenant, now
	if res.Errors == nil {
		res.Errors = []Error{}
	}
	if !ValidTenantID(req.Tenant) {
		return res, fault.Permanent(fmt.Errorf("ledger: record: %q is not a tenant id", req.Tenant))
	}
	snap, dupID, err := readNeeds(ctx, l.rdb, &req, need{})
	if err != nil {
		return Result{}, err
	}
	if dupID != "" {
		return l.duplicate(ctx, req.Tenant, dupID)
	}
	if snap == nil {
		return Result{}, ErrUnknownTenant
	}
	email := req.Origin.Channel == ChannelEmail
	if email {
		res.Language = replyLanguage(&req, &snap.Tenant)
	}
	spec := commitSpec{snap: snap, req: &req, eff: &Effects{},
		rec: &AuditRecord{Kind: "request", Request: &req, Result: &res, At: now}}
	if req.DryRun {
		if reply && email {
			entry := newOutboxEntry("result", &req, res, now)
			res.Outbox = &entry
		}
		return res, nil
	}
	if reply && email {
		budget, err := l.replyBudget(ctx, &req, now)
		if err != nil {
			return Result{}, err
		}
		if budget.allows("result") {
			entry := newOutboxEntry("result", &req, res, now)
			if spec.outbox, err = json.Marshal(entry); err != nil {
				return Result{}, err
			}
			spec.budget = budget.key
			res.Outbox = &entry
		} else {
			res.ReplyLimited = true
		}
	}
	outcome, detail, err := commit(ctx, l.cm, spec)
	if err != nil {
		return Result{}, err
	}
	if outcome == duplicateKey {
		return l.duplicate(ctx, req.Tenant, detail)
	}
	if spec.outbox != nil {
		l.wake(ctx, req.Tenant)
	}
	return res, nil
}

// claimGlobalScript claims a message key and, within the sender's hourly
// reply budget (SPEC §4.4), queues its reply, in one step. KEYS: the
// message's claim, the desk-wide outbox, the sender's budget. ARGV: the
// claim's TTL, the outbox entry or "", the reply limit (0: none).
// Returns 0 for a message already claimed, 1 when claimed with its reply
// queued (or none asked), 2 when claimed with the reply held back.
var claimGlobalScript = redis.NewScript(`
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) == false then return 0 end
if ARGV[2] == '' then return 1 end
local limit = tonumber(ARGV[3])
if limit > 0 and tonumber(redis.call('HGET', KEYS[3], 'n') or '0') >= limit then return 2 end
redis.call('XADD', KEYS[2], '*', 'req', '', 'data', ARGV[2])
redis.call('HINCRBY', KEYS[3], 'n', 1)
redis.call('EXPIRE', KEYS[3], 7200)
return 1
`)

// Claim is the outcome of ClaimGlobal.
type Claim int

const (
	// ClaimedBefore: the message was claimed before; nothing was done.
	ClaimedBefore Claim = iota
	// Claimed: the message is claimed and its reply, if any, queued.
	Claimed
	// ClaimedReplyHeld: the message is claimed; the sender's reply limit
	// held its reply back.
	ClaimedReplyHeld
)

// ClaimGlobal records a message that belongs to no tenant (an unknown
// sender) and, when entry is not nil and the sender is within limit
// replies this hour (0: no limit), queues its reply in the desk-wide
// outbox, in one step. A message already claimed is answered once only.
func (l *Ledger) ClaimGlobal(ctx context.Context, key string, entry *OutboxEntry, limit int) (Claim, error) {
	var box []byte
	sender := ""
	if entry != nil {
		var err error
		if box, err = json.Marshal(entry); err != nil {
			return ClaimedBefore, err
		}
		sender = entry.Origin.From
	}
	budget := "ld:{g}:budget:" + hashKey(strings.ToLower(strings.TrimSpace(sender))) + ":" +
		strconv.FormatInt(l.clock.Now().Truncate(time.Hour).Unix(), 10)
	n, err := claimGlobalScript.Run(ctx, l.rdb, []string{"ld:{g}:seen:" + hashKey(key), KeyGlobalOutbox, budget},
		int(IdempotencyTTL/time.Second), box, limit).Int()
	if err != nil {
		return ClaimedBefore, wrapf("ledger: claim: %w", err)
	}
	if n == 1 && box != nil {
		l.wake(ctx, "")
	}
	return Claim(n), nil
}
