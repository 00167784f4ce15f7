package bot

// The Slack side of the desk (SPEC §5.1, §5.2): signed HTTP endpoints
// (http.go) and Socket Mode (socket.go), both feeding the same command and
// interaction handlers (dispatch.go, approvals.go), which run Desk (the code
// `licensedesk exec` runs) and answer within Slack's three seconds. Reads
// answer in the acknowledgement when they can; changes are acknowledged at
// once and run in a bounded worker pool (workers.go), their result posted to
// the response_url (respond.go). Background loops post pending requests for
// approval (approvals.go) and the weekly report (weekly.go). This file holds
// the Server itself: its configuration, its construction, Run, and its
// metrics.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/licensedesk/licensedesk/internal/backoff"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/slack-go/slack"
)

// Config configures the Slack bot (SPEC §6.2).
type Config struct {
	// SigningSecret verifies HTTP requests (SLACK_SIGNING_SECRET); without
	// it every HTTP request is refused.
	SigningSecret string
	// BotToken calls the Web API: chat.postMessage, chat.update,
	// views.open (SLACK_BOT_TOKEN).
	BotToken string
	// AppToken turns Socket Mode on (SLACK_APP_TOKEN, "xapp-…").
	AppToken string
	// APIURL is the Web API's base URL (SLACK_API_URL), for tests and
	// proxies; "" is Slack's.
	APIURL string
	// ApprovalChannel receives pending customer requests
	// (LICENSEDESK_APPROVAL_CHANNEL).
	ApprovalChannel string
	// ReportChannel receives the desk-wide report every Monday morning
	// (LICENSEDESK_REPORT_CHANNEL, R-REPORT); "" posts none. Posting needs
	// BotToken.
	ReportChannel string
	// ReportLocation is the desk's timezone: the weekly report is due on
	// Monday at 08:00 there, and its week is the ISO week there. nil is
	// UTC.
	ReportLocation *time.Location
	// MaxBody bounds a request body; 0 is DefaultMaxBody.
	MaxBody int64
}

// String describes the configuration without its secrets.
func (c Config) String() string {
	set := func(s string) string {
		if s == "" {
			return "unset"
		}
		return "set"
	}
	loc := "UTC"
	if c.ReportLocation != nil {
		loc = c.ReportLocation.String()
	}
	return fmt.Sprintf("slack{signing_secret:%s bot_token:%s app_token:%s api_url:%q approval_channel:%q report_channel:%q report_location:%q max_body:%d}",
		set(c.SigningSecret), set(c.BotToken), set(c.AppToken), c.APIURL, c.ApprovalChannel, c.ReportChannel, loc, c.MaxBody)
}

// Tuning that tests change through export_test.go.
const (
	defaultReadDeadline = 2 * time.Second
	defaultApprovalPoll = 5 * time.Second
	defaultWorkers      = 8
	queueSize           = 256
	// jobTimeout bounds one change, its retries and its answer.
	jobTimeout = 2 * time.Minute
)

// Server is the Slack side of the desk. Handler serves the HTTP endpoints;
// Run owns the background work (Socket Mode, the approval poster, the
// workers that run changes), and must be running for changes to be applied.
type Server struct {
	cfg  Config
	desk *Desk
	log  *slog.Logger
	api  *slack.Client // nil without a bot or app token
	resp *responder
	m    *metrics
	view view

	now          func() time.Time
	readDeadline time.Duration
	approvalPoll time.Duration
	reportPoll   time.Duration
	workers      int
	// hold, when set, is called before a queued job ("job") or a read
	// ("read") runs: tests hold work to prove the acknowledgement did not
	// wait for it.
	hold     func(kind string)
	recent   *recentKeys
	instance string
	// reported is the week whose report is known to be posted, and
	// unrecorded a report posted but not recorded yet: the reporter's
	// loop alone touches them (weekly.go).
	reported   string
	unrecorded *weekPost

	busy      atomic.Int64 // queued or running jobs and reads
	mu        sync.Mutex
	accepting bool
	running   bool
	jobs      chan func(context.Context)
	inflight  sync.WaitGroup
}

// NewServer returns the Slack bot of desk. reg receives the bot's metrics
// (nil: a private registry): serve passes the registry its /metrics serves.
func NewServer(cfg Config, desk *Desk, log *slog.Logger, reg prometheus.Registerer) (*Server, error) {
	if desk == nil || desk.Ledger == nil || desk.Renderer == nil {
		return nil, errors.New("bot: NewServer needs a desk")
	}
	if cfg.SigningSecret == "" && cfg.AppToken == "" {
		return nil, errors.New("bot: SLACK_SIGNING_SECRET (HTTP) or SLACK_APP_TOKEN (Socket Mode) is required")
	}
	if cfg.AppToken != "" && !strings.HasPrefix(cfg.AppToken, "xapp-") {
		return nil, errors.New("bot: SLACK_APP_TOKEN must be an app-level token (xapp-…)")
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "slack")
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	var s *Server
	m, err := newMetrics(reg, func() int64 { return s.busy.Load() })
	if err != nil {
		return nil, err
	}
	s = &Server{
		cfg: cfg, desk: desk, log: log, m: m,
		view:         view{r: desk.Renderer, cat: desk.Ledger.Catalog},
		now:          time.Now,
		readDeadline: defaultReadDeadline,
		approvalPoll: defaultApprovalPoll,
		reportPoll:   defaultReportPoll,
		workers:      defaultWorkers,
		recent:       &recentKeys{m: map[string]time.Time{}},
		instance:     instanceID(),
		accepting:    true,
		jobs:         make(chan func(context.Context), queueSize),
	}
	httpc := &http.Client{Timeout: 15 * time.Second}
	var apiHost string
	if cfg.BotToken != "" || cfg.AppToken != "" {
		opts := []slack.Option{slack.OptionHTTPClient(httpc)}
		if cfg.APIURL != "" {
			u := cfg.APIURL
			if !strings.HasSuffix(u, "/") {
				u += "/"
			}
			opts = append(opts, slack.OptionAPIURL(u))
			apiHost = hostname(u)
		}
		if cfg.AppToken != "" {
			opts = append(opts, slack.OptionAppLevelToken(cfg.AppToken))
		}
		s.api = slack.New(cfg.BotToken, opts...)
	}
	s.resp = &responder{
		client: httpc, log: log, m: m, uses: map[string]*urlUse{},
		now:   func() time.Time { return s.now() },
		sleep: backoff.Sleep,
		// A response_url is posted to only on Slack's hosts, or the host of
		// SLACK_API_URL (tests, proxies): a signed request is Slack's, but a
		// leaked secret must not turn the bot into a way to post anywhere.
		allowed: func(u *url.URL) bool {
			h := u.Hostname()
			if apiHost != "" && h == apiHost && (u.Scheme == "http" || u.Scheme == "https") {
				return true
			}
			return u.Scheme == "https" && (h == "slack.com" || strings.HasSuffix(h, ".slack.com") ||
				h == "slack-gov.com" || strings.HasSuffix(h, ".slack-gov.com"))
		},
	}
	if cfg.BotToken != "" {
		s.resp.api = s.api
	}
	return s, nil
}

func hostname(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// Run does the background work until ctx ends: the change workers, the
// approval poster (with a bot token and an approval channel), the weekly
// report (with a bot token and a report channel) and Socket Mode (with an
// app token). When ctx ends it stops taking changes, finishes
// those in flight and returns.
func (s *Server) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.running || !s.accepting {
		s.mu.Unlock()
		return errors.New("bot: Run called twice")
	}
	s.running = true
	s.mu.Unlock()

	var workers, loops sync.WaitGroup
	for i := 0; i < s.workers; i++ {
		workers.Go(func() {
			for job := range s.jobs {
				s.runJob(ctx, job)
			}
		})
	}
	switch {
	case s.cfg.ApprovalChannel == "":
		s.log.Info("no approval channel: pending customer requests are listed by /licenses pending only")
	case s.cfg.BotToken == "":
		s.log.Warn("an approval channel needs SLACK_BOT_TOKEN: pending requests will not be posted")
	default:
		loops.Go(func() { s.poll(ctx, "approval poster", s.approvalPoll, s.pollApprovals) })
	}
	switch {
	case s.cfg.ReportChannel == "":
		s.log.Info("no report channel: the weekly report is not posted")
	case s.cfg.BotToken == "":
		s.log.Warn("a report channel needs SLACK_BOT_TOKEN: the weekly report will not be posted")
	default:
		loops.Go(func() { s.poll(ctx, "weekly report", s.reportPoll, s.postWeeklyReport) })
	}
	if s.cfg.AppToken != "" {
		loops.Go(func() { s.runSocketMode(ctx) })
	}
	<-ctx.Done()
	s.mu.Lock()
	s.accepting = false
	close(s.jobs) // enqueue sends under s.mu, so nothing sends after this
	s.mu.Unlock()
	workers.Wait()
	s.inflight.Wait()
	loops.Wait()
	return nil
}

// metrics of the Slack bot.
type metrics struct {
	commands    *prometheus.CounterVec
	interacts   *prometheus.CounterVec
	sigFailures *prometheus.CounterVec
	responses   *prometheus.CounterVec
	fallbacks   prometheus.Counter
	rateLimited *prometheus.CounterVec
	ack         *prometheus.HistogramVec
	posted      prometheus.Counter
	reports     prometheus.Counter
	socket      *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, busyOf func() int64) (*metrics, error) {
	m := &metrics{
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "licensedesk_slack_commands_total",
			Help: "Slash commands answered, by verb and status."}, []string{"verb", "status"}),
		interacts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "licensedesk_slack_interactions_total",
			Help: "Button clicks and modal submissions, by kind."}, []string{"kind"}),
		sigFailures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "licensedesk_slack_signature_failures_total",
			Help: "HTTP requests refused by the signature check, by reason."}, []string{"reason"}),
		responses: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "licensedesk_slack_responses_total",
			Help: "Answers posted after the acknowledgement, by route and outcome."}, []string{"via", "outcome"}),
		fallbacks: prometheus.NewCounter(prometheus.CounterOpts{Name: "licensedesk_slack_response_url_fallbacks_total",
			Help: "Answers sent through the Web API because the response_url was missing, used up, expired or failing."}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "licensedesk_slack_rate_limited_total",
			Help: "429 answers from Slack that were retried after Retry-After, by API."}, []string{"api"}),
		ack: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "licensedesk_slack_ack_seconds",
			Help:    "Time from receiving a Slack request to acknowledging it.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2, 3}}, []string{"transport", "kind"}),
		posted: prometheus.NewCounter(prometheus.CounterOpts{Name: "licensedesk_slack_approvals_posted_total",
			Help: "Pending customer requests posted to the approval channel."}),
		reports: prometheus.NewCounter(prometheus.CounterOpts{Name: "licensedesk_slack_reports_posted_total",
			Help: "Weekly desk-wide reports posted to the report channel."}),
		socket: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "licensedesk_slack_socket_events_total",
			Help: "Socket Mode connection events, by type."}, []string{"type"}),
	}
	busy := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "licensedesk_slack_busy",
		Help: "Changes queued or running, and reads or answers in flight."}, func() float64 { return float64(busyOf()) })
	for _, c := range []prometheus.Collector{busy, m.commands, m.interacts, m.sigFailures, m.responses, m.fallbacks, m.rateLimited, m.ack, m.posted, m.reports, m.socket} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("bot: register metrics: %w", err)
		}
	}
	return m, nil
}
