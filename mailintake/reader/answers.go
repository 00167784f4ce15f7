package reader

import (
	"github.com/licensedesk/licensedesk/ledger"
)

// What an answer looks like (SPEC §4.6, issue 11). A customer answers a
// question in a few words ("Office 365 E3, s'il vous plaît", "Four,
// please", "c'est pour alice@…"), sometimes next to a remark of their own
// ("4 please – Olivia asked me to confirm the number", "Claire est absente
// cet après-midi : c'est pour alice@…"). The reader tells such an answer
// from prose that merely names a product or a number ("Notre équipe utilise
// déjà Business Premium depuis l'an dernier") by its length: a part of a
// sentence, cut at a colon or a dash, of at most six words of its own, that
// neither describes what the tenant has nor denies. Courtesies, assents and
// presentatives ("s'il vous plaît", "please", "merci", "oui", "c'est",
// "it's") are no words of its own, and a product name or a quantity counts
// as one word, however it is written.

// maxAnswerWords is the most words of its own an answering part has.
const maxAnswerWords = 6

var (
	// answerFillerP are the courtesies, assents and presentatives of more
	// than one word.
	answerFillerP = phrases(
		[]string{"si", "il", "vous", "plait"}, []string{"si", "il", "te", "plait"}, []string{"thank", "you"},
		[]string{"je", "vous", "remercie"}, []string{"merci", "beaucoup"}, []string{"many", "thanks"},
		[]string{"thanks", "a", "lot"}, []string{"de", "accord"}, []string{"ce", "est"}, []string{"it", "is"},
		[]string{"it", "s"}, []string{"that", "is"}, []string{"that", "s"}, []string{"ce", "sera"},
		[]string{"very", "much"},
		// settling on a choice: "let's go with 5 for now then", "tant
		// pis, on part sur 8 alors"
		[]string{"let", "s", "go", "with"}, []string{"let", "s", "go", "for"}, []string{"let", "s", "say"},
		[]string{"let", "s", "do"}, []string{"go", "with"}, []string{"go", "for"}, []string{"make", "it"},
		[]string{"we", "will", "take"}, []string{"on", "part", "sur"}, []string{"partons", "sur"}, []string{"on", "prendra"},
		[]string{"for", "now"}, []string{"pour", "le", "instant"}, []string{"pour", "le", "moment"}, []string{"tant", "pis"},
		[]string{"dans", "ce", "cas"}, []string{"in", "that", "case"}, []string{"in", "which", "case"},
	)
	// answerFiller are the courtesies and assents of one word.
	answerFiller = wordSet("please", "pls", "plz", "svp", "stp", "merci", "thanks", "thx", "cheers", "oui", "yes",
		"yep", "yeah", "ok", "okay", "right", "bonjour", "hello", "hi", "parfait", "perfect", "great", "sure",
		"entendu", "understood", "then", "alors", "mettons", "disons")
)

// parts cuts the sentence s at its colons and dashes ("4 please – Olivia
// asked me…"), never inside a product name or a quantity.
func (d *doc) parts(s *sentence, f func(lo, hi int)) {
	lo := s.lo
	for k := s.lo; k < s.hi; k++ {
		if d.partBreak(k, s.hi) {
			if k > lo {
				f(lo, k)
			}
			lo = k + 1
		}
	}
	if s.hi > lo {
		f(lo, s.hi)
	}
}

// partBreak reports what sets a remark apart from an answer: a colon or a
// dash between words (":", "–", "—", or a "-" with a space on each side),
// a parenthesis ("c'est pour Dave Leroy (dave@…)"), or a comma before a
// remark (see remarkOpeners): each side is a part of its own.
func (d *doc) partBreak(k, hi int) bool {
	t := d.toks[k]
	if t.kind != tPunct || d.prodAt[k] >= 0 || d.qtyAt[k] >= 0 {
		return false
	}
	switch t.lower {
	case ":", "–", "—", "(", ")":
		return true
	case "-":
		return t.space && k+1 < hi && d.toks[k+1].space
	case ",":
		return k+1 < hi && remarkOpeners[d.toks[k+1].fold]
	}
	return false
}

// remarkOpeners after a comma open a remark of its own: a relative clause
// (", qui rejoint l'équipe finance", ", who starts on Monday"), a
// comparison (", comme pour le reste du service", ", like the other
// shops"), a consequence (", so three it is", ", donc quatre") or a
// contrast (", pas la suite complète").
var remarkOpeners = wordSet("qui", "lequel", "laquelle", "lesquels", "lesquelles", "dont", "who", "whom", "whose", "which",
	"comme", "like", "so", "donc", "therefore",
	// a contrast: "les Applications Microsoft 365 pour les entreprises,
	// pas la suite complète", "Plan 1, not Plan 2"
	"pas", "not", "non")

// answeringPart reports whether [lo, hi) is short enough to be an answer,
// and neither describes (a verb of having) nor denies.
func (d *doc) answeringPart(lo, hi int) bool {
	n := 0
	for k := lo; k < hi; {
		t := d.toks[k]
		switch {
		case d.prodAt[k] >= 0:
			n++
			k = max(k+1, d.prods[d.prodAt[k]].hi)
			continue
		case d.qtyAt[k] >= 0:
			n++
			k = max(k+1, d.qtys[d.qtyAt[k]].hi)
			continue
		case t.kind == tPunct:
			k++
			continue
		case t.kind == tWord && (haveWords[t.fold] || negationWords[t.fold]):
			return false
		}
		if end := d.fillerEnd(k, hi); end > k {
			k = end
			continue
		}
		if !answerFiller[t.fold] {
			n++
			if n > maxAnswerWords {
				return false
			}
		}
		k++
	}
	return n <= maxAnswerWords
}

// answerParts marks the tokens of every answering part of the text. A
// part after a denied verb is none: "merci de ne pas en ajouter : 3" may
// name what is not wanted.
func (d *doc) answerParts() []bool {
	out := make([]bool, len(d.toks))
	for si := range d.sents {
		denied := false
		d.parts(&d.sents[si], func(lo, hi int) {
			if !denied && d.answeringPart(lo, hi) {
				for k := lo; k < hi; k++ {
					out[k] = true
				}
			}
			denied = denied || d.deniesRequest(lo, hi)
		})
	}
	return out
}

// deniesRequest reports a negated verb of request in [lo, hi): "merci de
// ne pas en ajouter", "please don't add any".
func (d *doc) deniesRequest(lo, hi int) bool {
	return d.anyWord(lo, hi, negationWords) && d.hasTrigger(lo, hi)
}

// hasTrigger reports a verb or noun of request in [lo, hi).
func (d *doc) hasTrigger(lo, hi int) bool {
	for k := lo; k < hi; k++ {
		if _, ok := d.trigger(k); ok {
			return true
		}
	}
	return false
}

// fillerEnd returns the end of the courtesy of several words starting at
// token k, or k when none does.
func (d *doc) fillerEnd(k, hi int) int {
	for _, ph := range answerFillerP[d.toks[k].fold] {
		if d.matchAt(k, hi, ph) {
			return d.phraseEnd(k, hi, len(ph))
		}
	}
	return k
}

// Choosing every candidate (issue 11, class 1). "Les deux" and "both" choose
// both candidates only when they answer the choice: alone or with a
// courtesy ("oui, les deux", "both please", "les deux, merci"), "both of
// them", "tous les deux", "both plans". Followed by a noun of their own
// ("pour les deux nouveaux arrivants", "for both shops") they count or
// describe; after a greeting ("merci à tous", "thanks all", "hi all") they
// greet.
var (
	bothWords = wordSet("both")
	allWords  = wordSet("all", "tous", "toutes", "chacun", "chacune")
	twoWords  = wordSet("deux", "two", "2")
	// candidateNouns may follow "both"/"les deux": they name the
	// candidates themselves.
	candidateNouns = wordSet("produits", "produit", "products", "product", "plans", "plan", "offres", "offers",
		"options", "versions", "editions", "licences", "licenses", "abonnements", "subscriptions", "ones", "types",
		"formules")
	// choiceFollowers may follow a choice without making it a count:
	// "both then", "les deux alors", "both too".
	choiceFollowers = wordSet("alors", "then", "aussi", "too", "also", "donc", "egalement")
	// greetingBefore make "tous"/"all" a greeting: "merci à tous",
	// "thanks all", "hi all", "bonjour à tous".
	greetingBefore = wordSet("a", "to", "merci", "thanks", "hi", "hello", "bonjour", "dear", "cher", "chers", "salut")
	// themWords after "of"/"d'entre": "both of them", "les deux d'entre eux".
	themWords = wordSet("them", "these", "those", "eux", "elles")
)

// choice reports whether token k chooses every candidate: both (two of
// them) or all.
func (d *doc) choice(k int) (both, all bool) {
	t := d.toks[k]
	if t.kind == tPunct || t.kind == tEmail {
		return false, false
	}
	f := t.fold
	start := k
	switch {
	case bothWords[f]:
		both = true
	case twoWords[f]:
		pv := d.prevWords(k, 2)
		if len(pv) == 0 || !(d.toks[pv[0]].fold == "les" || d.toks[pv[0]].fold == "the" || d.toks[pv[0]].fold == "aux") {
			return false, false
		}
		both, start = true, pv[0]
		if len(pv) == 2 && allWords[d.toks[pv[1]].fold] {
			start = pv[1] // "tous les deux"
		}
	case allWords[f]:
		if nx := d.nextWord(k); nx >= 0 && (d.toks[nx].fold == "les" || d.toks[nx].fold == "the") {
			if nn := d.nextWord(nx); nn >= 0 && twoWords[d.toks[nn].fold] {
				return false, false // "tous les deux": read at "deux"
			}
		}
		all = true
	default:
		return false, false
	}
	if pv := d.prevWords(start, 1); len(pv) == 1 && greetingBefore[d.toks[pv[0]].fold] {
		return false, false // "merci à tous", "thanks all", "thanks both"
	}
	if !d.endsChoice(k) {
		return false, false
	}
	return both, all
}

// endsChoice reports whether what follows the choice word at k leaves it a
// choice: nothing (the end of the sentence, a comma, a dash), a courtesy,
// "of them", or a word naming the candidates.
func (d *doc) endsChoice(k int) bool {
	j := -1
	for i := k + 1; i < len(d.toks); i++ {
		t := d.toks[i]
		if t.line && t.blank {
			return true
		}
		if t.kind == tPunct {
			if d.isStop(i) || isSeparatorPunct(t.lower) || t.lower == "-" {
				return true
			}
			continue
		}
		j = i
		break
	}
	if j < 0 {
		return true
	}
	f := d.toks[j].fold
	switch {
	case answerFiller[f], candidateNouns[f], choiceFollowers[f], d.phraseAt(j, len(d.toks), answerFillerP):
		return true
	case f == "of" || f == "de":
		if nx := d.nextWord(j); nx >= 0 {
			if themWords[d.toks[nx].fold] {
				return true
			}
			if d.toks[nx].fold == "entre" { // "les deux d'entre eux"
				nn := d.nextWord(nx)
				return nn >= 0 && themWords[d.toks[nn].fold]
			}
		}
	}
	return false
}

// fragments reports, for a message read outside a conversation that asks
// for nothing else, the parts that are an answer with nothing to answer
// (issue 11, class 8): "3 please." names no product (UnknownProduct),
// "Office 365 E3." no quantity nor operation (QuantityMissing). Such a
// message is an incomplete request, asked about; only one with nothing
// request-like (thanks, an acknowledgement, an out-of-office) is no request.
// A fragment is one item alone in its part, with nothing but courtesies
// and adverbs around it ("Sorry for the slow reply – 3 please."); a
// sentence with a verb, an address, a condition or a question holds none,
// nor does "5 E3", which names both and asks nothing.
func (st *state) fragments(d *doc) {
	for si := range d.sents {
		s := &d.sents[si]
		if s.cond || s.interrog || d.phraseAt(d.firstWord(s.lo, s.hi), s.hi, gratitudeP) || d.hasEmail(s.lo, s.hi) {
			continue
		}
		if d.hasTrigger(s.lo, s.hi) {
			continue // a verb: read, or not, as a request
		}
		d.parts(s, func(lo, hi int) {
			if st.full() {
				return
			}
			it, ok := d.fragment(lo, hi)
			if !ok {
				return
			}
			text := d.sentenceText(s.lo)
			partial := &ledger.Op{Kind: ledger.OpAdd}
			if q := it.q; q != nil {
				if q.status == qOK {
					partial.Quantity = q.value
				}
				st.issue(Issue{Code: ledger.UnknownProduct, Text: text, Detail: detailNoProduct(st.lang, d.phrase(q.lo, q.hi)),
					Candidates: st.heldFew(), Partial: partial})
				return
			}
			p := it.p
			name := d.phrase(p.lo, p.hi)
			if len(p.skus) == 1 {
				partial.SKU = p.skus[0]
				name = productName(st.cat, p.skus[0])
			} else {
				st.issue(Issue{Code: ledger.AmbiguousProduct, Text: text, Candidates: append([]string(nil), p.skus...),
					Detail: detailAmbiguous(st.lang, st.cat, name, p.skus), Partial: partial})
			}
			st.issue(Issue{Code: ledger.QuantityMissing, Text: text, Detail: detailQuantity(st.lang, name, "", whyNone),
				Partial: partial})
		})
	}
}

// fragment returns the one item of [lo, hi) when nothing but courtesies,
// adverbs and licence words stand around it: a number that counts nothing
// else ("3 please", "3 licences, merci"), or a product ("Office 365 E3.").
func (d *doc) fragment(lo, hi int) (item, bool) {
	var it item
	n := 0
	for k := lo; k < hi; {
		t := d.toks[k]
		switch {
		case d.prodAt[k] >= 0:
			p := &d.prods[d.prodAt[k]]
			if p.negated {
				return it, false
			}
			it.p, n = p, n+1
			k = max(k+1, p.hi)
			continue
		case d.qtyAt[k] >= 0:
			q := &d.qtys[d.qtyAt[k]]
			if q.negated || !(q.status == qOK && q.value > 0 || q.status == qFuzzy) || d.countsOther(q) || d.describes(q) {
				return it, false
			}
			if k > lo && d.toks[k-1].kind == tPunct && !d.toks[k].space && !softPunct(d.toks[k-1].lower) {
				return it, false // ":+1:", "#3"
			}
			it.q, n = q, n+1
			k = max(k+1, q.hi)
			continue
		case t.kind == tPunct:
			k++
			continue
		case t.kind != tWord:
			return it, false
		}
		if end := d.fillerEnd(k, hi); end > k {
			k = end
			continue
		}
		if !answerFiller[t.fold] && !adverbs[t.fold] && !unitWords[t.fold] {
			return it, false
		}
		k++
	}
	return it, n == 1
}

// maxHeldSuggestions is the most products a tenant may hold for the
// question about a number without a product to offer them.
const maxHeldSuggestions = 3

// heldFew returns the products the tenant holds, in catalog order, when
// they are few: what a number without a product most likely counts, offered
// (never applied) as the candidates of the question, so that the reply's
// example is one of the tenant's own products rather than a product it may
// not have.
func (st *state) heldFew() []string {
	if len(st.held) == 0 || len(st.held) > maxHeldSuggestions {
		return nil
	}
	var out []string
	for _, p := range st.cat.All() {
		if _, ok := st.held[p.SKU]; ok {
			out = append(out, p.SKU)
		}
	}
	return out
}
