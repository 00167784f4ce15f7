package ledger

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Key layout. Every key of a tenant carries the tenant in a hash tag, so a
// request's reads and its commit stay in one Redis Cluster slot.
type tenantKeys struct {
	id, tenant, sver, uver, subs, users, assigned, audit, results, subidx, outbox, pending, checkpoint string
}

// prefix is what every key of the tenant starts with.
func (k tenantKeys) prefix() string { return k.tenant[:len(k.tenant)-len("tenant")] }

func keysFor(tenant string) tenantKeys {
	p := "ld:{t:" + tenant + "}:"
	// One allocation for every name: this runs on every request.
	all := p + "tenant" + p + "sver" + p + "uver" + p + "subs" + p + "users" + p + "assigned" + p + "audit" +
		p + "results" + p + "subidx" + p + "outbox" + p + "pending" + p + "checkpoint"
	next := func(name string) string {
		n := len(p) + len(name) // the name is a constant: no allocation
		s := all[:n]
		all = all[n:]
		return s
	}
	return tenantKeys{
		id:       tenant,
		tenant:   next("tenant"),   // string: Tenant JSON
		sver:     next("sver"),     // hash: sku -> version
		uver:     next("uver"),     // hash: upn -> version
		subs:     next("subs"),     // hash: sku -> []Subscription JSON
		users:    next("users"),    // hash: upn -> User JSON
		assigned: next("assigned"), // hash: sku -> users holding it
		audit:    next("audit"),    // stream: AuditRecord per request
		results:  next("results"),  // hash: request id -> its audit entry id
		subidx:   next("subidx"),   // hash: subscription id -> sku
		outbox:   next("outbox"),   // stream: replies to send (mail issue)
		pending:  next("pending"),  // hash: request id -> pending request (R-APPROVAL)
		// hash: the last verified state (checkpoint.go)
		checkpoint: next("checkpoint"),
	}
}

// OutboxKey is the stream of replies a tenant's requests queued.
func OutboxKey(tenant string) string { return keysFor(tenant).outbox }

func (k tenantKeys) holders(sku string) string { return "ld:{t:" + k.id + "}:holders:" + sku }

func (k tenantKeys) idem(key string) string { return "ld:{t:" + k.id + "}:idem:" + hashKey(key) }

// hashKey turns an untrusted key (a Message-ID, a Slack retry id) into a
// short, safe part of a Redis key.
func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16])
}

// all returns every key of the tenant except the per-product holder sets and
// idempotency keys, which callers find with SCAN.
func (k tenantKeys) all() []string {
	return []string{k.tenant, k.sver, k.uver, k.subs, k.users, k.assigned, k.audit, k.results, k.subidx, k.outbox, k.pending, k.checkpoint}
}

// Global keys, touched outside the commit script. They share the hash tag
// {g} so that the few scripts over them stay in one Cluster slot.
const (
	keyTenants  = "ld:{g}:tenants"  // set of tenant ids
	keyAdmins   = "ld:{g}:admins"   // hash: slack user -> []Role JSON
	keyCatalog  = "ld:{g}:catalog"  // string: []Product overrides JSON
	keyContacts = "ld:{g}:contacts" // hash: email -> tenant ids, comma-separated
	keyDomains  = "ld:{g}:domains"  // hash: domain -> tenant ids, comma-separated
	keySubIdx   = "ld:{g}:subidx"   // hash: subscription id -> tenant
	keyAudit    = "ld:{g}:audit"    // stream: desk-wide events (grants, unknown tenants)
	// KeyWake is the wake-up stream: after a commit that queued a reply, the
	// tenant's id is added here (outside the commit) so that senders know
	// which outbox to read; a periodic scan finds any nudge a crash lost.
	KeyWake = "ld:{g}:wake"
	// KeyGlobalOutbox holds replies that belong to no tenant (a stranger's
	// message), written with the claim of the message's key.
	KeyGlobalOutbox = "ld:{g}:outbox"
)

// IdempotencyTTL is how long an idempotency key is remembered.
const IdempotencyTTL = 400 * 24 * time.Hour

// need lists what a request reads.
type need struct {
	allSubs bool
	credit  bool
	skus    map[string]bool
	users   map[string]bool
}

func needsOf(req *Request, cat *Catalog) need {
	n := need{skus: make(map[string]bool, len(req.Ops))}
	for _, op := range req.Ops {
		sku := op.SKU
		if p, ok := cat.Get(sku); ok {
			sku = p.SKU
		}
		switch op.Kind {
		case OpAdd, OpSet, OpSwitch: // a switch may buy seats of its TO
			// The credit limit of R-ADD is tenant-wide: read every product
			// when (and only when) the tenant has one.
			n.credit = true
		case OpRenew, OpAutoRenew:
			if sku == "" {
				n.allSubs = true
			}
		}
		if sku != "" {
			n.skus[sku] = true
		}
		if op.To != "" {
			to := op.To
			if p, ok := cat.Get(to); ok {
				to = p.SKU
			}
			n.skus[to] = true
		}
		if len(op.Users) <= MaxUsersPerOp {
			for _, u := range op.Users {
				if n.users == nil {
					n.users = map[string]bool{}
				}
				n.users[strings.ToLower(strings.TrimSpace(u))] = true
			}
		}
	}
	return n
}

// readSnapshot reads what req needs, in one round trip unless the tenant
// has a credit limit that an addition must be checked against. It returns a
// nil snapshot when the tenant does not exist, and the id of an earlier
// request when the idempotency key was already used.
func readSnapshot(ctx context.Context, rdb redis.UniversalClient, req *Request, n need) (*Snapshot, string, error) {
	s, id, err := readNeeds(ctx, rdb, req, n)
	if err != nil || s == nil || !n.credit || n.allSubs || s.Tenant.CreditLimit == nil {
		return s, id, err
	}
	n.allSubs = true
	return readNeeds(ctx, rdb, req, n)
}

func readNeeds(ctx context.Context, rdb redis.UniversalClient, req *Request, n need) (*Snapshot, string, error) {
	k := keysFor(req.Tenant)
	skus := sortedKeys(n.skus)
	users := sortedKeys(n.users)

	pipe := rdb.Pipeline()
	tenantCmd := pipe.Get(ctx, k.tenant)
	var idemCmd *redis.StringCmd
	if req.IdempotencyKey != "" {
		idemCmd = pipe.Get(ctx, k.idem(req.IdempotencyKey))
	}
	var subsAll, sverAll, asgAll *redis.MapStringStringCmd
	var subsSome, sverSome, asgSome *redis.SliceCmd
	if n.allSubs {
		subsAll = pipe.HGetAll(ctx, k.subs)
		sverAll = pipe.HGetAll(ctx, k.sver)
		asgAll = pipe.HGetAll(ctx, k.assigned)
	} else if len(skus) > 0 {
		subsSome = pipe.HMGet(ctx, k.subs, skus...)
		sverSome = pipe.HMGet(ctx, k.sver, append(skus, tenantVersionField)...)
		asgSome = pipe.HMGet(ctx, k.assigned, skus...)
	}
	var usersCmd, uverCmd *redis.SliceCmd
	if len(users) > 0 {
		usersCmd = pipe.HMGet(ctx, k.users, users...)
		uverCmd = pipe.HMGet(ctx, k.uver, users...)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, "", wrapf("ledger: read %s: %w", req.Tenant, err)
	}
	if idemCmd != nil {
		if id, err := idemCmd.Result(); err == nil {
			return nil, id, nil
		}
	}
	raw, err := tenantCmd.Result()
	if errors.Is(err, redis.Nil) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", wrapf("ledger: read %s: %w", req.Tenant, err)
	}
	s := &Snapshot{
		Subs: map[string][]Subscription{}, Users: map[string]*User{}, Assigned: map[string]int{},
		Holders: map[string][]string{}, SKUVer: map[string]int64{}, UserVer: map[string]int64{},
		AllSubs: n.allSubs,
	}
	if err := json.Unmarshal([]byte(raw), &s.Tenant); err != nil {
		return nil, "", wrapf("ledger: tenant %s: %w", req.Tenant, err)
	}
	if n.allSubs {
		for sku, v := range subsAll.Val() {
			var list []Subscription
			if err := json.Unmarshal([]byte(v), &list); err != nil {
				return nil, "", wrapf("ledger: subscriptions %s/%s: %w", req.Tenant, sku, err)
			}
			s.Subs[sku] = list
		}
		for sku, v := range sverAll.Val() {
			s.SKUVer[sku], _ = strconv.ParseInt(v, 10, 64)
		}
		for sku, v := range asgAll.Val() {
			s.Assigned[sku], _ = strconv.Atoi(v)
		}
		for _, sku := range skus {
			if _, ok := s.Subs[sku]; !ok {
				s.Subs[sku] = nil
			}
			s.SKUVer[sku] += 0
		}
		// Every product whose subscriptions were read is checked at commit,
		// and so is the tenant record.
		for sku := range s.Subs {
			s.SKUVer[sku] += 0
		}
		s.SKUVer[tenantVersionField] += 0
	} else if len(skus) > 0 {
		for i, sku := range skus {
			s.Subs[sku] = nil
			if v, ok := subsSome.Val()[i].(string); ok {
				var list []Subscription
				if err := json.Unmarshal([]byte(v), &list); err != nil {
					return nil, "", wrapf("ledger: subscriptions %s/%s: %w", req.Tenant, sku, err)
				}
				s.Subs[sku] = list
			}
			s.SKUVer[sku] = parseIntAny(sverSome.Val()[i])
			s.Assigned[sku] = int(parseIntAny(asgSome.Val()[i]))
		}
		s.SKUVer[tenantVersionField] = parseIntAny(sverSome.Val()[len(skus)])
	}
	for i, upn := range users {
		s.Users[upn] = nil
		if v, ok := usersCmd.Val()[i].(string); ok {
			var u User
			if err := json.Unmarshal([]byte(v), &u); err != nil {
				return nil, "", wrapf("ledger: user %s/%s: %w", req.Tenant, upn, err)
			}
			s.Users[upn] = &u
		}
		s.UserVer[upn] = parseIntAny(uverCmd.Val()[i])
	}
	return s, "", nil
}

func parseIntAny(v any) int64 {
	if s, ok := v.(string); ok {
		n, _ := strconv.ParseInt(s, 10, 64)
		return n
	}
	return 0
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// commitScript applies requests atomically, several per call (group
// commit: one EVALSHA for the requests of one Cluster slot that are
// waiting together, see batch.go). Each request keeps its own
// compare-and-set and outcome, exactly as if it were alone: it checks the
// versions of everything its plan read, and only then writes its effects,
// bumps the versions, appends its audit record, stores its result, records
// its idempotency key and appends its outbox entry. Nothing of a request is
// written when one of its checks fails, so a failed check leaves no trace;
// the requests before and after it in the call are not affected.
//
// ARGV[1] is the number of requests; then, per request, its number of
// arguments and its arguments. KEYS holds one key per request: the prefix
// of its tenant's keys ("ld:{t:contoso}:"), from which the script names
// them all. They share its hash tag, hence its Cluster slot, the one the
// call is routed to (Redis checks that every key a script touches is in
// the slot of the keys it declared).
//
// Arguments of a request: 1 request id, 2 pending change ("" none, "+" and
// the pending request's JSON to park it, "-" to settle it: it must still be
// pending), 3 audit JSON (holding the result), 4 outbox JSON or "",
// 5 idempotency key (after the prefix) or "", 6 once key: "" none, or "c"
// (an earlier request that set it makes this one a duplicate) or "s"
// (check, and set it: R-IDEMPOTENT, only an applied undo or decision stops
// the next) and the key, 7 reply budget: "", or "0" ("1" when the reply is
// the hourly notice of a held request) and the sender's hourly budget key,
// charged because this commit queues a reply (SPEC §4.4); then counted
// sections: sku versions (sku, ver)*, user versions (upn, ver)*,
// subscription writes (sku, json or "" to delete)*, user writes (upn, json
// or "")*, assigned deltas (sku, delta)*, holder changes (sku, "+" or "-",
// upn)*, subscription index (id, sku)*.
//
// It returns two strings per request: "ok" and the audit entry id,
// "conflict" and what moved, "dup" and the earlier request's id, or "gone"
// and the request id (a decision on a request no longer pending).
var commitScript = redis.NewScript(strings.NewReplacer("IDEM_TTL", idemTTL, "BUDGET_TTL", budgetTTL).Replace(`
local function commit1(p, a)
  local sver, uver = p .. 'sver', p .. 'uver'
  local idem, once = ARGV[a+5], ARGV[a+6]
  if idem ~= '' then
    local prev = redis.call('GET', p .. idem)
    if prev then return 'dup', prev end
  end
  if once ~= '' then
    local prev = redis.call('GET', p .. string.sub(once, 2))
    if prev then return 'dup', prev end
  end
  if ARGV[a+2] == '-' and redis.call('HEXISTS', p .. 'pending', ARGV[a+1]) == 0 then return 'gone', ARGV[a+1] end
  local i = a + 8
  local n = tonumber(ARGV[i]); i = i + 1
  for _ = 1, n do
    if (redis.call('HGET', sver, ARGV[i]) or '0') ~= ARGV[i+1] then return 'conflict', ARGV[i] end
    i = i + 2
  end
  n = tonumber(ARGV[i]); i = i + 1
  for _ = 1, n do
    if (redis.call('HGET', uver, ARGV[i]) or '0') ~= ARGV[i+1] then return 'conflict', ARGV[i] end
    i = i + 2
  end
  n = tonumber(ARGV[i]); i = i + 1
  for _ = 1, n do
    if ARGV[i+1] == '' then redis.call('HDEL', p .. 'subs', ARGV[i]) else redis.call('HSET', p .. 'subs', ARGV[i], ARGV[i+1]) end
    redis.call('HINCRBY', sver, ARGV[i], 1)
    i = i + 2
  end
  n = tonumber(ARGV[i]); i = i + 1
  for _ = 1, n do
    if ARGV[i+1] == '' then redis.call('HDEL', p .. 'users', ARGV[i]) else redis.call('HSET', p .. 'users', ARGV[i], ARGV[i+1]) end
    redis.call('HINCRBY', uver, ARGV[i], 1)
    i = i + 2
  end
  n = tonumber(ARGV[i]); i = i + 1
  for _ = 1, n do
    redis.call('HINCRBY', p .. 'assigned', ARGV[i], ARGV[i+1])
    redis.call('HINCRBY', sver, ARGV[i], 1)
    i = i + 2
  end
  n = tonumber(ARGV[i]); i = i + 1
  for _ = 1, n do
    local key = p .. 'holders:' .. ARGV[i]
    if ARGV[i+1] == '+' then redis.call('ZADD', key, 0, ARGV[i+2]) else redis.call('ZREM', key, ARGV[i+2]) end
    i = i + 3
  end
  n = tonumber(ARGV[i]); i = i + 1
  for _ = 1, n do
    redis.call('HSET', p .. 'subidx', ARGV[i], ARGV[i+1])
    i = i + 2
  end
  local aid = redis.call('XADD', p .. 'audit', '*', 'req', ARGV[a+1], 'data', ARGV[a+3])
  redis.call('HSET', p .. 'results', ARGV[a+1], aid)
  if idem ~= '' then redis.call('SET', p .. idem, ARGV[a+1], 'EX', IDEM_TTL) end
  if string.sub(once, 1, 1) == 's' then redis.call('SET', p .. string.sub(once, 2), ARGV[a+1], 'EX', IDEM_TTL) end
  if ARGV[a+4] ~= '' then redis.call('XADD', p .. 'outbox', '*', 'req', ARGV[a+1], 'data', ARGV[a+4]) end
  local budget = ARGV[a+7]
  if budget ~= '' then
    local key = p .. string.sub(budget, 2)
    redis.call('HINCRBY', key, 'n', 1)
    if string.sub(budget, 1, 1) == '1' then redis.call('HSET', key, 'notice', 1) end
    redis.call('EXPIRE', key, BUDGET_TTL)
  end
  if ARGV[a+2] == '-' then redis.call('HDEL', p .. 'pending', ARGV[a+1])
  elseif ARGV[a+2] ~= '' then redis.call('HSET', p .. 'pending', ARGV[a+1], string.sub(ARGV[a+2], 2)) end
  return 'ok', aid
end
local out = {}
local ai = 2
for r = 1, tonumber(ARGV[1]) do
  local st, detail = commit1(KEYS[r], ai)
  out[#out+1] = st
  out[#out+1] = detail
  ai = ai + 1 + tonumber(ARGV[ai])
end
return out
`))

// AuditRecord is one entry of a tenant's audit log (R-AUDIT): who asked
// what, through which channel, when, the result (with the before/after
// figures of every product touched) and what the request changed.
//
// Records written since SPEC §8 "Growth" hold a Delta: what changed, never
// copies. Records written before it hold Effects, the whole subscription
// lists and users they wrote; they are read as they are (History, replay).
type AuditRecord struct {
	Kind    string   `json:"kind"` // request, import, sweep, checkpoint
	Request *Request `json:"request,omitempty"`
	Result  *Result  `json:"result,omitempty"`
	// Delta is what the request changed.
	Delta *Delta `json:"delta,omitempty"`
	// Effects is the older form: the after-state of every record written.
	Effects *Effects `json:"effects,omitempty"`
	// Reset marks an import that replaced the tenant: replay starts afresh.
	Reset  bool    `json:"reset,omitempty"`
	Tenant *Tenant `json:"tenant,omitempty"`
	// Checkpoint marks a state that ledger check verified (checkpoint.go).
	Checkpoint *CheckpointMark `json:"checkpoint,omitempty"`
	At         time.Time       `json:"at"`
	// ID is the stream entry id, filled when read back.
	ID string `json:"-"`
}

// encodeAudit writes rec as json.Marshal would, without reflection for
// the request, the result and the delta.
func encodeAudit(rec *AuditRecord) ([]byte, error) {
	e := encoder{b: make([]byte, 0, 1024)}
	e.b = append(e.b, '{')
	e.key("kind")
	e.str(rec.Kind)
	if rec.Request != nil {
		e.key("request")
		e.request(rec.Request)
	}
	if rec.Result != nil {
		e.key("result")
		e.result(rec.Result)
	}
	if rec.Delta != nil {
		e.key("delta")
		e.delta(rec.Delta)
	}
	if rec.Effects != nil {
		e.key("effects")
		e.any(rec.Effects)
	}
	e.optTrue("reset", rec.Reset)
	if rec.Tenant != nil {
		e.key("tenant")
		e.any(rec.Tenant)
	}
	if rec.Checkpoint != nil {
		e.key("checkpoint")
		e.any(rec.Checkpoint)
	}
	e.key("at")
	e.time(rec.At)
	e.b = append(e.b, '}')
	if e.err != nil {
		return nil, e.err
	}
	return e.b, nil
}

// commitOutcome says how a commit ended.
type commitOutcome int

const (
	committed commitOutcome = iota
	versionClash
	duplicateKey
	notPending // a decision on a request that is no longer pending
)

// commitSpec is what one commit writes.
type commitSpec struct {
	snap    *Snapshot
	req     *Request
	eff     *Effects
	rec     *AuditRecord
	outbox  []byte
	pending string // "", "+json" or "-"
	// once is a key that only an applied request sets (R-IDEMPOTENT: undo
	// and decisions); onceSet says whether this commit sets it.
	once    string
	onceSet bool
	// budget is the sender's hourly reply budget (SPEC §4.4), charged when
	// the commit queues a reply; notice marks the hourly notice of a held
	// request.
	budget string
	notice bool
}

// Commit is the one atomic step of the ledger (DESIGN "Rules in Go, commit
// in Lua"): nothing the request does is visible before it, and after it
// everything is: the effects, the audit record, the stored result, the
// idempotency key and the outbox entry. The result is stored once, in the
// audit record; the results hash points at it. When a version read by the
// plan has moved, nothing is written and the caller re-reads and re-plans.
//
// Before writing, the seat batches of the subscriptions written are merged
// where R-REMOVE no longer tells them apart (normalizeSeats), and the audit
// record gets the delta between the snapshot and what is written.
func commit(ctx context.Context, cm *committer, c commitSpec) (commitOutcome, string, error) {
	prefix, args, err := commitArgs(c)
	if err != nil {
		return 0, "", err
	}
	reply, err := cm.run(ctx, c.req.Tenant, prefix, args)
	return commitReplyOf(c.req, reply, err)
}

// commitArgs prepares a commit: the seat batches merged, the delta, the
// audit record, and the key prefix and arguments of commitScript.
func commitArgs(c commitSpec) (string, []any, error) {
	snap, req, eff, rec := c.snap, c.req, c.eff, c.rec
	k := keysFor(req.Tenant)
	for _, list := range eff.Subs {
		normalizeSeats(list, rec.At)
	}
	rec.Effects = nil
	rec.Delta = deltaOf(snap, eff)
	recJSON, err := encodeAudit(rec)
	if err != nil {
		return "", nil, wrapf("ledger: encode audit: %w", err)
	}
	prefix := k.prefix()
	idem := ""
	if req.IdempotencyKey != "" {
		idem = k.idem(req.IdempotencyKey)[len(prefix):]
	}
	once := ""
	if c.once != "" {
		mode := "c"
		if c.onceSet {
			mode = "s"
		}
		once = mode + k.idem(c.once)[len(prefix):]
	}
	budget := ""
	if c.budget != "" && c.outbox != nil {
		if !strings.HasPrefix(c.budget, prefix) {
			return "", nil, wrapf("ledger: commit %s: the reply budget %q is not the tenant's", req.ID, c.budget)
		}
		mode := "0"
		if c.notice {
			mode = "1"
		}
		budget = mode + c.budget[len(prefix):]
	}
	nholds := 0
	for _, l := range eff.HoldAdd {
		nholds += len(l)
	}
	for _, l := range eff.HoldDel {
		nholds += len(l)
	}
	n := 7 + 7 + 2*len(snap.SKUVer) + 2*len(snap.UserVer) + 2*len(eff.Subs) + 2*len(eff.Users) +
		2*len(eff.Assigned) + 3*nholds + 2*len(eff.SubIndex)
	args := make([]any, 0, n)
	args = append(args, req.ID, c.pending, recJSON, c.outbox, idem, once, budget)

	// Versions: everything the plan read is checked, so a concurrent change
	// to any of it sends this request back to be planned again.
	args = append(args, len(snap.SKUVer))
	for _, sku := range sortedKeys(snap.SKUVer) {
		args = append(args, sku, snap.SKUVer[sku])
	}
	args = append(args, len(snap.UserVer))
	for _, upn := range sortedKeys(snap.UserVer) {
		args = append(args, upn, snap.UserVer[upn])
	}
	args = append(args, len(eff.Subs))
	for _, sku := range sortedKeys(eff.Subs) {
		var v []byte
		if list := eff.Subs[sku]; len(list) > 0 {
			if v, err = encodeSubs(list); err != nil {
				return "", nil, wrapf("ledger: encode subscriptions: %w", err)
			}
		}
		args = append(args, sku, v)
	}
	args = append(args, len(eff.Users))
	for _, upn := range sortedKeys(eff.Users) {
		var v []byte
		if u := eff.Users[upn]; u != nil {
			if v, err = encodeUser(u); err != nil {
				return "", nil, wrapf("ledger: encode user: %w", err)
			}
		}
		args = append(args, upn, v)
	}
	args = append(args, len(eff.Assigned))
	for _, sku := range sortedKeys(eff.Assigned) {
		args = append(args, sku, eff.Assigned[sku])
	}
	args = append(args, nholds)
	for _, sku := range sortedKeys(eff.HoldAdd) {
		for _, upn := range eff.HoldAdd[sku] {
			args = append(args, sku, "+", upn)
		}
	}
	for _, sku := range sortedKeys(eff.HoldDel) {
		for _, upn := range eff.HoldDel[sku] {
			args = append(args, sku, "-", upn)
		}
	}
	args = append(args, len(eff.SubIndex))
	for _, id := range sortedKeys(eff.SubIndex) {
		args = append(args, id, eff.SubIndex[id])
	}

	return prefix, args, nil
}

// commitReplyOf reads commitScript's two strings for one request.
func commitReplyOf(req *Request, reply []string, err error) (commitOutcome, string, error) {
	if err != nil {
		return 0, "", wrapf("ledger: commit %s: %w", req.ID, err)
	}
	if len(reply) < 2 {
		return 0, "", wrapf("ledger: commit %s: unexpected reply %q", req.ID, reply)
	}
	switch reply[0] {
	case "ok":
		return committed, reply[1], nil
	case "conflict":
		return versionClash, reply[1], nil
	case "dup":
		return duplicateKey, reply[1], nil
	case "gone":
		return notPending, reply[1], nil
	}
	return 0, "", wrapf("ledger: commit %s: unexpected reply %q", req.ID, reply)
}

var (
	idemTTL   = strconv.Itoa(int(IdempotencyTTL / time.Second))
	budgetTTL = strconv.Itoa(int(2 * time.Hour / time.Second))
)
