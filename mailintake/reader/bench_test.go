package reader

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// hostile are inputs built to trip a parser into quadratic work: long runs
// of verbs, items, addresses, separators and half-formed numbers.
var hostile = map[string]string{
	"verbs":           "ajouter ",
	"verb chains":     "besoin ajouter ",
	"items":           "5 E3 ",
	"requests":        "ajouter 5 E3 ",
	"unknown":         "ajouter 5 Foo ",
	"addresses":       "a@contoso.com ",
	"assignments":     "assign E3 to a@contoso.com and ",
	"separators":      ",,,,,,,,,5",
	"grouped numbers": "1 000 ",
	"number words":    "vingt-cinq ",
	"markers":         "5 de plus ",
	"at signs":        "a@",
	"dots":            "a.",
	"list lines":      "ajouter :\n- 5 E3\n",
	"ambiguous":       "add 3 F3\n",
	"one word":        "a",
	"elisions":        "d'",
	"vendors":         "Microsoft E3 et E5 ",
}

// TestReadIsLinearOnHostileInput reads each hostile input at 8 and 64 KiB:
// linear work takes about eight times as long, quadratic work sixty-four. The
// bound leaves room for a loaded machine. The collector is off while timing
// (and run by hand between reads): its first cycles start only past a few
// megabytes, which would make the larger input look slower than it is.
func TestReadIsLinearOnHostileInput(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test")
	}
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	measure := func(body string) time.Duration {
		best := time.Hour
		for range 5 {
			runtime.GC()
			start := time.Now()
			Read("", body, testCatalog, contoso)
			best = min(best, time.Since(start))
		}
		return best
	}
	for name, unit := range hostile {
		t.Run(name, func(t *testing.T) {
			small := measure(strings.Repeat(unit, (8<<10)/len(unit)))
			large := measure(strings.Repeat(unit, (64<<10)/len(unit)))
			if large > time.Second {
				t.Errorf("64 KiB took %v", large)
			}
			// Below a few milliseconds timer noise dominates.
			if large > 3*time.Millisecond && large > 24*small {
				t.Errorf("8 KiB took %v, 64 KiB %v: not linear", small, large)
			}
		})
	}
}

// BenchmarkRead reads a typical three-line French request (SPEC §8 wants
// 2,000 messages a second per core for the whole pipeline).
func BenchmarkRead(b *testing.B) {
	subject := "RE: Licences"
	body := "Bonjour,\nMerci d'ajouter 5 licences Microsoft 365 Business Premium et de retirer 2 licences E3.\nCordialement,\nJean Dupont"
	rd := New(testCatalog)
	b.ReportAllocs()
	b.SetBytes(int64(len(subject) + len(body)))
	for b.Loop() {
		r := rd.Read(subject, body, contoso)
		if len(r.Ops) != 2 {
			b.Fatalf("ops %v issues %+v", r.Ops, r.Issues)
		}
	}
}
