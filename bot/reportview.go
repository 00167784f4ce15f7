package bot

// The Block Kit view of R-REPORT (SPEC §5.4): what a desk admin reads in
// ten seconds. The desk-wide report leads with the monthly cost of every
// unassigned seat and the alerts counted by code, then ranks the tenants
// by that cost, each with its alerts; the report of one tenant shows each
// product with seats to act on (unassigned and their cost, batches that
// can be returned now and the minute their 7-day window closes, seats
// reducible at the renewal, users in conflict) and its alerts. Long lists
// are summarised within Slack's limits, as every view here.

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/licensedesk/licensedesk/internal/clip"
	"github.com/licensedesk/licensedesk/ledger"
	"github.com/slack-go/slack"
)

const (
	// reportTenantsShown is how many tenants the desk-wide view lists one
	// by one; the rest are summed up. It leaves room in a message's 50
	// blocks for the header, the top line and the closing notes.
	reportTenantsShown = 40
	// tenantAlertsShown is how many alerts a tenant's line of the desk
	// view names.
	tenantAlertsShown = 3
	// alertLinesShown is how many alerts the view of one tenant lists.
	alertLinesShown = 20
	// batchesShown is how many returnable batches a product names.
	batchesShown = 10
	// reportProductsShown is how many products the view of one tenant
	// shows, within the blocks its other sections leave.
	reportProductsShown = 40
)

// alertOrder counts alerts what costs money or blocks first, as the plain
// report does (templates/report.go).
var alertOrder = []string{ledger.AlertConflict, ledger.AlertTrialEnding, ledger.AlertSubscriptionEnding, ledger.AlertCreditCheckPending}

// report renders R-REPORT under title, with note (if any) under it: one
// tenant in detail, or the desk ranked. A report of exactly one tenant is
// that tenant's, as in the plain text.
func (v view) report(rep ledger.Report, title, note string) []slack.Block {
	var bl blockList
	bl.add(header(title))
	if note != "" {
		bl.add(contextText(esc(note)))
	}
	switch len(rep.Tenants) {
	case 0:
		bl.add(section("No tenant to report on."))
		return bl.done("sections")
	case 1:
		return v.tenantReport(&bl, rep.Tenants[0], rep)
	}
	return v.deskReport(&bl, rep)
}

// alertCounts says how many alerts of each code: "1 Conflict · 2
// TrialEnding", in alertOrder, then any other code.
func alertCounts(alerts []ledger.Alert) string {
	n := map[string]int{}
	for _, a := range alerts {
		n[a.Code]++
	}
	if len(n) == 0 {
		return ":white_check_mark: no alerts"
	}
	codes := append([]string(nil), alertOrder...)
	var other []string
	for c := range n {
		if !slices.Contains(alertOrder, c) {
			other = append(other, c)
		}
	}
	sort.Strings(other)
	codes = append(codes, other...)
	var parts []string
	for _, c := range codes {
		if n[c] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[c], esc(c)))
		}
	}
	return ":warning: " + strings.Join(parts, " · ")
}

// alertLine is one alert: its code, the subscription and product, and its
// date (when a trial or a term ends; since when for the others).
func (v view) alertLine(a ledger.Alert) string {
	s := "*" + esc(a.Code) + "*"
	if a.Subscription != "" {
		s += " · " + code(a.Subscription)
	}
	if a.SKU != "" {
		s += " · " + esc(clip.Text(v.productName(a.SKU), 100))
	}
	if !a.Date.IsZero() {
		s += " · " + date(a.Date)
	}
	return s
}

func allAlerts(rep ledger.Report) []ledger.Alert {
	var out []ledger.Alert
	for _, t := range rep.Tenants {
		out = append(out, t.Alerts...)
	}
	return out
}

func asOf(rep ledger.Report) string {
	if rep.At.IsZero() {
		return ""
	}
	return "As of " + dateTime(rep.At) + " · "
}

// deskReport ranks the tenants by the monthly cost of their unassigned
// seats (the ledger's order), with the desk's total first. Tenants with
// nothing to act on (no waste, no alert) are counted, not listed.
func (v view) deskReport(bl *blockList, rep ledger.Report) []slack.Block {
	bl.add(section(fmt.Sprintf("Unassigned seats cost *%s* a month across %d tenants\n%s",
		money(rep.UnassignedMonthlyCost, rep.Currency), len(rep.Tenants), alertCounts(allAlerts(rep)))))
	bl.add(contextText(asOf(rep) + "`/licenses report TENANT` shows a tenant's products and deadlines."))
	bl.add(slack.NewDividerBlock())
	shown, idle := 0, 0
	var rest []ledger.TenantReport
	for _, t := range rep.Tenants {
		switch {
		case t.UnassignedMonthlyCost <= 0 && len(t.Alerts) == 0:
			idle++
		case shown < reportTenantsShown:
			shown++
			bl.add(section(v.tenantLine(shown, t, rep.Currency)))
		default:
			rest = append(rest, t)
		}
	}
	if len(rest) > 0 {
		cost, withAlerts := 0.0, []string{}
		for _, t := range rest {
			cost += t.UnassignedMonthlyCost
			if len(t.Alerts) > 0 {
				withAlerts = append(withAlerts, t.Tenant)
			}
		}
		note := fmt.Sprintf("… and %d more tenant%s (%s a month)", len(rest), plural(len(rest)), money(cost, rep.Currency))
		if len(withAlerts) > 0 {
			note += "; with alerts: " + listed(withAlerts, 0)
		}
		bl.add(contextText(note + ". `licensedesk exec report` on the command line lists every tenant."))
	}
	if idle > 0 {
		bl.add(contextText(fmt.Sprintf(":white_check_mark: %d tenant%s with every seat assigned and no alerts.", idle, plural(idle))))
	}
	return bl.done("tenants")
}

// tenantLine is one tenant of the desk view: its rank, its monthly waste,
// and its first alerts.
func (v view) tenantLine(rank int, t ledger.TenantReport, currency string) string {
	if t.Currency != "" {
		currency = t.Currency
	}
	var b strings.Builder
	fmt.Fprintf(&b, "*%d. %s* · %s · *%s* a month unassigned", rank, esc(clip.Text(t.Name, 200)), code(t.Tenant), money(t.UnassignedMonthlyCost, currency))
	for i, a := range t.Alerts {
		if i == tenantAlertsShown {
			fmt.Fprintf(&b, "\n… and %d more alert%s", len(t.Alerts)-i, plural(len(t.Alerts)-i))
			break
		}
		b.WriteString("\n:warning: " + v.alertLine(a))
	}
	return b.String()
}

// tenantReport details one tenant: each product with seats to act on, then
// its alerts.
func (v view) tenantReport(bl *blockList, t ledger.TenantReport, rep ledger.Report) []slack.Block {
	currency := t.Currency
	if currency == "" {
		currency = rep.Currency
	}
	bl.add(section(fmt.Sprintf("*%s* · %s\nUnassigned seats cost *%s* a month · %s",
		esc(clip.Text(t.Name, 200)), code(t.Tenant), money(t.UnassignedMonthlyCost, currency), alertCounts(t.Alerts))))
	bl.add(contextText(asOf(rep) + "returnable seats go back with `/licenses remove N product " + esc(clip.Text(t.Tenant, 63)) + "` before their window closes."))
	bl.add(slack.NewDividerBlock())
	// What to act on first: conflicts (users without a seat), then the
	// products whose unassigned seats cost the most.
	var act []ledger.ReportProduct
	for _, p := range t.Products {
		if p.Unassigned > 0 || p.Assigned > p.Total {
			act = append(act, p)
		}
	}
	sort.SliceStable(act, func(i, j int) bool {
		ci, cj := act[i].Assigned > act[i].Total, act[j].Assigned > act[j].Total
		if ci != cj {
			return ci
		}
		return act[i].UnassignedMonthlyCost > act[j].UnassignedMonthlyCost
	})
	if len(act) == 0 {
		bl.add(section(":white_check_mark: Every seat is assigned."))
	}
	for i, p := range act {
		if i == reportProductsShown {
			bl.add(contextText(fmt.Sprintf("… and %d more product(s) with seats to act on: `licensedesk exec \"report %s\"` lists them all.", len(act)-i, esc(clip.Text(t.Tenant, 63)))))
			break
		}
		bl.add(section(v.reportProduct(p, currency)))
	}
	if len(t.Alerts) > 0 {
		var b strings.Builder
		b.WriteString("*Alerts*")
		for i, a := range t.Alerts {
			line := "\n:warning: " + v.alertLine(a)
			if i == alertLinesShown || !fits(&b, line) {
				fmt.Fprintf(&b, "\n… and %d more alert%s", len(t.Alerts)-i, plural(len(t.Alerts)-i))
				break
			}
			b.WriteString(line)
		}
		bl.add(section(b.String()))
	}
	return bl.done("sections")
}

// fits reports whether line can be added to a section's text and still
// leave room for the note that summarises what did not fit.
func fits(b *strings.Builder, line string) bool {
	return b.Len()+len(line) <= maxSectionText-100
}

// reportProduct is one product of a tenant's report.
func (v view) reportProduct(p ledger.ReportProduct, currency string) string {
	var b strings.Builder
	name := p.Name
	if name == "" {
		name = v.productName(p.SKU)
	}
	fmt.Fprintf(&b, "*%s* · %s", esc(clip.Text(name, 200)), code(p.SKU))
	if p.Unassigned > 0 {
		fmt.Fprintf(&b, "\n*%d* of %d seat%s unassigned · *%s* a month", p.Unassigned, p.Total, plural(p.Total), money(p.UnassignedMonthlyCost, currency))
	}
	for i, r := range p.ReturnableNow {
		line := fmt.Sprintf("\n↩ %d returnable now, until *%s*", r.Quantity, dateTime(r.Until))
		if r.Subscription != "" {
			line += " (" + code(r.Subscription) + ")"
		}
		// The conflict's users follow: leave them room.
		if i == batchesShown || !fits(&b, line+strings.Repeat(" ", 1000)) {
			fmt.Fprintf(&b, "\n… and %d more batches returnable now", len(p.ReturnableNow)-i)
			break
		}
		b.WriteString(line)
	}
	if r := p.ReducibleAtRenewal; r.Quantity > 0 {
		fmt.Fprintf(&b, "\n↓ %d reducible at the renewal on *%s*", r.Quantity, date(r.Date))
		if r.Subscription != "" {
			b.WriteString(" (" + code(r.Subscription) + ")")
		}
	}
	if over := p.Assigned - p.Total; over > 0 {
		fmt.Fprintf(&b, "\n:warning: *Conflict*: %d users for %d seat%s (%d over)", p.Assigned, p.Total, plural(p.Total), over)
		if len(p.ConflictUsers) > 0 {
			b.WriteString(": " + listed(p.ConflictUsers, p.Assigned))
		}
		b.WriteString(" — unassign users or buy seats")
	}
	return b.String()
}
