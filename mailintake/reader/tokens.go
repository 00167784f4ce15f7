package reader

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/licensedesk/licensedesk/ledger"
)

type tokKind uint8

const (
	tWord  tokKind = iota // a run of letters and digits ("e3", "ajouter", "m365")
	tNum                  // a number in digits, with its separators ("5", "1 000", "1,5", "12/03")
	tEmail                // an email address
	tPunct                // any other single character
)

// token is one word, number, address or punctuation mark of the text.
type token struct {
	kind       tokKind
	start, end int    // byte offsets in the text
	lower      string // lower case, accents kept: "ajouté"
	fold       string // lower case, accents removed, as ledger.NormalizeName folds: "ajoute"
	space      bool   // whitespace before the token
	line       bool   // a line break before the token
	blank      bool   // an empty line before the token (a paragraph break)
	// bullet marks a list item's number and its dot or parenthesis at the
	// start of a line ("1.", "2)"): a marker like "-", never a quantity
	// nor a sentence end (issue 9, class 4).
	bullet bool
	num    numShape
}

// numShape describes how a number was written; its value depends on the
// message's language (a comma groups thousands in English and marks decimals
// in French).
type numShape struct {
	groups []string // digit groups: "1 000" → ["1", "000"]
	sep    rune     // the one separator between groups, 0 when there is one group
	mixed  bool     // several different separators
}

// isWordRune reports a letter, digit or combining mark: what words are made of.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// isSpaceGroupSep reports the characters that group thousands in French:
// a space, a no-break space, a narrow no-break space or a thin space.
func isSpaceGroupSep(r rune) bool {
	return r == ' ' || r == '\u00a0' || r == '\u202f' || r == '\u2009'
}

func isASCIIDigit(b byte) bool { return b >= '0' && b <= '9' }

// isLocalByte reports the characters allowed in the local part of an address
// (a practical subset of RFC 5322's atext plus the dot).
func isLocalByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || isASCIIDigit(b) ||
		strings.IndexByte(".!#$%&*+/=?^_`{|}~'-", b) >= 0
}

func isDomainByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || isASCIIDigit(b) || b == '-' || b == '.'
}

// tokenize splits text into tokens in one pass. Every byte is looked at a
// bounded number of times, so the work is linear in the input.
func tokenize(text string) []token {
	toks := make([]token, 0, len(text)/4+4)
	space, nl := false, 0
	i := 0
	for i < len(text) {
		c := text[i]
		// Email addresses: tried at the start of a run of local-part bytes.
		if c < utf8.RuneSelf && isLocalByte(c) && c != '.' && (i == 0 || !isLocalByte(text[i-1])) {
			j := i
			for j < len(text) && isLocalByte(text[j]) {
				j++
			}
			if j < len(text) && text[j] == '@' && j-i <= 64 {
				if end, ok := scanDomain(text, j+1); ok {
					addr := text[i:end]
					toks = append(toks, token{kind: tEmail, start: i, end: end, lower: strings.ToLower(addr),
						fold: strings.ToLower(addr), space: space, line: nl > 0, blank: nl > 1})
					space, nl = false, 0
					i = end
					continue
				}
			}
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case r == '\n':
			nl++
			space = true
			i += size
		case r == '\t' && nl == 0 && len(toks) > 0:
			// A tab between words of a line separates the cells of a
			// table that a mail client wrote as text ("Produit\tQuantité",
			// Outlook's text part of a Word table): a cell separator like
			// the "|" decode writes for HTML cells (issue 9, class 4). The
			// run of blanks is passed over at once.
			j := i
			for j < len(text) && (text[j] == '\t' || text[j] == ' ' || text[j] == '\r') {
				j++
			}
			if j < len(text) && text[j] != '\n' {
				toks = append(toks, token{kind: tPunct, start: i, end: i + 1, lower: "|", fold: "|", space: true})
			}
			space = true
			i = j
		case unicode.IsSpace(r) || r == '\ufeff' || r == '\u200b':
			space = true
			i += size
		case isWordRune(r):
			j := i
			allDigits := true
			for j < len(text) {
				r2, s2 := utf8.DecodeRuneInString(text[j:])
				if !isWordRune(r2) {
					break
				}
				if r2 > unicode.MaxASCII || !isASCIIDigit(byte(r2)) {
					allDigits = false
				}
				j += s2
			}
			t := token{kind: tWord, start: i, end: j, space: space, line: nl > 0, blank: nl > 1}
			if allDigits {
				j = scanNumber(text, i, j, &t)
				t.end = j
				t.kind = tNum
				t.lower = text[i:j]
				t.fold = t.lower
			} else {
				w := text[i:j]
				t.lower, t.fold = foldWord(w)
			}
			toks = append(toks, t)
			space, nl = false, 0
			i = j
		default:
			s := text[i : i+size]
			toks = append(toks, token{kind: tPunct, start: i, end: i + size, lower: s, fold: s,
				space: space, line: nl > 0, blank: nl > 1})
			space, nl = false, 0
			i += size
		}
	}
	joinApostrophes(toks)
	return toks
}

// scanDomain reads the domain of an address starting at i and returns where
// it ends. It needs at least one dot between non-empty labels.
func scanDomain(text string, i int) (int, bool) {
	j := i
	for j < len(text) && isDomainByte(text[j]) {
		j++
	}
	for j > i && (text[j-1] == '.' || text[j-1] == '-') {
		j-- // "alice@contoso.com." ends a sentence
	}
	d := text[i:j]
	if len(d) < 3 || len(d) > 253 || !strings.Contains(d, ".") || strings.Contains(d, "..") ||
		d[0] == '.' || d[0] == '-' {
		return 0, false
	}
	if j < len(text) && text[j] == '@' {
		return 0, false // "a@b.c@d": not an address
	}
	return j, true
}

// scanNumber extends the digit run text[i:j] over the separators numbers are
// written with ("1 000", "1,000", "1.5", "12/03/2026", "5-10") and records
// the shape in t. A space only joins a following group of exactly three
// digits, the way French groups thousands.
func scanNumber(text string, i, j int, t *token) int {
	t.num.groups = append(t.num.groups[:0], text[i:j])
	for j < len(text) && len(t.num.groups) < 8 {
		r, size := utf8.DecodeRuneInString(text[j:])
		var sep rune
		switch {
		case r == ',' || r == '.' || r == '\'' || r == '/' || r == ':' || r == '-':
			sep = r
		case isSpaceGroupSep(r):
			sep = ' '
		default:
			return j
		}
		k := j + size
		for k < len(text) && isASCIIDigit(text[k]) {
			k++
		}
		n := k - (j + size)
		if n == 0 {
			return j
		}
		if k < len(text) {
			if r2, _ := utf8.DecodeRuneInString(text[k:]); isWordRune(r2) {
				return j // "5-E3", "1 000E": not one number
			}
		}
		if sep == ' ' && (n != 3 || len(t.num.groups[0]) > 3) {
			return j
		}
		if t.num.sep != 0 && t.num.sep != sep {
			t.num.mixed = true
		}
		t.num.sep = sep
		t.num.groups = append(t.num.groups, text[j+size:k])
		j = k
	}
	return j
}

// foldWord returns a word in lower case with and without accents. ASCII words,
// the common case, avoid the Unicode normalisation.
func foldWord(w string) (lower, fold string) {
	ascii := true
	for i := 0; i < len(w); i++ {
		if w[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		l := strings.ToLower(w)
		return l, l
	}
	lower = strings.ToLower(w)
	fold = strings.ReplaceAll(ledger.NormalizeName(w), " ", "")
	return lower, fold
}

func isApostrophe(s string) bool { return s == "'" || s == "’" || s == "ʼ" }

// frElision are the French words written with an apostrophe before a vowel
// ("d'ajouter", "n'ajoutez", "jusqu'à"), and their full forms.
var frElision = map[string]string{
	"d": "de", "l": "le", "j": "je", "m": "me", "t": "te", "n": "ne", "s": "se",
	"c": "ce", "qu": "que", "jusqu": "jusque", "lorsqu": "lorsque", "puisqu": "puisque",
}

// enContraction are the English contractions after an apostrophe.
var enContraction = map[string]string{
	"t": "not", "d": "would", "ll": "will", "re": "are", "ve": "have", "m": "am",
}

// joinApostrophes expands elisions and contractions in place: "d'" becomes
// "de", "n't" becomes "not", so that the word lists need only full forms.
func joinApostrophes(toks []token) {
	for i := 1; i+1 < len(toks); i++ {
		a := &toks[i]
		if a.kind != tPunct || !isApostrophe(a.lower) || a.space || toks[i+1].space ||
			toks[i-1].kind != tWord || toks[i+1].kind != tWord {
			continue
		}
		prev, next := &toks[i-1], &toks[i+1]
		if full, ok := frElision[prev.fold]; ok {
			if full == "se" && (next.fold == "il" || next.fold == "ils") {
				full = "si" // s'il
			}
			prev.fold, prev.lower = full, full
			continue
		}
		if full, ok := enContraction[next.fold]; ok {
			next.fold, next.lower = full, full
		}
	}
}

// markListNumbers marks the numbers that open a list item: one or two digits
// at the start of a line, followed by "." or ")" and a blank ("1. Add 6
// Business Premium", "2) remove 1 E3"), or a lone letter so followed
// ("a) …"). They become bullets like "-". A list counts from 1 (or
// carries on the one before): a number alone at the start of a line ("3.
// Thanks" in answer to the desk) is a number.
func markListNumbers(toks []token) {
	last := 0 // the number of the list item before
	for i := 0; i+2 < len(toks); i++ {
		t := &toks[i]
		if !(t.line || i == 0) {
			continue
		}
		n := 0
		switch {
		case t.kind == tNum && len(t.num.groups) == 1 && len(t.lower) <= 2:
			n, _ = strconv.Atoi(t.lower)
			if n != 1 && n != last+1 {
				continue
			}
		case t.kind == tWord && len(t.lower) == 1 && t.lower[0] >= 'a' && t.lower[0] <= 'h' && toks[i+1].lower == ")":
		default:
			continue
		}
		p := &toks[i+1]
		if p.kind != tPunct || (p.lower != "." && p.lower != ")") || p.space || !toks[i+2].space || toks[i+2].line {
			continue
		}
		if n > 0 {
			last = n
		}
		t.kind, t.lower, t.fold, t.bullet = tPunct, "•", "•", true
		p.lower, p.fold, p.bullet = "•", "•", true
	}
}
