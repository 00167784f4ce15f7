package main

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-smtp"
	"github.com/licensedesk/licensedesk/bot"
	"github.com/licensedesk/licensedesk/ledger"
	"github.com/licensedesk/licensedesk/mailintake"
	"github.com/licensedesk/licensedesk/mailintake/decode"
	"github.com/licensedesk/licensedesk/mailintake/watch"
)

//go:embed demodata/desk.yaml demodata/mails/*.eml
var demoFiles embed.FS

// demoSeedTime is the "now" the demo seed is written for.
var demoSeedTime = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// demo runs the whole service on embedded parts: an in-process store, an
// in-process IMAP server holding sample customer mails, an in-process SMTP
// listener, and a seeded desk. It shows each mail going through and its
// reply, then keeps running so the mailbox can be written to and exec tried.
func (e *env) demo(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	httpAddr := fs.String("http", "127.0.0.1:8080", "listen address of /healthz and /metrics")
	once := fs.Bool("once", false, "exit after the sample mails are answered (for scripts and tests)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	out := e.stdout
	quiet := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	l, err := openEmbedded(ctx, quiet, e.stderr)
	if err != nil {
		return e.fail(err)
	}
	defer l.Close()
	if err := demoSeed(ctx, l); err != nil {
		return e.fail(err)
	}
	desk, err := bot.NewDesk(l)
	if err != nil {
		return e.fail(err)
	}

	mails, err := demoFiles.ReadDir("demodata/mails")
	if err != nil {
		return e.fail(err)
	}
	imapAddr, imapStop, err := demoIMAP()
	if err != nil {
		return e.fail(err)
	}
	defer imapStop()
	dl := newDemoLog(out)
	smtpAddr, smtpStop, err := demoSMTP(&replySink{log: dl})
	if err != nil {
		return e.fail(err)
	}
	defer smtpStop()

	imapURL := "imap://desk:demo@" + imapAddr + "/INBOX"
	cfg := &Config{IMAPURL: imapURL, SMTPURL: "smtp://" + smtpAddr, From: "licences@desk.example",
		DeskName: "Licence Desk (demo)", HTTPAddr: *httpAddr}
	svc, err := newService(cfg, l, quiet, nil)
	if err != nil {
		return e.fail(err)
	}
	// Show each message's outcome as the watcher hands it to the pipeline.
	svc.watcher, err = newDemoWatcher(imapURL, svc.intake, l, quiet, dl)
	if err != nil {
		return e.fail(err)
	}

	fmt.Fprintf(out, "═══ licensedesk demo ═══\n\nIMAP server: %s (user desk, password demo) · SMTP sink: %s\n", imapURL, smtpAddr)
	fmt.Fprintln(out, "\n─── The desk before ───")
	for _, t := range []string{"contoso", "fabrikam"} {
		rep, _ := desk.Run(ctx, "show "+t, bot.Caller{Operator: true}, bot.Options{})
		fmt.Fprintln(out, rep.Text)
	}
	// The sample mails arrive now, in the order of their file names.
	var order []string
	for _, m := range mails {
		raw, _ := demoFiles.ReadFile(path.Join("demodata/mails", m.Name()))
		if msg, err := decode.Parse(bytes.NewReader(raw), decode.DefaultLimits()); err == nil {
			order = append(order, msg.MessageID)
		}
		if err := demoAppend(imapAddr, raw); err != nil {
			return e.fail(err)
		}
	}
	fmt.Fprintf(out, "─── %d customer emails arrive in the desk's mailbox ───\n\n", len(mails))

	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	wg := svc.run(runCtx)
	defer func() { stopRun(); wg.Wait() }()
	httpSrv := &http.Server{Addr: *httpAddr, Handler: svc.handler, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := httpSrv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			quiet.Warn("demo http", "err", err)
		}
	}()
	defer httpSrv.Close()

	// Every mail gets its outcome; five replies are due (the
	// out-of-office mail gets none).
	wantReplies := len(mails) - 1
	deadline := time.After(60 * time.Second)
	for {
		outcomes, replies := dl.counts()
		if outcomes >= len(mails) && replies >= wantReplies {
			break
		}
		select {
		case <-ctx.Done():
			return exitOK
		case <-deadline:
			dl.flush(order)
			fmt.Fprintf(out, "(only %d outcomes and %d of %d replies after 60 s)\n", outcomes, replies, wantReplies)
			return exitInternal
		case <-time.After(100 * time.Millisecond):
		}
	}
	dl.flush(order)
	fmt.Fprintln(out, "─── The desk after ───")
	for _, t := range []string{"contoso", "fabrikam"} {
		rep, _ := desk.Run(ctx, "show "+t, bot.Caller{Operator: true}, bot.Options{})
		fmt.Fprintln(out, rep.Text)
	}
	rep, _ := desk.Run(ctx, "pending", bot.Caller{Operator: true}, bot.Options{})
	fmt.Fprintf(out, "─── Waiting for a desk admin ───\n%s\n", rep.Text)
	if *once {
		return exitOK
	}
	a := l.EmbeddedAddr()
	fmt.Fprintf(out, "The demo keeps running. Try, from another shell:\n"+
		"  LICENSEDESK_REDIS_URL=redis://%s licensedesk exec 'show contoso --detail'\n"+
		"  LICENSEDESK_REDIS_URL=redis://%s licensedesk exec --as U0BILL 'approve <the LD-… id above>'\n"+
		"or append a mail to %s with any IMAP client. Ctrl-C stops it.\n", a, a, imapURL)
	<-ctx.Done()
	return exitOK
}

// demoSeed imports the demo desk with its dates moved to today.
func demoSeed(ctx context.Context, l *ledger.Ledger) error {
	f, err := demoFiles.Open("demodata/desk.yaml")
	if err != nil {
		return err
	}
	defer f.Close()
	seed, err := ledger.ParseSeed(f, l.Catalog())
	if err != nil {
		return err
	}
	shift := time.Since(demoSeedTime).Truncate(24 * time.Hour)
	for i := range seed.Tenants {
		for j := range seed.Tenants[i].Subscriptions {
			s := &seed.Tenants[i].Subscriptions[j].Subscription
			s.TermStart, s.TermEnd, s.StateSince = s.TermStart.Add(shift), s.TermEnd.Add(shift), s.StateSince.Add(shift)
			for k := range s.Seats {
				s.Seats[k].AddedAt = s.Seats[k].AddedAt.Add(shift)
			}
		}
	}
	return l.Import(ctx, seed)
}

// demoIMAP starts go-imap's in-memory server with the desk's mailbox.
func demoIMAP() (string, func(), error) {
	mem := imapmemserver.New()
	u := imapmemserver.NewUser("desk", "demo")
	if err := u.Create("INBOX", nil); err != nil {
		return "", nil, err
	}
	mem.AddUser(u)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		InsecureAuth: true, // loopback only
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	go srv.Serve(ln)
	return ln.Addr().String(), func() { srv.Close() }, nil
}

// demoLog prints what the demo's mails became: each mail's outcome, then
// the reply it got, in the order the mails arrived. The watcher and the
// SMTP sender work concurrently, so the sample mails' lines are held until
// all are in; mails appended later are printed as they come.
type demoLog struct {
	mu       sync.Mutex
	out      io.Writer
	live     bool
	outcomes map[string]string // by the mail's Message-ID
	replies  map[string]string // by the In-Reply-To of the reply
}

func newDemoLog(out io.Writer) *demoLog {
	return &demoLog{out: out, outcomes: map[string]string{}, replies: map[string]string{}}
}

func (d *demoLog) outcome(msgID, text string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.live {
		fmt.Fprint(d.out, text)
		return
	}
	d.outcomes[msgID] = text
}

func (d *demoLog) reply(inReplyTo, text string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.live {
		fmt.Fprint(d.out, text)
		return
	}
	d.replies[inReplyTo] = text
}

// counts says how many outcomes and replies were recorded.
func (d *demoLog) counts() (int, int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.outcomes), len(d.replies)
}

// flush prints the held lines, mail by mail in the order given, and
// prints whatever comes next as it comes.
func (d *demoLog) flush(order []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, id := range order {
		fmt.Fprint(d.out, d.outcomes[id], d.replies[id])
	}
	d.live = true
}

// replySink is the demo's SMTP server: it hands every reply it accepts to
// the demo's log.
type replySink struct{ log *demoLog }

func (r *replySink) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{sink: r}, nil }

type sinkSession struct {
	sink *replySink
	to   []string
}

func (s *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *sinkSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return err
	}
	msg, err := decode.Parse(bytes.NewReader(raw), decode.DefaultLimits())
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "    ✉ reply to %s\n      Subject: %s\n      In-Reply-To: <%s>  Auto-Submitted: %s  Content-Language: %s\n",
		strings.Join(s.to, ", "), msg.Subject, strings.Join(msg.InReplyTo, " "), msg.Header.Get("Auto-Submitted"), msg.Header.Get("Content-Language"))
	for _, line := range strings.Split(strings.TrimSpace(msg.Text), "\n") {
		fmt.Fprintf(&b, "      │ %s\n", line)
	}
	b.WriteString("\n")
	s.sink.log.reply(strings.Join(msg.InReplyTo, " "), b.String())
	return nil
}
func (s *sinkSession) Reset()        { s.to = nil }
func (s *sinkSession) Logout() error { return nil }

func demoSMTP(sink *replySink) (string, func(), error) {
	srv := smtp.NewServer(sink)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	go srv.Serve(ln)
	return ln.Addr().String(), func() { srv.Close() }, nil
}

// demoIngester hands each message's outcome to the demo's log.
type demoIngester struct {
	in  *mailintake.Intake
	log *demoLog
}

func (d *demoIngester) Ingest(ctx context.Context, r io.Reader, src mailintake.Source, dry bool) (mailintake.Outcome, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return mailintake.Outcome{}, err
	}
	o, err := d.in.Ingest(ctx, bytes.NewReader(raw), src, dry)
	if err != nil {
		return o, err
	}
	subject, from, id := "", "", ""
	if m, perr := decode.Parse(bytes.NewReader(raw), decode.DefaultLimits()); perr == nil {
		subject, id = m.Subject, m.MessageID
		if m.From != nil {
			from = m.From.Email
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "▶ mail from %s: “%s”\n  → %s", from, subject, o.Status)
	if o.RequestID != "" {
		fmt.Fprintf(&b, " · %s", o.RequestID)
	}
	if o.Reason != "" {
		fmt.Fprintf(&b, " · %s", o.Reason)
	}
	b.WriteString("\n")
	for _, op := range o.Result.Ops {
		fmt.Fprintf(&b, "  %s", op.Op)
		if op.Quantity > 0 {
			fmt.Fprintf(&b, " %d", op.Quantity)
		}
		fmt.Fprintf(&b, " %s", op.SKU)
		if op.Before != nil && op.After != nil {
			fmt.Fprintf(&b, ": total %d → %d, assigned %d → %d", op.Before.Total, op.After.Total, op.Before.Assigned, op.After.Assigned)
		}
		fmt.Fprintf(&b, " (%s)\n", op.Outcome)
	}
	for _, er := range o.Result.Errors {
		fmt.Fprintf(&b, "  %s: %s\n", er.Code, er.Message)
	}
	b.WriteString("\n")
	d.log.outcome(id, b.String())
	return o, nil
}

func newDemoWatcher(url string, in *mailintake.Intake, l *ledger.Ledger, log *slog.Logger, dl *demoLog) (*watch.Watcher, error) {
	return watch.New(watch.Config{URL: url, Attempts: l}, &demoIngester{in: in, log: dl}, log, watch.NopStats{}, nil)
}

// demoAppend puts a sample mail in the demo mailbox, as a customer's
// server would.
func demoAppend(addr string, raw []byte) error {
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Login("desk", "demo").Wait(); err != nil {
		return err
	}
	cmd := c.Append("INBOX", int64(len(raw)), nil)
	if _, err := cmd.Write(raw); err != nil {
		return err
	}
	if err := cmd.Close(); err != nil {
		return err
	}
	if _, err := cmd.Wait(); err != nil {
		return err
	}
	return c.Logout().Wait()
}
