package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// ScaleOptions describe the desk `licensedesk bench scale` generates.
type ScaleOptions struct {
	Tenants  int // tenants of the desk
	Users    int // users in all, spread over the tenants
	Requests int // requests of history, spread over Days
	Days     int // simulated days the history spans
	Clients  int // concurrent submitters while the history is made
	Seed     uint64
	// Keep leaves the generated desk in the store (to run ledger check,
	// exec show… on it); otherwise it is removed at the end.
	Keep bool
	// Reuse measures a desk an earlier run kept, without making one.
	Reuse bool
	// Progress, when set, is told what the run is doing.
	Progress io.Writer
}

// ScaleReport is what a scale run measured (SPEC §8 "Growth": a desk of
// 1,000 tenants and 100,000 users answers show in under 5 ms).
type ScaleReport struct {
	Tenants, Users, Requests int
	Days                     int              `json:"days"`
	ImportS                  float64          `json:"import_s"`
	HistoryS                 float64          `json:"history_s"`
	HistoryPerSec            float64          `json:"history_requests_per_sec"`
	Refused                  int64            `json:"history_refused"` // refusals are history too (R-AUDIT)
	RedisBytesPerRequest     float64          `json:"redis_bytes_per_request"`
	RedisUsedMB              float64          `json:"redis_used_mb"`
	MaxAuditBytes            int              `json:"max_audit_bytes"`
	AuditEntries             int64            `json:"audit_entries"`
	ShowP50Ms                float64          `json:"show_p50_ms"`
	ShowP99Ms                float64          `json:"show_p99_ms"`
	ShowMaxMs                float64          `json:"show_max_ms"`
	ConflictsS               float64          `json:"conflicts_s"`
	Conflicts                int              `json:"conflicts"`
	SweepS                   float64          `json:"sweep_s"`
	SweepChanges             int              `json:"sweep_changes"`
	ExportS                  float64          `json:"export_s"` // read and encoded as JSON
	ExportMB                 float64          `json:"export_mb"`
	CheckFullS               float64          `json:"check_full_s"`       // the whole history, checkpoints written
	CheckFullHeapMB          float64          `json:"check_full_heap_mb"` // the most heap it held
	CheckFromCheckpointS     float64          `json:"check_checkpoint_s"` // again, from the checkpoints
	CheckFromCheckpointHeap  float64          `json:"check_checkpoint_heap_mb"`
	CheckProblems            int              `json:"check_problems"`
	LargestTenantUsers       int              `json:"largest_tenant_users"`
	TenantPrefix             string           `json:"tenant_prefix"`
	Kept                     bool             `json:"kept"`
	Errors                   int64            `json:"errors"`
	RequestsByKind           map[string]int64 `json:"requests_by_kind"`
}

// scaleProducts are the products the generated tenants hold.
var scaleProducts = []string{"SPB", "ENTERPRISEPACK", "EMS", "O365_BUSINESS_PREMIUM", "EXCHANGESTANDARD"}

// RunScale generates a desk (opt.Tenants tenants with opt.Users users in
// all), makes opt.Requests requests of history through Submit over
// opt.Days simulated days (the clock moves, the lifecycle sweep runs every
// 30 days), then measures show, conflicts across the desk, sweep, export
// and check, and removes the desk unless opt.Keep. The generated tenants
// are named "zz-scale-NNNN"; a desk that already has them is refused.
func RunScale(ctx context.Context, base *Ledger, opt ScaleOptions) (ScaleReport, error) {
	if opt.Tenants < 1 {
		opt.Tenants = 1000
	}
	if opt.Users < opt.Tenants {
		opt.Users = opt.Tenants
	}
	if opt.Requests < 0 {
		opt.Requests = 0
	}
	if opt.Days < 1 {
		opt.Days = 730
	}
	if opt.Clients < 1 {
		opt.Clients = 32
	}
	say := func(format string, args ...any) {
		if opt.Progress != nil {
			fmt.Fprintf(opt.Progress, format+"\n", args...)
		}
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x5ca1e))
	start := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -opt.Days)
	clock := NewManualClock(start)
	l := New(base.rdb, base.base, clock, base.log)
	if err := l.Refresh(ctx); err != nil {
		return ScaleReport{}, err
	}
	rep := ScaleReport{Tenants: opt.Tenants, Users: opt.Users, Requests: opt.Requests, Days: opt.Days,
		TenantPrefix: "zz-scale-", Kept: opt.Keep, RequestsByKind: map[string]int64{}}

	seed := &Seed{}
	if opt.Reuse {
		ids, err := l.Tenants(ctx)
		if err != nil {
			return rep, err
		}
		for _, id := range ids {
			if strings.HasPrefix(id, rep.TenantPrefix) {
				seed.Tenants = append(seed.Tenants, SeedTenant{Tenant: Tenant{ID: id}})
			}
		}
		if len(seed.Tenants) == 0 {
			return rep, wrapf("ledger: scale: no %s tenants to measure (make them with --keep)", rep.TenantPrefix)
		}
		rep.Tenants, rep.Users, rep.Requests, rep.Days, rep.Kept = len(seed.Tenants), 0, 0, 0, true
		clock.Set(time.Now().UTC())
		pipe := l.rdb.Pipeline()
		lens := make([]*redis.IntCmd, len(seed.Tenants))
		for i, st := range seed.Tenants {
			lens[i] = pipe.HLen(ctx, keysFor(st.ID).users)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return rep, wrapf("ledger: scale: %w", err)
		}
		for _, c := range lens {
			rep.Users += int(c.Val())
			rep.LargestTenantUsers = max(rep.LargestTenantUsers, int(c.Val()))
		}
	} else {
		imported, err := l.makeScaleDesk(ctx, opt, seed, &rep, clock, start, say)
		if imported && !opt.Keep {
			defer func() {
				say("removing the generated desk…")
				l.dropScale(context.WithoutCancel(ctx), seed)
			}()
		}
		if err != nil {
			return rep, err
		}
	}
	var err error
	if rep.MaxAuditBytes, err = l.maxAuditBytes(ctx, seed, 50); err != nil {
		return rep, err
	}
	for _, st := range seed.Tenants {
		n, err := l.rdb.XLen(ctx, keysFor(st.ID).audit).Result()
		if err != nil {
			return rep, wrapf("ledger: scale: %w", err)
		}
		rep.AuditEntries += n
	}

	// show, on tenants at random.
	say("show…")
	lat := make([]time.Duration, 0, 2000)
	for range 2000 {
		id := seed.Tenants[rng.IntN(len(seed.Tenants))].ID
		t0 := time.Now()
		if _, err := l.Show(ctx, id); err != nil {
			return rep, err
		}
		lat = append(lat, time.Since(t0))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	rep.ShowP50Ms, rep.ShowP99Ms = percentileMs(lat, 0.50), percentileMs(lat, 0.99)
	rep.ShowMaxMs = percentileMs(lat, 1)

	say("conflicts across the desk…")
	t0 := time.Now()
	cs, err := l.Conflicts(ctx, "")
	if err != nil {
		return rep, err
	}
	rep.ConflictsS, rep.Conflicts = round2(time.Since(t0).Seconds()), len(cs)

	say("sweep…")
	clock.Advance(24 * time.Hour)
	t0 = time.Now()
	sw, err := l.Sweep(ctx)
	if err != nil {
		return rep, err
	}
	rep.SweepS, rep.SweepChanges = round2(time.Since(t0).Seconds()), len(sw.Changes)

	say("export…")
	t0 = time.Now()
	exp, err := l.Export(ctx)
	if err != nil {
		return rep, err
	}
	var cw countingWriter
	if err := json.NewEncoder(&cw).Encode(exp); err != nil {
		return rep, err
	}
	rep.ExportS, rep.ExportMB = round2(time.Since(t0).Seconds()), round2(float64(cw)/(1<<20))

	say("check, the whole history…")
	var problems []Problem
	rep.CheckFullS, rep.CheckFullHeapMB, err = measureHeap(func() error {
		var err error
		problems, err = l.CheckWith(ctx, CheckOptions{Full: true, CheckpointEvery: 1})
		return err
	})
	if err != nil {
		return rep, err
	}
	rep.CheckProblems = len(problems)
	for i, p := range problems {
		if i < 10 {
			say("  problem: %s: %s", p.Tenant, p.What)
		}
	}
	say("check, from the checkpoints…")
	rep.CheckFromCheckpointS, rep.CheckFromCheckpointHeap, err = measureHeap(func() error {
		_, err := l.CheckWith(ctx, CheckOptions{CheckpointEvery: -1})
		return err
	})
	return rep, err
}

// makeScaleDesk imports a generated desk into seed and makes its history;
// imported says whether the desk was written (and is to be removed).
func (l *Ledger) makeScaleDesk(ctx context.Context, opt ScaleOptions, seed *Seed, rep *ScaleReport, clock *ManualClock,
	start time.Time, say func(string, ...any)) (imported bool, err error) {
	// The desk: every tenant with a few subscriptions and its share of
	// the users, most of them holding a licence. A tenant in 50 has a
	// subscription that expired long ago (a conflict for its holders).
	usersOf := make([][]string, opt.Tenants)
	for t := range opt.Tenants {
		id := fmt.Sprintf("zz-scale-%04d", t)
		st := SeedTenant{Tenant: Tenant{ID: id, Name: "Scale " + id, Language: []string{"fr", "en"}[t%2],
			Domains: []string{id + ".example"}, UsageLocation: "FR", Approval: Approval{AutoApplyMaxSeats: 10}}}
		n := opt.Users / opt.Tenants
		if t < opt.Users%opt.Tenants {
			n++
		}
		for j, sku := range scaleProducts[:2+t%3] {
			sub := Subscription{ID: fmt.Sprintf("%s-%s-1", id, strings.ToLower(sku)), SKU: sku, State: StateActive,
				Source: SourceDirect, Payment: PaymentCard, AutoRenew: j%2 == 0 || t%7 != 0, Term: []string{TermYear, TermMonth}[j%2],
				TermStart: start, StateSince: start, Seats: []SeatBatch{{Quantity: n + 5, AddedAt: start}}}
			sub.TermEnd = termEnd(start, sub.Term)
			if t%50 == 0 && j == 1 {
				sub.State, sub.AutoRenew = StateExpired, false
			}
			st.Subscriptions = append(st.Subscriptions, SeedSubscription{Subscription: sub})
		}
		for u := range n {
			upn := fmt.Sprintf("user%05d@%s.example", u, id)
			user := User{UPN: upn, Name: fmt.Sprintf("User %d", u)}
			if u%10 != 9 {
				user.Licenses = []string{st.Subscriptions[u%2].SKU}
			}
			st.Users = append(st.Users, user)
			usersOf[t] = append(usersOf[t], upn)
		}
		rep.LargestTenantUsers = max(rep.LargestTenantUsers, n)
		seed.Tenants = append(seed.Tenants, st)
	}
	say("importing %d tenants, %d users…", opt.Tenants, opt.Users)
	t0 := time.Now()
	if err := l.Import(ctx, seed, ImportOptions{KeepExisting: true, By: "bench scale"}); err != nil {
		var exists *ExistingTenantsError
		return !errors.As(err, &exists), err
	}
	rep.ImportS = round2(time.Since(t0).Seconds())

	// The history: requests of every kind, spread over the days, by
	// several clients at once; the sweep runs every 30 days.
	mem0, err := usedMemory(ctx, l)
	if err != nil {
		return true, err
	}
	say("making %d requests of history over %d days…", opt.Requests, opt.Days)
	t0 = time.Now()
	step := time.Duration(opt.Days) * 24 * time.Hour / time.Duration(max(opt.Requests, 1))
	months := max(opt.Days/30, 1)
	perMonth := opt.Requests / months
	var errs, refused atomic.Int64
	var byKind sync.Map
	done := 0
	for m := range months {
		n := perMonth
		if m == months-1 {
			n = opt.Requests - done
		}
		var next atomic.Int64
		var wg sync.WaitGroup
		for c := range opt.Clients {
			r := rand.New(rand.NewPCG(opt.Seed+uint64(m*1000+c), 7))
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= int64(n) && ctx.Err() == nil {
					clock.Advance(step)
					t := r.IntN(opt.Tenants)
					req, kind := scaleRequest(r, &seed.Tenants[t], usersOf[t])
					res, err := l.Submit(ctx, req)
					if err != nil {
						errs.Add(1)
						continue
					}
					if res.Status == StatusRefused {
						refused.Add(1)
					}
					v, _ := byKind.LoadOrStore(kind, new(atomic.Int64))
					v.(*atomic.Int64).Add(1)
				}
			}()
		}
		wg.Wait()
		done += n
		if ctx.Err() != nil {
			return true, ctx.Err()
		}
		if _, err := l.Sweep(ctx); err != nil {
			return true, err
		}
		if m%6 == 5 {
			say("  %d requests, %s simulated", done, clock.Now().Sub(start).Round(24*time.Hour))
		}
	}
	rep.HistoryS = round2(time.Since(t0).Seconds())
	rep.HistoryPerSec = round2(float64(opt.Requests) / time.Since(t0).Seconds())
	rep.Errors, rep.Refused = errs.Load(), refused.Load()
	byKind.Range(func(k, v any) bool {
		rep.RequestsByKind[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	mem1, err := usedMemory(ctx, l)
	if err != nil {
		return true, err
	}
	if opt.Requests > 0 {
		rep.RedisBytesPerRequest = round2(float64(mem1-mem0) / float64(opt.Requests))
	}
	rep.RedisUsedMB = round2(float64(mem1) / (1 << 20))

	return true, nil
}

// scaleRequest is one request of a generated history, and its kind.
func scaleRequest(r *rand.Rand, st *SeedTenant, users []string) (Request, string) {
	req := Request{Tenant: st.ID, Requester: Requester{ID: "bench", Operator: true}, Origin: Origin{Channel: ChannelCLI}}
	sub := st.Subscriptions[r.IntN(min(2, len(st.Subscriptions)))].Subscription
	upn := users[r.IntN(len(users))]
	var op Op
	kind := ""
	switch x := r.IntN(100); {
	case x < 30:
		op, kind = Op{Kind: OpAdd, SKU: sub.SKU, Quantity: 1 + r.IntN(3)}, "add"
	case x < 50:
		op, kind = Op{Kind: OpRemove, SKU: sub.SKU, Quantity: 1}, "remove"
	case x < 72:
		op, kind = Op{Kind: OpAssign, SKU: sub.SKU, Users: []string{upn}}, "assign"
	case x < 92:
		op, kind = Op{Kind: OpUnassign, SKU: sub.SKU, Users: []string{upn}}, "unassign"
	case x < 96:
		op, kind = Op{Kind: OpAssign, SKU: sub.SKU, Users: []string{fmt.Sprintf("new%06d@%s.example", r.IntN(1_000_000), st.ID)}, Create: true}, "assign --create"
	default:
		op, kind = Op{Kind: OpAutoRenew, Subscription: sub.ID, AutoRenew: r.IntN(2) == 0}, "autorenew"
	}
	req.Ops = []Op{op}
	req.Text = fmt.Sprintf("%s %s", kind, op.SKU)
	return req, kind
}

// maxAuditBytes is the largest audit record of the last n of every tenant.
func (l *Ledger) maxAuditBytes(ctx context.Context, s *Seed, n int64) (int, error) {
	most := 0
	for _, st := range s.Tenants {
		msgs, err := l.rdb.XRevRangeN(ctx, keysFor(st.ID).audit, "+", "-", n).Result()
		if err != nil {
			return 0, wrapf("ledger: scale: %w", err)
		}
		for _, m := range msgs {
			if d, ok := m.Values["data"].(string); ok && len(d) > most {
				if strings.Contains(d[:min(len(d), 40)], `"kind":"import"`) || strings.Contains(d[:min(len(d), 40)], `"kind":"checkpoint"`) {
					continue // the import and checkpoints hold states by nature
				}
				most = len(d)
			}
		}
	}
	return most, nil
}

// measureHeap runs f and returns its duration and the most heap in use
// while it ran, above what was in use before, in MiB.
func measureHeap(f func() error) (float64, float64, error) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				if ms.HeapAlloc > peak.Load() {
					peak.Store(ms.HeapAlloc)
				}
			}
		}
	}()
	t0 := time.Now()
	err := f()
	d := time.Since(t0)
	close(stop)
	wg.Wait()
	p := peak.Load()
	if p < base {
		p = base
	}
	return round2(d.Seconds()), round2(float64(p-base) / (1 << 20)), err
}

type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

// dropScale removes a generated desk.
func (l *Ledger) dropScale(ctx context.Context, s *Seed) {
	for _, t := range s.Tenants {
		k := keysFor(t.ID)
		keys := k.all()
		for _, sku := range scaleProducts {
			keys = append(keys, k.holders(sku))
		}
		// Generated requests carry no idempotency key and queue no reply:
		// these are all the keys of the tenant.
		l.rdb.Del(ctx, keys...)
		l.rdb.SRem(ctx, keyTenants, t.ID)
		for _, s := range t.Subscriptions {
			l.rdb.HDel(ctx, keySubIdx, s.ID)
		}
		l.reindex(ctx, keyDomains, t.ID, t.Domains, nil)
	}
}
