package reader

import (
	"unicode"
	"unicode/utf8"
)

// Sentences and what they are: a firm request, a condition, a question
// (issue 9, class 1). A request is only ever read from a sentence that is
// neither conditional nor an informational question; the items of the
// others are kept apart, to answer with the facts or to ask.

// sentence is a run of segments that belong together: the clauses of a
// request and the conditions or questions that bear on them.
type sentence struct {
	lo, hi int
	// cond is set when a condition bears on the sentence ("si ce n'est pas
	// le cas", "au cas où", "sinon", "if not", "unless", "in case", "should
	// we need", "maybe"); condLo..condHi is its marker, for the reply.
	cond           bool
	condLo, condHi int
	// interrog is set for a question: a "?", an interrogative word at its
	// start ("combien", "how many", "what"), or an indirect question ("me
	// dire si", "let me know whether").
	interrog bool
	// topic says what a question asks about the tenant's licences.
	topic topic
	// requested is set once a clause of the sentence was read as a request
	// ("could you add 2 more E3?" is one, though it asks).
	requested bool
}

// topic is what a question about the tenant's own licences asks.
type topic uint8

const (
	topicFigures topic = 1 << iota // free, spare, left, assigned, total, how many
	topicPrice                     // how much, combien coûte, price, quote
	topicUnused                    // which licences are unused, what are we not using
)

// The words of conditions, hedges and questions, folded. Phrases are
// matched word by word, punctuation skipped ("peut-être", "s'il").
var (
	// conditions make every request of their sentence conditional.
	conditionP = phrases(
		[]string{"si"}, []string{"sinon"}, []string{"au", "cas", "ou"}, []string{"dans", "le", "cas", "ou"},
		[]string{"dans", "le", "cas", "contraire"}, []string{"dans", "le", "hypothese"}, []string{"en", "cas", "de"},
		[]string{"a", "condition"}, []string{"pourvu", "que"}, []string{"sauf", "si"}, []string{"a", "moins", "que"},
		[]string{"le", "cas", "echeant"}, []string{"eventuellement"}, []string{"peut", "etre"}, []string{"au", "besoin"},
		[]string{"if"}, []string{"unless"}, []string{"in", "case"}, []string{"in", "the", "event"}, []string{"provided"},
		[]string{"providing"}, []string{"as", "long", "as"}, []string{"assuming"}, []string{"otherwise"},
		[]string{"or", "else"}, []string{"depending", "on"}, []string{"subject", "to"}, []string{"maybe"},
		[]string{"perhaps"}, []string{"possibly"}, []string{"might"}, []string{"should", "we"}, []string{"should", "you"},
		[]string{"should", "i"}, []string{"should", "there"}, []string{"should", "it"}, []string{"should", "the"},
		[]string{"should", "our"}, []string{"whenever"},
	)
	// hedges look like conditions but qualify a remark or ask politely
	// (issue 9, class 8): "sauf erreur de ma part", "if I remember
	// correctly", "si possible". They condition nothing.
	hedgeP = phrases(
		[]string{"si", "je", "ne", "me", "trompe"}, []string{"si", "je", "me", "trompe"}, []string{"si", "je", "ne", "me", "abuse"},
		[]string{"si", "je", "me", "souviens"}, []string{"si", "je", "me", "rappelle"}, []string{"si", "mes", "souvenirs"},
		[]string{"si", "ma", "memoire"}, []string{"si", "je", "ai", "bien", "compris"}, []string{"si", "je", "comprends", "bien"},
		[]string{"sauf", "erreur"}, []string{"si", "possible"}, []string{"si", "ce", "est", "possible"},
		[]string{"si", "cela", "est", "possible"}, []string{"si", "vous", "le", "pouvez"}, []string{"si", "vous", "pouvez"},
		[]string{"si", "il", "vous", "plait"}, []string{"si", "il", "te", "plait"}, []string{"si", "vous", "avez", "des", "questions"},
		[]string{"si", "vous", "avez", "la", "moindre", "question"}, []string{"si", "vous", "avez", "besoin", "de"},
		[]string{"si", "besoin", "de", "plus", "de"}, []string{"en", "cas", "de", "question"}, []string{"en", "cas", "de", "questions"},
		[]string{"si", "cela", "vous", "convient"}, []string{"si", "ca", "vous", "va"},
		[]string{"if", "i", "remember"}, []string{"if", "i", "recall"}, []string{"if", "i", "am", "not", "mistaken"},
		[]string{"if", "i", "am", "wrong"}, []string{"if", "memory", "serves"}, []string{"unless", "i", "am", "mistaken"},
		[]string{"unless", "i", "am", "wrong"}, []string{"if", "i", "understand"}, []string{"if", "i", "understood"},
		[]string{"if", "possible"}, []string{"if", "at", "all", "possible"}, []string{"if", "it", "is", "possible"},
		[]string{"if", "you", "can"}, []string{"if", "you", "could"}, []string{"if", "you", "would"},
		[]string{"if", "you", "do", "not", "mind"}, []string{"if", "you", "have", "any"}, []string{"if", "you", "need", "anything"},
		[]string{"if", "you", "need", "more"}, []string{"if", "you", "need", "any"}, []string{"if", "anything"},
		[]string{"if", "there", "are", "any", "questions"}, []string{"if", "there", "is", "any", "problem"},
		[]string{"if", "that", "is", "ok"}, []string{"if", "that", "is", "okay"}, []string{"if", "that", "is", "fine"},
		[]string{"if", "that", "works"}, []string{"correct", "me", "if"}, []string{"if", "so", "please", "let"},
		[]string{"if", "there", "are", "any", "issues"}, []string{"if", "there", "is", "any", "issue"},
		[]string{"if", "there", "are", "any", "problems"}, []string{"if", "there", "is", "a", "problem"},
		[]string{"if", "there", "is", "any", "problem"}, []string{"if", "you", "have", "questions"},
		[]string{"en", "cas", "de", "souci"}, []string{"en", "cas", "de", "probleme"},
		[]string{"si", "il", "y", "a", "un", "probleme"}, []string{"si", "il", "y", "a", "un", "souci"},
		[]string{"si", "il", "y", "a", "le", "moindre"}, []string{"si", "besoin", "de", "informations"},
		[]string{"si", "besoin", "de", "precisions"}, []string{"si", "vous", "avez", "besoin", "de", "informations"},
	)
	// referBack opens a sentence that depends on the one before: "Sinon,
	// …", "If not, …", "Dans le cas contraire, …".
	referBackP = phrases([]string{"sinon"}, []string{"otherwise"}, []string{"if", "not"}, []string{"else"},
		[]string{"dans", "le", "cas", "contraire"}, []string{"si", "ce", "n", "est", "pas"}, []string{"si", "non"})
)

var estCeQueP = phrases([]string{"est", "ce", "que"})

// askVerbs before "si"/"if" make it "whether": "dites-moi s'il nous reste",
// "let me know if we have". The sentence is then a question.
var askVerbs = wordSet("dire", "dites", "savoir", "indiquer", "indiquez", "confirmer", "confirmez", "verifier",
	"verifiez", "voir", "regarder", "regardez", "demander", "demande", "preciser", "precisez", "know", "tell",
	"check", "see", "wonder", "wondering", "wondered", "ask", "asking", "confirm", "find", "advise", "sais",
	"savez", "me", "moi")

// interrogatives open a question ("combien", "how many", "quelles
// licences", "what"), or ask instead of requesting when they come before a
// verb of request ("how much would it cost to add", "faut-il ajouter").
var interrogatives = wordSet("combien", "how", "what", "which", "quel", "quelle", "quels", "quelles", "whether",
	"why", "pourquoi", "lesquelles", "lesquels")

// questionBeforeVerb are the words that, before a verb of request in a
// question, make it part of the question: "do we need to add", "faut-il
// ajouter", "should we add", "est-ce que nous devons".
var questionBeforeVerb = wordSet("combien", "how", "what", "which", "quel", "quelle", "quels", "quelles",
	"whether", "do", "does", "did", "should", "faut", "devons", "devrions", "doit", "dois", "cout",
	"couterait", "couteraient", "coute", "coutent", "prix", "tarif", "devis", "cost", "costs", "price",
	"quote", "estimate")

// requestModals before a verb in a question make it a polite request:
// "pouvez-vous ajouter", "could you add", "serait-il possible d'ajouter",
// "can we get", "please can we have".
var requestModals = wordSet("pouvez", "pourriez", "pourrais", "pourrait", "pourrions", "pouvons", "peux",
	"puis", "serait", "voudriez", "voulez", "could", "can", "would", "will", "may", "please", "merci",
	"svp", "pls", "plz", "kindly", "possible")

// Topic words of a question about the tenant's own licences.
var (
	figureWords = wordSet("libre", "libres", "disponible", "disponibles", "dispo", "dispos", "reste", "restent",
		"restantes", "restants", "restante", "attribuee", "attribuees", "attribue", "attribues", "utilisee",
		"utilisees", "total", "spare", "free", "available", "left", "remaining", "unassigned", "assigned",
		"used", "many", "combien", "count", "nombre", "figures", "chiffres", "vacant", "vacantes", "unused",
		"inutilisee", "inutilisees")
	priceTopic = wordSet("prix", "tarif", "tarifs", "cout", "couts", "coute", "coutent", "couterait",
		"couteraient", "couter", "devis", "price", "prices", "pricing", "cost", "costs", "quote", "quotation",
		"estimate", "much", "facture", "facturee", "facturees", "represente", "represente-t-il", "mois", "month")
	unusedWords = wordSet("inutilisee", "inutilisees", "unused", "wasted", "gaspillees", "dormantes", "idle")
	// usingWords after a negation ask about unused seats: "not using",
	// "non utilisées", "n'utilisons pas".
	usingWords = wordSet("using", "use", "used", "utilisons", "utilisee", "utilisees", "utilise", "utilises",
		"attribuee", "attribuees")
)

// sentences groups the segments of the text into sentences: a line that
// does not end a sentence is continued by the next line when that one
// starts in lower case or the first ends with a comma, as a hard-wrapped
// sentence does. Grouping too much only makes a condition reach further,
// which asks rather than acts.
func (d *doc) sentences() {
	segs := d.segments()
	d.sentAt = make([]int32, len(d.toks))
	d.sents = d.sents[:0]
	for i := 0; i < len(segs); i++ {
		s := sentence{lo: segs[i].lo, hi: segs[i].hi}
		for i+1 < len(segs) && d.continues(segs[i], segs[i+1]) {
			i++
			s.hi = segs[i].hi
		}
		d.sents = append(d.sents, s)
	}
	for si := range d.sents {
		s := &d.sents[si]
		for k := s.lo; k < s.hi; k++ {
			d.sentAt[k] = int32(si)
		}
		d.mood(s, si)
	}
}

// continues reports whether segment b continues the sentence of segment a.
func (d *doc) continues(a, b segment) bool {
	if a.stop || a.colon {
		return false
	}
	first := d.toks[b.lo]
	if !first.line || first.blank {
		return !first.line // a segment cut inside a line: cannot happen without a stop
	}
	if first.kind == tPunct || first.bullet {
		return false // a list item
	}
	last := d.toks[a.hi-1]
	if last.kind == tPunct && last.lower == "," {
		return true
	}
	if first.kind != tWord {
		return false
	}
	r, _ := utf8.DecodeRuneInString(d.text[first.start:])
	return unicode.IsLower(r)
}

// billingWords make a question one about an invoice or a charge ("why
// are they still on the invoice?", "pourquoi est-elle toujours facturée
// ?"), which the figures of the tenant's licences do not answer (issue 9,
// class 5), unless it also asks a price or a count.
var billingWords = wordSet("invoice", "invoices", "invoiced", "invoicing", "bill", "billed", "billing", "charged",
	"charge", "charges", "debited", "refund", "refunded", "facture", "factures", "facturee", "facturees", "factures",
	"facturation", "facturer", "facturez", "facturons", "preleve", "prelevee", "prelevement", "rembourse", "remboursement",
	"avoir")

// mood finds the conditions and the question of a sentence.
func (d *doc) mood(s *sentence, si int) {
	first := d.firstWord(s.lo, s.hi)
	why, billing, counts := false, false, false
	for k := s.lo; k < s.hi; k++ {
		t := d.toks[k]
		if t.kind == tWord {
			switch f := t.fold; {
			case f == "why" || f == "pourquoi":
				why = true
			case billingWords[f] && f != "avoir" || f == "avoir" && k > s.lo && (d.toks[k-1].fold == "un" || d.toks[k-1].fold == "d"):
				billing = true
			case f == "combien" || priceWords[f] || (f == "many" || f == "much") && k > s.lo && d.toks[k-1].fold == "how":
				counts = true
			}
		}
		if t.kind == tPunct {
			if t.lower == "?" || t.lower == "¿" {
				s.interrog = true
			}
			continue
		}
		if n := d.phraseLen(k, s.hi, hedgeP); n > 0 && d.hedgeRestOK(k+n, s.hi) {
			k += n - 1
			continue
		}
		if n := d.phraseLen(k, s.hi, conditionP); n > 0 && !s.cond {
			if m := d.hedgeLen(k, n, s.hi); m > 0 {
				k += m - 1 // a courtesy or a doubt about a remark: no condition
				continue
			}
			// "si"/"if" after a verb of asking is "whether": a question.
			if t.fold == "si" || t.fold == "if" {
				if p := d.prevWords(k, 1); len(p) == 1 && askVerbs[d.toks[p[0]].fold] {
					s.interrog = true
					continue
				}
			}
			s.cond, s.condLo, s.condHi = true, k, k+n
			k += n - 1
			continue
		}
		if k == first && interrogatives[t.fold] {
			s.interrog = true
		}
		if interrogatives[t.fold] {
			// "I'd like to know how many…", "pouvez-vous me dire quelles…"
			if p := d.prevWords(k, 1); len(p) == 1 && askVerbs[d.toks[p[0]].fold] {
				s.interrog = true
			}
		}
		if t.fold == "whether" || t.fold == "combien" {
			s.interrog = true
		}
		if t.fold == "est" && d.phraseAt(k, s.hi, estCeQueP) {
			s.interrog = true
		}
		switch {
		case unusedWords[t.fold], usingWords[t.fold] && d.negatedBefore(k, s.lo):
			s.topic |= topicUnused | topicFigures
		case figureWords[t.fold]:
			s.topic |= topicFigures
		case priceTopic[t.fold] && (t.fold != "much" || k > s.lo && d.toks[k-1].fold == "how"):
			s.topic |= topicPrice
		}
	}
	if d.phraseAt(first, s.hi, referBackP) && si > 0 {
		s.cond, s.condLo, s.condHi = true, first, first+1
	}
	if !s.interrog || why || billing && !counts {
		// "Why …?" and a question about an invoice ask for an explanation
		// the figures do not give: no Ask (issue 9, class 5). The sentence
		// stays a question, so no request is read in it either.
		s.topic = 0
	}
}

// Hedges by their shape (issue 9, class 1): a condition marker whose
// clause is a courtesy to the desk ("si ça ne vous dérange pas", "if
// that's OK", "if it's not too much trouble", "si cela vous est
// possible"), a doubt of the sender about their own memory or wording
// ("à moins que je ne me trompe sur le nom", "unless I've got the name
// wrong", "if I'm right"), or a polite adverb after a request modal
// ("could you possibly", "pourriez-vous éventuellement"). A clause that
// names licences, figures or a decision ("unless we still have enough
// spare ones", "si le budget est validé", "if you have none left") is a
// condition, and so is one that something may be impossible ("if that's
// not possible, add 2").
var (
	hedgeSelf   = wordSet("je", "i", "me", "moi", "my", "ma", "mon", "mes", "memory", "memoire", "souvenirs")
	hedgeMemory = wordSet("trompe", "trompes", "abuse", "souviens", "souvient", "rappelle", "erreur", "wrong", "mistaken",
		"remember", "recall", "misremember", "misread", "misunderstood", "understand", "understood", "compris", "comprends",
		"serves", "right", "correct", "correctly", "betise", "betises", "confonds", "confusing", "mixing")
	// hedgeAbout introduce what a doubt is about: a fact ("if I'm right
	// that we are out of them") makes it a condition, unless it is the
	// wording of the product ("à moins que je ne me trompe sur le nom").
	hedgeAbout   = wordSet("that", "que", "qu", "about", "sur", "concernant", "regarding", "on", "whether")
	hedgeWording = wordSet("nom", "name", "intitule", "libelle", "wording", "spelling", "orthographe", "appellation",
		"reference", "sku", "terme", "term", "naming", "called", "appelle", "appellent")
	hedgeYou      = wordSet("vous", "you", "te", "toi", "your", "votre", "vos")
	hedgeIt       = wordSet("ca", "cela", "ce", "c", "it", "that", "this")
	hedgeCourtesy = wordSet("derange", "derangerait", "deranger", "ennuie", "ennuierait", "embete", "gene", "genait", "convient",
		"conviendrait", "va", "arrange", "arrangerait", "mind", "please", "like", "prefer", "prefere", "preferez", "time", "temps",
		"moment", "minute", "chance", "possibilite", "peux", "pouvez", "pourriez", "can", "could", "would", "possible", "ok", "okay",
		"fine", "alright", "trouble", "problem", "probleme", "souci", "soucis", "bother", "inconvenience", "easier", "simple",
		"simpler", "pratique", "convenient", "pose", "works", "suits", "faisable", "feasible", "doable", "demander", "ask", "deal", "hassle",
		"asking", "voulez", "veux", "want", "wish", "souhaitez", "bien")
	// hedgeBlock in the clause make it bear on the order.
	hedgeBlock = wordSet("assez", "enough", "budget", "valide", "validee", "approved", "approve", "approuve", "signe", "signed",
		"confirme", "confirmed", "accord", "go", "need", "needed", "besoin", "reste", "restent", "stock", "any", "none",
		"aucune", "aucun", "plus", "more", "left", "spare", "free", "libre", "libres", "dispo", "disponible", "disponibles")
	// courtesyGlue are the other words a courtesy clause is made of.
	courtesyGlue = wordSet("is", "s", "est", "n", "too", "much", "trop", "a", "an", "de", "d", "du", "pour", "for",
		"me", "moi", "us", "nous", "any", "all", "at", "le", "la", "les", "the", "un", "une", "y", "il", "was", "be",
		"will", "serait", "sera", "etait", "aussi", "also", "really", "vraiment", "get", "got", "have", "has", "avez",
		"as", "find", "trouvez", "occasion", "big", "deal", "grand", "chose", "so", "si", "with", "avec", "en", "of",
		"do", "does", "vous", "quick", "rapide", "today", "aujourd", "hui", "now", "maintenant", "ok", "no", "bit")
	// politeModals after "if you" ask for what follows: "if you could add".
	politeModals = wordSet("could", "would", "can", "pouviez", "pourriez", "pouvez", "voulez", "voudriez", "vouliez")
	// politeAdverbs after "could you", or before "you could", are politeness.
	politeAdverbs = wordSet("possibly", "perhaps", "maybe", "eventuellement")
)

// hedgeLen returns the number of tokens of the hedge that starts at the
// condition marker k (n tokens long), its clause included, or 0 when the
// marker is a condition.
func (d *doc) hedgeLen(k, n, hi int) int {
	f := d.toks[k].fold
	if politeAdverbs[f] || f == "peut" {
		p := d.prevWords(k, 2)
		if len(p) == 2 && requestModals[d.toks[p[1]].fold] && hedgeYou[d.toks[p[0]].fold] {
			return n // "could you possibly add", "pourriez-vous éventuellement"
		}
		nx := d.nextWord(d.phraseEnd(k, hi, 1) - 1)
		if f != "peut" && nx >= 0 && hedgeYou[d.toks[nx].fold] {
			if nn := d.nextWord(nx); nn >= 0 && requestModals[d.toks[nn].fold] {
				return n // "perhaps you could add"
			}
		}
		return 0
	}
	if d.noWorriesBefore(k) {
		return n + d.clauseLen(k+n, hi) // "no worries if not", "pas de souci si ce n'est pas possible"
	}
	switch f {
	case "si", "if", "unless", "a", "sauf":
	case "sinon", "otherwise", "or":
		// "sinon mardi", "otherwise next week", "sinon pas de souci": an
		// alternative date or a courtesy, not another request.
		if m := d.clauseLen(k+n, hi); m > 0 && (d.noWorriesAt(k+n, hi) || d.onlyTime(k+n, k+n+m)) {
			return n + m
		}
		return 0
	default:
		return 0
	}
	// The clause of the marker: up to a mark that ends it, at most ten words.
	end := k + n
	var words []string
	for ; end < hi && len(words) < 10; end++ {
		t := d.toks[end]
		if end > k+n && (t.blank || t.line && t.kind == tPunct) {
			break // a paragraph or a list item: a wrapped line goes on
		}
		if t.kind == tPunct {
			if t.lower == "-" && !t.space || t.lower == "'" || t.lower == "’" {
				continue
			}
			break
		}
		if d.prodAt[end] >= 0 || d.qtyAt[end] >= 0 || t.kind == tEmail || t.kind == tNum || unitWords[t.fold] ||
			figureWords[t.fold] || hedgeBlock[t.fold] {
			return 0
		}
		if v, ok := d.trigger(end); ok && (v.form == fRequest || v.form == fInfinitive) {
			// "si vous pouviez ajouter 2 E3, ce serait parfait": the
			// request itself, asked politely; "unless you add…", "si vous
			// commandez…" are conditions.
			polite := (f == "si" || f == "if") && len(words) >= 2 && len(words) <= 3 && hedgeYou[words[0]] && politeModals[words[len(words)-1]]
			if polite && (len(words) == 2 || words[1] == "just" || words[1] == "simplement") {
				return end - k
			}
			return 0
		}
		words = append(words, t.fold)
	}
	if len(words) == 0 {
		return 0
	}
	has := func(set map[string]bool) bool {
		for _, w := range words {
			if set[w] {
				return true
			}
		}
		return false
	}
	negated := has(negationWords) || has(negationAfter)
	if end < hi && d.toks[end].kind == tPunct && d.noWorriesAt(end+1, hi) {
		// "if it's not possible today, no worries": a courtesy.
		return end - k
	}
	switch {
	case has(hedgeSelf) && has(hedgeMemory):
		// "à moins que je ne me trompe sur le nom", "if I remember
		// correctly"; not "if I'm right that we are out of them".
		if has(hedgeAbout) && !has(hedgeWording) {
			return 0
		}
	case len(words) <= 2 && hedgeCourtesy[words[0]] && (len(words) == 1 || hedgeCourtesy[words[1]] || hedgeYou[words[1]]):
		// "if OK", "si OK pour vous", "if possible": nothing but a courtesy.
		if negated {
			return 0
		}
	case (has(hedgeYou) || hedgeIt[words[0]]) && has(hedgeCourtesy):
		// "si ça ne vous dérange pas", "if that's OK", "if it's not too
		// much trouble"; not "if that's not possible" (an alternative),
		// nor "si cela convient à la direction" (someone else's say).
		if negated && (has(wordSet("possible", "can", "could", "peux", "pouvez", "pourriez", "faisable", "feasible", "doable"))) {
			return 0
		}
		for _, w := range words {
			if !hedgeCourtesy[w] && !hedgeYou[w] && !hedgeIt[w] && !courtesyGlue[w] && !negationWords[w] && !negationAfter[w] {
				return 0
			}
		}
	default:
		return 0
	}
	return end - k
}

// hedgeRestOK reports that the rest of a listed hedge's clause, from k,
// keeps it a hedge: not "if you can't find spare ones", "if you have any
// left", "if I remember correctly we have none", which bear on the order.
func (d *doc) hedgeRestOK(k, hi int) bool {
	if j := d.firstWord(k, hi); j < hi && (negationWords[d.toks[j].fold] || negationAfter[d.toks[j].fold]) && !d.toks[j].line {
		return false // "if you can't …", "if you could not …"
	}
	for j, n := k, 0; j < hi && n < 10; j++ {
		t := d.toks[j]
		if t.blank || t.kind == tPunct && t.lower != "'" && t.lower != "’" && (t.lower != "-" || t.space) {
			break
		}
		if v, ok := d.trigger(j); ok && (v.form == fRequest || v.form == fInfinitive) {
			return true // "if you could add 3 E5": the rest is the request
		}
		if d.prodAt[j] >= 0 || d.qtyAt[j] >= 0 || unitWords[t.fold] || figureWords[t.fold] || hedgeBlock[t.fold] {
			return false
		}
		n++
	}
	return true
}

// noWorries are the courtesies that make the condition next to them
// harmless: "no worries if not", "if that's not possible, no problem",
// "sinon pas de souci".
var noWorriesP = phrases([]string{"no", "worries"}, []string{"no", "worry"}, []string{"no", "problem"},
	[]string{"not", "a", "problem"}, []string{"no", "rush"}, []string{"no", "stress"}, []string{"never", "mind"},
	[]string{"that", "is", "fine"}, []string{"that", "s", "fine"}, []string{"it", "can", "wait"},
	[]string{"pas", "de", "souci"}, []string{"pas", "de", "soucis"}, []string{"pas", "de", "probleme"},
	[]string{"pas", "grave"}, []string{"tant", "pis"}, []string{"ce", "ne", "est", "pas", "grave"},
	[]string{"aucun", "souci"}, []string{"aucun", "probleme"}, []string{"pas", "de", "stress"},
	[]string{"ca", "peut", "attendre"}, []string{"cela", "peut", "attendre"}, []string{"pas", "urgent"},
	[]string{"not", "urgent"})

// noWorriesAt reports a courtesy phrase starting at the first word from k.
func (d *doc) noWorriesAt(k, hi int) bool {
	k = d.firstWord(k, hi)
	return k < hi && d.phraseAt(k, hi, noWorriesP)
}

// noWorriesBefore reports a courtesy phrase ending right before token k:
// "no worries if not", "pas de souci si ce n'est pas possible".
func (d *doc) noWorriesBefore(k int) bool {
	p := d.prevWords(k, 5)
	for i := len(p) - 1; i >= 0; i-- {
		for _, ph := range noWorriesP[d.toks[p[i]].fold] {
			if !d.matchAt(p[i], k, ph) {
				continue
			}
			end := d.phraseEnd(p[i], k, len(ph))
			for end < k && d.toks[end].kind == tPunct {
				end++
			}
			if end == k {
				return true
			}
		}
	}
	return false
}

// clauseLen returns the number of tokens from k to the end of its clause:
// a punctuation mark, a blank line, or the end of the sentence.
func (d *doc) clauseLen(k, hi int) int {
	end := k
	for ; end < hi; end++ {
		t := d.toks[end]
		if end > k && t.blank || t.kind == tPunct && t.lower != "'" && t.lower != "’" && (t.lower != "-" || t.space) {
			break
		}
	}
	return end - k
}

// timeWords say when: "sinon mardi", "otherwise next week".
var timeWords = wordSet("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "monday", "tuesday",
	"wednesday", "thursday", "friday", "saturday", "sunday", "demain", "tomorrow", "apres", "plus", "tard", "later",
	"semaine", "prochaine", "prochain", "next", "week", "this", "ce", "cette", "le", "la", "les", "the", "de", "du",
	"matin", "morning", "afternoon", "midi", "soir", "evening", "today", "aujourd", "hui", "fin", "end", "debut",
	"start", "of", "month", "mois", "at", "latest", "au", "tard", "plus", "by", "on", "d", "ici", "within", "dans",
	"jours", "days", "asap", "soon", "possible", "que", "des", "quand", "when", "you", "vous", "can", "pouvez", "pourrez",
	"then", "alors", "eh", "bien", "ok", "okay", "fine", "aussi", "too", "also", "ira", "will", "do", "fera", "fait",
	"is", "est", "it", "ca", "cela")

// onlyTime reports a clause [lo, hi) that only says when ("mardi", "la
// semaine prochaine", "tomorrow is fine too").
func (d *doc) onlyTime(lo, hi int) bool {
	when := false
	for k := lo; k < hi; k++ {
		t := d.toks[k]
		if t.kind == tPunct {
			continue
		}
		if t.kind != tWord || !timeWords[t.fold] && !monthWords[t.fold] && !weekdayWords[t.fold] {
			return false
		}
		switch t.fold {
		case "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "monday", "tuesday", "wednesday",
			"thursday", "friday", "saturday", "sunday", "demain", "tomorrow", "later", "tard", "week", "semaine", "month",
			"mois", "matin", "morning", "afternoon", "soir", "evening", "today", "hui", "asap", "soon", "jours", "days":
			when = true
		}
		if monthWords[t.fold] {
			when = true
		}
	}
	return when
}

// negatedBefore reports a negation among the two words before token k:
// "not using", "n'utilisons pas".
func (d *doc) negatedBefore(k, lo int) bool {
	for _, j := range d.prevWords(k, 2) {
		if j < lo {
			break
		}
		if negationWords[d.toks[j].fold] || d.toks[j].fold == "non" {
			return true
		}
	}
	if nx := d.nextWord(k); nx >= 0 && negationAfter[d.toks[nx].fold] {
		return true
	}
	return false
}

// phraseLen returns the number of tokens (punctuation included) of the
// phrase of list starting at token k, or 0.
func (d *doc) phraseLen(k, hi int, list phraseList) int {
	best := 0
	for _, ph := range list[d.toks[k].fold] {
		if d.matchAt(k, hi, ph) {
			best = max(best, d.phraseEnd(k, hi, len(ph))-k)
		}
	}
	return best
}

// phraseEnd returns the token after the n-th word from k.
func (d *doc) phraseEnd(k, hi, n int) int {
	j := k
	for w := 0; w < n && j < hi; j++ {
		if d.toks[j].kind != tPunct || d.toks[j].lower == "+" {
			w++
		}
	}
	return j
}

// sentenceOf returns the sentence holding token k.
func (d *doc) sentenceOf(k int) *sentence {
	if k < 0 || k >= len(d.sentAt) || len(d.sents) == 0 {
		return nil
	}
	return &d.sents[d.sentAt[k]]
}

// asksInstead reports whether the verb of request at v, in a question, is
// part of the question rather than a polite request: "how much would it
// cost to add 5 E3?", "faut-il ajouter des E3 ?", "do we need to add 5?".
// A question-shaped request names a request modal before its verb and no
// interrogative: "could you add 2 more?", "serait-il possible d'ajouter 2
// licences ?", "can we get another Visio licence?".
func (d *doc) asksInstead(s *sentence, v int) bool {
	if s == nil || !s.interrog {
		return false
	}
	modal := false
	for k := s.lo; k < v; k++ {
		f := d.toks[k].fold
		switch {
		case f == "est":
			// "est-ce que nous devons…" asks; "est-il possible de…" requests.
			if d.phraseAt(k, v, estCeQueP) {
				return true
			}
		case f == "much":
			if k > s.lo && d.toks[k-1].fold == "how" {
				return true
			}
		case questionBeforeVerb[f]:
			return true
		case requestModals[f]:
			modal = true
		}
	}
	return !modal && !d.politeTail(s, v)
}

// politeTail reports a sentence whose question is a polite request after
// a separator, the statement before it asking too: "I think we need 2 more
// E3 – could you add them please?", "il nous en faut 2 de plus, pouvez-vous
// les ajouter ?". Not when the sentence asks anything with an
// interrogative ("we need 2 more, how much would that be?").
func (d *doc) politeTail(s *sentence, v int) bool {
	for k := s.lo; k < s.hi; k++ {
		if d.toks[k].kind == tWord && (interrogatives[d.toks[k].fold] || questionBeforeVerb[d.toks[k].fold] && !requestModals[d.toks[k].fold]) {
			return false
		}
	}
	sep := false
	modal := false
	for k := v + 1; k < s.hi; k++ {
		if d.isSeparator(k) {
			sep, modal = true, false
			continue
		}
		if !sep {
			continue
		}
		if requestModals[d.toks[k].fold] {
			modal = true
			continue
		}
		if vi, ok := d.trigger(k); ok && modal && (vi.form == fRequest || vi.form == fInfinitive) {
			return true
		}
	}
	return false
}

// asks reports a question about the tenant's licences in the text: the
// subject of such a message names its topic, it asks for nothing.
func (d *doc) asks() bool {
	for _, s := range d.sents {
		if s.topic != 0 && !s.requested {
			return true
		}
	}
	return false
}
