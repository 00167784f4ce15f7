package ledger

import (
	"fmt"
	"math"
	"net/mail"
	"slices"
	"sort"
	"strings"
	"time"
)

// Plan decides a whole request: it checks every rule of SPEC §3 for req
// against the snapshot, the requester's roles (R-ROLE-BUY, R-ROLE-ASSIGN)
// and the tenant's approval policy (R-APPROVAL), and returns the result and
// the writes that applying it would make. It is a pure function: the same
// snapshot, request, catalog and time give the same plan.
//
// A refused seat operation refuses the whole request and the effects are
// empty (R-ATOMIC). Assignment operations are decided per user (R-ASSIGN).
// A request that must wait for a desk admin comes back pending, with the
// planned outcomes marked pending and no effects; a dry run comes back
// dry_run with no effects (R-DRYRUN).
func Plan(snap *Snapshot, req *Request, cat *Catalog, now time.Time) (Result, Effects) {
	if code, msg := authorize(req, &snap.Tenant); code != "" {
		return refusedResult(req, now, code, msg), Effects{}
	}
	p := &planner{w: newWork(snap), req: req, cat: cat, now: now}
	res := Result{RequestID: req.ID, Tenant: req.Tenant, At: now, Undoes: req.Undoes, Errors: []Error{}}
	p.unassigning = unassignSet(req)

	seatRefused := false
	for i := range req.Ops {
		op := req.Ops[i]
		var r OpResult
		switch op.Kind {
		case OpAdd:
			r = p.add(op, op.Quantity, OpAdd)
		case OpRemove:
			r = p.remove(op, op.Quantity, OpRemove)
		case OpSet:
			r = p.set(op)
		case OpAssign:
			r = p.assign(op)
		case OpUnassign:
			r = p.unassign(op)
		case OpRenew:
			r = p.renew(op)
		case OpAutoRenew:
			r = p.autorenew(op)
		case OpSwitch:
			r = p.switchUsers(op)
		default:
			r = OpResult{Op: op.Kind, Outcome: OutcomeRefused, Code: InvalidRequest,
				Detail: fmt.Sprintf("unknown operation %q", op.Kind)}
		}
		if r.Outcome == OutcomeRefused && (op.Kind.IsSeatOp() || (op.Kind == OpSwitch && r.Code != "")) {
			// A switch refused as a whole (its purchase, its roles) is a
			// refused seat operation.
			seatRefused = true
		}
		res.Ops = append(res.Ops, r)
		if seatRefused {
			// R-ATOMIC: nothing after a refused seat operation runs.
			for _, rest := range req.Ops[i+1:] {
				res.Ops = append(res.Ops, OpResult{Op: rest.Kind, SKU: rest.SKU, Quantity: rest.Quantity,
					Users: rest.Users, Subscription: rest.Subscription, Outcome: OutcomeNotRun})
			}
			break
		}
	}

	for _, r := range res.Ops {
		if r.Outcome == OutcomeRefused && r.Code != "" {
			res.Errors = append(res.Errors, Error{Code: r.Code, Message: r.Detail})
		}
		for _, u := range r.UserResults {
			if u.Outcome == OutcomeRefused {
				res.Errors = append(res.Errors, Error{Code: u.Code, Message: u.UPN + ": " + u.Detail})
			}
		}
	}

	if seatRefused {
		// R-ATOMIC: a refused request changes nothing, not even the
		// operations before the refused one.
		for i := range res.Ops {
			if res.Ops[i].Outcome != OutcomeRefused && res.Ops[i].Outcome != OutcomeNotRun {
				res.Ops[i].Outcome = OutcomeNotRun
				res.Ops[i].After = res.Ops[i].Before
				res.Ops[i].Prorated = nil
			}
		}
		res.Status = StatusRefused
		return res, Effects{}
	}
	res.Status = overallStatus(res.Ops)
	if res.Status == StatusRefused {
		return res, Effects{}
	}
	if req.DryRun {
		// R-DRYRUN: the full checks and the reply, nothing changes.
		res.Status = StatusDryRun
		return res, Effects{}
	}
	if req.ApprovedBy == "" && needsApproval(req, &res, &snap.Tenant) {
		hold(&res)
		return res, Effects{}
	}
	return res, p.w.effects()
}

// hold turns a planned result into one that waits for a desk admin
// (R-APPROVAL): nothing is applied; the outcomes say what would be.
func hold(res *Result) {
	res.Status = StatusPendingApproval
	for i := range res.Ops {
		res.Ops[i].Outcome = OutcomePending
	}
}

// overallStatus folds the operations' outcomes into the request's status.
func overallStatus(ops []OpResult) Status {
	applied, refused := 0, 0
	for _, r := range ops {
		switch r.Outcome {
		case OutcomeApplied, OutcomeScheduled, OutcomeUnchanged:
			applied++
		case OutcomePartial:
			applied++
			refused++
		case OutcomeRefused:
			refused++
		}
	}
	switch {
	case refused == 0:
		return StatusApplied
	case applied == 0:
		return StatusRefused
	default:
		return StatusPartiallyApplied
	}
}

type planner struct {
	w           *work
	req         *Request
	cat         *Catalog
	now         time.Time
	unassigning map[string]bool // "upn\x00sku" unassigned anywhere in the request
}

func unassignSet(req *Request) map[string]bool {
	var m map[string]bool // nil, and free, for the requests that unassign nothing
	for _, op := range req.Ops {
		if op.Kind == OpUnassign {
			if m == nil {
				m = map[string]bool{}
			}
			for _, u := range op.Users {
				m[strings.ToLower(u)+"\x00"+op.SKU] = true
			}
		}
	}
	return m
}

func refuse(r OpResult, code Code, format string, args ...any) OpResult {
	r.Outcome = OutcomeRefused
	r.Code = code
	r.Detail = fmt.Sprintf(format, args...)
	if r.After == nil {
		r.After = r.Before
	}
	return r
}

func (p *planner) product(r *OpResult) (*Product, bool) {
	prod, ok := p.cat.Get(r.SKU)
	if !ok {
		*r = refuse(*r, UnknownProduct, "%q is not a product of the catalog", r.SKU)
		return nil, false
	}
	r.SKU = prod.SKU
	r.Currency = prod.Currency
	return prod, true
}

func (p *planner) figures(sku string) *Figures {
	f := p.w.figures(sku)
	return &f
}

// add implements R-ADD for add and for the growing half of set.
func (p *planner) add(op Op, qty int, kind OpKind) OpResult {
	r := OpResult{Op: kind, SKU: op.SKU, Quantity: op.Quantity, Subscription: op.Subscription}
	prod, ok := p.product(&r)
	if !ok {
		return r
	}
	r.Before = p.figures(prod.SKU)
	if qty <= 0 || qty > MaxQuantity {
		return refuse(r, InvalidQuantity, "the quantity must be between 1 and %d", MaxQuantity)
	}
	if r.Before.Total+qty > MaxQuantity {
		return refuse(r, InvalidQuantity, "a product may not exceed %d seats", MaxQuantity)
	}
	if prod.EndOfSale {
		return refuse(r, EndOfSale, "%s is no longer sold; choose its successor", prod.Name)
	}
	subs := p.w.subs[prod.SKU]
	var idx int
	if op.New {
		subs = append(subs, p.newSubscription(prod.SKU, subs))
		idx = len(subs) - 1
	} else {
		if len(subs) == 0 {
			return refuse(r, NoSubscription, "the tenant has no subscription to %s; buy one with add --new", prod.Name)
		}
		var code Code
		var detail string
		idx, code, detail = p.eligibleForAdd(op.Subscription, subs)
		if idx >= 0 {
			r.Subscription = subs[idx].ID
		}
		if code != "" {
			return refuse(r, code, "%s", detail)
		}
	}
	sub := &subs[idx]
	r.Subscription = sub.ID
	if sub.Payment == PaymentInvoice && p.w.snap.Tenant.CreditLimit != nil {
		after := p.invoiceMonthly() + float64(qty)*prod.Price(sub.Term)
		if limit := *p.w.snap.Tenant.CreditLimit; after > limit+0.005 {
			return refuse(r, InsufficientCredit,
				"the new monthly invoice of %.2f %s would exceed the credit limit of %.2f %s", after, prod.Currency, limit, prod.Currency)
		}
	}
	sub.Seats = append(sub.Seats, SeatBatch{Quantity: qty, AddedAt: p.now})
	p.w.setSubs(prod.SKU, subs)
	r.Outcome = OutcomeApplied
	r.After = p.figures(prod.SKU)
	p.cost(&r, prod, []seatDelta{{sub: *sub, delta: qty}})
	return r
}

// eligibleForAdd picks the subscription that receives new seats: the one
// named, or else the best candidate (active, direct, term ending last), and
// says why it cannot take seats if it cannot (R-ADD).
func (p *planner) eligibleForAdd(named string, subs []Subscription) (int, Code, string) {
	if named != "" {
		for i := range subs {
			if subs[i].ID == named {
				code, detail := addRefusal(&subs[i])
				return i, code, detail
			}
		}
		return -1, UnknownSubscription, fmt.Sprintf("the tenant has no subscription %q to this product", named)
	}
	// The first of the best, as a stable sort would put it first: one pass,
	// no allocation (it runs on every addition).
	best := 0
	for i := 1; i < len(subs); i++ {
		if addsBefore(&subs[i], &subs[best]) {
			best = i
		}
	}
	code, detail := addRefusal(&subs[best])
	return best, code, detail
}

// addsBefore orders the candidates for new seats: one that can take them,
// then an active one, then the one whose term ends last.
func addsBefore(a, b *Subscription) bool {
	ca, cb := addRefusalCode(a), addRefusalCode(b)
	if (ca == "") != (cb == "") {
		return ca == ""
	}
	if (a.State == StateActive) != (b.State == StateActive) {
		return a.State == StateActive
	}
	return a.TermEnd.After(b.TermEnd)
}

// addRefusalCode is addRefusal's code alone, without composing its text.
func addRefusalCode(s *Subscription) Code {
	switch {
	case s.State == StateTrial:
		return TrialSubscription
	case s.State != StateActive:
		return SubscriptionInactive
	case s.Source == SourcePrepaid:
		return PrepaidSubscription
	case s.Source == SourcePartner:
		return PartnerManaged
	case s.Source == SourceVolume:
		return VolumeLicensing
	case s.CreditCheckPending:
		return CreditCheckPending
	}
	return ""
}

// addRefusal says why a subscription cannot take more seats (R-ADD).
func addRefusal(s *Subscription) (Code, string) {
	if addRefusalCode(s) == "" {
		return "", ""
	}
	switch {
	case s.State == StateTrial:
		return TrialSubscription, fmt.Sprintf("subscription %s is a trial: buy the subscription first (renew %s), then add seats", s.ID, s.ID)
	case s.State != StateActive:
		return SubscriptionInactive, fmt.Sprintf("subscription %s is %s: renew it before adding seats", s.ID, s.State)
	case s.Source == SourcePrepaid:
		return PrepaidSubscription, fmt.Sprintf("subscription %s was bought with a product key: seats are added by buying another key", s.ID)
	case s.Source == SourcePartner:
		return PartnerManaged, fmt.Sprintf("subscription %s is managed by another partner: contact the reseller that sold it", s.ID)
	case s.Source == SourceVolume:
		return VolumeLicensing, fmt.Sprintf("subscription %s comes from volume licensing: order seats through the volume licensing agreement", s.ID)
	case s.CreditCheckPending:
		return CreditCheckPending, fmt.Sprintf("subscription %s is waiting for a credit check (usually two working days): try again once it is cleared", s.ID)
	}
	return "", ""
}

// removeRefusal says why seats cannot be returned from a subscription now.
func removeRefusal(s *Subscription) (Code, string) {
	switch {
	case s.Source == SourcePrepaid:
		return PrepaidSubscription, fmt.Sprintf("subscription %s was bought with a product key: prepaid seats are never returned", s.ID)
	case s.Source == SourcePartner:
		return PartnerManaged, fmt.Sprintf("subscription %s is managed by another partner: contact the reseller that sold it", s.ID)
	case s.Source == SourceVolume:
		return VolumeLicensing, fmt.Sprintf("subscription %s comes from volume licensing: reduce it through the agreement", s.ID)
	case s.State == StateTrial:
		return TrialSubscription, fmt.Sprintf("subscription %s is a trial: its seats cannot be returned", s.ID)
	case s.State != StateActive:
		return SubscriptionInactive, fmt.Sprintf("subscription %s is %s: seats can only be returned from an active subscription", s.ID, s.State)
	}
	return "", ""
}

func (p *planner) newSubscription(sku string, existing []Subscription) Subscription {
	n := len(existing) + 1
	id := ""
	for {
		id = fmt.Sprintf("%s-%s-%d", p.req.Tenant, strings.ToLower(sku), n)
		taken := false
		for _, s := range existing {
			if s.ID == id {
				taken = true
			}
		}
		if !taken {
			break
		}
		n++
	}
	payment := PaymentCard
	if p.w.snap.Tenant.CreditLimit != nil {
		payment = PaymentInvoice // a credit limit means the tenant is invoiced
	}
	p.w.newSubs[id] = sku
	return Subscription{
		ID: id, SKU: sku, State: StateActive, Source: SourceDirect, Payment: payment,
		AutoRenew: true, Term: TermMonth, TermStart: p.now, TermEnd: termEnd(p.now, TermMonth),
		StateSince: p.now,
	}
}

// termEnd is the end of a term that starts at start.
func termEnd(start time.Time, term string) time.Time {
	if term == TermYear {
		return start.AddDate(1, 0, 0)
	}
	return start.AddDate(0, 1, 0)
}

// remove implements R-REMOVE for remove and for the shrinking half of set.
func (p *planner) remove(op Op, qty int, kind OpKind) OpResult {
	r := OpResult{Op: kind, SKU: op.SKU, Quantity: op.Quantity, Subscription: op.Subscription}
	prod, ok := p.product(&r)
	if !ok {
		return r
	}
	r.Before = p.figures(prod.SKU)
	if qty <= 0 || qty > MaxQuantity {
		return refuse(r, InvalidQuantity, "the quantity must be between 1 and %d", MaxQuantity)
	}
	subs := p.w.subs[prod.SKU]
	if len(subs) == 0 {
		return refuse(r, NoSubscription, "the tenant has no subscription to %s", prod.Name)
	}
	if r.Before.Total-qty < r.Before.Assigned {
		r.Holders = p.holders(prod.SKU)
		return refuse(r, CountViolation,
			"removing %d would leave %d seats for %d assigned users: unassign %d users first",
			qty, r.Before.Total-qty, r.Before.Assigned, r.Before.Assigned-(r.Before.Total-qty))
	}
	if op.AtRenewal {
		return p.scheduleReduction(r, op, prod, subs, qty)
	}

	// Which subscriptions may give seats back: the named one, or every one
	// that can; the first refusal explains when none can.
	var eligible []int
	var firstCode Code
	var firstDetail string
	for i := range subs {
		if op.Subscription != "" && subs[i].ID != op.Subscription {
			continue
		}
		if code, detail := removeRefusal(&subs[i]); code != "" {
			if firstCode == "" {
				firstCode, firstDetail = code, detail
			}
			continue
		}
		eligible = append(eligible, i)
	}
	if op.Subscription != "" && firstCode == "" && len(eligible) == 0 {
		return refuse(r, UnknownSubscription, "the tenant has no subscription %q to this product", op.Subscription)
	}
	if len(eligible) == 0 {
		return refuse(r, firstCode, "%s", firstDetail)
	}

	// R-REMOVE: only batches added in the last 168 hours, newest first.
	type ref struct{ sub, batch int }
	var recent []ref
	var finals []time.Time
	removable := 0
	for _, si := range eligible {
		for bi, b := range subs[si].Seats {
			if p.now.Sub(b.AddedAt) < ReductionWindow {
				recent = append(recent, ref{si, bi})
				removable += b.Quantity
			} else if b.Quantity > 0 {
				finals = append(finals, b.AddedAt.Add(ReductionWindow))
			}
		}
	}
	if removable < qty {
		sort.Slice(finals, func(i, j int) bool { return finals[i].Before(finals[j]) })
		r.FinalDates = finals
		msg := fmt.Sprintf("only seats added in the last 7 days can be returned now (%d of the %d asked); use --at-renewal to reduce at the next renewal", removable, qty)
		return refuse(r, ReductionWindowPassed, "%s", msg)
	}
	sort.SliceStable(recent, func(i, j int) bool {
		return subs[recent[i].sub].Seats[recent[i].batch].AddedAt.After(subs[recent[j].sub].Seats[recent[j].batch].AddedAt)
	})
	taken := map[int]int{}
	left := qty
	for _, rf := range recent {
		if left == 0 {
			break
		}
		b := &subs[rf.sub].Seats[rf.batch]
		n := min(left, b.Quantity)
		b.Quantity -= n
		left -= n
		taken[rf.sub] += n
	}
	var deltas []seatDelta
	for si, n := range taken {
		subs[si].Seats = slices.DeleteFunc(subs[si].Seats, func(b SeatBatch) bool { return b.Quantity == 0 })
		deltas = append(deltas, seatDelta{sub: subs[si], delta: -n})
	}
	sort.Slice(deltas, func(i, j int) bool { return deltas[i].sub.ID < deltas[j].sub.ID })
	if len(deltas) == 1 {
		r.Subscription = deltas[0].sub.ID
	}
	p.w.setSubs(prod.SKU, subs)
	r.Outcome = OutcomeApplied
	r.After = p.figures(prod.SKU)
	p.cost(&r, prod, deltas)
	return r
}

// scheduleReduction implements remove --at-renewal (R-REMOVE).
func (p *planner) scheduleReduction(r OpResult, op Op, prod *Product, subs []Subscription, qty int) OpResult {
	idx := -1
	for i := range subs {
		s := &subs[i]
		if op.Subscription != "" && s.ID != op.Subscription {
			continue
		}
		if s.State != StateActive && s.State != StateTrial {
			continue
		}
		if idx < 0 || s.TermEnd.After(subs[idx].TermEnd) {
			idx = i
		}
	}
	if idx < 0 {
		if op.Subscription != "" {
			return refuse(r, UnknownSubscription, "the tenant has no active subscription %q to this product", op.Subscription)
		}
		return refuse(r, SubscriptionInactive, "no active subscription to %s renews", prod.Name)
	}
	s := &subs[idx]
	r.Subscription = s.ID
	switch s.Source {
	case SourcePrepaid, SourcePartner, SourceVolume:
		code, detail := removeRefusal(s)
		return refuse(r, code, "%s", detail)
	}
	if !s.AutoRenew {
		return refuse(r, AutoRenewOff,
			"subscription %s does not renew automatically, so its seats end on %s anyway: turn auto-renew on first (autorenew on %s)",
			s.ID, s.TermEnd.Format("2006-01-02"), s.ID)
	}
	if s.ScheduledReduction+qty > s.Quantity() {
		return refuse(r, CountViolation, "subscription %s has %d seats, %d already scheduled to go", s.ID, s.Quantity(), s.ScheduledReduction)
	}
	s.ScheduledReduction += qty
	p.w.setSubs(prod.SKU, subs)
	r.Outcome = OutcomeScheduled
	r.ScheduledFor = s.TermEnd
	r.After = r.Before
	// The cost after the renewal, for the reply.
	cost := round2(float64(r.Before.Total-qty) * prod.Price(s.Term))
	if len(subs) > 1 {
		cost = round2(p.monthlyCost(prod) - float64(qty)*prod.Price(s.Term))
	}
	r.MonthlyCost = &cost
	zero := 0.0
	r.Prorated = &zero
	return r
}

// set implements "set N product": the new total (R-ADD or R-REMOVE).
func (p *planner) set(op Op) OpResult {
	r := OpResult{Op: OpSet, SKU: op.SKU, Quantity: op.Quantity}
	prod, ok := p.product(&r)
	if !ok {
		return r
	}
	if op.Quantity < 0 || op.Quantity > MaxQuantity {
		r.Before = p.figures(prod.SKU)
		return refuse(r, InvalidQuantity, "the total must be between 0 and %d", MaxQuantity)
	}
	op.SKU = prod.SKU
	before := p.w.figures(prod.SKU)
	switch d := op.Quantity - before.Total; {
	case d > 0:
		return p.add(op, d, OpSet)
	case d < 0:
		return p.remove(op, -d, OpSet)
	}
	r.Before, r.After = &before, &before
	r.Outcome = OutcomeUnchanged
	r.Code = Unchanged
	r.Detail = fmt.Sprintf("the tenant already has %d seats", before.Total)
	cost := round2(p.monthlyCost(prod))
	r.MonthlyCost = &cost
	return r
}

// assign implements R-ASSIGN, per user.
func (p *planner) assign(op Op) OpResult {
	r := OpResult{Op: OpAssign, SKU: op.SKU, Users: op.Users}
	prod, ok := p.product(&r)
	if !ok {
		return r
	}
	r.Before = p.figures(prod.SKU)
	if len(op.Users) == 0 {
		return refuse(r, InvalidRequest, "name at least one user")
	}
	if len(op.Users) > MaxUsersPerOp {
		return refuse(r, TooManyUsers, "one command may name at most %d users (%d given)", MaxUsersPerOp, len(op.Users))
	}
	t := &p.w.snap.Tenant
	for _, upn := range dedupe(op.Users) {
		out := UserOutcome{UPN: upn, Outcome: OutcomeRefused}
		u, code, detail := p.userFor(upn, op.Create)
		if code == UnknownUser {
			detail += " (use --create to create it)"
		}
		if code != "" {
			out.Code, out.Detail = code, detail
			r.UserResults = append(r.UserResults, out)
			continue
		}
		created := p.w.snap.Users[upn] == nil
		switch {
		case u.Holds(prod.SKU):
			out.Outcome, out.Code, out.Detail = OutcomeUnchanged, AlreadyAssigned, "already holds "+prod.SKU
		case u.UsageLocation == "" && t.UsageLocation == "":
			out.Code, out.Detail = UsageLocationMissing, "the user has no usage location and the tenant has no default"
		default:
			if other := p.excluded(u, prod); other != "" {
				out.Code, out.Detail = MutuallyExclusiveViolation, fmt.Sprintf("holds %s, which cannot be held together with %s", other, prod.SKU)
				break
			}
			if missing := p.missingPrereq(u, prod); missing != "" {
				out.Code, out.Detail = DependencyViolation, fmt.Sprintf("%s requires %s", prod.SKU, missing)
				break
			}
			if p.w.figures(prod.SKU).Available() <= 0 {
				out.Code, out.Detail = CountViolation, "no free seat of "+prod.SKU+": add seats first"
				break
			}
			if u.UsageLocation == "" {
				u.UsageLocation = t.UsageLocation // R-ASSIGN: the tenant default applies
			}
			if at, ok := u.Removed[prod.SKU]; ok {
				if p.now.Sub(at) < DataRetention {
					out.Code = DataKept
					out.DataUntil = at.Add(DataRetention)
					out.Detail = "the user's data from the previous assignment was kept"
				}
				delete(u.Removed, prod.SKU)
			}
			out.Outcome = OutcomeApplied
			out.Created = created
			p.w.grant(u, prod.SKU)
		}
		r.UserResults = append(r.UserResults, out)
	}
	r.Outcome = userOutcome(r.UserResults)
	r.After = p.figures(prod.SKU)
	cost := round2(p.monthlyCost(prod))
	r.MonthlyCost = &cost
	return r
}

// userFor returns the working copy of a user, creating it when allowed.
func (p *planner) userFor(upn string, create bool) (*User, Code, string) {
	if !validUPN(upn) {
		return nil, InvalidUser, "not a valid user name"
	}
	if u := p.w.users[upn]; u != nil {
		return u, "", ""
	}
	if !create {
		return nil, UnknownUser, "no such user in this tenant"
	}
	if !p.ownDomain(upn) {
		return nil, ForeignUser, "the user's domain is not one of the tenant's domains"
	}
	return &User{UPN: upn, UsageLocation: p.w.snap.Tenant.UsageLocation}, "", ""
}

func (p *planner) ownDomain(upn string) bool {
	at := strings.LastIndexByte(upn, '@')
	domain := upn[at+1:]
	for _, d := range p.w.snap.Tenant.Domains {
		if strings.EqualFold(d, domain) {
			return true
		}
	}
	return false
}

// excluded returns a product the user holds that cannot be held with prod.
func (p *planner) excluded(u *User, prod *Product) string {
	for _, held := range u.Licenses {
		if slices.Contains(prod.Excludes, held) {
			return held
		}
		if hp, ok := p.cat.Get(held); ok && slices.Contains(hp.Excludes, prod.SKU) {
			return held
		}
	}
	return ""
}

// missingPrereq names what the user lacks to hold prod, or "".
func (p *planner) missingPrereq(u *User, prod *Product) string {
	var missing []string
	for _, req := range prod.Requires {
		if !u.Holds(req) {
			missing = append(missing, req)
		}
	}
	if len(missing) > 0 {
		return strings.Join(missing, " and ")
	}
	if len(prod.RequiresAny) > 0 && !slices.ContainsFunc(prod.RequiresAny, u.Holds) {
		return "one of " + strings.Join(prod.RequiresAny, ", ")
	}
	return ""
}

// unassign implements R-UNASSIGN, per user.
func (p *planner) unassign(op Op) OpResult {
	r := OpResult{Op: OpUnassign, SKU: op.SKU, Users: op.Users}
	prod, ok := p.product(&r)
	if !ok {
		return r
	}
	r.Before = p.figures(prod.SKU)
	if len(op.Users) == 0 {
		return refuse(r, InvalidRequest, "name at least one user")
	}
	if len(op.Users) > MaxUsersPerOp {
		return refuse(r, TooManyUsers, "one command may name at most %d users (%d given)", MaxUsersPerOp, len(op.Users))
	}
	for _, upn := range dedupe(op.Users) {
		out := UserOutcome{UPN: upn, Outcome: OutcomeRefused}
		u, code, detail := p.userFor(upn, false)
		switch {
		case code != "":
			out.Code, out.Detail = code, detail
		case !u.Holds(prod.SKU):
			out.Outcome, out.Code, out.Detail = OutcomeUnchanged, NotAssigned, "does not hold "+prod.SKU
		default:
			if dep := p.dependent(u, prod.SKU); dep != "" {
				out.Code, out.Detail = DependencyViolation, fmt.Sprintf("%s requires %s: unassign %s first", dep, prod.SKU, dep)
				break
			}
			p.w.take(u, prod.SKU, p.now)
			out.Outcome = OutcomeApplied
			out.DataUntil = p.now.Add(DataRetention)
		}
		r.UserResults = append(r.UserResults, out)
	}
	r.Outcome = userOutcome(r.UserResults)
	r.After = p.figures(prod.SKU)
	cost := round2(p.monthlyCost(prod))
	r.MonthlyCost = &cost
	return r
}

// dependent names a product the user keeps that needs sku (R-UNASSIGN),
// ignoring products unassigned in the same request.
func (p *planner) dependent(u *User, sku string) string {
	keeps := func(s string) bool {
		return u.Holds(s) && !p.unassigning[u.UPN+"\x00"+s]
	}
	for _, held := range u.Licenses {
		if held == sku || !keeps(held) {
			continue
		}
		hp, ok := p.cat.Get(held)
		if !ok {
			continue
		}
		if slices.Contains(hp.Requires, sku) {
			return held
		}
		if slices.Contains(hp.RequiresAny, sku) {
			other := slices.ContainsFunc(hp.RequiresAny, func(s string) bool { return s != sku && keeps(s) })
			if !other {
				return held
			}
		}
	}
	return ""
}

func userOutcome(us []UserOutcome) string {
	applied, refused, unchanged := 0, 0, 0
	for _, u := range us {
		switch u.Outcome {
		case OutcomeApplied:
			applied++
		case OutcomeRefused:
			refused++
		default:
			unchanged++
		}
	}
	switch {
	case refused == 0 && applied == 0:
		return OutcomeUnchanged
	case refused == 0:
		return OutcomeApplied
	case applied == 0 && unchanged == 0:
		return OutcomeRefused
	default:
		return OutcomePartial
	}
}

// renew renews an expired, disabled or trial subscription (R-EXPIRE, R-TRIAL):
// a new term starts now and its seats become a new batch.
func (p *planner) renew(op Op) OpResult {
	r := OpResult{Op: OpRenew, SKU: op.SKU, Subscription: op.Subscription}
	subs, s, prod, ok := p.subscriptionOp(&r, op)
	if !ok {
		return r
	}
	switch {
	case s.Source == SourcePartner || s.Source == SourceVolume || s.Source == SourcePrepaid:
		code, detail := removeRefusal(s)
		return refuse(r, code, "%s", detail)
	case s.State == StateActive:
		return refuse(r, NotRenewable, "subscription %s is active until %s and renews %s",
			s.ID, s.TermEnd.Format("2006-01-02"), map[bool]string{true: "automatically", false: "only if auto-renew is turned on"}[s.AutoRenew])
	case s.State == StateDeleted || s.State == StateSuspended:
		return refuse(r, NotRenewable, "subscription %s is %s and cannot be renewed: buy a new one with add --new", s.ID, s.State)
	case prod.EndOfSale:
		return refuse(r, EndOfSale, "%s is no longer sold; choose its successor", prod.Name)
	}
	if s.Term == "" {
		s.Term = TermMonth
	}
	renewTerm(s, p.now, p.now)
	s.State = StateActive
	s.StateSince = p.now
	p.w.setSubs(s.SKU, subs)
	r.Outcome = OutcomeApplied
	r.After = p.figures(s.SKU)
	r.ScheduledFor = s.TermEnd
	cost := round2(p.monthlyCost(prod))
	r.MonthlyCost = &cost
	charge := round2(float64(s.Quantity()) * prod.Price(s.Term) * termMonths(s.Term))
	r.Prorated = &charge
	return r
}

// renewTerm starts a new term at start: scheduled reductions are applied and
// the remaining seats become one batch added at `at` (a new 7-day window).
func renewTerm(s *Subscription, start, at time.Time) {
	q := max(s.Quantity()-s.ScheduledReduction, 0)
	s.ScheduledReduction = 0
	s.TermStart = start
	s.TermEnd = termEnd(start, s.Term)
	s.Seats = nil
	if q > 0 {
		s.Seats = []SeatBatch{{Quantity: q, AddedAt: at}}
	}
}

// autorenew switches a subscription's auto-renew.
func (p *planner) autorenew(op Op) OpResult {
	r := OpResult{Op: OpAutoRenew, Subscription: op.Subscription, AutoRenew: op.AutoRenew}
	subs, s, prod, ok := p.subscriptionOp(&r, op)
	if !ok {
		return r
	}
	r.After = r.Before
	switch {
	case s.Source == SourcePartner || s.Source == SourceVolume || s.Source == SourcePrepaid:
		code, detail := removeRefusal(s)
		return refuse(r, code, "%s", detail)
	case s.State == StateDeleted:
		return refuse(r, SubscriptionInactive, "subscription %s is deleted", s.ID)
	case s.AutoRenew == op.AutoRenew:
		r.Outcome, r.Code = OutcomeUnchanged, Unchanged
		r.Detail = fmt.Sprintf("auto-renew of %s is already %s", s.ID, onOff(op.AutoRenew))
		return r
	}
	s.AutoRenew = op.AutoRenew
	if !op.AutoRenew && s.ScheduledReduction > 0 {
		// Nothing renews, so nothing is left to reduce at renewal.
		r.Detail = fmt.Sprintf("the reduction of %d seats scheduled for the renewal was cancelled", s.ScheduledReduction)
		s.ScheduledReduction = 0
	}
	p.w.setSubs(s.SKU, subs)
	r.Outcome = OutcomeApplied
	r.ScheduledFor = s.TermEnd
	cost := round2(p.monthlyCost(prod))
	r.MonthlyCost = &cost
	return r
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// subscriptionOp finds the subscription an operation names, and its
// product, and fills the result's figures before the change; ok is false
// when the result is already a refusal.
func (p *planner) subscriptionOp(r *OpResult, op Op) ([]Subscription, *Subscription, *Product, bool) {
	subs, i := p.findSub(op)
	if i < 0 {
		*r = refuse(*r, UnknownSubscription, "the tenant has no subscription %q", op.Subscription)
		return nil, nil, nil, false
	}
	s := &subs[i]
	r.SKU = s.SKU
	prod, ok := p.product(r)
	if !ok {
		return nil, nil, nil, false
	}
	r.Before = p.figures(s.SKU)
	return subs, s, prod, true
}

// findSub finds a subscription by id among the loaded products.
func (p *planner) findSub(op Op) ([]Subscription, int) {
	skus := make([]string, 0, len(p.w.subs))
	if op.SKU != "" {
		skus = append(skus, op.SKU)
	} else {
		for sku := range p.w.subs {
			skus = append(skus, sku)
		}
		sort.Strings(skus)
	}
	for _, sku := range skus {
		subs := p.w.subs[sku]
		for i := range subs {
			if subs[i].ID == op.Subscription {
				return subs, i
			}
		}
	}
	return nil, -1
}

// holders names up to 20 users holding sku, for CountViolation replies.
func (p *planner) holders(sku string) []string {
	seen := map[string]bool{}
	var out []string
	for upn, u := range p.w.users {
		if u != nil && u.Holds(sku) {
			seen[upn] = true
			out = append(out, upn)
		}
	}
	for _, upn := range p.w.snap.Holders[sku] {
		if u, loaded := p.w.users[upn]; loaded && (u == nil || !u.Holds(sku)) {
			continue // released within this request
		}
		if !seen[upn] {
			seen[upn] = true
			out = append(out, upn)
		}
	}
	sort.Strings(out)
	if len(out) > 20 {
		out = out[:20]
	}
	return out
}

type seatDelta struct {
	sub   Subscription
	delta int
}

// cost fills R-COST: the product's new monthly cost for the tenant and the
// prorated charge (positive) or credit (negative) for the rest of the term.
func (p *planner) cost(r *OpResult, prod *Product, deltas []seatDelta) {
	monthly := round2(p.monthlyCost(prod))
	r.MonthlyCost = &monthly
	total := 0.0
	for _, d := range deltas {
		total += prorate(d.delta, prod.Price(d.sub.Term), d.sub, p.now)
	}
	total = round2(total)
	r.Prorated = &total
}

// prorate is the daily proration of delta seats for the rest of the term.
func prorate(delta int, monthly float64, s Subscription, now time.Time) float64 {
	termDays := math.Round(s.TermEnd.Sub(s.TermStart).Hours() / 24)
	if termDays <= 0 {
		return 0
	}
	left := math.Ceil(s.TermEnd.Sub(now).Hours() / 24)
	left = math.Max(0, math.Min(left, termDays))
	return float64(delta) * monthly * termMonths(s.Term) * left / termDays
}

func termMonths(term string) float64 {
	if term == TermYear {
		return 12
	}
	return 1
}

// monthlyCost is what the tenant pays per month for the product (R-COST).
func (p *planner) monthlyCost(prod *Product) float64 {
	c := 0.0
	for _, s := range p.w.subs[prod.SKU] {
		if s.Billed() {
			c += float64(s.Quantity()) * prod.Price(s.Term)
		}
	}
	return c
}

// invoiceMonthly is the tenant's monthly invoice over every product, for the
// credit limit of R-ADD. The snapshot holds every SKU for seat operations.
func (p *planner) invoiceMonthly() float64 {
	c := 0.0
	for sku, subs := range p.w.subs {
		prod, ok := p.cat.Get(sku)
		if !ok {
			continue
		}
		for _, s := range subs {
			if s.Billed() && s.Payment == PaymentInvoice {
				c += float64(s.Quantity()) * prod.Price(s.Term)
			}
		}
	}
	return c
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

func dedupe(in []string) []string {
	seen := make(map[string]bool, len(in))
	out := make([]string, 0, len(in))
	for _, s := range in {
		s = strings.ToLower(strings.TrimSpace(s))
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// validUPN reports whether s looks like a user principal name.
func validUPN(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, " <>\"\x00") {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || !strings.Contains(s[at+1:], ".") {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && strings.EqualFold(a.Address, s)
}
