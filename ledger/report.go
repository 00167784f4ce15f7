package ledger

import (
	"context"
	"sort"
	"time"
)

// Alert codes of R-REPORT. Append only.
const (
	AlertTrialEnding        = "TrialEnding"        // a trial ends within 30 days
	AlertSubscriptionEnding = "SubscriptionEnding" // ends within 30 days without auto-renew
	AlertCreditCheckPending = "CreditCheckPending" // seats cannot be added until the check clears
	AlertConflict           = "Conflict"           // more users than seats (R-CONFLICT)
)

// AlertHorizon is how far ahead R-REPORT warns of an ending.
const AlertHorizon = 30 * 24 * time.Hour

// Alert is one thing a desk should act on before the invoice does.
type Alert struct {
	Code         string    `json:"code"`
	Subscription string    `json:"subscription,omitempty"`
	SKU          string    `json:"sku,omitempty"`
	Date         time.Time `json:"date"`
}

// Returnable is a seat batch that can still be returned (R-REMOVE), and
// when its 7-day window closes.
type Returnable struct {
	Quantity     int       `json:"quantity"`
	Until        time.Time `json:"until"`
	Subscription string    `json:"subscription"`
}

// Reducible is how many seats can be reduced at the next renewal, and when.
type Reducible struct {
	Quantity     int       `json:"quantity"`
	Date         time.Time `json:"date,omitzero"`
	Subscription string    `json:"subscription,omitempty"`
}

// ReportProduct is one product of a tenant in the report (R-REPORT).
type ReportProduct struct {
	SKU                   string       `json:"sku"`
	Name                  string       `json:"name"`
	Total                 int          `json:"total"`
	Assigned              int          `json:"assigned"`
	Unassigned            int          `json:"unassigned"`
	UnassignedMonthlyCost float64      `json:"unassigned_monthly_cost"`
	ReturnableNow         []Returnable `json:"returnable_now"`
	ReducibleAtRenewal    Reducible    `json:"reducible_at_renewal"`
	ConflictUsers         []string     `json:"conflict_users"`
}

// TenantReport is one tenant's part of the report.
type TenantReport struct {
	Tenant                string          `json:"tenant"`
	Name                  string          `json:"name"`
	Language              string          `json:"language,omitempty"`
	UnassignedMonthlyCost float64         `json:"unassigned_monthly_cost"`
	Currency              string          `json:"currency,omitempty"`
	Alerts                []Alert         `json:"alerts"`
	Products              []ReportProduct `json:"products"`
}

// Report is R-REPORT: what to do next, for one tenant or the whole desk
// (tenants ranked by the monthly cost of their unassigned seats).
type Report struct {
	Tenants               []TenantReport `json:"tenants"`
	UnassignedMonthlyCost float64        `json:"unassigned_monthly_cost"`
	Currency              string         `json:"currency"`
	At                    time.Time      `json:"at"`
}

// Alerts counts the report's alerts by code.
func (r *Report) Alerts() map[string]int {
	n := map[string]int{}
	for _, t := range r.Tenants {
		for _, a := range t.Alerts {
			n[a.Code]++
		}
	}
	return n
}

// reportBatch is how many tenants one round trip of the report reads.
const reportBatch = 200

// Report builds R-REPORT for one tenant, or ("") for every tenant of the
// desk. It reads each tenant's subscriptions and per-product counters, in
// batches of tenants per round trip, and the holders of a product only
// where it is in conflict: never every user.
func (l *Ledger) Report(ctx context.Context, tenant string) (Report, error) {
	ids := []string{tenant}
	if tenant == "" {
		var err error
		if ids, err = l.Tenants(ctx); err != nil {
			return Report{}, err
		}
	}
	now := l.clock.Now()
	rep := Report{Tenants: []TenantReport{}, At: now}
	for start := 0; start < len(ids); start += reportBatch {
		batch := ids[start:min(start+reportBatch, len(ids))]
		views, err := l.views(ctx, batch)
		if err != nil {
			return Report{}, err
		}
		for i, v := range views {
			if v == nil {
				if tenant != "" {
					return Report{}, ErrUnknownTenant
				}
				continue // removed meanwhile
			}
			tr := tenantReport(v, now)
			if err := l.conflictUsers(ctx, batch[i], &tr); err != nil {
				return Report{}, err
			}
			rep.Tenants = append(rep.Tenants, tr)
		}
	}
	sort.SliceStable(rep.Tenants, func(i, j int) bool {
		a, b := rep.Tenants[i], rep.Tenants[j]
		if a.UnassignedMonthlyCost != b.UnassignedMonthlyCost {
			return a.UnassignedMonthlyCost > b.UnassignedMonthlyCost
		}
		return a.Tenant < b.Tenant
	})
	for _, t := range rep.Tenants {
		rep.UnassignedMonthlyCost += t.UnassignedMonthlyCost
		if rep.Currency == "" {
			rep.Currency = t.Currency
		}
	}
	rep.UnassignedMonthlyCost = round2(rep.UnassignedMonthlyCost)
	if rep.Currency == "" {
		rep.Currency = "EUR"
	}
	return rep, nil
}

// tenantReport computes one tenant's figures and alerts from its Licenses
// page (a pure function of the page and the clock).
func tenantReport(v *TenantView, now time.Time) TenantReport {
	tr := TenantReport{Tenant: v.Tenant.ID, Name: v.Tenant.Name, Language: v.Tenant.Language,
		Alerts: []Alert{}, Products: []ReportProduct{}}
	for _, line := range v.Products {
		p := ReportProduct{SKU: line.SKU, Name: line.Name, Total: line.Total, Assigned: line.Assigned,
			Unassigned: max(line.Available, 0), ReturnableNow: []Returnable{}, ConflictUsers: []string{}}
		if line.Total > 0 && p.Unassigned > 0 {
			// At the subscriptions' own term prices: free trial seats
			// weigh nothing.
			p.UnassignedMonthlyCost = round2(line.MonthlyCost * float64(p.Unassigned) / float64(line.Total))
		}
		returnable := 0
		for _, s := range line.Subscriptions {
			if code, _ := removeRefusal(&s); code == "" {
				for _, b := range s.Seats {
					if until := b.AddedAt.Add(ReductionWindow); now.Before(until) && b.Quantity > 0 {
						p.ReturnableNow = append(p.ReturnableNow, Returnable{Quantity: b.Quantity, Until: until, Subscription: s.ID})
						returnable += b.Quantity
					}
				}
			}
			alertsOf(&tr, &s, now)
		}
		sort.Slice(p.ReturnableNow, func(i, j int) bool { return p.ReturnableNow[i].Until.Before(p.ReturnableNow[j].Until) })
		p.ReducibleAtRenewal = reducible(line, p.Unassigned-min(returnable, p.Unassigned))
		if line.Conflict {
			tr.Alerts = append(tr.Alerts, Alert{Code: AlertConflict, SKU: line.SKU, Subscription: firstSub(line), Date: now})
		}
		tr.UnassignedMonthlyCost += p.UnassignedMonthlyCost
		if tr.Currency == "" {
			tr.Currency = line.Currency
		}
		tr.Products = append(tr.Products, p)
	}
	tr.UnassignedMonthlyCost = round2(tr.UnassignedMonthlyCost)
	sort.SliceStable(tr.Alerts, func(i, j int) bool { return tr.Alerts[i].Date.Before(tr.Alerts[j].Date) })
	return tr
}

// alertsOf adds the alerts of one subscription (R-REPORT).
func alertsOf(tr *TenantReport, s *Subscription, now time.Time) {
	soon := !s.TermEnd.IsZero() && !s.TermEnd.Before(now) && s.TermEnd.Sub(now) <= AlertHorizon
	switch {
	case s.State == StateTrial && soon:
		tr.Alerts = append(tr.Alerts, Alert{Code: AlertTrialEnding, Subscription: s.ID, SKU: s.SKU, Date: s.TermEnd})
	case s.State == StateActive && !s.AutoRenew && soon:
		tr.Alerts = append(tr.Alerts, Alert{Code: AlertSubscriptionEnding, Subscription: s.ID, SKU: s.SKU, Date: s.TermEnd})
	}
	if s.CreditCheckPending && s.Counts() {
		tr.Alerts = append(tr.Alerts, Alert{Code: AlertCreditCheckPending, Subscription: s.ID, SKU: s.SKU, Date: now})
	}
}

// reducible is how many of want unassigned seats can go at the next
// renewal: on the active, auto-renewing, directly bought subscription
// that renews first, less what is already scheduled (R-REMOVE
// --at-renewal).
func reducible(line ProductLine, want int) Reducible {
	var r Reducible
	if want <= 0 {
		return r
	}
	for _, s := range line.Subscriptions {
		if s.State != StateActive || !s.AutoRenew || s.Source != SourceDirect && s.Source != "" {
			continue
		}
		if r.Date.IsZero() || s.TermEnd.Before(r.Date) {
			r.Date, r.Subscription = s.TermEnd, s.ID
			r.Quantity = min(want, max(s.Quantity()-s.ScheduledReduction, 0))
		}
	}
	return r
}

func firstSub(line ProductLine) string {
	if len(line.Subscriptions) > 0 {
		return line.Subscriptions[0].ID
	}
	return ""
}

// conflictUsers names, for each product in conflict, up to 100 of the
// users holding it, to choose whom to unassign.
func (l *Ledger) conflictUsers(ctx context.Context, tenant string, tr *TenantReport) error {
	for i := range tr.Products {
		p := &tr.Products[i]
		if p.Assigned <= p.Total {
			continue
		}
		users, err := l.rdb.ZRange(ctx, keysFor(tenant).holders(p.SKU), 0, 99).Result()
		if err != nil {
			return wrapf("ledger: report %s: %w", tenant, err)
		}
		p.ConflictUsers = users
	}
	return nil
}

// Ask is one question of a customer about their own licences: the figures
// of a product and, with More, what that many more seats would cost; or,
// with Unused, the tenant's report.
type Ask struct {
	SKU    string `json:"sku,omitempty"`
	More   int    `json:"more,omitempty"`
	Unused bool   `json:"unused,omitempty"`
}

// Answer gives the figures that answer a tenant's questions (status
// answered): nothing is planned or changed. A product the tenant has no
// subscription to is answered with its catalog price and Held false.
func (l *Ledger) Answer(ctx context.Context, tenant string, asks []Ask) (Answer, error) {
	var ans Answer
	var unused bool
	for _, a := range asks {
		unused = unused || a.Unused
	}
	if unused {
		rep, err := l.Report(ctx, tenant)
		if err != nil {
			return ans, err
		}
		ans.Report = &rep.Tenants[0]
	}
	v, err := l.Show(ctx, tenant)
	if err != nil {
		return ans, err
	}
	cat, now := l.Catalog(), l.clock.Now()
	for _, a := range asks {
		if a.SKU == "" {
			continue
		}
		prod, ok := cat.Get(a.SKU)
		if !ok {
			continue
		}
		line := AnswerLine{SKU: prod.SKU, Currency: prod.Currency, Term: TermMonth, More: max(a.More, 0)}
		var subs []Subscription
		for _, p := range v.Products {
			if p.SKU == prod.SKU {
				line.Total, line.Assigned, line.Available, line.MonthlyCost = p.Total, p.Assigned, p.Available, p.MonthlyCost
				subs = p.Subscriptions
			}
		}
		line.Held = len(subs) > 0
		// New seats go to the subscription R-ADD would choose: priced at
		// its term, prorated to its term's end.
		var into *Subscription
		for i := range subs {
			if addRefusalCode(&subs[i]) == "" && (into == nil || subs[i].TermEnd.After(into.TermEnd)) {
				into = &subs[i]
			}
		}
		if into != nil {
			line.Term = into.Term
		}
		line.SeatPrice = round2(prod.Price(line.Term))
		if line.More > 0 {
			line.MoreMonthly = round2(float64(line.More) * prod.Price(line.Term))
			if into != nil {
				line.MoreProrated = round2(prorate(line.More, prod.Price(into.Term), *into, now))
			} else {
				line.MoreProrated = line.MoreMonthly // a new monthly subscription starts now
			}
		}
		ans.Products = append(ans.Products, line)
	}
	return ans, nil
}
