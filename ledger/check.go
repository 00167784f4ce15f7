package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"

	"github.com/licensedesk/licensedesk/internal/fault"
	"github.com/redis/go-redis/v9"
)

// Problem is one broken invariant found by Check.
type Problem struct {
	Tenant string `json:"tenant"`
	What   string `json:"what"`
}

// CheckOptions change what Check does.
type CheckOptions struct {
	// Full replays every tenant's whole history, ignoring checkpoints.
	Full bool
	// CheckpointEvery: a tenant that verifies, after a replay that read at
	// least this many audit entries, gets a new checkpoint
	// (DefaultCheckpointEvery when 0; never when negative).
	CheckpointEvery int
}

// Check verifies the invariants of every tenant (SPEC §6 ledger check):
// the counters equal the data, no product has negative availability unless
// a lifecycle event or an import put it there (a recorded conflict), the
// indexes agree, and replaying the audit log reproduces the stored state.
// Replay starts at the tenant's last checkpoint (checkpoint.go), and a
// tenant that verifies after a long replay gets a new one.
func (l *Ledger) Check(ctx context.Context) ([]Problem, error) {
	return l.CheckWith(ctx, CheckOptions{})
}

// CheckWith is Check with options. It holds one tenant at a time, and reads
// its history in pages: its memory does not grow with the history.
func (l *Ledger) CheckWith(ctx context.Context, opt CheckOptions) ([]Problem, error) {
	ids, err := l.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	var out []Problem
	for _, id := range ids {
		ps, err := l.checkTenant(ctx, id, opt)
		if err != nil {
			return nil, err
		}
		out = append(out, ps...)
	}
	return out, nil
}

// CheckTenant is Check for one tenant.
func (l *Ledger) CheckTenant(ctx context.Context, id string) ([]Problem, error) {
	return l.checkTenant(ctx, id, CheckOptions{})
}

func (l *Ledger) checkTenant(ctx context.Context, id string, opt CheckOptions) ([]Problem, error) {
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
	rp, err := l.replay(ctx, id, opt.Full)
	if err != nil {
		return nil, err
	}
	for _, p := range rp.problems {
		add("%s", p)
	}
	defer func() {
		every := opt.CheckpointEvery
		if every == 0 {
			every = DefaultCheckpointEvery
		}
		if len(out) == 0 && every > 0 && rp.read >= every && rp.last != "" {
			if err := l.writeCheckpoint(ctx, id, rp, rp.last, rp.read); err != nil {
				l.log.Warn("checkpoint not written", "tenant", id, "err", err)
			}
		}
	}()
	if !reflect.DeepEqual(canonical(rp.tenant), canonical(&ts.Tenant)) {
		add("replayed tenant record differs from the stored one")
	}
	for _, sku := range sortedKeys(union(rp.subs, ts.Subs)) {
		if !subsEqual(rp.subs[sku], ts.Subs[sku]) {
			add("replayed subscriptions of %s differ from the stored ones", sku)
		}
	}
	for _, upn := range sortedKeys(union(rp.users, ts.Users)) {
		if !userEqual(rp.users[upn], ts.Users[upn]) {
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
	read     int    // audit entries read
	last     string // id of the last entry read
}

func newReplayed() *replayed {
	return &replayed{subs: map[string][]Subscription{}, users: map[string]*User{},
		assigned: map[string]int{}, recorded: map[string]bool{}}
}

// replay rebuilds a tenant from its audit log, from its checkpoint unless
// full. A checkpoint that cannot be trusted is a problem, and replay then
// starts from the beginning.
func (l *Ledger) replay(ctx context.Context, id string, full bool) (*replayed, error) {
	k := keysFor(id)
	rp := newReplayed()
	start := "-"
	var distrust string
	if !full {
		cp, after, err := l.loadCheckpoint(ctx, id)
		switch {
		case err == nil:
			rp, start = cp, "("+after
		case errors.Is(err, errNoCheckpoint):
		case fault.IsTemporary(err):
			return nil, err
		default:
			distrust = fmt.Sprintf("the checkpoint is not trusted (%v): replayed the whole history", err)
		}
	}
	for {
		msgs, err := l.rdb.XRangeN(ctx, k.audit, start, "+", 500).Result()
		if err != nil {
			return nil, wrapf("ledger: replay %s: %w", id, err)
		}
		for _, m := range msgs {
			rec, err := decodeForReplay(m)
			if err != nil {
				return nil, err
			}
			rp.read++
			rp.last = m.ID
			if rec.Kind == "checkpoint" {
				continue
			}
			rp.apply(&rec)
		}
		if len(msgs) < 500 {
			break
		}
		start = "(" + msgs[len(msgs)-1].ID
	}
	if distrust != "" {
		rp.problems = append(rp.problems, distrust)
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
	if rec.Effects == nil && rec.Delta.empty() {
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
	// setUser replaces a user, keeping the assigned counters in step.
	setUser := func(upn string, u *User) {
		if old := rp.users[upn]; old != nil {
			for _, sku := range old.Licenses {
				note(sku)
				rp.assigned[sku]--
			}
		}
		if u == nil {
			delete(rp.users, upn)
			return
		}
		for _, sku := range u.Licenses {
			note(sku)
			rp.assigned[sku]++
		}
		rp.users[upn] = u
	}
	if rec.Effects != nil {
		// A record written before the deltas: the lists and users whole.
		for sku, list := range rec.Effects.Subs {
			note(sku)
			if len(list) == 0 {
				delete(rp.subs, sku)
			} else {
				rp.subs[sku] = list
			}
		}
		for upn, u := range rec.Effects.Users {
			setUser(upn, u)
		}
	}
	if d := rec.Delta; !d.empty() {
		for i := range d.Subs {
			note(d.Subs[i].SKU)
			rp.applySub(rec, &d.Subs[i])
		}
		for sku, ids := range d.Order {
			note(sku)
			rp.reorder(rec, sku, ids)
		}
		for i := range d.Users {
			ud := &d.Users[i]
			u, ok := rp.applyUser(rec, ud)
			if ok {
				setUser(ud.UPN, u)
			}
		}
	}
	for sku := range touched {
		after := totalOf(rp.subs[sku]) - rp.assigned[sku]
		switch {
		case after >= 0:
			delete(rp.recorded, sku)
		case rec.Kind == "import" || rec.Kind == "sweep":
			rp.recorded[sku] = true
		case after < before[sku]:
			rp.problems = append(rp.problems, fmt.Sprintf("request %s (audit %s) left %s with availability %d (was %d)", recWho(rec), rec.ID, sku, after, before[sku]))
		}
	}
}

// decodeForReplay reads what replay needs of an audit entry, skipping the
// result and most of the request: the bulk of the bytes, and of the time
// a check takes over a long history.
func decodeForReplay(m redis.XMessage) (AuditRecord, error) {
	var r struct {
		Kind    string `json:"kind"`
		Request *struct {
			ID string `json:"id"`
		} `json:"request"`
		Delta   *Delta   `json:"delta"`
		Effects *Effects `json:"effects"`
		Reset   bool     `json:"reset"`
		Tenant  *Tenant  `json:"tenant"`
	}
	data, _ := m.Values["data"].(string)
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		return AuditRecord{}, wrapf("ledger: audit entry %s: %w", m.ID, err)
	}
	rec := AuditRecord{Kind: r.Kind, Delta: r.Delta, Effects: r.Effects, Reset: r.Reset, Tenant: r.Tenant, ID: m.ID}
	if r.Request != nil {
		rec.Request = &Request{ID: r.Request.ID}
	}
	return rec, nil
}

func recWho(rec *AuditRecord) string {
	if rec.Request != nil {
		return rec.Request.ID
	}
	return rec.Kind
}

func (rp *replayed) fail(rec *AuditRecord, format string, args ...any) {
	rp.problems = append(rp.problems, fmt.Sprintf("audit %s (%s): ", rec.ID, recWho(rec))+fmt.Sprintf(format, args...))
}

// applySub replays the change of one subscription.
func (rp *replayed) applySub(rec *AuditRecord, d *SubDelta) {
	list := rp.subs[d.SKU]
	idx := -1
	for i := range list {
		if list[i].ID == d.ID {
			idx = i
		}
	}
	switch {
	case d.New != nil:
		if idx >= 0 {
			rp.fail(rec, "creates subscription %s, which exists", d.ID)
			return
		}
		list = append(list, cloneSubs([]Subscription{*d.New})...)
	case idx < 0:
		rp.fail(rec, "changes subscription %s of %s, which does not exist", d.ID, d.SKU)
		return
	case d.Gone:
		list = slices.Delete(slices.Clone(list), idx, idx+1)
	case d.Now != nil:
		list = slices.Clone(list)
		list[idx] = cloneSubs([]Subscription{*d.Now})[0]
	default:
		list = slices.Clone(list)
		s := list[idx]
		if d.Set != nil {
			if err := patchJSON(&s, d.Set); err != nil {
				rp.fail(rec, "subscription %s: %v", d.ID, err)
				return
			}
		}
		if d.Seats != nil {
			seats, ok := applySeatEdits(s.Seats, d.Seats)
			if !ok {
				rp.fail(rec, "the seat batches of %s do not match the ones the request changed", d.ID)
			}
			s.Seats = seats
		}
		list[idx] = s
	}
	if len(list) == 0 {
		delete(rp.subs, d.SKU)
		return
	}
	rp.subs[d.SKU] = list
}

func (rp *replayed) reorder(rec *AuditRecord, sku string, ids []string) {
	list := rp.subs[sku]
	out := make([]Subscription, 0, len(list))
	for _, id := range ids {
		s := findSub(list, id)
		if s == nil {
			rp.fail(rec, "orders subscription %s of %s, which does not exist", id, sku)
			continue
		}
		out = append(out, *s)
	}
	if len(out) != len(list) {
		rp.fail(rec, "orders %d subscriptions of %s, which has %d", len(out), sku, len(list))
	}
	rp.subs[sku] = out
}

// applyUser replays the change of one user: the user after it, nil when
// removed; ok is false when the change cannot be replayed.
func (rp *replayed) applyUser(rec *AuditRecord, d *UserDelta) (*User, bool) {
	old := rp.users[d.UPN]
	switch {
	case d.New != nil:
		return cloneUser(d.New), true
	case d.Gone:
		return nil, true
	case d.Now != nil:
		return cloneUser(d.Now), true
	case old == nil:
		rp.fail(rec, "changes user %s, who does not exist", d.UPN)
		return nil, false
	}
	u := cloneUser(old)
	if d.Before != nil || d.After != nil {
		if !stringsEqual(old.Licenses, d.Before) {
			rp.fail(rec, "user %s held %v, not %v as the request read", d.UPN, old.Licenses, d.Before)
		}
		u.Licenses = nil
		if len(d.After) > 0 {
			u.Licenses = slices.Clone(d.After)
		}
	}
	if d.Set != nil {
		if err := patchJSON(u, d.Set); err != nil {
			rp.fail(rec, "user %s: %v", d.UPN, err)
			return nil, false
		}
	}
	return u, true
}

// patchJSON sets the fields a delta's Set names on v, leaving the others.
// It works on JSON forms, so it knows every field of v's type.
func patchJSON[T any](v *T, set json.RawMessage) error {
	cur, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var m, p map[string]json.RawMessage
	if err := json.Unmarshal(cur, &m); err != nil {
		return err
	}
	if err := json.Unmarshal(set, &p); err != nil {
		return err
	}
	for k, x := range p {
		m[k] = x
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		return err
	}
	*v = out
	return nil
}
