package ledger

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// switchUsers implements R-SWITCH: each named user (or every holder of
// FROM, resolved before planning for --all) moves from FROM to TO in one
// step, so that nobody is ever without one of them. TO's missing seats are
// bought under R-ADD, and with --return FROM's freed seats are returned as
// far as R-REMOVE allows and the rest scheduled for the renewal.
//
// The user checks come first, the purchase next, the moves last: a
// refused purchase refuses the whole request (R-ATOMIC), and no user moves
// without a seat.
func (p *planner) switchUsers(op Op) OpResult {
	r := OpResult{Op: OpSwitch, SKU: op.SKU, To: op.To, Users: truncList(op.Users, 20)}
	from, ok := p.product(&r)
	if !ok {
		return r
	}
	r.Before = p.figures(from.SKU)
	to, ok := p.cat.Get(op.To)
	if !ok {
		return refuse(r, UnknownProduct, "%q is not a product of the catalog", op.To)
	}
	r.To = to.SKU
	r.ToBefore = p.figures(to.SKU)
	before := *r.ToBefore
	switch {
	case from.SKU == to.SKU:
		return refuse(r, InvalidRequest, "the products to switch from and to are the same")
	case len(op.Users) == 0:
		if op.All {
			r.Outcome, r.Code, r.Detail = OutcomeUnchanged, Unchanged, "nobody holds "+from.SKU
			r.After, r.ToAfter = r.Before, r.ToBefore
			return r
		}
		return refuse(r, InvalidRequest, "name at least one user, or --all")
	case len(op.Users) > MaxUsersPerOp:
		return refuse(r, TooManyUsers, "one command may name at most %d users (%d given)", MaxUsersPerOp, len(op.Users))
	}

	// Who can move.
	var movers []*User
	for _, upn := range dedupe(op.Users) {
		out := UserOutcome{UPN: upn, Outcome: OutcomeRefused}
		u, code, detail := p.userFor(upn, false)
		switch {
		case code != "":
			out.Code, out.Detail = code, detail
		case u.Holds(to.SKU):
			out.Outcome, out.Code, out.Detail = OutcomeUnchanged, AlreadyAssigned, "already holds "+to.SKU
		case !u.Holds(from.SKU):
			out.Code, out.Detail = NotAssigned, "does not hold "+from.SKU
		case u.UsageLocation == "" && p.w.snap.Tenant.UsageLocation == "":
			out.Code, out.Detail = UsageLocationMissing, "the user has no usage location and the tenant has no default"
		default:
			if code, detail := p.switchBlock(u, from, to); code != "" {
				out.Code, out.Detail = code, detail
				break
			}
			out.Outcome = OutcomeApplied
			movers = append(movers, u)
		}
		r.UserResults = append(r.UserResults, out)
	}

	// Returning seats needs the billing role too: checked before anything
	// moves, since a refusal refuses the whole request (R-ATOMIC).
	if op.Return && len(movers) > 0 {
		if code, msg := p.needsBilling(fmt.Sprintf("returning the freed seats of %s", from.SKU)); code != "" {
			return refuse(r, code, "%s", msg)
		}
	}

	// Seats follow: buy what TO lacks (R-ADD), as one batch.
	net := 0.0 // the prorated charge of what is bought, less the credit of what is returned (R-COST)
	if short := len(movers) - max(before.Available(), 0); short > 0 {
		if code, msg := p.needsBilling(fmt.Sprintf("buying %d seats of %s", short, to.SKU)); code != "" {
			return refuse(r, code, "%s", msg)
		}
		bought := p.add(Op{Kind: OpAdd, SKU: to.SKU, Quantity: short}, short, OpAdd)
		if bought.Outcome != OutcomeApplied {
			r.Subscription = bought.Subscription
			return refuse(r, bought.Code, "%d seats of %s are missing and cannot be bought: %s", short, to.SKU, bought.Detail)
		}
		r.Bought = short
		if bought.Prorated != nil {
			net += *bought.Prorated
		}
	}

	// The moves: one step per user.
	for _, u := range movers {
		p.w.take(u, from.SKU, p.now)
		if u.UsageLocation == "" {
			u.UsageLocation = p.w.snap.Tenant.UsageLocation // R-ASSIGN: the tenant default applies
		}
		delete(u.Removed, to.SKU)
		p.w.grant(u, to.SKU)
	}

	// The freed seats of FROM: returned with --return, else reported.
	freed := len(movers)
	if op.Return && freed > 0 {
		returned, scheduled, credit, detail := p.returnFreed(from, freed)
		r.Returned, r.Scheduled = returned, scheduled
		net += credit
		r.Detail = detail
	} else if freed > 0 {
		r.Detail = p.freedDetail(from, freed)
	}
	r.Outcome = userOutcome(r.UserResults)
	r.After = p.figures(from.SKU)
	r.ToAfter = p.figures(to.SKU)
	fromCost, toCost := round2(p.monthlyCost(from)), round2(p.monthlyCost(to))
	r.MonthlyCost, r.ToCost = &fromCost, &toCost
	r.Currency = to.Currency
	net = round2(net)
	r.Prorated = &net
	return r
}

// switchBlock says why a user who holds FROM cannot move to TO.
func (p *planner) switchBlock(u *User, from, to *Product) (Code, string) {
	// FROM and TO excluding each other is no violation: FROM leaves in the
	// same step. Anything else the user holds may exclude TO.
	for _, held := range u.Licenses {
		if held == from.SKU {
			continue
		}
		if slices.Contains(to.Excludes, held) {
			return MutuallyExclusiveViolation, fmt.Sprintf("holds %s, which cannot be held together with %s", held, to.SKU)
		}
		if hp, ok := p.cat.Get(held); ok && slices.Contains(hp.Excludes, to.SKU) {
			return MutuallyExclusiveViolation, fmt.Sprintf("holds %s, which cannot be held together with %s", held, to.SKU)
		}
	}
	after := func(sku string) bool { return sku == to.SKU || (sku != from.SKU && u.Holds(sku)) }
	for _, req := range to.Requires {
		if !after(req) {
			return DependencyViolation, fmt.Sprintf("%s requires %s", to.SKU, req)
		}
	}
	if len(to.RequiresAny) > 0 && !slices.ContainsFunc(to.RequiresAny, after) {
		return DependencyViolation, fmt.Sprintf("%s requires one of %v", to.SKU, to.RequiresAny)
	}
	// An add-on the user keeps that needs FROM must be satisfied by TO.
	for _, held := range u.Licenses {
		hp, ok := p.cat.Get(held)
		if !ok || held == from.SKU {
			continue
		}
		if slices.Contains(hp.Requires, from.SKU) ||
			(len(hp.RequiresAny) > 0 && slices.Contains(hp.RequiresAny, from.SKU) && !slices.ContainsFunc(hp.RequiresAny, after)) {
			return DependencyViolation, fmt.Sprintf("%s requires %s, and %s does not qualify for it: the user keeps %s", held, from.SKU, to.SKU, from.SKU)
		}
	}
	return "", ""
}

// needsBilling applies R-ROLE-BUY to the seat part of a switch: moving
// users needs the license role, buying or returning seats also billing.
func (p *planner) needsBilling(what string) (Code, string) {
	req := p.req
	if req.Requester.Operator {
		return "", ""
	}
	roles := req.Requester.Roles
	contact := req.Origin.Channel == ChannelEmail
	if contact {
		roles = contactRoles(&p.w.snap.Tenant, req.Requester.ID)
	}
	if HasRole(roles, RoleBilling) || (!contact && HasRole(roles, RoleGlobal)) {
		return "", ""
	}
	return NotAuthorized, what + " needs the billing role"
}

// returnFreed returns up to n freed seats of FROM now (R-REMOVE: the
// newest batches added in the last 7 days), and schedules the rest for
// the renewal where auto-renew is on. It reports the seats returned and
// scheduled, the prorated credit, and what the reply should say.
func (p *planner) returnFreed(from *Product, n int) (returned, scheduled int, credit float64, detail string) {
	now := p.returnable(from)
	if now > 0 {
		take := min(now, n)
		res := p.remove(Op{Kind: OpRemove, SKU: from.SKU, Quantity: take}, take, OpRemove)
		if res.Outcome == OutcomeApplied {
			returned = take
			if res.Prorated != nil {
				credit = *res.Prorated
			}
		}
	}
	if rest := n - returned; rest > 0 {
		res := p.remove(Op{Kind: OpRemove, SKU: from.SKU, Quantity: rest, AtRenewal: true}, rest, OpRemove)
		if res.Outcome == OutcomeScheduled {
			scheduled = rest
			detail = fmt.Sprintf("%d seats of %s are returned now and %d will go at the renewal on %s", returned, from.SKU, rest, res.ScheduledFor.Format("2006-01-02"))
		} else {
			detail = fmt.Sprintf("%d seats of %s are returned now; %d stay free: %s", returned, from.SKU, rest, res.Detail)
		}
	} else {
		detail = fmt.Sprintf("the %d freed seats of %s are returned", returned, from.SKU)
	}
	return returned, scheduled, credit, detail
}

// returnable is how many seats of the product could be returned now
// (R-REMOVE): those of batches added in the last 7 days, on subscriptions
// that may give seats back.
func (p *planner) returnable(prod *Product) int {
	n := 0
	for i := range p.w.subs[prod.SKU] {
		s := &p.w.subs[prod.SKU][i]
		if code, _ := removeRefusal(s); code != "" {
			continue
		}
		for _, b := range s.Seats {
			if p.now.Sub(b.AddedAt) < ReductionWindow {
				n += b.Quantity
			}
		}
	}
	return n
}

// freedDetail says, without --return, how many seats of FROM the switch
// freed and when they can be reduced: now for the recent ones (until their
// 7-day window closes), else at the renewal.
func (p *planner) freedDetail(from *Product, freed int) string {
	now := min(p.returnable(from), freed)
	var closes, renewal time.Time
	for _, s := range p.w.subs[from.SKU] {
		for _, b := range s.Seats {
			if end := b.AddedAt.Add(ReductionWindow); p.now.Before(end) && (closes.IsZero() || end.Before(closes)) {
				closes = end
			}
		}
		if s.State == StateActive && (renewal.IsZero() || s.TermEnd.After(renewal)) {
			renewal = s.TermEnd
		}
	}
	msg := fmt.Sprintf("%d seats of %s are now free", freed, from.SKU)
	if now > 0 {
		msg += fmt.Sprintf("; %d can be returned until %s", now, closes.Format("2006-01-02 15:04 MST"))
	}
	if rest := freed - now; rest > 0 && !renewal.IsZero() {
		msg += fmt.Sprintf("; %d can be reduced at the renewal on %s", rest, renewal.Format("2006-01-02"))
	}
	return msg
}

// contactRoles are the roles of an emailed request's sender.
func contactRoles(t *Tenant, email string) []Role {
	for _, c := range t.Contacts {
		if strings.EqualFold(c.Email, email) {
			return c.Roles
		}
	}
	return nil
}

// expandAll resolves switch --all to the holders of FROM, read by the
// caller (R-SWITCH: up to MaxUsersPerOp); holders has one more entry than
// the limit when there are too many.
func expandAll(op *Op, holders []string) {
	op.Users = append(op.Users[:0], holders...)
	sort.Strings(op.Users)
}
