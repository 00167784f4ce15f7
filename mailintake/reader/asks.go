package reader

import (
	"slices"

	"github.com/licensedesk/licensedesk/ledger"
)

// Questions and conditions (issue 9, class 1): what a message asks about the
// tenant's own licences becomes Reading.Asks, answered with the figures;
// a request that a condition bears on is never applied: with a question
// its facts are answered, without one the sender is asked to confirm.

// conditional keeps the items of a clause that a condition bears on.
func (st *state) conditional(d *doc, c clause, s *sentence) {
	var skus []string
	qty := 0
	for _, p := range d.prodsIn(c.lo, c.hi) {
		if !p.negated {
			skus = union(skus, p.all)
		}
	}
	for _, q := range d.qtysIn(c.lo, c.hi) {
		if !q.negated && q.status == qOK && !d.countsPeople(q) && !d.countsOther(q) && qty == 0 {
			qty = q.value
		}
	}
	if len(skus) == 0 && qty == 0 && !d.anyWord(c.lo, c.hi, unitWords) {
		return // "if you need anything, let me know": nothing of licences
	}
	st.conds = append(st.conds, condItem{skus: skus, qty: qty, text: d.phrase(s.lo, s.hi),
		cond: d.phrase(s.condLo, s.condHi)})
}

// finish turns the questions and conditions of the message into Asks or
// issues, once every request was read.
func (st *state) finish(sd, bd *doc) {
	asked := st.questions(bd)
	if !asked && len(st.out.Ops) == 0 {
		asked = st.questions(sd)
	}
	if asked {
		// The facts of a conditional request: its product's figures and
		// what its seats would cost ("sinon, merci d'en commander 2").
		for _, ci := range st.conds {
			skus := ci.skus
			if len(skus) == 0 {
				for _, a := range st.out.Asks {
					if a.SKU != "" {
						skus = append(skus, a.SKU)
					}
				}
			}
			for _, sku := range skus {
				st.ask(sku, ci.qty)
			}
		}
		if len(st.out.Ops) == 0 && len(st.out.Issues) == 0 {
			return // answered
		}
	}
	if len(st.conds) == 0 || len(st.out.Issues) > 0 && len(st.out.Ops) == 0 {
		return
	}
	ci := st.conds[0]
	code := ledger.NoRequestFound
	if len(st.out.Ops) > 0 || st.answering {
		// A firm request next to a conditional one: nothing is applied
		// until the sender says what to do with the conditional part. In a
		// conversation a conditional request is answered too: NoRequestFound
		// there is an acknowledgement, attached without a reply (SPEC §4.6).
		code = ledger.InvalidRequest
	}
	st.issue(Issue{Code: code, Text: ci.text, Detail: detailConditional(st.lang, ci.cond)})
}

// questions reads the questions of a text about the tenant's licences into
// Asks: one per product named (each candidate of a family name), "what are
// we not using" as the report, a price question's quantity as More. A
// question without a product of its own takes those of the conditional
// requests, or of the message. It reports whether any was asked.
func (st *state) questions(d *doc) bool {
	found := false
	for si := range d.sents {
		s := &d.sents[si]
		if s.requested || s.cond || s.topic == 0 || !s.interrog && s.topic&topicPrice == 0 {
			continue
		}
		var skus []string
		for _, p := range d.prodsIn(s.lo, s.hi) {
			if !p.negated {
				skus = union(skus, p.skus)
			}
		}
		// A question about licences names one, or says "licences": "you are
		// not using the right endpoint, see what it calls" asks nothing of
		// the desk. Without either it may still ask about the products the
		// message names ("How many are free?" under "Free E3?").
		if len(skus) == 0 && !d.anyWord(s.lo, s.hi, licenceWords) && (len(st.context) == 0 || s.topic&topicUnused != 0) {
			continue
		}
		more := 0
		if s.topic&topicPrice != 0 {
			for _, q := range d.qtysIn(s.lo, s.hi) {
				if !q.negated && q.status == qOK && q.value > 0 && !d.countsPeople(q) && !d.countsOther(q) {
					more = q.value
					break
				}
			}
		}
		switch {
		case len(skus) > 0:
		case s.topic&topicUnused != 0:
			st.askUnused()
			found = true
			continue
		default:
			for _, ci := range st.conds {
				skus = union(skus, ci.skus)
				if more == 0 && s.topic&topicPrice != 0 {
					more = ci.qty
				}
			}
			if len(skus) == 0 {
				skus = st.context
			}
		}
		for _, sku := range skus {
			st.ask(sku, more)
			found = true
		}
	}
	return found
}

// licenceWords name licences in a question: "what licences are we not
// using?", "combien de licences libres ?".
var licenceWords = wordSet("licence", "licences", "license", "licenses", "licenc", "lic", "seat", "seats",
	"siege", "sieges", "poste", "postes", "abonnement", "abonnements", "subscription", "subscriptions")

// ask adds a question about sku, or raises the More of the one there is.
func (st *state) ask(sku string, more int) {
	if i := slices.IndexFunc(st.out.Asks, func(a ledger.Ask) bool { return a.SKU == sku }); i >= 0 {
		st.out.Asks[i].More = max(st.out.Asks[i].More, more)
		return
	}
	if len(st.out.Asks) < ledger.MaxOpsPerReq {
		st.out.Asks = append(st.out.Asks, ledger.Ask{SKU: sku, More: more})
	}
}

func (st *state) askUnused() {
	if !slices.ContainsFunc(st.out.Asks, func(a ledger.Ask) bool { return a.Unused }) {
		st.out.Asks = append(st.out.Asks, ledger.Ask{Unused: true})
	}
}

// countsPeople reports a number followed by a word that counts people:
// "pour nos 2 nouveaux arrivants", "for 3 new hires".
func (d *doc) countsPeople(q *qmention) bool {
	nx := d.nextWord(q.hi - 1)
	return nx >= 0 && peopleUnits[d.toks[nx].fold]
}
