package ledger

import "github.com/redis/go-redis/v9"

// RedisOf gives the ledger's tests the client behind a ledger, to build a
// second ledger on the same store or read a key as it is stored.
func RedisOf(l *Ledger) redis.UniversalClient { return l.rdb }

// SnapshotOf builds, without a store, the snapshot a request of the seed
// tenant st would read: every product and user, as the planner's rule tests
// need.
func SnapshotOf(st *SeedTenant) *Snapshot {
	s := &Snapshot{Tenant: st.Tenant, Subs: map[string][]Subscription{}, AllSubs: true,
		Users: map[string]*User{}, Assigned: map[string]int{}, Holders: map[string][]string{},
		SKUVer: map[string]int64{}, UserVer: map[string]int64{}}
	for _, ss := range st.Subscriptions {
		s.Subs[ss.SKU] = append(s.Subs[ss.SKU], cloneSubs([]Subscription{ss.Subscription})...)
	}
	for i := range st.Users {
		u := cloneUser(&st.Users[i])
		s.Users[u.UPN] = u
		for _, sku := range u.Licenses {
			s.Assigned[sku]++
			s.Holders[sku] = append(s.Holders[sku], u.UPN)
		}
	}
	return s
}

// Advance runs a subscription's lifecycle up to now (R-EXPIRE, R-TRIAL).
var Advance = advance
