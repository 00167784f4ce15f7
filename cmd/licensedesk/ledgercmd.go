package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/licensedesk/licensedesk/ledger"
)

const ledgerUsage = `Usage:
  licensedesk ledger import [--replace] FILE|-
                                       seed the desk from YAML or JSON; a tenant that exists is refused
                                       (exit 1, nothing changed) unless --replace, which replaces it whole
                                       and records that in its history
  licensedesk ledger export [--json]   dump the desk in the seed format (YAML by default)
  licensedesk ledger check [--json] [--full]
                                       verify the invariants and replay the audit log (exit 1 on a problem);
                                       replay starts at the tenant's last checkpoint unless --full, and a
                                       tenant that verifies after 200 or more entries gets a new checkpoint
  licensedesk ledger sweep [--json]    run the subscription lifecycle now (renewals, expiries)
`

func (e *env) ledgerCmd(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, ledgerUsage)
		return exitUsage
	}
	sub := args[0]
	fs := flag.NewFlagSet("ledger "+sub, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	asJSON := fs.Bool("json", false, "JSON output")
	cfgPath := fs.String("config", "", "configuration file")
	replace := fs.Bool("replace", false, "import: replace the tenants that exist (recorded in their history)")
	full := fs.Bool("full", false, "check: replay every tenant's whole history, ignoring checkpoints")
	// Flags may stand before or after the file.
	var positional []string
	rest := args[1:]
	for {
		if err := fs.Parse(rest); err != nil {
			return exitUsage
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	switch sub {
	case "import":
		if len(positional) != 1 {
			fmt.Fprint(e.stderr, "licensedesk ledger import: give one FILE, or - for standard input\n"+ledgerUsage)
			return exitUsage
		}
	case "export", "check", "sweep":
		if len(positional) != 0 {
			fmt.Fprint(e.stderr, ledgerUsage)
			return exitUsage
		}
	default:
		fmt.Fprintf(e.stderr, "licensedesk ledger: unknown subcommand %q\n%s", sub, ledgerUsage)
		return exitUsage
	}
	_, l, closer, code := e.configuredLedger(ctx, *cfgPath)
	if closer == nil {
		return code
	}
	defer closer()

	switch sub {
	case "import":
		var r io.Reader = e.stdin
		if name := positional[0]; name != "-" {
			f, err := os.Open(name)
			if err != nil {
				return e.fail(&configError{err})
			}
			defer f.Close()
			r = f
		}
		seed, err := ledger.ParseSeed(r, l.Catalog())
		if err != nil {
			fmt.Fprintf(e.stderr, "licensedesk: %v\n", err)
			return exitUsage
		}
		err = l.Import(ctx, seed, ledger.ImportOptions{KeepExisting: !*replace, By: "cli"})
		var exists *ledger.ExistingTenantsError
		if errors.As(err, &exists) {
			fmt.Fprintf(e.stderr, "licensedesk ledger import: %d tenants already exist: %s\nNothing was changed. ledger import --replace replaces them whole (and records it in their history).\n",
				len(exists.Tenants), strings.Join(exists.Tenants, ", "))
			return exitRefused
		}
		if err != nil {
			return e.fail(err)
		}
		users := 0
		for _, t := range seed.Tenants {
			users += len(t.Users)
		}
		fmt.Fprintf(e.stdout, "imported %d tenants, %d users, %d admins, %d catalog overrides\n", len(seed.Tenants), users, len(seed.Admins), len(seed.Catalog))
		return exitOK
	case "export":
		s, err := l.Export(ctx)
		if err != nil {
			return e.fail(err)
		}
		if err := ledger.EncodeSeed(e.stdout, s, *asJSON); err != nil {
			return e.fail(err)
		}
		return exitOK
	case "check":
		problems, err := l.CheckWith(ctx, ledger.CheckOptions{Full: *full})
		if err != nil {
			return e.fail(err)
		}
		if *asJSON {
			if problems == nil {
				problems = []ledger.Problem{}
			}
			json.NewEncoder(e.stdout).Encode(map[string]any{"ok": len(problems) == 0, "problems": problems})
		} else if len(problems) == 0 {
			fmt.Fprintln(e.stdout, "ok: counters match the data, no unexplained conflict, history replays to the current state")
		} else {
			for _, p := range problems {
				fmt.Fprintf(e.stdout, "%s: %s\n", p.Tenant, p.What)
			}
		}
		if len(problems) > 0 {
			return exitRefused
		}
		return exitOK
	default: // sweep
		rep, err := l.Sweep(ctx)
		if err != nil {
			return e.fail(err)
		}
		if *asJSON {
			json.NewEncoder(e.stdout).Encode(rep)
			return exitOK
		}
		fmt.Fprintf(e.stdout, "swept %d tenants: %d changes\n", rep.Tenants, len(rep.Changes))
		for _, c := range rep.Changes {
			renewed := ""
			if c.Renewed {
				renewed = fmt.Sprintf(" (renewed until %s)", c.TermEnd.Format("2006-01-02"))
			}
			fmt.Fprintf(e.stdout, "  %s %s %s: %s → %s%s\n", c.Tenant, c.Subscription, c.SKU, c.From, c.To, renewed)
		}
		return exitOK
	}
}
