package ledger_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/licensedesk/licensedesk/ledger"
)

// Two processes on one store each keep a cache of what they wrote; every
// change of the other must still be seen (the commit's version check).
func TestTwoProcessesSeeEachOthersChanges(t *testing.T) {
	a, clock, rdb := setup(t)
	b := ledger.New(rdb, nil, clock, nil)
	want := 13
	for i := 0; i < 20; i++ {
		l := a
		if i%3 == 0 {
			l = b
		}
		res := submit(t, l, operator, "contoso", add(1, "SPB"))
		want++
		if res.Status != ledger.StatusApplied || res.Ops[0].After.Total != want || res.Ops[0].Before.Total != want-1 {
			t.Fatalf("step %d: %s %+v → %+v, want %d", i, res.Status, res.Ops[0].Before, res.Ops[0].After, want)
		}
	}
	// b returns seats a bought: it must know they exist.
	res := submit(t, b, operator, "contoso", remove(20, "SPB"))
	if res.Status != ledger.StatusApplied || res.Ops[0].After.Total != 13 {
		t.Fatalf("remove via the other process: %+v", res)
	}
	mustCheck(t, a)
}

func TestAWarmCacheSeesAnImportedTenantRecord(t *testing.T) {
	l, _, _ := setup(t)
	ctx := context.Background()
	// Warm the cache for fabrikam, then give it a tiny credit limit behind
	// the cache's back (another process importing).
	if r := submit(t, l, operator, "fabrikam", add(1, "STANDARDPACK")); r.Status != ledger.StatusApplied {
		t.Fatal(r.Status)
	}
	other := ledger.New(ledger.RedisOf(l), nil, l.Clock(), nil)
	seed, err := ledger.ParseSeed(strings.NewReader(`tenants:
  - id: fabrikam
    name: Fabrikam
    domains: [fabrikam.com]
    credit_limit: 10
    subscriptions:
      - {id: fabrikam-e1-1, sku: STANDARDPACK, state: active, payment: invoice, auto_renew: true, term: P1Y, term_start: 2026-06-01T00:00:00Z, quantity: 1}
`), other.Catalog())
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Import(ctx, seed); err != nil {
		t.Fatal(err)
	}
	res := submit(t, l, operator, "fabrikam", add(5, "STANDARDPACK"))
	if res.Status != ledger.StatusRefused || res.Errors[0].Code != ledger.InsufficientCredit {
		t.Errorf("the new credit limit was not seen: %+v", res)
	}
	mustCheck(t, l)
}

func TestAWarmCacheSeesTheSweep(t *testing.T) {
	l, clock, _ := setup(t)
	ctx := context.Background()
	submit(t, l, operator, "contoso", add(1, "SPE_E3")) // warm; SPE_E3 does not auto-renew
	clock.Set(time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC))
	sweeper := ledger.New(ledger.RedisOf(l), nil, clock, nil)
	if _, err := sweeper.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	res := submit(t, l, operator, "contoso", add(1, "SPE_E3"))
	if res.Status != ledger.StatusRefused || res.Errors[0].Code != ledger.SubscriptionInactive {
		t.Errorf("the expiry was not seen: %+v", res)
	}
	mustCheck(t, l)
}
