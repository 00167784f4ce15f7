package ledger

import (
	"context"
	crand "crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	retry "github.com/licensedesk/licensedesk/internal/backoff"
	"github.com/licensedesk/licensedesk/internal/clip"
	"github.com/licensedesk/licensedesk/internal/fault"
	"github.com/oklog/ulid/v2"
	"github.com/redis/go-redis/v9"
)

// Ledger applies change requests to the Redis store under the rules of
// SPEC §3. It is safe for concurrent use.
type Ledger struct {
	rdb   redis.UniversalClient
	base  *Catalog
	clock Clock
	log   *slog.Logger

	mu    sync.RWMutex
	cat   *Catalog // base plus the overrides stored in Redis
	cache *snapCache
	cm    *committer

	closer   func() // releases a store the ledger opened itself
	embedded string // the address of an embedded store
}

// New returns a ledger on rdb, a client the caller owns (tests, and Open).
// Call Refresh to load catalog overrides.
func New(rdb redis.UniversalClient, base *Catalog, clock Clock, log *slog.Logger) *Ledger {
	if base == nil {
		base = DefaultCatalog()
	}
	if clock == nil {
		clock = SystemClock{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Ledger{rdb: rdb, base: base, cat: base, clock: clock, log: log, cache: newSnapCache(10000), cm: newCommitter(rdb)}
}

// Clock returns the ledger's clock.
func (l *Ledger) Clock() Clock { return l.clock }

// Catalog returns the catalog in force.
func (l *Ledger) Catalog() *Catalog {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.cat
}

// Refresh reloads the catalog overrides stored by ledger import.
func (l *Ledger) Refresh(ctx context.Context) error {
	raw, err := l.rdb.Get(ctx, keyCatalog).Result()
	if errors.Is(err, redis.Nil) {
		l.mu.Lock()
		l.cat = l.base
		l.mu.Unlock()
		return nil
	}
	if err != nil {
		return wrapf("ledger: load catalog: %w", err)
	}
	var over []Product
	if err := json.Unmarshal([]byte(raw), &over); err != nil {
		return wrapf("ledger: load catalog: %w", err)
	}
	cat, err := l.base.WithOverrides(over)
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.cat = cat
	l.mu.Unlock()
	return nil
}

var (
	entropyMu sync.Mutex
	entropy   = ulid.Monotonic(cryptoReader{}, 0)
)

// NewRequestID returns a new request id: "LD-" and a ULID.
func NewRequestID(now time.Time) string {
	entropyMu.Lock()
	defer entropyMu.Unlock()
	return "LD-" + ulid.MustNew(ulid.Timestamp(now), entropy).String()
}

// wake nudges the outbox senders. It is not part of the commit: a lost
// nudge only delays the reply until the senders' periodic scan.
func (l *Ledger) wake(ctx context.Context, tenant string) {
	err := l.rdb.XAdd(ctx, &redis.XAddArgs{Stream: KeyWake, MaxLen: 10000, Approx: true, Values: []any{"tenant", tenant}}).Err()
	if err != nil {
		l.log.Warn("outbox wake-up not sent", "tenant", tenant, "err", err)
	}
}

// nameHolders fills in who holds the seats of a removal refused with
// CountViolation: the reply names them (R-REMOVE). Only refusals pay for
// the read.
func (l *Ledger) nameHolders(ctx context.Context, tenant string, res *Result) {
	for i := range res.Ops {
		r := &res.Ops[i]
		if r.Code != CountViolation || (r.Op != OpRemove && r.Op != OpSet) || len(r.Holders) >= 20 {
			continue
		}
		users, err := l.rdb.ZRange(ctx, keysFor(tenant).holders(r.SKU), 0, 19).Result()
		if err != nil {
			continue // the refusal stands; only the names are missing
		}
		seen := map[string]bool{}
		for _, u := range r.Holders {
			seen[u] = true
		}
		for _, u := range users {
			if !seen[u] && len(r.Holders) < 20 {
				r.Holders = append(r.Holders, u)
			}
		}
		sort.Strings(r.Holders)
	}
}

// ValidRequestID reports whether s is a request id: "LD-" and 26 letters
// of Crockford's base 32 (a ULID: no I, L, O or U). A hand-written check:
// it runs on every request (SPEC §8).
func ValidRequestID(s string) bool {
	if len(s) != 29 || s[:3] != "LD-" {
		return false
	}
	for i := 3; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' && c != 'I' && c != 'L' && c != 'O' && c != 'U') {
			return false
		}
	}
	return true
}

// ValidTenantID reports whether s is a valid tenant slug:
// [a-z0-9][a-z0-9-]{0,62}.
func ValidTenantID(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// maxAttempts bounds the re-plans after version clashes.
const maxAttempts = 100

// Submit checks req against the rules and, unless it is a dry run or is
// refused, applies it in one atomic step with its audit record (R-ATOMIC,
// R-AUDIT). A request whose idempotency key was already used returns the
// first result, marked duplicate (R-IDEMPOTENT). Refusals are results, not
// errors; errors are faults (Redis down, contention).
func (l *Ledger) Submit(ctx context.Context, req Request) (Result, error) {
	return l.submit(ctx, &req)
}

func (l *Ledger) submit(ctx context.Context, req *Request) (Result, error) {
	now := l.clock.Now()
	if req.ID == "" {
		req.ID = NewRequestID(now)
	}
	req.Tenant = strings.ToLower(strings.TrimSpace(req.Tenant))
	cat := l.Catalog()
	normalizeOps(req, cat)
	if res, bad := l.validate(req, now); bad {
		return res, nil
	}
	return l.apply(ctx, req, cat, nil)
}

// decision is an approval or rejection being applied to a pending request.
type decision struct {
	d       Decision
	expired bool
}

// apply plans and commits req, re-planning after version clashes. With a
// decision, req is a pending request being settled.
func (l *Ledger) apply(ctx context.Context, req *Request, cat *Catalog, dec *decision) (Result, error) {
	n := needsOf(req, cat)
	for attempt := 0; attempt < maxAttempts; attempt++ {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		if hasAll(req) {
			// R-SWITCH --all: the holders of FROM, read afresh on every
			// attempt; the commit checks FROM's version, which every
			// assignment moves, so a holder added meanwhile is not missed.
			if err := l.expandAll(ctx, req); err != nil {
				return Result{}, err
			}
			n = needsOf(req, cat)
		}
		now := l.clock.Now()
		// A warm cache saves the read; the commit checks the versions all
		// the same (and the idempotency key), so nothing stale is applied.
		snap, hit := l.cache.get(req.Tenant, n)
		if !hit {
			var dupID string
			var err error
			snap, dupID, err = readSnapshot(ctx, l.rdb, req, n)
			if err != nil {
				return Result{}, err
			}
			if dupID != "" {
				return l.duplicate(ctx, req.Tenant, dupID)
			}
			if snap != nil {
				l.cache.put(req.Tenant, snap)
			}
		}
		if snap == nil {
			res := refusedResult(req, now, UnknownTenant, fmt.Sprintf("no tenant %q", req.Tenant))
			l.auditGlobal(ctx, req, &res)
			return res, nil
		}
		var res Result
		var eff Effects
		if dec != nil && !dec.d.Approved {
			res = decidedResult(req, now, dec)
		} else {
			res, eff = Plan(snap, req, cat, now)
			l.nameHolders(ctx, req.Tenant, &res)
		}
		email := req.Origin.Channel == ChannelEmail
		if email {
			res.Language = replyLanguage(req, &snap.Tenant)
			res.Understood = slices.Clone(req.Ops)
		}
		if req.DryRun {
			if email {
				entry := newOutboxEntry("result", req, res, now)
				res.Outbox = &entry
			}
			return res, nil
		}
		if dec != nil && dec.d.Approved && res.Status == StatusRefused {
			// R-IDEMPOTENT: an approval that a rule refuses now may pass
			// later (seats bought meanwhile): the request stays pending,
			// and the attempt is recorded under its own id.
			return l.refusedApproval(ctx, req, res, dec, now)
		}
		spec := commitSpec{snap: snap, req: req, eff: &eff}
		if req.Undoes != "" {
			// R-IDEMPOTENT: only an applied undo stops a second one.
			spec.once, spec.onceSet = "undo:"+req.Undoes, res.Status == StatusApplied || res.Status == StatusPartiallyApplied
		}
		budget, err := l.replyBudget(ctx, req, now)
		if err != nil {
			return Result{}, err
		}
		kind := "result"
		switch {
		case dec != nil:
			d := dec.d
			d.At = now
			res.Decision = &d
			spec.pending = "-"
			spec.once, spec.onceSet = "decide:"+req.ID, true
			kind = "decision"
		case res.Status == StatusPendingApproval || (budget.over && (res.Status == StatusApplied || res.Status == StatusPartiallyApplied)):
			// R-APPROVAL: the request waits for a desk admin; nothing is
			// applied now. The plan is kept to show the admin what it does.
			// SPEC §4.4: a sender over the reply limit is held the same way.
			hold(&res)
			eff = Effects{}
			pend, err := json.Marshal(PendingRequest{Request: *req, Planned: res, At: now, Expires: now.Add(PendingLifetime)})
			if err != nil {
				return Result{}, err
			}
			spec.pending = "+" + string(pend)
			kind = "pending"
		}
		// The commit adds what the request changed (the delta between the
		// snapshot and the effects, store.go).
		spec.rec = &AuditRecord{Kind: "request", Request: req, Result: &res, At: now}
		if email && dec == nil && budget.over {
			// SPEC §4.4: the limit holds back replies, never requests; a
			// held request gets at most one notice an hour.
			res.ReplyLimited = true
		}
		if email && (dec != nil || budget.allows(kind)) {
			// The reply leaves through the outbox, written in the same step.
			entry := newOutboxEntry(kind, req, res, now)
			box, err := json.Marshal(entry)
			if err != nil {
				return Result{}, err
			}
			spec.outbox = box
			if dec == nil {
				spec.budget, spec.notice = budget.key, budget.over
			}
			res.Outbox = &entry
		}
		outcome, detail, err := commit(ctx, l.cm, spec)
		if err != nil {
			l.cache.drop(req.Tenant)
			return Result{}, err
		}
		switch outcome {
		case duplicateKey:
			return l.duplicate(ctx, req.Tenant, detail)
		case versionClash:
			l.cache.drop(req.Tenant)
			if !hit {
				backoff(ctx, attempt)
			}
			continue
		case notPending:
			return l.alreadyDecided(ctx, req)
		}
		l.cache.committed(req.Tenant, snap, &eff)
		if spec.outbox != nil {
			l.wake(ctx, req.Tenant)
		}
		for id := range eff.SubIndex {
			l.rdb.HSet(ctx, keySubIdx, id, req.Tenant)
		}
		if l.log.Enabled(ctx, slog.LevelInfo) { // the arguments cost allocations even when not logged
			l.log.Info("request", "id", req.ID, "tenant", req.Tenant, "channel", req.Origin.Channel,
				"by", req.Requester.ID, "status", res.Status, "attempts", attempt+1)
		}
		return res, nil
	}
	return Result{}, ErrContention
}

// replyLanguage is the language of an emailed request's reply: decided by
// the edge, else the tenant's, else English (SPEC §4.5).
func replyLanguage(req *Request, t *Tenant) string {
	for _, l := range []string{req.Language, t.Language} {
		if l == "fr" || l == "en" {
			return l
		}
	}
	return "en"
}

// newOutboxEntry is the reply entry of a request: everything its reply
// needs, so that the reply is composed once, from the entry (DESIGN
// "Outbox").
func newOutboxEntry(kind string, req *Request, res Result, now time.Time) OutboxEntry {
	res.Outbox = nil
	return OutboxEntry{Kind: kind, RequestID: req.ID, Tenant: req.Tenant, Language: res.Language,
		Origin: req.Origin, Result: res, At: now}
}

// refusedApproval records an approval that a rule refused, under a request
// id of its own so that the pending request and its result stay as they
// are, and answers the approver.
func (l *Ledger) refusedApproval(ctx context.Context, pending *Request, res Result, dec *decision, now time.Time) (Result, error) {
	attempt := Request{ID: NewRequestID(now), Tenant: pending.Tenant, Ops: pending.Ops,
		Requester: Requester{ID: dec.d.By}, Origin: Origin{Channel: ChannelSlack, SlackUser: dec.d.By},
		Text: "approve " + pending.ID}
	rec := res
	rec.RequestID = attempt.ID
	rec.Outbox = nil
	if _, err := l.Record(ctx, attempt, rec, false); err != nil {
		return Result{}, err
	}
	res.Outbox = nil
	return res, nil
}

// replanBackoff is the wait before a re-plan after a version clash: from
// a millisecond, doubling, capped at 20 ms, each wait spread by up to as
// much again at random, so that the requests that clashed do not clash
// again in step.
var replanBackoff = retry.Policy{Base: time.Millisecond, Max: 20 * time.Millisecond, Jitter: 1}

// backoff waits a little, with jitter, before a re-plan.
func backoff(ctx context.Context, attempt int) {
	retry.Sleep(ctx, replanBackoff.Delay(attempt+1, rand.Float64()))
}

// hasAll reports whether a request names every holder of a product.
func hasAll(req *Request) bool {
	return slices.ContainsFunc(req.Ops, func(op Op) bool { return op.Kind == OpSwitch && op.All })
}

// expandAll replaces switch --all with the holders of FROM: up to
// MaxUsersPerOp, and one more to let the planner say there are too many.
func (l *Ledger) expandAll(ctx context.Context, req *Request) error {
	for i := range req.Ops {
		op := &req.Ops[i]
		if op.Kind != OpSwitch || !op.All {
			continue
		}
		users, err := l.rdb.ZRange(ctx, keysFor(req.Tenant).holders(op.SKU), 0, MaxUsersPerOp).Result()
		if err != nil {
			return wrapf("ledger: holders of %s: %w", op.SKU, err)
		}
		expandAll(op, users)
	}
	return nil
}

// normalizeOps resolves product names to catalog SKUs and folds user names.
func normalizeOps(req *Request, cat *Catalog) {
	for i := range req.Ops {
		op := &req.Ops[i]
		if p, ok := cat.Get(op.SKU); ok {
			op.SKU = p.SKU
		}
		if p, ok := cat.Get(op.To); ok && op.To != "" {
			op.To = p.SKU
		}
		if len(op.Users) <= MaxUsersPerOp {
			for j, u := range op.Users {
				op.Users[j] = strings.ToLower(strings.TrimSpace(u))
			}
		}
	}
}

// validate refuses requests that cannot be planned at all.
func (l *Ledger) validate(req *Request, now time.Time) (Result, bool) {
	switch {
	case !ValidTenantID(req.Tenant):
		return refusedResult(req, now, UnknownTenant, fmt.Sprintf("%q is not a tenant id", clip.Text(req.Tenant, 64))), true
	case len(req.Ops) == 0:
		return refusedResult(req, now, NoRequestFound, "the request has no operation"), true
	case len(req.Ops) > MaxOpsPerReq:
		return refusedResult(req, now, InvalidRequest, fmt.Sprintf("a request may hold at most %d operations", MaxOpsPerReq)), true
	}
	return Result{}, false
}

// authorize applies R-ROLE-BUY and R-ROLE-ASSIGN. Email requests take their
// roles from the tenant's contacts, never from the caller.
func authorize(req *Request, t *Tenant) (Code, string) {
	if req.Requester.Operator {
		return "", ""
	}
	roles := req.Requester.Roles
	contact := req.Origin.Channel == ChannelEmail
	if contact {
		roles = contactRoles(t, req.Requester.ID)
		if !slices.ContainsFunc(t.Contacts, func(c Contact) bool { return strings.EqualFold(c.Email, req.Requester.ID) }) {
			return UnauthorizedSender, "the sender is not a contact of this tenant"
		}
	}
	for _, op := range req.Ops {
		if op.Kind.IsSeatOp() {
			if !HasRole(roles, RoleBilling) && (contact || !HasRole(roles, RoleGlobal)) {
				return NotAuthorized, fmt.Sprintf("%s needs the billing role", op.Kind)
			}
			continue
		}
		if contact {
			if !HasRole(roles, RoleLicense) {
				return NotAuthorized, fmt.Sprintf("%s needs the license role", op.Kind)
			}
		} else if !HasRole(roles, RoleGlobal, RoleLicense, RoleUser) {
			return NotAuthorized, fmt.Sprintf("%s needs the global, license or user role", op.Kind)
		}
	}
	return "", ""
}

func refusedResult(req *Request, now time.Time, code Code, msg string) Result {
	res := Result{RequestID: req.ID, Status: StatusRefused, Tenant: req.Tenant, At: now,
		Errors: []Error{{Code: code, Message: msg}}}
	for _, op := range req.Ops {
		res.Ops = append(res.Ops, OpResult{Op: op.Kind, SKU: op.SKU, Quantity: op.Quantity,
			Users: truncList(op.Users, 20), Subscription: op.Subscription, Outcome: OutcomeNotRun})
	}
	return res
}

func truncList(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// duplicate returns the stored result of an earlier request, marked so.
func (l *Ledger) duplicate(ctx context.Context, tenant, id string) (Result, error) {
	res, err := l.Result(ctx, tenant, id)
	if err != nil {
		return Result{}, err
	}
	res.Status = StatusDuplicate
	return res, nil
}

// Result returns the stored result of a request.
func (l *Ledger) Result(ctx context.Context, tenant, id string) (Result, error) {
	rec, err := l.recorded(ctx, tenant, id)
	if err != nil {
		return Result{}, err
	}
	return *rec.Result, nil
}

// Recorded returns a request as it was recorded, with its result: what a
// conversation by email continues from (SPEC §4.6).
func (l *Ledger) Recorded(ctx context.Context, tenant, id string) (Request, Result, error) {
	rec, err := l.recorded(ctx, tenant, id)
	if err != nil {
		return Request{}, Result{}, err
	}
	if rec.Request == nil {
		return Request{}, Result{}, fault.Permanent(fmt.Errorf("ledger: request %s: its audit entry holds no request", id))
	}
	return *rec.Request, *rec.Result, nil
}

// recorded reads the audit record that holds a request's result.
func (l *Ledger) recorded(ctx context.Context, tenant, id string) (AuditRecord, error) {
	k := keysFor(tenant)
	aid, err := l.rdb.HGet(ctx, k.results, id).Result()
	if errors.Is(err, redis.Nil) {
		return AuditRecord{}, fault.Permanent(fmt.Errorf("ledger: result %s: %w", id, ErrUnknownRequest))
	}
	if err != nil {
		return AuditRecord{}, wrapf("ledger: result %s: %w", id, err)
	}
	msgs, err := l.rdb.XRange(ctx, k.audit, aid, aid).Result()
	if err != nil {
		return AuditRecord{}, wrapf("ledger: result %s: audit entry %s: %w", id, aid, err)
	}
	if len(msgs) != 1 {
		return AuditRecord{}, fault.Permanent(fmt.Errorf("ledger: result %s: audit entry %s is missing", id, aid))
	}
	rec, err := decodeAudit(msgs[0])
	if err != nil {
		return AuditRecord{}, err
	}
	if rec.Result == nil {
		return AuditRecord{}, fault.Permanent(fmt.Errorf("ledger: result %s: audit entry %s has no result", id, aid))
	}
	return rec, nil
}

// FindRequest returns the tenant of a request id, or "" when unknown. Undo
// and approvals are rare, so one pipelined look-up per tenant is cheaper
// than a desk-wide index written on every request.
func (l *Ledger) FindRequest(ctx context.Context, id string) (string, error) {
	tenants, err := l.Tenants(ctx)
	if err != nil {
		return "", err
	}
	pipe := l.rdb.Pipeline()
	cmds := make([]*redis.BoolCmd, len(tenants))
	for i, t := range tenants {
		cmds[i] = pipe.HExists(ctx, keysFor(t).results, id)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return "", wrapf("ledger: find request: %w", err)
	}
	for i, c := range cmds {
		if c.Val() {
			return tenants[i], nil
		}
	}
	return "", nil
}

// FindSubscription returns the tenant holding a subscription id, or "".
func (l *Ledger) FindSubscription(ctx context.Context, id string) (string, error) {
	t, err := l.rdb.HGet(ctx, keySubIdx, id).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", wrapf("ledger: find subscription: %w", err)
	}
	return t, nil
}

// auditGlobal records a request that has no tenant to be recorded under.
func (l *Ledger) auditGlobal(ctx context.Context, req *Request, res *Result) {
	if req.DryRun {
		return
	}
	b, err := json.Marshal(AuditRecord{Kind: "request", Request: req, Result: res, At: res.At})
	if err != nil {
		return
	}
	if len(b) > 64<<10 {
		b, _ = json.Marshal(AuditRecord{Kind: "request", Result: res, At: res.At})
	}
	err = l.rdb.XAdd(ctx, &redis.XAddArgs{Stream: keyAudit, MaxLen: 100000, Approx: true,
		Values: []any{"req", req.ID, "data", b}}).Err()
	if err != nil {
		l.log.Warn("global audit not written", "request", req.ID, "err", err)
	}
}

// Undo builds and submits the inverse of an applied request, under the same
// rules (SPEC §5.3 undo). Undoing twice returns the first undo, marked
// duplicate.
func (l *Ledger) Undo(ctx context.Context, id string, by Requester, origin Origin, dryRun bool) (Result, error) {
	now := l.clock.Now()
	tenant, err := l.FindRequest(ctx, id)
	if err != nil {
		return Result{}, err
	}
	req := Request{Requester: by, Origin: origin, Undoes: id, DryRun: dryRun, Text: "undo " + id}
	if tenant == "" {
		req.ID = NewRequestID(now)
		return refusedResult(&req, now, UnknownRequest, fmt.Sprintf("no request %s", id)), nil
	}
	req.Tenant = tenant
	orig, err := l.Result(ctx, tenant, id)
	if err != nil {
		return Result{}, err
	}
	ops, code, msg := inverseOps(&orig)
	if code != "" {
		req.ID = NewRequestID(now)
		return refusedResult(&req, now, code, msg), nil
	}
	req.Ops = ops
	return l.Submit(ctx, req)
}

// inverseOps returns the operations that reverse an applied request.
func inverseOps(orig *Result) ([]Op, Code, string) {
	if orig.Status != StatusApplied && orig.Status != StatusPartiallyApplied {
		return nil, NotReversible, fmt.Sprintf("request %s was %s: there is nothing to undo", orig.RequestID, orig.Status)
	}
	var ops []Op
	for i := len(orig.Ops) - 1; i >= 0; i-- {
		r := orig.Ops[i]
		switch {
		case r.Outcome == OutcomeUnchanged || r.Outcome == OutcomeRefused || r.Outcome == OutcomeNotRun:
			continue
		case r.Op == OpRenew:
			return nil, NotReversible, "a renewal cannot be undone"
		case r.Outcome == OutcomeScheduled:
			return nil, NotReversible, "a reduction scheduled for the renewal cannot be undone; turn auto-renew off and on instead"
		}
		switch r.Op {
		case OpAdd, OpSet, OpRemove:
			if r.Before == nil || r.After == nil {
				return nil, NotReversible, "the request has no recorded figures"
			}
			// The inverse is the opposite delta, not the old total, so that
			// changes made since by others are kept.
			switch d := r.After.Total - r.Before.Total; {
			case d > 0:
				ops = append(ops, Op{Kind: OpRemove, SKU: r.SKU, Quantity: d, Subscription: r.Subscription})
			case d < 0:
				ops = append(ops, Op{Kind: OpAdd, SKU: r.SKU, Quantity: -d, Subscription: r.Subscription})
			}
		case OpAssign, OpUnassign:
			var users []string
			for _, u := range r.UserResults {
				if u.Outcome == OutcomeApplied {
					users = append(users, u.UPN)
				}
			}
			kind := OpUnassign
			if r.Op == OpUnassign {
				kind = OpAssign
			}
			if len(users) > 0 {
				ops = append(ops, Op{Kind: kind, SKU: r.SKU, Users: users})
			}
		case OpAutoRenew:
			ops = append(ops, Op{Kind: OpAutoRenew, Subscription: r.Subscription, SKU: r.SKU, AutoRenew: !r.AutoRenew})
		case OpSwitch:
			// R-SWITCH: undo moves the users back, under the same rules;
			// the seats bought for them go back too, as far as R-REMOVE
			// allows.
			var users []string
			for _, u := range r.UserResults {
				if u.Outcome == OutcomeApplied {
					users = append(users, u.UPN)
				}
			}
			if len(users) > 0 {
				ops = append(ops, Op{Kind: OpSwitch, SKU: r.To, To: r.SKU, Users: users, Return: r.Bought > 0})
			}
		}
	}
	if len(ops) == 0 {
		return nil, NotReversible, "the request changed nothing"
	}
	return ops, "", ""
}

// cryptoReader feeds ULIDs from the operating system's random source.
type cryptoReader struct{}

func (cryptoReader) Read(p []byte) (int, error) { return crand.Read(p) }
