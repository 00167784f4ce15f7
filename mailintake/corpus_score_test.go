package mailintake_test

import (
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"sync"
	"testing"

	"github.com/licensedesk/licensedesk/ledger"
)

// The score of the mail corpus: per set (corpus, heldout) and per category,
// how many cases pass, and how many of the failing ones are dangerous: the
// pipeline applied or queued an operation (outcome applied, pending,
// scheduled or partially_applied) that the expectation does not list. A
// wrong change is worse than none, so these are counted apart.
//
// The score is printed after all tests ran (TestMain), so that it ends the
// output of `go test -run Corpus ./mailintake/`.

func TestMain(m *testing.M) {
	code := m.Run()
	corpusScores.print(os.Stdout)
	os.Exit(code)
}

// corpusScores is filled by TestCorpus.
var corpusScores corpusScoreBoard

type corpusScoreBoard struct {
	mu   sync.Mutex
	sets []*corpusSetScore
}

// corpusSetScore counts the cases of one set.
type corpusSetScore struct {
	name string
	mu   sync.Mutex
	all  corpusCount
	cats map[string]*corpusCount
	// dangerous lists the files of the dangerous cases, with what they did.
	dangerous []string
	skipped   int
}

type corpusCount struct {
	run, pass, dangerous int
}

func (b *corpusScoreBoard) reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sets = nil
}

// set returns the score of the named set, created on first use.
func (b *corpusScoreBoard) set(name string) *corpusSetScore {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range b.sets {
		if s.name == name {
			return s
		}
	}
	s := &corpusSetScore{name: name, cats: map[string]*corpusCount{}}
	b.sets = append(b.sets, s)
	return s
}

// record counts one case: skipped (known_bug/known_gap) cases are not
// scored; a failing case with unexpected effects is dangerous.
func (s *corpusSetScore) record(c corpusCase, skipped, failed bool, effects []corpusOp) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if skipped {
		s.skipped++
		return
	}
	cat := c.Category
	if cat == "" {
		cat = "(none)"
	}
	cc := s.cats[cat]
	if cc == nil {
		cc = &corpusCount{}
		s.cats[cat] = cc
	}
	s.all.run++
	cc.run++
	switch {
	case !failed:
		s.all.pass++
		cc.pass++
	case len(effects) > 0:
		s.all.dangerous++
		cc.dangerous++
		s.dangerous = append(s.dangerous, fmt.Sprintf("%s (%s): %v", c.File, cat, effects))
	}
}

func (b *corpusScoreBoard) print(w io.Writer) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.sets) == 0 {
		return
	}
	fmt.Fprintln(w, "--- mail corpus score")
	for _, s := range b.sets {
		s.mu.Lock()
		fmt.Fprintf(w, "%s: %d/%d pass, %d dangerous\n", s.name, s.all.pass, s.all.run, s.all.dangerous)
		cats := make([]string, 0, len(s.cats))
		for c := range s.cats {
			cats = append(cats, c)
		}
		sort.Strings(cats)
		for _, c := range cats {
			cc := s.cats[c]
			fmt.Fprintf(w, "  %s/%s: %d/%d pass, %d dangerous\n", s.name, c, cc.pass, cc.run, cc.dangerous)
		}
		if s.skipped > 0 {
			fmt.Fprintf(w, "  %s: %d known_bug/known_gap cases skipped\n", s.name, s.skipped)
		}
		for _, d := range s.dangerous {
			fmt.Fprintf(w, "  %s dangerous: %s\n", s.name, d)
		}
		s.mu.Unlock()
	}
}

// effectOutcomes are the outcomes of an operation that change the ledger now
// or later (approval, renewal).
var effectOutcomes = []string{ledger.OutcomeApplied, ledger.OutcomePending, ledger.OutcomeScheduled, ledger.OutcomePartial}

// unexpectedEffects are the operations of r that took effect (or wait to) and
// that the expectation (status, want) does not list (op, product, quantity and users all
// alike; each expected operation excuses one produced operation). An
// operation listed for a refused, clarified or answered message excuses
// nothing (it was to be refused), and one listed for a pending message
// excuses only a pending outcome (applying it at once skips R-APPROVAL).
func unexpectedEffects(r ledger.Result, status string, want []corpusOp) []corpusOp {
	var left []corpusOp
	switch ledger.Status(status) {
	case ledger.StatusApplied, ledger.StatusPartiallyApplied, ledger.StatusPendingApproval:
		left = slices.Clone(want)
	}
	var out []corpusOp
	for _, o := range r.Ops {
		if !slices.Contains(effectOutcomes, o.Outcome) {
			continue
		}
		got := corpusOp{Op: string(o.Op), SKU: o.SKU, Quantity: o.Quantity, Users: o.Users}
		i := slices.IndexFunc(left, func(w corpusOp) bool {
			return w.Op == got.Op && w.SKU == got.SKU && w.Quantity == got.Quantity && slices.Equal(w.Users, got.Users)
		})
		if i >= 0 && (ledger.Status(status) != ledger.StatusPendingApproval || o.Outcome == ledger.OutcomePending) {
			left = slices.Delete(left, i, i+1)
			continue
		}
		out = append(out, got)
	}
	return out
}
