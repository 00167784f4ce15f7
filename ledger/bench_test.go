package ledger_test

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/licensedesk/licensedesk/internal/testredis"
	"github.com/licensedesk/licensedesk/ledger"
)

// BenchmarkSeatChange measures seat changes (add or remove one seat, each a
// full request: read, plan, atomic commit with audit) on a real local
// redis-server at 1 and 50 concurrent clients, next to the physical
// reference of SPEC §8 in the same run on the same server: redis-benchmark
// at the same concurrency calling, by EVALSHA, a script of one HINCRBY and
// one XADD (run before and after the ledger, averaged, since this machine
// is noisy). It reports changes/s, p50 and p99, the reference's calls/s
// and the ratio; without redis-benchmark on the machine, no reference.
func BenchmarkSeatChange(b *testing.B) {
	for _, clients := range []int{1, 50} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			srv := testredis.Start(b)
			l := ledger.New(srv.Client(b), nil, nil, nil)
			ref := func() float64 { return rawEvalsha(b, srv.Addr, clients, max(b.N, 20000)) }
			before := ref()
			b.ResetTimer()
			rep, err := ledger.RunLoad(context.Background(), l, clients, time.Hour, int64(b.N))
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if rep.Errors > 0 {
				b.Fatalf("%d requests failed", rep.Errors)
			}
			b.ReportMetric(rep.OpsPerSec, "changes/s")
			b.ReportMetric(rep.P50Ms, "p50-ms")
			b.ReportMetric(rep.P99Ms, "p99-ms")
			if before > 0 {
				raw := (before + ref()) / 2
				b.ReportMetric(raw, "evalsha/s")
				b.ReportMetric(rep.OpsPerSec/raw, "ratio")
			}
		})
	}
}

// rawEvalsha runs redis-benchmark against addr: n calls, at the given
// concurrency, of one script doing HINCRBY and XADD. It returns the calls
// per second, or 0 when redis-benchmark is not on the machine.
func rawEvalsha(b *testing.B, addr string, clients, n int) float64 {
	b.Helper()
	bin, err := exec.LookPath("redis-benchmark")
	if err != nil {
		b.Log("redis-benchmark not found (apt-get install -y redis-tools): no reference figure")
		return 0
	}
	host, port, _ := net.SplitHostPort(addr)
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	sha, err := rdb.ScriptLoad(context.Background(),
		`redis.call('HINCRBY', KEYS[1], 'n', 1) return redis.call('XADD', KEYS[2], 'MAXLEN', '~', 100000, '*', 'op', 'add')`).Result()
	if err != nil {
		b.Fatal(err)
	}
	out, err := exec.Command(bin, "-h", host, "-p", port, "-c", strconv.Itoa(clients), "-n", strconv.Itoa(n),
		"--csv", "evalsha", sha, "2", "ref:h", "ref:s").Output()
	if err != nil {
		b.Fatalf("redis-benchmark: %v", err)
	}
	// "test","rps",…: the last line holds the figures.
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	fields := strings.Split(lines[len(lines)-1], ",")
	if len(fields) < 2 {
		b.Fatalf("redis-benchmark printed %q", out)
	}
	rps, err := strconv.ParseFloat(strings.Trim(fields[1], `"`), 64)
	if err != nil {
		b.Fatalf("redis-benchmark printed %q: %v", out, err)
	}
	return rps
}

// BenchmarkAssign1000 measures one command assigning 1,000 users (SPEC §8:
// under 100 ms on local Redis), then unassigning them.
func BenchmarkAssign1000(b *testing.B) {
	rdb := testredis.New(b)
	clock := ledger.NewManualClock(testNow)
	l := ledger.New(rdb, nil, clock, nil)
	ctx := context.Background()
	op := ledger.Requester{ID: "bench", Operator: true}
	seed := &ledger.Seed{Tenants: []ledger.SeedTenant{{Tenant: ledger.Tenant{ID: "bulk", Domains: []string{"bulk.example"}, UsageLocation: "FR"},
		Subscriptions: []ledger.SeedSubscription{{Subscription: ledger.Subscription{ID: "bulk-e5", SKU: "SPE_E5", State: ledger.StateActive,
			Source: ledger.SourceDirect, Payment: ledger.PaymentCard, Term: ledger.TermYear, TermStart: testNow.Add(-time.Hour), TermEnd: testNow.AddDate(1, 0, 0),
			Seats: []ledger.SeatBatch{{Quantity: 1000, AddedAt: testNow.Add(-time.Hour)}}}}}}}}
	if err := l.Import(ctx, seed); err != nil {
		b.Fatal(err)
	}
	users := make([]string, 1000)
	for i := range users {
		users[i] = fmt.Sprintf("u%04d@bulk.example", i)
	}
	for i := 0; i < b.N; i++ {
		kind := ledger.OpAssign
		if i%2 == 1 {
			kind = ledger.OpUnassign
		}
		res, err := l.Submit(ctx, ledger.Request{Tenant: "bulk", Requester: op, Ops: []ledger.Op{{Kind: kind, SKU: "SPE_E5", Users: users, Create: true}}})
		if err != nil || res.Status != ledger.StatusApplied {
			b.Fatalf("%v %s %+v", err, res.Status, res.Errors)
		}
	}
}

// BenchmarkGrowth makes 3,000 one-seat additions on one subscription (SPEC
// §8 "Growth") and reports the Redis memory and the latency of a request
// over the first and the last 300: they must not grow with the history.
// step is the simulated time between two additions; "burst" is the system
// clock, every addition inside the 7-day window.
func BenchmarkGrowth(b *testing.B) {
	for _, c := range []struct {
		name string
		step time.Duration
	}{{"step=1h", time.Hour}, {"step=10m", 10 * time.Minute}, {"burst", -1}} {
		b.Run(c.name, func(b *testing.B) {
			rdb := testredis.New(b)
			l := ledger.New(rdb, nil, nil, nil)
			for b.Loop() {
				rep, err := ledger.RunGrowth(context.Background(), l, 3000, c.step)
				if err != nil {
					b.Fatal(err)
				}
				if rep.Errors > 0 {
					b.Fatalf("%d requests failed", rep.Errors)
				}
				b.ReportMetric(rep.Start.BytesPerReq, "start-B/req")
				b.ReportMetric(rep.End.BytesPerReq, "end-B/req")
				b.ReportMetric(rep.EndOverStart, "end/start")
				b.ReportMetric(rep.Start.MeanMs, "start-ms")
				b.ReportMetric(rep.End.MeanMs, "end-ms")
				b.ReportMetric(float64(rep.MaxAuditBytes), "max-audit-B")
				b.ReportMetric(float64(rep.Batches), "batches")
			}
		})
	}
}

// BenchmarkCheck replays the whole history of a generated desk (100
// tenants, 10,000 users, 20,000 requests), then again from checkpoints.
func BenchmarkCheck(b *testing.B) {
	rdb := testredis.New(b)
	l := ledger.New(rdb, nil, nil, nil)
	ctx := context.Background()
	if _, err := ledger.RunScale(ctx, l, ledger.ScaleOptions{Tenants: 100, Users: 10000, Requests: 20000, Days: 365, Keep: true}); err != nil {
		b.Fatal(err)
	}
	for _, full := range []bool{true, false} {
		b.Run(fmt.Sprintf("full=%v", full), func(b *testing.B) {
			for b.Loop() {
				problems, err := l.CheckWith(ctx, ledger.CheckOptions{Full: full, CheckpointEvery: -1})
				if err != nil || len(problems) > 0 {
					b.Fatal(err, problems)
				}
			}
		})
	}
}
