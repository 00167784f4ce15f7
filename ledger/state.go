package ledger

import (
	"slices"
	"sort"
	"time"
)

// Snapshot is the part of a tenant's state that one request reads: the
// subscriptions of the products it names (or all of them when a rule needs
// the tenant-wide view), the users it names, the per-product assigned
// counters, and the versions that the commit checks (compare-and-set).
type Snapshot struct {
	Tenant   Tenant
	Subs     map[string][]Subscription // by SKU; a loaded SKU with no subscription maps to nil
	AllSubs  bool                      // Subs holds every SKU of the tenant
	Users    map[string]*User          // by UPN; a loaded but absent user maps to nil
	Assigned map[string]int            // by SKU
	Holders  map[string][]string       // a sample of holders by SKU, for messages
	SKUVer   map[string]int64          // version of each loaded SKU
	UserVer  map[string]int64          // version of each loaded user
}

// Effects are the writes a planned request makes. Subscriptions are written
// per product (the whole list of a SKU), users whole. The assigned counters
// and holder sets follow from the user changes.
type Effects struct {
	Subs     map[string][]Subscription `json:"subs,omitempty"`
	Users    map[string]*User          `json:"users,omitempty"` // nil deletes
	Assigned map[string]int            `json:"-"`               // counter deltas
	HoldAdd  map[string][]string       `json:"-"`               // sku -> users gaining it
	HoldDel  map[string][]string       `json:"-"`               // sku -> users losing it
	SubIndex map[string]string         `json:"-"`               // new subscription id -> sku
}

func (e *Effects) empty() bool {
	return len(e.Subs) == 0 && len(e.Users) == 0
}

// work is the mutable copy of a snapshot that a plan applies operations to.
type work struct {
	snap     *Snapshot
	subs     map[string][]Subscription
	users    map[string]*User
	assigned map[string]int
	dirtySub map[string]bool
	dirtyUsr map[string]bool
	newSubs  map[string]string
}

func newWork(s *Snapshot) *work {
	// The bookkeeping maps are made when first written (setSubs,
	// setUser): most requests touch one product. This runs on every
	// request (SPEC §8).
	w := &work{
		snap:     s,
		subs:     make(map[string][]Subscription, len(s.Subs)),
		users:    make(map[string]*User, len(s.Users)),
		assigned: make(map[string]int, len(s.Assigned)),
		newSubs:  map[string]string{},
	}
	for k, v := range s.Subs {
		w.subs[k] = cloneSubs(v)
	}
	for k, v := range s.Users {
		w.users[k] = cloneUser(v)
	}
	for k, v := range s.Assigned {
		w.assigned[k] = v
	}
	return w
}

func cloneSubs(in []Subscription) []Subscription {
	if in == nil {
		return nil
	}
	out := make([]Subscription, len(in))
	for i, s := range in {
		s.Seats = slices.Clone(s.Seats)
		out[i] = s
	}
	return out
}

func cloneUser(u *User) *User {
	if u == nil {
		return nil
	}
	c := *u
	c.Licenses = slices.Clone(u.Licenses)
	if u.Removed != nil {
		c.Removed = make(map[string]time.Time, len(u.Removed))
		for k, v := range u.Removed {
			c.Removed[k] = v
		}
	}
	return &c
}

// figures returns R-TOTAL's view of one product in the working state.
func (w *work) figures(sku string) Figures {
	return Figures{Total: totalOf(w.subs[sku]), Assigned: w.assigned[sku]}
}

// totalOf sums the seats of the subscriptions that count (R-TOTAL).
func totalOf(subs []Subscription) int {
	n := 0
	for i := range subs {
		if subs[i].Counts() {
			n += subs[i].Quantity()
		}
	}
	return n
}

func (w *work) setSubs(sku string, subs []Subscription) {
	w.subs[sku] = subs
	if w.dirtySub == nil {
		w.dirtySub = map[string]bool{}
	}
	w.dirtySub[sku] = true
}

func (w *work) setUser(u *User) {
	w.users[u.UPN] = u
	if w.dirtyUsr == nil {
		w.dirtyUsr = map[string]bool{}
	}
	w.dirtyUsr[u.UPN] = true
}

// grant gives sku to u and keeps the counters in step.
func (w *work) grant(u *User, sku string) {
	u.Licenses = append(u.Licenses, sku)
	sort.Strings(u.Licenses)
	w.assigned[sku]++
	w.setUser(u)
}

// take removes sku from u and keeps the counters in step.
func (w *work) take(u *User, sku string, now time.Time) {
	u.Licenses = slices.DeleteFunc(u.Licenses, func(s string) bool { return s == sku })
	if u.Removed == nil {
		u.Removed = map[string]time.Time{}
	}
	u.Removed[sku] = now
	w.assigned[sku]--
	w.setUser(u)
}

// effects are the writes of the plan; the maps of what it did not touch
// stay nil.
func (w *work) effects() Effects {
	e := Effects{SubIndex: w.newSubs}
	if len(w.dirtySub) > 0 {
		e.Subs = make(map[string][]Subscription, len(w.dirtySub))
		for sku := range w.dirtySub {
			e.Subs[sku] = w.subs[sku]
		}
	}
	if len(w.dirtyUsr) > 0 {
		e.Users = make(map[string]*User, len(w.dirtyUsr))
		e.HoldAdd, e.HoldDel = map[string][]string{}, map[string][]string{}
	}
	for upn := range w.dirtyUsr {
		u := w.users[upn]
		e.Users[upn] = u
		// Holder sets follow the difference between the user as read and as
		// written, so a product lost and regained in one request nets out.
		var before, after []string
		if old := w.snap.Users[upn]; old != nil {
			before = old.Licenses
		}
		if u != nil {
			after = u.Licenses
		}
		for _, sku := range after {
			if !slices.Contains(before, sku) {
				e.HoldAdd[sku] = append(e.HoldAdd[sku], upn)
			}
		}
		for _, sku := range before {
			if !slices.Contains(after, sku) {
				e.HoldDel[sku] = append(e.HoldDel[sku], upn)
			}
		}
	}
	for sku, n := range w.assigned {
		if d := n - w.snap.Assigned[sku]; d != 0 {
			if e.Assigned == nil {
				e.Assigned = map[string]int{}
			}
			e.Assigned[sku] = d
		}
	}
	return e
}
