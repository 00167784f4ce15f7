package ledger

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
)

// Problem is one broken invariant found by Check.
type Problem struct {
	Tenant string `json:"tenant"`
	What   string `json:"what"`
}

// Check verifies the invariants of every tenant (SPEC §6 ledger check):
// the counters equal the data, no product has negative availability unless
// a lifecycle event or an import put it there (a recorded conflict), the
// indexes agree, and replaying the audit log reproduces the stored state.
func (l *Ledger) Check(ctx context.Context) ([]Problem, error) {
	ids, err := l.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	var out []Problem
	for _, id := range ids {
		ps, err := l.CheckTenant(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, ps...)
	}
	return out, nil
}

// CheckTenant is Check for one tenant.
func (l *Ledger) CheckTenant(ctx context.Context, id string) ([]Problem, error) {
	ts, err := l.loadTenant(ctx, id)
	if err != nil {
		return nil, err
	}
	var out []Problem
	add := func(format string, args ...any) {
		out = append(out, Problem{Tenant: id, What: fmt.Sprintf(format, args...)})
	}
	cat := l.Catalog()

	// Counters equal the data.
	counted := map[string][]string{}
	for upn, u := range ts.Users {
		if u.UPN != upn {
			add("user %s is stored under %s", u.UPN, upn)
		}
		for _, sku := range u.Licenses {
			counted[sku] = append(counted[sku], upn)
			if _, ok := cat.Get(sku); !ok {
				add("user %s holds %s, which is not in the catalog", upn, sku)
			}
		}
	}
	for _, sku := range sortedKeys(union(counted, ts.Assigned)) {
		if got, want := ts.Assigned[sku], len(counted[sku]); got != want {
			add("assigned counter of %s is %d, but %d users hold it", sku, got, want)
		}
		holders := slices.Clone(ts.Holders[sku])
		sort.Strings(holders)
		users := counted[sku]
		sort.Strings(users)
		if !slices.Equal(holders, users) {
			add("holder set of %s has %d members, but %d users hold it", sku, len(holders), len(users))
		}
	}
	for sku, list := range ts.Subs {
		for _, s := range list {
			if s.SKU != sku {
				add("subscription %s of %s is stored under %s", s.ID, s.SKU, sku)
			}
			if ts.SubIdx[s.ID] != sku {
				add("subscription %s is missing from the subscription index", s.ID)
			}
			if s.Quantity() < 0 {
				add("subscription %s has a negative quantity", s.ID)
			}
			for _, b := range s.Seats {
				if b.Quantity <= 0 {
					add("subscription %s has an empty seat batch", s.ID)
				}
			}
		}
	}

	// Replay the audit log; it must reproduce the state, and no request
	// may have created or deepened a conflict.
	rp, err := l.replay(ctx, id)
	if err != nil {
		return nil, err
	}
	for _, p := range rp.problems {
		add("%s", p)
	}
	if !reflect.DeepEqual(canonical(rp.tenant), canonical(&ts.Tenant)) {
		add("replayed tenant record differs from the stored one")
	}
	for _, sku := range sortedKeys(union(rp.subs, ts.Subs)) {
		if !reflect.DeepEqual(canonical(rp.subs[sku]), canonical(ts.Subs[sku])) {
			add("replayed subscriptions of %s differ from the stored ones", sku)
		}
	}
	for _, upn := range sortedKeys(union(rp.users, ts.Users)) {
		if !reflect.DeepEqual(canonical(rp.users[upn]), canonical(ts.Users[upn])) {
			add("replayed user %s differs from the stored one", upn)
		}
	}
	// Negative availability is allowed only where replay recorded it.
	for _, sku := range sortedKeys(ts.Subs) {
		total := totalOf(ts.Subs[sku])
		if total < ts.Assigned[sku] && !rp.recorded[sku] {
			add("%s has %d seats for %d users, and no lifecycle event or import explains the conflict", sku, total, ts.Assigned[sku])
		}
	}
	return out, nil
}

func union[A, B any](a map[string]A, b map[string]B) map[string]bool {
	m := map[string]bool{}
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return m
}

// canonical round-trips a value through JSON, so that equal data compares
// equal whatever its in-memory form (nil and empty slices, time zones).
func canonical(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

type replayed struct {
	tenant   *Tenant
	subs     map[string][]Subscription
	users    map[string]*User
	assigned map[string]int
	recorded map[string]bool // products whose conflict an import or sweep made
	problems []string
}

// replay rebuilds a tenant from its audit log.
func (l *Ledger) replay(ctx context.Context, id string) (*replayed, error) {
	k := keysFor(id)
	rp := &replayed{subs: map[string][]Subscription{}, users: map[string]*User{},
		assigned: map[string]int{}, recorded: map[string]bool{}}
	start := "-"
	for {
		msgs, err := l.rdb.XRangeN(ctx, k.audit, start, "+", 500).Result()
		if err != nil {
			return nil, wrapf("ledger: replay %s: %w", id, err)
		}
		for _, m := range msgs {
			rec, err := decodeAudit(m)
			if err != nil {
				return nil, err
			}
			rp.apply(&rec)
		}
		if len(msgs) < 500 {
			break
		}
		start = "(" + msgs[len(msgs)-1].ID
	}
	return rp, nil
}

func (rp *replayed) apply(rec *AuditRecord) {
	if rec.Reset {
		rp.subs = map[string][]Subscription{}
		rp.users = map[string]*User{}
		rp.assigned = map[string]int{}
		rp.recorded = map[string]bool{}
	}
	if rec.Tenant != nil {
		t := *rec.Tenant
		rp.tenant = &t
	}
	if rec.Effects == nil {
		return
	}
	touched := map[string]bool{}
	before := map[string]int{}
	note := func(sku string) {
		if !touched[sku] {
			touched[sku] = true
			before[sku] = totalOf(rp.subs[sku]) - rp.assigned[sku]
		}
	}
	for sku, list := range rec.Effects.Subs {
		note(sku)
		if len(list) == 0 {
			delete(rp.subs, sku)
		} else {
			rp.subs[sku] = list
		}
	}
	for upn, u := range rec.Effects.Users {
		if old := rp.users[upn]; old != nil {
			for _, sku := range old.Licenses {
				note(sku)
				rp.assigned[sku]--
			}
		}
		if u == nil {
			delete(rp.users, upn)
			continue
		}
		for _, sku := range u.Licenses {
			note(sku)
			rp.assigned[sku]++
		}
		rp.users[upn] = u
	}
	for sku := range touched {
		after := totalOf(rp.subs[sku]) - rp.assigned[sku]
		switch {
		case after >= 0:
			delete(rp.recorded, sku)
		case rec.Kind == "import" || rec.Kind == "sweep":
			rp.recorded[sku] = true
		case after < before[sku]:
			who := ""
			if rec.Request != nil {
				who = rec.Request.ID
			}
			rp.problems = append(rp.problems, fmt.Sprintf("request %s (audit %s) left %s with availability %d (was %d)", who, rec.ID, sku, after, before[sku]))
		}
	}
}
