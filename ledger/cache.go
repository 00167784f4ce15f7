package ledger

import (
	"sync"
)

// tenantVersionField is the field of a tenant's version hash that changes
// whenever the tenant record itself is replaced (import). It cannot be a
// SKU, so it never collides with a product's version.
const tenantVersionField = "\x00tenant"

// snapCache keeps, per tenant, the products this process last read or wrote
// with their versions, so that a seat change on a warm tenant goes straight
// to the commit script: one round trip instead of two. It is only an
// optimisation: the commit checks every version it relies on, so a stale
// entry (a write by another process, the sweep, an import) ends in a
// version clash, the entry is dropped, and the request is re-planned on a
// fresh read.
type snapCache struct {
	mu      sync.Mutex
	tenants map[string]*cachedTenant
	max     int
}

type cachedTenant struct {
	tenant Tenant
	tver   int64
	skus   map[string]cachedSKU
	all    bool // skus holds every product of the tenant
}

type cachedSKU struct {
	subs     []Subscription
	assigned int
	ver      int64
}

func newSnapCache(max int) *snapCache {
	return &snapCache{tenants: map[string]*cachedTenant{}, max: max}
}

// get builds a snapshot for n from the cache, or reports a miss. Requests
// that read users always miss: users are many and read by name. The
// snapshot shares the cached subscription lists: a snapshot is read-only
// (the planner works on copies, newWork), and the cache replaces a list,
// never changes one in place.
func (c *snapCache) get(tenant string, n need) (*Snapshot, bool) {
	if len(n.users) > 0 {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ct, ok := c.tenants[tenant]
	if !ok || ((n.allSubs || (n.credit && ct.tenant.CreditLimit != nil)) && !ct.all) {
		return nil, false
	}
	for sku := range n.skus {
		if _, ok := ct.skus[sku]; !ok {
			return nil, false
		}
	}
	// A hit reads no user: Users, UserVer and Holders stay nil (read only).
	s := &Snapshot{Tenant: ct.tenant, Subs: make(map[string][]Subscription, len(n.skus)),
		Assigned: make(map[string]int, len(n.skus)), SKUVer: make(map[string]int64, len(n.skus)+1), AllSubs: ct.all}
	s.SKUVer[tenantVersionField] = ct.tver
	take := func(sku string, e cachedSKU) {
		s.Subs[sku] = e.subs
		s.Assigned[sku] = e.assigned
		s.SKUVer[sku] = e.ver
	}
	if ct.all {
		for sku, e := range ct.skus {
			take(sku, e)
		}
	} else {
		for sku := range n.skus {
			take(sku, ct.skus[sku])
		}
	}
	return s, true
}

// put records what a read returned.
func (c *snapCache) put(tenant string, s *Snapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ct, ok := c.tenants[tenant]
	if !ok || ct.tver != s.SKUVer[tenantVersionField] {
		if len(c.tenants) >= c.max {
			for k := range c.tenants { // drop any one: a cache, not a store
				delete(c.tenants, k)
				break
			}
		}
		ct = &cachedTenant{skus: map[string]cachedSKU{}}
		c.tenants[tenant] = ct
	}
	ct.tenant, ct.tver = s.Tenant, s.SKUVer[tenantVersionField]
	for sku, subs := range s.Subs {
		ct.skus[sku] = cachedSKU{subs: subs, assigned: s.Assigned[sku], ver: s.SKUVer[sku]}
	}
	if s.AllSubs {
		ct.all = true
	}
}

// committed advances the cache past a successful commit: the written
// products take their new lists (the commit's own, which nothing changes
// after it) and counters, and their versions move by as many increments as
// the commit script made.
func (c *snapCache) committed(tenant string, s *Snapshot, eff *Effects) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ct, ok := c.tenants[tenant]
	if !ok || ct.tver != s.SKUVer[tenantVersionField] {
		return
	}
	bump := map[string]int64{}
	for sku := range eff.Subs {
		bump[sku]++
	}
	for sku := range eff.Assigned {
		bump[sku]++
	}
	for sku, n := range bump {
		e, ok := ct.skus[sku]
		if !ok || e.ver != s.SKUVer[sku] {
			delete(ct.skus, sku) // unknown here: read it next time
			ct.all = false
			continue
		}
		if list, ok := eff.Subs[sku]; ok {
			e.subs = list
		}
		e.assigned += eff.Assigned[sku]
		e.ver += n
		ct.skus[sku] = e
	}
}

// drop forgets a tenant after a version clash.
func (c *snapCache) drop(tenant string) {
	c.mu.Lock()
	delete(c.tenants, tenant)
	c.mu.Unlock()
}
