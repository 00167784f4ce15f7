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
	id, tenant, sver, uver, subs, users, assigned, audit, results, subidx, outbox, pending string
}

func keysFor(tenant string) tenantKeys {
	p := "ld:{t:" + tenant + "}:"
	return tenantKeys{
		id:       tenant,
		tenant:   p + "tenant",   // string: Tenant JSON
		sver:     p + "sver",     // hash: sku -> version
		uver:     p + "uver",     // hash: upn -> version
		subs:     p + "subs",     // hash: sku -> []Subscription JSON
		users:    p + "users",    // hash: upn -> User JSON
		assigned: p + "assigned", // hash: sku -> users holding it
		audit:    p + "audit",    // stream: AuditRecord per request
		results:  p + "results",  // hash: request id -> its audit entry id
		subidx:   p + "subidx",   // hash: subscription id -> sku
		outbox:   p + "outbox",   // stream: replies to send (mail issue)
		pending:  p + "pending",  // hash: request id -> pending request (R-APPROVAL)
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
	return []string{k.tenant, k.sver, k.uver, k.subs, k.users, k.assigned, k.audit, k.results, k.subidx, k.outbox, k.pending}
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
	n := need{skus: map[string]bool{}, users: map[string]bool{}}
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

// commitScript applies one request atomically: it checks the versions of
// everything the plan read (compare-and-set), writes the effects, bumps the
// versions, appends the audit record, stores the result, records the
// idempotency key and appends the outbox entry. Nothing is written when a
// check fails, so a failed check leaves no trace.
//
// KEYS: 1 sver, 2 uver, 3 subs, 4 users, 5 assigned, 6 audit, 7 results,
// 8 subidx, 9 outbox, 10 idempotency key, 11 pending, 12 once key,
// 13 reply budget of the sender, 14.. holder sets.
// ARGV: 1 request id, 2 pending change ("" none, "+" and the pending
// request's JSON to park it, "-" to settle it: it must still be pending),
// 3 audit JSON (holding the result), 4 outbox JSON or "",
// 5 idempotency TTL in seconds or "0", 6 once key: "" none, "check" (an
// earlier request that set it makes this one a duplicate) or "set" (check,
// and set it: R-IDEMPOTENT, only an applied undo or decision stops the
// next), 7 reply budget: "0", or the TTL of the sender's hourly budget when
// this commit queues a reply that counts against it (SPEC §4.4), 8 "1" when
// the reply is the hourly notice of a held request, then counted sections:
// sku versions (sku, ver)*, user versions (upn, ver)*, subscription writes
// (sku, json or "" to delete)*, user writes (upn, json or "")*, assigned
// deltas (sku, delta)*, holder changes (key index, "+" or "-", upn)*,
// subscription index (id, sku)*.
var commitScript = redis.NewScript(strings.Replace(`
if ARGV[5] ~= '0' then
  local prev = redis.call('GET', KEYS[10])
  if prev then return {'dup', prev} end
end
if ARGV[6] ~= '' then
  local prev = redis.call('GET', KEYS[12])
  if prev then return {'dup', prev} end
end
if ARGV[2] == '-' and redis.call('HEXISTS', KEYS[11], ARGV[1]) == 0 then return {'gone', ARGV[1]} end
local i = 9
local n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  if (redis.call('HGET', KEYS[1], ARGV[i]) or '0') ~= ARGV[i+1] then return {'conflict', ARGV[i]} end
  i = i + 2
end
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  if (redis.call('HGET', KEYS[2], ARGV[i]) or '0') ~= ARGV[i+1] then return {'conflict', ARGV[i]} end
  i = i + 2
end
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  if ARGV[i+1] == '' then redis.call('HDEL', KEYS[3], ARGV[i]) else redis.call('HSET', KEYS[3], ARGV[i], ARGV[i+1]) end
  redis.call('HINCRBY', KEYS[1], ARGV[i], 1)
  i = i + 2
end
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  if ARGV[i+1] == '' then redis.call('HDEL', KEYS[4], ARGV[i]) else redis.call('HSET', KEYS[4], ARGV[i], ARGV[i+1]) end
  redis.call('HINCRBY', KEYS[2], ARGV[i], 1)
  i = i + 2
end
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  redis.call('HINCRBY', KEYS[5], ARGV[i], ARGV[i+1])
  redis.call('HINCRBY', KEYS[1], ARGV[i], 1)
  i = i + 2
end
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  local key = KEYS[tonumber(ARGV[i])]
  if ARGV[i+1] == '+' then redis.call('ZADD', key, 0, ARGV[i+2]) else redis.call('ZREM', key, ARGV[i+2]) end
  i = i + 3
end
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  redis.call('HSET', KEYS[8], ARGV[i], ARGV[i+1])
  i = i + 2
end
local aid = redis.call('XADD', KEYS[6], '*', 'req', ARGV[1], 'data', ARGV[3])
redis.call('HSET', KEYS[7], ARGV[1], aid)
if ARGV[5] ~= '0' then redis.call('SET', KEYS[10], ARGV[1], 'EX', ARGV[5]) end
if ARGV[6] == 'set' then redis.call('SET', KEYS[12], ARGV[1], 'EX', ONCE_TTL) end
if ARGV[4] ~= '' then redis.call('XADD', KEYS[9], '*', 'req', ARGV[1], 'data', ARGV[4]) end
if ARGV[7] ~= '0' then
  redis.call('HINCRBY', KEYS[13], 'n', 1)
  if ARGV[8] == '1' then redis.call('HSET', KEYS[13], 'notice', 1) end
  redis.call('EXPIRE', KEYS[13], ARGV[7])
end
if ARGV[2] == '-' then redis.call('HDEL', KEYS[11], ARGV[1])
elseif ARGV[2] ~= '' then redis.call('HSET', KEYS[11], ARGV[1], string.sub(ARGV[2], 2)) end
return {'ok', aid}
`, "ONCE_TTL", strconv.Itoa(int(IdempotencyTTL/time.Second)), 1))

// AuditRecord is one entry of a tenant's audit log (R-AUDIT). Effects hold
// the after-state of every record written, so the log replays to the
// current state (ledger check).
type AuditRecord struct {
	Kind    string   `json:"kind"` // request, import, sweep
	Request *Request `json:"request,omitempty"`
	Result  *Result  `json:"result,omitempty"`
	Effects *Effects `json:"effects,omitempty"`
	// Reset marks an import that replaced the tenant: replay starts afresh.
	Reset  bool      `json:"reset,omitempty"`
	Tenant *Tenant   `json:"tenant,omitempty"`
	At     time.Time `json:"at"`
	// ID is the stream entry id, filled when read back.
	ID string `json:"-"`
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
// audit record; the results hash points at it. When a version read by the plan has
// moved, nothing is written and the caller re-reads and re-plans.
func commit(ctx context.Context, cm *committer, c commitSpec) (commitOutcome, string, error) {
	snap, req, eff, rec := c.snap, c.req, c.eff, c.rec
	k := keysFor(req.Tenant)
	recJSON, err := json.Marshal(rec)
	if err != nil {
		return 0, "", wrapf("ledger: encode audit: %w", err)
	}
	keys := []string{k.sver, k.uver, k.subs, k.users, k.assigned, k.audit, k.results, k.subidx, k.outbox,
		k.idem("-"), k.pending, k.idem("-"), k.idem("-")}
	ttl := "0"
	if req.IdempotencyKey != "" {
		keys[9] = k.idem(req.IdempotencyKey)
		ttl = strconv.Itoa(int(IdempotencyTTL / time.Second))
	}
	once := ""
	if c.once != "" {
		keys[11] = k.idem(c.once)
		once = "check"
		if c.onceSet {
			once = "set"
		}
	}
	budget, notice := "0", "0"
	if c.budget != "" && c.outbox != nil {
		keys[12] = c.budget
		budget = strconv.Itoa(int(2 * time.Hour / time.Second))
		if c.notice {
			notice = "1"
		}
	}
	args := []any{req.ID, c.pending, recJSON, c.outbox, ttl, once, budget, notice}

	// Versions: everything the plan read is checked, so a concurrent change
	// to any of it sends this request back to be planned again.
	args = append(args, len(snap.SKUVer))
	for _, sku := range sortedKeys(snap.SKUVer) {
		args = append(args, sku, strconv.FormatInt(snap.SKUVer[sku], 10))
	}
	args = append(args, len(snap.UserVer))
	for _, upn := range sortedKeys(snap.UserVer) {
		args = append(args, upn, strconv.FormatInt(snap.UserVer[upn], 10))
	}
	args = append(args, len(eff.Subs))
	for _, sku := range sortedKeys(eff.Subs) {
		v := ""
		if list := eff.Subs[sku]; len(list) > 0 {
			b, err := json.Marshal(list)
			if err != nil {
				return 0, "", wrapf("ledger: encode subscriptions: %w", err)
			}
			v = string(b)
		}
		args = append(args, sku, v)
	}
	args = append(args, len(eff.Users))
	for _, upn := range sortedKeys(eff.Users) {
		v := ""
		if u := eff.Users[upn]; u != nil {
			b, err := json.Marshal(u)
			if err != nil {
				return 0, "", wrapf("ledger: encode user: %w", err)
			}
			v = string(b)
		}
		args = append(args, upn, v)
	}
	args = append(args, len(eff.Assigned))
	for _, sku := range sortedKeys(eff.Assigned) {
		args = append(args, sku, eff.Assigned[sku])
	}
	type hold struct{ key, op, upn string }
	var holds []hold
	for _, sku := range sortedKeys(eff.HoldAdd) {
		for _, upn := range eff.HoldAdd[sku] {
			holds = append(holds, hold{k.holders(sku), "+", upn})
		}
	}
	for _, sku := range sortedKeys(eff.HoldDel) {
		for _, upn := range eff.HoldDel[sku] {
			holds = append(holds, hold{k.holders(sku), "-", upn})
		}
	}
	keyIndex := map[string]int{}
	args = append(args, len(holds))
	for _, h := range holds {
		idx, ok := keyIndex[h.key]
		if !ok {
			keys = append(keys, h.key)
			idx = len(keys)
			keyIndex[h.key] = idx
		}
		args = append(args, idx, h.op, h.upn)
	}
	args = append(args, len(eff.SubIndex))
	for _, id := range sortedKeys(eff.SubIndex) {
		args = append(args, id, eff.SubIndex[id])
	}

	reply, err := cm.run(ctx, keys, args)
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
