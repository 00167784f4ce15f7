package reader

import (
	"fmt"
	"strings"
	"testing"

	"github.com/licensedesk/licensedesk/ledger"
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

// TestReadHandlesHostileInput reads each hostile input at 64 KiB: the read
// ends, asks at most the bounded number of questions, and applies nothing
// it could not account for. How the time grows with the input is measured
// by BenchmarkReadHostile (8 and 64 KiB), not asserted here: tests assert
// behaviour, benchmarks speed.
func TestReadHandlesHostileInput(t *testing.T) {
	for name, unit := range hostile {
		t.Run(name, func(t *testing.T) {
			r := Read("", strings.Repeat(unit, (64<<10)/len(unit)), testCatalog, contoso)
			if len(r.Issues) > maxIssues+1 || len(r.Ops) > ledger.MaxOpsPerReq {
				t.Errorf("%d ops, %d issues", len(r.Ops), len(r.Issues))
			}
		})
	}
}

// BenchmarkReadHostile reads each hostile input at 8 and 64 KiB: linear work
// takes about eight times as long for the larger one.
func BenchmarkReadHostile(b *testing.B) {
	for name, unit := range hostile {
		for _, size := range []int{8 << 10, 64 << 10} {
			body := strings.Repeat(unit, size/len(unit))
			b.Run(fmt.Sprintf("%s/%dKiB", name, size>>10), func(b *testing.B) {
				b.SetBytes(int64(len(body)))
				for b.Loop() {
					Read("", body, testCatalog, contoso)
				}
			})
		}
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
