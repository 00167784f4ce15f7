package templates

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Non-breaking spaces of French typography: U+00A0 before a colon and
// inside guillemets, U+202F (narrow) before ; ! ? and between thousands.
const (
	nbsp       = "\u00a0"
	narrowNbsp = "\u202f"
)

// missing is how a reply shows the part of an operation that was not
// understood ("retirer 1 × ?").
const missing = "?"

// formatMoney is the one money formatter: "1,234.50 EUR" in English,
// "1 234,50 €" in French (a narrow no-break space between thousands).
func formatMoney(lang string, v float64, currency string) string {
	if currency == "" {
		currency = "EUR"
	}
	cents := int64(math.Round(math.Abs(v) * 100))
	whole, frac := cents/100, cents%100
	sign := ""
	if v < 0 && cents > 0 {
		sign = "-"
	}
	if Lang(lang) == "fr" {
		if currency == "EUR" {
			currency = "€"
		}
		return fmt.Sprintf("%s%s,%02d%s%s", sign, group(whole, narrowNbsp), frac, nbsp, currency)
	}
	return fmt.Sprintf("%s%s.%02d %s", sign, group(whole, ","), frac, currency)
}

// group writes n with sep between groups of three digits.
func group(n int64, sep string) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	return b.String()
}

// formatDate is the one date formatter, in UTC: "2026-12-20" or
// "2026-12-20 14:30 UTC" in English, "20/12/2026" or "20/12/2026 à 14:30
// UTC" in French.
func formatDate(lang string, t time.Time, withTime bool) string {
	t = t.UTC()
	if Lang(lang) == "fr" {
		if withTime {
			return t.Format("02/01/2006") + " à " + t.Format("15:04") + " UTC"
		}
		return t.Format("02/01/2006")
	}
	if withTime {
		return t.Format("2006-01-02 15:04") + " UTC"
	}
	return t.Format("2006-01-02")
}

// pl chooses the singular or plural form for a count n (any integer
// type): French puts 0 and 1 in the singular ("0 licence", "1 licence"),
// English only 1.
func pl(lang string, n any, one, many string) string {
	k := count(n)
	if k == 1 || k == -1 || (Lang(lang) == "fr" && k == 0) {
		return one
	}
	return many
}

// plural is n followed by the form of the noun it takes: "1 user",
// "2 users", "1 licence", "0 licence" in French.
func plural(lang string, n any, one, many string) string {
	return fmt.Sprintf("%d %s", count(n), pl(lang, n, one, many))
}

// count reads a count of any integer type.
func count(n any) int64 {
	switch x := n.(type) {
	case int:
		return int64(x)
	case int64:
		return x
	case int32:
		return int64(x)
	}
	return 0
}

// elides reports whether French elides "de" or "le" before word: before
// a vowel or a mute h ("d'Office 365 E3", "d'Exchange", "l'abonnement").
func elides(word string) bool {
	r, _ := utf8.DecodeRuneInString(word)
	return strings.ContainsRune("aeiouyhàâäéèêëîïôöûùüAEIOUYHÀÂÄÉÈÊËÎÏÔÖÛÙÜ", r)
}

// de is the French preposition "de" before a name, elided where French
// elides it: "de Microsoft 365 E3", "d'Office 365 E3".
func de(name string) string {
	if elides(name) {
		return "d'" + name
	}
	return "de " + name
}

// quote quotes a phrase of the customer's, or an example to write back:
// « … » with no-break spaces in French, '…' in English.
func quote(lang, s string) string {
	if Lang(lang) == "fr" {
		return "«" + nbsp + s + nbsp + "»"
	}
	return "'" + s + "'"
}

// userList names users, the first max of them, then says how many more:
// "a, b … and 3 more", "a, b … et 3 autres".
func userList(lang string, users []string, max int) string {
	if max <= 0 || len(users) <= max {
		return strings.Join(users, ", ")
	}
	more := len(users) - max
	if Lang(lang) == "fr" {
		return strings.Join(users[:max], ", ") + fmt.Sprintf(" … et %d %s", more, pl(lang, more, "autre", "autres"))
	}
	return strings.Join(users[:max], ", ") + fmt.Sprintf(" … and %d more", more)
}

// frenchTypography puts the no-break spaces of French typography into a
// French text: before « : ; ! ? » and inside guillemets, so that a line
// never starts with a colon nor ends on a lone «. Only ordinary spaces
// are replaced: a text already typeset is left as it is (and so is the
// no-break space opLine puts before missing).
func frenchTypography(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 16)
	runes := []rune(s)
	for i, r := range runes {
		switch {
		case r == ' ' && i+1 < len(runes) && i > 0 && !unicode.IsSpace(runes[i-1]) && strings.ContainsRune(":;!?", runes[i+1]) && endsWord(runes, i+2):
			if runes[i+1] == ':' {
				b.WriteString(nbsp)
			} else {
				b.WriteString(narrowNbsp)
			}
		case r == ' ' && i > 0 && runes[i-1] == '«':
			b.WriteString(nbsp)
		case r == ' ' && i+1 < len(runes) && runes[i+1] == '»':
			b.WriteString(nbsp)
		case r == '«' && i+1 < len(runes) && !unicode.IsSpace(runes[i+1]):
			b.WriteString("«" + nbsp)
		case r == '»' && i > 0 && !unicode.IsSpace(runes[i-1]):
			b.WriteString(nbsp + "»")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// endsWord reports whether the punctuation before runes[i] ends a word:
// it is followed by the end, a space or a closing mark (not "http ://x").
func endsWord(runes []rune, i int) bool {
	return i >= len(runes) || unicode.IsSpace(runes[i]) || strings.ContainsRune(")»\"'.,", runes[i])
}
