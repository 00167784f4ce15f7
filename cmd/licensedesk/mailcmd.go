package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/licensedesk/licensedesk/ledger"
	"github.com/licensedesk/licensedesk/mailintake"
)

const mailUsage = `Usage:
  licensedesk mail ingest [--dry-run] [--json] FILE|-   run one RFC 5322 message through the mail pipeline
`

// mailOutput is the JSON of mail ingest: SPEC §6's object, with reply
// holding the whole reply email.
type mailOutput struct {
	RequestID  string            `json:"request_id"`
	Status     ledger.Status     `json:"status"`
	Tenant     string            `json:"tenant"`
	Ops        []ledger.OpResult `json:"ops"`
	Errors     []ledger.Error    `json:"errors"`
	Reply      string            `json:"reply"`
	Understood []ledger.Op       `json:"understood,omitempty"`
	Reason     string            `json:"reason,omitempty"`
}

func (e *env) mail(ctx context.Context, args []string) int {
	if len(args) == 0 || args[0] != "ingest" {
		fmt.Fprint(e.stderr, mailUsage)
		return exitUsage
	}
	fs := flag.NewFlagSet("mail ingest", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	dry := fs.Bool("dry-run", false, "check and compose the reply, change nothing")
	asJSON := fs.Bool("json", false, "print the outcome as JSON")
	cfgPath := fs.String("config", "", "configuration file")
	if err := fs.Parse(args[1:]); err != nil {
		return exitUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprint(e.stderr, "licensedesk mail ingest: give one FILE, or - for standard input\n"+mailUsage)
		return exitUsage
	}
	cfg, err := e.config(*cfgPath)
	if err != nil {
		return e.fail(&configError{err})
	}
	var in io.Reader = e.stdin
	if name := fs.Arg(0); name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return e.fail(&configError{err})
		}
		defer f.Close()
		in = f
	}
	l, closer, err := e.openLedger(ctx, cfg)
	if err != nil {
		return e.fail(err)
	}
	defer closer()
	intake, err := mailintake.New(mailintake.Config{Desk: cfg.From, DeskName: cfg.DeskName, TrustedAuthserv: cfg.TrustedAuthserv}, l, e.log)
	if err != nil {
		return e.fail(err)
	}
	out, err := intake.Ingest(ctx, in, mailintake.Source{}, *dry)
	if err != nil {
		return e.fail(err)
	}
	reply := ""
	if out.Reply != nil {
		reply = string(out.Reply.Raw)
	}
	if *asJSON {
		res := out.Result
		o := mailOutput{RequestID: out.RequestID, Status: out.Status, Tenant: out.Tenant, Ops: res.Ops, Errors: res.Errors,
			Reply: reply, Understood: res.Understood, Reason: out.Reason}
		if o.Ops == nil {
			o.Ops = []ledger.OpResult{}
		}
		if o.Errors == nil {
			o.Errors = []ledger.Error{}
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		enc.Encode(o)
	} else {
		fmt.Fprintf(e.stdout, "status: %s", out.Status)
		if out.RequestID != "" {
			fmt.Fprintf(e.stdout, " · %s", out.RequestID)
		}
		if out.Tenant != "" {
			fmt.Fprintf(e.stdout, " · %s", out.Tenant)
		}
		if out.Reason != "" {
			fmt.Fprintf(e.stdout, " · %s", out.Reason)
		}
		fmt.Fprintln(e.stdout)
		if reply == "" {
			fmt.Fprintln(e.stdout, "(no reply)")
		} else {
			fmt.Fprintf(e.stdout, "\n%s", reply)
		}
	}
	switch out.Status {
	case ledger.StatusRefused, ledger.StatusNeedsClarification, ledger.StatusRejected:
		return exitRefused
	}
	return exitOK
}
