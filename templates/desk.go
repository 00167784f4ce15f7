package templates

import (
	"bytes"
	"strings"

	"github.com/licensedesk/licensedesk/ledger"
)

// The replies the desk (bot.Desk) composes without a result of the ledger,
// kept here so that one place holds the text of every reply.

// WhoamiUnread answers whoami while the desk's store does not answer: the
// Slack user id is all the desk knows.
func (r *Renderer) WhoamiUnread(user string) string { return r.exec("whoami/unread", user) }

// RoleDryRun answers grant or revoke --dry-run (R-DRYRUN) from whether the
// user has the role now: what would change, if anything.
func (r *Renderer) RoleDryRun(user string, role ledger.Role, grant, has bool) string {
	return r.exec("dryrun/role", map[string]any{"User": user, "Role": role, "Grant": grant, "Would": has != grant})
}

// DecideDryRun answers approve or reject --dry-run (R-DRYRUN): what the
// decision would do to the pending request p (expired: past its 30 days,
// R-APPROVAL), then p as it stands.
func (r *Renderer) DecideDryRun(p ledger.PendingRequest, approve bool, reason string, expired bool) string {
	return r.exec("dryrun/decide", map[string]any{"ID": p.Request.ID, "Approve": approve, "Reason": reason,
		"Expired": expired, "Pending": []ledger.PendingRequest{p}})
}

// CommandOutcome is an operation's outcome as the desk's English replies
// say it: "applied", or "would be applied" in a dry run (R-DRYRUN), as the
// command line's text does.
func CommandOutcome(o string, dryRun bool) string { return outcomeText("cli", o, dryRun) }

// Money is the English money of the desk's replies: "1,234.50 EUR".
func Money(v float64, currency string) string { return formatMoney("en", v, currency) }

// SwitchFreed says what a switch did, or would do (would), with the seats
// it freed of FROM (R-SWITCH): returned now, scheduled for the renewal, or
// free and until when each can be returned; "" when it freed none.
func (r *Renderer) SwitchFreed(op ledger.OpResult, would bool) string {
	var b bytes.Buffer
	if err := r.text.ExecuteTemplate(&b, "op/switch/freed", opView{OpResult: op, DryRun: would, Would: would}); err != nil {
		return op.Detail
	}
	return strings.TrimSpace(b.String())
}
