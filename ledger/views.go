package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// ErrUnknownTenant is returned by the read views for a tenant that does not exist.
var ErrUnknownTenant = errors.New("ledger: unknown tenant")

// ErrUnknownRequest is returned for a request id the tenant never recorded.
var ErrUnknownRequest = errors.New("ledger: unknown request")

// ProductLine is one line of the Licenses page (R-TOTAL, R-CONFLICT).
type ProductLine struct {
	SKU           string         `json:"sku"`
	Name          string         `json:"name"`
	Total         int            `json:"total"`
	Assigned      int            `json:"assigned"`
	Available     int            `json:"available"`
	Conflict      bool           `json:"conflict"`
	MonthlyCost   float64        `json:"monthly_cost"`
	Currency      string         `json:"currency"`
	Subscriptions []Subscription `json:"subscriptions"`
}

// TenantView is a tenant's licences at a glance.
type TenantView struct {
	Tenant   Tenant        `json:"tenant"`
	Products []ProductLine `json:"products"`
	Users    int64         `json:"users"`
}

// Show returns a tenant's Licenses page: one line per product, several
// subscriptions of a product added up (R-TOTAL), conflicts flagged.
func (l *Ledger) Show(ctx context.Context, tenant string) (TenantView, error) {
	k := keysFor(tenant)
	pipe := l.rdb.Pipeline()
	tc := pipe.Get(ctx, k.tenant)
	sc := pipe.HGetAll(ctx, k.subs)
	ac := pipe.HGetAll(ctx, k.assigned)
	uc := pipe.HLen(ctx, k.users)
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return TenantView{}, wrapf("ledger: show %s: %w", tenant, err)
	}
	var v TenantView
	raw, err := tc.Result()
	if errors.Is(err, redis.Nil) {
		return v, ErrUnknownTenant
	}
	if err := json.Unmarshal([]byte(raw), &v.Tenant); err != nil {
		return v, wrapf("ledger: show %s: %w", tenant, err)
	}
	v.Users = uc.Val()
	cat := l.Catalog()
	skus := map[string]bool{}
	for sku := range sc.Val() {
		skus[sku] = true
	}
	for sku, n := range ac.Val() {
		if n != "0" {
			skus[sku] = true
		}
	}
	for _, sku := range sortedKeys(skus) {
		var subs []Subscription
		if raw, ok := sc.Val()[sku]; ok {
			if err := json.Unmarshal([]byte(raw), &subs); err != nil {
				return v, wrapf("ledger: show %s: %w", tenant, err)
			}
		}
		assigned, _ := strconv.Atoi(ac.Val()[sku])
		line := ProductLine{SKU: sku, Name: sku, Total: totalOf(subs), Assigned: assigned, Subscriptions: subs}
		line.Available = line.Total - line.Assigned
		line.Conflict = line.Available < 0
		if p, ok := cat.Get(sku); ok {
			line.Name, line.Currency = p.Name, p.Currency
			for _, s := range subs {
				if s.Billed() {
					line.MonthlyCost += float64(s.Quantity()) * p.Price(s.Term)
				}
			}
			line.MonthlyCost = round2(line.MonthlyCost)
		}
		v.Products = append(v.Products, line)
	}
	return v, nil
}

// Tenants returns every tenant id, sorted.
func (l *Ledger) Tenants(ctx context.Context) ([]string, error) {
	ids, err := l.rdb.SMembers(ctx, keyTenants).Result()
	if err != nil {
		return nil, wrapf("ledger: tenants: %w", err)
	}
	sort.Strings(ids)
	return ids, nil
}

// Tenant returns a tenant's record.
func (l *Ledger) Tenant(ctx context.Context, id string) (Tenant, error) {
	var t Tenant
	raw, err := l.rdb.Get(ctx, keysFor(id).tenant).Result()
	if errors.Is(err, redis.Nil) {
		return t, ErrUnknownTenant
	}
	if err != nil {
		return t, wrapf("ledger: tenant %s: %w", id, err)
	}
	err = json.Unmarshal([]byte(raw), &t)
	return t, err
}

// Conflict is a product with more users than seats (R-CONFLICT).
type Conflict struct {
	Tenant   string   `json:"tenant"`
	SKU      string   `json:"sku"`
	Total    int      `json:"total"`
	Assigned int      `json:"assigned"`
	Users    []string `json:"users"` // up to 100 holders, to choose whom to unassign
}

// Conflicts lists the products in conflict, for one tenant or ("") all.
func (l *Ledger) Conflicts(ctx context.Context, tenant string) ([]Conflict, error) {
	tenants := []string{tenant}
	if tenant == "" {
		var err error
		if tenants, err = l.Tenants(ctx); err != nil {
			return nil, err
		}
	}
	var out []Conflict
	for _, t := range tenants {
		v, err := l.Show(ctx, t)
		if err != nil {
			return nil, err
		}
		for _, p := range v.Products {
			if !p.Conflict {
				continue
			}
			users, err := l.rdb.ZRange(ctx, keysFor(t).holders(p.SKU), 0, 99).Result()
			if err != nil {
				return nil, wrapf("ledger: conflicts %s: %w", t, err)
			}
			out = append(out, Conflict{Tenant: t, SKU: p.SKU, Total: p.Total, Assigned: p.Assigned, Users: users})
		}
	}
	return out, nil
}

// History returns the last n audit records of a tenant, newest first.
func (l *Ledger) History(ctx context.Context, tenant string, n int) ([]AuditRecord, error) {
	if exists, err := l.rdb.Exists(ctx, keysFor(tenant).tenant).Result(); err != nil {
		return nil, wrapf("ledger: history %s: %w", tenant, err)
	} else if exists == 0 {
		return nil, ErrUnknownTenant
	}
	msgs, err := l.rdb.XRevRangeN(ctx, keysFor(tenant).audit, "+", "-", int64(n)).Result()
	if err != nil {
		return nil, wrapf("ledger: history %s: %w", tenant, err)
	}
	out := make([]AuditRecord, 0, len(msgs))
	for _, m := range msgs {
		rec, err := decodeAudit(m)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

func decodeAudit(m redis.XMessage) (AuditRecord, error) {
	var rec AuditRecord
	data, _ := m.Values["data"].(string)
	if err := json.Unmarshal([]byte(data), &rec); err != nil {
		return rec, wrapf("ledger: audit entry %s: %w", m.ID, err)
	}
	rec.ID = m.ID
	return rec, nil
}

// AdminRoles returns the roles of a Slack user of the desk (none if unknown).
func (l *Ledger) AdminRoles(ctx context.Context, slackUser string) ([]Role, error) {
	raw, err := l.rdb.HGet(ctx, keyAdmins, slackUser).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, wrapf("ledger: admin roles: %w", err)
	}
	var roles []Role
	err = json.Unmarshal([]byte(raw), &roles)
	return roles, err
}

// Admins returns every Slack admin of the desk.
func (l *Ledger) Admins(ctx context.Context) ([]Admin, error) {
	all, err := l.rdb.HGetAll(ctx, keyAdmins).Result()
	if err != nil {
		return nil, wrapf("ledger: admins: %w", err)
	}
	out := make([]Admin, 0, len(all))
	for _, u := range sortedKeys(all) {
		var roles []Role
		if err := json.Unmarshal([]byte(all[u]), &roles); err != nil {
			return nil, wrapf("ledger: admins: %w", err)
		}
		out = append(out, Admin{SlackUser: u, Roles: roles})
	}
	return out, nil
}

// adminScript changes one admin's roles atomically (grant/revoke race).
var adminScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], ARGV[1])
local roles = {}
if cur then roles = cjson.decode(cur) end
local out, found = {}, false
for _, r in ipairs(roles) do
  if r == ARGV[3] then found = true; if ARGV[2] == '+' then table.insert(out, r) end
  else table.insert(out, r) end
end
if ARGV[2] == '+' and not found then table.insert(out, ARGV[3]) end
if #out == 0 then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(out)) end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', '100000', '*', 'req', ARGV[4], 'data', ARGV[5])
if (ARGV[2] == '+') == found then return 0 end
return 1
`)

// SetRole grants (grant=true) or revokes a Slack user's role. Only global
// admins (or the operator) may; the change is recorded in the desk audit log.
// It reports whether anything changed.
func (l *Ledger) SetRole(ctx context.Context, by Requester, slackUser string, role Role, grant bool) (bool, Code, error) {
	if !by.Operator && !HasRole(by.Roles, RoleGlobal) {
		return false, NotAuthorized, nil
	}
	if !ValidRole(role) {
		return false, InvalidRequest, nil
	}
	if !grant && role == RoleGlobal && slackUser == by.ID {
		return false, NotAuthorized, nil // a global admin cannot lock the desk out by revoking themself
	}
	op := "+"
	verb := "grant"
	if !grant {
		op, verb = "-", "revoke"
	}
	now := l.clock.Now()
	id := NewRequestID(now)
	rec, _ := json.Marshal(map[string]any{"kind": verb, "by": by.ID, "slack_user": slackUser, "role": role, "at": now})
	changed, err := adminScript.Run(ctx, l.rdb, []string{keyAdmins, keyAudit}, slackUser, op, string(role), id, rec).Int()
	if err != nil {
		return false, "", wrapf("ledger: %s: %w", verb, err)
	}
	return changed == 1, "", nil
}

// ContactTenants returns the tenants an email address is a contact of.
func (l *Ledger) ContactTenants(ctx context.Context, email string) ([]string, error) {
	raw, err := l.rdb.HGet(ctx, keyContacts, strings.ToLower(strings.TrimSpace(email))).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, wrapf("ledger: contacts: %w", err)
	}
	return splitList(raw), nil
}

// DomainTenants returns the tenants owning a domain.
func (l *Ledger) DomainTenants(ctx context.Context, domain string) ([]string, error) {
	raw, err := l.rdb.HGet(ctx, keyDomains, strings.ToLower(strings.TrimSpace(domain))).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, wrapf("ledger: domains: %w", err)
	}
	return splitList(raw), nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// Ping checks that the store answers.
func (l *Ledger) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	return l.rdb.Ping(ctx).Err()
}

// OutboxLen is how many replies wait in a tenant's outbox ("": the
// desk-wide one) to be sent.
func (l *Ledger) OutboxLen(ctx context.Context, tenant string) (int64, error) {
	key := KeyGlobalOutbox
	if tenant != "" {
		key = OutboxKey(tenant)
	}
	n, err := l.rdb.XLen(ctx, key).Result()
	if err != nil {
		return 0, wrapf("ledger: outbox: %w", err)
	}
	return n, nil
}
