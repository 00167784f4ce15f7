package quote

import (
	"math/bits"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ---------------------------------------------------------------------------
// "-----Original Message-----", "-------- Message d'origine --------",
// "---------- Forwarded message ---------", "Begin forwarded message:".

// separatorPhrases are the titles clients put between dashes above an older
// message, lower-cased.
var separatorPhrases = setOf(
	"original message", "original e-mail", "original email", "reply message",
	"forwarded message", "forwarded e-mail", "forwarded email",
	"message d'origine", "message d’origine", "message original", "message transféré",
	"message transfere", "courriel d'origine", "courriel original",
	"ursprüngliche nachricht", "ursprungliche nachricht", "weitergeleitete nachricht",
	"antwort nachricht", "originalnachricht",
	"oprindelig meddelelse", "oprindelig besked", "videresendt meddelelse", "videresendt besked",
	"opprinnelig melding", "videresendt melding", "originalmeddelande",
	"ursprungligt meddelande", "vidarebefordrat meddelande",
	"mensaje original", "mensaje reenviado", "messaggio originale", "messaggio inoltrato",
	"oorspronkelijk bericht", "origineel bericht", "doorgestuurd bericht",
	"mensagem original", "mensagem encaminhada",
	"wiadomość oryginalna", "oryginalna wiadomość", "przekazana wiadomość",
	"исходное сообщение", "пересылаемое сообщение", "переслане повідомлення",
	"alkuperäinen viesti", "välitetty viesti",
	"原始邮件", "原始郵件", "转发的邮件", "轉寄的郵件",
)

// forwardIntros are the undecorated "…:" lines Apple Mail and others put above
// a forwarded message.
var forwardIntros = setOf(
	"begin forwarded message", "début du message réexpédié", "début du message transféré",
	"debut du message reexpedie", "anfang der weitergeleiteten nachricht",
	"inicio del mensaje reenviado", "inizio messaggio inoltrato", "begin doorgestuurd bericht",
	"forwarded message", "message transféré",
)

const decoration = "-_=*~ \t"

// isMessageSeparator reports whether s (a trimmed line) announces an original
// or forwarded message.
func isMessageSeparator(s string) bool {
	if len(s) > 120 {
		return false
	}
	core := strings.Trim(s, decoration)
	decorated := len(s)-len(strings.TrimLeft(s, decoration)) >= 2
	lower := strings.ToLower(strings.TrimSpace(core))
	if decorated {
		return separatorPhrases[strings.TrimRight(lower, ": ")]
	}
	if strings.HasSuffix(lower, ":") || strings.HasSuffix(lower, "：") {
		return forwardIntros[strings.TrimRight(strings.TrimSuffix(lower, "："), ": ")]
	}
	return false
}

// ---------------------------------------------------------------------------
// Outlook-style header blocks: "From: … / Sent: … / To: … / Subject: …",
// "De : … / Envoyé : … / À : … / Objet :", "Von: … Gesendet: …", etc.

type fieldKind int

const (
	fieldNone fieldKind = iota
	fieldFrom
	fieldDate
	fieldTo
	fieldCc
	fieldSubject
	fieldReplyTo
)

// fieldNames maps lower-cased header names, in the languages clients write
// them, to what they are.
var fieldNames = func() map[string]fieldKind {
	m := map[string]fieldKind{}
	add := func(k fieldKind, names ...string) {
		for _, n := range names {
			m[n] = k
		}
	}
	add(fieldFrom, "from", "de", "von", "van", "da", "fra", "från", "od", "от", "від",
		"lähettäjä", "feladó", "kimden", "发件人", "寄件者", "差出人", "frá", "expéditeur", "remitente")
	add(fieldDate, "date", "sent", "sent at", "sent on", "envoyé", "envoyé le", "envoye", "envoye le",
		"gesendet", "datum", "verzonden", "verstuurd", "inviato", "data", "sendt", "skickat",
		"enviado", "enviada", "enviado el", "wysłano", "отправлено", "дата", "lähetetty",
		"päivämäärä", "发送时间", "日期", "送信日時", "dato", "message du", "fecha")
	add(fieldTo, "to", "à", "a", "an", "aan", "til", "till", "para", "do", "кому", "komu",
		"vastaanottaja", "收件人", "宛先", "címzett", "destinataire", "per")
	add(fieldCc, "cc", "cci", "bcc", "kopie", "copie", "copie à", "kopia", "копия")
	add(fieldSubject, "subject", "objet", "sujet", "betreff", "onderwerp", "oggetto", "emne",
		"ämne", "asunto", "assunto", "temat", "тема", "aihe", "主题", "主旨", "件名", "tárgy", "konu")
	add(fieldReplyTo, "reply-to", "répondre à", "antwort an", "risposta", "responder a")
	return m
}()

// headerField parses "Name: value" (also "Name : value", "*Name:* value" and a
// full-width colon) and returns the field kind and value.
func headerField(s string) (fieldKind, string) {
	t := strings.TrimLeft(s, "* \t")
	i := strings.IndexAny(t, ":：")
	if i <= 0 || i > 30 {
		return fieldNone, ""
	}
	name := strings.ToLower(strings.Trim(t[:i], "* \t\u00a0"))
	k, ok := fieldNames[name]
	if !ok {
		return fieldNone, ""
	}
	_, w := utf8.DecodeRuneInString(t[i:])
	return k, strings.Trim(t[i+w:], "* \t\u00a0")
}

// headerBlockAt reports whether an Outlook-style header block starts at line
// j: two or more different fields within a few lines (values may wrap over a
// line or two), at least one of them naming a sender or an address. A lone
// "From: name <address>" line opening a paragraph also counts.
func headerBlockAt(lines []line, j int) bool {
	kind, value := headerField(lines[j].text)
	if kind == fieldNone {
		return false
	}
	kinds := uint8(1) << kind
	trusted := kind == fieldFrom || strings.Contains(value, "@")
	cont := 0
	for t := j + 1; t < len(lines) && t <= j+10; t++ {
		l := lines[t]
		if l.blank || l.quoted || l.long {
			break
		}
		k, v := headerField(l.text)
		if k == fieldNone {
			if cont++; cont > 2 {
				break
			}
			continue
		}
		cont = 0
		kinds |= 1 << k
		if k == fieldFrom || strings.Contains(v, "@") {
			trusted = true
		}
	}
	if distinct := bits.OnesCount8(kinds); distinct >= 3 || (distinct == 2 && trusted) {
		return true
	}
	// "From: foo@example.com <foo@example.com>" alone, at a paragraph start.
	return kind == fieldFrom && strings.Contains(value, "@") && len(value) <= 120 &&
		!looksLikeRequest(value) && (j == 0 || lines[j-1].blank || isDecorationLine(lines[j-1].text))
}

// ---------------------------------------------------------------------------
// Reply headers: "On Tue, 5 Mar 2024 at 10:00, Jane <jane@x.com> wrote:",
// "Le lun. 15 nov. 2021 à 19:42, X <x@y> a écrit :", "Am … schrieb …:",
// "2014-03-20 8:48 GMT+01:00 Rémi <r@x.com>:", possibly wrapped over lines.

// replyVerbs end a reply header ("… wrote:"), lower-cased.
var replyVerbs = []string{
	"wrote", "writes", "sent", "écrit", "ecrit", "schrieb", "geschrieben", "schreef",
	"geschreven", "escribió", "escribio", "escrit", "escreveu", "scritto", "napisał", "napisała",
	"napisał(a)", "napisal", "pisze", "skrev", "kirjoitti", "написал", "написала",
	"написал(а)", "написав", "пише", "viết", "írta", "yazdı",
	"写道", "寫道", "작성", "のメッセージ",
}

// midVerbs are the reply verbs that also sit inside a header, before the
// date or the name ("Name <address> schrieb am Fr., 28. Apr. 2017 um 11:53
// Uhr:", "Am 25.06.2015 um 10:55 schrieb Test user:"). The English and
// French verbs are left out: they end Gmail headers, and inside a line they
// are ordinary prose ("On 5 May I sent the following:").
var midVerbs = func() []string {
	var out []string
	for _, v := range replyVerbs {
		switch v {
		case "wrote", "writes", "sent", "écrit", "ecrit":
			continue
		}
		out = append(out, v)
	}
	return out
}()

// leadWords open a reply header in some language ("On", "Le", "Am", …).
var leadWords = []string{
	"on", "le", "am", "el", "em", "op", "il", "in data", "w dniu", "dnia", "den", "på",
	"vào", "at", "às", "quoting", "在",
}

// weekdays open dated headers ("tir. 18. apr. 2017 kl. 13:09 skrev …",
// "ср, 30 апр. 2025 г. в 15:19, …", "Wednesday, 17 November 2021 …").
var weekdays = setOf(
	"mon", "tue", "wed", "thu", "fri", "sat", "sun", "monday", "tuesday", "wednesday",
	"thursday", "friday", "saturday", "sunday",
	"lun", "mar", "mer", "jeu", "ven", "sam", "dim", "lundi", "mardi", "mercredi", "jeudi",
	"vendredi", "samedi", "dimanche",
	"mo", "di", "mi", "do", "fr", "sa", "so", "montag", "dienstag", "mittwoch", "donnerstag",
	"freitag", "samstag", "sonntag",
	"man", "tir", "ons", "tor", "fre", "lør", "søn", "tis", "tors", "lör", "sön",
	"ma", "ti", "ke", "to", "pe", "la", "su",
	"lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo",
	"пн", "вт", "ср", "чт", "пт", "сб", "вс", "понедельник", "вторник", "среда", "четверг",
	"пятница", "суббота", "воскресенье",
)

type replyHeader struct {
	start      int
	col        int  // byte offset in lines[start].raw where it starts, -1 for the whole line
	needsQuote bool // only a header if quoted text follows
}

// maxHeaderLines and maxHeaderLen bound how far a wrapped header may spread.
const (
	maxHeaderLines = 6
	maxHeaderLen   = 600
)

// replyHeaderEndingAt reports whether a reply header ends at line j, and
// where it starts.
func replyHeaderEndingAt(lines []line, j int) (replyHeader, bool) {
	last := lines[j].text
	if !mayEndHeader(last) {
		return replyHeader{}, false
	}
	// The header fits on this line.
	if core, dashed := undecorate(last); startsLikeHeader(core) && acceptHeader(core, true, dashed) {
		return replyHeader{start: j, col: -1}, true
	}
	// A wrapped header: walk up to the line that opens it.
	if i, ok := headerOpening(lines, j); ok {
		return replyHeader{start: i, col: -1}, true
	}
	// The reply and the header share the line: "Sure. On Wed, … wrote:".
	if col, ok := innerHeader(last); ok {
		lead := len(lines[j].raw) - len(strings.TrimLeftFunc(lines[j].raw, isSpace))
		return replyHeader{start: j, col: lead + col}, true
	}
	if core, dashed := undecorate(last); acceptHeader(core, false, dashed) {
		return replyHeader{start: j, col: -1}, true
	}
	// "Name <address> schrieb am Fr., 28.\nApr. 2017 um 11:53 Uhr:" opens
	// with a name rather than a date: accept the shortest span with an
	// address and a verb, without crossing a blank line.
	for i := j - 1; i >= 0 && i >= j-2; i-- {
		if lines[i].blank || lines[i].quoted || lines[i].long {
			break
		}
		if core, ok := joinSpan(lines, i, j); ok && acceptHeader(core, false, false) {
			return replyHeader{start: i, col: -1}, true
		}
	}
	// "2013/7/20 Name <address>" with no verb and no colon.
	if core, _ := undecorate(last); startsWithDate(core) && strings.HasSuffix(core, ">") &&
		strings.Contains(core, "@") && len(core) <= maxHeaderLen {
		return replyHeader{start: j, col: -1, needsQuote: true}, true
	}
	return replyHeader{}, false
}

// innerHeader finds a header that starts after some text on the same line
// and returns the offset in s where the visible part ends (before any dashes
// leading into the header). Only the first few capitalised lead words are
// tried, which keeps the search linear on lines made of nothing but "On".
func innerHeader(s string) (int, bool) {
	tries := 0
	for p := 1; p < len(s) && tries < 4; p++ {
		c := s[p]
		if c < 'A' || c > 'Z' || (s[p-1] != ' ' && s[p-1] != '-') {
			continue
		}
		if !startsLikeHeader(s[p:]) {
			continue
		}
		if tries++; !acceptHeader(strings.TrimSpace(s[p:]), true, false) {
			continue
		}
		q := len(strings.TrimRightFunc(s[:p], func(r rune) bool { return r == '-' || isSpace(r) }))
		if q == 0 {
			return 0, false
		}
		return q, true
	}
	return 0, false
}

// mayEndHeader is a cheap filter: a header ends with a colon, a reply verb,
// or (for the bare dated form) an address.
func mayEndHeader(s string) bool {
	if s == "" || len(s) > maxHeaderLen {
		return false
	}
	core, _ := undecorate(s)
	if strings.HasSuffix(core, ":") || strings.HasSuffix(core, "：") || strings.HasSuffix(core, ">") {
		return true
	}
	return endsWithVerb(strings.ToLower(core))
}

// headerOpening walks up from j, over the lines a wrapped header may span,
// and returns the topmost one that opens a header, if the joined span is one.
func headerOpening(lines []line, j int) (int, bool) {
	best := -1
	size := len(lines[j].text)
	for i := j - 1; i >= 0 && j-i < maxHeaderLines; i-- {
		l := lines[i]
		if l.quoted || l.long {
			break
		}
		if l.blank {
			// Polymail wraps "On … Name\n\n<\nmailto:…>\n> wrote:": a blank
			// line is crossed only when the next line down opens an address.
			if i+1 <= j && strings.HasPrefix(lines[i+1].text, "<") {
				continue
			}
			break
		}
		if endsSentence(l.text) {
			break
		}
		if size += len(l.text) + 1; size > maxHeaderLen {
			break
		}
		// A wrapped header's first line carries the date: "On balance, I
		// agree" above "Jane <jane@example.com> wrote:" is prose.
		if core, _ := undecorate(l.text); startsLikeHeader(core) && hasDigit(core) {
			best = i
		}
	}
	if best < 0 {
		return 0, false
	}
	core, ok := joinSpan(lines, best, j)
	if !ok {
		return 0, false
	}
	_, dashed := undecorate(lines[best].text)
	return best, acceptHeader(core, true, dashed)
}

// endsSentence reports a line ending like prose. A final '.' after a digit
// somewhere in the line is allowed: dates ("28.", "a.m.") end that way.
func endsSentence(s string) bool {
	switch {
	case strings.HasSuffix(s, "!"), strings.HasSuffix(s, "?"):
		return true
	case strings.HasSuffix(s, "."):
		return !hasDigit(s)
	}
	return false
}

// joinSpan joins lines i..j (skipping blank ones) into one header candidate.
func joinSpan(lines []line, i, j int) (string, bool) {
	var b strings.Builder
	for k := i; k <= j; k++ {
		if lines[k].blank {
			continue
		}
		if b.Len()+len(lines[k].text) > maxHeaderLen {
			return "", false
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(lines[k].text)
	}
	core, _ := undecorate(b.String())
	return core, true
}

// undecorate strips the dashes, stars and bullets some clients wrap headers
// in ("---- On … wrote ----", "- Le … a écrit :") and reports whether the
// header was wrapped in dashes on both sides.
func undecorate(s string) (string, bool) {
	left := len(s) - len(strings.TrimLeft(s, "-*• \t"))
	right := len(s) - len(strings.TrimRight(s, "-*• \t"))
	core := strings.TrimSpace(strings.Trim(s, "-*• \t"))
	lead := strings.Count(s[:left], "-")
	trail := strings.Count(s[len(s)-right:], "-")
	return core, lead >= 2 && trail >= 2
}

// startsLikeHeader reports whether s opens with a reply-header lead word, a
// date or a weekday.
func startsLikeHeader(s string) bool {
	// Only the opening words matter: lower-case a bounded prefix so that
	// probing many positions of one line stays linear.
	if len(s) > 64 {
		cut := 64
		for cut < len(s) && !utf8.RuneStart(s[cut]) {
			cut++
		}
		s = s[:cut]
	}
	lower := strings.ToLower(s)
	for _, w := range leadWords {
		if strings.HasPrefix(lower, w) {
			rest := lower[len(w):]
			if w == "在" || strings.HasPrefix(rest, " ") || strings.HasPrefix(rest, "\u00a0") {
				return true
			}
		}
	}
	if startsWithDate(s) {
		return true
	}
	first, rest, _ := strings.Cut(lower, " ")
	day := strings.TrimRight(first, ".,")
	if !weekdays[day] {
		return false
	}
	// Short weekday names are ordinary words too ("to", "so", "ma"): they
	// open a header only when punctuated or followed by a number.
	return first != day || startsWithDate(strings.TrimSpace(rest))
}

func startsWithDate(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return r >= '0' && r <= '9'
}

// acceptHeader decides whether core (an undecorated, joined candidate) is a
// reply header. lead says it opens with a lead word or a date.
func acceptHeader(core string, lead, dashed bool) bool {
	if core == "" || len(core) > maxHeaderLen {
		return false
	}
	lower := strings.ToLower(core)
	hasAt := strings.Contains(core, "@")
	// Without an address, a lead word must come with a year or a time:
	// "Le 5 mai, votre collègue m'a écrit :" is prose, and a header that
	// is taken for prose costs less than prose taken for a header.
	dated := lead && hasDate(core)
	if endsWithVerb(lower) {
		// "Something wrote:" in the middle of a text is no header: require a
		// date after a lead word, an address, or the dashed form.
		return hasAt || dated || dashed
	}
	if !strings.HasSuffix(lower, ":") && !strings.HasSuffix(lower, "：") {
		return false
	}
	// "Name <address> schrieb am <date>:", "… skrev Name <address>:",
	// "Am <date> schrieb Name:".
	if (hasAt || dated) && containsVerb(lower) {
		return true
	}
	// Gmail's "<date> Name <address>:" in any language.
	body := strings.TrimRight(strings.TrimSuffix(lower, "："), ": \u00a0\u202f")
	return hasAt && hasDigit(core) && (strings.HasSuffix(body, ">") || strings.HasSuffix(body, ")"))
}

// hasDate reports a year (19xx, 20xx) or a time of day ("19:42", "20.42",
// "10h30") in s.
func hasDate(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isASCIIDigit(s[i]) || (i > 0 && isASCIIDigit(s[i-1])) {
			continue
		}
		j := i
		for j < len(s) && isASCIIDigit(s[j]) {
			j++
		}
		switch n := j - i; {
		case n == 4 && (s[i:i+2] == "19" || s[i:i+2] == "20"):
			return true
		case n <= 2 && j+2 < len(s) && (s[j] == ':' || s[j] == '.' || s[j] == 'h') &&
			isASCIIDigit(s[j+1]) && isASCIIDigit(s[j+2]) && (j+3 == len(s) || !isASCIIDigit(s[j+3])):
			return true
		}
		i = j
	}
	return false
}

func isASCIIDigit(c byte) bool { return c >= '0' && c <= '9' }

// endsWithVerb reports whether lower ends with a reply verb, optionally
// followed by a colon.
func endsWithVerb(lower string) bool {
	s := strings.TrimRight(lower, ":： \t-\u00a0\u202f")
	for _, v := range replyVerbs {
		if strings.HasSuffix(s, v) && wordBoundaryBefore(s, len(s)-len(v), v) {
			return true
		}
	}
	return false
}

// containsVerb reports whether a verb that may sit inside a header appears
// as a word in lower.
func containsVerb(lower string) bool {
	for _, v := range midVerbs {
		for off := 0; off < len(lower); {
			i := strings.Index(lower[off:], v)
			if i < 0 {
				break
			}
			at := off + i
			end := at + len(v)
			if wordBoundaryBefore(lower, at, v) && (end == len(lower) || !isLetter(lower[end:])) {
				return true
			}
			off = at + len(v)
		}
	}
	return false
}

// wordBoundaryBefore reports whether the verb v found at s[at:] starts a word.
// CJK verbs follow the name directly.
func wordBoundaryBefore(s string, at int, v string) bool {
	if at == 0 {
		return true
	}
	if r, _ := utf8.DecodeRuneInString(v); r > unicode.MaxLatin1 && !unicode.In(r, unicode.Cyrillic, unicode.Latin) {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(s[:at])
	return !unicode.IsLetter(r) && !unicode.IsDigit(r)
}

func isLetter(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLetter(r)
}

func hasDigit(s string) bool {
	return strings.IndexFunc(s, unicode.IsDigit) >= 0
}

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}
