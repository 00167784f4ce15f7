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

// mood finds the conditions and the question of a sentence.
func (d *doc) mood(s *sentence, si int) {
	first := d.firstWord(s.lo, s.hi)
	for k := s.lo; k < s.hi; k++ {
		t := d.toks[k]
		if t.kind == tPunct {
			if t.lower == "?" || t.lower == "¿" {
				s.interrog = true
			}
			continue
		}
		if n := d.phraseLen(k, s.hi, hedgeP); n > 0 {
			k += n - 1
			continue
		}
		if n := d.phraseLen(k, s.hi, conditionP); n > 0 && !s.cond {
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
	if !s.interrog {
		s.topic = 0
	}
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
	return !modal
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
