// Command licensedesk runs the licence desk: the Slack bot, the mail intake
// and the ledger, and the command-line tools around them (SPEC §6).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/licensedesk/licensedesk/bot"
	"github.com/licensedesk/licensedesk/ledger"
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)) }

const usage = `licensedesk — a licence desk for Microsoft 365 resellers

Usage:
  licensedesk demo                                  the whole service on embedded parts, with sample mails
  licensedesk serve [--config FILE] [--seed FILE]   run the service (Slack bot, mail intake, sweeper, /healthz, /metrics)
  licensedesk healthcheck [--url URL]               exit 0 when serve answers GET /healthz (a container's HEALTHCHECK)
  licensedesk exec [--as SLACK_USER] [--json] [--idempotency-key K] "<command>"
                                                    run one /licenses command (try: exec help)
  licensedesk mail ingest [--dry-run] [--json] [--raw] FILE|-
                                                    run one email through the mail pipeline, print the reply
  licensedesk ledger import [--replace] FILE|-      seed the desk from YAML or JSON (SPEC §6.1); a tenant
                                                    that exists is refused unless --replace
  licensedesk ledger export [--json]                dump the desk in the seed format
  licensedesk ledger check [--full] [--json]        verify the invariants and replay the history
  licensedesk ledger sweep [--json]                 run the subscription lifecycle now
  licensedesk bench ledger [--clients N] [--duration D] [--json]
                                                    measure seat changes per second on the store
  licensedesk bench growth [--requests N] [--step D] [--json]
                                                    memory and latency per request as one subscription's history grows
  licensedesk bench scale [--tenants N] [--users N] [--requests N] [--keep] [--json]
                                                    show, conflicts, sweep, export and check on a generated desk
  licensedesk bench mail [--duration D] [--json]    measure mail understanding, raw bytes to request
  licensedesk bench slack [--clients N] [--rounds R] [--json]
                                                    measure Slack acknowledgements at N concurrent commands

Every command but serve needs LICENSEDESK_REDIS_URL (redis://host:6379/0, rediss://…, or
host:port,host:port,… for Redis Cluster). A --config FILE, or LICENSEDESK_CONFIG, holds the
other settings; environment variables win over the file.
`

// exit codes of SPEC §6.
const (
	exitOK       = 0
	exitRefused  = 1
	exitUsage    = 2
	exitInternal = 3
	// exitTempFail is EX_TEMPFAIL (sysexits.h): mail ingest could not reach
	// the store, and an MTA that pipes mail to it retries later (SPEC §6).
	exitTempFail = 75
)

// env bundles what a subcommand needs from the process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	log            *slog.Logger
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	// One-shot commands print their answer; their logs are for trouble only.
	level := logLevel(getenv("LICENSEDESK_LOG_LEVEL"), args[0] == "serve")
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv,
		log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch args[0] {
	case "exec":
		return e.exec(ctx, args[1:])
	case "ledger":
		return e.ledgerCmd(ctx, args[1:])
	case "bench":
		return e.bench(ctx, args[1:])
	case "mail":
		return e.mail(ctx, args[1:])
	case "serve":
		return e.serve(ctx, args[1:])
	case "demo":
		return e.demo(ctx, args[1:])
	case "healthcheck":
		return e.healthcheck(ctx, args[1:])
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "licensedesk: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

func logLevel(s string, service bool) slog.Level {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug
	case "info":
		return slog.LevelInfo
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	if service {
		return slog.LevelInfo
	}
	return slog.LevelWarn
}

func (e *env) config(path string) (*Config, error) {
	if path == "" {
		path = e.getenv("LICENSEDESK_CONFIG")
	}
	return LoadConfig(path, e.getenv)
}

// openLedger opens the configured store; commands other than serve and
// demo refuse to run without one.
func (e *env) openLedger(ctx context.Context, cfg *Config) (*ledger.Ledger, func(), error) {
	l, err := ledger.Open(ctx, cfg.RedisURL, ledger.SystemClock{}, e.log)
	if err != nil {
		return nil, nil, err
	}
	return l, l.Close, nil
}

// configuredLedger loads the configuration and opens the store it names:
// what every one-shot command starts with. On failure it returns the exit
// code, having said why.
func (e *env) configuredLedger(ctx context.Context, cfgPath string) (*Config, *ledger.Ledger, func(), int) {
	cfg, err := e.config(cfgPath)
	if err != nil {
		return nil, nil, nil, e.fail(&configError{err})
	}
	l, closer, err := e.openLedger(ctx, cfg)
	if err != nil {
		return nil, nil, nil, e.fail(err)
	}
	return cfg, l, closer, exitOK
}

func (e *env) fail(err error) int {
	fmt.Fprintf(e.stderr, "licensedesk: %v\n", err)
	if errors.Is(err, ledger.ErrNoStore) || errors.Is(err, ledger.ErrBadStoreURL) || errors.Is(err, errUsage) {
		return exitUsage
	}
	var cfgErr *configError
	if errors.As(err, &cfgErr) {
		return exitUsage
	}
	return exitInternal
}

var errUsage = errors.New("usage")

type configError struct{ err error }

func (c *configError) Error() string { return c.err.Error() }
func (c *configError) Unwrap() error { return c.err }

// outcomeObject is the outcome object of SPEC §6, which exec and mail
// ingest print with --json.
type outcomeObject struct {
	RequestID string            `json:"request_id"`
	Status    ledger.Status     `json:"status"`
	Tenant    string            `json:"tenant"`
	Ops       []ledger.OpResult `json:"ops"`
	Errors    []ledger.Error    `json:"errors"`
	Reply     string            `json:"reply"`
}

// printJSON prints v as indented JSON: the outcome objects a person or a
// script reads.
func (e *env) printJSON(v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// withLists returns o with empty lists for nil ones: SPEC §6 prints []
// where there is nothing, never null.
func (o outcomeObject) withLists() outcomeObject {
	if o.Ops == nil {
		o.Ops = []ledger.OpResult{}
	}
	if o.Errors == nil {
		o.Errors = []ledger.Error{}
	}
	return o
}

// execOutput is the JSON of exec (SPEC §6).
type execOutput struct {
	outcomeObject
	Data   any    `json:"data,omitempty"`
	Undoes string `json:"undoes,omitempty"`
}

func (e *env) exec(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("exec", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	as := fs.String("as", "", "run as this Slack user id (roles from the ledger); without it, as the operator")
	asJSON := fs.Bool("json", false, "print the outcome as JSON")
	key := fs.String("idempotency-key", "", "apply at most once for this key")
	cfgPath := fs.String("config", "", "configuration file")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	text := joinArgs(fs.Args())
	if strings.TrimSpace(text) == "" {
		fmt.Fprintln(e.stderr, `licensedesk exec: give the command text, e.g. licensedesk exec "show contoso"`)
		return exitUsage
	}
	var l *ledger.Ledger
	if verb := bot.VerbOf(text); verb == "help" || verb == "whoami" {
		// Neither needs the store (help never reads it; whoami says when
		// the roles cannot be read): both work while it is down.
		cfg, err := e.config(*cfgPath)
		if err != nil {
			return e.fail(&configError{err})
		}
		if l, err = ledger.Dial(cfg.RedisURL, ledger.SystemClock{}, e.log); err != nil {
			return e.fail(err)
		}
		defer l.Close()
	} else {
		var closer func()
		var code int
		_, l, closer, code = e.configuredLedger(ctx, *cfgPath)
		if closer == nil {
			return code
		}
		defer closer()
	}
	desk, err := bot.NewDesk(l)
	if err != nil {
		return e.fail(err)
	}
	who := bot.Caller{Operator: *as == "", SlackUser: *as, Origin: ledger.Origin{Channel: ledger.ChannelCLI}}
	if *as != "" {
		who.Origin.SlackUser = *as
	}
	rep, err := desk.Run(ctx, text, who, bot.Options{IdempotencyKey: *key})
	if err != nil {
		return e.fail(err)
	}
	if *asJSON {
		out := execOutput{outcomeObject: outcomeObject{Status: rep.Status, Reply: rep.Text}}
		switch {
		case rep.Result != nil:
			r := rep.Result
			out.RequestID, out.Tenant, out.Undoes = r.RequestID, r.Tenant, r.Undoes
			out.Ops, out.Errors = r.Ops, r.Errors
		case rep.Usage != nil:
			code := rep.Usage.Code
			if code == "" {
				code = ledger.InvalidRequest
			}
			out.Errors = []ledger.Error{{Code: code, Message: rep.Usage.Message}}
		default:
			out.Errors = rep.Errors
			out.Data = rep.Data
			if rep.Command != nil {
				out.Tenant = rep.Command.Tenant
			}
		}
		out.outcomeObject = out.withLists()
		if err := e.printJSON(out); err != nil {
			return e.fail(err)
		}
	} else {
		w := e.stdout
		if rep.Usage != nil {
			w = e.stderr
		}
		// A terminal's prompt must not start on the reply's last line.
		if text := rep.Text; text != "" && !strings.HasSuffix(text, "\n") {
			fmt.Fprintln(w, text)
		} else {
			fmt.Fprint(w, text)
		}
	}
	return rep.ExitCode()
}

// joinArgs rebuilds the command text from shell words, quoting the ones
// that held spaces so that "Business Premium" stays one product.
func joinArgs(args []string) string {
	if len(args) == 1 {
		return args[0]
	}
	parts := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " \t") && !strings.ContainsAny(a, `"`) {
			a = `"` + a + `"`
		}
		parts[i] = a
	}
	return strings.Join(parts, " ")
}
