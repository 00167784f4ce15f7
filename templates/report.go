package templates

import (
	"sort"

	"github.com/licensedesk/licensedesk/ledger"
)

// reportTenants is how many tenants the desk-wide report lists before it
// sums up the rest: enough to act on, short enough to read at a glance.
const reportTenants = 50

// Report renders R-REPORT for the command line and Slack's fallback text:
// the desk's monthly cost of unassigned seats and its alerts by code, then
// each tenant as ranked, with the detail of each product for one tenant.
func (r *Renderer) Report(rep ledger.Report) string {
	return r.exec("report", rep)
}

// alertCount is how many alerts of one code a report holds.
type alertCount struct {
	Code string
	N    int
}

// alertOrder is the order the report counts alerts in: what costs money
// or blocks first.
var alertOrder = []string{ledger.AlertConflict, ledger.AlertTrialEnding, ledger.AlertSubscriptionEnding, ledger.AlertCreditCheckPending}

// alertCounts counts the alerts of a report or of one tenant's, by code:
// in alertOrder, then any other code.
func alertCounts(of any) []alertCount {
	n := map[string]int{}
	switch x := of.(type) {
	case ledger.Report:
		n = x.Alerts()
	case ledger.TenantReport:
		for _, a := range x.Alerts {
			n[a.Code]++
		}
	}
	var out []alertCount
	seen := map[string]bool{}
	for _, c := range alertOrder {
		seen[c] = true
		if n[c] > 0 {
			out = append(out, alertCount{c, n[c]})
		}
	}
	var other []string
	for c := range n {
		if !seen[c] {
			other = append(other, c)
		}
	}
	sort.Strings(other)
	for _, c := range other {
		out = append(out, alertCount{c, n[c]})
	}
	return out
}

// unused lists the products of a tenant's report with unassigned seats.
func unused(ps []ledger.ReportProduct) []ledger.ReportProduct {
	var out []ledger.ReportProduct
	for _, p := range ps {
		if p.Unassigned > 0 {
			out = append(out, p)
		}
	}
	return out
}

// conflicted lists the products of a tenant's report held by more users
// than it has seats (R-CONFLICT).
func conflicted(ps []ledger.ReportProduct) []ledger.ReportProduct {
	var out []ledger.ReportProduct
	for _, p := range ps {
		if p.Assigned > p.Total {
			out = append(out, p)
		}
	}
	return out
}

// rest sums up the tenants a desk-wide report does not list one by one.
type rest struct {
	N      int
	Cost   float64
	Alerts []ledger.TenantReport // those of them with alerts, at most 10
	More   int                   // with alerts, beyond those
}

func restOf(ts []ledger.TenantReport) rest {
	var r rest
	if len(ts) <= reportTenants {
		return r
	}
	for _, t := range ts[reportTenants:] {
		r.N++
		r.Cost += t.UnassignedMonthlyCost
		if len(t.Alerts) > 0 {
			if len(r.Alerts) < 10 {
				r.Alerts = append(r.Alerts, t)
			} else {
				r.More++
			}
		}
	}
	return r
}
