package bot

import (
	"context"
	"time"
)

// Verbs returns the verb table in help order, for the grammar tests.
func Verbs() []Verb {
	out := make([]Verb, len(verbTable))
	for i, v := range verbTable {
		out[i] = v.Verb
	}
	return out
}

// Hooks for the external tests. Each must be set before Run and Handler.

// SetClock replaces the wall clock: signature checks, response_url ages,
// approval claims, the weekly report's week, and the loops' backoff.
func SetClock(s *Server, now func() time.Time) { s.now = now }

// SetSleep replaces the waits between retries (Retry-After, backoff).
func SetSleep(s *Server, sleep func(context.Context, time.Duration) error) {
	s.resp.sleep = func(ctx context.Context, d time.Duration) bool { return sleep(ctx, d) == nil }
}

// SetReadDeadline sets how long a read may take inside the acknowledgement.
func SetReadDeadline(s *Server, d time.Duration) { s.readDeadline = d }

// SetApprovalPoll sets the approval poster's interval.
func SetApprovalPoll(s *Server, d time.Duration) { s.approvalPoll = d }

// SetReportPoll sets how often the weekly reporter looks.
func SetReportPoll(s *Server, d time.Duration) { s.reportPoll = d }

// PostWeeklyReport runs one step of the weekly reporter: it posts this
// week's report when due and not posted yet.
func PostWeeklyReport(ctx context.Context, s *Server) error { return s.postWeeklyReport(ctx) }

// SetHold sets a function called before each queued job ("job") and each
// read ("read") runs.
func SetHold(s *Server, hold func(kind string)) { s.hold = hold }

// Block Kit ids of the approval message and the reject modal.
const (
	ActionApprove  = actionApprove
	ActionReject   = actionReject
	CallbackReject = callbackReject
	BlockReason    = blockReason
	ActionReason   = actionReason
	PostKind       = postKind
	ReportKind     = reportKind
)

// Blocks renders a reply as the bot posts it in Slack.
func Blocks(d *Desk, rep Reply) any {
	return view{r: d.Renderer, cat: d.Ledger.Catalog}.reply(rep).Blocks
}
