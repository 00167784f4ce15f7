package reader

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/licensedesk/licensedesk/ledger"
)

// doc is one text (the body or the subject) with what was found in it.
type doc struct {
	text   string
	toks   []token
	lang   string
	prodAt []int // per token: the product mention covering it, or -1
	qtyAt  []int // per token: the quantity mention covering it, or -1
	prods  []pmention
	qtys   []qmention
	sents  []sentence
	sentAt []int32 // per token: its sentence
	// used marks the tokens an answer's completion took (SPEC §4.6); nil
	// outside a conversation.
	used []bool
}

// pmention is a product name found in the text.
type pmention struct {
	lo, hi  int      // token range
	skus    []string // one when certain, several when ambiguous
	words   []string // the folded words of the name as matched
	negated bool     // "pas de E5", "except E5"
	// all are the candidates before the tenant's holdings narrowed them
	// (issue 9, class 7): a question about "E3" is answered for each.
	all []string
}

// qStatus says whether a quantity can be used.
type qStatus uint8

const (
	qOK        qStatus = iota
	qFuzzy             // "environ 20", "5 ou 6", "quelques": not one exact number
	qAmbiguous         // "1.000" in English: two readings
	qDecimal           // "2,5": not a whole number
	qTooLarge          // more than ledger.MaxQuantity
)

// qRole is what the words before a quantity make of it.
type qRole uint8

const (
	rPlain  qRole = iota
	rTo           // "à 40", "to 40": a new total with a verb that can set one
	rToWeak       // French "a 40" written without its accent
	rUpTo         // "jusqu'à 40", "up to 40": a total with set verbs, a bound otherwise
	rBy           // "by 5": a difference
	rDe           // French "de 5": a difference after augmenter/réduire
	rTotal        // "a total of 40", "total de 40"
)

// qmention is a quantity found in the text.
type qmention struct {
	lo, hi  int // token range
	value   int
	status  qStatus
	role    qRole
	more    bool // "+5", "another", "une autre"
	negated bool // "pas 3"
	// from is the first number of "de 10 à 15" / "from 10 to 15": the
	// total the sender believes they have (issue 9, class 2).
	from    int
	hasFrom bool
}

// qtysIn returns the quantities starting in [lo, hi); the list is in text
// order, so a binary search keeps clause after clause linear.
func (d *doc) qtysIn(lo, hi int) []*qmention {
	a, _ := slices.BinarySearchFunc(d.qtys, lo, func(q qmention, k int) int { return q.lo - k })
	var out []*qmention
	for i := a; i < len(d.qtys) && d.qtys[i].lo < hi; i++ {
		out = append(out, &d.qtys[i])
	}
	return out
}

// prodsIn returns the products starting in [lo, hi).
func (d *doc) prodsIn(lo, hi int) []*pmention {
	a, _ := slices.BinarySearchFunc(d.prods, lo, func(p pmention, k int) int { return p.lo - k })
	var out []*pmention
	for i := a; i < len(d.prods) && d.prods[i].lo < hi; i++ {
		out = append(out, &d.prods[i])
	}
	return out
}

func (d *doc) phrase(lo, hi int) string {
	if lo >= hi {
		return ""
	}
	return strings.TrimSpace(d.text[d.toks[lo].start:d.toks[hi-1].end])
}

// sameLine reports whether tokens a < b are on one line.
func (d *doc) sameLine(a, b int) bool {
	for k := a + 1; k <= b; k++ {
		if d.toks[k].line {
			return false
		}
	}
	return true
}

// isStop reports punctuation that ends a sentence.
func (d *doc) isStop(k int) bool {
	t := d.toks[k]
	if t.kind != tPunct {
		return false
	}
	switch t.lower {
	case "!", "?", ";", "…", "¿", "¡":
		return true
	case ".":
		if k+1 < len(d.toks) && !d.toks[k+1].space && !d.toks[k+1].line {
			return false // "1.5", "contoso.com", "..."
		}
		if k > 0 && d.toks[k-1].kind == tWord && !t.space && abbreviations[d.toks[k-1].fold] {
			return false
		}
		return true
	}
	return false
}

// prevWords returns the indexes of up to n words (and numbers) before token
// i, nearest first, on the same line and in the same sentence; punctuation
// other than a sentence end is stepped over.
func (d *doc) prevWords(i, n int) []int {
	var out []int
	for k := i - 1; k >= 0 && len(out) < n; k-- {
		if d.toks[k+1].line {
			break
		}
		if d.toks[k].kind == tPunct {
			if d.isStop(k) {
				break
			}
			continue
		}
		out = append(out, k)
	}
	return out
}

// nextWord returns the index of the first word (or number) after token i on
// the same line, stepping over punctuation other than a sentence end; -1 if none.
func (d *doc) nextWord(i int) int {
	for k := i + 1; k < len(d.toks); k++ {
		if d.toks[k].line {
			return -1
		}
		if d.toks[k].kind == tPunct {
			if d.isStop(k) {
				return -1
			}
			continue
		}
		return k
	}
	return -1
}

// softPunct may sit inside a product name: "Exchange Online (Plan 1)",
// "M365-E3", "O365_BUSINESS_PREMIUM".
func softPunct(s string) bool {
	switch s {
	case "-", "_", "(", ")", "/", "'", "’", "\"", "«", "»", "“", "”":
		return true
	}
	return false
}

// findProducts marks every product name, longest match first. A name may
// run over a line break when the next line continues it ("Microsoft 365
// ⏎Business Premium" in a hard-wrapped mail): the longest name wins, so a
// shorter one ("Microsoft 365 Business", Business Premium's old name) is
// never taken for it (issue 9, class 6).
//
// A bare family name is a mention too (issue 9, class 7): "E3" is also
// the end of "Microsoft 365 E3", and "Exchange", "Entra ID" or "Visio"
// begin the names of several plans. Its candidates are the whole family;
// held narrows them to what the tenant holds.
func (d *doc) findProducts(ix *index) {
	n := len(d.toks)
	for i := 0; i < n; {
		t := d.toks[i]
		if t.kind != tWord && t.kind != tNum {
			i++
			continue
		}
		node := ix.root
		end, skipped := -1, 0
		var skus []string
		var words, cur []string
		prefixEnd := -1 // the last token of the deepest prefix reached
		for k := i; k < n && node != nil; k++ {
			tk := d.toks[k]
			if k > i && tk.line && (tk.blank || len(cur) == 0) {
				break
			}
			key := tk.fold
			switch tk.kind {
			case tEmail:
				key = ""
			case tPunct:
				if key != "+" {
					if k > i && softPunct(key) && skipped < 6 {
						skipped++
						continue
					}
					key = ""
				}
			}
			if key == "" {
				break
			}
			// A plural "s" on the last word: "Business Premiums", "E3s".
			if len(key) > 1 && key[len(key)-1] == 's' {
				if c := node.next[key[:len(key)-1]]; c != nil && c.skus != nil && node.next[key] == nil {
					end, skus = k+1, c.skus
					words = append(append(words[:0], cur...), key[:len(key)-1])
				}
			}
			node = node.next[key]
			if node == nil {
				break
			}
			cur = append(cur, key)
			prefixEnd = k
			if node.skus != nil {
				end, skus = k+1, node.skus
				words = append(words[:0], cur...)
			}
		}
		if end < 0 {
			if fam := d.familyMention(ix, i, prefixEnd, cur); fam != nil {
				end, skus, words = prefixEnd+1, fam, cur
			}
		}
		if end < 0 {
			i++
			continue
		}
		m := pmention{lo: i, hi: end, skus: skus, words: slices.Clone(words)}
		// "Microsoft E3": the vendor word is not part of the name matched, but
		// points at other products whose names hold it.
		if p := d.prevWords(i, 1); len(p) == 1 && p[0] == i-1 && d.prodAt[p[0]] < 0 && d.qtyAt[p[0]] < 0 &&
			vendorWords[d.toks[p[0]].fold] && !vendorWords[m.words[0]] {
			m.words = append([]string{d.toks[p[0]].fold}, m.words...)
			m.skus = union(m.skus, ix.productsWith(m.words))
			m.lo = p[0]
		} else if fam := ix.familyOf(m.words); len(fam) > len(m.skus) && !vendorWords[m.words[0]] && m.words[0] != "365" {
			m.skus = union(m.skus, fam) // "E3": Office 365 E3 or Microsoft 365 E3
		}
		d.prods = append(d.prods, m)
		for k := m.lo; k < m.hi; k++ {
			d.prodAt[k] = len(d.prods) - 1
		}
		i = end
	}
	for pi := range d.prods {
		m := &d.prods[pi]
		for _, k := range d.prevWords(m.lo, 2) {
			if itemNegation(d, k) {
				m.negated = true
			}
			if d.prodAt[k] >= 0 || d.qtyAt[k] >= 0 {
				break
			}
		}
	}
}

// familyMention returns the family of the words [i, last] that begin
// product names without being one ("Exchange", "Entra ID", "Visio"), when
// they are written as a name (capitalised) next to what counts licences:
// a number, an article, a unit word ("2 licences Exchange", "another Visio
// licence", "3 Entra ID licences"). Elsewhere such words are prose ("our
// teams", "in exchange for").
func (d *doc) familyMention(ix *index, i, last int, words []string) []string {
	if last < i {
		return nil
	}
	fam := ix.familyOf(words)
	if len(fam) == 0 {
		return nil
	}
	first := i
	for first <= last && (vendorWords[d.toks[first].fold] || d.toks[first].fold == "365") {
		first++
	}
	if first > last {
		return nil
	}
	if r, _ := utf8.DecodeRuneInString(d.text[d.toks[first].start:]); !unicode.IsUpper(r) {
		return nil
	}
	// The name must end where the words do: "Visio Plan 1" is no Visio the
	// catalog knows, so it is an unknown product, not the family.
	if open := words[len(words)-1]; familyOpenEnd[open] {
		return nil
	}
	if nx := last + 1; nx < len(d.toks) && !d.toks[nx].line {
		t := d.toks[nx]
		if t.kind == tNum || t.kind == tWord && (!stopWords[t.fold] && !unitWords[t.fold] && !itemNoise[t.fold] &&
			!priceTopic[t.fold] && !figureWords[t.fold] || t.fold != t.lower || hasDigit(t.fold)) {
			if _, ok := d.trigger(nx); !ok {
				return nil
			}
		}
		if t.kind == tPunct && (t.lower == "(" || t.lower == "-") {
			return nil // "Exchange (Plan 3)", "Entra-X"
		}
	}
	countsBefore := func(k int) bool {
		t := d.toks[k]
		if t.kind == tNum || unitWords[t.fold] {
			return true
		}
		switch t.fold {
		case "un", "une", "a", "an", "another", "autre", "de", "des", "d", "of", "more", "extra", "additional", "x":
			return true
		}
		if f := t.fold; len(f) > 1 && f[len(f)-1] == 'x' && allDigits(f[:len(f)-1]) {
			return true // "1x Visio"
		}
		_, isNum := numberWords[t.fold]
		return isNum
	}
	if p := d.prevWords(i, 1); len(p) == 1 && countsBefore(p[0]) {
		return fam
	}
	if nx := d.nextWord(last); nx >= 0 {
		t := d.toks[nx]
		if unitWords[t.fold] || t.kind == tNum || t.fold == "more" || t.fold == "de" && d.phraseAt(nx, len(d.toks), moreAfterP) ||
			len(t.fold) > 1 && t.fold[0] == 'x' && allDigits(t.fold[1:]) {
			return fam
		}
	}
	return nil
}

// familyOpenEnd are the words a name cannot end with: more must follow.
var familyOpenEnd = wordSet("plan", "for", "pour", "les", "de", "des", "of", "and", "et")

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if isASCIIDigit(s[i]) {
			return true
		}
	}
	return false
}

// held narrows the candidates of every product mention to what the tenant
// holds (issue 9, class 7): one held product of the family is the one
// meant; several stay candidates; none leaves the family, to be asked
// about. Without holdings (nil) nothing narrows.
func (d *doc) held(h map[string]int) {
	for pi := range d.prods {
		m := &d.prods[pi]
		m.all = m.skus
		if len(m.skus) < 2 || h == nil {
			continue
		}
		var kept []string
		for _, sku := range m.skus {
			if _, ok := h[sku]; ok {
				kept = append(kept, sku)
			}
		}
		if len(kept) > 0 {
			m.skus = kept
		}
	}
}

// itemNegation reports a word that excludes the product or quantity after it.
func itemNegation(d *doc, k int) bool {
	switch d.toks[k].fold {
	case "pas", "not", "sans", "without", "sauf", "except", "excepte", "hormis", "aucun", "aucune", "ni", "nor":
		return true
	case "no":
		nx := k + 1
		return nx < len(d.toks) && d.toks[nx].lower != "." && d.toks[nx].kind != tNum
	}
	return false
}

// elliptic handles "Microsoft 365 E3 et E5"; it runs after findQuantities: the second name inherits the
// first's vendor words in the writer's mind, so when "Microsoft 365 E5" is a
// different product from "E5", both are candidates.
func (d *doc) elliptic(ix *index) {
	for pi := 1; pi < len(d.prods); pi++ {
		m := &d.prods[pi]
		if vendorWords[m.words[0]] {
			continue
		}
		prev := d.prods[pi-1]
		if m.lo-prev.hi > 8 || !d.sameLine(prev.hi-1, m.lo) || !d.onlyListBetween(prev.hi, m.lo) {
			continue
		}
		var prefix []string
		for _, w := range prev.words {
			if !vendorWords[w] && w != "365" {
				break
			}
			prefix = append(prefix, w)
		}
		if len(prefix) == 0 {
			continue
		}
		full := append(slices.Clone(prefix), m.words...)
		node := ix.root
		for _, w := range full {
			if node = node.next[w]; node == nil {
				break
			}
		}
		var alt []string
		if node != nil && node.skus != nil {
			alt = node.skus // "Microsoft 365 E3 et E5": "Microsoft 365 E5"
		} else {
			alt = ix.productsWith(full) // "Microsoft E3 et E5": SPE_E5
		}
		m.skus = union(m.skus, alt)
	}
}

// onlyListBetween reports that tokens [a, b) only join items of one list:
// "E3 et E5", "E3, 2 E5", "E3 and 3 licences of E5".
func (d *doc) onlyListBetween(a, b int) bool {
	for k := a; k < b; k++ {
		t := d.toks[k]
		switch {
		case t.kind == tPunct, t.kind == tNum, unitWords[t.fold], d.qtyAt[k] >= 0:
		case t.fold == "et", t.fold == "and", t.fold == "ou", t.fold == "or", t.fold == "de", t.fold == "of", t.fold == "x":
		default:
			return false
		}
	}
	return true
}

func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// numberWordValue reads French and English number words from token i:
// "vingt-cinq", "quatre-vingt-dix", "twenty one", "a hundred and five". It
// returns the value and the token after the last word, or ok false.
func (d *doc) numberWordValue(i int) (value, end int, ok bool) {
	total, group, last := 0, 0, 0
	end = i
	n := len(d.toks)
	for k := i; k < n; {
		t := d.toks[k]
		if t.kind != tWord {
			break
		}
		if k > i && t.line {
			break
		}
		v, isNum := numberWords[t.fold]
		if !isNum {
			break
		}
		switch {
		case v == 1000:
			if total > 0 {
				return total + group, end, end > i
			}
			total = max(group, 1) * 1000
			group, last = 0, 0
		case v == 100:
			if group >= 100 || (last > 0 && last < 10 && group != last) {
				return total + group, end, end > i
			}
			group = max(group, 1) * 100
			last = 100
		case v == 20 && group%100 == 4 && last == 4:
			group += 76 // quatre-vingt(s)
			last = 80
		default:
			ok := last == 0 || last >= 100 ||
				(last%10 == 0 && last >= 20 && v < 10) ||
				(last == 10 && v < 10) ||
				((last == 60 || last == 80) && v >= 10 && v < 20)
			if !ok {
				return total + group, end, end > i
			}
			group += v
			last = v
		}
		end = k + 1
		k++
		// Joiners: "vingt-cinq", "vingt et un", "hundred and five".
		if k < n && d.toks[k].kind == tPunct && d.toks[k].lower == "-" && !d.toks[k].space &&
			k+1 < n && !d.toks[k+1].space {
			k++
			continue
		}
		if k+1 < n && d.toks[k].kind == tWord && !d.toks[k].line {
			nx := d.toks[k+1].fold
			switch d.toks[k].fold {
			case "et":
				if last%10 == 0 && last >= 20 && (nx == "un" || nx == "une" || nx == "onze") {
					k++
				}
			case "and":
				if last >= 100 {
					if _, ok := numberWords[nx]; ok {
						k++
					}
				}
			}
		}
	}
	return total + group, end, end > i
}

// findQuantities marks every quantity: digits, number words, "une licence",
// "a few", with what the words around it make of it.
func (d *doc) findQuantities() {
	n := len(d.toks)
	for i := 0; i < n; i++ {
		if d.prodAt[i] >= 0 {
			continue
		}
		t := d.toks[i]
		var q qmention
		q.lo = i
		switch t.kind {
		case tNum:
			var keep bool
			q, keep = d.digitQuantity(i)
			if !keep {
				continue
			}
		case tWord:
			var keep bool
			q, keep = d.wordQuantity(i)
			if !keep {
				continue
			}
		default:
			continue
		}
		if d.inIdentifier(q.lo) || !d.countContext(&q) {
			i = q.hi - 1
			continue
		}
		if q.value > ledger.MaxQuantity {
			q.status = max(q.status, qTooLarge)
		}
		d.qtys = append(d.qtys, q)
		for k := q.lo; k < q.hi; k++ {
			d.qtyAt[k] = len(d.qtys) - 1
		}
		i = q.hi - 1
	}
	d.restated()
	d.adjacentNumbers()
	d.transitions()
}

// restated joins a quantity written twice, "trois (3)", "4 (four)", "une
// (1)", into one; two different values ("3 (4)") are one quantity read two
// ways. And in "1 des 3 licences", "1 of the 2 E3" the second number counts
// what the first is taken from: it is no quantity (issue 9, class 3).
func (d *doc) restated() {
	drop := make([]bool, len(d.qtys))
	any := false
	for a := 0; a+1 < len(d.qtys); a++ {
		q, r := &d.qtys[a], &d.qtys[a+1]
		if drop[a] {
			continue
		}
		// "trois (3)": the parenthesis holds nothing but the number.
		if q.hi < len(d.toks) && d.toks[q.hi].lower == "(" && q.hi+1 == r.lo && r.hi < len(d.toks) &&
			d.toks[r.hi].lower == ")" {
			if r.value != q.value || r.status != qOK {
				q.status = max(q.status, qAmbiguous)
			}
			q.hi = r.hi + 1
			drop[a+1], any = true, true
			continue
		}
		// "1 des 3", "1 of the 2", "2 sur les 5", "1 parmi nos 4".
		k := q.hi
		n := 0
		for k < r.lo && n < 3 && partOfWords[d.toks[k].fold] && !d.toks[k].line {
			k++
			n++
		}
		if n > 0 && k == r.lo {
			drop[a+1], any = true, true
		}
	}
	if any {
		d.dropQuantities(drop)
	}
}

// oneOfThe reports "of the 3", "des trois", "de nos 5" from token k: "one"
// before it is a count of one, and the number after describes.
func (d *doc) oneOfThe(k int) bool {
	n := 0
	for k >= 0 && n < 3 && partOfWords[d.toks[k].fold] {
		k = d.nextWord(k)
		n++
	}
	if n == 0 || k < 0 {
		return false
	}
	if d.toks[k].kind == tNum {
		return true
	}
	_, isNum := numberWords[d.toks[k].fold]
	return isNum && d.toks[k].fold != "un" && d.toks[k].fold != "une"
}

// partOfWords join "1" to "the 2" it is taken from.
var partOfWords = wordSet("of", "the", "our", "these", "those", "des", "de", "les", "nos", "ces", "sur", "parmi", "out")

// digitQuantity reads a number written in digits at token i.
func (d *doc) digitQuantity(i int) (qmention, bool) {
	t := d.toks[i]
	q := qmention{lo: i, hi: i + 1}
	g := t.num.groups
	if t.num.mixed {
		return q, false
	}
	if len(g[0]) > 1 && g[0][0] == '0' {
		return q, false // "06 12 …", "007": a phone or a reference
	}
	thousands := len(g) > 1 && len(g[0]) <= 3
	for _, x := range g[1:] {
		if len(x) != 3 {
			thousands = false
		}
	}
	joined := strings.Join(g, "")
	switch t.num.sep {
	case 0:
		if len(g[0]) > 6 {
			return q, false // a reference or a phone number
		}
	case ' ', '\'':
		if !thousands {
			return q, false
		}
	case ',', '.':
		group, decimal := ',', '.'
		if d.lang == "fr" {
			group, decimal = '.', ','
		}
		switch {
		case thousands && t.num.sep == group:
		case thousands && t.num.sep == decimal:
			q.status = qAmbiguous // "1.000" in English, "1,000" in French
		case len(g) == 2:
			q.status = qDecimal
		default:
			return q, false // "1.2.3": a version
		}
	case '-':
		if len(g) != 2 {
			return q, false // a date
		}
		q.status = qFuzzy // "5-10"
		joined = g[0]
	default:
		return q, false // "12/03", "10:30"
	}
	v, err := strconv.Atoi(joined)
	if err != nil || v > 1_000_000_000 {
		v = 1_000_000_000
	}
	q.value = v
	return q, true
}

// wordQuantity reads a quantity written in words at token i.
func (d *doc) wordQuantity(i int) (qmention, bool) {
	t := d.toks[i]
	q := qmention{lo: i, hi: i + 1}
	f := t.fold
	// "5x", "x5": a count with a multiplication sign.
	if len(f) > 1 && (f[len(f)-1] == 'x' && allDigits(f[:len(f)-1]) || f[0] == 'x' && allDigits(f[1:])) {
		v, err := strconv.Atoi(strings.Trim(f, "x"))
		if err != nil || len(f) > 8 {
			return q, false
		}
		q.value = v
		return q, true
	}
	if fuzzyWords[f] {
		q.status = qFuzzy
		return q, true
	}
	article := f == "un" || f == "une" || (f == "a" || f == "an") && t.lower == f || f == "another"
	if article {
		nx := d.nextWord(i)
		if nx >= 0 && fuzzyWords[d.toks[nx].fold] {
			// "a few", "une dizaine", "a couple"; also after a pronoun:
			// "il en faudrait une dizaine" is no 1.
			q.hi, q.status = nx+1, qFuzzy
			return q, true
		}
		if f == "un" || f == "une" {
			// "merci d'en ajouter une", "en commander un": the pronoun
			// stands for what is counted.
			if pv := d.prevWords(i, 2); len(pv) == 2 && d.toks[pv[1]].fold == "en" {
				if _, ok := d.trigger(pv[0]); ok {
					q.value = 1
					return q, true
				}
			}
		}
		if nx < 0 {
			return q, false
		}
		nf := d.toks[nx].fold
		if f != "another" && (nf == "hundred" || nf == "thousand" || nf == "cent" || nf == "mille") {
			v, end, ok := d.numberWordValue(nx)
			if ok {
				q.value, q.hi = v, end
				return q, true
			}
		}
		if f == "un" || f == "une" {
			if _, isNum := numberWords[nf]; isNum && nf != "un" && nf != "une" {
				return q, false
			}
		}
		if f != "another" && d.oneOfThe(nx) {
			q.value = 1 // "une des trois licences", "one of the 3 E5" (issue 9, class 3)
			return q, true
		}
		k := nx
		if articleAdjectives[nf] {
			if nf == "autre" || nf == "other" || nf == "additional" || nf == "extra" || nf == "supplementaire" || nf == "more" || nf == "further" {
				q.more = true
			}
			k = d.nextWord(nx)
		}
		if f == "another" {
			q.more = true
		}
		if k >= 0 && (unitWords[d.toks[k].fold] || d.prodAt[k] >= 0) {
			q.value = 1
			return q, true
		}
		return q, false
	}
	if _, isNum := numberWords[f]; !isNum {
		return q, false
	}
	if f == "neuf" || f == "one" {
		// "neuf" is also "new"; "one" also a pronoun ("one of our users").
		nx := d.nextWord(i)
		if nx >= 0 && f == "one" && d.oneOfThe(nx) {
			q.value = 1 // "one of the 3 E5 licences"
			return q, true
		}
		if nx < 0 || !(unitWords[d.toks[nx].fold] || d.prodAt[nx] >= 0 || d.toks[nx].fold == "more" ||
			d.toks[nx].fold == "de" || d.toks[nx].fold == "additional" || d.toks[nx].fold == "extra") {
			return q, false
		}
	}
	v, end, ok := d.numberWordValue(i)
	if !ok {
		return q, false
	}
	q.value, q.hi = v, end
	return q, true
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isASCIIDigit(s[i]) {
			return false
		}
	}
	return true
}

// countContext looks at the words around a quantity. It returns false when
// the number is not a count at all (a date, a price, a reference, a version);
// otherwise it sets the role and the status.
func (d *doc) countContext(q *qmention) bool {
	n := len(d.toks)
	t := d.toks[q.lo]
	// The character just before: "#12", "+5", "€5", "~20", "n°3".
	if q.lo > 0 && !d.toks[q.lo].line {
		p := d.toks[q.lo-1]
		if p.kind == tPunct {
			switch p.lower {
			case "#", "°", "º", "€", "$", "£":
				return false
			case "+":
				// "+5 E3", but not ":+1:" nor "C++ 5".
				if !t.space && (q.lo == 1 || p.space || p.line) {
					if q.lo > 1 && d.toks[q.lo-2].kind == tNum && !p.space {
						return false
					}
					if t.kind == tNum && len(t.num.groups[0]) >= 2 && d.nextIsNumber(q.hi) {
						return false // "+33 6 …": a phone number
					}
					q.more = true
				}
			case "~":
				q.status = max(q.status, qFuzzy)
			}
		}
	}
	prev := d.prevWords(q.lo, 3)
	w := func(k int) string {
		if k < len(prev) {
			return d.toks[prev[k]].fold
		}
		return ""
	}
	w1, w2 := w(0), w(1)
	if len(prev) > 0 {
		p1 := d.toks[prev[0]]
		if p1.kind == tWord && d.prodAt[prev[0]] < 0 {
			if referenceBefore[w1] || monthWords[w1] || currencyBefore[w1] || weekdayWords[w1] || amountBefore[w1] {
				return false
			}
			if referenceUnlessItem[w1] && !d.itemFollows(q.hi) {
				return false
			}
			if t.kind == tNum && len(t.num.groups) == 1 && len(t.num.groups[0]) == 4 &&
				q.value >= 1900 && q.value <= 2100 && yearBefore[w1] {
				return false
			}
		}
	}
	// The word just after: "5 jours", "20 %", "5 mars".
	if nx := d.nextTok(q.hi - 1); nx >= 0 {
		nt := d.toks[nx]
		if notCountAfter[nt.fold] && d.prodAt[nx] < 0 {
			return false
		}
	}
	switch {
	case w1 == "total" || (w2 == "total" && (w1 == "of" || w1 == "de")):
		q.role = rTotal
	case len(prev) > 0 && d.toks[prev[0]].lower == "à":
		q.role = rTo
		if w2 == "jusque" {
			q.role = rUpTo
		}
	case w1 == "a" && d.lang == "fr" && len(prev) > 0 && d.toks[prev[0]].lower == "a":
		q.role = rToWeak
		if w2 == "jusque" {
			q.role = rUpTo
		}
	case w1 == "to" || w1 == "until":
		q.role = rTo
		if w2 == "up" {
			q.role = rUpTo
		}
	case w1 == "by":
		q.role = rBy
	case w1 == "de" || w1 == "from":
		q.role = rDe
	}
	for _, ph := range fuzzyBefore {
		if endsWith(d, prev, ph) {
			q.status = max(q.status, qFuzzy)
		}
	}
	between := w1 == "entre" || w1 == "between"
	// After: a range ("5 ou 6", "5 à 10", "between 5 and 10"), a bound ("20+",
	// "20 max").
	if q.hi < n && !d.toks[q.hi].line {
		a := d.toks[q.hi]
		if a.kind == tPunct && a.lower == "+" && !a.space {
			q.status = max(q.status, qFuzzy)
		}
		if a.kind == tWord && fuzzyAfter[a.fold] && a.fold != "or" {
			q.status = max(q.status, qFuzzy)
		}
		if a.fold == "or" && q.hi+1 < n && d.toks[q.hi+1].fold == "so" {
			q.status = max(q.status, qFuzzy)
		}
		// A dash set apart by spaces before a number in words is prose
		// ("to 6 - two mailboxes were…"), not a range.
		dash := a.kind == tPunct && (a.space || q.hi+1 < n && d.toks[q.hi+1].space)
		if (rangeWords[a.fold] || between && (a.fold == "et" || a.fold == "and")) && d.nextIsNumber(q.hi+1) &&
			(!dash || d.toks[q.hi+1].kind == tNum) {
			transition := (q.role == rDe) && (a.fold == "a" || a.fold == "to" || a.fold == "-")
			if !transition {
				q.status = max(q.status, qFuzzy)
				if e := d.numberEnd(q.hi + 1); e > 0 {
					q.hi = e // the range is one mention
				}
			}
		}
	}
	return true
}

// nextTok returns the token after i on the same line, or -1.
func (d *doc) nextTok(i int) int {
	if i+1 < len(d.toks) && !d.toks[i+1].line {
		return i + 1
	}
	return -1
}

// nextIsNumber reports whether token k starts a number.
func (d *doc) nextIsNumber(k int) bool {
	return d.numberEnd(k) > 0
}

// numberEnd returns the token after the number starting at k, or 0.
func (d *doc) numberEnd(k int) int {
	if k >= len(d.toks) || d.toks[k].line {
		return 0
	}
	switch d.toks[k].kind {
	case tNum:
		return k + 1
	case tWord:
		if f := d.toks[k].fold; f == "un" || f == "une" || f == "a" || f == "an" {
			return 0
		}
		if _, end, ok := d.numberWordValue(k); ok {
			return end
		}
	}
	return 0
}

// itemFollows reports a unit word or product within two words after k.
func (d *doc) itemFollows(k int) bool {
	for j, c := k, 0; j < len(d.toks) && c < 2; j++ {
		if d.toks[j].line && j > k {
			return false
		}
		if d.toks[j].kind == tPunct {
			continue
		}
		if d.prodAt[j] >= 0 || unitWords[d.toks[j].fold] || d.phraseAt(j, len(d.toks), moreAfterP) {
			return true // "order 5 E3", "order 3 more"
		}
		c++
	}
	return false
}

// endsWith reports whether the words before a token (prev, nearest first)
// end with the phrase ph.
func endsWith(d *doc, prev []int, ph []string) bool {
	if len(ph) > len(prev) {
		return false
	}
	for j := range ph {
		if d.toks[prev[len(ph)-1-j]].fold != ph[j] {
			return false
		}
	}
	return true
}

// adjacentNumbers: numbers side by side with nothing between ("5 6") have two
// readings; three or more are a phone number or a list of references.
func (d *doc) adjacentNumbers() {
	drop := make([]bool, len(d.qtys))
	for a := 0; a < len(d.qtys); {
		b := a
		for b+1 < len(d.qtys) && d.qtys[b+1].lo == d.qtys[b].hi && !d.toks[d.qtys[b+1].lo].line &&
			d.toks[d.qtys[b].lo].kind == tNum && d.toks[d.qtys[b+1].lo].kind == tNum {
			b++
		}
		switch {
		case b-a >= 2:
			for k := a; k <= b; k++ {
				drop[k] = true
			}
		case b == a+1:
			// One mention with two readings: "5 6".
			d.qtys[a].status = max(d.qtys[a].status, d.qtys[b].status, qAmbiguous)
			d.qtys[a].hi = d.qtys[b].hi
			drop[b] = true
		}
		a = b + 1
	}
	d.dropQuantities(drop)
}

// dropQuantities removes the marked quantities and rebuilds qtyAt.
func (d *doc) dropQuantities(drop []bool) {
	kept := d.qtys[:0]
	for i, q := range d.qtys {
		if !drop[i] {
			kept = append(kept, q)
		}
	}
	d.qtys = kept
	for k := range d.qtyAt {
		d.qtyAt[k] = -1
	}
	for qi, q := range d.qtys {
		for k := q.lo; k < q.hi; k++ {
			d.qtyAt[k] = qi
		}
	}
}

// transition reports "de 10 à 15", "from 10 to 15", "from 14 up to 16",
// "from 12 down to 10", "de 8 jusqu'à 10" (q after "de"/"from"), and an
// arrow from one number to the next whatever comes before ("12 → 14",
// "10 -> 12"): q is the current total, r the new one (issue 9, class 2).
func (d *doc) transition(q, r *qmention) bool {
	if r.lo <= q.hi || r.lo-q.hi > 3 {
		return false
	}
	// The joining words, apostrophes left out ("jusqu'à").
	var between [2]token
	n := 0
	for k := q.hi; k <= r.lo; k++ {
		t := d.toks[k]
		if t.line {
			return false
		}
		if k == r.lo || t.kind == tPunct && isApostrophe(t.lower) {
			continue
		}
		if n == 2 {
			return false
		}
		between[n] = t
		n++
	}
	j := between[0]
	if n == 1 {
		switch j.lower {
		case "→", "⇒", "➔", "➜", "⟶", "►", "▶", ">", "»":
			return true
		case "-", "–", "—":
			return q.role == rDe
		}
		return q.role == rDe && (j.fold == "a" || j.fold == "to")
	}
	k := between[1]
	switch {
	case n != 2:
		return false
	case j.kind == tPunct && k.kind == tPunct:
		// "->", "=>", "-->" written with two marks.
		return (j.lower == "-" || j.lower == "=") && k.lower == ">" && !k.space
	case q.role != rDe:
		return false
	}
	return (j.fold == "up" || j.fold == "down" || j.fold == "jusque") && (k.fold == "to" || k.fold == "a")
}

// doubtAdverbsP after a number make it uncertain: "add 3 E3, probably".
var doubtAdverbsP = phrases([]string{"probably"}, []string{"probablement"}, []string{"maybe"}, []string{"perhaps"},
	[]string{"possibly"}, []string{"peut", "etre"}, []string{"sans", "doute"}, []string{"likely"})

// doubted reports a doubt written right before the number ("probably 3",
// "je pense 4": "could you possibly add 2" is politeness) or a doubt
// adverb a few words after it in its sentence ("add 3 E3, probably").
func (d *doc) doubted(q *qmention) bool {
	pv := d.prevWords(q.lo, 2)
	for n := 1; n <= len(pv); n++ {
		start := pv[n-1]
		for _, ph := range doubtP[d.toks[start].fold] {
			if len(ph) == n && d.matchAt(start, q.lo, ph) {
				return true
			}
		}
	}
	for k, words := q.hi, 0; k < len(d.toks) && words < 5 && !d.isStop(k) && !d.toks[k].line; k++ {
		if d.toks[k].kind == tPunct {
			continue
		}
		if d.phraseAt(k, len(d.toks), doubtAdverbsP) || d.phraseAt(k, len(d.toks), perP) {
			// "add 3 E3, probably"; "2 for each of our 3 offices": how
			// many in all is not written.
			return true
		}
		words++
	}
	return false
}

// perP make a number count per something: the total is not written.
var perP = phrases([]string{"for", "each"}, []string{"per"}, []string{"pour", "chaque"}, []string{"pour", "chacun"},
	[]string{"pour", "chacune"}, []string{"par"})

// corrections reads a number the writer takes back: "trois, non pardon,
// quatre", "3 – sorry, I mean 4" (the first is withdrawn) and "two rather
// than one", "4 au lieu de 3" (the second is). The one left covers the
// whole phrase, so that no word of it is read as a product's name.
func (d *doc) corrections() {
	drop := make([]bool, len(d.qtys))
	for a := 0; a+1 < len(d.qtys); a++ {
		q, r := &d.qtys[a], &d.qtys[a+1]
		switch d.between(q.hi, r.lo) {
		case corrTakesBack:
			drop[a] = true
			r.lo = q.lo
		case corrInsteadOf:
			drop[a+1] = true
			q.hi = r.hi
			a++
		case corrNextSentence:
			// "Please add 5 E3. No wait, 6.": which one stands is not
			// certain across sentences; asked.
			q.status = max(q.status, qFuzzy)
		}
	}
	d.dropQuantities(drop)
}

type correction int

const (
	corrNone         correction = iota
	corrTakesBack               // "3, non pardon, 4": the first is withdrawn
	corrInsteadOf               // "2 rather than 1": the second is
	corrNextSentence            // "add 5 E3. No wait, 6.": taken back in the next sentence
)

var (
	// takeBackWords may stand between a number and the one that replaces
	// it; one of takeBackMarks must.
	takeBackWords = wordSet("non", "no", "pardon", "sorry", "oops", "je", "veux", "dire", "i", "mean", "enfin", "plutot",
		"actually", "correction", "erratum", "ah", "oh", "wait", "attendez", "en", "fait", "make", "that", "it")
	takeBackMarks = wordSet("non", "no", "pardon", "sorry", "oops", "mean", "dire", "plutot", "actually", "correction",
		"erratum", "wait", "attendez")
	insteadOfP = phrases([]string{"rather", "than"}, []string{"instead", "of"}, []string{"au", "lieu", "de"},
		[]string{"plutot", "que"}, []string{"not"}, []string{"et", "non"},
		[]string{"et", "pas"}, []string{"pas"})
)

// between tells what the words in [lo, hi) between two numbers make of
// them.
func (d *doc) between(lo, hi int) correction {
	if hi-lo > 8 {
		return corrNone
	}
	// After a sentence stop, only the words of the next sentence count:
	// "Please add 5 E3. No wait, 6."
	stopped := false
	for k := hi - 1; k >= lo; k-- {
		if d.isStop(k) {
			lo, stopped = k+1, true
			break
		}
	}
	var words []int
	for k := lo; k < hi; k++ {
		if t := d.toks[k]; t.kind != tPunct {
			if t.kind != tWord || t.line && t.blank && !stopped {
				return corrNone
			}
			words = append(words, k)
		}
	}
	if len(words) == 0 {
		return corrNone
	}
	for _, ph := range insteadOfP[d.toks[words[0]].fold] {
		if len(ph) == len(words) && d.matchAt(words[0], hi, ph) {
			return corrInsteadOf // the phrase is all there is between the numbers
		}
	}
	marked := false
	for _, k := range words {
		f := d.toks[k].fold
		if !takeBackWords[f] {
			return corrNone
		}
		marked = marked || takeBackMarks[f]
	}
	switch {
	case marked && stopped:
		return corrNextSentence
	case marked:
		return corrTakesBack
	}
	return corrNone
}

// transitions reads "de 10 à 15" / "from 10 to 15": the first number is the
// current count, the second the new total. It also marks negated numbers
// ("pas 3").
func (d *doc) transitions() {
	drop := make([]bool, len(d.qtys))
	for a := 0; a+1 < len(d.qtys); a++ {
		q, r := &d.qtys[a], &d.qtys[a+1]
		if !d.transition(q, r) {
			continue
		}
		drop[a] = true
		r.role = rTo
		if q.status == qOK {
			r.from, r.hasFrom = q.value, true
		} else {
			r.status = max(r.status, q.status) // "de ~10 à 15": the start is unsure too
		}
		// The mention is the whole "de 10 à 15": no word of it is left to
		// name a product ("passer de 8 à 10" under the product's subject).
		r.lo = q.lo
	}
	d.dropQuantities(drop)
	d.corrections()
	for qi := range d.qtys {
		q := &d.qtys[qi]
		if d.doubted(q) {
			// "probably 3", "sans doute 3", "je pense 4", "add 3 E3,
			// probably": not one certain number (SPEC §4.2), asked about.
			q.status = max(q.status, qFuzzy)
		}
		for _, k := range d.prevWords(q.lo, 1) {
			if itemNegation(d, k) {
				q.negated = true
			}
		}
	}
}
