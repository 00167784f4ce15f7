package ledger

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// LoadReport is what `licensedesk bench ledger --json` prints (SPEC §6).
type LoadReport struct {
	Clients   int     `json:"clients"`
	DurationS float64 `json:"duration_s"`
	Ops       int64   `json:"ops"`
	OpsPerSec float64 `json:"ops_per_sec"`
	P50Ms     float64 `json:"p50_ms"`
	P99Ms     float64 `json:"p99_ms"`
	Errors    int64   `json:"errors"`
}

// RunLoad drives seat changes through Submit from `clients` goroutines for
// d, or until maxOps requests were made when maxOps > 0 (benchmarks), or
// until ctx ends, and reports throughput and latency. Each client works
// on a throw-away tenant of its own, so the figures measure the ledger, not
// contention on one product; the tenants are removed afterwards.
func RunLoad(ctx context.Context, l *Ledger, clients int, d time.Duration, maxOps int64) (LoadReport, error) {
	if clients < 1 {
		clients = 1
	}
	run := fmt.Sprintf("zz-bench-%d", time.Now().UnixNano()%1_000_000_000)
	seed := &Seed{}
	start := l.clock.Now().Add(-24 * time.Hour)
	for i := range clients {
		id := fmt.Sprintf("%s-%d", run, i)
		seed.Tenants = append(seed.Tenants, SeedTenant{
			Tenant: Tenant{ID: id, Name: id, Domains: []string{id + ".example"}, UsageLocation: "FR"},
			Subscriptions: []SeedSubscription{{Subscription: Subscription{
				ID: id + "-spb", SKU: "SPB", State: StateActive, Source: SourceDirect, Payment: PaymentCard,
				AutoRenew: true, Term: TermYear, TermStart: start, TermEnd: start.AddDate(1, 0, 0),
				Seats: []SeatBatch{{Quantity: 10, AddedAt: start}},
			}}},
		})
	}
	if err := l.Import(ctx, seed); err != nil {
		return LoadReport{}, err
	}
	defer l.dropTenants(context.WithoutCancel(ctx), seed)

	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var ops, errs, issued atomic.Int64
	lat := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	began := time.Now()
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tenant := seed.Tenants[i].ID
			for n := 0; ctx.Err() == nil; n++ {
				if maxOps > 0 && issued.Add(1) > maxOps {
					return
				}
				op := Op{Kind: OpAdd, SKU: "SPB", Quantity: 1}
				if n%2 == 1 {
					op.Kind = OpRemove // returns the seat just added: within the 7 days
				}
				t0 := time.Now()
				res, err := l.Submit(ctx, Request{Tenant: tenant, Requester: Requester{ID: "bench", Operator: true},
					Origin: Origin{Channel: ChannelCLI}, Ops: []Op{op}})
				if ctx.Err() != nil {
					return
				}
				lat[i] = append(lat[i], time.Since(t0))
				if err != nil || res.Status != StatusApplied {
					errs.Add(1)
					continue
				}
				ops.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(began)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	rep := LoadReport{Clients: clients, DurationS: round2(elapsed.Seconds()), Ops: ops.Load(), Errors: errs.Load()}
	rep.OpsPerSec = round2(float64(rep.Ops) / elapsed.Seconds())
	rep.P50Ms = percentileMs(all, 0.50)
	rep.P99Ms = percentileMs(all, 0.99)
	return rep, nil
}

func percentileMs(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p)
	return float64(sorted[i].Microseconds()) / 1000
}

// dropTenants removes tenants and every key they own.
func (l *Ledger) dropTenants(ctx context.Context, s *Seed) {
	for _, t := range s.Tenants {
		k := keysFor(t.ID)
		keys := append(k.all(), k.holders("SPB"))
		l.rdb.Del(ctx, keys...)
		l.rdb.SRem(ctx, keyTenants, t.ID)
		for _, s := range t.Subscriptions {
			l.rdb.HDel(ctx, keySubIdx, s.ID)
		}
		l.reindex(ctx, keyDomains, t.ID, t.Domains, nil)
	}
}
