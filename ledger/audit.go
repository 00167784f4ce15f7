package ledger

import (
	"encoding/json"
	"slices"
	"time"
)

// Delta is what one request changed, as its audit record keeps it (R-AUDIT,
// SPEC §8 "Growth"): for every subscription and user the commit wrote, the
// difference between the snapshot the plan read and what was written. It
// is computed at commit time from the snapshot and the effects, so the
// planner knows nothing of it, and it holds what changed, never copies of
// whole lists: a request's record does not grow with the history of what
// it touched. `ledger check` replays deltas in order to rebuild the state.
type Delta struct {
	Subs  []SubDelta  `json:"subs,omitempty"`
	Users []UserDelta `json:"users,omitempty"`
	// Order gives, for a product whose subscriptions the commit reordered
	// (never the planner's way today), their ids in the new order.
	Order map[string][]string `json:"order,omitempty"`
}

// SubDelta is the change of one subscription.
type SubDelta struct {
	SKU string `json:"sku"`
	ID  string `json:"id"`
	// New is a subscription the request created, whole; Gone marks one it
	// removed.
	New  *Subscription `json:"new,omitempty"`
	Gone bool          `json:"gone,omitempty"`
	// Was and Set are the fields that changed other than the seat batches
	// (a state, a term, auto-renew, a scheduled reduction), as JSON objects
	// by field name: before and after.
	Was json.RawMessage `json:"was,omitempty"`
	Set json.RawMessage `json:"set,omitempty"`
	// Seats turns the batches as they were into the batches as written, in
	// order: keep the next N batches, drop the next N, or put a batch. A
	// one-seat addition is [{keep: n}, {put: batch}] however long the
	// history.
	Seats []SeatEdit `json:"seats,omitempty"`
	// Now is the subscription as written, whole: only when its type has
	// fields this package does not diff yet (see jsonenc.go).
	Now *Subscription `json:"now,omitempty"`
}

// SeatEdit is one step of SubDelta.Seats; exactly one field is set.
type SeatEdit struct {
	Keep int        `json:"keep,omitempty"`
	Drop int        `json:"drop,omitempty"`
	Put  *SeatBatch `json:"put,omitempty"`
}

// UserDelta is the change of one user.
type UserDelta struct {
	UPN string `json:"upn"`
	// New is a user the request created, whole; Gone marks one removed.
	New  *User `json:"new,omitempty"`
	Gone bool  `json:"gone,omitempty"`
	// Before and After are the user's products, both set when they changed.
	Before []string `json:"before,omitempty"`
	After  []string `json:"after,omitempty"`
	// Was and Set are the other fields that changed (the usage location,
	// the dates of R-UNASSIGN's data retention), by field name.
	Was json.RawMessage `json:"was,omitempty"`
	Set json.RawMessage `json:"set,omitempty"`
	// Now is the user as written, whole: only when the User type has
	// fields this package does not diff yet.
	Now *User `json:"now,omitempty"`
}

func (d *Delta) empty() bool { return d == nil || (len(d.Subs) == 0 && len(d.Users) == 0) }

// deltaOf is what a commit of eff over snap changes.
func deltaOf(snap *Snapshot, eff *Effects) *Delta {
	if eff == nil || eff.empty() {
		return nil
	}
	d := &Delta{}
	for _, sku := range sortedKeys(eff.Subs) {
		before, after := snap.Subs[sku], eff.Subs[sku]
		d.Subs = appendSubDeltas(d.Subs, sku, before, after)
		if !naturalOrder(before, after) {
			if d.Order == nil {
				d.Order = map[string][]string{}
			}
			ids := make([]string, len(after))
			for i := range after {
				ids[i] = after[i].ID
			}
			d.Order[sku] = ids
		}
	}
	for _, upn := range sortedKeys(eff.Users) {
		if ud, ok := userDelta(upn, snap.Users[upn], eff.Users[upn]); ok {
			d.Users = append(d.Users, ud)
		}
	}
	if d.empty() {
		return nil
	}
	return d
}

func findSub(list []Subscription, id string) *Subscription {
	for i := range list {
		if list[i].ID == id {
			return &list[i]
		}
	}
	return nil
}

func appendSubDeltas(out []SubDelta, sku string, before, after []Subscription) []SubDelta {
	for i := range before {
		if findSub(after, before[i].ID) == nil {
			out = append(out, SubDelta{SKU: sku, ID: before[i].ID, Gone: true})
		}
	}
	for i := range after {
		a := &after[i]
		b := findSub(before, a.ID)
		if b == nil {
			c := *a
			c.Seats = slices.Clone(a.Seats)
			out = append(out, SubDelta{SKU: sku, ID: a.ID, New: &c})
			continue
		}
		if !fastJSON.subs {
			if !subEqual(b, a) {
				c := *a
				c.Seats = slices.Clone(a.Seats)
				out = append(out, SubDelta{SKU: sku, ID: a.ID, Now: &c})
			}
			continue
		}
		sd := SubDelta{SKU: sku, ID: a.ID}
		sd.Was, sd.Set = subFieldChanges(b, a)
		if !batchesEqual(b.Seats, a.Seats) {
			sd.Seats = seatEdits(b.Seats, a.Seats)
		}
		if sd.Set != nil || sd.Seats != nil {
			out = append(out, sd)
		}
	}
	return out
}

// naturalOrder reports whether after lists the subscriptions of before that
// it keeps in their order, then the new ones: the order replay rebuilds.
func naturalOrder(before, after []Subscription) bool {
	j := 0
	for i := range before {
		if findSub(after, before[i].ID) == nil {
			continue
		}
		if j >= len(after) || after[j].ID != before[i].ID {
			return false
		}
		j++
	}
	for ; j < len(after); j++ {
		if findSub(before, after[j].ID) != nil {
			return false
		}
	}
	return true
}

// subFieldChanges encodes the fields of a subscription other than its seat
// batches that differ between b and a, before and after; nil when none do.
// It is written for the fields of Subscription that sigSubs covers.
func subFieldChanges(b, a *Subscription) (was, set json.RawMessage) {
	var w, s encoder
	w.b = append(w.b, '{')
	s.b = append(s.b, '{')
	str := func(k, x, y string) {
		if x != y {
			w.key(k)
			w.str(x)
			s.key(k)
			s.str(y)
		}
	}
	boolean := func(k string, x, y bool) {
		if x != y {
			w.key(k)
			w.bool(x)
			s.key(k)
			s.bool(y)
		}
	}
	tm := func(k string, x, y time.Time) {
		if !x.Equal(y) {
			w.key(k)
			w.time(x)
			s.key(k)
			s.time(y)
		}
	}
	str("id", b.ID, a.ID)
	str("sku", b.SKU, a.SKU)
	str("state", b.State, a.State)
	str("source", b.Source, a.Source)
	str("payment", b.Payment, a.Payment)
	boolean("credit_check_pending", b.CreditCheckPending, a.CreditCheckPending)
	boolean("auto_renew", b.AutoRenew, a.AutoRenew)
	str("term", b.Term, a.Term)
	tm("term_start", b.TermStart, a.TermStart)
	tm("term_end", b.TermEnd, a.TermEnd)
	tm("state_since", b.StateSince, a.StateSince)
	if b.ScheduledReduction != a.ScheduledReduction {
		w.key("scheduled_reduction")
		w.int(int64(b.ScheduledReduction))
		s.key("scheduled_reduction")
		s.int(int64(a.ScheduledReduction))
	}
	if len(s.b) == 1 {
		return nil, nil
	}
	w.b = append(w.b, '}')
	s.b = append(s.b, '}')
	return w.b, s.b
}

func batchesEqual(a, b []SeatBatch) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Quantity != b[i].Quantity || !a[i].AddedAt.Equal(b[i].AddedAt) {
			return false
		}
	}
	return true
}

func batchEqual(a, b SeatBatch) bool { return a.Quantity == b.Quantity && a.AddedAt.Equal(b.AddedAt) }

// seatEdits is a script that turns before into after: runs of equal
// batches are kept, the rest dropped and put. It is short when the change
// is (an addition, a removal, a merge); correctness does not depend on
// finding the shortest one.
func seatEdits(before, after []SeatBatch) []SeatEdit {
	var out []SeatEdit
	emit := func(e SeatEdit) {
		if n := len(out); n > 0 {
			switch {
			case e.Keep > 0 && out[n-1].Keep > 0:
				out[n-1].Keep += e.Keep
				return
			case e.Drop > 0 && out[n-1].Drop > 0:
				out[n-1].Drop += e.Drop
				return
			}
		}
		out = append(out, e)
	}
	const window = 8
	i, j := 0, 0
	for i < len(before) || j < len(after) {
		if i < len(before) && j < len(after) && batchEqual(before[i], after[j]) {
			emit(SeatEdit{Keep: 1})
			i++
			j++
			continue
		}
		// Look a little ahead for the next batch both lists share.
		synced := false
		for d := 1; d <= window && !synced; d++ {
			if i+d < len(before) && j < len(after) && batchEqual(before[i+d], after[j]) {
				emit(SeatEdit{Drop: d})
				i += d
				synced = true
			} else if j+d < len(after) && i < len(before) && batchEqual(before[i], after[j+d]) {
				for k := j; k < j+d; k++ {
					b := after[k]
					emit(SeatEdit{Put: &b})
				}
				j += d
				synced = true
			}
		}
		if synced {
			continue
		}
		if i < len(before) {
			emit(SeatEdit{Drop: 1})
			i++
		}
		if j < len(after) {
			b := after[j]
			emit(SeatEdit{Put: &b})
			j++
		}
	}
	return out
}

// applySeatEdits rebuilds the batches a script describes; ok is false when
// the script does not fit the batches it is applied to.
func applySeatEdits(before []SeatBatch, edits []SeatEdit) ([]SeatBatch, bool) {
	var out []SeatBatch
	i := 0
	for _, e := range edits {
		switch {
		case e.Put != nil:
			out = append(out, *e.Put)
		case e.Keep > 0:
			if i+e.Keep > len(before) {
				return out, false
			}
			out = append(out, before[i:i+e.Keep]...)
			i += e.Keep
		case e.Drop > 0:
			if i+e.Drop > len(before) {
				return out, false
			}
			i += e.Drop
		}
	}
	return out, i == len(before)
}

func userDelta(upn string, b, a *User) (UserDelta, bool) {
	ud := UserDelta{UPN: upn}
	switch {
	case b == nil && a == nil:
		return ud, false
	case b == nil:
		ud.New = cloneUser(a)
		return ud, true
	case a == nil:
		ud.Gone = true
		return ud, true
	case !fastJSON.user:
		if userEqual(b, a) {
			return ud, false
		}
		ud.Now = cloneUser(a)
		return ud, true
	}
	if !stringsEqual(b.Licenses, a.Licenses) {
		ud.Before = nonNil(b.Licenses)
		ud.After = nonNil(a.Licenses)
	}
	ud.Was, ud.Set = userFieldChanges(b, a)
	return ud, ud.Before != nil || ud.Set != nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}

// userFieldChanges encodes the fields of a user other than its products
// that differ, before and after. Written for the fields sigUser covers.
func userFieldChanges(b, a *User) (was, set json.RawMessage) {
	var w, s encoder
	w.b = append(w.b, '{')
	s.b = append(s.b, '{')
	str := func(k, x, y string) {
		if x != y {
			w.key(k)
			w.str(x)
			s.key(k)
			s.str(y)
		}
	}
	str("upn", b.UPN, a.UPN)
	str("name", b.Name, a.Name)
	str("usage_location", b.UsageLocation, a.UsageLocation)
	if !timeMapsEqual(b.Removed, a.Removed) {
		w.key("removed")
		w.timeMap(b.Removed)
		s.key("removed")
		s.timeMap(a.Removed)
	}
	if len(s.b) == 1 {
		return nil, nil
	}
	w.b = append(w.b, '}')
	s.b = append(s.b, '}')
	return w.b, s.b
}

func stringsEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func timeMapsEqual(a, b map[string]time.Time) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !v.Equal(w) {
			return false
		}
	}
	return true
}

// subEqual and userEqual compare stored values as `ledger check` must: a
// nil and an empty list are the same, times are compared as instants. They
// are written for the fields the signatures of jsonenc.go cover; when a
// type has changed, they compare JSON forms.
func subEqual(a, b *Subscription) bool {
	if !fastJSON.subs {
		return jsonEqual(a, b)
	}
	return a.ID == b.ID && a.SKU == b.SKU && a.State == b.State && a.Source == b.Source &&
		a.Payment == b.Payment && a.CreditCheckPending == b.CreditCheckPending && a.AutoRenew == b.AutoRenew &&
		a.Term == b.Term && a.TermStart.Equal(b.TermStart) && a.TermEnd.Equal(b.TermEnd) &&
		a.StateSince.Equal(b.StateSince) && a.ScheduledReduction == b.ScheduledReduction &&
		batchesEqual(a.Seats, b.Seats)
}

func subsEqual(a, b []Subscription) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !subEqual(&a[i], &b[i]) {
			return false
		}
	}
	return true
}

func userEqual(a, b *User) bool {
	if a == nil || b == nil {
		return a == b
	}
	if !fastJSON.user {
		return jsonEqual(a, b)
	}
	return a.UPN == b.UPN && a.Name == b.Name && a.UsageLocation == b.UsageLocation &&
		stringsEqual(a.Licenses, b.Licenses) && timeMapsEqual(a.Removed, b.Removed)
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(canonical(a))
	y, _ := json.Marshal(canonical(b))
	return string(x) == string(y)
}

// normalizeSeats merges seat batches that carry nothing R-REMOVE still
// needs, so that a subscription's stored value stays small however many
// additions it has seen (SPEC §8 "Growth"): batches whose 7-day window has
// closed are final, and become one batch, dated by the last of them (the
// day they were all final, as ReductionWindowPassed shows it); batches
// added at the same instant, side by side, become one. Totals, and the
// windows of open batches, are kept. It reports whether it changed list.
func normalizeSeats(list []Subscription, now time.Time) bool {
	changed := false
	for i := range list {
		s := &list[i]
		closed := 0
		for _, b := range s.Seats {
			if now.Sub(b.AddedAt) >= ReductionWindow {
				closed++
			}
		}
		sameInstant := false
		for k := 1; k < len(s.Seats); k++ {
			if s.Seats[k].AddedAt.Equal(s.Seats[k-1].AddedAt) {
				sameInstant = true
				break
			}
		}
		if closed < 2 && !sameInstant {
			continue
		}
		out := make([]SeatBatch, 0, len(s.Seats))
		final := -1
		for _, b := range s.Seats {
			if now.Sub(b.AddedAt) >= ReductionWindow {
				if final < 0 {
					final = len(out)
					out = append(out, b)
					continue
				}
				out[final].Quantity += b.Quantity
				if b.AddedAt.After(out[final].AddedAt) {
					out[final].AddedAt = b.AddedAt
				}
				continue
			}
			if n := len(out); n > 0 && n-1 != final && out[n-1].AddedAt.Equal(b.AddedAt) {
				out[n-1].Quantity += b.Quantity
				continue
			}
			out = append(out, b)
		}
		if len(out) != len(s.Seats) {
			s.Seats = out
			changed = true
		}
	}
	return changed
}

// delta writes d as json.Marshal would.
func (e *encoder) delta(d *Delta) {
	e.b = append(e.b, '{')
	if len(d.Subs) > 0 {
		e.key("subs")
		array(e, d.Subs, (*encoder).subDelta)
	}
	if len(d.Users) > 0 {
		e.key("users")
		array(e, d.Users, (*encoder).userDelta)
	}
	if len(d.Order) > 0 {
		e.key("order")
		e.b = append(e.b, '{')
		for i, sku := range sortedKeys(d.Order) {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.str(sku)
			e.b = append(e.b, ':')
			e.strs(d.Order[sku])
		}
		e.b = append(e.b, '}')
	}
	e.b = append(e.b, '}')
}

func (e *encoder) oneSub(s *Subscription) {
	if fastJSON.subs {
		e.subscription(s)
	} else {
		e.any(s)
	}
}

func (e *encoder) subDelta(d *SubDelta) {
	e.b = append(e.b, '{')
	e.key("sku")
	e.str(d.SKU)
	e.key("id")
	e.str(d.ID)
	if d.New != nil {
		e.key("new")
		e.oneSub(d.New)
	}
	e.optTrue("gone", d.Gone)
	e.rawField("was", d.Was)
	e.rawField("set", d.Set)
	if len(d.Seats) > 0 {
		e.key("seats")
		array(e, d.Seats, (*encoder).seatEdit)
	}
	if d.Now != nil {
		e.key("now")
		e.oneSub(d.Now)
	}
	e.b = append(e.b, '}')
}

func (e *encoder) seatEdit(s *SeatEdit) {
	e.b = append(e.b, '{')
	e.optInt("keep", int64(s.Keep))
	e.optInt("drop", int64(s.Drop))
	if s.Put != nil {
		e.key("put")
		e.batch(*s.Put)
	}
	e.b = append(e.b, '}')
}

func (e *encoder) oneUser(u *User) {
	if fastJSON.user {
		e.user(u)
	} else {
		e.any(u)
	}
}

func (e *encoder) userDelta(d *UserDelta) {
	e.b = append(e.b, '{')
	e.key("upn")
	e.str(d.UPN)
	if d.New != nil {
		e.key("new")
		e.oneUser(d.New)
	}
	e.optTrue("gone", d.Gone)
	e.optStrs("before", d.Before)
	e.optStrs("after", d.After)
	e.rawField("was", d.Was)
	e.rawField("set", d.Set)
	if d.Now != nil {
		e.key("now")
		e.oneUser(d.Now)
	}
	e.b = append(e.b, '}')
}

func (e *encoder) rawField(k string, v json.RawMessage) {
	if len(v) > 0 {
		e.key(k)
		e.b = append(e.b, v...)
	}
}
