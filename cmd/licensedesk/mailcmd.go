package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/mail"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/licensedesk/licensedesk/internal/fault"
	"github.com/licensedesk/licensedesk/internal/mailurl"
	"github.com/licensedesk/licensedesk/ledger"
	"github.com/licensedesk/licensedesk/mailintake"
	"github.com/licensedesk/licensedesk/mailintake/reply"
	"github.com/licensedesk/licensedesk/mailintake/sender"
)

const mailUsage = `Usage:
  licensedesk mail ingest [--dry-run] [--json] [--raw] FILE|-
      run one RFC 5322 message through the mail pipeline and print the outcome and the reply:
      its header lines, then its text; --raw prints the reply as the RFC 5322 message sent

Exit status: 0 applied, pending, duplicate, dry run, ignored or answered; 1 refused or
needs clarification; 2 usage or configuration error (nothing changed); 75 the store cannot
be reached (EX_TEMPFAIL: an MTA piping mail here retries later). A reply that cannot be sent
yet stays queued for serve, and is no failure.
`

// deliveryBound bounds the delivery of the reply by mail ingest: an MTA
// waits for the command, and a reply that cannot leave by then stays
// queued for serve's sender.
const deliveryBound = 10 * time.Second

// mailOutput is the JSON of mail ingest: SPEC §6's object, with reply
// holding the whole reply email.
type mailOutput struct {
	outcomeObject
	// ReplyText is the reply's text part, decoded (SPEC §6).
	ReplyText  string      `json:"reply_text"`
	Understood []ledger.Op `json:"understood,omitempty"`
	Reason     string      `json:"reason,omitempty"`
	// Sent: the SMTP server accepted the reply. Queued: it waits in the
	// outbox, and serve's sender will deliver it.
	Sent   bool `json:"sent"`
	Queued bool `json:"queued"`
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
	raw := fs.Bool("raw", false, "print the reply as RFC 5322, as it is sent")
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
	// SPEC §6: the whole configuration is checked before anything is
	// applied; a mistake found after the commit would leave the request
	// applied and its sender without an answer.
	if err := checkMailConfig(cfg); err != nil {
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
		return e.failMail(err)
	}
	defer closer()
	intake, err := mailintake.New(cfg.Intake(), l, e.log)
	if err != nil {
		return e.fail(&configError{err})
	}
	var s *sender.Sender
	if cfg.SMTPURL != "" && !*dry {
		s, err = sender.New(sender.Config{URL: cfg.SMTPURL, Consumer: oneShotConsumer()}, l, intake.Composer(), e.log, sender.NopStats{})
		if err != nil {
			return e.fail(&configError{err})
		}
	}
	out, err := intake.Ingest(ctx, in, mailintake.Source{}, *dry)
	if err != nil {
		return e.failMail(err)
	}
	reply := ""
	if out.Reply != nil {
		reply = string(out.Reply.Raw)
	}
	sent, queued := false, false
	if s != nil && out.Reply != nil {
		// The reply was queued in the outbox with the request; it leaves
		// through the outbox, so that it is acknowledged there and serve
		// never sends it again.
		sent = e.deliver(ctx, s, out.Tenant, out.Reply.MessageID)
		queued = !sent
	}
	if *asJSON {
		res := out.Result
		o := mailOutput{outcomeObject: outcomeObject{RequestID: out.RequestID, Status: out.Status, Tenant: out.Tenant,
			Ops: res.Ops, Errors: res.Errors, Reply: reply}.withLists(),
			Understood: res.Understood, Reason: out.Reason, Sent: sent, Queued: queued}
		if out.Reply != nil {
			o.ReplyText = out.Reply.Text
		}
		if err := e.printJSON(o); err != nil {
			return e.fail(err)
		}
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
		switch {
		case reply == "":
			fmt.Fprintln(e.stdout, "(no reply)")
		case sent:
			fmt.Fprintln(e.stdout, "(reply sent)")
		case queued:
			fmt.Fprintln(e.stdout, "(reply queued: serve will send it)")
		}
		switch {
		case reply == "":
		case *raw:
			fmt.Fprintf(e.stdout, "\n%s", reply)
		default:
			fmt.Fprintf(e.stdout, "\n%s", readable(out.Reply))
		}
	}
	switch out.Status {
	case ledger.StatusRefused, ledger.StatusNeedsClarification, ledger.StatusRejected:
		return exitRefused
	}
	return exitOK
}

// checkMailConfig checks, before the store is opened, every setting that
// mail ingest uses or that a mistake in would be found only after the
// commit (SPEC §6, §6.2). Its errors never quote a URL.
func checkMailConfig(cfg *Config) error {
	if cfg.SMTPURL != "" {
		if _, err := mailurl.ParseSMTP(cfg.SMTPURL); err != nil {
			return fmt.Errorf("config: smtp_url (LICENSEDESK_SMTP_URL): %w", err)
		}
		if cfg.From == "" {
			return errors.New("config: from (LICENSEDESK_FROM) is required to send replies: the desk's own address")
		}
	}
	if cfg.IMAPURL != "" {
		if _, err := mailurl.ParseIMAP(cfg.IMAPURL); err != nil {
			return fmt.Errorf("config: imap_url (LICENSEDESK_IMAP_URL): %w", err)
		}
	}
	if cfg.From != "" {
		a, err := mail.ParseAddress(cfg.From)
		if err != nil || a.Name != "" || !strings.EqualFold(a.Address, strings.TrimSpace(cfg.From)) {
			return errors.New("config: from (LICENSEDESK_FROM) must be one bare address, like licences@desk.example")
		}
	}
	return nil
}

// failMail reports a fault of mail ingest. A store that cannot be reached
// is EX_TEMPFAIL (SPEC §6): an MTA that pipes mail to the command keeps the
// message and tries again later, where any other failure would bounce it.
func (e *env) failMail(err error) int {
	if fault.IsTemporary(err) {
		fmt.Fprintf(e.stderr, "licensedesk: %v\nlicensedesk: the store cannot be reached; nothing was applied: try again later\n", err)
		return exitTempFail
	}
	return e.fail(err)
}

// readable is a reply as a person reads it: its header lines, then its
// text part, decoded (the RFC 5322 form quotes every accent: --raw).
func readable(r *reply.Reply) string {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\nTo: %s\nSubject: %s\n", r.From, r.To, r.Subject)
	if r.InReplyTo != "" {
		fmt.Fprintf(&b, "In-Reply-To: <%s>\n", r.InReplyTo)
	}
	fmt.Fprintf(&b, "Message-ID: <%s>\n\n%s", r.MessageID, r.Text)
	if !strings.HasSuffix(r.Text, "\n") {
		b.WriteByte('\n')
	}
	return b.String()
}

// deliver sends what the outbox of tenant holds, the reply whose
// Message-ID is messageID among it, within deliveryBound, and reports
// whether that reply was accepted. What is not sent stays queued for
// serve: no failure of the command.
func (e *env) deliver(ctx context.Context, s *sender.Sender, tenant, messageID string) bool {
	dctx, cancel := context.WithTimeout(ctx, deliveryBound)
	defer cancel()
	accepted, err := s.Flush(dctx, tenant)
	if err != nil {
		e.log.Warn("the reply is queued; serve will send it", "err", err)
	}
	return slices.Contains(accepted, messageID)
}

// oneShotConsumer names mail ingest's consumer of the outbox: its own,
// which leaves the group when the command ends.
func oneShotConsumer() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return "mail-ingest-" + host + "-" + strconv.Itoa(os.Getpid())
}
