package numwords

import (
	"strings"
	"testing"
)

func TestParseReadsNumbers(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		// French.
		{"zéro", 0}, {"zero", 0}, {"ZÉRO", 0}, {"ze\u0301ro", 0},
		{"un", 1}, {"une", 1}, {"cinq", 5}, {"dix", 10}, {"seize", 16},
		{"dix-sept", 17}, {"dix sept", 17}, {"dix-neuf", 19},
		{"vingt", 20}, {"vingt-cinq", 25}, {"Vingt-Cinq", 25}, {"vingt cinq", 25},
		{"vingt et un", 21}, {"vingt-et-un", 21}, {"trente et une", 31}, {"soixante et un", 61},
		{"soixante-dix", 70}, {"soixante et onze", 71}, {"soixante-douze", 72}, {"soixante-dix-sept", 77},
		{"quatre-vingts", 80}, {"quatre-vingt", 80}, {"quatre-vingt-un", 81}, {"quatre-vingt-neuf", 89},
		{"quatre-vingt-dix", 90}, {"quatre-vingt-onze", 91}, {"quatre-vingt-dix-neuf", 99},
		{"quatre vingt dix neuf", 99},
		{"septante", 70}, {"septante-cinq", 75}, {"septante et un", 71}, {"huitante", 80}, {"octante-deux", 82},
		{"nonante", 90}, {"nonante-neuf", 99},
		{"cent", 100}, {"cent un", 101}, {"cent-cinq", 105}, {"deux cents", 200}, {"deux cent cinq", 205},
		{"deux-cent-cinq", 205}, {"neuf cent quatre-vingt-dix-neuf", 999},
		{"mille", 1000}, {"mille et un", 1001}, {"mille et une", 1001}, {"mille deux cent cinquante", 1250},
		{"deux mille", 2000}, {"vingt et un mille", 21000}, {"quatre-vingts mille", 80000},
		{"quatre-vingt-dix-neuf mille neuf cent quatre-vingt-dix-neuf", 99999},
		{"cent mille", 100000}, {"cent-mille", 100000},
		// English.
		{"one", 1}, {"five", 5}, {"six", 6}, {"ten", 10}, {"nineteen", 19}, {"twenty", 20},
		{"twenty-one", 21}, {"twenty one", 21}, {"Twenty-One", 21}, {"ninety-nine", 99},
		{"hundred", 100}, {"a hundred", 100}, {"one hundred", 100}, {"a hundred and five", 105},
		{"a hundred five", 105}, {"two hundred and twenty-five", 225}, {"nine hundred ninety nine", 999},
		{"thousand", 1000}, {"a thousand", 1000}, {"one thousand", 1000}, {"two thousand and ten", 2010},
		{"two thousand five hundred", 2500}, {"twenty-five thousand", 25000},
		{"a hundred thousand", 100000}, {"ninety-nine thousand nine hundred and ninety-nine", 99999},
		// Hyphens of word processors.
		{"vingt\u2010cinq", 25}, {"twenty\u2011one", 21},
	}
	for _, tt := range tests {
		got, ok := Parse(tt.in)
		if !ok || got != tt.want {
			t.Errorf("Parse(%q) = %d, %v; want %d", tt.in, got, ok, tt.want)
		}
	}
}

func TestParseRefusesWhatIsNotOneNumber(t *testing.T) {
	for _, in := range []string{
		"", " ", "a", "an", "et", "and", "E3", "5", "cinq5", "fivee",
		"cents", "vingts", "vingts-cinq", // plurals need their multiplier
		"twenty-cinq", "vingt-five", "a cent", // one language per number
		"cinq vingt", "vingt vingt", "hundred hundred", "eleven hundred", "five five",
		"vingt-", "-vingt", "vingt--cinq", "vingt–cinq", // an en dash is a range
		"vingt et", "vingt et deux", "trente et onze", "twenty and one", "cent et un",
		"quatre-vingt et un", "dix-six", "ten-seven", "two thousand and",
		"zéro un", "un zéro", "mille mille", "thousand thousand",
		"cent mille un", "deux cent mille", "one hundred and twenty-five thousand", // over Max
		"moins cinq", "cinq licences",
		strings.Repeat("un ", 20),
	} {
		if n, ok := Parse(in); ok {
			t.Errorf("Parse(%q) = %d, want no number", in, n)
		}
	}
}

func TestPrefixReadsTheLongestNumber(t *testing.T) {
	tests := []struct {
		words []string
		n     int
		used  int
		ok    bool
	}{
		{[]string{"vingt", "et", "un", "E3", "contoso"}, 21, 3, true},
		{[]string{"vingt-cinq", "E1", "fabrikam"}, 25, 1, true},
		{[]string{"twenty", "one", "E3"}, 21, 2, true},
		{[]string{"a", "hundred", "and", "five", "SPB"}, 105, 4, true},
		{[]string{"five", "and", "E3"}, 5, 1, true}, // a dangling joiner is not part of it
		{[]string{"deux", "cent", "mille", "E3"}, 200, 2, true},
		{[]string{"a", "E3"}, 0, 0, false},
		{[]string{"E3", "five"}, 0, 0, false},
		{nil, 0, 0, false},
	}
	for _, tt := range tests {
		n, used, ok := Prefix(tt.words)
		if n != tt.n || used != tt.used || ok != tt.ok {
			t.Errorf("Prefix(%q) = %d, %d, %v; want %d, %d, %v", tt.words, n, used, ok, tt.n, tt.used, tt.ok)
		}
	}
}

func TestIsWordTellsAMalformedNumberFromAWord(t *testing.T) {
	for w, want := range map[string]bool{
		"five": true, "vingt-onze": true, "deux-cent-mille": true, "cents": true, "Vingt": true,
		"a": false, "et": false, "and": false, "E3": false, "cinq5": false, "": false, "vingt--un": false,
	} {
		if got := IsWord(w); got != want {
			t.Errorf("IsWord(%q) = %v, want %v", w, got, want)
		}
	}
}

// TestEveryNumberReadsBackInBothLanguages spells every number from 0 to Max
// in French and in English, in the usual and in other common ways, and
// reads it back.
func TestEveryNumberReadsBackInBothLanguages(t *testing.T) {
	for n := 0; n <= Max; n++ {
		for _, s := range spellings(n) {
			if got, ok := Parse(s); !ok || got != n {
				t.Fatalf("Parse(%q) = %d, %v; want %d", s, got, ok, n)
			}
		}
	}
}

// FuzzParse: no input makes Parse or Prefix panic; what they read is within
// 0..Max, ignores case, and agrees between the two; and every number's
// spellings read back.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"vingt-cinq", "quatre-vingt-dix-neuf mille", "a hundred and five", "zéro", "mille et une", "twenty-cinq", "cents"} {
		f.Add(s, 0)
	}
	f.Add("", 71)
	f.Add("", 99999)
	f.Fuzz(func(t *testing.T, s string, k int) {
		n, ok := Parse(s)
		if ok {
			if n < 0 || n > Max {
				t.Fatalf("Parse(%q) = %d, out of range", s, n)
			}
			if m, ok2 := Parse(strings.ToUpper(s)); !ok2 || m != n {
				t.Fatalf("Parse(%q) = %d but upper case gives %d, %v", s, n, m, ok2)
			}
			words := strings.Fields(s)
			if m, used, ok2 := Prefix(words); !ok2 || m != n || used != len(words) {
				t.Fatalf("Parse(%q) = %d but Prefix = %d, %d words, %v", s, n, m, used, ok2)
			}
		}
		if m, used, ok2 := Prefix(strings.Fields(s)); ok2 {
			if m < 0 || m > Max || used < 1 {
				t.Fatalf("Prefix(%q) = %d, %d", s, m, used)
			}
		}
		k = min(max(k, -k, 0), Max) // max(k, -k) is |k| but for the smallest int
		for _, sp := range spellings(k) {
			if got, ok := Parse(sp); !ok || got != k {
				t.Fatalf("Parse(%q) = %d, %v; want %d", sp, got, ok, k)
			}
		}
	})
}

// spellings returns n written out: French (traditional and 1990 spelling)
// and English (with and without "and", "a hundred", spaces for hyphens).
func spellings(n int) []string {
	en := spellEN(n, true)
	return []string{
		spellFR(n, false), spellFR(n, true), en, spellEN(n, false),
		strings.ReplaceAll(en, "-", " "),
	}
}

var (
	frUnits = []string{"zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix",
		"onze", "douze", "treize", "quatorze", "quinze", "seize", "dix-sept", "dix-huit", "dix-neuf"}
	frTens  = []string{"", "", "vingt", "trente", "quarante", "cinquante", "soixante"}
	enUnits = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
		"eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"}
	enTens = []string{"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}
)

// spellFR writes n in French; reform joins every word with hyphens.
func spellFR(n int, reform bool) string {
	sep := " "
	if reform {
		sep = "-"
	}
	if n == 0 {
		return "zéro"
	}
	var parts []string
	if th := n / 1000; th > 0 {
		if th > 1 {
			parts = append(parts, frBelow1000(th, sep, false))
		}
		parts = append(parts, "mille")
	}
	if r := n % 1000; r > 0 {
		parts = append(parts, frBelow1000(r, sep, true))
	}
	return strings.Join(parts, sep)
}

// frBelow1000 writes 1..999; final says whether the plural "cents" and
// "quatre-vingts" apply (not before "mille").
func frBelow1000(n int, sep string, final bool) string {
	var parts []string
	if h := n / 100; h > 0 {
		switch {
		case h == 1:
			parts = append(parts, "cent")
		case n%100 == 0 && final:
			parts = append(parts, frUnits[h], "cents")
		default:
			parts = append(parts, frUnits[h], "cent")
		}
	}
	if r := n % 100; r > 0 {
		parts = append(parts, frBelow100(r, sep, final))
	}
	return strings.Join(parts, sep)
}

func frBelow100(n int, sep string, final bool) string {
	switch {
	case n < 20:
		return frUnits[n]
	case n == 71:
		return "soixante" + sep + "et" + sep + "onze"
	case n < 80 && n >= 70:
		return "soixante-" + frUnits[n-60]
	case n == 80 && final:
		return "quatre-vingts"
	case n >= 80:
		if n == 80 {
			return "quatre-vingt"
		}
		return "quatre-vingt-" + frUnits[n-80]
	case n%10 == 0:
		return frTens[n/10]
	case n%10 == 1:
		return frTens[n/10] + sep + "et" + sep + "un"
	}
	return frTens[n/10] + "-" + frUnits[n%10]
}

// spellEN writes n in English; british adds "and" and says "a hundred".
func spellEN(n int, british bool) string {
	if n == 0 {
		return "zero"
	}
	var parts []string
	if th := n / 1000; th > 0 {
		parts = append(parts, enBelow1000(th, british), "thousand")
		if r := n % 1000; r > 0 && r < 100 && british {
			parts = append(parts, "and")
		}
	}
	if r := n % 1000; r > 0 {
		parts = append(parts, enBelow1000(r, british))
	}
	return strings.Join(parts, " ")
}

func enBelow1000(n int, british bool) string {
	var parts []string
	if h := n / 100; h > 0 {
		if h == 1 && british {
			parts = append(parts, "a", "hundred")
		} else {
			parts = append(parts, enUnits[h], "hundred")
		}
		if n%100 > 0 && british {
			parts = append(parts, "and")
		}
	}
	if r := n % 100; r > 0 {
		switch {
		case r < 20:
			parts = append(parts, enUnits[r])
		case r%10 == 0:
			parts = append(parts, enTens[r/10])
		default:
			parts = append(parts, enTens[r/10]+"-"+enUnits[r%10])
		}
	}
	return strings.Join(parts, " ")
}
