package quote

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ---------------------------------------------------------------------------
// Mobile footers: "Sent from my iPhone", "Envoyé de mon iPhone",
// "Envoyé à partir de Outlook pour iOS", "Get Outlook for Android", …

var mobilePrefixes = []string{
	"sent from ", "sent with ", "sent via ", "sent using ", "sent by ", "sent on my ",
	"get outlook for ", "get [outlook for ", "from my iphone", "from my ipad", "from my android",
	"from my mobile", "from my samsung", "from my blackberry",
	"envoyé de mon ", "envoyé depuis ", "envoyé à partir de ", "envoyé avec ", "envoyé via ",
	"envoyé par ", "envoye de mon ", "envoye depuis ", "envoye a partir de ", "envoyé de ",
	"télécharger outlook pour ", "telecharger outlook pour ", "obtenir outlook pour ",
	"provenance : courrier pour windows", "provenance : messagerie",
	"von meinem ", "gesendet von ", "gesendet mit ", "gesendet vom ",
	"diese nachricht wurde von meinem ", "outlook für ",
	"verzonden met ", "verzonden vanaf ", "verstuurd vanaf ", "verstuurd met ",
	"sendt fra ", "skickat från ", "enviado desde ", "enviado con ", "enviado do ",
	"enviado de mi", "enviado de meu", "obtener outlook para ", "baixe o outlook para",
	"inviato da ", "inviato dal ", "wysłane z ", "wysłano z ", "отправлено с ", "надіслано з ",
	"從我的 ", "从我的", "发自我的", "來自我的",
}

// deviceWords let a footer go on after a comma ("Sent from my cell, please
// excuse any typos"), where "Sent from my desk, is much easier…" is prose.
var deviceWords = []string{
	"iphone", "ipad", "ipod", "android", "blackberry", "mobile", "mobil", "phone", "cell",
	"galaxy", "samsung", "htc", "outlook", "mail", "yahoo", "windows", "device", "tablet",
	"huawei", "xiaomi", "pixel", "nokia", "portable", "téléphone", "telephone",
}

// angleURL removes "<http://…>" parts before the footer's words are counted.
var angleURL = regexp.MustCompile(`<[^<>\s]*>`)

// possessives mark a footer naming the sender's own device ("Sent from my
// …", "Envoyé de mon …", "Von meinem …").
var possessives = setOf("my", "mon", "ma", "mein", "meinem", "min", "mijn", "mi", "meu", "mio", "mój")

// mobileFooter reports whether s (a trimmed line) is a mobile client's footer
// rather than a sentence starting the same way. A strong footer names a
// device or app ("Envoyé de mon iPhone", "Get Outlook for Android"): what
// follows it is the quoted thread. A weak one ("Sent with Airmail", "Envoyé
// de Paris") is only dropped when it ends the text.
func mobileFooter(s string) (footer, strong bool) {
	if len(s) > 200 {
		return false, false
	}
	core := strings.TrimLeft(s, "(<[* \t")
	lower := strings.ToLower(core)
	matched := false
	for _, p := range mobilePrefixes {
		if strings.HasPrefix(lower, p) {
			matched = true
			break
		}
	}
	if !matched || looksLikeRequest(s) {
		return false, false
	}
	lower = angleURL.ReplaceAllString(lower, " ")
	if len(strings.Fields(lower)) > 12 {
		return false, false
	}
	clause, rest := firstClause(lower)
	device := false
	for _, w := range deviceWords {
		if strings.Contains(clause, w) {
			device = true
			break
		}
	}
	if strings.TrimSpace(rest) != "" {
		// "Sent from my cell, please excuse any typos" goes on after the
		// device; "Sent from my desk, is much easier…" is prose.
		return device, device
	}
	owned := false
	for _, w := range strings.Fields(clause) {
		owned = owned || possessives[w]
	}
	return true, device || owned
}

// firstClause splits s at the first ',', ';', '.', '!' or '?' that is
// followed by a space (so URLs stay whole).
func firstClause(s string) (string, string) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', ';', '.', '!', '?':
			if i+1 < len(s) && s[i+1] == ' ' {
				return s[:i], s[i+1:]
			}
		}
	}
	return strings.TrimRight(s, ",;.!?)>] "), ""
}

// ---------------------------------------------------------------------------
// Tail rules: signatures, sign-offs, footers and disclaimers at the very end.

// Window sizes, in non-blank lines counted from the end.
const (
	sigDelimiterWindow = 30 // "-- " and what follows
	disclaimerWindow   = 30
	footerWindow       = 12 // "____" + mailing-list or contact lines
	signOffWindow      = 8  // "Cordialement," + name block
	maxNameBlock       = 6
)

// tailScan bounds, in lines (blank or not), how far back from the end any
// tail rule looks, and tailPasses how many blocks trimTail removes in a row.
// A real mail needs a handful (disclaimer, signature, sign-off); the bounds
// keep hostile input (thousands of sign-offs and blank lines) linear.
const (
	tailScan   = 200
	tailPasses = 16
)

// trimTail removes, from the end of the visible lines, trailing blank and
// decoration lines, disclaimers, "-- " signatures, separator-led footers and
// sign-off blocks, for as long as one of them matches.
func trimTail(lines []line, keep []bool) {
	idx := make([]int, 0, len(lines))
	for i, k := range keep {
		if k {
			idx = append(idx, i)
		}
	}
	full := len(idx)
	for pass := 0; pass < tailPasses; pass++ {
		for len(idx) > 0 {
			l := lines[idx[len(idx)-1]]
			if !l.blank && !isDecorationLine(l.text) {
				break
			}
			idx = idx[:len(idx)-1]
		}
		if len(idx) == 0 {
			break
		}
		t := tail{lines: lines, idx: idx, lastRequest: lastRequest(lines, idx)}
		at := -1
		for _, rule := range []func(tail) int{mobileFooterStart, disclaimerStart, sigDelimiterStart, footerStart, signOffStart} {
			if at = rule(t); at >= 0 {
				break
			}
		}
		if at < 0 {
			break
		}
		idx = idx[:at]
	}
	// idx only ever shrank: the dropped lines still sit past its length in
	// the same backing array.
	for _, i := range idx[len(idx):full] {
		keep[i] = false
	}
}

// tail is the visible text a tail rule looks at: lines[idx[p]] is its p-th
// line.
type tail struct {
	lines       []line
	idx         []int
	lastRequest int // position of the last line reading like a request, or -1
}

func (t tail) line(p int) line { return t.lines[t.idx[p]] }

// candidates returns the positions of the last `window` non-blank lines, top
// first.
func (t tail) candidates(window int) []int {
	var out []int
	for p := len(t.idx) - 1; p >= 0 && p >= len(t.idx)-tailScan && len(out) < window; p-- {
		if !t.line(p).blank {
			out = append(out, p)
		}
	}
	for a, b := 0, len(out)-1; a < b; a, b = a+1, b-1 {
		out[a], out[b] = out[b], out[a]
	}
	return out
}

// clean reports whether no line from position p on reads like a request: a
// tail rule never drops one.
func (t tail) clean(p int) bool { return p > t.lastRequest }

// lastRequest returns the position in idx of the last line that reads like a
// request (or is too long to judge), looking no further back than the widest
// tail rule can reach.
func lastRequest(lines []line, idx []int) int {
	seen := 0
	for p := len(idx) - 1; p >= 0 && p >= len(idx)-tailScan && seen <= sigDelimiterWindow; p-- {
		l := &lines[idx[p]]
		if l.blank {
			continue
		}
		seen++
		if l.long || l.request() {
			return p
		}
	}
	return -1
}

// request caches looksLikeRequest for the line: the tail rules ask again on
// every pass.
func (l *line) request() bool {
	if l.req == 0 {
		l.req = 1
		if looksLikeRequest(l.text) {
			l.req = 2
		}
	}
	return l.req == 2
}

// mobileFooterStart finds a mobile footer on the last line.
func mobileFooterStart(t tail) int {
	if c := t.candidates(1); len(c) == 1 && t.clean(c[0]) {
		if ok, _ := mobileFooter(t.line(c[0]).text); ok {
			return c[0]
		}
	}
	return -1
}

// sigDelimiterStart finds the "-- " (or "--") signature delimiter.
func sigDelimiterStart(t tail) int {
	for _, p := range t.candidates(sigDelimiterWindow) {
		if t.line(p).text == "--" && t.clean(p) {
			return p
		}
	}
	return -1
}

// footerStart finds a separator line ("____", "-----", "=====", "—————")
// followed by a short block that looks like contact details or a mailing
// list footer, not like more of the message.
func footerStart(t tail) int {
	for _, p := range t.candidates(footerWindow + 1) {
		if !isSeparatorLine(t.line(p).text) || !t.clean(p) {
			continue
		}
		n, contact, ok := 0, false, true
		for _, i := range t.idx[p+1:] {
			l := t.lines[i]
			if l.blank {
				continue
			}
			n++
			if l.long || !signatureish(l.text) {
				ok = false
				break
			}
			contact = contact || hasContact(l.text)
		}
		if ok && n > 0 && n <= footerWindow && contact {
			return p
		}
	}
	return -1
}

// signOffStart finds "Cordialement," / "Best regards," followed by a short
// name and title block. A bare sign-off on the last line is left alone.
func signOffStart(t tail) int {
	for _, p := range t.candidates(signOffWindow) {
		if !t.clean(p) || !isSignOff(t.line(p).text) {
			continue
		}
		n, ok := 0, true
		for _, i := range t.idx[p+1:] {
			l := t.lines[i]
			if l.blank {
				continue
			}
			if n++; n > maxNameBlock || l.long || !signatureish(l.text) {
				ok = false
				break
			}
		}
		if ok && n > 0 {
			return p
		}
	}
	return -1
}

// disclaimerStart finds a legal disclaimer or "think before printing" notice.
func disclaimerStart(t tail) int {
	for _, p := range t.candidates(disclaimerWindow) {
		if t.clean(p) && isDisclaimer(t.line(p).text) {
			return p
		}
	}
	return -1
}

var disclaimerPhrases = []string{
	"ce message et toutes les pièces jointes", "ce message et toutes pièces jointes",
	"ce message et les pièces jointes", "ce message et ses pièces jointes",
	"ce courriel et toutes les pièces jointes", "ce courriel et ses pièces jointes",
	"ce courriel et les documents", "ce message électronique et", "ce message (y compris",
	"ce message est confidentiel", "ce courriel est confidentiel", "ce message est strictement confidentiel",
	"les informations contenues dans ce message", "les informations contenues dans ce courriel",
	"ce message contient des informations confidentielles", "avertissement de confidentialité",
	"pensez à l'environnement", "pensez à l’environnement", "pensez a l'environnement",
	"avant d'imprimer", "avant d’imprimer",
	"this email and any attachments", "this e-mail and any attachments",
	"this message and any attachments", "this email message and any attachments",
	"this email (including any attachments)", "this e-mail (including any attachments)",
	"this message (including any attachments)", "this email is intended only",
	"this message is intended only", "this e-mail is intended only", "this email is confidential",
	"this message is confidential", "this e-mail is confidential", "this communication is confidential",
	"the information contained in this", "the information in this email",
	"confidentiality notice", "confidentiality note", "confidentiality warning", "disclaimer:",
	"please consider the environment", "think before you print", "think green",
	"if you are not the intended recipient", "le informazioni contenute in questo messaggio",
	"diese e-mail enthält vertrauliche", "diese nachricht enthält vertrauliche",
	"dieses e-mail enthält vertrauliche",
}

func isDisclaimer(s string) bool {
	if len(s) > maxHeuristicLen {
		return false
	}
	lower := strings.ToLower(s)
	for _, p := range disclaimerPhrases {
		if strings.Contains(lower, p) {
			return true
		}
	}
	return false
}

// signOffs are closing formulas, lower-cased, without trailing punctuation.
var signOffs = setOf(
	"cordialement", "bien cordialement", "très cordialement", "tres cordialement", "cdlt", "cdt",
	"bien à vous", "bien a vous", "bien à toi", "salutations", "sincères salutations",
	"meilleures salutations", "bien sincèrement", "sincèrement", "merci", "merci beaucoup",
	"merci d'avance", "merci d’avance", "merci par avance", "merci à vous", "merci a vous",
	"merci encore", "mille mercis", "amicalement", "amitiés", "à bientôt", "a bientot",
	"bonne journée", "bonne journee", "bonne fin de journée", "bonne soirée", "belle journée",
	"respectueusement", "en vous remerciant", "je vous remercie", "avec mes remerciements", "bises",
	"regards", "best regards", "kind regards", "warm regards", "warmest regards", "best",
	"all the best", "best wishes", "cheers", "thanks", "thank you", "thanks again", "many thanks",
	"thanks a lot", "thanks in advance", "thank you in advance", "thx", "sincerely",
	"yours sincerely", "sincerely yours", "yours truly", "yours", "br", "rgds", "take care",
	"talk soon", "have a nice day", "have a great day", "respectfully",
	"mit freundlichen grüßen", "mit freundlichen grüssen", "freundliche grüße", "viele grüße",
	"beste grüße", "liebe grüße", "herzliche grüße", "grüße", "gruß", "mfg", "lg", "vg",
	"saludos", "un saludo", "atentamente", "cordiali saluti", "saluti", "distinti saluti",
	"met vriendelijke groet", "vriendelijke groeten", "groeten", "atenciosamente", "cumprimentos",
)

// isSignOff reports whether s is a closing formula, possibly followed by a
// short name on the same line ("Thanks, Jane", "Cheers 🎉").
func isSignOff(s string) bool {
	if len(s) > 80 {
		return false
	}
	words := strings.Fields(s)
	for k := 1; k <= len(words) && k <= 5; k++ {
		phrase := strings.ToLower(strings.Join(words[:k], " "))
		if !signOffs[strings.TrimRightFunc(phrase, isClosingPunct)] {
			continue
		}
		rest := words[k:]
		if len(rest) > 3 {
			continue
		}
		named := true
		for _, w := range rest {
			if !isNameWord(w) {
				named = false
				break
			}
		}
		if named {
			return true
		}
	}
	return false
}

func isClosingPunct(r rune) bool {
	return r == ',' || r == '.' || r == '!' || r == ';' || r == ':' || r == '…' || r == '-' || unicode.IsSpace(r)
}

// isNameWord accepts a capitalised word without digits, or a symbol such as
// an emoji.
func isNameWord(w string) bool {
	w = strings.TrimFunc(w, isClosingPunct)
	if w == "" {
		return true
	}
	r, _ := utf8.DecodeRuneInString(w)
	if unicode.Is(unicode.So, r) {
		return true
	}
	return unicode.IsUpper(r) && !hasDigit(w)
}

// signatureish reports whether s could be a line of a name/title/contact
// block: short, not a question, not a long sentence. (Callers have already
// ruled out lines that read like a request.)
func signatureish(s string) bool {
	if utf8.RuneCountInString(s) > 80 {
		return false
	}
	words := len(strings.Fields(s))
	if words > 10 {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(s)
	switch r {
	case '?':
		return false
	case '.', '!':
		return words <= 5
	}
	return true
}

// hasContact reports an address, a URL or a phone number.
func hasContact(s string) bool {
	if strings.Contains(s, "@") || strings.Contains(s, "://") || strings.Contains(strings.ToLower(s), "www.") {
		return true
	}
	digits := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	return digits >= 8
}

// isDecorationLine reports a line made only of rule characters ("-----",
// "____", "***", "ᐧ").
func isDecorationLine(s string) bool {
	if s == "" || len(s) > 200 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("-_=~*#+.·•—–ᐧ \t", r) {
			return false
		}
	}
	return true
}

// isSeparatorLine reports a rule of at least two identical characters that
// may introduce a signature or footer ("__", "-----", "=====", "—————").
func isSeparatorLine(s string) bool {
	if len(s) > 200 || s == "--" {
		return false
	}
	first, _ := utf8.DecodeRuneInString(s)
	if !strings.ContainsRune("-_=~*—–", first) {
		return false
	}
	n := 0
	for _, r := range s {
		if r != first {
			return false
		}
		n++
	}
	return n >= 2
}

// ---------------------------------------------------------------------------
// The request guard.

// requestVerbs open a licence request, lower-cased. French entries are stems;
// English ones are whole words ("add" must not match "address").
var (
	requestStems = []string{
		"ajout", "rajout", "command", "achet", "achat", "augment", "supprim", "retir", "enlev",
		"enlèv", "rédui", "redui", "réduc", "reduc", "restitu", "rend", "annul", "attribu",
		"désattribu", "desattribu", "affect", "commande",
	}
	requestWords = setOf(
		"add", "adds", "adding", "added", "buy", "buying", "purchase", "order", "ordering",
		"increase", "more", "set", "total", "remove", "removing", "reduce", "return", "cancel",
		"drop", "assign", "unassign", "need", "want", "passer", "porter", "besoin",
	)
	numberWords = setOf(
		"deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze", "douze",
		"treize", "quatorze", "quinze", "seize", "vingt", "two", "three", "four", "five", "seven",
		"eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
		"seventeen", "eighteen", "nineteen", "twenty",
	)
	licenceStems = []string{"licen", "seat", "siège", "siege", "abonnement", "subscription"}
)

// isSKUToken matches plan codes such as E3, P1, F3 or M365: one to four
// capitals then one to three digits.
func isSKUToken(s string) bool {
	i := 0
	for i < len(s) && s[i] >= 'A' && s[i] <= 'Z' {
		i++
	}
	if i == 0 || i > 4 || len(s)-i < 1 || len(s)-i > 3 {
		return false
	}
	return isAllDigits(s[i:])
}

// looksLikeRequest is a deliberately broad guard: a line that pairs a request
// verb with a quantity, a licence word or a SKU-like token (E3, P1, M365), or a
// quantity with a licence word or SKU. Tail rules never remove such a line;
// a false alarm only leaves a signature in place.
func looksLikeRequest(s string) bool {
	if len(s) > maxHeuristicLen {
		return false
	}
	var verb, number, licence, sku bool
	for _, tok := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		lower := strings.ToLower(tok)
		switch {
		case isAllDigits(tok):
			number = number || len(tok) <= 4
		case isSKUToken(tok):
			sku = true
		case numberWords[lower]:
			number = true
		}
		if requestWords[lower] || hasAnyPrefix(lower, requestStems) {
			verb = true
		}
		if hasAnyPrefix(lower, licenceStems) {
			licence = true
		}
	}
	return (verb && (number || licence || sku)) || (number && (licence || sku))
}

func isAllDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
