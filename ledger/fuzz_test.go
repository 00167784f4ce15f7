package ledger_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/licensedesk/licensedesk/ledger"
)

// FuzzParseSeed: a seed file either parses into values that satisfy the
// domain's invariants, or is refused with an error; it never panics.
func FuzzParseSeed(f *testing.F) {
	if b, err := os.ReadFile("testdata/seed.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"tenants":[{"id":"acme","users":[{"upn":"a@acme.com","licenses":["spb"]}]}]}`))
	f.Add([]byte("tenants:\n  - id: a\n    subscriptions:\n      - {id: s, sku: SPB, state: trial, term_start: 2026-01-01T00:00:00Z, quantity: 3}\n"))
	f.Add([]byte("catalog:\n  - {sku: NEW_ADDON, name: Add-on, requires_any: [SPB], monthly_price: {P1M: 2}}\n"))
	f.Add([]byte("admins: [{slack_user: U1, roles: [global, billing]}]\n"))
	cat := ledger.DefaultCatalog()
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ledger.ParseSeed(bytes.NewReader(data), cat)
		if err != nil {
			return
		}
		for _, tn := range s.Tenants {
			if !ledger.ValidTenantID(tn.ID) {
				t.Fatalf("accepted tenant id %q", tn.ID)
			}
			for _, sub := range tn.Subscriptions {
				if q := sub.Subscription.Quantity(); q < 0 || q > ledger.MaxQuantity {
					t.Fatalf("accepted quantity %d", q)
				}
				if !sub.TermEnd.After(sub.TermStart) {
					t.Fatalf("accepted a term that ends before it starts")
				}
			}
			for _, u := range tn.Users {
				if u.UPN == "" {
					t.Fatal("accepted a user without upn")
				}
			}
		}
		for _, a := range s.Admins {
			for _, r := range a.Roles {
				if !ledger.ValidRole(r) {
					t.Fatalf("accepted role %q", r)
				}
			}
		}
	})
}
