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
	vs, err := l.views(ctx, []string{tenant})
	if err != nil {
		return TenantView{}, err
	}
	if vs[0] == nil {
		return TenantView{}, ErrUnknownTenant
	}
	return *vs[0], nil
}

// views reads the Licenses pages of several tenants in one round trip: the
// tenant record, the subscriptions and the per-product assigned counters,
// never the users (a count of them only). A tenant that does not exist
// maps to nil.
func (l *Ledger) views(ctx context.Context, tenants []string) ([]*TenantView, error) {
	type cmds struct {
		tc *redis.StringCmd
		sc *redis.MapStringStringCmd
		ac *redis.MapStringStringCmd
		uc *redis.IntCmd
	}
	pipe := l.rdb.Pipeline()
	all := make([]cmds, len(tenants))
	for i, t := range tenants {
		k := keysFor(t)
		all[i] = cmds{pipe.Get(ctx, k.tenant), pipe.HGetAll(ctx, k.subs), pipe.HGetAll(ctx, k.assigned), pipe.HLen(ctx, k.users)}
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, wrapf("ledger: show: %w", err)
	}
	cat := l.Catalog()
	out := make([]*TenantView, len(tenants))
	for i, c := range all {
		raw, err := c.tc.Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		v := &TenantView{Users: c.uc.Val()}
		if err := json.Unmarshal([]byte(raw), &v.Tenant); err != nil {
			return nil, wrapf("ledger: show %s: %w", tenants[i], err)
		}
		subsBySKU := map[string][]Subscription{}
		for sku, raw := range c.sc.Val() {
			var subs []Subscription
			if err := json.Unmarshal([]byte(raw), &subs); err != nil {
				return nil, wrapf("ledger: show %s: %w", tenants[i], err)
			}
			subsBySKU[sku] = subs
		}
		skus := map[string]bool{}
		for sku := range subsBySKU {
			skus[sku] = true
		}
		for sku, n := range c.ac.Val() {
			if n != "0" {
				skus[sku] = true
			}
		}
		for _, sku := range sortedKeys(skus) {
			assigned, _ := strconv.Atoi(c.ac.Val()[sku])
			v.Products = append(v.Products, productLine(cat, sku, subsBySKU[sku], assigned))
		}
		out[i] = v
	}
	return out, nil
}

// productLine is one product of a tenant as the Licenses page shows it.
func productLine(cat *Catalog, sku string, subs []Subscription, assigned int) ProductLine {
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
	return line
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
// The desk is read in batches of tenants per round trip, and the holders
// of a product only where it is in conflict.
func (l *Ledger) Conflicts(ctx context.Context, tenant string) ([]Conflict, error) {
	tenants := []string{tenant}
	if tenant == "" {
		var err error
		if tenants, err = l.Tenants(ctx); err != nil {
			return nil, err
		}
	}
	var out []Conflict
	for start := 0; start < len(tenants); start += reportBatch {
		batch := tenants[start:min(start+reportBatch, len(tenants))]
		views, err := l.views(ctx, batch)
		if err != nil {
			return nil, err
		}
		for i, v := range views {
			if v == nil {
				if tenant != "" {
					return nil, ErrUnknownTenant
				}
				continue
			}
			for _, p := range v.Products {
				if !p.Conflict {
					continue
				}
				users, err := l.rdb.ZRange(ctx, keysFor(batch[i]).holders(p.SKU), 0, 99).Result()
				if err != nil {
					return nil, wrapf("ledger: conflicts %s: %w", batch[i], err)
				}
				out = append(out, Conflict{Tenant: batch[i], SKU: p.SKU, Total: p.Total, Assigned: p.Assigned, Users: users})
			}
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
