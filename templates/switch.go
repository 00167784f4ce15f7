package templates

import (
	"regexp"
	"strconv"
	"time"

	"github.com/licensedesk/licensedesk/ledger"
)

// switchSeats is what a switch did to the seats of FROM (R-SWITCH), for
// a reply in either language.
type switchSeats struct {
	// Freed is how many seats of FROM the moves freed.
	Freed int
	// Without --return: how many of them can be returned now, until when
	// (the first 7-day window to close), and how many at the renewal.
	Now     int
	Until   time.Time
	Later   int
	Renewal time.Time
	// With --return: seats returned now, scheduled for the renewal (on
	// Renewal), and those that stay free.
	Returned, Scheduled, StayFree int
	// Known is false when the deadlines could not be read: a reply then
	// says only how many seats were freed (and English shows Detail).
	Known bool
}

// The ledger says the deadlines of a switch in OpResult.Detail (see
// ledger.freedDetail and returnFreed). They are read back here until the
// ledger carries them as fields; a wording change there only loses the
// dates, never the figures.
var (
	reReturnable = regexp.MustCompile(`(\d+) can be returned until (\d{4}-\d{2}-\d{2} \d{2}:\d{2} [A-Z]+)`)
	reReducible  = regexp.MustCompile(`(\d+) can be reduced at the renewal on (\d{4}-\d{2}-\d{2})`)
	reScheduled  = regexp.MustCompile(`(\d+) will go at the renewal on (\d{4}-\d{2}-\d{2})`)
	reAllFree    = regexp.MustCompile(`^\d+ seats of \S+ are now free$`)
	reAllBack    = regexp.MustCompile(`^the \d+ freed seats of \S+ are returned$`)
)

// seatsOf reads what a switch did to FROM's seats from its figures and
// its Detail.
func seatsOf(op ledger.OpResult) switchSeats {
	s := switchSeats{Returned: op.Returned, Scheduled: op.Scheduled}
	if len(op.UserResults) > 0 {
		for _, u := range op.UserResults {
			if u.Outcome == ledger.OutcomeApplied {
				s.Freed++
			}
		}
	} else if op.Before != nil && op.After != nil {
		s.Freed = max(op.Before.Assigned-op.After.Assigned, 0)
	}
	if s.Freed == 0 {
		s.Known = true
		return s
	}
	if op.Returned > 0 || op.Scheduled > 0 {
		s.StayFree = max(s.Freed-op.Returned-op.Scheduled, 0)
		if op.Scheduled == 0 {
			s.Known = true
			return s
		}
		if m := reScheduled.FindStringSubmatch(op.Detail); m != nil {
			s.Renewal, _ = time.Parse("2006-01-02", m[2])
			s.Known = !s.Renewal.IsZero()
		}
		return s
	}
	s.Known = true
	if m := reReturnable.FindStringSubmatch(op.Detail); m != nil {
		s.Now, _ = strconv.Atoi(m[1])
		t, err := time.Parse("2006-01-02 15:04 MST", m[2])
		s.Until, s.Known = t, err == nil
	}
	if m := reReducible.FindStringSubmatch(op.Detail); m != nil {
		s.Later, _ = strconv.Atoi(m[1])
		t, err := time.Parse("2006-01-02", m[2])
		s.Renewal, s.Known = t, s.Known && err == nil
	}
	if s.Now == 0 && s.Later == 0 && !reAllFree.MatchString(op.Detail) && !reAllBack.MatchString(op.Detail) {
		s.Known = false
	}
	return s
}

// switchPeople sorts a switch's users: those who moved, and the others
// with why (refused, or already holding TO), and the codes of why that
// the per-user detail does not already say.
type switchPeople struct {
	Moved  []string
	Others []ledger.UserOutcome
	Codes  []ledger.Code
}

func switchUsers(op ledger.OpResult) switchPeople {
	var p switchPeople
	seen := map[ledger.Code]bool{}
	for _, u := range op.UserResults {
		if u.Outcome == ledger.OutcomeApplied {
			p.Moved = append(p.Moved, u.UPN)
			continue
		}
		p.Others = append(p.Others, u)
		if u.Code != "" && u.Code != ledger.NotAssigned && u.Code != ledger.AlreadyAssigned && !seen[u.Code] {
			seen[u.Code] = true
			p.Codes = append(p.Codes, u.Code)
		}
	}
	return p
}
