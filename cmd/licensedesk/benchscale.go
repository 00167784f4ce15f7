package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/licensedesk/licensedesk/ledger"
)

// benchScale generates a desk, makes its history and measures it (SPEC §8
// "Growth": show, conflicts, sweep, export and check at desk scale).
func (e *env) benchScale(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("bench scale", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var opt ledger.ScaleOptions
	fs.IntVar(&opt.Tenants, "tenants", 1000, "tenants of the generated desk")
	fs.IntVar(&opt.Users, "users", 100000, "users in all")
	fs.IntVar(&opt.Requests, "requests", 200000, "requests of history")
	fs.IntVar(&opt.Days, "days", 730, "simulated days the history spans")
	fs.IntVar(&opt.Clients, "clients", 32, "concurrent submitters making the history")
	seed := fs.Uint64("seed", 1, "random seed")
	fs.BoolVar(&opt.Keep, "keep", false, "leave the generated desk in the store (zz-scale-NNNN tenants)")
	fs.BoolVar(&opt.Reuse, "reuse", false, "measure the desk an earlier --keep left, without making one")
	asJSON := fs.Bool("json", false, "JSON output")
	cfgPath := fs.String("config", "", "configuration file")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if opt.Tenants < 1 || opt.Tenants > 100000 || opt.Users < 0 || opt.Users > 10_000_000 || opt.Requests < 0 || opt.Requests > 100_000_000 {
		fmt.Fprintln(e.stderr, "licensedesk bench scale: --tenants 1..100000, --users up to 10000000, --requests up to 100000000")
		return exitUsage
	}
	opt.Seed = *seed
	if !*asJSON {
		opt.Progress = e.stderr
	}
	_, l, closer, code := e.configuredLedger(ctx, *cfgPath)
	if closer == nil {
		return code
	}
	defer closer()
	rep, err := ledger.RunScale(ctx, l, opt)
	if err != nil {
		return e.fail(err)
	}
	if *asJSON {
		json.NewEncoder(e.stdout).Encode(rep)
		return exitOK
	}
	printScale(e.stdout, rep)
	if rep.CheckProblems > 0 {
		return exitRefused
	}
	return exitOK
}

func printScale(w io.Writer, r ledger.ScaleReport) {
	fmt.Fprintf(w, "desk: %d tenants, %d users (at most %d per tenant), imported in %.1fs\n", r.Tenants, r.Users, r.LargestTenantUsers, r.ImportS)
	if r.Requests > 0 {
		fmt.Fprintf(w, "history: %d requests over %d days in %.1fs (%.0f/s, %d refused, %d errors)\n",
			r.Requests, r.Days, r.HistoryS, r.HistoryPerSec, r.Refused, r.Errors)
		fmt.Fprintf(w, "  by kind: %v\n", r.RequestsByKind)
		fmt.Fprintf(w, "  Redis: %.0f bytes per request of history, %.1f MB used\n", r.RedisBytesPerRequest, r.RedisUsedMB)
	}
	fmt.Fprintf(w, "audit: %d entries; largest of the last 50 requests of every tenant: %d bytes\n", r.AuditEntries, r.MaxAuditBytes)
	fmt.Fprintf(w, "show (2000 tenants at random): p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", r.ShowP50Ms, r.ShowP99Ms, r.ShowMaxMs)
	fmt.Fprintf(w, "conflicts across the desk: %.2fs (%d products in conflict)\n", r.ConflictsS, r.Conflicts)
	fmt.Fprintf(w, "sweep: %.2fs (%d changes)\n", r.SweepS, r.SweepChanges)
	fmt.Fprintf(w, "export (JSON): %.2fs, %.1f MB\n", r.ExportS, r.ExportMB)
	fmt.Fprintf(w, "check, whole history: %.2fs, at most %.1f MB of heap; from the checkpoints: %.2fs, %.1f MB; %d problems\n",
		r.CheckFullS, r.CheckFullHeapMB, r.CheckFromCheckpointS, r.CheckFromCheckpointHeap, r.CheckProblems)
	if r.Kept {
		fmt.Fprintf(w, "the desk is kept: tenants %s0000…\n", r.TenantPrefix)
	}
}
