package ledger_test

import (
	"sync"
	"testing"

	"github.com/licensedesk/licensedesk/ledger"
)

func TestNormalizeNameFoldsWhatCustomersVary(t *testing.T) {
	cases := map[string]string{
		"Business Premium":                                "business premium",
		"  BUSINESS   premium ":                           "business premium",
		"Exchange Online (Plan 1)":                        "exchange online plan 1",
		"Applications Microsoft 365 pour les entreprises": "applications microsoft 365 pour les entreprises",
		"Télécharger Outlook — Éditions":                  "telecharger outlook editions",
		"E3 + Copilot":                                    "e3 + copilot",
	}
	for in, want := range cases {
		if got := ledger.NormalizeName(in); got != want {
			t.Errorf("NormalizeName(%q) = %q, want %q", in, got, want)
		}
	}
}

// Lookups run from many requests at once; the accent folding must not share
// state between them (run with -race).
func TestCatalogLookupsAreSafeConcurrently(t *testing.T) {
	cat := ledger.DefaultCatalog()
	names := []string{"Microsoft 365 Entreprise E3", "Archivage Exchange Online", "Téléphone Teams", "Business Premium", "Visio Plan 2"}
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				n := names[(g+i)%len(names)]
				if len(cat.Lookup(n)) == 0 {
					t.Errorf("%q resolves to nothing", n)
					return
				}
			}
		}()
	}
	wg.Wait()
}
