package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"time"

	"github.com/licensedesk/licensedesk/ledger"
)

// benchGrowth measures what a request costs at the start and at the end of
// a long history on one subscription (SPEC §8 "Growth").
func (e *env) benchGrowth(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("bench growth", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	n := fs.Int("requests", 3000, "one-seat additions on one subscription")
	step := fs.Duration("step", time.Hour, "simulated time between two additions (0: all at one instant)")
	real := fs.Bool("real-clock", false, "use the system clock (a burst: every addition at its own instant, all within the 7-day window)")
	asJSON := fs.Bool("json", false, "JSON output")
	cfgPath := fs.String("config", "", "configuration file")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *n < 20 || *n > 1_000_000 || *step < 0 {
		fmt.Fprintln(e.stderr, "licensedesk bench growth: --requests must be 20..1000000 and --step not negative")
		return exitUsage
	}
	_, l, closer, code := e.configuredLedger(ctx, *cfgPath)
	if closer == nil {
		return code
	}
	defer closer()
	if *real {
		*step = -1
	}
	rep, err := ledger.RunGrowth(ctx, l, *n, *step)
	if err != nil {
		return e.fail(err)
	}
	if *asJSON {
		json.NewEncoder(e.stdout).Encode(rep)
		return exitOK
	}
	apart := (*step).String() + " apart"
	if *real {
		apart = "as fast as they go, on the system clock"
	}
	fmt.Fprintf(e.stdout, "%d one-seat additions on one subscription, %s (windows of %d requests):\n", rep.Requests, apart, rep.Window)
	fmt.Fprintf(e.stdout, "  start: %7.0f bytes of Redis memory per request, mean %.3f ms, p50 %.3f ms, p99 %.3f ms\n",
		rep.Start.BytesPerReq, rep.Start.MeanMs, rep.Start.P50Ms, rep.Start.P99Ms)
	fmt.Fprintf(e.stdout, "  end:   %7.0f bytes of Redis memory per request, mean %.3f ms, p50 %.3f ms, p99 %.3f ms\n",
		rep.End.BytesPerReq, rep.End.MeanMs, rep.End.P50Ms, rep.End.P99Ms)
	fmt.Fprintf(e.stdout, "  end/start memory %.2f; largest audit record %d bytes; the subscription holds %d seat batches in %d bytes; %d errors\n",
		rep.EndOverStart, rep.MaxAuditBytes, rep.Batches, rep.SubBytes, rep.Errors)
	return exitOK
}
