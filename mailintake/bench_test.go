package mailintake_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/licensedesk/licensedesk/ledger"
	"github.com/licensedesk/licensedesk/mailintake"
)

// BenchmarkUnderstand measures the mail pipeline's reading, from raw bytes
// to request, over the whole corpus of testdata/corpus (SPEC §8: at least
// 2,000 typical customer messages per second per core).
func BenchmarkUnderstand(b *testing.B) {
	files, _ := filepath.Glob("testdata/corpus/*.eml")
	var msgs [][]byte
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		msgs = append(msgs, raw)
	}
	if len(msgs) == 0 {
		b.Fatal("no corpus")
	}
	cat := ledger.DefaultCatalog()
	domains := []string{"contoso.com", "contoso.onmicrosoft.com", "fabrikam.com"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, _ = mailintake.Understand(msgs[i%len(msgs)], cat, domains, []string{"licences@desk.example"})
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func TestUnderstandReadsARequest(t *testing.T) {
	raw := []byte("From: it@contoso.com\r\nSubject: Licences\r\n\r\nMerci d'ajouter 5 licences Office 365 E3.\r\n\r\nLe lun. 16 nov. 2026 à 10:12, Desk <d@x.com> a écrit :\r\n> Merci d'ajouter 9 licences E5.\r\n")
	u, err := mailintake.Understand(raw, ledger.DefaultCatalog(), []string{"contoso.com"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Reading.Ops) != 1 || u.Reading.Ops[0].SKU != "ENTERPRISEPACK" || u.Reading.Ops[0].Quantity != 5 {
		t.Errorf("ops %+v (the quoted request must not count)", u.Reading.Ops)
	}
	auto := []byte("From: it@contoso.com\r\nAuto-Submitted: auto-replied\r\nSubject: Absent\r\n\r\nAbsent.\r\n")
	if u, _ := mailintake.Understand(auto, ledger.DefaultCatalog(), nil, nil); !u.Automated {
		t.Error("an auto-reply should be recognised")
	}
}
