package ledger

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// GrowthReport is what `licensedesk bench growth` prints: the cost of a
// request at the start and at the end of a long history on one
// subscription (SPEC §8 "Growth": a request's cost does not grow with the
// history of the tenant or of the subscription).
type GrowthReport struct {
	Requests int     `json:"requests"`
	StepS    float64 `json:"step_s"` // simulated time between two requests
	Window   int     `json:"window"` // requests per measured window
	Start    Phase   `json:"start"`
	End      Phase   `json:"end"`
	// EndOverStart is the end window's Redis memory per request over the
	// start window's (SPEC §8: at most 1.3).
	EndOverStart float64 `json:"end_over_start"`
	// MaxAuditBytes is the largest audit record the run wrote.
	MaxAuditBytes int `json:"max_audit_bytes"`
	// SubBytes is the stored subscription list at the end, and Batches its
	// number of seat batches.
	SubBytes int64 `json:"subscription_bytes"`
	Batches  int   `json:"batches"`
	Errors   int   `json:"errors"`
}

// Phase is one measured window of a growth run.
type Phase struct {
	From, To    int     `json:"-"`
	BytesPerReq float64 `json:"redis_bytes_per_request"`
	MeanMs      float64 `json:"mean_ms"`
	P50Ms       float64 `json:"p50_ms"`
	P99Ms       float64 `json:"p99_ms"`
}

// RunGrowth makes n one-seat additions on one subscription of a throw-away
// tenant, one after the other, with a clock that moves step between two
// requests (a negative step: the system clock, each request at its own
// instant, as a burst through `exec` would be), and measures Redis memory (INFO used_memory) and latency over
// the first and the last window of the run. The tenant is removed
// afterwards. The store should be otherwise idle: used_memory is
// server-wide.
func RunGrowth(ctx context.Context, l *Ledger, n int, step time.Duration) (GrowthReport, error) {
	if n < 20 {
		n = 20
	}
	window := max(n/10, 10)
	start := time.Now().UTC().Truncate(time.Second)
	clock := NewManualClock(start)
	var c Clock = clock
	if step < 0 {
		c, step = SystemClock{}, 0
	}
	g := New(l.rdb, l.base, c, l.log)
	if err := g.Refresh(ctx); err != nil {
		return GrowthReport{}, err
	}
	id := fmt.Sprintf("zz-growth-%d", time.Now().UnixNano()%1_000_000_000)
	seed := &Seed{Tenants: []SeedTenant{{
		Tenant: Tenant{ID: id, Name: id, Domains: []string{id + ".example"}, UsageLocation: "FR"},
		Subscriptions: []SeedSubscription{{Subscription: Subscription{
			ID: id + "-spb", SKU: "SPB", State: StateActive, Source: SourceDirect, Payment: PaymentCard,
			AutoRenew: true, Term: TermYear, TermStart: start.Add(-24 * time.Hour), TermEnd: start.AddDate(3, 0, 0),
			Seats: []SeatBatch{{Quantity: 10, AddedAt: start.Add(-24 * time.Hour)}},
		}}},
	}}}
	if err := g.Import(ctx, seed); err != nil {
		return GrowthReport{}, err
	}
	defer g.dropTenants(context.WithoutCancel(ctx), seed)

	rep := GrowthReport{Requests: n, StepS: step.Seconds(), Window: window}
	measure := func(from, to int) (Phase, error) {
		ph := Phase{From: from, To: to}
		m0, err := usedMemory(ctx, g)
		if err != nil {
			return ph, err
		}
		lat := make([]time.Duration, 0, to-from)
		for i := from; i < to; i++ {
			clock.Advance(step)
			t0 := time.Now()
			res, err := g.Submit(ctx, Request{Tenant: id, Requester: Requester{ID: "bench", Operator: true},
				Origin: Origin{Channel: ChannelCLI}, Text: "add 1 SPB " + id, Ops: []Op{{Kind: OpAdd, SKU: "SPB", Quantity: 1}}})
			lat = append(lat, time.Since(t0))
			if err != nil {
				return ph, err
			}
			if res.Status != StatusApplied {
				rep.Errors++
			}
		}
		m1, err := usedMemory(ctx, g)
		if err != nil {
			return ph, err
		}
		ph.BytesPerReq = round2(float64(m1-m0) / float64(to-from))
		var sum time.Duration
		for _, d := range lat {
			sum += d
		}
		ph.MeanMs = round2(float64(sum.Microseconds()) / float64(len(lat)) / 1000)
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		ph.P50Ms = percentileMs(lat, 0.50)
		ph.P99Ms = percentileMs(lat, 0.99)
		return ph, nil
	}
	var err error
	if rep.Start, err = measure(0, window); err != nil {
		return rep, err
	}
	// The middle of the run is not measured, only made.
	for i := window; i < n-window; i++ {
		clock.Advance(step)
		res, err := g.Submit(ctx, Request{Tenant: id, Requester: Requester{ID: "bench", Operator: true},
			Origin: Origin{Channel: ChannelCLI}, Text: "add 1 SPB " + id, Ops: []Op{{Kind: OpAdd, SKU: "SPB", Quantity: 1}}})
		if err != nil {
			return rep, err
		}
		if res.Status != StatusApplied {
			rep.Errors++
		}
	}
	if rep.End, err = measure(n-window, n); err != nil {
		return rep, err
	}
	if rep.Start.BytesPerReq > 0 {
		rep.EndOverStart = round2(rep.End.BytesPerReq / rep.Start.BytesPerReq)
	}
	k := keysFor(id)
	if rep.SubBytes, err = g.rdb.HStrLen(ctx, k.subs, "SPB").Result(); err != nil {
		return rep, wrapf("ledger: growth: %w", err)
	}
	if v, err := g.Show(ctx, id); err == nil {
		for _, p := range v.Products {
			for _, s := range p.Subscriptions {
				rep.Batches += len(s.Seats)
			}
		}
	}
	startID := "-"
	for {
		msgs, err := g.rdb.XRangeN(ctx, k.audit, startID, "+", 500).Result()
		if err != nil {
			return rep, wrapf("ledger: growth: %w", err)
		}
		for _, m := range msgs {
			if s, ok := m.Values["data"].(string); ok && len(s) > rep.MaxAuditBytes {
				rep.MaxAuditBytes = len(s)
			}
		}
		if len(msgs) < 500 {
			break
		}
		startID = "(" + msgs[len(msgs)-1].ID
	}
	return rep, nil
}

// usedMemory is the store's used_memory (INFO memory); on a cluster, the
// sum over the masters.
func usedMemory(ctx context.Context, l *Ledger) (int64, error) {
	info, err := l.rdb.Info(ctx, "memory").Result()
	if err != nil {
		return 0, wrapf("ledger: info memory: %w", err)
	}
	var total int64
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			total += n
		}
	}
	return total, nil
}
