package ledger_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/licensedesk/licensedesk/internal/testredis"
	"github.com/licensedesk/licensedesk/ledger"
	"github.com/redis/go-redis/v9"
)

// exerciseStore runs every kind of store access the ledger makes: import,
// the commit script, idempotency, undo, the admin script, the index
// script, the sweep, history, check and export.
func exerciseStore(t *testing.T, rdb redis.UniversalClient) {
	t.Helper()
	ctx := context.Background()
	l, clock, _ := seeded(t, rdb)
	res := submit(t, l, operator, "contoso", add(2, "SPB"), assign("ENTERPRISEPACK", "dave@contoso.com"))
	if res.Status != ledger.StatusApplied {
		t.Fatalf("submit: %+v", res)
	}
	if r := submit(t, l, operator, "contoso", remove(30, "SPB")); r.Status != ledger.StatusRefused {
		t.Errorf("refusal: %s", r.Status)
	}
	req := ledger.Request{Tenant: "contoso", Requester: operator, IdempotencyKey: "k", Ops: []ledger.Op{add(1, "SPB")}}
	if _, err := l.Submit(ctx, req); err != nil {
		t.Fatal(err)
	}
	if dup, _ := l.Submit(ctx, req); dup.Status != ledger.StatusDuplicate {
		t.Errorf("duplicate: %s", dup.Status)
	}
	if u, err := l.Undo(ctx, res.RequestID, operator, ledger.Origin{}, false); err != nil || u.Status != ledger.StatusApplied {
		t.Errorf("undo: %+v %v", u, err)
	}
	if _, code, err := l.SetRole(ctx, operator, "U0NEW", ledger.RoleLicense, true); err != nil || code != "" {
		t.Errorf("grant: %s %v", code, err)
	}
	if ts, err := l.DomainTenants(ctx, "contoso.com"); err != nil || len(ts) != 1 {
		t.Errorf("domain index: %v %v", ts, err)
	}
	if ts, err := l.ContactTenants(ctx, "IT@contoso.com"); err != nil || len(ts) != 1 || ts[0] != "contoso" {
		t.Errorf("contact index: %v %v", ts, err)
	}
	clock.Advance(60 * 24 * time.Hour)
	if rep, err := l.Sweep(ctx); err != nil || len(rep.Changes) == 0 {
		t.Errorf("sweep: %+v %v", rep, err)
	}
	if h, err := l.History(ctx, "contoso", 3); err != nil || len(h) != 3 {
		t.Errorf("history: %d %v", len(h), err)
	}
	if _, err := l.Export(ctx); err != nil {
		t.Errorf("export: %v", err)
	}
	mustCheck(t, l)
}

func TestTheEmbeddedStoreRunsTheSameScripts(t *testing.T) {
	exerciseStore(t, testredis.Mini(t))
}

func TestWorksOnRedisCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starting a cluster takes a few seconds")
	}
	// Every request stays in its tenant's slot: a CROSSSLOT error would fail here.
	exerciseStore(t, testredis.StartCluster(t, 3))
}

// Group commit on a cluster: commits of tenants in different slots go out
// in one pipeline, one call per slot, each keeping its own outcome.
func TestConcurrentCommitsOnRedisCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starting a cluster takes a few seconds")
	}
	l, _, _ := seeded(t, testredis.StartCluster(t, 3))
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tenant, sku := "contoso", "SPB"
			if w%2 == 1 {
				tenant, sku = "fabrikam", "STANDARDPACK"
			}
			for i := range 10 {
				op := add(1, sku)
				if i%2 == 1 {
					op = remove(1, sku)
				}
				res, err := l.Submit(ctx, ledger.Request{Tenant: tenant, Requester: operator, Ops: []ledger.Op{op}})
				if err != nil || res.Status != ledger.StatusApplied {
					t.Errorf("%s: %v %+v", tenant, err, res.Errors)
				}
			}
		}()
	}
	wg.Wait()
	if f := figures(t, l, "contoso", "SPB"); f.Total != 13 {
		t.Errorf("contoso SPB %+v", f)
	}
	if f := figures(t, l, "fabrikam", "STANDARDPACK"); f.Total != 10 {
		t.Errorf("fabrikam STANDARDPACK %+v", f)
	}
	mustCheck(t, l)
}
