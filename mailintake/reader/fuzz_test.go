package reader

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/licensedesk/licensedesk/ledger"
)

// FuzzRead feeds arbitrary subjects and bodies to the reader and checks what
// a caller relies on: every op is well formed, every issue has a code, and
// nothing panics. Seeds: testdata/fuzz/FuzzRead.
func FuzzRead(f *testing.F) {
	f.Add("Ajout de licences", "Merci d'ajouter 5 licences E3 et de retirer 2 E1.")
	f.Add("", "assign E3 to alice@contoso.com and bob@fabrikam.com")
	answering := contoso
	answering.Context = &Context{
		Understood: []ledger.Op{{Kind: ledger.OpAdd, SKU: "STANDARDPACK", Quantity: 2}},
		Missing: []ledger.Error{
			{Code: ledger.AmbiguousProduct, Candidates: []string{"ENTERPRISEPACK", "SPE_E3"}, Partial: &ledger.Op{Kind: ledger.OpAdd, Quantity: 3}},
			{Code: ledger.QuantityMissing, Partial: &ledger.Op{Kind: ledger.OpSet, SKU: "SPB"}},
			{Code: ledger.InvalidRequest, Partial: &ledger.Op{Kind: ledger.OpAssign, SKU: "ENTERPRISEPACK"}},
			{Code: ledger.UnknownProduct, Partial: &ledger.Op{Kind: ledger.OpSwitch, To: "SPB", Users: []string{"alice@contoso.com"}}},
		},
	}
	f.Add("", "Il en faudrait trois, non pardon, quatre, comme pour le reste (nous avons 25 licences).")
	f.Add("", "3. Thanks – let's go with 5 for now, 2 of each, same as last time, probably P2.")
	refused := contoso
	refused.Context = &Context{Understood: []ledger.Op{{Kind: ledger.OpAdd, SKU: "STANDARDPACK", Quantity: 50}},
		Missing: []ledger.Error{{Code: ledger.InsufficientCredit}}, Refused: true}
	f.Fuzz(func(t *testing.T, subject, body string) {
		// A new message, and the same text as an answer in a conversation
		// (SPEC §4.6): the same promises hold for both.
		checkReading(t, Read(subject, body, testCatalog, contoso))
		checkReading(t, Read("", body, testCatalog, answering))
		checkReading(t, Read("", body, testCatalog, refused))
		if answering.Context.Missing[0].Partial.SKU != "" {
			t.Fatal("reading an answer changed the context")
		}
	})
}

// checkReading checks what a caller relies on in a reading.
func checkReading(t *testing.T, r Reading) {
	t.Helper()
	{
		if r.Language != "fr" && r.Language != "en" {
			t.Fatalf("language %q", r.Language)
		}
		if len(r.Understood) != len(r.Ops) {
			t.Fatalf("%d understood lines for %d ops", len(r.Understood), len(r.Ops))
		}
		if len(r.Ops) > ledger.MaxOpsPerReq {
			t.Fatalf("%d ops", len(r.Ops))
		}
		if len(r.Ops) == 0 && len(r.Issues) == 0 && len(r.Asks) == 0 {
			t.Fatal("neither an op, an issue nor a question")
		}
		if len(r.Asks) > ledger.MaxOpsPerReq {
			t.Fatalf("%d asks", len(r.Asks))
		}
		for _, a := range r.Asks {
			if a.Unused == (a.SKU != "") || a.More < 0 || a.More > ledger.MaxQuantity {
				t.Fatalf("ask %+v", a)
			}
			if _, ok := testCatalog.Get(a.SKU); a.SKU != "" && !ok {
				t.Fatalf("ask %+v: not a catalog SKU", a)
			}
		}
		for _, u := range r.Understood {
			if !utf8.ValidString(u) {
				t.Fatalf("understood %q", u)
			}
		}
		for _, op := range r.Ops {
			p, ok := testCatalog.Get(op.SKU)
			if !ok || p.SKU != op.SKU {
				t.Fatalf("op %+v: not a catalog SKU", op)
			}
			switch op.Kind {
			case ledger.OpAdd, ledger.OpRemove:
				if op.Quantity < 1 || op.Quantity > ledger.MaxQuantity || len(op.Users) != 0 {
					t.Fatalf("op %+v", op)
				}
			case ledger.OpSet:
				if op.Quantity < 0 || op.Quantity > ledger.MaxQuantity || len(op.Users) != 0 {
					t.Fatalf("op %+v", op)
				}
			case ledger.OpAssign, ledger.OpUnassign, ledger.OpSwitch:
				if op.Kind == ledger.OpSwitch {
					to, ok := testCatalog.Get(op.To)
					if !ok || to.SKU != op.To || op.To == op.SKU || op.All == (len(op.Users) > 0) {
						t.Fatalf("switch %+v", op)
					}
				} else if len(op.Users) == 0 {
					t.Fatalf("op %+v", op)
				}
				if len(op.Users) > ledger.MaxUsersPerOp || op.Quantity != 0 {
					t.Fatalf("op %+v", op)
				}
				for _, u := range op.Users {
					at := strings.LastIndexByte(u, '@')
					if u != strings.ToLower(u) || !validAddress(u) ||
						(u[at+1:] != "contoso.com" && u[at+1:] != "contoso.onmicrosoft.com") {
						t.Fatalf("op %+v: user %q", op, u)
					}
				}
			default:
				t.Fatalf("op %+v: unexpected kind", op)
			}
		}
		if len(r.Issues) > maxIssues {
			t.Fatalf("%d issues", len(r.Issues))
		}
		for _, is := range r.Issues {
			if is.Code == "" || is.Detail == "" {
				t.Fatalf("issue %+v", is)
			}
			if utf8.RuneCountInString(is.Text) > maxText || !utf8.ValidString(is.Text) || !utf8.ValidString(is.Detail) {
				t.Fatalf("issue %+v: text or detail too long or not UTF-8", is)
			}
			if (is.Code == ledger.AmbiguousProduct) != (len(is.Candidates) > 1) {
				t.Fatalf("issue %+v: candidates", is)
			}
			if p := is.Partial; p != nil {
				if _, ok := testCatalog.Get(p.SKU); p.SKU != "" && !ok || len(p.Users) > ledger.MaxUsersPerOp {
					t.Fatalf("issue %+v: partial %+v", is, *p)
				}
			}
		}
	}
}
