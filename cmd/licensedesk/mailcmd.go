package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/licensedesk/licensedesk/ledger"
	"github.com/licensedesk/licensedesk/mailintake"
	"github.com/licensedesk/licensedesk/mailintake/sender"
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
	Sent       bool              `json:"sent"`
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
	sent := false
	if cfg.SMTPURL != "" && !*dry && out.Reply != nil {
		// The reply was queued in the outbox with the request; deliver it
		// through the same sender serve uses, so it is acknowledged there
		// and never sent twice.
		if err := e.drainOutbox(ctx, cfg, l, intake, out.Tenant); err != nil {
			return e.fail(err)
		}
		sent = true
	}
	if *asJSON {
		res := out.Result
		o := mailOutput{RequestID: out.RequestID, Status: out.Status, Tenant: out.Tenant, Ops: res.Ops, Errors: res.Errors,
			Reply: reply, Understood: res.Understood, Reason: out.Reason, Sent: sent}
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
			if sent {
				fmt.Fprintln(e.stdout, "(reply sent)")
			}
			fmt.Fprintf(e.stdout, "\n%s", reply)
		}
	}
	switch out.Status {
	case ledger.StatusRefused, ledger.StatusNeedsClarification, ledger.StatusRejected:
		return exitRefused
	}
	return exitOK
}

// drainOutbox runs the SMTP sender until the outbox that holds the reply
// is empty (or a minute passed).
func (e *env) drainOutbox(ctx context.Context, cfg *Config, l *ledger.Ledger, in *mailintake.Intake, tenant string) error {
	s, err := sender.New(sender.Config{URL: cfg.SMTPURL}, l, in.Composer(), e.log, sender.NopStats{})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	for {
		n, err := l.OutboxLen(ctx, tenant)
		if err == nil && n == 0 {
			cancel()
			<-done
			return nil
		}
		select {
		case <-ctx.Done():
			<-done
			return fmt.Errorf("the reply is queued but could not be sent within a minute; serve will send it")
		case <-time.After(50 * time.Millisecond):
		}
	}
}
