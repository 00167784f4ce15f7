package reader

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/licensedesk/licensedesk/ledger"
)

// Issue is a part of a message that was not understood with certainty.
type Issue struct {
	// Code is UnknownProduct, AmbiguousProduct, QuantityMissing,
	// NoRequestFound, InvalidQuantity, ForeignUser, TooManyUsers or
	// InvalidRequest.
	Code ledger.Code
	// Text is the sentence or line the issue is about (trimmed, at most 200
	// characters).
	Text string
	// Detail says what is wrong, in the message's language: the product
	// phrase, the candidates, the quantity as written.
	Detail string
	// Candidates are the SKUs an ambiguous product name could mean.
	Candidates []string
}

// Reading is what a message asks for.
type Reading struct {
	// Ops are the operations found, in the order written; SKUs are catalog
	// SKUs, users lower-cased.
	Ops []ledger.Op
	// Issues lists every part not understood with certainty. A caller must
	// not apply a Reading with issues, even partly: it asks the sender.
	Issues []Issue
	// Language is "fr" or "en", detected from the message's words.
	Language string
	// Understood holds one line per op, in the message's language, for the
	// reply ("ajouter 5 × Microsoft 365 Business Premium").
	Understood []string
}

// Options are what the reader needs to know about the sender's tenant.
type Options struct {
	// Domains are the tenant's domains: users named in a request must belong
	// to one of them (SPEC §4.3).
	Domains []string
}

// Limits on the input (see the package documentation).
const (
	maxBody    = 64 << 10
	maxSubject = 2 << 10
	maxIssues  = ledger.MaxOpsPerReq
)

// Reader reads requests against one catalog. It is safe for concurrent use.
type Reader struct {
	cat *ledger.Catalog
	ix  *index
}

// New returns a reader for the products of cat.
// A nil catalog reads like an empty one: every product is unknown.
func New(cat *ledger.Catalog) *Reader {
	if cat == nil {
		cat = emptyCatalog
	}
	return &Reader{cat: cat, ix: indexFor(cat)}
}

var emptyCatalog, _ = ledger.NewCatalog()

// Read finds the requests of a message: subject is the decoded subject, body
// the text the sender wrote (quotes and signatures already removed). It is
// New(cat).Read; the catalog's index is built once and cached.
func Read(subject, body string, cat *ledger.Catalog, opt Options) Reading {
	return New(cat).Read(subject, body, opt)
}

// Read finds the requests of a message. See the package documentation for
// what is understood and what becomes an Issue.
func (r *Reader) Read(subject, body string, opt Options) Reading {
	body, truncated := truncate(body, maxBody)
	subject, _ = truncate(subject, maxSubject)
	subject = CleanSubject(subject)

	bd := newDoc(body)
	sd := newDoc(subject)
	lang, ok := detectLang(bd.toks)
	if !ok {
		lang, _ = detectLang(sd.toks)
	}
	st := &state{cat: r.cat, lang: lang, domains: domainSet(opt.Domains)}
	st.out.Language = lang
	for _, d := range []*doc{sd, bd} {
		d.lang = lang
		d.findProducts(r.ix)
		d.findQuantities()
		d.elliptic(r.ix)
		for _, p := range d.prods {
			for _, sku := range p.skus {
				if !slices.Contains(st.context, sku) {
					st.context = append(st.context, sku)
				}
			}
		}
	}
	st.process(bd)
	if st.empty() {
		// The body asks for nothing certain: the subject may give the verb
		// for the body's list ("Commande de licences" over "5 E3 et 2 E5"),
		// or be the request ("Ajout de 3 licences E3").
		vague := st.vague
		st.vague = nil
		st.subjectVerb(sd, bd)
		if st.empty() {
			st.process(sd)
		}
		if st.empty() {
			st.vague = append(vague, st.vague...)
		}
	}
	for _, is := range st.vague {
		st.issue(is)
	}
	if truncated {
		st.issue(Issue{Code: ledger.InvalidRequest, Detail: detailInvalid(lang, invTruncated, "")})
	}
	if len(st.out.Ops) == 0 && len(st.out.Issues) == 0 {
		st.out.Issues = append(st.out.Issues, Issue{Code: ledger.NoRequestFound, Text: clip(subject),
			Detail: detailNoRequest(lang)})
	}
	return st.out
}

// truncate cuts s to at most n bytes at a line break (or else a space, or
// else a character boundary), so that no number or name is cut in two.
func truncate(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	cut := s[:n]
	if i := strings.LastIndexByte(cut, '\n'); i > 0 {
		return cut[:i], true
	}
	if i := strings.LastIndexAny(cut, " \t"); i > 0 {
		return cut[:i], true
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n], true
}

// subjectPrefixes are the reply and forward markers of mail clients.
var subjectPrefixes = []string{"re", "tr", "fwd", "fw", "aw", "wg", "rv", "sv", "vs", "réf", "ref", "r"}

// CleanSubject removes the reply and forward prefixes ("Re:", "TR :",
// "Fwd:", "RE[2]:") from the start of a subject.
func CleanSubject(s string) string {
	s = strings.TrimSpace(s)
	for range 10 {
		lower := strings.ToLower(s)
		found := false
		for _, p := range subjectPrefixes {
			if !strings.HasPrefix(lower, p) {
				continue
			}
			rest := s[len(p):]
			if strings.HasPrefix(rest, "[") {
				if j := strings.IndexByte(rest, ']'); j > 0 && allDigits(rest[1:j]) {
					rest = rest[j+1:]
				}
			}
			rest = strings.TrimLeft(rest, " \t\u00a0")
			if strings.HasPrefix(rest, ":") || strings.HasPrefix(rest, "：") {
				_, size := utf8.DecodeRuneInString(rest)
				s = strings.TrimSpace(rest[size:])
				found = true
				break
			}
		}
		if !found {
			break
		}
	}
	return s
}

func newDoc(text string) *doc {
	d := &doc{text: text, toks: tokenize(text)}
	d.prodAt = make([]int, len(d.toks))
	d.qtyAt = make([]int, len(d.toks))
	for k := range d.toks {
		d.prodAt[k], d.qtyAt[k] = -1, -1
	}
	return d
}

func domainSet(domains []string) map[string]bool {
	m := make(map[string]bool, len(domains))
	for _, d := range domains {
		d = strings.ToLower(strings.Trim(strings.TrimSpace(d), "@."))
		if d != "" {
			m[d] = true
		}
	}
	return m
}

// state is one Read call.
type state struct {
	cat     *ledger.Catalog
	lang    string
	domains map[string]bool
	context []string // every product the message names, for "5 de plus" alone
	vague   []Issue  // "merci d'ajouter les licences": asked only if nothing else answers
	opsFull bool
	out     Reading
}

func (st *state) full() bool { return len(st.out.Issues) >= maxIssues }

// empty reports that nothing was found yet.
func (st *state) empty() bool { return len(st.out.Ops) == 0 && len(st.out.Issues) == 0 }

// subjectVerb applies a subject's lone verb ("Commande de licences", "Add
// licenses") to the lines of the body that only list items ("5 E3 et 2 E5").
func (st *state) subjectVerb(sd, bd *doc) {
	var verb *clause
	for _, s := range sd.segments() {
		for _, c := range sd.clauses(s) {
			if c.verb < 0 || sd.hasItemsBut(c.lo, c.hi, c.verb) || sd.skipReason(c) != "" {
				continue
			}
			if verb != nil {
				return // two verbs: which one goes with the list?
			}
			verb = &c
		}
	}
	if verb == nil {
		return
	}
	for _, s := range bd.segments() {
		if !bd.isItemLine(s) {
			continue
		}
		st.resolve(bd, clause{lo: s.lo, hi: s.hi, verb: -1, info: verb.info,
			textLo: bd.toks[s.lo].start, textHi: bd.toks[s.hi-1].end})
	}
}

func (st *state) issue(is Issue) {
	if len(st.out.Issues) >= maxIssues {
		return
	}
	is.Text = clip(is.Text)
	is.Detail = strings.ToValidUTF8(is.Detail, "\uFFFD")
	if len(st.out.Issues) == maxIssues-1 && is.Detail != detailInvalid(st.lang, invTooManyIssues, "") {
		is = Issue{Code: ledger.InvalidRequest, Detail: detailInvalid(st.lang, invTooManyIssues, "")}
	}
	st.out.Issues = append(st.out.Issues, is)
}

func (st *state) op(op ledger.Op) {
	if len(st.out.Ops) >= ledger.MaxOpsPerReq {
		if !st.opsFull {
			st.opsFull = true
			st.issue(Issue{Code: ledger.InvalidRequest, Detail: detailInvalid(st.lang, invTooManyOps, "")})
		}
		return
	}
	st.out.Ops = append(st.out.Ops, op)
	st.out.Understood = append(st.out.Understood, understood(st.lang, st.cat, op))
}

// process reads the requests of one text, sentence by sentence.
func (st *state) process(d *doc) {
	segs := d.segments()
	for si := 0; si < len(segs) && !st.full(); si++ {
		cs := d.clauses(segs[si])
		if len(cs) == 0 {
			continue
		}
		// A verb whose items come on the next lines: "Merci d'ajouter :",
		// "- 5 E3", "- 2 E5", or a sentence wrapped before its product.
		last := &cs[len(cs)-1]
		if last.verb >= 0 && (segs[si].colon || !d.hasProduct(last.lo, last.hi)) {
			for sj := si + 1; sj < len(segs); sj++ {
				s2 := segs[sj]
				if !d.toks[s2.lo].line || d.toks[s2.lo].blank || !d.isItemLine(s2) {
					break
				}
				last.hi = s2.hi
				last.textHi = d.toks[s2.hi-1].end
				si = sj
				if s2.stop {
					break
				}
			}
		}
		for _, c := range cs {
			if st.full() {
				return
			}
			st.resolve(d, c)
		}
	}
}

func (d *doc) hasProduct(lo, hi int) bool {
	for k := lo; k < hi; k++ {
		if d.prodAt[k] >= 0 {
			return true
		}
	}
	return false
}

// item is a quantity and the product it counts; either may be missing.
type item struct {
	q *qmention
	p *pmention
}

func (it item) lo() int {
	if it.q != nil && (it.p == nil || it.q.lo < it.p.lo) {
		return it.q.lo
	}
	return it.p.lo
}

func (it item) hi() int {
	if it.q != nil && (it.p == nil || it.q.hi > it.p.hi) {
		return it.q.hi
	}
	return it.p.hi
}

// resolve turns one clause into operations or issues.
func (st *state) resolve(d *doc, c clause) {
	if d.skipReason(c) != "" {
		return
	}
	var qs []*qmention
	var ps []*pmention
	var users []int
	units := false
	postQty := false
	for k := c.lo; k < c.hi; k++ {
		if d.toks[k].kind == tEmail {
			users = append(users, k)
		}
		if unitWords[d.toks[k].fold] {
			units = true
		}
	}
	for _, q := range d.qtysIn(c.lo, c.hi) {
		if !q.negated {
			qs = append(qs, q)
			if q.lo > c.verb && c.verb >= 0 {
				postQty = true
			}
		}
	}
	if postQty {
		// "Nous avons 20 E3, merci d'en ajouter 5": what comes before the
		// verb describes, what comes after asks.
		qs = slices.DeleteFunc(qs, func(q *qmention) bool { return q.lo < c.verb })
	}
	postProd := false
	for _, p := range d.prodsIn(c.lo, c.hi) {
		if !p.negated {
			ps = append(ps, p)
			postProd = postProd || c.verb >= 0 && p.lo > c.verb
		}
	}
	if postQty && postProd {
		// "Nous avons 20 E3 merci d'ajouter 5 E5": the E3 is described too.
		ps = slices.DeleteFunc(ps, func(p *pmention) bool { return p.lo < c.verb })
	}
	if len(qs)+len(ps)+len(users) == 0 && !units {
		return // a verb with nothing to act on: "in order to", "merci de revenir vers moi"
	}
	text := d.text[c.textLo:c.textHi]
	class := c.info.class
	if len(users) > 0 && len(qs)+len(ps) == 0 && !units {
		// Addresses and a verb, no licence named: "remove bob@… from the
		// group" may not be about licences at all, "assign bob@…" is.
		switch class {
		case cAssign, cUnassign, cAdd, cRemove:
			st.issue(Issue{Code: ledger.UnknownProduct, Text: text,
				Detail: detailNoProduct(st.lang, d.phrase(users[0], users[len(users)-1]+1))})
		}
		return
	}
	if len(users) > 0 || class == cAssign || class == cUnassign {
		st.assignment(d, c, text, qs, ps, users)
		return
	}
	st.seats(d, c, text, qs, ps)
}

// seats reads the seat operations of a clause: add, remove, set.
func (st *state) seats(d *doc, c clause, text string, qs []*qmention, ps []*pmention) {
	if len(qs)+len(ps) == 0 {
		st.unitsOnly(d, c, text)
		return
	}
	items := pair(qs, ps)
	complete := false
	for _, it := range items {
		if it.q != nil && it.p != nil {
			complete = true
		}
	}
	class := c.info.class
	for i, it := range items {
		if st.full() {
			return
		}
		// The words around the item that say what it counts.
		afterHi, beforeLo := c.hi, c.lo
		if i+1 < len(items) {
			afterHi = items[i+1].lo()
		}
		if i > 0 {
			beforeLo = items[i-1].hi()
		} else if c.verb >= 0 && c.verb < it.lo() {
			beforeLo = c.verb + 1
		}
		more := d.anyPhrase(it.lo(), afterHi, moreAfterP) || d.anyPhrase(beforeLo, it.lo(), moreBeforeP)
		less := d.anyPhrase(it.lo(), afterHi, lessAfterP)
		total := d.anyPhrase(it.lo(), afterHi, totalAfterP) || d.anyPhrase(beforeLo, it.lo(), totalBeforeP)
		if it.q != nil {
			more = more || it.q.more
			total = total || it.q.role == rTotal
		}
		if class == cNone && !more && !less {
			// No verb and no marker of its own: "5 E3" next to "2 E5 de plus".
			if it.q != nil && it.p != nil && !total {
				st.issue(Issue{Code: ledger.InvalidRequest, Text: text,
					Detail: detailInvalid(st.lang, invNoOperation, d.phrase(it.lo(), it.hi()))})
			}
			continue
		}
		if it.q == nil {
			// A product without a quantity.
			if class == cNone || c.info.needsTarget {
				continue
			}
			phrase := d.phrase(it.p.lo, it.p.hi)
			if len(it.p.skus) == 1 {
				phrase = productName(st.cat, it.p.skus[0])
			} else {
				st.product(d, c, text, it, complete)
			}
			st.issue(Issue{Code: ledger.QuantityMissing, Text: text, Detail: detailQuantity(st.lang, phrase, "", whyNone)})
			continue
		}
		q := it.q
		kind, why := decide(class, c.info.needsTarget, q.role, more, less, total)
		if why == whyNotRequest {
			continue
		}
		if it.p == nil && complete && d.describes(q) {
			continue // "Ajoutez 5 E3 pour nos 2 nouveaux arrivants"
		}
		sku, ok := st.product(d, c, text, it, complete)
		name := productName(st.cat, sku)
		if !ok {
			name = d.phrase(q.lo, q.hi)
			if it.p != nil {
				name = d.phrase(it.p.lo, it.p.hi)
			}
		}
		written := d.phrase(q.lo, q.hi)
		switch {
		case q.status == qFuzzy:
			st.issue(Issue{Code: ledger.QuantityMissing, Text: text, Detail: detailQuantity(st.lang, name, written, whyFuzzy)})
		case q.status == qAmbiguous:
			st.issue(Issue{Code: ledger.QuantityMissing, Text: text, Detail: detailQuantity(st.lang, name, written, whyTwoWays)})
		case q.status == qDecimal || q.status == qTooLarge:
			st.issue(Issue{Code: ledger.InvalidQuantity, Text: text, Detail: detailInvalidQuantity(st.lang, written, q.status, q.value)})
		case why >= 0:
			st.issue(Issue{Code: ledger.QuantityMissing, Text: text, Detail: detailQuantity(st.lang, name, written, why)})
		case q.value == 0 && kind != ledger.OpSet:
			st.issue(Issue{Code: ledger.InvalidQuantity, Text: text, Detail: detailInvalidQuantity(st.lang, written, qOK, 0)})
		case ok:
			st.op(ledger.Op{Kind: kind, SKU: sku, Quantity: q.value})
		}
	}
}

// unitsOnly reads a request that names neither a quantity nor a known
// product: "merci d'ajouter des licences Adobe", "cancel our Visio
// subscription", "please add licences".
func (st *state) unitsOnly(d *doc, c clause, text string) {
	if c.verb < 0 || c.info.needsTarget {
		return
	}
	for k := c.lo; k < c.hi; k++ {
		if !unitWords[d.toks[k].fold] {
			continue
		}
		if phrase := d.unknownPhrase(c, k, k+1); phrase != "" {
			st.issue(Issue{Code: ledger.UnknownProduct, Text: text, Detail: detailUnknown(st.lang, st.cat, phrase)})
			return
		}
		name := d.toks[k].lower
		if len(st.context) == 1 {
			name = productName(st.cat, st.context[0])
		}
		// "Merci d'ajouter les licences" may point at the subject: asked
		// about only when nothing else in the message answers it.
		st.vague = append(st.vague, Issue{Code: ledger.QuantityMissing, Text: clip(text),
			Detail: detailQuantity(st.lang, name, "", whyNone)})
		return
	}
}

// whyNotRequest: the verb needs a target it did not get ("passer une
// commande"): not a request at all.
const whyNotRequest = -2

// decide picks the operation from the verb and the words around the
// quantity. It returns the kind, or why the quantity is unclear (whyAddOrSet,
// whyConflict), or whyNotRequest; -1 when the kind is certain.
func decide(class verbClass, needsTarget bool, role qRole, more, less, total bool) (ledger.OpKind, int) {
	setVerb := class == cSet || class == cInc || class == cDec
	target := role == rTo || total || (role == rUpTo || role == rToWeak) && setVerb
	delta := role == rBy || role == rDe && (class == cInc || class == cDec)
	if more && less || target && (more || less || delta) {
		return "", whyConflict
	}
	if role == rUpTo && !setVerb {
		return "", whyFuzzy
	}
	switch class {
	case cAdd, cBuy:
		if target {
			return ledger.OpSet, -1
		}
		if less {
			return "", whyConflict
		}
		return ledger.OpAdd, -1
	case cRemove:
		if target {
			return ledger.OpSet, -1
		}
		return ledger.OpRemove, -1
	case cSet:
		switch {
		case more:
			return ledger.OpAdd, -1
		case less:
			return ledger.OpRemove, -1
		case target:
			return ledger.OpSet, -1
		case delta, role == rBy:
			return "", whyAddOrSet
		case needsTarget:
			return "", whyNotRequest
		}
		return ledger.OpSet, -1
	case cInc:
		switch {
		case target:
			return ledger.OpSet, -1
		case delta || more:
			return ledger.OpAdd, -1
		case less:
			return "", whyConflict
		}
		return "", whyAddOrSet
	case cDec:
		switch {
		case target:
			return ledger.OpSet, -1
		case delta || less:
			return ledger.OpRemove, -1
		case more:
			return "", whyConflict
		}
		return "", whyAddOrSet
	case cNeed:
		switch {
		case target:
			return ledger.OpSet, -1
		case more:
			return ledger.OpAdd, -1
		case less:
			return ledger.OpRemove, -1
		}
		return "", whyAddOrSet
	case cNone:
		switch {
		case more:
			return ledger.OpAdd, -1
		case less:
			return ledger.OpRemove, -1
		}
	}
	return "", whyNotRequest
}

// pair matches quantities with products in the order the clause writes
// them: "5 E3 et 3 E5" (quantity first) or "E3 : 40, E5 : 20" (product first).
func pair(qs []*qmention, ps []*pmention) []item {
	type mention struct {
		lo int
		q  *qmention
		p  *pmention
	}
	ms := make([]mention, 0, len(qs)+len(ps))
	for _, q := range qs {
		ms = append(ms, mention{lo: q.lo, q: q})
	}
	for _, p := range ps {
		ms = append(ms, mention{lo: p.lo, p: p})
	}
	slices.SortFunc(ms, func(a, b mention) int { return a.lo - b.lo })
	if len(ms) == 0 {
		return nil
	}
	qFirst := ms[0].q != nil
	var items []item
	for i := 0; i < len(ms); i++ {
		m := ms[i]
		if i+1 < len(ms) {
			n := ms[i+1]
			if qFirst && m.q != nil && n.p != nil || !qFirst && m.p != nil && n.q != nil {
				items = append(items, item{q: m.q, p: n.p})
				if m.p != nil {
					items[len(items)-1] = item{q: n.q, p: m.p}
				}
				i++
				continue
			}
		}
		items = append(items, item{q: m.q, p: m.p})
	}
	return items
}

// peopleUnits count people, not licences: "pour nos 5 nouveaux collaborateurs".
var peopleUnits = wordSet("utilisateur", "utilisateurs", "user", "users", "personne", "personnes",
	"people", "persons", "collaborateur", "collaborateurs", "employe", "employes", "employee",
	"employees", "salarie", "salaries", "staff", "arrivants", "stagiaires", "hires", "joiners",
	"starters", "recrues", "membres", "members", "nouveaux", "nouvelles", "new")

// product finds the product of an item. It returns the SKU and true when
// certain; otherwise it reports an issue (or decides the item is not a
// request) and returns false, with the SKU when only the quantity is at fault.
func (st *state) product(d *doc, c clause, text string, it item, complete bool) (string, bool) {
	if it.p != nil {
		if len(it.p.skus) == 1 {
			return it.p.skus[0], true
		}
		phrase := d.phrase(it.p.lo, it.p.hi)
		st.issue(Issue{Code: ledger.AmbiguousProduct, Text: text, Candidates: slices.Clone(it.p.skus),
			Detail: detailAmbiguous(st.lang, st.cat, phrase, it.p.skus)})
		return "", false
	}
	q := it.q
	written := d.phrase(q.lo, q.hi)
	if phrase := d.unknownPhrase(c, q.lo, q.hi); phrase != "" {
		st.issue(Issue{Code: ledger.UnknownProduct, Text: text, Detail: detailUnknown(st.lang, st.cat, phrase)})
		return "", false
	}
	if complete {
		// A lone number next to complete items is not read from the context.
		st.issue(Issue{Code: ledger.UnknownProduct, Text: text, Detail: detailNoProduct(st.lang, written)})
		return "", false
	}
	switch len(st.context) {
	case 1:
		return st.context[0], true
	case 0:
		st.issue(Issue{Code: ledger.UnknownProduct, Text: text, Detail: detailNoProduct(st.lang, written)})
	default:
		st.issue(Issue{Code: ledger.AmbiguousProduct, Text: text, Candidates: slices.Clone(st.context),
			Detail: detailContextAmbiguous(st.lang, st.cat, written, st.context)})
	}
	return "", false
}

// describes reports a lone number that describes rather than asks: it
// counts people ("pour nos 2 nouveaux arrivants", "for 3 new hires") or what
// the tenant has ("we currently have 20").
func (d *doc) describes(q *qmention) bool {
	if nx := d.nextWord(q.hi - 1); nx >= 0 && peopleUnits[d.toks[nx].fold] {
		return true
	}
	for _, k := range d.prevWords(q.lo, 3) {
		if describeWords[d.toks[k].fold] {
			return true
		}
	}
	return false
}

var describeWords = wordSet("pour", "for", "have", "has", "avons", "avez", "ai", "currently",
	"actuellement", "deja", "already", "existing", "existantes", "existants", "actuelles", "actuels",
	"possedons", "disposons", "dispose", "sur", "out", "parmi", "among")

// unknownPhrase returns the product-looking words next to a quantity (or a
// unit word) at [lo, hi) that named no known product: "5 licences Visio
// Plan 1" → "Visio Plan 1".
func (d *doc) unknownPhrase(c clause, lo, hi int) string {
	lead := func(t token) bool {
		return unitWords[t.fold] || itemNoise[t.fold] || t.fold == "d" || t.fold == "our" || t.fold == "nos" ||
			t.fold == "×" || t.kind == tPunct && t.fold != "+"
	}
	nameish := func(k int) bool {
		t := d.toks[k]
		switch {
		case d.prodAt[k] >= 0 || d.qtyAt[k] >= 0 || t.kind == tEmail:
			return false
		case t.kind == tPunct:
			return t.fold == "+"
		case t.kind == tNum:
			return true
		}
		if _, ok := d.trigger(k); ok {
			return false
		}
		return !stopWords[t.fold] && !unitWords[t.fold] && !peopleUnits[t.fold] && !priceWords[t.fold] && !negationWords[t.fold]
	}
	collect := func(lo, hi int) string {
		return d.phrase(lo, hi)
	}
	// After the quantity.
	k := hi
	for k < c.hi && !d.toks[k].line && lead(d.toks[k]) && !d.isStop(k) {
		k++
	}
	start, n := k, 0
	for k < c.hi && n < 6 && (k == start || !d.toks[k].line) {
		if d.toks[k].kind == tPunct && softPunct(d.toks[k].fold) && k > start {
			k++
			continue
		}
		if !nameish(k) {
			break
		}
		k++
		n++
	}
	if n > 0 {
		end := k
		for end > start && d.toks[end-1].kind == tPunct && d.toks[end-1].fold != "+" {
			end--
		}
		return collect(start, end)
	}
	// Before it: "passer les licences Adobe à 10".
	k = lo - 1
	for k >= c.lo && k > c.verb && (d.toks[k].kind == tPunct || roleWords[d.toks[k].fold]) {
		k--
	}
	end, n := k+1, 0
	for k >= c.lo && k > c.verb && n < 6 && nameish(k) {
		k--
		n++
	}
	if n > 0 {
		return collect(k+1, end)
	}
	return ""
}

// roleWords sit between a product and its quantity: "Adobe à 10".
var roleWords = wordSet("a", "to", "de", "by", "of", "from", "jusque", "up", "total", "au", "en")

// assignment reads an assignment or unassignment: "attribuer une licence E3
// à alice@contoso.com", "remove E3 from bob@contoso.com".
func (st *state) assignment(d *doc, c clause, text string, qs []*qmention, ps []*pmention, at []int) {
	class := c.info.class
	var kind ledger.OpKind
	switch class {
	case cAssign, cAdd:
		kind = ledger.OpAssign
	case cUnassign, cRemove:
		kind = ledger.OpUnassign
	case cBuy:
		st.issue(Issue{Code: ledger.InvalidRequest, Text: text, Detail: detailInvalid(st.lang, invBuyOrAssign, "")})
		return
	default:
		st.issue(Issue{Code: ledger.InvalidRequest, Text: text, Detail: detailInvalid(st.lang, invUsersVerb, "")})
		return
	}
	if len(at) == 0 {
		if len(ps) > 0 || len(qs) > 0 {
			st.issue(Issue{Code: ledger.InvalidRequest, Text: text, Detail: detailInvalid(st.lang, invNoUser, "")})
		}
		return
	}
	var users, foreign []string
	for _, k := range at {
		u := d.toks[k].lower
		if slices.Contains(users, u) || slices.Contains(foreign, u) {
			continue
		}
		if !st.domains[u[strings.LastIndexByte(u, '@')+1:]] || !validAddress(u) {
			foreign = append(foreign, u)
			continue
		}
		users = append(users, u)
	}
	if len(foreign) > 0 {
		if len(foreign) > 20 {
			foreign = append(foreign[:20], "…")
		}
		st.issue(Issue{Code: ledger.ForeignUser, Text: text, Detail: detailForeign(st.lang, foreign)})
		return
	}
	if len(users) > ledger.MaxUsersPerOp {
		st.issue(Issue{Code: ledger.TooManyUsers, Text: text, Detail: detailTooManyUsers(st.lang, len(users))})
		return
	}
	for _, q := range qs {
		if q.status == qOK && q.value != 1 && q.value != len(users) {
			st.issue(Issue{Code: ledger.InvalidRequest, Text: text, Detail: detailInvalid(st.lang, invUsersCount,
				d.phrase(q.lo, q.hi)+" / "+strconv.Itoa(len(users)))})
			return
		}
	}
	if len(ps) == 0 {
		switch len(st.context) {
		case 1:
			st.op(ledger.Op{Kind: kind, SKU: st.context[0], Users: users})
		case 0:
			st.issue(Issue{Code: ledger.UnknownProduct, Text: text, Detail: detailNoProduct(st.lang, userList(st.lang, users))})
		default:
			st.issue(Issue{Code: ledger.AmbiguousProduct, Text: text, Candidates: slices.Clone(st.context),
				Detail: detailContextAmbiguous(st.lang, st.cat, userList(st.lang, users), st.context)})
		}
		return
	}
	// Which users each product goes to.
	groups := make([][]string, len(ps))
	allAfter, allBefore := at[0] > ps[len(ps)-1].lo, at[len(at)-1] < ps[0].lo
	switch {
	case len(ps) == 1 || allAfter || allBefore:
		for i := range ps {
			groups[i] = users
		}
	default:
		// "E3 à alice@… et E5 à bob@…": each product takes the users after it.
		if at[0] < ps[0].lo {
			st.issue(Issue{Code: ledger.InvalidRequest, Text: text, Detail: detailInvalid(st.lang, invUsersMapping, "")})
			return
		}
		for i, p := range ps {
			hi := c.hi
			if i+1 < len(ps) {
				hi = ps[i+1].lo
			}
			for _, k := range at {
				if k > p.lo && k < hi {
					if u := d.toks[k].lower; !slices.Contains(groups[i], u) {
						groups[i] = append(groups[i], u)
					}
				}
			}
			if len(groups[i]) == 0 {
				st.issue(Issue{Code: ledger.InvalidRequest, Text: text, Detail: detailInvalid(st.lang, invUsersMapping, "")})
				return
			}
		}
	}
	for i, p := range ps {
		if len(p.skus) != 1 {
			st.issue(Issue{Code: ledger.AmbiguousProduct, Text: text, Candidates: slices.Clone(p.skus),
				Detail: detailAmbiguous(st.lang, st.cat, d.phrase(p.lo, p.hi), p.skus)})
			continue
		}
		st.op(ledger.Op{Kind: kind, SKU: p.skus[0], Users: slices.Clone(groups[i])})
	}
}

// validAddress checks the shape of a lower-cased address the tokenizer found.
func validAddress(u string) bool {
	at := strings.LastIndexByte(u, '@')
	if at <= 0 || at > 64 || at == len(u)-1 {
		return false
	}
	local := u[:at]
	return local[0] != '.' && local[len(local)-1] != '.' && !strings.Contains(local, "..")
}
