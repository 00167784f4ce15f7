package bot

import (
	"context"
	"time"
)

// Hooks for the external tests. Each must be set before Run and Handler.

// SetClock replaces the wall clock of signature checks and response_url ages.
func SetClock(s *Server, now func() time.Time) { s.now = now }

// SetSleep replaces the waits between retries (Retry-After, backoff).
func SetSleep(s *Server, sleep func(context.Context, time.Duration) error) { s.resp.sleep = sleep }

// SetReadDeadline sets how long a read may take inside the acknowledgement.
func SetReadDeadline(s *Server, d time.Duration) { s.readDeadline = d }

// SetApprovalPoll sets the approval poster's interval.
func SetApprovalPoll(s *Server, d time.Duration) { s.approvalPoll = d }

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
)
