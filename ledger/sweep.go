package ledger

import (
	"context"
	"fmt"
	"time"
)

// OpLifecycle is the operation the sweep records for a state change.
const OpLifecycle OpKind = "lifecycle"

// SweepReport says what one sweep changed.
type SweepReport struct {
	Tenants int          `json:"tenants"`
	Changes []SweepEvent `json:"changes"`
	Expired int          `json:"expired_requests"`
}

// SweepEvent is one subscription's lifecycle step.
type SweepEvent struct {
	Tenant       string    `json:"tenant"`
	Subscription string    `json:"subscription"`
	SKU          string    `json:"sku"`
	From         string    `json:"from"`
	To           string    `json:"to"`
	Renewed      bool      `json:"renewed,omitempty"`
	TermEnd      time.Time `json:"term_end,omitzero"`
}

// Sweep runs the lifecycle of every subscription up to now (R-EXPIRE,
// R-TRIAL). Each tenant's changes are one audited request of the system,
// committed like any other, so history replay covers them.
func (l *Ledger) Sweep(ctx context.Context) (SweepReport, error) {
	ids, err := l.Tenants(ctx)
	if err != nil {
		return SweepReport{}, err
	}
	rep := SweepReport{Tenants: len(ids), Changes: []SweepEvent{}}
	for _, id := range ids {
		ev, err := l.sweepTenant(ctx, id)
		if err != nil {
			return rep, err
		}
		rep.Changes = append(rep.Changes, ev...)
		// R-APPROVAL: pending requests expire after 30 days.
		n, err := l.expirePending(ctx, id)
		if err != nil {
			return rep, err
		}
		rep.Expired += n
	}
	return rep, nil
}

func (l *Ledger) sweepTenant(ctx context.Context, id string) ([]SweepEvent, error) {
	for attempt := 0; attempt < maxAttempts; attempt++ {
		now := l.clock.Now()
		req := &Request{ID: NewRequestID(now), Tenant: id, Origin: Origin{Channel: ChannelSystem},
			Requester: Requester{ID: "sweep", Operator: true}, Text: "lifecycle sweep",
			Ops: []Op{{Kind: OpRenew}}} // renew without a subscription reads every product
		snap, _, err := readSnapshot(ctx, l.rdb, req, needsOf(req, l.Catalog()))
		if err != nil {
			return nil, err
		}
		if snap == nil {
			return nil, nil // removed meanwhile
		}
		w := newWork(snap)
		var events []SweepEvent
		res := Result{RequestID: req.ID, Tenant: id, At: now, Status: StatusApplied, Errors: []Error{}}
		for _, sku := range sortedKeys(w.subs) {
			subs := w.subs[sku]
			changed := false
			for i := range subs {
				before := w.figures(sku)
				from := subs[i].State
				renewed := advance(&subs[i], now)
				if subs[i].State == from && !renewed {
					continue
				}
				changed = true
				events = append(events, SweepEvent{Tenant: id, Subscription: subs[i].ID, SKU: sku,
					From: from, To: subs[i].State, Renewed: renewed, TermEnd: subs[i].TermEnd})
				w.subs[sku] = subs
				after := w.figures(sku)
				res.Ops = append(res.Ops, OpResult{Op: OpLifecycle, SKU: sku, Subscription: subs[i].ID,
					Outcome: OutcomeApplied, Detail: fmt.Sprintf("%s → %s", from, subs[i].State),
					Before: &before, After: &after, ScheduledFor: subs[i].TermEnd})
			}
			if changed {
				w.setSubs(sku, subs)
			}
		}
		if len(events) == 0 {
			return nil, nil
		}
		eff := w.effects()
		req.Ops = nil
		rec := &AuditRecord{Kind: "sweep", Request: req, Result: &res, At: now}
		outcome, _, err := commit(ctx, l.cm, commitSpec{snap: snap, req: req, eff: &eff, rec: rec})
		if err != nil {
			return nil, err
		}
		if outcome == versionClash {
			backoff(ctx, attempt)
			continue
		}
		for _, e := range events {
			l.log.Info("lifecycle", "tenant", id, "subscription", e.Subscription, "from", e.From, "to", e.To, "renewed", e.Renewed)
		}
		return events, nil
	}
	return nil, ErrContention
}

// advance moves a subscription through its lifecycle up to now and reports
// whether it renewed (R-EXPIRE, R-TRIAL). Several steps may be taken at once
// when the sweep has not run for a while.
func advance(s *Subscription, now time.Time) bool {
	renewed := false
	for range 1000 { // bounded: every step moves a date forward
		switch s.State {
		case StateTrial:
			if now.Before(s.TermEnd) {
				return renewed
			}
			if s.AutoRenew {
				// R-TRIAL: the trial converts to a paid subscription.
				if s.Term == "" {
					s.Term = TermMonth
				}
				s.State = StateActive
				s.StateSince = s.TermEnd
				renewTerm(s, s.TermEnd, s.TermEnd)
				renewed = true
				continue
			}
			s.State, s.StateSince = StateExpired, s.TermEnd
		case StateActive:
			if now.Before(s.TermEnd) {
				return renewed
			}
			if s.AutoRenew {
				// R-EXPIRE: a new term, scheduled reductions applied, the
				// seats a new batch with a new 7-day window.
				renewTerm(s, s.TermEnd, s.TermEnd)
				renewed = true
				continue
			}
			s.State, s.StateSince = StateExpired, s.TermEnd
		case StateExpired:
			next := s.StateSince.Add(ExpiredGrace)
			if now.Before(next) {
				return renewed
			}
			s.State, s.StateSince = StateDisabled, next
		case StateDisabled:
			next := s.StateSince.Add(DisabledPeriod)
			if now.Before(next) {
				return renewed
			}
			s.State, s.StateSince = StateDeleted, next
		default:
			return renewed
		}
	}
	return renewed
}
