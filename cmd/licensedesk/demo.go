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
	"sort"
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
	sink := &replySink{out: out}
	smtpAddr, smtpStop, err := demoSMTP(sink)
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
	svc.watcher, err = newDemoWatcher(imapURL, svc.intake, quiet, out)
	if err != nil {
		return e.fail(err)
	}

	fmt.Fprintf(out, "═══ licensedesk demo ═══\n\nIMAP server: %s (user desk, password demo) · SMTP sink: %s\n", imapURL, smtpAddr)
	fmt.Fprintln(out, "\n─── The desk before ───")
	for _, t := range []string{"contoso", "fabrikam"} {
		rep, _ := desk.Run(ctx, "show "+t, bot.Caller{Operator: true}, bot.Options{})
		fmt.Fprintln(out, rep.Text)
	}
	// The sample mails arrive now.
	for _, m := range mails {
		raw, _ := demoFiles.ReadFile(path.Join("demodata/mails", m.Name()))
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

	// Five replies are due: the out-of-office mail gets none.
	wantReplies := len(mails) - 1
	deadline := time.After(60 * time.Second)
	for sink.count() < wantReplies {
		select {
		case <-ctx.Done():
			return exitOK
		case <-deadline:
			fmt.Fprintf(out, "(only %d of %d replies after 60 s)\n", sink.count(), wantReplies)
			return exitInternal
		case <-time.After(100 * time.Millisecond):
		}
	}
	time.Sleep(200 * time.Millisecond) // let the last lines print in order
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

// replySink is the demo's SMTP server: it prints every reply it accepts.
type replySink struct {
	mu  sync.Mutex
	out io.Writer
	n   int
}

func (r *replySink) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

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
	s.sink.mu.Lock()
	defer s.sink.mu.Unlock()
	s.sink.n++
	fmt.Fprintf(s.sink.out, "    ✉ reply to %s\n      Subject: %s\n      In-Reply-To: <%s>  Auto-Submitted: %s  Content-Language: %s\n",
		strings.Join(s.to, ", "), msg.Subject, strings.Join(msg.InReplyTo, " "), msg.Header.Get("Auto-Submitted"), msg.Header.Get("Content-Language"))
	for _, line := range strings.Split(strings.TrimSpace(msg.Text), "\n") {
		fmt.Fprintf(s.sink.out, "      │ %s\n", line)
	}
	fmt.Fprintln(s.sink.out)
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

// demoIngester prints each message's outcome as the pipeline decides it.
type demoIngester struct {
	in  *mailintake.Intake
	out io.Writer
	mu  sync.Mutex
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
	d.mu.Lock()
	defer d.mu.Unlock()
	subject, from := "", ""
	if m, perr := decode.Parse(bytes.NewReader(raw), decode.DefaultLimits()); perr == nil {
		subject = m.Subject
		if m.From != nil {
			from = m.From.Email
		}
	}
	fmt.Fprintf(d.out, "▶ mail from %s: “%s”\n  → %s", from, subject, o.Status)
	if o.RequestID != "" {
		fmt.Fprintf(d.out, " · %s", o.RequestID)
	}
	if o.Reason != "" {
		fmt.Fprintf(d.out, " · %s", o.Reason)
	}
	fmt.Fprintln(d.out)
	var lines []string
	for _, op := range o.Result.Ops {
		l := fmt.Sprintf("  %s", op.Op)
		if op.Quantity > 0 {
			l += fmt.Sprintf(" %d", op.Quantity)
		}
		l += " " + op.SKU
		if op.Before != nil && op.After != nil {
			l += fmt.Sprintf(": total %d → %d, assigned %d → %d", op.Before.Total, op.After.Total, op.Before.Assigned, op.After.Assigned)
		}
		lines = append(lines, l+" ("+op.Outcome+")")
	}
	for _, er := range o.Result.Errors {
		lines = append(lines, fmt.Sprintf("  %s: %s", er.Code, er.Message))
	}
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Fprintln(d.out, l)
	}
	fmt.Fprintln(d.out)
	return o, nil
}

func newDemoWatcher(url string, in *mailintake.Intake, log *slog.Logger, out io.Writer) (*watch.Watcher, error) {
	return watch.New(watch.Config{URL: url}, &demoIngester{in: in, out: out}, log, watch.NopStats{}, nil)
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
