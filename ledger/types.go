// Package ledger is the domain core of licensedesk: the catalog, the rules of
// SPEC §3, and the Redis store that applies change requests atomically.
//
// It knows nothing of Slack, IMAP or reply texts: the edges build a Request,
// hand it to Ledger.Submit, and render the Result they get back.
package ledger

import (
	"sync"
	"time"
)

// Code names a refusal or an outcome. The values are SPEC's stable names;
// tests, replies and JSON output all use them. Append only.
type Code string

const (
	CodeNone                   Code = ""
	NotAuthorized              Code = "NotAuthorized"
	UnknownTenant              Code = "UnknownTenant"
	UnknownProduct             Code = "UnknownProduct"
	AmbiguousProduct           Code = "AmbiguousProduct"
	QuantityMissing            Code = "QuantityMissing"
	NoRequestFound             Code = "NoRequestFound"
	InvalidQuantity            Code = "InvalidQuantity"
	NoSubscription             Code = "NoSubscription"
	UnknownSubscription        Code = "UnknownSubscription"
	TrialSubscription          Code = "TrialSubscription"
	PrepaidSubscription        Code = "PrepaidSubscription"
	PartnerManaged             Code = "PartnerManaged"
	VolumeLicensing            Code = "VolumeLicensing"
	CreditCheckPending         Code = "CreditCheckPending"
	SubscriptionInactive       Code = "SubscriptionInactive"
	EndOfSale                  Code = "EndOfSale"
	InsufficientCredit         Code = "InsufficientCredit"
	CountViolation             Code = "CountViolation"
	ReductionWindowPassed      Code = "ReductionWindowPassed"
	AutoRenewOff               Code = "AutoRenewOff"
	UnknownUser                Code = "UnknownUser"
	InvalidUser                Code = "InvalidUser"
	UsageLocationMissing       Code = "UsageLocationMissing"
	MutuallyExclusiveViolation Code = "MutuallyExclusiveViolation"
	DependencyViolation        Code = "DependencyViolation"
	AlreadyAssigned            Code = "AlreadyAssigned"
	NotAssigned                Code = "NotAssigned"
	TooManyUsers               Code = "TooManyUsers"
	ForeignUser                Code = "ForeignUser"
	NotRenewable               Code = "NotRenewable"
	UnknownRequest             Code = "UnknownRequest"
	NotReversible              Code = "NotReversible"
	UnauthorizedSender         Code = "UnauthorizedSender"
	SenderNotAuthenticated     Code = "SenderNotAuthenticated"
	MessageTooLarge            Code = "MessageTooLarge"
	MalformedMessage           Code = "MalformedMessage"
	RateLimited                Code = "RateLimited"
	RequestExpired             Code = "RequestExpired"
	AlreadyDecided             Code = "AlreadyDecided"
	Unchanged                  Code = "Unchanged"
	DataKept                   Code = "DataKept"
	InvalidRequest             Code = "InvalidRequest"
	Rejected                   Code = "Rejected"
	// NotHeld: the product named is not one the tenant holds, for a
	// question about the tenant's own licences.
	NotHeld Code = "NotHeld"
)

// Codes lists every code, for tests that each has its texts.
var Codes = []Code{NotAuthorized, UnknownTenant, UnknownProduct, AmbiguousProduct, QuantityMissing,
	NoRequestFound, InvalidQuantity, NoSubscription, UnknownSubscription, TrialSubscription,
	PrepaidSubscription, PartnerManaged, VolumeLicensing, CreditCheckPending, SubscriptionInactive,
	EndOfSale, InsufficientCredit, CountViolation, ReductionWindowPassed, AutoRenewOff, UnknownUser,
	InvalidUser, UsageLocationMissing, MutuallyExclusiveViolation, DependencyViolation, AlreadyAssigned,
	NotAssigned, TooManyUsers, ForeignUser, NotRenewable, UnknownRequest, NotReversible,
	UnauthorizedSender, SenderNotAuthenticated, MessageTooLarge, MalformedMessage, RateLimited,
	RequestExpired, AlreadyDecided, Unchanged, DataKept, InvalidRequest, Rejected, NotHeld}

// Status is the outcome of a whole request (SPEC §6 JSON "status").
type Status string

const (
	StatusApplied            Status = "applied"
	StatusPartiallyApplied   Status = "partially_applied"
	StatusRefused            Status = "refused"
	StatusPendingApproval    Status = "pending_approval"
	StatusNeedsClarification Status = "needs_clarification"
	StatusRejected           Status = "rejected"
	StatusIgnored            Status = "ignored"
	StatusDuplicate          Status = "duplicate"
	StatusDryRun             Status = "dry_run"
	// StatusAnswered: a question about the tenant's own licences, answered
	// with the figures; nothing changes (SPEC §6).
	StatusAnswered Status = "answered"
)

// Role is what a Slack admin or a customer contact may do.
type Role string

const (
	RoleGlobal  Role = "global"  // Slack: everything, including grant/revoke
	RoleBilling Role = "billing" // buy and return seats, renew, auto-renew
	RoleLicense Role = "license" // assign and unassign
	RoleUser    Role = "user"    // Slack: assign and unassign, read
)

// ValidRole reports whether r is one of the known roles.
func ValidRole(r Role) bool {
	switch r {
	case RoleGlobal, RoleBilling, RoleLicense, RoleUser:
		return true
	}
	return false
}

// Subscription states, sources, payments and terms (SPEC §2).
const (
	StateActive    = "active"
	StateTrial     = "trial"
	StateExpired   = "expired"
	StateDisabled  = "disabled"
	StateSuspended = "suspended"
	StateDeleted   = "deleted"

	SourceDirect  = "direct"
	SourcePrepaid = "prepaid"
	SourcePartner = "partner"
	SourceVolume  = "volume"

	PaymentCard    = "card"
	PaymentInvoice = "invoice"

	TermMonth = "P1M"
	TermYear  = "P1Y"
)

// Limits on untrusted input.
const (
	MaxUsersPerOp   = 1000
	MaxQuantity     = 100000
	MaxOpsPerReq    = 50
	ReductionWindow = 168 * time.Hour     // R-REMOVE
	DataRetention   = 30 * 24 * time.Hour // R-UNASSIGN
	TrialLength     = 30 * 24 * time.Hour // R-TRIAL
	ExpiredGrace    = 30 * 24 * time.Hour // R-EXPIRE: expired, seats still count
	DisabledPeriod  = 90 * 24 * time.Hour // R-EXPIRE: disabled, then deleted
	PendingLifetime = 30 * 24 * time.Hour // R-APPROVAL
)

// Tenant is one customer organisation.
type Tenant struct {
	ID            string    `json:"id" yaml:"id"`
	Name          string    `json:"name" yaml:"name"`
	Language      string    `json:"language,omitempty" yaml:"language,omitempty"`
	Domains       []string  `json:"domains,omitempty" yaml:"domains,omitempty"`
	UsageLocation string    `json:"usage_location,omitempty" yaml:"usage_location,omitempty"`
	CreditLimit   *float64  `json:"credit_limit,omitempty" yaml:"credit_limit,omitempty"`
	Approval      Approval  `json:"approval" yaml:"approval"`
	Contacts      []Contact `json:"contacts,omitempty" yaml:"contacts,omitempty"`
}

// Approval is a tenant's policy for emailed requests (R-APPROVAL).
type Approval struct {
	AutoApplyMaxSeats int `json:"auto_apply_max_seats" yaml:"auto_apply_max_seats"`
}

// DefaultAutoApplyMaxSeats is R-APPROVAL's default.
const DefaultAutoApplyMaxSeats = 10

// Contact is an email address allowed to send requests for a tenant.
type Contact struct {
	Email string `json:"email" yaml:"email"`
	Roles []Role `json:"roles" yaml:"roles"`
}

// HasRole reports whether roles contains any of want.
func HasRole(roles []Role, want ...Role) bool {
	for _, r := range roles {
		for _, w := range want {
			if r == w {
				return true
			}
		}
	}
	return false
}

// Subscription is one subscription of a tenant to one product.
type Subscription struct {
	ID                 string      `json:"id" yaml:"id"`
	SKU                string      `json:"sku" yaml:"sku"`
	State              string      `json:"state" yaml:"state"`
	Source             string      `json:"source" yaml:"source"`
	Payment            string      `json:"payment" yaml:"payment"`
	CreditCheckPending bool        `json:"credit_check_pending,omitempty" yaml:"credit_check_pending,omitempty"`
	AutoRenew          bool        `json:"auto_renew" yaml:"auto_renew"`
	Term               string      `json:"term" yaml:"term"`
	TermStart          time.Time   `json:"term_start" yaml:"term_start"`
	TermEnd            time.Time   `json:"term_end" yaml:"term_end"`
	StateSince         time.Time   `json:"state_since,omitzero" yaml:"state_since,omitempty"`
	Seats              []SeatBatch `json:"seats" yaml:"seats"`
	// ScheduledReduction is the number of seats to drop at the next renewal
	// (R-REMOVE --at-renewal).
	ScheduledReduction int `json:"scheduled_reduction,omitempty" yaml:"scheduled_reduction,omitempty"`
}

// SeatBatch records when a block of seats was added (R-REMOVE's 7-day window).
type SeatBatch struct {
	Quantity int       `json:"quantity" yaml:"quantity"`
	AddedAt  time.Time `json:"added_at" yaml:"added_at"`
}

// Quantity is the sum of the subscription's seat batches.
func (s *Subscription) Quantity() int {
	n := 0
	for _, b := range s.Seats {
		n += b.Quantity
	}
	return n
}

// Counts reports whether the subscription's seats count towards the
// product's total (R-TOTAL: active, trial and expired subscriptions do; a
// trial's seats are there to be assigned and tried).
func (s *Subscription) Counts() bool {
	return s.State == StateActive || s.State == StateTrial || s.State == StateExpired
}

// Billed reports whether the subscription's seats cost money (R-COST): a
// trial's seats count but are free until it converts.
func (s *Subscription) Billed() bool {
	return s.State == StateActive || s.State == StateExpired
}

// User is a user of a tenant and the products assigned to them.
type User struct {
	UPN           string   `json:"upn" yaml:"upn"`
	Name          string   `json:"name,omitempty" yaml:"name,omitempty"`
	UsageLocation string   `json:"usage_location,omitempty" yaml:"usage_location,omitempty"`
	Licenses      []string `json:"licenses,omitempty" yaml:"licenses,omitempty"`
	// Removed records when each product was last unassigned, for the 30-day
	// data retention of R-UNASSIGN.
	Removed map[string]time.Time `json:"removed,omitempty" yaml:"removed,omitempty"`
}

// Holds reports whether the user holds sku.
func (u *User) Holds(sku string) bool {
	for _, l := range u.Licenses {
		if l == sku {
			return true
		}
	}
	return false
}

// Admin is a Slack user of the desk and their roles.
type Admin struct {
	SlackUser string `json:"slack_user" yaml:"slack_user"`
	Roles     []Role `json:"roles" yaml:"roles"`
}

// OpKind names an operation of a change request.
type OpKind string

const (
	OpAdd       OpKind = "add"
	OpRemove    OpKind = "remove"
	OpSet       OpKind = "set"
	OpAssign    OpKind = "assign"
	OpUnassign  OpKind = "unassign"
	OpRenew     OpKind = "renew"
	OpAutoRenew OpKind = "autorenew"
	// OpSwitch moves users from one product (SKU) to another (To) in one
	// step per user, buying what TO lacks and, with Return, returning what
	// FROM frees (R-SWITCH).
	OpSwitch OpKind = "switch"
)

// IsSeatOp reports whether the operation buys or returns seats or changes a
// subscription (R-ROLE-BUY, R-ATOMIC: all or none).
func (k OpKind) IsSeatOp() bool {
	switch k {
	case OpAdd, OpRemove, OpSet, OpRenew, OpAutoRenew:
		return true
	}
	return false
}

// Op is one operation of a change request.
type Op struct {
	Kind         OpKind   `json:"op"`
	SKU          string   `json:"sku,omitempty"`
	Quantity     int      `json:"quantity,omitempty"`
	Users        []string `json:"users,omitempty"`
	Subscription string   `json:"subscription,omitempty"` // --sub, renew, autorenew
	New          bool     `json:"new,omitempty"`          // add --new: buy a new subscription
	AtRenewal    bool     `json:"at_renewal,omitempty"`   // remove --at-renewal
	Create       bool     `json:"create,omitempty"`       // assign --create: create unknown users
	AutoRenew    bool     `json:"auto_renew,omitempty"`   // autorenew on|off
	To           string   `json:"to,omitempty"`           // switch: the product users move to
	All          bool     `json:"all,omitempty"`          // switch --all: every holder of SKU
	Return       bool     `json:"return,omitempty"`       // switch --return: return the freed seats
}

// Channel is where a request came from.
type Channel string

const (
	ChannelSlack  Channel = "slack"
	ChannelEmail  Channel = "email"
	ChannelCLI    Channel = "cli"
	ChannelSystem Channel = "system" // the lifecycle sweep
)

// Origin records where a request came from, for the audit log and replies.
type Origin struct {
	Channel Channel `json:"channel"`
	// Slack
	Team        string `json:"team,omitempty"`
	SlackChan   string `json:"slack_channel,omitempty"`
	SlackUser   string `json:"slack_user,omitempty"`
	ResponseURL string `json:"response_url,omitempty"`
	// Email
	MessageID  string `json:"message_id,omitempty"`
	From       string `json:"from,omitempty"`
	FromName   string `json:"from_name,omitempty"`
	Subject    string `json:"subject,omitempty"`
	References string `json:"references,omitempty"` // the original's References, for threading
	Mailbox    string `json:"mailbox,omitempty"`
	UID        uint32 `json:"uid,omitempty"`
}

// Requester is who asks, with the roles the ledger knows them to have.
type Requester struct {
	// ID is a Slack user ID, a contact's email address, or "cli".
	ID    string `json:"id"`
	Roles []Role `json:"roles,omitempty"`
	// Operator marks the local command line without --as: whoever can run
	// the binary against the store is trusted like a global admin.
	Operator bool `json:"operator,omitempty"`
}

// Request is a licence change request, built by the Slack bot, the mail
// intake or the command line (SPEC §2).
type Request struct {
	ID             string    `json:"id"`
	Origin         Origin    `json:"origin"`
	Requester      Requester `json:"requester"`
	Tenant         string    `json:"tenant"`
	Ops            []Op      `json:"ops"`
	DryRun         bool      `json:"dry_run,omitempty"`
	IdempotencyKey string    `json:"idempotency_key,omitempty"`
	// Text is what was asked, as written, for the audit log.
	Text string `json:"text,omitempty"`
	// Undoes names the request this one reverses (undo LD-…).
	Undoes string `json:"undoes,omitempty"`
	// Continues names the earlier request whose conversation this one
	// answers (SPEC §4.6), and Thread holds that conversation's messages,
	// oldest first, so that history and approvals show how it came about.
	Continues string `json:"continues,omitempty"`
	Thread    []Turn `json:"thread,omitempty"`
	// ApprovedBy names the desk admin who approved a pending request: the
	// approval policy is then met (R-APPROVAL).
	ApprovedBy string `json:"approved_by,omitempty"`
	// Language is the language of the reply ("fr" or "en"), decided once by
	// the edge that received the request; empty means the tenant's.
	Language string `json:"language,omitempty"`
	// ReplyLimit bounds the replies queued for the sender of an emailed
	// request per hour (SPEC §4.4); 0 means no bound. Over the bound, a
	// change is held for approval with at most one notice per hour, and
	// other outcomes are recorded without a reply.
	ReplyLimit int `json:"-"`
}

// Figures are a product's counts for a tenant (R-TOTAL).
type Figures struct {
	Total    int `json:"total"`
	Assigned int `json:"assigned"`
}

// Available is total − assigned; negative means a conflict (R-CONFLICT).
func (f Figures) Available() int { return f.Total - f.Assigned }

// UserOutcome is the per-user result of an assignment operation (R-ASSIGN).
type UserOutcome struct {
	UPN       string    `json:"upn"`
	Outcome   string    `json:"outcome"` // applied, refused, unchanged
	Code      Code      `json:"code,omitempty"`
	Detail    string    `json:"detail,omitempty"`
	DataUntil time.Time `json:"data_until,omitzero"` // unassign: data kept until; assign: data was kept
	Created   bool      `json:"created,omitempty"`
}

// Outcomes of one operation.
const (
	OutcomeApplied   = "applied"
	OutcomePartial   = "partially_applied"
	OutcomeRefused   = "refused"
	OutcomeUnchanged = "unchanged"
	OutcomeScheduled = "scheduled"
	OutcomeNotRun    = "not_run" // not applied because another operation was refused
	OutcomePending   = "pending" // waiting for a desk admin's approval (R-APPROVAL)
)

// OpResult is the outcome of one operation.
type OpResult struct {
	Op           OpKind        `json:"op"`
	SKU          string        `json:"sku,omitempty"`
	Quantity     int           `json:"quantity,omitempty"`
	Users        []string      `json:"users,omitempty"`
	Subscription string        `json:"subscription,omitempty"`
	Outcome      string        `json:"outcome"`
	Code         Code          `json:"code,omitempty"`
	Detail       string        `json:"detail,omitempty"`
	Before       *Figures      `json:"before,omitempty"`
	After        *Figures      `json:"after,omitempty"`
	MonthlyCost  *float64      `json:"monthly_cost,omitempty"`
	Prorated     *float64      `json:"prorated,omitempty"`
	Currency     string        `json:"currency,omitempty"`
	UserResults  []UserOutcome `json:"user_results,omitempty"`
	// Holders names users holding the product, for CountViolation on removal.
	Holders []string `json:"holders,omitempty"`
	// FinalDates are the dates each seat batch became final
	// (ReductionWindowPassed).
	FinalDates []time.Time `json:"final_dates,omitempty"`
	// AutoRenew is the auto-renew setting an autorenew operation applied.
	AutoRenew bool `json:"auto_renew,omitempty"`
	// ScheduledFor is the renewal date of an --at-renewal reduction, or the
	// new term end of a renewal.
	ScheduledFor time.Time `json:"scheduled_for,omitzero"`
	// Switch (R-SWITCH): the product moved to and its figures; Before and
	// After are FROM's. Bought are seats bought on TO, Returned seats
	// returned from FROM now, Scheduled seats of FROM scheduled to go at
	// its renewal.
	To        string   `json:"to,omitempty"`
	ToBefore  *Figures `json:"to_before,omitempty"`
	ToAfter   *Figures `json:"to_after,omitempty"`
	ToCost    *float64 `json:"to_monthly_cost,omitempty"`
	Bought    int      `json:"bought,omitempty"`
	Returned  int      `json:"returned,omitempty"`
	Scheduled int      `json:"scheduled,omitempty"`
}

// Error is a request-level refusal or question (SPEC §6 "errors").
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	// Detail adds what a question needs: the candidates of an ambiguous
	// product, the phrase that was not understood.
	Detail string `json:"detail,omitempty"`
	// Candidates are the products an ambiguous name could mean.
	Candidates []string `json:"candidates,omitempty"`
	// Partial is what was understood of the operation this question is
	// about, with its missing part empty (the product, the quantity, the
	// users): a customer's answer completes it (SPEC §4.6).
	Partial *Op `json:"partial,omitempty"`
}

// Answer holds the figures of an informational reply (status answered): a
// question about the tenant's own licences, answered without a change.
type Answer struct {
	Products []AnswerLine `json:"products,omitempty"`
	// Report is the tenant's report (R-REPORT), for "what licences are we
	// not using?".
	Report *TenantReport `json:"report,omitempty"`
}

// AnswerLine is what the desk tells a customer about one product they asked
// about: its figures (R-TOTAL), its price, and what N more would cost.
type AnswerLine struct {
	SKU          string  `json:"sku"`
	Total        int     `json:"total"`
	Assigned     int     `json:"assigned"`
	Available    int     `json:"available"`
	MonthlyCost  float64 `json:"monthly_cost"`
	SeatPrice    float64 `json:"seat_price"` // per seat per month, at the term new seats would take
	Term         string  `json:"term,omitempty"`
	Currency     string  `json:"currency"`
	Held         bool    `json:"held"` // the tenant has a subscription to it
	More         int     `json:"more,omitempty"`
	MoreMonthly  float64 `json:"more_monthly,omitempty"`  // what More seats add to the monthly cost
	MoreProrated float64 `json:"more_prorated,omitempty"` // what More seats would be charged now, prorated (R-COST)
}

// Turn is one earlier message of a conversation by email (SPEC §4.6), as
// the desk keeps it with the request it led to.
type Turn struct {
	RequestID string    `json:"request_id"`
	From      string    `json:"from,omitempty"`
	Text      string    `json:"text,omitempty"`
	Status    Status    `json:"status,omitempty"`
	At        time.Time `json:"at"`
}

// Result is the outcome of a request.
type Result struct {
	RequestID string     `json:"request_id"`
	Status    Status     `json:"status"`
	Tenant    string     `json:"tenant,omitempty"`
	Ops       []OpResult `json:"ops"`
	Errors    []Error    `json:"errors"`
	At        time.Time  `json:"at"`
	// Undoes is set when this request reversed another.
	Undoes string `json:"undoes,omitempty"`
	// Decision is set when a pending request was approved or rejected.
	Decision *Decision `json:"decision,omitempty"`
	// Understood lists the operations read from an email, for a reply that
	// says what was understood (rendered in the reply's language).
	Understood []Op `json:"understood,omitempty"`
	// Language is the language of the reply ("fr" or "en").
	Language string `json:"language,omitempty"`
	// Answer holds the figures of an answered question.
	Answer *Answer `json:"answer,omitempty"`
	// ReplyLimited is set when the sender's reply limit held the reply
	// back (SPEC §4.4): no reply was queued, or only the hourly notice.
	ReplyLimited bool `json:"reply_limited,omitempty"`
	// Outbox is the reply entry the request queued (or, for a dry run,
	// would queue): the one thing every reply is composed from.
	Outbox *OutboxEntry `json:"-"`
}

// Decision is a desk admin's approval or rejection of a pending request.
type Decision struct {
	By       string    `json:"by"`
	Approved bool      `json:"approved"`
	Reason   string    `json:"reason,omitempty"`
	At       time.Time `json:"at"`
}

// Refused reports whether the request changed nothing because of a refusal.
func (r *Result) Refused() bool { return r.Status == StatusRefused }

// Clock gives the time; the rules never call time.Now themselves.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns the current time in UTC.
func (SystemClock) Now() time.Time { return time.Now().UTC() }

// ManualClock is a clock that moves only when told; for tests, the demo
// and benchmarks. It is safe for concurrent use.
type ManualClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewManualClock returns a clock stopped at t.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{t: t.UTC()} }

// Now returns the clock's time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t.UTC()
	c.mu.Unlock()
}

// Advance moves the clock forward by d.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
