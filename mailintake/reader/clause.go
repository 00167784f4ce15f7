package reader

// segment is a sentence or a line: the unit requests are looked for in.
type segment struct {
	lo, hi int  // token range
	colon  bool // ends with ":" (a list follows)
	stop   bool // ends with ".", "!" or "?"
}

// clause is one request, or what looked like one, inside a segment.
type clause struct {
	lo, hi int // token range, the verb's group included
	verb   int // the trigger word, -1 for "5 E3 de plus" without a verb
	info   verbInfo
	textLo int // byte range of the text the clause is about, for Issue.Text
	textHi int
}

// segments cuts the token stream at line breaks and sentence ends.
func (d *doc) segments() []segment {
	var out []segment
	lo := 0
	flush := func(hi int) {
		if hi > lo {
			s := segment{lo: lo, hi: hi}
			last := d.toks[hi-1]
			s.colon = last.kind == tPunct && last.lower == ":"
			s.stop = d.isStop(hi - 1)
			out = append(out, s)
		}
		lo = hi
	}
	for k := range d.toks {
		if d.toks[k].line && k > lo {
			flush(k)
		}
		if d.isStop(k) {
			flush(k + 1)
		}
	}
	flush(len(d.toks))
	return out
}

// trigger returns the verb information of a token that asks for something.
func (d *doc) trigger(k int) (verbInfo, bool) {
	t := d.toks[k]
	if t.kind != tWord || d.prodAt[k] >= 0 || d.qtyAt[k] >= 0 || d.inIdentifier(k) {
		return verbInfo{}, false
	}
	v, ok := verbs[t.lower]
	if !ok {
		v, ok = verbsFold[t.fold]
	}
	if !ok {
		return v, false
	}
	prev := d.prevWords(k, 1)
	p1 := ""
	if len(prev) > 0 {
		p1 = d.toks[prev[0]].fold
	}
	nx := ""
	if j := d.nextWord(k); j >= 0 {
		nx = d.toks[j].fold
	}
	switch t.fold {
	case "order", "return", "change", "update", "release", "set", "drop", "purchase", "need",
		"lower", "increase", "reduction", "commande", "commandes", "besoin":
		// Nouns after a possessive or "in" refer to something: "our order",
		// "in order to", "votre commande", "notre besoin".
		switch p1 {
		case "a":
			if t.fold != "besoin" { // "il a besoin de": French "has"
				return v, false
			}
		case "my", "our", "your", "their", "his", "her", "its", "in", "the", "this", "that", "an",
			"votre", "notre", "ma", "mon", "nos", "vos", "sa", "son", "leur", "cette", "ce":
			if k+1 < len(d.toks) && d.toks[k+1].lower == ":" && !d.toks[k+1].line {
				break // "voici notre commande : 5 E3" introduces it
			}
			return v, false
		}
	}
	if v.noun && (referenceBefore[p1] || p1 == "bon" || p1 == "purchase") {
		return v, false // "Référence commande", "n° de commande", "purchase order": a reference
	}
	switch t.fold {
	case "get", "gets", "have", "haves", "avoir", "obtenir", "recevoir":
		// Only "can we get", "could I have", "please can we have",
		// "pourrions-nous avoir", "puis-je obtenir" ask for something.
		if !d.modalSubjectBefore(k) {
			return v, false
		}
	}
	switch {
	case (p1 == "si" || p1 == "au" || p1 == "if") &&
		(t.fold == "besoin" || t.fold == "needed" || t.fold == "required" || t.fold == "need"),
		t.fold == "set" && (nx == "up" || nx == "of"),
		t.fold == "give" && (nx == "up" || nx == "back"),
		t.fold == "top" && nx != "up",
		t.fold == "drop" && (nx == "by" || nx == "off" || nx == "me" || nx == "us"),
		t.fold == "return" && (nx == "to" || nx == "home"),
		(t.fold == "go" || t.fold == "went" || t.fold == "gone") && nx != "from" && nx != "up" && nx != "down":
		return v, false
	}
	return v, true
}

// modalSubjectBefore reports a modal and its subject right before token k:
// "can we", "could I", "may we", "pourrions-nous", "puis-je", "pouvons-nous".
func (d *doc) modalSubjectBefore(k int) bool {
	p := d.prevWords(k, 2)
	if len(p) < 2 {
		return false
	}
	a, b := d.toks[p[1]].fold, d.toks[p[0]].fold
	switch {
	case (a == "can" || a == "could" || a == "may") && (b == "we" || b == "i"):
		return true
	case (a == "pourrions" || a == "pouvons") && b == "nous", (a == "puis" || a == "pourrais") && b == "je",
		(a == "pouvez" || a == "pourriez") && b == "vous" && (d.toks[k].fold == "obtenir"):
		return true
	}
	return false
}

// inIdentifier reports a word glued to others by "_" or "." ("nil_add_12",
// "order.total"): code or a file name, not prose.
func (d *doc) inIdentifier(k int) bool {
	glued := func(j int) bool {
		t := d.toks[j]
		return t.kind == tPunct && (t.lower == "_" || t.lower == ".")
	}
	// "NW-2026-118", "CMD-2026-1142": a number glued by a dash to a word is
	// a reference (issue 9, class 3).
	if d.toks[k].kind == tNum && k > 1 && !d.toks[k].space && !d.toks[k].line {
		if p := d.toks[k-1]; p.kind == tPunct && (p.lower == "-" || p.lower == "/") && !p.space && !p.line &&
			d.toks[k-2].kind == tWord {
			return true
		}
	}
	if k > 0 && !d.toks[k].space && !d.toks[k].line && glued(k-1) && k > 1 && !d.toks[k-1].space && d.toks[k-2].kind != tPunct {
		return true
	}
	if k+2 < len(d.toks) && glued(k+1) && !d.toks[k+1].space && !d.toks[k+2].space && !d.toks[k+2].line && d.toks[k+2].kind != tPunct {
		return true
	}
	return false
}

// isSeparator reports a token that ends a clause inside a sentence.
func (d *doc) isSeparator(k int) bool {
	t := d.toks[k]
	if d.prodAt[k] >= 0 {
		return false // "Planner and Project Plan 3"
	}
	if t.kind == tPunct {
		if t.lower == "-" {
			return t.space // " - " separates, "vingt-cinq" does not
		}
		return isSeparatorPunct(t.lower)
	}
	return t.kind == tWord && separatorWords[t.fold]
}

// hasItemsBut is hasItems without unit words: "Commande de licences" names
// no item.
func (d *doc) hasItemsBut(lo, hi, skip int) bool {
	for k := lo; k < hi; k++ {
		if k != skip && (d.prodAt[k] >= 0 || d.qtyAt[k] >= 0 || d.toks[k].kind == tEmail) {
			return true
		}
	}
	return false
}

// hasItems reports quantities, products, addresses or unit words in [lo, hi),
// leaving out the token skip.
func (d *doc) hasItems(lo, hi, skip int) bool {
	for k := lo; k < hi; k++ {
		if k == skip {
			continue
		}
		t := d.toks[k]
		if d.prodAt[k] >= 0 || d.qtyAt[k] >= 0 || t.kind == tEmail || unitWords[t.fold] {
			return true
		}
	}
	return false
}

// clauses finds the requests of a segment: one per trigger word, a trigger's
// group reaching back over its negations and politeness ("merci de ne pas
// ajouter") to the previous separator. Triggers with nothing of their own
// before the next one form a chain whose last verb counts ("il faut
// ajouter", "we need to add").
func (d *doc) clauses(s segment) []clause {
	var verbsAt []int
	var infos []verbInfo
	for k := s.lo; k < s.hi; k++ {
		if v, ok := d.trigger(k); ok {
			verbsAt = append(verbsAt, k)
			infos = append(infos, v)
		}
	}
	if len(verbsAt) == 0 {
		return d.markerClauses(s)
	}
	starts := make([]int, len(verbsAt))
	bySep := make([]bool, len(verbsAt))
	for i, v := range verbsAt {
		floor := s.lo
		if i > 0 {
			floor = verbsAt[i-1] + 1
		}
		lo := -1
		for k := v - 1; k >= floor; k-- {
			if d.isSeparator(k) {
				lo = k + 1
				break
			}
		}
		if lo >= 0 {
			bySep[i] = true
		} else if i == 0 {
			lo = s.lo
		} else {
			lo = v
			for lo-1 >= floor && d.toks[lo-1].kind != tEmail && d.prodAt[lo-1] < 0 && d.qtyAt[lo-1] < 0 &&
				(preVerbWords[d.toks[lo-1].fold] || d.toks[lo-1].kind == tPunct && softPunct(d.toks[lo-1].lower)) {
				lo--
			}
		}
		starts[i] = lo
	}
	type raw struct {
		c     clause
		items bool // quantities, products, addresses or units of its own
	}
	var out []raw
	for i, v := range verbsAt {
		hi := s.hi
		if i+1 < len(verbsAt) {
			hi = starts[i+1]
		}
		r := raw{c: clause{lo: starts[i], hi: hi, verb: v, info: infos[i]}, items: d.hasItems(starts[i], hi, v)}
		if n := len(out); n > 0 && !bySep[i] && !out[n-1].items {
			// A chain: "nous avons besoin d'ajouter", "we need to add".
			r.c.lo = out[n-1].c.lo
			out = out[:n-1]
		}
		out = append(out, r)
	}
	// "5 E3 licenses need to be added": a verb with nothing of its own right
	// after a need is the need's verb.
	kept := out[:1]
	for _, r := range out[1:] {
		p := &kept[len(kept)-1]
		if p.c.info.class == cNeed && !r.items && !d.separated(p.c.verb, r.c.verb) {
			p.c.hi, p.c.verb, p.c.info = r.c.hi, r.c.verb, r.c.info
			continue
		}
		kept = append(kept, r)
	}
	cs := make([]clause, len(kept))
	for i, r := range kept {
		cs[i] = r.c
	}
	// "5 E3, merci de les ajouter": a pronoun object brings back the items
	// before the separator.
	if c := &cs[0]; c.lo > s.lo && !kept[0].items && d.hasPronoun(c.lo, c.hi) {
		c.lo = s.lo
	}
	for i := range cs {
		cs[i].textLo, cs[i].textHi = d.toks[s.lo].start, d.toks[s.hi-1].end
	}
	return cs
}

// separated reports a separator between tokens a and b.
func (d *doc) separated(a, b int) bool {
	for k := a + 1; k < b; k++ {
		if d.isSeparator(k) {
			return true
		}
	}
	return false
}

func (d *doc) hasPronoun(lo, hi int) bool {
	for k := lo; k < hi; k++ {
		switch d.toks[k].fold {
		case "les", "en", "them", "these", "those", "it":
			return true
		}
	}
	return false
}

// markerClauses finds requests without a verb: "5 E3 de plus", "+3 E5",
// "2 E1 de moins". The whole segment is one clause; items without a marker
// of their own are reported, not guessed.
func (d *doc) markerClauses(s segment) []clause {
	if d.anyWord(s.lo, s.hi, haveWords) {
		return nil // "nous avons 5 E3 de plus que l'an dernier" describes
	}
	for _, q := range d.qtysIn(s.lo, s.hi) {
		// "5 E3 de plus", "+3 E5"; "Business Basic : 14 → 16" (a total
		// that changes, next to the product it counts).
		if q.more || q.hasFrom && d.hasProduct(s.lo, s.hi) {
			return []clause{{lo: s.lo, hi: s.hi, verb: -1, textLo: d.toks[s.lo].start, textHi: d.toks[s.hi-1].end}}
		}
	}
	for k := s.lo + 1; k < s.hi; k++ {
		if (d.phraseAt(k, s.hi, moreAfterP) || d.phraseAt(k, s.hi, lessAfterP)) && d.markerNextToItem(k, s) &&
			!d.comparative(k, s.hi) {
			return []clause{{lo: s.lo, hi: s.hi, verb: -1, textLo: d.toks[s.lo].start, textHi: d.toks[s.hi-1].end}}
		}
	}
	return nil
}

// comparative reports a marker at k that compares ("5 de plus que prévu",
// "2 more than last year") rather than asks.
func (d *doc) comparative(k, hi int) bool {
	for j, n := k+1, 0; j < hi && n < 3; j++ {
		if d.toks[j].kind == tPunct {
			continue
		}
		if f := d.toks[j].fold; f == "que" || f == "qu" || f == "than" {
			return true
		}
		n++
	}
	return false
}

// markerNextToItem reports a marker right after a quantity, a product or a
// unit word ("5 de plus", "5 E3 supplémentaires", "5 licences en plus"), or
// between a quantity and what it counts ("5 more E3").
func (d *doc) markerNextToItem(k int, s segment) bool {
	p := d.prevWords(k, 1)
	if len(p) == 0 || p[0] < s.lo {
		return false
	}
	j := p[0]
	return d.qtyAt[j] >= 0 || d.prodAt[j] >= 0 || unitWords[d.toks[j].fold]
}

// matchAt reports whether the words from token k on (punctuation stepped
// over, not past hi) are the phrase ph.
func (d *doc) matchAt(k, hi int, ph []string) bool {
	j := k
	for _, w := range ph {
		for j < hi && d.toks[j].kind == tPunct && d.toks[j].lower != "+" {
			j++
		}
		if j >= hi || d.toks[j].fold != w || (j > k && d.toks[j].line) {
			return false
		}
		j++
	}
	return true
}

// phraseList is a list of phrases indexed by their first word.
type phraseList map[string][][]string

func phrases(list ...[]string) phraseList {
	m := phraseList{}
	for _, ph := range list {
		m[ph[0]] = append(m[ph[0]], ph)
	}
	return m
}

// phraseAt reports whether a phrase of list starts at token k.
func (d *doc) phraseAt(k, hi int, list phraseList) bool {
	for _, ph := range list[d.toks[k].fold] {
		if d.matchAt(k, hi, ph) {
			return true
		}
	}
	return false
}

// anyPhrase reports whether any phrase of list occurs in [lo, hi).
func (d *doc) anyPhrase(lo, hi int, list phraseList) bool {
	for k := lo; k < hi; k++ {
		t := d.toks[k]
		if t.kind == tPunct && t.lower != "~" {
			continue
		}
		for _, ph := range list[t.fold] {
			if d.matchAt(k, hi, ph) {
				return true
			}
		}
	}
	return false
}

// isItemLine reports a line that only lists quantities, products, users and
// unit words ("- 5 E3", "Business Premium", "3 x E5 pour bob@contoso.com"):
// it continues a request whose verb came on an earlier line.
func (d *doc) isItemLine(s segment) bool {
	found := false
	for k := s.lo; k < s.hi; k++ {
		t := d.toks[k]
		switch {
		case d.prodAt[k] >= 0 || d.qtyAt[k] >= 0 || t.kind == tEmail:
			found = true
		case t.kind == tPunct, unitWords[t.fold], itemNoise[t.fold]:
		default:
			return false
		}
	}
	return found
}

// itemNoise may sit in an item line.
var itemNoise = wordSet("de", "des", "d", "x", "pour", "for", "of", "more", "additional", "extra",
	"qty", "qte", "quantite", "quantity", "nb", "nbre",
	"supplementaire", "supplementaires", "et", "and", "a", "to", "par", "each", "chacun", "chacune",
	"au", "total", "plus", "moins", "en", "tout", "in", "le", "la", "les", "the", "fewer", "less",
	"nouvelle", "nouvelles", "new", "svp", "please", "merci")

// skipReason tells why a clause is not a request, or "" when it is one.
func (d *doc) skipReason(c clause) string {
	// A price word before the verb makes the clause a question ("how much
	// would it cost to add 5 E3?", "un devis pour ajouter 5 E3"); after it,
	// the question rides along with the request ("could we add 2 more, and
	// how much would that be?"), which R-COST answers.
	if hi := c.verb; hi < 0 && d.anyWord(c.lo, c.hi, priceWords) || hi >= 0 && d.anyWord(c.lo, hi, priceWords) {
		return "price"
	}
	if d.phraseAt(d.firstWord(c.lo, c.hi), c.hi, gratitudeP) {
		return "thanks" // "merci pour l'ajout des 5 E3", "thanks for the E3 order"
	}
	if c.verb < 0 {
		return ""
	}
	v := c.verb
	// Negation before the verb, unless it is "n'oubliez pas de", "don't
	// hesitate to".
	neg, cancelled := false, false
	for k := c.lo; k < v; k++ {
		f := d.toks[k].fold
		if negationCancel[f] {
			neg, cancelled = false, true
			continue
		}
		if cancelled {
			continue // "n'oubliez pas de", "don't forget to"
		}
		if d.toks[k].kind == tWord && (negationWords[f] || f == "no" && k+1 < len(d.toks) && d.toks[k+1].lower != "." && d.toks[k+1].kind != tNum) {
			neg = true
		}
	}
	for k, n := v+1, 0; k < c.hi && n < 2; k++ {
		if d.toks[k].kind == tPunct {
			if d.toks[k].lower == "-" {
				continue
			}
			break
		}
		if negationAfter[d.toks[k].fold] {
			neg = true
		}
		n++
	}
	if neg {
		return "negated"
	}
	switch c.info.form {
	case fFuture:
		return "future"
	case fPast:
		return "past"
	case fParticiple:
		// Passive: "doivent être ajoutées", "need to be added".
		if p := d.prevWords(v, 1); len(p) == 1 {
			if f := d.toks[p[0]].fold; f == "etre" || f == "be" {
				return ""
			}
		}
		return "past"
	}
	// An auxiliary before the verb: "nous avons ajoute" (no accent), "did
	// you add", "avions besoin".
	prev := d.prevWords(v, 4)
	for _, k := range prev {
		t := d.toks[k]
		if d.toks[v].fold == "besoin" {
			if frPastBesoin[t.fold] {
				return "past"
			}
		} else if frAux[t.lower] && c.info.form != fInfinitive || enAux[t.fold] {
			return "past"
		}
		if !auxSkip[t.fold] {
			break
		}
	}
	// "we will add", "nous allons commander": a plan, not a request.
	for i, k := range prev {
		if futureAux[d.toks[k].fold] {
			for _, j := range prev[i+1:] {
				f := d.toks[j].fold
				if futureSubject[f] {
					return "future"
				}
				if f != "am" && f != "are" && f != "is" && f != "re" {
					break
				}
			}
		}
	}
	return ""
}

// firstWord returns the first non-punctuation token in [lo, hi), or lo.
func (d *doc) firstWord(lo, hi int) int {
	for k := lo; k < hi; k++ {
		if d.toks[k].kind != tPunct {
			return k
		}
	}
	return lo
}

func (d *doc) anyWord(lo, hi int, set map[string]bool) bool {
	for k := lo; k < hi; k++ {
		if d.toks[k].kind == tWord && set[d.toks[k].fold] {
			return true
		}
	}
	return false
}
