// Package numwords reads cardinal numbers written in French or English words,
// from 0 to Max: "cinq", "vingt-cinq", "vingt et un", "soixante-dix",
// "quatre-vingt-dix-neuf", "deux cents", "mille deux cent cinquante",
// "five", "twenty-one", "twenty one", "a hundred and five", "two thousand
// and ten", "a hundred thousand".
//
// It is the one reader of number words for the command language (bot) and
// is written so that the mail reader can use it too: Prefix reads the longest
// number at the start of a list of words, so a caller that tokenizes its own
// text can ask "is there a number here, and how many words long?".
//
// What it reads:
//   - French: zéro, un/une … seize, dix-sept … dix-neuf, vingt … soixante
//     (with "et un", "soixante et onze"), soixante-dix … soixante-dix-neuf,
//     quatre-vingt(s) … quatre-vingt-dix-neuf, the Belgian and Swiss
//     septante, huitante/octante and nonante, cent/cents, mille, "mille et
//     un"; hyphens or spaces between the words, as in the 1990 spelling
//     ("vingt-et-un", "deux-cent-cinq") or the traditional one.
//   - English: zero, one … nineteen, twenty … ninety, "twenty-one" or
//     "twenty one", hundred and thousand with a unit or "a" before them
//     ("a hundred", "one thousand"), and "and" after them ("a hundred and
//     five", "two thousand and ten").
//
// Case and accents are ignored ("Zéro", "VINGT"). One number is in one
// language: "twenty-cinq" is no number. Words that do not make one number
// in the usual order ("cinq vingt", "hundred hundred", "eleven hundred") are
// refused rather than guessed, and so is anything above Max. "a" alone is not
// a number (only "a hundred", "a thousand"); "un" and "une" alone are 1,
// which a caller may refuse as too easily a typo.
package numwords

import "strings"

// Max is the largest number read: the ledger's largest quantity.
const Max = 100000

// maxWords bounds the words of one number: the longest, "quatre vingt dix
// neuf mille neuf cent quatre vingt dix neuf" written without hyphens, has
// eleven. It also bounds the work Prefix does on untrusted text.
const maxWords = 16

type kind uint8

const (
	kZero     kind = iota + 1
	kUnit          // 1..9
	kTeen          // 10..19 ("dix" .. "seize", "ten" .. "nineteen")
	kTens          // 20..90
	kHundred       // cent, cents, hundred
	kThousand      // mille, thousand
	kAnd           // et, and
	kA             // a (English, before hundred or thousand only)
)

type lang uint8

const (
	fr lang = 1 << iota
	en
)

// atom is one number word.
type atom struct {
	kind   kind
	v      int
	lang   lang
	plural bool // "vingts", "cents": only after a multiplier
}

var atoms = map[string]atom{
	"zero": {kZero, 0, fr | en, false}, // "zéro" folds to it
	"un":   {kUnit, 1, fr, false}, "une": {kUnit, 1, fr, false}, "deux": {kUnit, 2, fr, false},
	"trois": {kUnit, 3, fr, false}, "quatre": {kUnit, 4, fr, false}, "cinq": {kUnit, 5, fr, false},
	"six": {kUnit, 6, fr | en, false}, "sept": {kUnit, 7, fr, false}, "huit": {kUnit, 8, fr, false},
	"neuf": {kUnit, 9, fr, false},
	"dix":  {kTeen, 10, fr, false}, "onze": {kTeen, 11, fr, false}, "douze": {kTeen, 12, fr, false},
	"treize": {kTeen, 13, fr, false}, "quatorze": {kTeen, 14, fr, false}, "quinze": {kTeen, 15, fr, false},
	"seize": {kTeen, 16, fr, false},
	"vingt": {kTens, 20, fr, false}, "vingts": {kTens, 20, fr, true}, "trente": {kTens, 30, fr, false},
	"quarante": {kTens, 40, fr, false}, "cinquante": {kTens, 50, fr, false}, "soixante": {kTens, 60, fr, false},
	"septante": {kTens, 70, fr, false}, "huitante": {kTens, 80, fr, false}, "octante": {kTens, 80, fr, false},
	"nonante": {kTens, 90, fr, false},
	"cent":    {kHundred, 100, fr, false}, "cents": {kHundred, 100, fr, true},
	"mille": {kThousand, 1000, fr, false},
	"et":    {kAnd, 0, fr, false},

	"one": {kUnit, 1, en, false}, "two": {kUnit, 2, en, false}, "three": {kUnit, 3, en, false},
	"four": {kUnit, 4, en, false}, "five": {kUnit, 5, en, false}, "seven": {kUnit, 7, en, false},
	"eight": {kUnit, 8, en, false}, "nine": {kUnit, 9, en, false},
	"ten": {kTeen, 10, en, false}, "eleven": {kTeen, 11, en, false}, "twelve": {kTeen, 12, en, false},
	"thirteen": {kTeen, 13, en, false}, "fourteen": {kTeen, 14, en, false}, "fifteen": {kTeen, 15, en, false},
	"sixteen": {kTeen, 16, en, false}, "seventeen": {kTeen, 17, en, false}, "eighteen": {kTeen, 18, en, false},
	"nineteen": {kTeen, 19, en, false},
	"twenty":   {kTens, 20, en, false}, "thirty": {kTens, 30, en, false}, "forty": {kTens, 40, en, false},
	"fifty": {kTens, 50, en, false}, "sixty": {kTens, 60, en, false}, "seventy": {kTens, 70, en, false},
	"eighty": {kTens, 80, en, false}, "ninety": {kTens, 90, en, false},
	"hundred":  {kHundred, 100, en, false},
	"thousand": {kThousand, 1000, en, false},
	"and":      {kAnd, 0, en, false},
	"a":        {kA, 1, en, false},
}

// Parse reads s as exactly one number in words, from 0 to Max. Words are
// separated by white space or hyphens.
func Parse(s string) (n int, ok bool) {
	words := strings.Fields(s)
	if len(words) == 0 || len(words) > maxWords {
		return 0, false
	}
	return parseWords(words)
}

// Prefix reads the longest number at the start of words and reports its
// value and how many words it used (0 and false when words do not start
// with a number). A word is one number word or a hyphenated compound
// ("vingt-cinq", "twenty-one"); joiners ("et", "and") are words of their
// own. Prefix(["vingt", "et", "un", "E3"]) is 21, 3 words; Prefix(["a",
// "E3"]) is no number.
func Prefix(words []string) (n, used int, ok bool) {
	for k := min(len(words), maxWords); k > 0; k-- {
		if n, ok := parseWords(words[:k]); ok {
			return n, k, true
		}
	}
	return 0, 0, false
}

// IsWord reports whether w is made of number words only: a number word or a
// hyphenated compound of them, a joiner or "a" alone excepted. A caller can
// tell with it a malformed number ("vingt-onze", "deux-cent-mille", over
// Max) from a word that is no number at all ("E3").
func IsWord(w string) bool {
	as, ok := atomsOf(nil, w)
	if !ok {
		return false
	}
	for _, a := range as {
		if a.kind != kAnd && a.kind != kA {
			return true
		}
	}
	return false
}

func parseWords(words []string) (int, bool) {
	var as []atom
	for _, w := range words {
		var ok bool
		if as, ok = atomsOf(as, w); !ok {
			return 0, false
		}
	}
	common := fr | en
	for _, a := range as {
		common &= a.lang
	}
	if common == 0 {
		return 0, false // one number, one language
	}
	p := parser{a: as}
	n, ok := p.number()
	if !ok || p.i != len(as) || n > Max {
		return 0, false
	}
	return n, true
}

// atomsOf appends the atoms of one word, split at its hyphens.
func atomsOf(as []atom, w string) ([]atom, bool) {
	w = fold(w)
	for part := range strings.FieldsFuncSeq(w, isHyphen) {
		a, ok := atoms[part]
		if !ok {
			return as, false
		}
		as = append(as, a)
	}
	// FieldsFunc drops empty parts: "vingt--cinq", "-cinq" and "" are no
	// numbers.
	if w == "" || isHyphen(rune(w[0])) || isHyphen(rune(w[len(w)-1])) || strings.Contains(w, "--") {
		return as, false
	}
	return as, true
}

// isHyphen: "-", and Unicode's hyphen and non-breaking hyphen, which text
// substitution and word processors put in "vingt‐cinq". Not the dashes:
// "5–6" is a range.
func isHyphen(r rune) bool { return r == '-' || r == '\u2010' || r == '\u2011' }

// fold lower-cases w, drops the accent of "zéro" (the only one among the
// number words, possibly written as "e" and a combining acute accent) and
// writes every hyphen as "-".
func fold(w string) string {
	plain := true
	for i := 0; i < len(w); i++ {
		if c := w[i]; c >= 0x80 || c >= 'A' && c <= 'Z' {
			plain = false
			break
		}
	}
	if plain {
		return w
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == 'é':
			return 'e'
		case r == '\u0301':
			return -1
		case isHyphen(r):
			return '-'
		}
		return r
	}, strings.ToLower(w))
}

// parser reads atoms as one number; every method consumes what it reads
// and fails on anything out of order.
type parser struct {
	a []atom
	i int
}

func (p *parser) is(k int, want kind) bool {
	return p.i+k < len(p.a) && p.a[p.i+k].kind == want
}

// number := zero | [group | "a"] thousand [joiner] [group] | group
func (p *parser) number() (int, bool) {
	if p.is(0, kZero) {
		p.i++
		return 0, true
	}
	thousands := 1
	switch {
	case p.is(0, kThousand): // "mille", "thousand"
	case p.is(0, kA) && p.is(1, kThousand): // "a thousand"
		p.i++
	default:
		g, ok := p.group()
		if !ok || !p.is(0, kThousand) {
			return g, ok
		}
		thousands = g
	}
	p.i++ // the thousand
	n := thousands * 1000
	if p.i == len(p.a) {
		return n, true
	}
	if p.is(0, kAnd) {
		if p.a[p.i].lang == fr {
			// "mille et un": only one, the tale's title ("Les Mille et
			// Une Nuits").
			if p.is(1, kUnit) && p.a[p.i+1].v == 1 {
				p.i += 2
				return n + 1, true
			}
			return 0, false
		}
		p.i++ // "two thousand and ten"
	}
	g, ok := p.group()
	return n + g, ok
}

// group := [unit | "a"] hundred [and] [below100] | below100, 1..999
func (p *parser) group() (int, bool) {
	mult := 1
	switch {
	case p.is(0, kHundred): // "cent", "hundred"
	case p.is(0, kA) && p.is(1, kHundred): // "a hundred"
		p.i++
	case p.is(0, kUnit) && p.is(1, kHundred): // "deux cents", "five hundred"
		mult = p.a[p.i].v
		p.i++
	default:
		return p.below100()
	}
	h := p.a[p.i]
	p.i++
	if h.plural && mult < 2 {
		return 0, false // "cents" alone is money, not a number
	}
	n := mult * 100
	if p.is(0, kAnd) {
		if p.a[p.i].lang != en {
			return 0, false // "cent et un" is not said
		}
		p.i++ // "a hundred and five"
		r, ok := p.below100()
		return n + r, ok
	}
	if p.is(0, kUnit) || p.is(0, kTeen) || p.is(0, kTens) {
		r, ok := p.below100()
		return n + r, ok
	}
	return n, true
}

// below100 reads 1..99.
func (p *parser) below100() (int, bool) {
	if p.i >= len(p.a) {
		return 0, false
	}
	a := p.a[p.i]
	switch a.kind {
	case kUnit:
		p.i++
		if a.v == 4 && a.lang == fr && p.is(0, kTens) && p.a[p.i].v == 20 {
			return p.quatreVingt()
		}
		return a.v, true
	case kTeen:
		return p.teen(), true
	case kTens:
		if a.plural {
			return 0, false // "vingts" only in "quatre-vingts"
		}
		p.i++
		n := a.v
		switch {
		case p.is(0, kAnd):
			// "vingt et un" … "soixante et un", "soixante et onze",
			// "septante et un".
			if a.lang != fr || p.i+1 >= len(p.a) {
				return 0, false
			}
			next := p.a[p.i+1]
			switch {
			case next.kind == kUnit && next.v == 1:
				p.i += 2
				return n + 1, true
			case next.kind == kTeen && next.v == 11 && n == 60:
				p.i += 2
				return 71, true
			}
			return 0, false
		case p.is(0, kUnit):
			n += p.a[p.i].v
			p.i++
		case n == 60 && a.lang == fr && p.is(0, kTeen):
			n += p.teen() // soixante-dix … soixante-dix-neuf
		}
		return n, true
	}
	return 0, false
}

// quatreVingt reads what follows "quatre-vingt": 80, 81..89 and, with a
// teen, 90..99. The plural "vingts" ends the number.
func (p *parser) quatreVingt() (int, bool) {
	vingt := p.a[p.i]
	p.i++
	switch {
	case vingt.plural:
		return 80, true
	case p.is(0, kUnit):
		n := 80 + p.a[p.i].v
		p.i++
		return n, true
	case p.is(0, kTeen):
		return 80 + p.teen(), true
	}
	return 80, true
}

// teen reads 10..19, with the French "dix-sept", "dix-huit", "dix-neuf".
func (p *parser) teen() int {
	a := p.a[p.i]
	p.i++
	if a.v == 10 && a.lang == fr && p.is(0, kUnit) && p.a[p.i].v >= 7 {
		n := 10 + p.a[p.i].v
		p.i++
		return n
	}
	return a.v
}
