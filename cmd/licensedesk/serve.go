package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/licensedesk/licensedesk/bot"
	retry "github.com/licensedesk/licensedesk/internal/backoff"
	"github.com/licensedesk/licensedesk/ledger"
	"github.com/licensedesk/licensedesk/mailintake"
	"github.com/licensedesk/licensedesk/mailintake/sender"
	"github.com/licensedesk/licensedesk/mailintake/watch"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/slack-go/slack"
)

// service is everything serve runs; demo builds the same on embedded parts.
type service struct {
	ledger  *ledger.Ledger
	intake  *mailintake.Intake
	bot     *bot.Server
	watcher *watch.Watcher
	sender  *sender.Sender
	handler http.Handler
	log     *slog.Logger
}

// newService wires the parts the configuration asks for (DESIGN: all
// wiring in one place).
func newService(cfg *Config, l *ledger.Ledger, log *slog.Logger, smtpDial func(ctx context.Context, network, addr string) (net.Conn, error)) (*service, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mm, rm := newMetrics(reg)
	s := &service{ledger: l, log: log}
	var err error
	if s.intake, err = mailintake.New(cfg.Intake(), l, log); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if err := l.Ping(r.Context()); err != nil {
			http.Error(w, "store unavailable", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	if cfg.SlackSigningSecret != "" || cfg.SlackAppToken != "" {
		desk, err := bot.NewDesk(l)
		if err != nil {
			return nil, err
		}
		s.bot, err = bot.NewServer(bot.Config{SigningSecret: cfg.SlackSigningSecret, BotToken: cfg.SlackBotToken,
			AppToken: cfg.SlackAppToken, APIURL: cfg.SlackAPIURL, ApprovalChannel: cfg.ApprovalChannel,
			ReportChannel: cfg.ReportChannel, ReportLocation: cfg.reportLocation()}, desk, log, reg)
		if err != nil {
			return nil, err
		}
		mux.Handle("/slack/", s.bot.Handler())
	}
	if cfg.IMAPURL != "" {
		// Attempts are counted in the store, so that a message that kills
		// the process goes to Failed after the restarts (DESIGN "Errors").
		s.watcher, err = watch.New(watch.Config{URL: cfg.IMAPURL, Attempts: l}, s.intake, log, mm, s.failedNote(cfg))
		if err != nil {
			return nil, err
		}
	}
	if cfg.SMTPURL != "" {
		// A stable consumer name: after a crash, the restarted sender takes
		// up the replies it had read at once, instead of waiting for another
		// consumer's claim (replicas on other hosts still claim them).
		host, herr := os.Hostname()
		if herr != nil || host == "" {
			host = "licensedesk"
		}
		s.sender, err = sender.New(sender.Config{URL: cfg.SMTPURL, Dial: smtpDial, Consumer: host}, l, s.intake.Composer(), log, rm)
		if err != nil {
			return nil, err
		}
	}
	s.handler = mux
	return s, nil
}

// failedNote tells the desk in Slack about a message moved to Failed.
func (s *service) failedNote(cfg *Config) func(ctx context.Context, src mailintake.Source, subject string, err error) {
	return func(ctx context.Context, src mailintake.Source, subject string, err error) {
		s.log.Error("mail moved to Failed", "mailbox", src.Mailbox, "uid", src.UID, "subject", subject, "err", err)
		if cfg.SlackBotToken == "" || cfg.ApprovalChannel == "" {
			return
		}
		opts := []slack.Option{}
		if cfg.SlackAPIURL != "" {
			opts = append(opts, slack.OptionAPIURL(cfg.SlackAPIURL))
		}
		api := slack.New(cfg.SlackBotToken, opts...)
		text := fmt.Sprintf(":warning: A customer email could not be processed and was moved to the *Failed* folder "+
			"(mailbox %s, UID %d): %s", src.Mailbox, src.UID, escapeMrkdwn(subject))
		if _, _, perr := api.PostMessageContext(ctx, cfg.ApprovalChannel, slack.MsgOptionText(text, false)); perr != nil {
			s.log.Warn("Slack note about a failed mail not posted", "err", perr)
		}
	}
}

func escapeMrkdwn(s string) string {
	r := []rune(s)
	if len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	for _, p := range [][2]string{{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}} {
		s = strings.ReplaceAll(s, p[0], p[1])
	}
	return s
}

// Supervision of the background parts (internal/backoff). A part's Run
// returns only when its context ends; one that returns before, or panics,
// is restarted: after a second at first, up to half a minute for a part
// that keeps failing at once, at once again for one that had run a minute.
// Each part retries its own faults inside (the watcher reconnects within a
// few seconds, the sender waits for SMTP): this is the net under them.
var partRestart = retry.Backoff{Policy: retry.Policy{Base: time.Second, Max: 30 * time.Second, Jitter: 0.5},
	HealthyAfter: time.Minute}

// sweepRetry paces the sweeper after a failed sweep (the store away): up to
// its own interval of a minute.
var sweepRetry = retry.Backoff{Policy: retry.Policy{Base: time.Second, Max: time.Minute, Jitter: 0.5}}

// run runs the background parts until ctx ends, then waits for them.
func (s *service) run(ctx context.Context) *sync.WaitGroup {
	var wg sync.WaitGroup
	start := func(name string, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sup := retry.Loop{Name: name, Log: s.log, Backoff: partRestart}
			sup.Run(ctx, func(ctx context.Context) error {
				err := f(ctx)
				if ctx.Err() != nil {
					return nil
				}
				if err == nil {
					err = fmt.Errorf("%s stopped", name)
				}
				return err
			})
		}()
	}
	if s.bot != nil {
		start("slack", s.bot.Run)
	}
	if s.watcher != nil {
		start("imap watcher", s.watcher.Run)
	}
	if s.sender != nil {
		start("smtp sender", s.sender.Run)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		sweeper := retry.Loop{Name: "sweeper", Log: s.log, Every: time.Minute, Backoff: sweepRetry}
		sweeper.Run(ctx, func(ctx context.Context) error {
			rep, err := s.ledger.Sweep(ctx)
			if err == nil && (len(rep.Changes) > 0 || rep.Expired > 0) {
				s.log.Info("sweep", "changes", len(rep.Changes), "expired_requests", rep.Expired)
			}
			if err == nil {
				err = s.ledger.Refresh(ctx) // catalog overrides imported meanwhile
			}
			return err
		})
	}()
	return &wg
}

func (e *env) serve(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	cfgPath := fs.String("config", "", "configuration file (YAML; unknown keys are errors)")
	seedPath := fs.String("seed", "", "import this seed file at start (tenants in it are replaced)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	cfg, err := e.config(*cfgPath)
	if err != nil {
		return e.fail(&configError{err})
	}
	var l *ledger.Ledger
	if cfg.RedisURL == "" {
		if inContainer(e.getenv) && !cfg.AllowEmbeddedStore {
			// A container's restart loses an embedded store, and with it
			// every licence change: refuse, loudly, rather than lose data.
			return e.fail(&configError{errors.New("LICENSEDESK_REDIS_URL is not set, and this is a container: " +
				"a restart would lose every licence change kept in the embedded store. Set LICENSEDESK_REDIS_URL " +
				"(see examples/compose.yaml), or LICENSEDESK_ALLOW_EMBEDDED_STORE=true to try it anyway")})
		}
		l, err = openEmbedded(ctx, e.log, e.stderr)
	} else {
		l, err = ledger.Open(ctx, cfg.RedisURL, ledger.SystemClock{}, e.log)
	}
	if err != nil {
		return e.fail(err)
	}
	defer l.Close()
	if *seedPath != "" {
		if err := l.ImportFile(ctx, *seedPath); err != nil {
			return e.fail(&configError{err})
		}
		e.log.Info("seed imported", "file", *seedPath)
	}
	svc, err := newService(cfg, l, e.log, nil)
	if err != nil {
		return e.fail(&configError{err})
	}
	srv := &http.Server{Addr: cfg.HTTPAddr, Handler: svc.handler, ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second, MaxHeaderBytes: 64 << 10}
	// Bind first: "serving on" is said only once it is true.
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return e.fail(&configError{fmt.Errorf("http_addr %s: %w", cfg.HTTPAddr, err)})
	}
	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	wg := svc.run(runCtx)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	e.log.Info("serving", "addr", cfg.HTTPAddr, "slack", svc.bot != nil, "imap", svc.watcher != nil, "smtp", svc.sender != nil, "config", cfg.String())
	fmt.Fprintf(e.stderr, "licensedesk is serving on %s (GET /healthz, GET /metrics). Stop with Ctrl-C.\n", ln.Addr())
	if a := l.EmbeddedAddr(); a != "" {
		fmt.Fprintf(e.stderr, "Try it from another shell: LICENSEDESK_REDIS_URL=redis://%s licensedesk exec help\n", a)
	}
	code := exitOK
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			e.log.Error("http", "err", err)
			code = exitInternal
		}
	case <-ctx.Done():
		e.log.Info("shutting down: finishing the work in hand")
	}
	// SIGTERM: stop taking requests, let the parts finish what they hold
	// (the message in hand, the reply being sent, the Slack changes queued).
	shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	_ = srv.Shutdown(shut)
	stopRun()
	wg.Wait()
	return code
}

// inContainer reports whether serve runs in a container: the image says so
// (LICENSEDESK_IN_CONTAINER, set by the Dockerfile), or the runtime left
// its mark.
func inContainer(getenv func(string) string) bool {
	if v, err := strconv.ParseBool(getenv("LICENSEDESK_IN_CONTAINER")); err == nil {
		return v
	}
	for _, p := range []string{"/.dockerenv", "/run/.containerenv"} {
		if _, err := os.Stat(p); err == nil {
			return true
		}
	}
	return false
}
