package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"time"

	"github.com/licensedesk/licensedesk/ledger"
	"github.com/licensedesk/licensedesk/mailintake"
)

const benchUsage = `Usage: licensedesk bench ledger [--clients N] [--duration D] [--json]
       licensedesk bench growth [--requests N] [--step D] [--json]
       licensedesk bench scale [--tenants N] [--users N] [--requests N] [--keep] [--json]
       licensedesk bench mail [--duration D] [--json]
       licensedesk bench slack [--clients N] [--rounds R] [--json]`

func (e *env) bench(ctx context.Context, args []string) int {
	if len(args) > 0 && args[0] == "mail" {
		return e.benchMail(ctx, args[1:])
	}
	if len(args) > 0 && args[0] == "slack" {
		return e.benchSlack(ctx, args[1:])
	}
	if len(args) > 0 && args[0] == "growth" {
		return e.benchGrowth(ctx, args[1:])
	}
	if len(args) > 0 && args[0] == "scale" {
		return e.benchScale(ctx, args[1:])
	}
	if len(args) == 0 || args[0] != "ledger" {
		fmt.Fprintln(e.stderr, benchUsage)
		return exitUsage
	}
	fs := flag.NewFlagSet("bench ledger", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	clients := fs.Int("clients", 50, "concurrent clients")
	dur := fs.Duration("duration", 10*time.Second, "how long to run")
	asJSON := fs.Bool("json", false, `print {"clients","duration_s","ops","ops_per_sec","p50_ms","p99_ms","errors"}`)
	cfgPath := fs.String("config", "", "configuration file")
	if err := fs.Parse(args[1:]); err != nil {
		return exitUsage
	}
	if *clients < 1 || *clients > 10000 || *dur <= 0 || *dur > time.Hour {
		fmt.Fprintln(e.stderr, "licensedesk bench ledger: --clients must be 1..10000 and --duration up to 1h")
		return exitUsage
	}
	_, l, closer, code := e.configuredLedger(ctx, *cfgPath)
	if closer == nil {
		return code
	}
	defer closer()
	rep, err := ledger.RunLoad(ctx, l, *clients, *dur, 0)
	if err != nil {
		return e.fail(err)
	}
	if *asJSON {
		json.NewEncoder(e.stdout).Encode(rep)
		return exitOK
	}
	fmt.Fprintf(e.stdout, "%d clients, %.1fs: %d seat changes, %.0f/s, p50 %.2f ms, p99 %.2f ms, %d errors\n",
		rep.Clients, rep.DurationS, rep.Ops, rep.OpsPerSec, rep.P50Ms, rep.P99Ms, rep.Errors)
	return exitOK
}

// benchMail measures mail understanding, raw bytes to request, on one
// goroutine (per core) over the demo's sample mails (SPEC §8).
func (e *env) benchMail(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("bench mail", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	dur := fs.Duration("duration", 5*time.Second, "how long to run")
	asJSON := fs.Bool("json", false, `print {"messages","duration_s","msgs_per_sec","errors"}`)
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	names, err := demoFiles.ReadDir("demodata/mails")
	if err != nil {
		return e.fail(err)
	}
	var msgs [][]byte
	for _, n := range names {
		raw, _ := demoFiles.ReadFile("demodata/mails/" + n.Name())
		msgs = append(msgs, raw)
	}
	cat := ledger.DefaultCatalog()
	domains := []string{"contoso.com", "fabrikam.com"}
	start := time.Now()
	n, errs := 0, 0
	for time.Since(start) < *dur && ctx.Err() == nil {
		if _, err := mailintake.Understand(msgs[n%len(msgs)], cat, domains, nil); err != nil {
			errs++
		}
		n++
	}
	el := time.Since(start).Seconds()
	rep := map[string]any{"messages": n, "duration_s": el, "msgs_per_sec": float64(n) / el, "errors": errs}
	if *asJSON {
		json.NewEncoder(e.stdout).Encode(rep)
		return exitOK
	}
	fmt.Fprintf(e.stdout, "%d messages in %.1fs on one core: %.0f messages/s, raw bytes to request, %d errors\n", n, el, float64(n)/el, errs)
	return exitOK
}
