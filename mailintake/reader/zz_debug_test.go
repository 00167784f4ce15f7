package reader

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/licensedesk/licensedesk/ledger"
)

func TestZZDebug(t *testing.T) {
	data, err := os.ReadFile("/tmp/rdbg/in.txt")
	if err != nil {
		t.Skip()
	}
	cat := ledger.DefaultCatalog()
	for _, block := range strings.Split(string(data), "\n===\n") {
		subj, body, _ := strings.Cut(block, "\n---\n")
		r := Read(subj, body, cat, Options{Domains: []string{"contoso.com"}})
		fmt.Printf("### %q | %q\n  lang=%s\n", subj, body, r.Language)
		for i, op := range r.Ops {
			fmt.Printf("  OP %s %s %d %v  [%s]\n", op.Kind, op.SKU, op.Quantity, op.Users, r.Understood[i])
		}
		for _, is := range r.Issues {
			fmt.Printf("  ISSUE %s %q %v (%s)\n", is.Code, is.Detail, is.Candidates, is.Text)
		}
	}
}
