package reader

// The words the reader knows, French and English. Every list is keyed by the
// folded form (lower case, no accents) unless it says otherwise; the verb
// table is also keyed by the accented form, which is what tells "ajouté"
// (a report) from "ajoute" (a request).

// verbClass is what a trigger word asks for.
type verbClass uint8

const (
	cNone     verbClass = iota
	cAdd                // ajouter, add: N more seats
	cBuy                // commander, acheter, buy, order: N more seats, never an assignment
	cRemove             // retirer, supprimer, remove, cancel: N fewer seats, or unassign with users
	cSet                // passer à, porter à, set to, bring to: a new total
	cInc                // augmenter, increase: by N (add) or to N (set)
	cDec                // réduire, reduce: by N (remove) or to N (set)
	cNeed               // besoin, il faut, need: N more or N in total, as the words say
	cAssign             // attribuer, assign, give
	cUnassign           // désattribuer, unassign, revoke
	cSwitch             // upgrade, move, switch, migrer, basculer: users from one product to another (R-SWITCH)
)

// form is the grammatical form of a trigger word: only some are requests.
type form uint8

const (
	fRequest    form = iota // imperative, present, subjunctive, noun ("ajout")
	fInfinitive             // "ajouter", "add" after "to"
	fParticiple             // "ajouté", "added": a report, unless passive ("être ajoutées", "be added")
	fPast                   // "ajoutait", "bought": a report
	fFuture                 // "ajouterons", conditional "ajouterions": not a request now
)

type verbInfo struct {
	class verbClass
	form  form
	// needsTarget marks verbs that only ask for something with a target
	// quantity ("passer à 40"): "passer une commande" is not a request.
	needsTarget bool
	// noun marks a noun that asks ("ajout", "commande", "besoin"): it also
	// names things ("Référence commande"), so a lone number next to it
	// never borrows the message's product.
	noun bool
	// arrival marks the verb a subject's arrivals imply ("Arrivées de
	// décembre"): seats to add, never users to assign.
	arrival bool
}

var verbs = map[string]verbInfo{}     // accented lower-case form
var verbsFold = map[string]verbInfo{} // folded form, for mail written without accents

// frForms are the folded French trigger forms, a strong sign of French for
// detectLang ("retirez 2 licences E3" has no other French word).
var frForms = map[string]bool{}

func addVerb(w string, v verbInfo) {
	if _, ok := verbs[w]; !ok {
		verbs[w] = v
	}
	_, f := foldWord(w)
	old, ok := verbsFold[f]
	// Without accents "ajoute" is both the present and the participle
	// "ajouté": the present wins, and the auxiliary check catches
	// "nous avons ajoute".
	if !ok || old.form != fRequest && old.form != fInfinitive && (v.form == fRequest || v.form == fInfinitive) {
		verbsFold[f] = v
	}
}

// frER adds the forms of a regular French -er verb from its stem.
func frER(stem string, v verbInfo) {
	for _, e := range []string{"er"} {
		addVerb(stem+e, verbInfo{class: v.class, form: fInfinitive, needsTarget: v.needsTarget})
	}
	for _, e := range []string{"ez", "e", "es", "ons", "ent", "iez", "ions"} {
		addVerb(stem+e, verbInfo{class: v.class, form: fRequest, needsTarget: v.needsTarget})
	}
	for _, e := range []string{"é", "ée", "és", "ées"} {
		addVerb(stem+e, verbInfo{class: v.class, form: fParticiple, needsTarget: v.needsTarget})
	}
	for _, e := range []string{"ais", "ait", "aient", "a", "èrent"} {
		addVerb(stem+e, verbInfo{class: v.class, form: fPast, needsTarget: v.needsTarget})
	}
	for _, e := range []string{"erai", "eras", "era", "erons", "erez", "eront", "erais", "erait", "erions", "eriez", "eraient"} {
		addVerb(stem+e, verbInfo{class: v.class, form: fFuture, needsTarget: v.needsTarget})
	}
}

// enVerb adds an English verb: base and -s forms request, past forms report.
func enVerb(class verbClass, needsTarget bool, base string, past ...string) {
	for _, w := range append([]string{base, base + "s"}, past...) {
		delete(frForms, w)
	}
	addVerb(base, verbInfo{class: class, form: fRequest, needsTarget: needsTarget})
	addVerb(base+"s", verbInfo{class: class, form: fRequest, needsTarget: needsTarget})
	for _, p := range past {
		addVerb(p, verbInfo{class: class, form: fParticiple, needsTarget: needsTarget})
	}
}

func nouns(class verbClass, needsTarget bool, ws ...string) {
	for _, w := range ws {
		addVerb(w, verbInfo{class: class, form: fRequest, needsTarget: needsTarget, noun: true})
		// "commande" is also a verb's form: as a noun it names things too.
		if v, ok := verbs[w]; ok && v.class == class {
			v.noun = true
			verbs[w] = v
		}
		_, f := foldWord(w)
		if v, ok := verbsFold[f]; ok && v.class == class && v.form == fRequest {
			v.noun = true
			verbsFold[f] = v
		}
	}
}

func init() {
	// French.
	for _, s := range []string{"ajout", "rajout"} {
		frER(s, verbInfo{class: cAdd})
	}
	for _, s := range []string{"command", "achet"} {
		frER(s, verbInfo{class: cBuy})
	}
	addVerb("achète", verbInfo{class: cBuy, form: fRequest, needsTarget: false})
	addVerb("achètes", verbInfo{class: cBuy, form: fRequest, needsTarget: false})
	addVerb("souscrire", verbInfo{class: cBuy, form: fInfinitive, needsTarget: false})
	addVerb("souscrivez", verbInfo{class: cBuy, form: fRequest, needsTarget: false})
	addVerb("souscrit", verbInfo{class: cBuy, form: fParticiple, needsTarget: false})
	nouns(cAdd, false, "ajout", "ajouts", "rajout", "rajouts")
	nouns(cBuy, false, "achat", "achats", "commande", "commandes", "souscription")

	for _, s := range []string{"supprim", "retir", "enlev", "restitu", "résili"} {
		frER(s, verbInfo{class: cRemove})
	}
	addVerb("enlève", verbInfo{class: cRemove, form: fRequest, needsTarget: false})
	addVerb("enlèves", verbInfo{class: cRemove, form: fRequest, needsTarget: false})
	for _, w := range []string{"rendre"} {
		addVerb(w, verbInfo{class: cRemove, form: fInfinitive, needsTarget: false})
	}
	for _, w := range []string{"rendez", "rends", "rend", "rendons"} {
		addVerb(w, verbInfo{class: cRemove, form: fRequest, needsTarget: false})
	}
	for _, w := range []string{"rendu", "rendue", "rendus", "rendues"} {
		addVerb(w, verbInfo{class: cRemove, form: fParticiple, needsTarget: false})
	}
	for _, w := range []string{"rendait", "rendais", "rendions"} {
		addVerb(w, verbInfo{class: cRemove, form: fPast, needsTarget: false})
	}
	nouns(cRemove, false, "suppression", "suppressions", "retrait", "retraits", "résiliation", "restitution")

	for _, s := range []string{"augment"} {
		frER(s, verbInfo{class: cInc})
	}
	nouns(cInc, false, "augmentation")
	for _, s := range []string{"diminu", "baiss"} {
		frER(s, verbInfo{class: cDec})
	}
	addVerb("réduire", verbInfo{class: cDec, form: fInfinitive, needsTarget: false})
	for _, w := range []string{"réduisez", "réduis", "réduisons", "réduise", "réduisiez"} {
		addVerb(w, verbInfo{class: cDec, form: fRequest, needsTarget: false})
	}
	for _, w := range []string{"réduit", "réduite", "réduits", "réduites", "réduisait"} {
		addVerb(w, verbInfo{class: cDec, form: fParticiple, needsTarget: false})
	}
	nouns(cDec, false, "réduction", "diminution")

	for _, s := range []string{"pass", "port", "ajust", "modifi", "chang", "ramen", "mont"} {
		frER(s, verbInfo{class: cSet, needsTarget: true})
	}
	addVerb("ramène", verbInfo{class: cSet, form: fRequest, needsTarget: true})
	addVerb("ramènes", verbInfo{class: cSet, form: fRequest, needsTarget: true})
	nouns(cSet, true, "passage")
	// "faire descendre nos E3 de 13 à 11": a new total, only with one.
	addVerb("descendre", verbInfo{class: cSet, form: fInfinitive, needsTarget: true})
	for _, w := range []string{"descendez", "descends", "descendons"} {
		addVerb(w, verbInfo{class: cSet, form: fRequest, needsTarget: true})
	}
	for _, w := range []string{"descendu", "descendue", "descendus", "descendues"} {
		addVerb(w, verbInfo{class: cSet, form: fParticiple, needsTarget: true})
	}
	for _, w := range []string{"descendait", "descendaient"} {
		addVerb(w, verbInfo{class: cSet, form: fPast, needsTarget: true})
	}
	// "Prévoir : 3 Business Premium", "merci de prévoir 2 licences E3":
	// seats to provide, more of them. Only the infinitive and the
	// imperative: "nous prévoyons" announces, "comme prévu" reports.
	addVerb("prévoir", verbInfo{class: cAdd, form: fInfinitive})
	addVerb("prévoyez", verbInfo{class: cAdd, form: fRequest})

	nouns(cNeed, false, "besoin", "besoins", "faut", "faudrait")
	addVerb("fallait", verbInfo{class: cNeed, form: fPast, needsTarget: false})
	addVerb("faudra", verbInfo{class: cNeed, form: fFuture, needsTarget: false})

	for _, s := range []string{"attribu", "assign", "affect", "donn", "allou", "réattribu", "reattribu", "réassign", "reassign", "réaffect", "reaffect", "redonn"} {
		frER(s, verbInfo{class: cAssign})
	}
	nouns(cAssign, false, "attribution", "affectation", "assignation")
	for _, s := range []string{"désattribu", "désassign", "désaffect", "desattribu", "desassign", "desaffect"} {
		frER(s, verbInfo{class: cUnassign})
	}
	nouns(cUnassign, false, "désattribution", "désaffectation")

	for _, s := range []string{"migr", "bascul"} {
		frER(s, verbInfo{class: cSwitch})
	}
	nouns(cSwitch, false, "migration", "bascule", "basculement")

	// Every form so far is French; enVerb takes out the English spellings.
	for w := range verbsFold {
		frForms[w] = true
	}

	// English.
	enVerb(cAdd, false, "add", "added")
	enVerb(cAdd, false, "provision", "provisioned")
	enVerb(cBuy, false, "buy", "bought")
	enVerb(cBuy, false, "order", "ordered")
	enVerb(cBuy, false, "purchase", "purchased")
	enVerb(cInc, false, "increase", "increased")
	enVerb(cInc, false, "raise", "raised")
	enVerb(cInc, false, "bump", "bumped")
	enVerb(cInc, false, "top", "topped") // "top up our E1 by 5"
	enVerb(cRemove, false, "remove", "removed")
	enVerb(cRemove, false, "return", "returned")
	enVerb(cRemove, false, "cancel", "cancelled", "canceled")
	enVerb(cRemove, false, "drop", "dropped")
	enVerb(cRemove, false, "release", "released")
	enVerb(cDec, false, "reduce", "reduced")
	enVerb(cDec, false, "decrease", "decreased")
	enVerb(cDec, false, "lower", "lowered")
	enVerb(cSet, true, "set")
	enVerb(cSet, true, "bring", "brought")
	enVerb(cSet, true, "adjust", "adjusted")
	enVerb(cSet, true, "change", "changed")
	enVerb(cSet, true, "update", "updated")
	enVerb(cSet, true, "modify", "modified")
	enVerb(cAssign, false, "reassign", "reassigned")
	// "make it a total of 5", "make it 5 in total": a new total, only
	// with one ("make sure to add 5" names none).
	enVerb(cSet, true, "make", "made")
	// "take our Business Basic from 14 to 18": a new total, only with one.
	enVerb(cSet, true, "take", "took", "taken")
	// "can we go from 10 to 12?": only before the numbers (see trigger).
	enVerb(cSet, true, "go", "went", "gone")
	// "can we get/have 2 more E3", "pourrions-nous avoir 2 E3": requests
	// only after a modal and its subject (see trigger).
	enVerb(cAdd, false, "get", "got")
	nouns(cAdd, false, "have", "avoir", "obtenir", "recevoir")
	addVerb("modifies", verbInfo{class: cSet, form: fRequest, needsTarget: true})
	enVerb(cNeed, false, "need", "needed")
	enVerb(cNeed, false, "require", "required")
	enVerb(cAssign, false, "assign", "assigned")
	enVerb(cAssign, false, "allocate", "allocated")
	enVerb(cAssign, false, "give", "gave", "given")
	enVerb(cAssign, false, "grant", "granted")
	enVerb(cUnassign, false, "unassign", "unassigned")
	enVerb(cUnassign, false, "deassign", "deassigned")
	enVerb(cUnassign, false, "revoke", "revoked")
	enVerb(cUnassign, false, "deallocate", "deallocated")
	enVerb(cSwitch, false, "upgrade", "upgraded")
	enVerb(cSwitch, false, "downgrade", "downgraded")
	enVerb(cSwitch, false, "move", "moved")
	enVerb(cSwitch, false, "switch", "switched")
	addVerb("switches", verbInfo{class: cSwitch, form: fRequest})
	enVerb(cSwitch, false, "migrate", "migrated")
	enVerb(cSwitch, false, "convert", "converted")
	nouns(cRemove, false, "removal", "cancellation")
	nouns(cDec, false, "reduction")
	nouns(cAssign, false, "assignment")
}

// wordSet builds a set of folded words.
func wordSet(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

// separators end a clause inside a sentence: "ajouter 5 E3 et retirer 2 E1".
var separatorWords = wordSet("et", "and", "mais", "but", "puis", "then", "ensuite", "sinon",
	"otherwise")

func isSeparatorPunct(s string) bool {
	switch s {
	case ",", ":", "(", ")", "[", "]", "—", "–", "•", "·", "*", "|":
		return true
	}
	return false
}

// preVerb words sit between a clause's start and its verb: negations,
// politeness, modals and pronouns ("merci de ne pas ajouter", "could you
// please add"). They stay with the verb when a sentence holds two requests.
var preVerbWords = wordSet("ne", "pas", "not", "never", "jamais", "sans", "without", "no",
	"please", "pls", "plz", "svp", "merci", "de", "to", "vous", "nous", "je", "on", "you", "we", "i",
	"could", "would", "can", "will", "pouvez", "pourriez", "pourrais", "pourrait", "peux", "voudrais",
	"voudrions", "voulons", "voulez", "souhaite", "souhaitons", "souhaiterions", "souhaiterais",
	"like", "want", "wish", "les", "en", "leur", "lui", "la", "le", "them", "it", "bien", "vouloir",
	"kindly", "just", "simply", "also", "aussi", "egalement", "faire", "se", "me", "us", "il",
	"faut", "need", "besoin", "avons", "ai", "aurions", "aurais", "est", "ce", "que", "possible",
	"be", "able")

// negations deny the verb they precede ("ne pas ajouter", "don't add").
var negationWords = wordSet("ne", "pas", "not", "never", "jamais", "sans", "without", "aucun",
	"aucune", "inutile", "nor", "ni", "nullement")

// negationAfter deny the verb they follow ("n'ajoutez pas", "ajoutez pas").
var negationAfter = wordSet("pas", "jamais", "not", "point", "rien", "never")

// negationCancel words turn a negation into an encouragement: "n'oubliez
// pas d'ajouter", "don't forget to add", "n'hésitez pas à ajouter".
var negationCancel = wordSet("oublier", "oubliez", "oublie", "oublies", "forget", "hesiter",
	"hesitez", "hesite", "hesitate", "manquez", "manquer", "fail")

// frAux are French auxiliaries: before a participle they make a report
// ("nous avons ajouté"), they also mark "avions besoin" as past.
var frAux = map[string]bool{"ai": true, "as": true, "a": true, "avons": true, "avez": true,
	"ont": true, "avais": true, "avait": true, "avions": true, "aviez": true, "avaient": true,
	"eu": true, "suis": true, "es": true, "est": true, "sommes": true, "êtes": true, "etes": true,
	"sont": true, "étais": true, "était": true, "étions": true, "étiez": true, "étaient": true,
	"etait": true, "etaient": true, "été": true, "ete": true}

// frPastBesoin are the forms that make "besoin" a report: "nous avions besoin".
var frPastBesoin = wordSet("avions", "avais", "avait", "aviez", "avaient", "eu")

// enAux make an English verb a report: "we have added", "did you add".
// "We have set E3 to 40" is a report; "we have to add" is not reached, the
// "to" stops the search for an auxiliary.
var enAux = wordSet("have", "has", "had", "did", "was", "were", "been")

// auxSkip may sit between an auxiliary and its verb: "avons déjà ajouté",
// "avez-vous ajouté", "have you already added".
var auxSkip = wordSet("deja", "bien", "recemment", "aussi", "egalement", "ne", "pas", "jamais",
	"tous", "toutes", "hier", "vous", "nous", "tu", "je", "il", "on", "you", "we", "i", "they",
	"already", "recently", "just", "also", "not", "never")

// futureSubject + futureAux: "we will add", "nous allons commander" are plans,
// not requests ("will you add" is a request).
var futureSubject = wordSet("we", "i", "they", "he", "she", "nous", "je", "on", "il", "elle", "ils", "elles")
var futureAux = wordSet("will", "shall", "allons", "vais", "va", "vont", "going",
	// a plan is no request either: "we plan to add", "we're planning to
	// order", "nous prévoyons d'ajouter", "nous envisageons de commander".
	"plan", "planning", "intend", "intending", "prevoyons", "prevois", "envisageons", "envisage", "comptons",
	"pensons")

// gratitude opens a sentence that thanks for something done: "merci pour
// l'ajout des 5 E3" is not a new request ("merci de/d'…" is).
var gratitudeP = phrases([]string{"merci", "pour"}, []string{"merci", "beaucoup", "pour"},
	[]string{"merci", "encore", "pour"}, []string{"thanks", "for"}, []string{"thank", "you", "for"},
	[]string{"many", "thanks", "for"}, []string{"thanks", "a", "lot", "for"}, []string{"thanks", "again", "for"})

// haveWords make a sentence without a verb of request a description:
// "nous avons 5 E3 de plus", "we have 2 more E5".
var haveWords = wordSet("avons", "avez", "ont", "ai", "avions", "avaient", "have", "has", "had",
	"possedons", "disposons", "sommes", "are", "were")

// priceWords make a clause a question about prices, not an order.
var priceWords = wordSet("combien", "prix", "tarif", "tarifs", "cout", "couts", "coute", "coutent",
	"couterait", "couteraient", "devis", "price", "prices", "pricing", "cost", "costs", "quote",
	"quotation", "estimate")

// unitWords name what is counted: "5 licences", "3 users".
var unitWords = wordSet("licence", "licences", "license", "licenses", "licenc", "lic", "seat", "seats",
	"siege", "sieges", "poste", "postes", "utilisateur", "utilisateurs", "user", "users",
	"abonnement", "abonnements", "subscription", "subscriptions", "compte", "comptes", "account",
	"accounts", "personne", "personnes", "people", "persons", "collaborateur", "collaborateurs",
	"employe", "employes", "employee", "employees", "salarie", "salaries", "staff")

// adjectives may sit between "une"/"a" and what it counts: "une nouvelle licence".
var articleAdjectives = wordSet("new", "nouvelle", "nouveau", "nouvelles", "nouveaux", "additional",
	"extra", "single", "seule", "seul", "autre", "other", "supplementaire", "more", "further")

// The item markers: words next to a quantity that say what it counts.
var (
	moreAfter   = [][]string{{"de", "plus"}, {"en", "plus"}, {"supplementaire"}, {"supplementaires"}, {"additionnelle"}, {"additionnelles"}, {"additionnel"}, {"additionnels"}, {"en", "supplement"}, {"more"}, {"additional"}, {"extra"}, {"autres"}}
	moreBefore  = [][]string{{"additional"}, {"extra"}, {"another"}, {"encore"}, {"supplementaire"}, {"supplementaires"}}
	lessAfter   = [][]string{{"de", "moins"}, {"en", "moins"}, {"fewer"}, {"less"}}
	totalAfter  = [][]string{{"au", "total"}, {"en", "tout"}, {"in", "total"}, {"total"}, {"altogether"}, {"au", "global"}}
	totalBefore = [][]string{{"total"}}

	moreAfterP   = phrases(moreAfter...)
	moreBeforeP  = phrases(moreBefore...)
	lessAfterP   = phrases(lessAfter...)
	totalAfterP  = phrases(totalAfter...)
	totalBeforeP = phrases(totalBefore...)
)

// French and English number words.
var numberWords = map[string]int{
	"un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7,
	"huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14,
	"quinze": 15, "seize": 16, "vingt": 20, "vingts": 20, "trente": 30, "quarante": 40,
	"cinquante": 50, "soixante": 60, "cent": 100, "cents": 100, "mille": 1000,
	"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "seven": 7, "eight": 8,
	"nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
	"fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
	"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
	"hundred": 100, "thousand": 1000,
}

// fuzzyWords are quantities that are not numbers: "quelques", "a few".
var fuzzyWords = wordSet("quelques", "plusieurs", "several", "few", "dizaine", "douzaine",
	"quinzaine", "vingtaine", "trentaine", "quarantaine", "cinquantaine", "centaine", "centaines",
	"millier", "milliers", "couple", "dozen", "dozens", "handful", "bunch", "lot", "lots", "numerous",
	"nombreuses", "nombreux", "certain")

// fuzzyBefore are words that make the following number approximate or a bound.
var fuzzyBefore = [][]string{
	{"environ"}, {"env"}, {"approximativement"}, {"approx"}, {"about"}, {"around"}, {"roughly"},
	{"approximately"}, {"circa"}, {"ca"}, {"nearly"}, {"almost"}, {"presque"}, {"over"}, {"under"},
	{"max"}, {"maximum"}, {"min"}, {"minimum"}, {"at", "least"}, {"at", "most"}, {"au", "moins"},
	{"au", "minimum"}, {"au", "maximum"}, {"au", "plus"}, {"more", "than"}, {"less", "than"},
	{"fewer", "than"}, {"plus", "de"}, {"moins", "de"}, {"pres", "de"}, {"peu", "pres"},
	{"between"}, {"entre"}, {"~"}, {"une", "bonne"}, {"a", "good"}, {"some"},
}

// fuzzyAfter are words after a number that make it approximate.
var fuzzyAfter = wordSet("environ", "max", "maximum", "min", "minimum", "ish", "approx", "approximately", "or", "so", "+")

// rangeWords join two numbers into a range: "5 ou 6", "5 to 10".
// "et"/"and" only after "entre"/"between".
var rangeWords = wordSet("ou", "or", "-", "–", "—", "/", "a", "to")

// referenceBefore words make the number after them a reference, not a
// quantity: "ticket 1234", "Plan 2", "Office 2019".
var referenceBefore = wordSet("#", "no", "num", "numero", "number", "nr", "nº", "n°", "°", "ref",
	"reference", "ticket", "case", "dossier", "facture", "invoice", "contrat", "contract", "page",
	"version", "v", "plan", "p", "etape", "step", "tel", "telephone", "phone", "fax", "mobile",
	"portable", "bureau", "salle", "room", "rue", "street", "office", "windows", "server", "sql",
	"microsoft", "o", "m", "article", "section", "chapitre", "chapter", "kb", "build", "release",
	"iso", "rfc", "semaine", "week", "annee", "year", "exchange", "visio", "project", "sharepoint",
	"teams", "dynamics", "id", "po", "bon", "code", "extension", "ext", "poste", "port", "ip")

// referenceUnlessItem: a number after these is a reference unless a product
// or a unit follows ("order 5 E3" orders, "order 12345" refers).
var referenceUnlessItem = wordSet("order", "commande", "demande", "request")

// yearBefore words make a number between 1900 and 2100 a year.
var yearBefore = wordSet("en", "in", "depuis", "since", "fin", "end", "debut", "start", "courant",
	"avant", "before", "apres", "after", "until", "jusque", "annee", "year")

// notCountAfter are units that make the number before them something else
// than a count of licences: money, time, sizes.
var notCountAfter = wordSet("%", "€", "$", "£", "eur", "euro", "euros", "usd", "dollars", "dollar",
	"chf", "gbp", "ht", "ttc", "k", "ko", "mo", "go", "gb", "mb", "tb", "kb", "jours", "jour", "days",
	"day", "mois", "month", "months", "semaines", "semaine", "weeks", "week", "ans", "annees",
	"annee", "years", "year", "heures", "heure", "hours", "hour", "h", "min", "mins", "minutes",
	"minute", "secondes", "seconds", "am", "pm", "fois", "times", "pages", "caracteres",
	"characters", "ghz", "km", "kg", "bits", "bit", "pourcent", "percent", "janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout",
	"septembre", "octobre", "novembre", "decembre", "janv", "fevr", "juil", "sept", "oct", "nov",
	"dec", "january", "february", "march", "april", "may", "june", "july", "august", "september",
	"october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep")

// months before a number make it a date: "March 5", "mars 2026".
var monthWords = wordSet("janvier", "fevrier", "mars", "avril", "juin", "juillet", "aout",
	"septembre", "octobre", "novembre", "decembre", "january", "february", "march", "april", "june",
	"july", "august", "september", "october", "november", "december")

// weekdays before a number make it a date: "lundi 23", "Friday 4"
// (issue 9, class 3).
var weekdayWords = wordSet("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

// amountBefore words make the number after them an amount or a code, not a
// count: "coût 4410", "price 22", "montant 300".
var amountBefore = wordSet("cout", "couts", "cost", "costs", "prix", "price", "tarif", "montant", "amount",
	"budget", "centre", "center", "centre")

// currencyBefore: "€5", "EUR 5", "$20".
var currencyBefore = wordSet("€", "$", "£", "eur", "usd", "chf", "gbp")

// abbreviations end with a dot that does not end the sentence: "env. 20".
var abbreviations = wordSet("env", "approx", "ca", "cf", "ex", "no", "n", "nr", "vs", "st", "mr",
	"mrs", "ms", "dr", "m", "mme", "mlle", "p", "max", "min", "tel", "etc", "resp", "num", "ref", "art")

// stopWords are the function words, verbs and markers that end a product
// phrase: what is left around a quantity after them is a product name the
// catalog does not know ("5 licences Visio Plan 1").
var stopWords = wordSet(
	// French
	"le", "la", "les", "de", "des", "du", "un", "une", "et", "ou", "a", "au", "aux", "pour", "par",
	"sur", "dans", "avec", "sans", "en", "nous", "vous", "je", "il", "elle", "ils", "elles", "on",
	"notre", "nos", "votre", "vos", "mon", "ma", "mes", "ce", "cette", "ces", "ca", "qui", "que",
	"quoi", "dont", "merci", "svp", "plait", "si", "se", "ne", "pas", "plus", "moins", "total",
	"tout", "tous", "toutes", "bonjour", "cordialement", "bien", "aussi", "egalement", "encore",
	"supplementaire", "supplementaires", "additionnelle", "additionnelles", "nouvelle", "nouvelles",
	"nouveau", "nouveaux", "autre", "autres", "chez", "entre", "vers", "comme", "afin", "rapidement",
	"urgent", "urgence", "aujourd", "hui", "demain", "semaine", "mois", "prochain", "prochaine",
	"possible", "avant", "apres", "depuis", "jusque", "equipe", "service", "societe", "client",
	"besoin", "faut", "est", "sont", "sera", "seront", "avons", "avez", "ont", "ai", "me", "te",
	"leur", "lui", "y", "svp", "stp", "salut", "madame", "monsieur", "mesdames", "messieurs",
	"objet", "concernant", "suivantes", "suivants", "suivant", "suivante", "ci", "dessous",
	"dessus", "actuelles", "actuels", "actuellement", "existantes", "existants", "arrivants",
	"arrivant", "arrivee", "arrivees",
	// English
	"the", "a", "an", "of", "for", "to", "and", "or", "in", "on", "at", "by", "with", "without",
	"our", "your", "my", "their", "this", "that", "these", "those", "we", "you", "i", "it", "they",
	"please", "pls", "plz", "thanks", "thank", "hi", "hello", "dear", "regards", "more", "less",
	"fewer", "additional", "extra", "new", "another", "other", "asap", "today", "tomorrow", "week",
	"month", "next", "soon", "possible", "team", "company", "from", "as", "well", "also", "too",
	"is", "are", "be", "will", "would", "could", "can", "need", "needs", "want", "like", "so",
	"then", "than", "just", "all", "total", "following", "below", "above", "current", "existing",
	"currently", "starters", "joiners", "hires", "urgent", "urgently", "not", "no", "do", "have",
	"has", "per", "each", "x", "×", "up", "down", "until", "ie", "eg", "etc", "us", "me")
