package reader

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
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
	// Partial is what was understood of the operation the issue is about,
	// its missing part empty (the product, the quantity, the users), so
	// that the customer's answer can complete it (SPEC §4.6); nil when no
	// operation was understood at all.
	Partial *ledger.Op
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
	// Asks are the message's questions about the tenant's own licences
	// ("how many free E3 do we have?", "combien coûteraient 5 licences de
	// plus ?", "what licences are we not using?"): a reading with no ops and
	// no issues but Asks is answered with the figures and changes nothing
	// (SPEC §6, status answered). A condition whose product is known adds
	// its product and quantity, so that the answer gives the facts the
	// customer needs to decide.
	Asks []ledger.Ask
}

// Options are what the reader needs to know about the sender's tenant.
type Options struct {
	// Domains are the tenant's domains: users named in a request must belong
	// to one of them (SPEC §4.3).
	Domains []string
	// Held maps each product the tenant has a subscription to to its total
	// (R-TOTAL). A family name ("E3", "Exchange", "Visio") means the one
	// product of the family the tenant holds, and "from N to M" is a new
	// total only when N is the current total (issue 9, classes 2 and 7).
	// nil means unknown: both are then asked about.
	Held map[string]int
	// Context is the earlier request of the conversation this message
	// answers (SPEC §4.6), or nil for a new message.
	Context *Context
}

// Context is what a conversation's earlier request left to complete: the
// operations understood and the questions asked (SPEC §4.6). An answer
// ("Business Premium, please", "il en faudrait 3", "pour alice@…", "oui,
// les deux") is read against it.
type Context struct {
	// Understood are the operations the earlier request understood (its
	// Result.Understood, or the operations it applied).
	Understood []ledger.Op
	// Missing are the earlier result's questions: Code, Candidates and
	// Partial are read.
	Missing []ledger.Error
	// Refused: the earlier request was refused; a new number in answer
	// retries its one seat change (see retry).
	Refused bool
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
	st := &state{cat: r.cat, ix: r.ix, lang: lang, domains: domainSet(opt.Domains), held: opt.Held}
	st.out.Language = lang
	for _, d := range []*doc{sd, bd} {
		d.lang = lang
		markListNumbers(d.toks)
		d.findProducts(r.ix)
		d.findQuantities()
		d.elliptic(r.ix)
		d.held(opt.Held)
		d.sentences()
		for _, p := range d.prods {
			if p.negated {
				continue
			}
			for _, sku := range p.skus {
				if !slices.Contains(st.context, sku) {
					st.context = append(st.context, sku)
				}
			}
		}
	}
	st.subject = subjectVerb(sd)
	if ctx := opt.Context; ctx != nil {
		st.answering = true
		// SPEC §4.6: an answer completes the earlier request's questions;
		// "1 more" counts the earlier request's one product.
		bd.used = make([]bool, len(bd.toks))
		st.complete(bd, ctx, bd.used)
		if len(st.context) == 0 {
			st.context = contextProducts(ctx)
		}
	}
	st.process(bd)
	if st.empty() && len(st.conds) == 0 && !bd.asks() {
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
	st.finish(sd, bd)
	if len(st.out.Ops) == 0 && len(st.out.Issues) == 0 && len(st.out.Asks) == 0 {
		for _, is := range st.soft {
			st.issue(is)
		}
	}
	if opt.Context == nil && len(st.out.Ops) == 0 && len(st.out.Issues) == 0 && len(st.out.Asks) == 0 {
		// Issue 11, class 8: outside a conversation, "3 please." or
		// "Office 365 E3." is an incomplete request, asked about.
		st.fragments(bd)
	}
	if len(st.out.Ops) == 0 && len(st.out.Issues) == 0 && len(st.out.Asks) == 0 {
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

// requestTag is the desk's request id in a subject ("[LD-01KAGZ…]"): a
// reference, never a product nor a request.
var requestTag = regexp.MustCompile(`\[LD-[0-9A-Za-z]{20,30}\]`)

// CleanSubject removes the reply and forward prefixes ("Re:", "TR :",
// "Fwd:", "RE[2]:") from the start of a subject, and the desk's request
// tags.
func CleanSubject(s string) string {
	s = strings.TrimSpace(requestTag.ReplaceAllString(s, ""))
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
	ix      *index
	lang    string
	domains map[string]bool
	held    map[string]int
	context []string // every product the message names, for "5 de plus" alone
	vague   []Issue  // "merci d'ajouter les licences": asked only if nothing else answers
	opsFull bool
	out     Reading
	// subject is the verb of the subject ("Commande de licences"), for the
	// forms and tables of the body that name none.
	subject verbInfo
	// conds are the requests that a condition bears on (issue 9, class 1):
	// never applied; the answer gives their facts or the reply asks.
	conds []condItem
	// soft are the issues of needs without a number ("il a besoin
	// d'Intune"): reported only when nothing else was asked.
	soft []Issue
	// answering is set for a message that answers an earlier request.
	answering bool
}

// condItem is a request read in a conditional sentence.
type condItem struct {
	skus []string // its products (all candidates), nil when it names none
	qty  int      // its quantity, 0 when none
	text string   // the sentence
	cond string   // the condition as written ("si ce n'est pas le cas")
}

func (st *state) full() bool { return len(st.out.Issues) >= maxIssues }

// empty reports that nothing was found yet.
func (st *state) empty() bool { return len(st.out.Ops) == 0 && len(st.out.Issues) == 0 }

// subjectVerb returns the verb of a subject that names no item
// ("Commande de licences", "Add licenses"), or none.
func subjectVerb(sd *doc) verbInfo {
	var verb verbInfo
	n := 0
	for _, s := range sd.segments() {
		for _, c := range sd.clauses(s) {
			if c.verb < 0 || sd.hasItemsBut(c.lo, c.hi, c.verb) || sd.skipReason(c) != "" {
				continue
			}
			verb = c.info
			n++
		}
	}
	if n == 0 && !sd.hasItemsBut(0, len(sd.toks), -1) && sd.anyWord(0, len(sd.toks), unitWords) &&
		(sd.anyWord(0, len(sd.toks), requestNouns) || sd.anyWord(0, len(sd.toks), newWords)) &&
		!sd.anyWord(0, len(sd.toks), changeNouns) {
		// "Demande de licences", "Licence request", "Nouvelles licences",
		// "Additional licences": licences asked for are licences to add,
		// for a body that only lists items (issue 9, class 3).
		return verbInfo{class: cAdd}
	}
	if n == 0 && !sd.hasItemsBut(0, len(sd.toks), -1) && sd.anyWord(0, len(sd.toks), arrivalWords) {
		// "Arrivées de décembre", "December starters": the subject of a
		// body that only lists items says they are for people arriving,
		// so the items are what to add (issue 9, class 3); seats only,
		// never an assignment (see state.subjectVerb).
		return verbInfo{class: cAdd, arrival: true}
	}
	if n != 1 {
		return verbInfo{}
	}
	if verb.class == cNeed {
		verb.class = cAdd
	}
	verb.needsTarget = false
	return verb
}

// hasAddress reports an address in [lo, hi).
func (d *doc) hasAddress(lo, hi int) bool {
	for k := lo; k < hi; k++ {
		if d.toks[k].kind == tEmail {
			return true
		}
	}
	return false
}

// requestNouns and newWords ask for licences in a subject without a verb;
// changeNouns ask for something else about them ("Demande de
// modification de licences", "New licences pricing").
var (
	requestNouns = wordSet("demande", "demandes", "request", "requests", "requete")
	newWords     = wordSet("nouvelle", "nouvelles", "nouveau", "nouveaux", "new", "supplementaire", "supplementaires",
		"additional", "extra", "more")
	changeNouns = wordSet("modification", "modifications", "changement", "changements", "change", "changes", "ajustement",
		"ajustements", "adjustment", "adjustments", "transfert", "transfer", "question", "questions", "info", "infos",
		"information", "informations", "renseignement", "renseignements", "devis", "quote", "quotation", "prix", "price",
		"prices", "pricing", "tarif", "tarifs", "facture", "invoice", "renouvellement", "renewal", "retour", "return",
		"suppression", "removal", "reduction", "baisse", "diminution", "annulation", "cancellation", "resiliation",
		"migration", "switch", "upgrade", "downgrade", "attribution", "assignment", "audit", "inventaire", "inventory",
		"recap", "recapitulatif", "summary", "etat", "status", "statut", "point", "bilan", "report", "rapport")
)

// arrivalWords name people who arrive: a subject or lead-in made of them
// ("Arrivées de décembre", "New starters:") introduces what to add.
var arrivalWords = wordSet("arrivee", "arrivees", "arrivant", "arrivants", "arrivals", "arrival", "starters", "starter",
	"joiners", "joiner", "hires", "onboarding", "embauche", "embauches", "recrues", "newcomers")

// subjectVerb applies a subject's lone verb ("Commande de licences", "Add
// licenses") to the lines of the body that only list items ("5 E3 et 2 E5").
func (st *state) subjectVerb(sd, bd *doc) {
	// st.subject is the subject's one verb (two: which one goes with the
	// list?), a need taken as what to add, or its arrivals.
	if st.subject.class == cNone {
		return
	}
	for _, s := range bd.segments() {
		if !bd.isItemLine(s) || st.subject.arrival && bd.hasAddress(s.lo, s.hi) {
			continue
		}
		st.resolve(bd, clause{lo: s.lo, hi: s.hi, verb: -1, info: st.subject,
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
	used := st.structured(d, segs)
	for si := 0; si < len(segs) && !st.full(); si++ {
		if used[si] {
			continue
		}
		cs := d.clauses(segs[si])
		arrivals := false
		if len(cs) == 0 && segs[si].colon && !d.hasItemsBut(segs[si].lo, segs[si].hi, -1) &&
			d.anyWord(segs[si].lo, segs[si].hi, arrivalWords) {
			// "Nouveaux arrivants :", "New starters:" over product lines:
			// the lines are what to add (issue 9, class 3).
			s := segs[si]
			cs = []clause{{lo: s.lo, hi: s.hi, verb: -1, info: verbInfo{class: cAdd, arrival: true},
				textLo: d.toks[s.lo].start, textHi: d.toks[s.hi-1].end}}
			arrivals = true
		}
		if len(cs) == 0 {
			continue
		}
		// A verb whose items come on the next lines: "Merci d'ajouter :",
		// "- 5 E3", "- 2 E5", or a sentence wrapped before its product.
		// After a colon the items may be set apart by blank lines, as
		// bullets often are (issue 9, class 4).
		last := &cs[len(cs)-1]
		if lead := segs[si]; arrivals || last.verb >= 0 && (lead.colon || !d.hasProduct(last.lo, last.hi)) {
			extended := false
			for sj := si + 1; sj < len(segs); sj++ {
				s2 := segs[sj]
				first := d.toks[s2.lo]
				// A blank line may follow the colon, or set bullets apart.
				blankOK := lead.colon && (d.startsItem(s2) || !extended)
				if used[sj] || !first.line || first.blank && !blankOK || !d.isItemLine(s2) ||
					arrivals && (!d.hasProduct(s2.lo, s2.hi) || d.hasAddress(s2.lo, s2.hi)) {
					break
				}
				last.hi = s2.hi
				last.textHi = d.toks[s2.hi-1].end
				si = sj
				extended = true
				if s2.stop {
					break
				}
			}
			if extended && last.info.class == cNeed && d.anyPunct(last.verb, last.hi, ":") {
				// "Here's what we need:" over a list: the list is what to
				// add (issue 9, class 4).
				last.info.class = cAdd
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

// startsItem reports a segment that opens with a list marker: "-", "*",
// "•", "·", or a list number ("1.").
func (d *doc) startsItem(s segment) bool {
	t := d.toks[s.lo]
	if t.bullet {
		return true
	}
	switch t.lower {
	case "-", "*", "•", "·", "–", "—", "o", "▪", "◦", "‣", "+":
		return t.kind == tPunct || t.lower == "o"
	}
	return false
}

// anyPunct reports the punctuation mark p in [lo, hi).
func (d *doc) anyPunct(lo, hi int, p string) bool {
	for k := lo; k < hi; k++ {
		if d.toks[k].kind == tPunct && d.toks[k].lower == p {
			return true
		}
	}
	return false
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

// resolve turns one clause into operations or issues. A clause of a
// conditional sentence, or one that belongs to a question ("how much
// would it cost to add 5 E3?"), is no request: its items are kept for the
// answer (issue 9, class 1).
func (st *state) resolve(d *doc, c clause) {
	if d.skipReason(c) != "" || d.used != nil && d.usedAll(c, d.used) {
		return
	}
	at := c.verb
	if at < 0 {
		at = c.lo
	}
	s := d.sentenceOf(at)
	switch {
	case s == nil:
	case s.cond:
		st.conditional(d, c, s)
		return
	case c.verb >= 0 && d.asksInstead(s, c.verb), c.verb < 0 && s.interrog:
		return // part of a question: finish answers it
	}
	if s != nil {
		s.requested = true
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
		// Without a verb, a number of people is a description: "Two more
		// starters in the warehouse on Monday." (issue 9, class 2).
		if !q.negated && !d.countsOther(q) && !(c.verb < 0 && d.countsNewPeople(q)) {
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
	if class == cSwitch && len(users) == 0 && !d.everyone(c) && slices.ContainsFunc(qs, func(q *qmention) bool { return q.hasFrom }) {
		// "move us from 14 to 16", "switch E1 from 10 to 12": a count
		// that changes, not users moving between products (issue 9,
		// class 2).
		c.info.class, c.info.needsTarget = cSet, true
		class = cSet
	}
	if st.switchRequest(d, c, text, ps, users, qs) {
		return
	}
	if len(users) > 0 && len(qs)+len(ps) == 0 && !units && len(st.context) > 0 && d.objectPronoun(c) &&
		(class == cAssign || class == cUnassign) {
		// "add 1 Visio Plan 2 and assign it to bob@…", "de l'attribuer à
		// bob@…": the pronoun stands for the product the message names
		// (asked about when it names several).
		st.assignment(d, c, text, qs, ps, users)
		return
	}
	if len(users) > 0 && len(qs)+len(ps) == 0 && !units {
		// Addresses and a verb, no licence named: "remove bob@… from the
		// group" may not be about licences at all, "assign bob@…" is.
		switch class {
		case cAssign, cUnassign, cAdd, cRemove:
			kind := ledger.OpAssign
			if class == cUnassign || class == cRemove {
				kind = ledger.OpUnassign
			}
			st.issue(Issue{Code: ledger.UnknownProduct, Text: text,
				Detail:  detailNoProduct(st.lang, d.phrase(users[0], users[len(users)-1]+1)),
				Partial: &ledger.Op{Kind: kind, Users: st.ownUsers(d, users)}})
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
		// A number of something else between this item and the next keeps
		// its own markers: "10 -> 12, we are opening two more shops".
		if other := d.qtysIn(it.hi(), afterHi); len(other) > 0 {
			afterHi = other[0].lo
		}
		more := d.anyPhrase(it.lo(), afterHi, moreAfterP) || d.anyPhrase(beforeLo, it.lo(), moreBeforeP)
		less := d.anyPhrase(it.lo(), afterHi, lessAfterP)
		totalAfter := d.anyPhrase(it.lo(), afterHi, totalAfterP)
		total := totalAfter || d.anyPhrase(beforeLo, it.lo(), totalBeforeP)
		if it.q != nil {
			more = more || it.q.more
			total = total || it.q.role == rTotal
		}
		if (class == cAdd || class == cBuy) && total && totalAfter && (it.q == nil || it.q.role != rTotal) &&
			!d.anyPhrase(beforeLo, it.lo(), totalBeforeP) {
			// "add five E1 licences in total": what is added, altogether
			// (issue 9, class 3); "add up to a total of 40" is a total.
			total = false
		}
		fromTo := it.q != nil && it.q.hasFrom && it.p != nil
		if class == cNone && !more && !less && !fromTo {
			// No verb and no marker of its own: "5 E3" next to "2 E5 de plus".
			if it.q != nil && it.p != nil && !total {
				st.issue(Issue{Code: ledger.InvalidRequest, Text: text,
					Detail: detailInvalid(st.lang, invNoOperation, d.phrase(it.lo(), it.hi()))})
			}
			continue
		}
		pk := partialKind(class, more, less, total)
		if it.q == nil {
			// A product without a quantity.
			if class == cNone || c.info.needsTarget {
				continue
			}
			if class == cNeed && !more && !less && !total {
				// "il a besoin d'Intune pour son poste", "they need Teams":
				// a need without a number mostly explains another request;
				// asked about only when the message asks nothing else.
				st.softNeed(d, c, text, it, complete, pk)
				continue
			}
			phrase := d.phrase(it.p.lo, it.p.hi)
			partial := &ledger.Op{Kind: pk}
			if len(it.p.skus) == 1 {
				phrase = productName(st.cat, it.p.skus[0])
				partial.SKU = it.p.skus[0]
			} else {
				st.product(d, c, text, it, complete, partial)
			}
			st.issue(Issue{Code: ledger.QuantityMissing, Text: text, Detail: detailQuantity(st.lang, phrase, "", whyNone),
				Partial: partial})
			continue
		}
		q := it.q
		kind, why := decide(class, c.info.needsTarget, q.role, more, less, total)
		if class == cNone && fromTo && !more && !less {
			kind, why = ledger.OpSet, -1 // "Business Basic : 14 → 16"
		}
		if why == whyNotRequest {
			continue
		}
		if it.p == nil && complete && d.describes(q) {
			continue // "Ajoutez 5 E3 pour nos 2 nouveaux arrivants"
		}
		if kind == "" {
			kind = pk
		}
		var qty int
		if q.status == qOK && why < 0 {
			qty = q.value
		}
		sku, ok := st.product(d, c, text, it, complete, &ledger.Op{Kind: kind, Quantity: qty})
		name := productName(st.cat, sku)
		if !ok {
			name = d.phrase(q.lo, q.hi)
			if it.p != nil {
				name = d.phrase(it.p.lo, it.p.hi)
			}
		}
		written := d.phrase(q.lo, q.hi)
		// What was understood of the operation, for the answer to
		// complete (SPEC §4.6): its quantity is what is asked.
		partial := &ledger.Op{Kind: kind}
		if ok {
			partial.SKU = sku
		}
		switch {
		case !ok && q.status == qOK && why < 0:
			// The product was asked about; the quantity stands.
		case q.status == qFuzzy:
			st.issue(Issue{Code: ledger.QuantityMissing, Text: text, Detail: detailQuantity(st.lang, name, written, whyFuzzy), Partial: partial})
		case q.status == qAmbiguous:
			st.issue(Issue{Code: ledger.QuantityMissing, Text: text, Detail: detailQuantity(st.lang, name, written, whyTwoWays), Partial: partial})
		case q.status == qDecimal || q.status == qTooLarge:
			st.issue(Issue{Code: ledger.InvalidQuantity, Text: text, Detail: detailInvalidQuantity(st.lang, written, q.status, q.value), Partial: partial})
		case why >= 0:
			st.issue(Issue{Code: ledger.QuantityMissing, Text: text, Detail: detailQuantity(st.lang, name, written, why), Partial: partial})
		case q.value == 0 && kind != ledger.OpSet:
			st.issue(Issue{Code: ledger.InvalidQuantity, Text: text, Detail: detailInvalidQuantity(st.lang, written, qOK, 0), Partial: partial})
		case ok && kind == ledger.OpSet && q.hasFrom && !st.fromMatches(sku, q.from):
			// Issue 9, class 2: "from 12 to 15" when the tenant holds 14 may
			// mean a total of 15 or 3 more: asked, with the current total.
			total, held := st.held[sku]
			st.issue(Issue{Code: ledger.QuantityMissing, Text: text, Partial: &ledger.Op{Kind: ledger.OpSet, SKU: sku},
				Detail: detailFromTo(st.lang, name, q.from, q.value, total, held, st.held != nil)})
		case ok:
			st.op(ledger.Op{Kind: kind, SKU: sku, Quantity: q.value})
		}
	}
}

// softNeed keeps the issues of a need without a number aside: they are
// reported only when the message asks for nothing else (see finish).
func (st *state) softNeed(d *doc, c clause, text string, it item, complete bool, pk ledger.OpKind) {
	saved := st.out.Issues
	st.out.Issues = nil
	partial := &ledger.Op{Kind: pk}
	phrase := d.phrase(it.p.lo, it.p.hi)
	if len(it.p.skus) == 1 {
		phrase = productName(st.cat, it.p.skus[0])
		partial.SKU = it.p.skus[0]
	} else {
		st.product(d, c, text, it, complete, partial)
	}
	st.out.Issues = append(st.out.Issues, Issue{Code: ledger.QuantityMissing, Text: clip(text),
		Detail: detailQuantity(st.lang, phrase, "", whyNone), Partial: partial})
	st.soft = append(st.soft, st.out.Issues...)
	st.out.Issues = saved
}

// fromMatches reports whether "from N" is the tenant's current total of
// sku (a product it holds no subscription to has 0). Unknown holdings never
// match: the sender is asked.
func (st *state) fromMatches(sku string, from int) bool {
	if st.held == nil {
		return false
	}
	return st.held[sku] == from
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
func (st *state) product(d *doc, c clause, text string, it item, complete bool, partial *ledger.Op) (string, bool) {
	if it.p != nil {
		if len(it.p.skus) == 1 {
			return it.p.skus[0], true
		}
		phrase := d.phrase(it.p.lo, it.p.hi)
		st.issue(Issue{Code: ledger.AmbiguousProduct, Text: text, Candidates: slices.Clone(it.p.skus),
			Detail: detailAmbiguous(st.lang, st.cat, phrase, it.p.skus), Partial: partial})
		return "", false
	}
	q := it.q
	written := d.phrase(q.lo, q.hi)
	if phrase := d.unknownPhrase(c, q.lo, q.hi); phrase != "" {
		st.issue(Issue{Code: ledger.UnknownProduct, Text: text, Detail: detailUnknown(st.lang, st.cat, phrase), Partial: partial})
		return "", false
	}
	if complete || !d.borrows(c, q) {
		// A lone number next to complete items is not read from the context,
		// nor one that nothing ties to licences (issue 9: a product or a
		// quantity not attached blocks instead of being guessed).
		st.issue(Issue{Code: ledger.UnknownProduct, Text: text, Detail: detailNoProduct(st.lang, written), Partial: partial})
		return "", false
	}
	switch len(st.context) {
	case 1:
		return st.context[0], true
	case 0:
		st.issue(Issue{Code: ledger.UnknownProduct, Text: text, Detail: detailNoProduct(st.lang, written), Partial: partial})
	default:
		st.issue(Issue{Code: ledger.AmbiguousProduct, Text: text, Candidates: slices.Clone(st.context),
			Detail: detailContextAmbiguous(st.lang, st.cat, written, st.context), Partial: partial})
	}
	return "", false
}

// partialKind is the operation a verb and its markers ask for, when the
// quantity that would settle it is missing or unclear: what the answer
// completes (SPEC §4.6). "Add or total?" is taken as add, the way the
// reply restates it ("ajouter ? × …").
func partialKind(class verbClass, more, less, total bool) ledger.OpKind {
	if k, why := decide(class, false, rPlain, more, less, total); why < 0 && k != "" {
		return k
	}
	switch class {
	case cRemove, cDec:
		return ledger.OpRemove
	case cSet:
		return ledger.OpSet
	case cAssign:
		return ledger.OpAssign
	case cUnassign:
		return ledger.OpUnassign
	}
	return ledger.OpAdd
}

// borrows reports whether a quantity without a product may take the one
// product the message names: it counts licences ("3 licences
// supplémentaires", "5 de plus", "2 more") or a verb's pronoun points back
// at it ("merci d'en ajouter 3", "add them"); or a verb, not a noun that
// may be a label ("Référence commande … 4410"), governs it.
func (d *doc) borrows(c clause, q *qmention) bool {
	if q.more || d.hasPronoun(c.lo, c.hi) {
		return true
	}
	if nx := d.nextWord(q.hi - 1); nx >= 0 {
		f := d.toks[nx].fold
		if unitWords[f] || d.phraseAt(nx, c.hi, moreAfterP) || d.phraseAt(nx, c.hi, lessAfterP) {
			return true
		}
	}
	return c.verb >= 0 && !c.info.noun
}

// describes reports a lone number that describes rather than asks: it
// counts people ("pour nos 2 nouveaux arrivants", "for 3 new hires") or what
// the tenant has ("we currently have 20").
func (d *doc) describes(q *qmention) bool {
	if nx := d.nextWord(q.hi - 1); nx >= 0 && peopleUnits[d.toks[nx].fold] || d.countsNewPeople(q) {
		return true
	}
	for _, k := range d.prevWords(q.lo, 3) {
		if describeWords[d.toks[k].fold] {
			return true
		}
	}
	return false
}

// countsOther reports a number that counts something other than licences:
// the noun right after it is a common noun of its own ("dix nouveaux
// bénévoles", "2 offices", "the two contractors", "deux coordinateurs"),
// written in lower case and known to no list of the reader (issue 9, class
// 3). A capitalised word may be a product the catalog does not know ("5
// Adobe"), which is asked about instead.
func (d *doc) countsOther(q *qmention) bool {
	k := d.nextWord(q.hi - 1)
	for n := 0; k >= 0 && n < 2 && countAdjectives[d.toks[k].fold]; n++ {
		k = d.nextWord(k)
	}
	if k < 0 {
		return false
	}
	t := d.toks[k]
	if t.kind != tWord || len(t.fold) < 3 || d.prodAt[k] >= 0 || d.qtyAt[k] >= 0 || hasDigit(t.fold) {
		return false
	}
	if r, _ := utf8.DecodeRuneInString(d.text[t.start:]); !unicode.IsLower(r) {
		return false
	}
	f := t.fold
	if stopWords[f] || unitWords[f] || peopleUnits[f] || itemNoise[f] || notCountAfter[f] || priceWords[f] ||
		fuzzyWords[f] || negationWords[f] || negationAfter[f] || adverbs[f] || describeWords[f] || timeWords[f] {
		return false
	}
	if _, ok := numberWords[f]; ok {
		return false
	}
	if _, ok := d.trigger(k); ok {
		return false
	}
	for _, list := range []phraseList{moreAfterP, lessAfterP, totalAfterP} {
		if d.phraseAt(k, len(d.toks), list) {
			return false
		}
	}
	return true
}

// countAdjectives may stand between a number and the noun it counts.
var countAdjectives = wordSet("new", "nouveaux", "nouvelles", "nouveau", "nouvelle", "futurs", "futures",
	"prochains", "prochaines", "other", "autres", "more", "extra", "additional", "further")

// countsNewPeople reports a number that counts people who are no seats:
// "two more starters", "3 nouveaux arrivants", "for our 2 new hires". A
// people word that also counts seats ("5 users", "3 utilisateurs") does not.
func (d *doc) countsNewPeople(q *qmention) bool {
	k := d.nextWord(q.hi - 1)
	for n := 0; k >= 0 && n < 2 && countAdjectives[d.toks[k].fold] && !peopleUnits[d.toks[k].fold]; n++ {
		k = d.nextWord(k)
	}
	if k < 0 || d.prodAt[k] >= 0 {
		return false
	}
	f := d.toks[k].fold
	return peopleUnits[f] && !unitWords[f] && !countAdjectives[f]
}

// adverbs may follow a quantity without being what it counts: "add 2 now".
var adverbs = wordSet("now", "immediately", "again", "straight", "right", "maintenant", "immediatement",
	"aussitot", "asap", "stp", "today", "tonight", "instead", "only", "seulement", "uniquement", "please",
	"svp", "thanks", "merci", "total", "altogether", "pieces", "piece", "units", "unites", "fois",
	"licence", "licences", "license", "licenses",
	// after an answer's number: "5 finalement", "4 actually", "20 plutôt"
	// (issue 11, class 4)
	"finalement", "finally", "plutot", "rather", "actually", "alors", "enfin", "donc", "ultimately")

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
		// "add 20 instead", "20 à la place", "20 plutôt": no name
		// (issue 11, class 7).
		if adverbs[t.fold] || d.phraseAt(k, c.hi, insteadP) {
			return false
		}
		return !stopWords[t.fold] && !unitWords[t.fold] && !peopleUnits[t.fold] && !priceWords[t.fold] && !negationWords[t.fold]
	}
	collect := func(lo, hi int) string {
		return d.phrase(lo, hi)
	}
	// After the quantity.
	k := hi
	for k < c.hi && !d.toks[k].line && lead(d.toks[k]) && !d.isStop(k) && !d.phraseAt(k, c.hi, insteadP) {
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

// objectPronouns stand for a licence after a verb: "assign it", "give
// them", "l'attribuer", "la donner".
var objectPronouns = wordSet("it", "them", "le", "la", "les")

// objectPronoun reports an object pronoun right before or after the
// clause's verb.
func (d *doc) objectPronoun(c clause) bool {
	if c.verb < 0 {
		return false
	}
	if nx := d.nextWord(c.verb); nx >= 0 && nx < c.hi && objectPronouns[d.toks[nx].fold] {
		return true
	}
	pv := d.prevWords(c.verb, 1)
	return len(pv) == 1 && pv[0] >= c.lo && objectPronouns[d.toks[pv[0]].fold]
}

// insteadP replace what was asked before: "20 à la place", "au lieu de 50".
var insteadP = phrases([]string{"a", "la", "place"}, []string{"au", "lieu"}, []string{"instead"})

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
			partial := &ledger.Op{Kind: kind}
			if len(ps) == 1 && len(ps[0].skus) == 1 {
				partial.SKU = ps[0].skus[0]
			}
			st.issue(Issue{Code: ledger.InvalidRequest, Text: text, Detail: detailInvalid(st.lang, invNoUser, ""), Partial: partial})
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
		// "attribuez-en une à dave@… (nous avons 25 licences d'essai)":
		// a number that describes what the tenant has counts nothing here.
		if q.status == qOK && q.value != 1 && q.value != len(users) && !d.describes(q) {
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
			st.issue(Issue{Code: ledger.UnknownProduct, Text: text, Detail: detailNoProduct(st.lang, userList(st.lang, users)),
				Partial: &ledger.Op{Kind: kind, Users: users}})
		default:
			st.issue(Issue{Code: ledger.AmbiguousProduct, Text: text, Candidates: slices.Clone(st.context),
				Detail:  detailContextAmbiguous(st.lang, st.cat, userList(st.lang, users), st.context),
				Partial: &ledger.Op{Kind: kind, Users: users}})
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
				Detail:  detailAmbiguous(st.lang, st.cat, d.phrase(p.lo, p.hi), p.skus),
				Partial: &ledger.Op{Kind: kind, Users: slices.Clone(groups[i])}})
			continue
		}
		st.op(ledger.Op{Kind: kind, SKU: p.skus[0], Users: slices.Clone(groups[i])})
	}
}

// ownUsers returns the lower-cased addresses at token indexes at that
// belong to the tenant's domains, for a partial operation: a foreign one is
// never carried into an answer.
func (st *state) ownUsers(d *doc, at []int) []string {
	var users []string
	for _, k := range at {
		u := d.toks[k].lower
		if st.domains[u[strings.LastIndexByte(u, '@')+1:]] && validAddress(u) && !slices.Contains(users, u) {
			users = append(users, u)
		}
	}
	if len(users) > ledger.MaxUsersPerOp {
		users = users[:ledger.MaxUsersPerOp]
	}
	return users
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
