package reader

import (
	"slices"
	"strconv"

	"github.com/licensedesk/licensedesk/ledger"
)

// Answers in a conversation (SPEC §4.6, issue 11). A message that answers
// one of the desk's questions is read against the earlier request: its
// product ("Business Premium, please", "the Plan 2 one"), its number ("il en
// faudrait 3", "15 au total"), its users ("pour alice@…") or its choice
// among the candidates ("oui, les deux") fill the missing part of each
// question's Partial operation. The completed request is the earlier
// request's understood operations plus the completed ones. An answer that
// leaves doubt gives a narrower question, never a guess; an answer that
// fills nothing is no request (the intake attaches it); a new complete
// request written in the answer is read as one.

// questionCodes are the codes of an earlier result that asked something
// an answer may complete (the others are refusals: nothing to complete).
var questionCodes = map[ledger.Code]bool{
	ledger.UnknownProduct: true, ledger.AmbiguousProduct: true, ledger.QuantityMissing: true,
	ledger.InvalidQuantity: true, ledger.InvalidRequest: true,
	// A user outside the tenant's domains given in answer is asked again,
	// with the operation, for another user (issue 11, class 5).
	ledger.ForeignUser: true,
}

// pools are the items of an answer not yet used by a completion.
type pools struct {
	prods []*pmention
	qtys  []*qmention
	fuzzy []*qmention // quantities that are no exact number: "3 ou 4"
	users []int
	all   bool // "all of them", "tous": every candidate
	both  bool // "les deux", "both": the two candidates, when there are two
	// excluded marks the tokens of conditions, questions and requests of
	// their own: no completion reads them.
	excluded []bool
	// answers marks the tokens of the parts of sentences that answer
	// (see answeringPart).
	answers []bool
	each    bool // "3 of each", "3 de chaque": one number for every question
	// requested are the products of the answer's requests of their own
	// ("pouvez-vous retirer 2 des 3 licences Business Standard ?"): a
	// question about one of them is superseded.
	requested []string
	more      bool // "de plus", "more"
	total     bool // "au total", "in total"
}

// openQuestions are the earlier result's questions that carry a Partial.
// The quantity question the reader asks next to a product question about
// the same operation ("merci d'ajouter des E3": which E3, and how many?) is
// one question with it: the answer that chooses the product is then asked
// the quantity, with the product chosen (issue 11, class 6).
func openQuestions(ctx *Context) []ledger.Error {
	var out []ledger.Error
	for i, e := range ctx.Missing {
		if !questionCodes[e.Code] || e.Partial == nil {
			continue
		}
		if i > 0 && sameOperation(ctx.Missing[i-1], e) {
			continue
		}
		out = append(out, e)
	}
	return out
}

// sameOperation reports a quantity question that follows a product
// question about the same operation: the same sentence, the same partial
// with neither product nor quantity.
func sameOperation(prev, e ledger.Error) bool {
	if e.Code != ledger.QuantityMissing || prev.Code != ledger.AmbiguousProduct && prev.Code != ledger.UnknownProduct ||
		prev.Partial == nil || e.Partial == nil || prev.Message != e.Message {
		return false
	}
	a, b := prev.Partial, e.Partial
	return a.Kind == b.Kind && a.SKU == "" && b.SKU == "" && a.Quantity == 0 && b.Quantity == 0 &&
		a.To == b.To && slices.Equal(a.Users, b.Users)
}

// answerPools gathers the items of an answer outside conditional
// sentences and outside the clauses that make a complete request of their
// own ("and please add 2 Visio Plan 2 too").
func (st *state) answerPools(d *doc) pools {
	var p pools
	excluded := make([]bool, len(d.toks))
	// The clauses with a verb of request: "il en faudrait 3", not
	// "deux des arrivées sont reportées" in the same sentence.
	asking := make([]bool, len(d.toks))
	for _, s := range d.segments() {
		for _, c := range d.clauses(s) {
			if c.verb >= 0 && d.skipReason(c) == "" {
				for k := c.lo; k < c.hi; k++ {
					asking[k] = true
				}
			}
			if c.verb >= 0 && d.hasProduct(c.lo, c.hi) && (d.countsSeats(c) || d.hasEmail(c.lo, c.hi)) {
				for k := c.lo; k < c.hi; k++ {
					excluded[k] = true
					if m := d.prodAt[k]; m >= 0 && !d.prods[m].negated {
						p.requested = append(p.requested, d.prods[m].skus...)
					}
				}
			}
		}
	}
	for si := range d.sents {
		// A condition completes nothing, nor does a question: "combien
		// d'Office 365 E3 avons-nous ?" names a product to answer about,
		// not the one to order.
		if s := &d.sents[si]; s.cond || s.interrog && (s.topic != 0 || d.anyWord(s.lo, s.hi, interrogatives)) {
			hi := s.hi
			if !s.cond {
				// "• How many: 3": a form's label asks, its value answers.
				for k := s.lo; k < s.hi; k++ {
					if d.toks[k].kind == tPunct && d.toks[k].lower == ":" {
						hi = k
						break
					}
				}
			}
			for k := s.lo; k < hi; k++ {
				excluded[k] = true
			}
		}
	}
	// Only a sentence that answers gives its items: one that asks for
	// something ("il en faudrait 3"; a verb of request, not negated nor
	// past), or a short part of one that describes nothing ("Business
	// Premium, please", "Office 365 E3, s'il vous plaît", "3", "c'est pour
	// alice@…" after "Claire est absente :"); and a number that counts
	// licences ("3 licences", "15 au total"). "Nous sommes 15 dans l'équipe,
	// qui utilise déjà Business Premium" describes.
	parts := d.answerParts()
	p.answers = parts
	// A signature after a closing courtesy ("Thanks!\n\nJean\nhelpdesk@…")
	// answers nothing: its address is no user, its "Unit 4" no number.
	for k := d.signatureStart(); k < len(d.toks); k++ {
		excluded[k] = true
	}
	// A sentence that doubts ("probably 3", "je pense 4") gives nothing:
	// what it names is asked again (speaksOf), never read.
	doubts := make([]bool, len(d.sents))
	for si := range d.sents {
		s := &d.sents[si]
		if doubts[si] = d.anyPhrase(s.lo, s.hi, doubtP); doubts[si] {
			for k := s.lo; k < s.hi; k++ {
				parts[k] = false // nor does it tell the candidates apart
			}
		}
	}
	gives := func(k int) bool { return !excluded[k] && !doubts[d.sentAt[k]] && (asking[k] || parts[k]) }
	for i := range d.prods {
		if m := &d.prods[i]; !m.negated && gives(m.lo) {
			p.prods = append(p.prods, m)
		}
	}
	for i := range d.qtys {
		q := &d.qtys[i]
		if q.negated || excluded[q.lo] || d.countsOther(q) || d.labelled(q) || !gives(q.lo) && !d.countsLicences(q) {
			continue
		}
		switch q.status {
		case qOK:
			p.qtys = append(p.qtys, q)
		default:
			p.fuzzy = append(p.fuzzy, q)
		}
	}
	for k, t := range d.toks {
		if excluded[k] {
			continue
		}
		switch {
		case t.kind == tEmail:
			if gives(k) {
				p.users = append(p.users, k)
			}
		case gives(k) && (bothWords[t.fold] || allWords[t.fold] || twoWords[t.fold]):
			// "oui, les deux", "both please", "all of them"; not "pour les
			// deux nouveaux arrivants", "for both shops", "merci à tous".
			both, all := d.choice(k)
			p.both = p.both || both
			p.all = p.all || all
		case d.phraseAt(k, len(d.toks), eachP):
			p.each = true
		case d.phraseAt(k, len(d.toks), moreAfterP):
			p.more = true
		case d.phraseAt(k, len(d.toks), totalAfterP):
			p.total = true
		}
	}
	// "deux" in "les deux" is a choice of both, not a number.
	p.excluded = excluded
	p.qtys = slices.DeleteFunc(p.qtys, func(q *qmention) bool {
		f := d.toks[q.lo].fold
		return q.value == 2 && (f == "deux" || f == "two" || f == "2") && d.prevIs(q.lo, "les", "the", "aux", "both")
	})
	return p
}

// countsSeats reports a number in the clause that may count seats: not one
// that counts people or things ("pour nos trois arrivants"), which leaves
// "il nous faut des Office 365 E3 pour nos trois arrivants" an answer that
// names the product rather than a request of its own.
func (d *doc) countsSeats(c clause) bool {
	for _, q := range d.qtysIn(c.lo, c.hi) {
		if !d.describes(q) && !d.countsOther(q) {
			return true
		}
	}
	return false
}

// countsLicences reports a number next to what counts licences: "3
// licences", "3 de plus", "15 au total".
func (d *doc) countsLicences(q *qmention) bool {
	if q.more || q.role == rTotal {
		return true
	}
	nx := d.nextWord(q.hi - 1)
	if nx < 0 {
		return false
	}
	return unitWords[d.toks[nx].fold] || d.phraseAt(nx, len(d.toks), moreAfterP) || d.phraseAt(nx, len(d.toks), totalAfterP)
}

// hasEmail reports an address in [lo, hi).
func (d *doc) hasEmail(lo, hi int) bool {
	for k := lo; k < hi; k++ {
		if d.toks[k].kind == tEmail {
			return true
		}
	}
	return false
}

// prevIs reports whether the word before token k is one of ws.
func (d *doc) prevIs(k int, ws ...string) bool {
	pv := d.prevWords(k, 1)
	return len(pv) == 1 && slices.Contains(ws, d.toks[pv[0]].fold)
}

// complete reads an answer against the earlier request's questions. It
// marks in used the tokens it took, so that the request reader does not
// read them again, and reports whether it completed anything.
func (st *state) complete(d *doc, ctx *Context, used []bool) bool {
	if d.anyPhrase(0, len(d.toks), absenceP) {
		return false // an out-of-office: its dates, addresses and numbers answer nothing
	}
	qs := openQuestions(ctx)
	if len(qs) == 0 {
		return ctx.Refused && st.retry(d, ctx, used)
	}
	p := st.answerPools(d)
	var done []ledger.Op
	var narrower, open []Issue
	took := false
	// "Inutile d'en acheter", or a request of its own about the product
	// ("retirer 2 des 3 licences Business Standard"): the question is no
	// longer asked, nor answered; what is left of the answer is read as a
	// message of its own.
	cancelled := d.cancelledKinds()
	qs = slices.DeleteFunc(qs, func(q ledger.Error) bool {
		return cancelled[q.Partial.Kind] || q.Partial.SKU != "" && slices.Contains(p.requested, q.Partial.SKU)
	})
	if len(qs) == 0 {
		return false
	}
	for _, q := range qs {
		ops, is, filled := st.fill(d, q, &p, used)
		switch {
		case filled && is == nil:
			done = append(done, ops...)
			took = true
		case filled:
			narrower = append(narrower, *is)
			took = true
		default:
			open = append(open, Issue{Code: q.Code, Text: q.Message, Detail: st.detailOf(q),
				Candidates: slices.Clone(q.Candidates), Partial: clonePartial(q.Partial)})
		}
	}
	if !took && !st.speaksOf(d, qs, &p) {
		return false // "merci !": nothing answered; no request (the intake attaches it)
	}
	if q := st.unusedNumber(d, &p, used); q != nil {
		// "P1 please – and make that two rather than one": a number the
		// completion did not take may change what it completed. The seat
		// changes are asked about, never applied with the earlier number.
		var kept []ledger.Op
		for _, op := range done {
			if op.Kind != ledger.OpAdd && op.Kind != ledger.OpRemove && op.Kind != ledger.OpSet || op.Quantity == q.value {
				// "go ahead with the one Entra ID P1": the same number confirms.
				kept = append(kept, op)
				continue
			}
			narrower = append(narrower, Issue{Code: ledger.QuantityMissing, Text: d.sentenceText(q.lo),
				Partial: &ledger.Op{Kind: op.Kind, SKU: op.SKU},
				Detail:  detailQuantity(st.lang, productName(st.cat, op.SKU), d.phrase(q.lo, q.hi), whyTwoWays)})
		}
		done = kept
	}
	// SPEC §4.6: the completed request is what was understood and what the
	// answer completed; the questions left are asked again.
	for _, op := range ctx.Understood {
		st.op(cloneOp(op))
	}
	for _, op := range done {
		st.op(op)
	}
	for _, is := range narrower {
		st.issue(is)
	}
	for _, is := range open {
		st.issue(is)
	}
	return true
}

// retry reads an answer to the refusal of one seat change ("Let's go with
// 5 for now then", "3. Thanks" after "add 50 E1" was refused by the credit
// limit): a new number alone is that change with the new number, which
// every rule checks again; a doubtful one ("2 or 3") is asked about.
// Anything else (another product, users, several numbers, "1 more") is read
// as a request of its own.
func (st *state) retry(d *doc, ctx *Context, used []bool) bool {
	if len(ctx.Understood) != 1 {
		return false
	}
	op := ctx.Understood[0]
	if op.SKU == "" || len(op.Users) > 0 || op.Kind != ledger.OpAdd && op.Kind != ledger.OpRemove && op.Kind != ledger.OpSet {
		return false
	}
	p := st.answerPools(d)
	if len(p.users) > 0 || len(p.qtys)+len(p.fuzzy) != 1 || p.more {
		return false
	}
	for _, m := range p.prods {
		if len(m.skus) != 1 || m.skus[0] != op.SKU {
			return false
		}
	}
	partial := &ledger.Op{Kind: op.Kind, SKU: op.SKU}
	name := productName(st.cat, op.SKU)
	if len(p.fuzzy) == 1 {
		q := p.fuzzy[0]
		markUsed(used, q.lo, q.hi)
		st.issue(Issue{Code: ledger.QuantityMissing, Text: d.sentenceText(q.lo),
			Detail: detailQuantity(st.lang, name, d.phrase(q.lo, q.hi), whyFuzzy), Partial: partial})
		return true
	}
	q := p.qtys[0]
	if q.more || q.value <= 0 {
		return false
	}
	markUsed(used, q.lo, q.hi)
	st.op(ledger.Op{Kind: op.Kind, SKU: op.SKU, Quantity: q.value})
	return true
}

// cancelP say that an operation is no longer wanted.
var cancelP = phrases([]string{"inutile", "de"}, []string{"pas", "besoin", "de"}, []string{"plus", "besoin", "de"},
	[]string{"pas", "la", "peine", "de"}, []string{"no", "need", "to"}, []string{"no", "need", "for"},
	[]string{"not", "need", "to"}, []string{"no", "longer", "need"}, []string{"do", "not", "need", "to"})

// cancelledKinds are the operations the answer says are no longer wanted:
// a verb of request in a sentence that cancels or denies it ("inutile d'en
// acheter", "please don't add any").
func (d *doc) cancelledKinds() map[ledger.OpKind]bool {
	out := map[ledger.OpKind]bool{}
	for si := range d.sents {
		s := &d.sents[si]
		if !d.anyPhrase(s.lo, s.hi, cancelP) && !d.anyWord(s.lo, s.hi, negationWords) {
			continue
		}
		for k := s.lo; k < s.hi; k++ {
			v, ok := d.trigger(k)
			if !ok {
				continue
			}
			switch v.class {
			case cAdd, cBuy, cInc:
				out[ledger.OpAdd] = true
			case cRemove, cDec:
				out[ledger.OpRemove] = true
			case cAssign:
				out[ledger.OpAssign] = true
			case cUnassign:
				out[ledger.OpUnassign] = true
			}
		}
	}
	return out
}

// unusedNumber returns an exact number of the answer that no completion
// took, nor a request of its own will read, or nil. A large bare number
// ("69005 Lyon" in a signature) is an address or a reference, not seats.
func (st *state) unusedNumber(d *doc, p *pools, used []bool) *qmention {
	for _, q := range p.qtys {
		if !used[q.lo] && !d.describes(q) && !d.countsOther(q) && (q.value < 1000 || d.countsLicences(q)) && !d.inNumberRun(q) {
			return q
		}
	}
	return nil
}

// closingWords make up a closing courtesy line: "Thanks!", "Merci,",
// "Cordialement", "Best regards,", "Bonne journée".
var closingWords = wordSet("thanks", "thank", "you", "merci", "cordialement", "regards", "best", "kind", "cheers", "bien",
	"a", "vous", "bonne", "journee", "soiree", "salutations", "sinceres", "many", "much", "very", "again", "encore",
	"d", "de", "avance", "in", "advance", "warm", "warmly", "all", "the", "bests", "yours", "sincerely", "amities",
	"bisous", "belle", "fin", "semaine", "week", "end", "have", "nice", "good", "day", "weekend", "beaucoup",
	"infiniment", "lot", "so", "tout", "pour")

// signatureStart returns the first token of a trailing signature: the
// lines after the last line that is only a closing courtesy, when they
// are short, ask nothing and hold more than an address (a name, a title).
// len(d.toks) when there is none.
func (d *doc) signatureStart() int {
	none := len(d.toks)
	// The starts of the lines.
	var starts []int
	for k := range d.toks {
		if k == 0 || d.toks[k].line {
			starts = append(starts, k)
		}
	}
	lineEnd := func(i int) int {
		if i+1 < len(starts) {
			return starts[i+1]
		}
		return len(d.toks)
	}
	for i := len(starts) - 2; i >= 0; i-- {
		lo, hi := starts[i], lineEnd(i)
		if !d.closingLine(lo, hi) {
			continue
		}
		// The lines after it must look like a signature.
		name := false
		for j := i + 1; j < len(starts); j++ {
			a, b := starts[j], lineEnd(j)
			words, emails := 0, 0
			for k := a; k < b; k++ {
				switch t := d.toks[k]; {
				case t.kind == tEmail:
					emails++
				case t.kind == tWord:
					words++
					if _, ok := d.trigger(k); ok {
						return none
					}
				}
				if d.prodAt[k] >= 0 {
					return none
				}
			}
			if words > 8 {
				return none
			}
			name = name || words > 0 && emails == 0
		}
		if !name {
			return none
		}
		return lineEnd(i)
	}
	return none
}

// closingLine reports a line of only closing courtesy words and
// punctuation.
func (d *doc) closingLine(lo, hi int) bool {
	any := false
	for k := lo; k < hi; k++ {
		t := d.toks[k]
		if t.kind == tPunct {
			continue
		}
		if t.kind != tWord || !closingWords[t.fold] {
			return false
		}
		any = true
	}
	return any
}

// labelNouns name what a number after them identifies: "étage 3", "Unit
// 4", "poste 204", "ticket 4521".
var labelNouns = wordSet("etage", "floor", "bureau", "office", "salle", "room", "poste", "ext", "extension", "unit", "batiment",
	"building", "bat", "suite", "page", "section", "article", "ligne", "line", "niveau", "level", "porte", "door", "box", "bp",
	"cedex", "ref", "reference", "ticket", "numero", "number", "no", "version", "tranche", "lot", "phase", "etape", "step",
	"option", "case", "dossier", "file", "order", "commande", "facture", "invoice", "road", "street", "rue", "avenue", "lane")

// labelled reports a number that identifies rather than counts: right
// after a label noun ("Unit 4, Dockside Business Park", "étage 3").
func (d *doc) labelled(q *qmention) bool {
	k := q.lo - 1
	if k < 0 || d.toks[q.lo].line {
		return false
	}
	t := d.toks[k]
	return t.kind == tWord && d.prodAt[k] < 0 && labelNouns[t.fold]
}

// inNumberRun reports a number next to another number: a telephone ("04
// 78 00 12 34"), a reference, never a count of seats on its own.
func (d *doc) inNumberRun(q *qmention) bool {
	return q.lo > 0 && d.toks[q.lo-1].kind == tNum || q.hi < len(d.toks) && d.toks[q.hi].kind == tNum
}

// sentenceText is the text of the sentence holding token k.
func (d *doc) sentenceText(k int) string {
	s := d.sentenceOf(k)
	return d.text[d.toks[s.lo].start:d.toks[s.hi-1].end]
}

// speaksOf reports an answer that speaks of what the questions ask without
// settling it: "Probably P2, but let me double-check", "je pense 4 mais je
// vous confirme demain", "a dozen should cover it", "c'est pour les deux
// stagiaires". Its questions are asked again (SPEC §4.2: never a guess),
// rather than the answer left unanswered. An answer that speaks of none of
// it (thanks, an acknowledgement) or tells of an absence (an out-of-office
// that slipped past the guards) stays no request: attached, not answered.
func (st *state) speaksOf(d *doc, qs []ledger.Error, p *pools) bool {
	n := len(d.toks)
	if d.anyPhrase(0, n, deferralP) && !d.anyPhrase(0, n, doubtP) {
		// "Merci, je regarde avec Microsoft et je reviens vers vous": an
		// acknowledgement; "Probably P2, but let me double-check" doubts.
		return false
	}
	for si := range d.sents {
		if s := &d.sents[si]; d.deniesRequest(s.lo, s.hi) {
			return false // "merci de ne pas en ajouter": nothing more is wanted
		}
	}
	for _, q := range qs {
		var about bool
		switch {
		case q.Code == ledger.UnknownProduct || q.Code == ledger.AmbiguousProduct:
			// A product, a word that tells the candidates apart ("P2"),
			// or a choice of both.
			words := st.ix.candidateWords(q.Candidates)
			anywhere := *p // a family name anywhere: "just a normal Exchange Online mailbox licence"
			anywhere.answers = slices.Repeat([]bool{true}, len(d.toks))
			if fam, _, _ := st.ix.familyIn(d, &anywhere, make([]bool, len(d.toks))); len(intersect(fam, q.Candidates)) > 0 {
				return true
			}
			if d.anyPhrase(0, n, sameAsP) || d.anyPhrase(0, n, byAttributeP) {
				return true // "same as last time", "the cheaper one": which one is not certain
			}
			about = d.mentions(p, func(k int) bool {
				t := d.toks[k]
				has := words[t.fold]
				return d.prodAt[k] >= 0 && !d.prods[d.prodAt[k]].negated ||
					(bothWords[t.fold] || allWords[t.fold] || twoWords[t.fold] && d.prevIs(k, "les", "the", "aux")) && !d.greets(k) ||
					(t.kind == tWord || t.kind == tNum) && len(has) > 0 && len(has) < len(q.Candidates)
			})
		case q.Code == ledger.QuantityMissing || q.Code == ledger.InvalidQuantity:
			about = d.mentions(p, func(k int) bool {
				return d.qtyAt[k] >= 0 && !d.qtys[d.qtyAt[k]].negated && !d.labelled(&d.qtys[d.qtyAt[k]]) ||
					vagueQuantities[d.toks[k].fold]
			})
		case q.Partial != nil && (q.Partial.Kind == ledger.OpAssign || q.Partial.Kind == ledger.OpUnassign ||
			q.Partial.Kind == ledger.OpSwitch) && len(q.Partial.Users) == 0:
			about = d.mentions(p, func(k int) bool { return d.toks[k].kind == tEmail })
		}
		if about {
			return true
		}
	}
	return false
}

// greets reports a "both" or "all" word that greets: "merci à tous (les
// deux)", "thanks all", "thanks both".
func (d *doc) greets(k int) bool {
	for {
		pv := d.prevWords(k, 1)
		if len(pv) == 0 {
			return false
		}
		f := d.toks[pv[0]].fold
		if f != "les" && f != "the" && !allWords[f] {
			return greetingBefore[f]
		}
		k = pv[0]
	}
}

// mentions reports a token outside questions and requests of their own for
// which is holds. A condition counts: "maybe 6" doubts, and is asked again.
func (d *doc) mentions(p *pools, is func(k int) bool) bool {
	for k := range d.toks {
		if (!p.excluded[k] || d.sents[d.sentAt[k]].cond) && is(k) {
			return true
		}
	}
	return false
}

// vagueQuantities say "some" without a number: asked, never read.
var vagueQuantities = wordSet("dozen", "dozens", "douzaine", "douzaines", "dizaine", "dizaines", "vingtaine", "quinzaine",
	"trentaine", "few", "several", "quelques", "plusieurs", "handful", "couple", "some", "certain", "certaines")

// absenceP tell of the writer's own absence, as an out-of-office does:
// such a message that slipped past the guards (§4.4) answers nothing, and
// asking it again could start a loop. "David is on leave, so: four" is an
// answer.
var absenceP = phrases([]string{"i", "am", "out", "of"}, []string{"i", "am", "away"}, []string{"i", "am", "on", "leave"},
	[]string{"i", "am", "currently", "out"}, []string{"i", "will", "be", "out"}, []string{"out", "of", "the", "office", "until"},
	[]string{"out", "of", "office", "until"}, []string{"limited", "access"}, []string{"je", "suis", "absent"},
	[]string{"je", "suis", "absente"}, []string{"je", "serai", "absent"}, []string{"je", "serai", "absente"},
	[]string{"je", "suis", "actuellement", "absent"}, []string{"je", "suis", "actuellement", "absente"},
	[]string{"je", "suis", "en", "conge"}, []string{"je", "suis", "en", "conges"}, []string{"je", "suis", "en", "vacances"},
	[]string{"je", "suis", "en", "formation"}, []string{"acces", "limite"}, []string{"absent", "du", "bureau"},
	[]string{"absente", "du", "bureau"})

// eachP give one number for every product asked about.
var eachP = phrases([]string{"of", "each"}, []string{"each"}, []string{"de", "chaque"}, []string{"chacun"},
	[]string{"chacune"}, []string{"pour", "chaque"})

// byAttributeP choose a product by what the desk's question did not show:
// asked again, never guessed.
var byAttributeP = phrases([]string{"moins", "chere"}, []string{"moins", "cher"}, []string{"plus", "chere"},
	[]string{"plus", "cher"}, []string{"cheaper"}, []string{"cheapest"}, []string{"less", "expensive"},
	[]string{"the", "best"}, []string{"the", "better"}, []string{"la", "meilleure"}, []string{"le", "meilleur"},
	[]string{"la", "plus", "complete"}, []string{"the", "full", "one"}, []string{"the", "basic", "one"})

// sameAsP name a product by reference to an earlier one: the desk cannot
// know which, and asks.
var sameAsP = phrases([]string{"same", "as"}, []string{"the", "same"}, []string{"the", "usual"}, []string{"as", "usual"},
	[]string{"as", "before"}, []string{"comme", "de", "habitude"}, []string{"comme", "la", "derniere", "fois"},
	[]string{"comme", "avant"}, []string{"le", "meme"}, []string{"la", "meme"}, []string{"les", "memes"},
	[]string{"comme", "de", "hab"})

// deferralP announce an answer to come: the message is an acknowledgement.
var deferralP = phrases([]string{"reviens", "vers", "vous"}, []string{"revenir", "vers", "vous"},
	[]string{"reviendrai", "vers", "vous"}, []string{"vous", "confirme"}, []string{"vous", "confirmerai"},
	[]string{"je", "regarde"}, []string{"je", "verifie"}, []string{"je", "me", "renseigne"},
	[]string{"vous", "tiens", "au", "courant"}, []string{"vous", "tiendrai", "au", "courant"},
	[]string{"get", "back", "to", "you"}, []string{"come", "back", "to", "you"}, []string{"let", "me", "check"},
	[]string{"let", "me", "double", "check"}, []string{"i", "will", "check"}, []string{"we", "will", "check"},
	[]string{"will", "confirm"},
	[]string{"keep", "you", "posted"})

// doubtP make what an answer names tentative: asked again, never read.
var doubtP = phrases([]string{"probably"}, []string{"probablement"}, []string{"maybe"}, []string{"perhaps"},
	[]string{"peut", "etre"}, []string{"je", "pense"}, []string{"je", "crois"}, []string{"i", "think"},
	[]string{"i", "guess"}, []string{"i", "believe"}, []string{"sans", "doute"}, []string{"likely"},
	[]string{"a", "priori"}, []string{"not", "sure"}, []string{"pas", "sur"}, []string{"pas", "certain"})

// fill completes one question's Partial from the answer's items. It
// returns the completed operations, or a narrower issue when the answer
// filled part of it, and whether the answer filled anything.
func (st *state) fill(d *doc, q ledger.Error, p *pools, used []bool) ([]ledger.Op, *Issue, bool) {
	op := *clonePartial(q.Partial)
	filled := false
	text := q.Message
	seatOp := op.Kind == ledger.OpAdd || op.Kind == ledger.OpRemove || op.Kind == ledger.OpSet || op.Kind == ""
	userOp := op.Kind == ledger.OpAssign || op.Kind == ledger.OpUnassign || op.Kind == ledger.OpSwitch

	// The product: a candidate the answer chooses, or the product it names.
	skus := []string{op.SKU}
	needProduct := op.SKU == "" && op.Kind != ledger.OpSwitch
	if op.Kind == ledger.OpSwitch && (op.SKU == "" || op.To == "") {
		needProduct = true
	}
	productDone := !needProduct
	if needProduct {
		// The candidates of an unknown product are suggestions (the
		// tenant's few products, for the reply's example), not a choice the
		// customer was offered: "both" chooses none of them.
		cands := q.Candidates
		if q.Code == ledger.UnknownProduct {
			cands = nil
		}
		chosen, doubt, ok := st.chooseProduct(d, cands, p, used)
		switch {
		case ok:
			filled, productDone = true, true
			switch {
			case op.Kind == ledger.OpSwitch && op.SKU == "":
				op.SKU = chosen[0]
			case op.Kind == ledger.OpSwitch:
				op.To = chosen[0]
			case len(chosen) == 1:
				op.SKU = chosen[0]
			}
			if op.Kind != ledger.OpSwitch {
				skus = chosen // "les deux": one operation per candidate
			}
		case doubt != nil:
			doubt.Partial = &op
			doubt.Text = text
			if doubt.Detail == "" {
				doubt.Detail = st.detailOf(q)
			}
			return nil, doubt, true
		}
	}
	// The number, and what it counts: "15 au total" is a total, "3 de plus"
	// an addition.
	needQty := seatOp && op.Quantity == 0
	if needQty {
		switch {
		case len(p.qtys) > 0:
			qm := p.qtys[0]
			if !p.each || len(p.qtys) > 1 {
				p.qtys = p.qtys[1:] // "3 of each" counts every product asked about
			}
			markUsed(used, qm.lo, qm.hi)
			op.Quantity = qm.value
			filled = true
			switch {
			case p.total || qm.role == rTo || qm.role == rTotal:
				op.Kind = ledger.OpSet
			case p.more || qm.more:
				if op.Kind == ledger.OpSet || op.Kind == "" {
					op.Kind = ledger.OpAdd
				}
			}
			if op.Kind == "" {
				op.Kind = ledger.OpAdd
			}
		case len(p.fuzzy) > 0:
			qm := p.fuzzy[0]
			p.fuzzy = p.fuzzy[1:]
			markUsed(used, qm.lo, qm.hi)
			return nil, &Issue{Code: ledger.QuantityMissing, Text: text, Partial: &op,
				Detail: detailQuantity(st.lang, productName(st.cat, op.SKU), d.phrase(qm.lo, qm.hi), whyFuzzy)}, true
		}
	}
	// The users.
	needUsers := userOp && len(op.Users) == 0 && !op.All
	if needUsers && len(p.users) > 0 {
		users, bad := st.checkUsers(d, text, p.users)
		for _, k := range p.users {
			markUsed(used, k, k+1)
		}
		p.users = nil
		if bad != nil {
			// A user outside the tenant's domains is asked again, narrower:
			// the operation waits for another user (issue 11, class 5).
			if bad.Code == ledger.ForeignUser {
				bad.Partial = withSKU(op, skus)
			}
			return nil, bad, true
		}
		op.Users = users
		filled = true
	}
	if !filled {
		return nil, nil, false
	}
	// What is still missing is asked again, narrower.
	switch {
	case !productDone:
		code := ledger.UnknownProduct
		if len(q.Candidates) > 1 && q.Code != ledger.UnknownProduct {
			code = ledger.AmbiguousProduct
		}
		return nil, &Issue{Code: code, Text: text, Candidates: slices.Clone(q.Candidates), Partial: &op,
			Detail: st.detailOf(q)}, true
	case needQty && op.Quantity == 0:
		return nil, &Issue{Code: ledger.QuantityMissing, Text: text, Partial: withSKU(op, skus),
			Detail: detailQuantity(st.lang, productName(st.cat, skus[0]), "", whyNone)}, true
	case needUsers && len(op.Users) == 0:
		return nil, &Issue{Code: ledger.InvalidRequest, Text: text, Partial: withSKU(op, skus),
			Detail: detailInvalid(st.lang, invNoUser, "")}, true
	}
	if op.Kind == ledger.OpSwitch && op.SKU == op.To {
		return nil, &Issue{Code: ledger.InvalidRequest, Text: text, Partial: clonePartial(q.Partial),
			Detail: detailInvalid(st.lang, invSwitchSame, "")}, true
	}
	if asked := q.Partial.Kind; op.Kind == ledger.OpSet && (asked == ledger.OpAdd || asked == ledger.OpRemove) {
		// "donc deux au total" in answer to how many to add: a total is
		// that addition only above what the tenant holds (below it for a
		// removal); otherwise, or when the figure is unknown, it reads two
		// ways and is asked (SPEC §4.2), never turned the other way.
		for _, sku := range skus {
			total, known := st.held[sku]
			if !known || asked == ledger.OpAdd && op.Quantity <= total || asked == ledger.OpRemove && op.Quantity >= total {
				partial := *clonePartial(q.Partial)
				return nil, &Issue{Code: ledger.QuantityMissing, Text: text, Partial: withSKU(partial, skus),
					Detail: detailQuantity(st.lang, productName(st.cat, sku), strconv.Itoa(op.Quantity), whyTwoWays)}, true
			}
		}
	}
	var ops []ledger.Op
	for _, sku := range skus {
		o := op
		if op.Kind != ledger.OpSwitch {
			o.SKU = sku
		}
		o.Users = slices.Clone(op.Users)
		ops = append(ops, o)
	}
	return ops, nil, true
}

// detailOf is the detail of an earlier question asked again: its own when
// the earlier reply carried it, else one written for its code.
func (st *state) detailOf(q ledger.Error) string {
	if q.Detail != "" {
		return q.Detail
	}
	name := ""
	if q.Partial != nil && q.Partial.SKU != "" {
		name = productName(st.cat, q.Partial.SKU)
	}
	switch {
	case len(q.Candidates) > 1:
		return detailAmbiguous(st.lang, st.cat, q.Message, q.Candidates)
	case q.Code == ledger.QuantityMissing || q.Code == ledger.InvalidQuantity:
		return detailQuantity(st.lang, name, "", whyNone)
	case q.Code == ledger.UnknownProduct:
		return detailNoProduct(st.lang, q.Message)
	}
	return detailInvalid(st.lang, invNoUser, "")
}

// chooseProduct finds the product an answer gives: among the candidates of
// an ambiguous name, the one it names or whose name holds its words ("the
// Plan 2 one", "Office 365"), or all of them ("les deux", "both"); without
// candidates, the one product it names. doubt is a narrower question when
// the answer names several, or an ambiguous name.
func (st *state) chooseProduct(d *doc, cands []string, p *pools, used []bool) (chosen []string, doubt *Issue, ok bool) {
	if len(cands) > 1 && (p.all || p.both) && len(p.prods) == 0 {
		if !p.all && len(cands) > 2 {
			// "les deux" among more than two: which two is not certain
			// (issue 11, class 2).
			return nil, &Issue{Code: ledger.AmbiguousProduct, Candidates: slices.Clone(cands)}, false
		}
		return slices.Clone(cands), nil, true
	}
	if len(p.prods) > 0 {
		m := p.prods[0]
		skus := m.skus
		if len(cands) > 1 {
			// The candidates the name fits, the tenant's holdings first.
			if in := intersect(m.skus, cands); len(in) > 0 {
				skus = in
			} else if in := intersect(m.all, cands); len(in) > 0 {
				skus = in
			}
		}
		p.prods = p.prods[1:]
		markUsed(used, m.lo, m.hi)
		if len(skus) == 1 {
			// The same product named again in the answer is the same
			// choice: "… passés en Office 365 E3 … Ce sont donc bien des
			// Office 365 E3 qu'il nous faut".
			p.prods = slices.DeleteFunc(p.prods, func(o *pmention) bool {
				if slices.Equal(o.skus, m.skus) {
					markUsed(used, o.lo, o.hi)
					return true
				}
				return false
			})
			return skus, nil, true
		}
		return nil, &Issue{Code: ledger.AmbiguousProduct, Candidates: slices.Clone(skus),
			Detail: detailAmbiguous(st.lang, st.cat, d.phrase(m.lo, m.hi), skus)}, false
	}
	if len(cands) > 1 {
		// Words that tell the candidates apart: "the Plan 2 one", "le
		// Microsoft", "Kiosk".
		got, lo, hi := st.ix.distinguish(d, cands, p)
		if len(got) == 1 {
			markUsed(used, lo, hi)
			return got, nil, true
		}
		// A name the candidates share ("Exchange Online please",
		// "Business, merci") is still each of them: asked again (issue 11,
		// class 5).
		if lo < 0 {
			if fam, lo, hi := st.ix.familyIn(d, p, used); len(intersect(fam, cands)) > 1 {
				markUsed(used, lo, hi)
				in := intersect(fam, cands)
				return nil, &Issue{Code: ledger.AmbiguousProduct, Candidates: in,
					Detail: detailAmbiguous(st.lang, st.cat, d.phrase(lo, hi), in)}, false
			}
		}
	}
	return nil, nil, false
}

// familyIn finds, in the parts of an answer that answer, the longest run of
// words that is a family name of the catalog ("Exchange Online",
// "Entra ID"): its products and its token range.
func (ix *index) familyIn(d *doc, p *pools, used []bool) ([]string, int, int) {
	var best []string
	blo, bhi := -1, -1
	var words []string
	for k := range d.toks {
		if !ix.familyWord(d, p, used, k) {
			continue
		}
		words = words[:0]
		for j := k; j < len(d.toks) && j-k < ix.depth; j++ {
			if !ix.familyWord(d, p, used, j) || j > k && d.toks[j].line {
				break
			}
			words = append(words, d.toks[j].fold)
			if fam := ix.familyOf(words); len(fam) > 0 && j+1-k > bhi-blo {
				best, blo, bhi = fam, k, j+1
			}
		}
	}
	return best, blo, bhi
}

// familyWord reports a word an answer may name a family with: in an
// answering part, not taken, not a product or a number already found.
func (ix *index) familyWord(d *doc, p *pools, used []bool, k int) bool {
	t := d.toks[k]
	return t.kind == tWord && !p.excluded[k] && p.answers[k] && !used[k] && d.prodAt[k] < 0 && d.qtyAt[k] < 0
}

// distinguish returns the candidates whose names hold every distinctive
// word of the answer (words that some candidate has and another lacks),
// with the token range of those words. Only a short part of a sentence
// answers so ("the Plan 2 one", "le Microsoft", "Right, it's Plan 1"): in a
// longer one such a word is prose ("je regarde avec Microsoft et je
// reviens vers vous").
func (ix *index) distinguish(d *doc, cands []string, p *pools) ([]string, int, int) {
	words := ix.candidateWords(cands)
	got := slices.Clone(cands)
	lo, hi, n := -1, -1, 0
	for k, t := range d.toks {
		if t.kind == tPunct || t.kind == tEmail || p.excluded[k] {
			continue
		}
		has, ok := words[t.fold]
		if !ok || len(has) == len(cands) {
			continue // a word of every candidate, or of none: tells nothing
		}
		if !p.answers[k] {
			continue
		}
		got = intersect(got, has)
		if lo < 0 {
			lo = k
		}
		hi = k + 1
		n++
	}
	if n == 0 {
		return nil, -1, -1
	}
	return got, lo, hi
}

// candidateWords maps each word of the candidates' names to the
// candidates whose names have it.
func (ix *index) candidateWords(cands []string) map[string][]string {
	words := map[string][]string{}
	for _, n := range ix.names {
		if !slices.Contains(cands, n.sku) {
			continue
		}
		for _, w := range n.words {
			if !slices.Contains(words[w], n.sku) {
				words[w] = append(words[w], n.sku)
			}
		}
	}
	return words
}

func intersect(a, b []string) []string {
	var out []string
	for _, s := range a {
		if slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}

func markUsed(used []bool, lo, hi int) {
	for k := max(lo, 0); k < hi && k < len(used); k++ {
		used[k] = true
	}
}

func clonePartial(op *ledger.Op) *ledger.Op {
	o := cloneOp(*op)
	return &o
}

func cloneOp(op ledger.Op) ledger.Op {
	op.Users = slices.Clone(op.Users)
	return op
}

func withSKU(op ledger.Op, skus []string) *ledger.Op {
	if op.SKU == "" && len(skus) == 1 {
		op.SKU = skus[0]
	}
	return &op
}

// contextProducts are the products of the earlier request: what "1 more"
// in an answer counts when the answer names none.
func contextProducts(ctx *Context) []string {
	var out []string
	add := func(sku string) {
		if sku != "" && !slices.Contains(out, sku) {
			out = append(out, sku)
		}
	}
	for _, op := range ctx.Understood {
		if op.Kind != ledger.OpSwitch {
			add(op.SKU)
		} else {
			add(op.To)
		}
	}
	for _, e := range ctx.Missing {
		if e.Partial != nil && questionCodes[e.Code] {
			add(e.Partial.SKU)
		}
	}
	return out
}

// usedAll reports whether the answer's completion read the clause: it took
// every item of it, or the product or users it names ("attribuez-en une à
// dave@… (nous avons 25 licences d'essai)" assigns once; "ce sont bien des
// Office 365 E3 qu'il nous faut pour nos trois arrivants" chose the
// product). The clause then asks nothing more.
func (d *doc) usedAll(c clause, used []bool) bool {
	any, all := false, true
	for k := c.lo; k < c.hi; k++ {
		if d.prodAt[k] >= 0 || d.qtyAt[k] >= 0 || d.toks[k].kind == tEmail {
			if used[k] && (d.toks[k].kind == tEmail || d.prodAt[k] >= 0) {
				return true
			}
			all = all && used[k]
			any = true
		}
	}
	return any && all
}
