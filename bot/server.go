package bot

// The Slack transports (SPEC §5.1, §5.2): signed HTTP endpoints and Socket
// Mode, both feeding the same command and interaction handlers, which run
// Desk (the code `licensedesk exec` runs) and answer within Slack's three
// seconds. Reads answer in the acknowledgement when they can; changes are
// acknowledged at once and run in a bounded worker pool, their result
// posted to the response_url.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/licensedesk/licensedesk/ledger"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/slack-go/slack"
)

// DefaultMaxBody bounds a Slack request body. A slash command naming the
// 1,000 users one command may hold (R-ASSIGN) is about 40 KiB once
// form-encoded, and a button click echoes our approval message (a few KiB);
// 128 KiB leaves room for both and still bounds what a stranger can make
// us read before the signature is checked.
const DefaultMaxBody = 128 << 10

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
	return fmt.Sprintf("slack{signing_secret:%s bot_token:%s app_token:%s api_url:%q approval_channel:%q max_body:%d}",
		set(c.SigningSecret), set(c.BotToken), set(c.AppToken), c.APIURL, c.ApprovalChannel, c.MaxBody)
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
	gath prometheus.Gatherer
	view view

	now          func() time.Time
	readDeadline time.Duration
	approvalPoll time.Duration
	workers      int
	// hold, when set, is called before a queued job ("job") or a read
	// ("read") runs: tests hold work to prove the acknowledgement did not
	// wait for it.
	hold     func(kind string)
	recent   *recentKeys
	instance string

	busy      atomic.Int64 // queued or running jobs and reads
	mu        sync.Mutex
	accepting bool
	running   bool
	jobs      chan func(context.Context)
	inflight  sync.WaitGroup
}

// NewServer returns the Slack bot of desk. reg receives the metrics (nil: a
// private registry); /metrics serves reg when it is also a Gatherer.
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
	var gath prometheus.Gatherer = prometheus.DefaultGatherer
	if reg == nil {
		r := prometheus.NewRegistry()
		reg, gath = r, r
	} else if g, ok := reg.(prometheus.Gatherer); ok {
		gath = g
	}
	var s *Server
	m, err := newMetrics(reg, func() int64 { return s.busy.Load() })
	if err != nil {
		return nil, err
	}
	s = &Server{
		cfg: cfg, desk: desk, log: log, m: m, gath: gath,
		view:         view{r: desk.Renderer, cat: desk.Ledger.Catalog},
		now:          time.Now,
		readDeadline: defaultReadDeadline,
		approvalPoll: defaultApprovalPoll,
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
		sleep: sleepCtx,
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

// Handler serves POST /slack/commands, POST /slack/interactive,
// GET /metrics and GET /healthz.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /slack/commands", s.serveCommand)
	mux.HandleFunc("POST /slack/interactive", s.serveInteractive)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.gath, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if err := s.desk.Ledger.Ping(r.Context()); err != nil {
			http.Error(w, "store unavailable", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	return mux
}

// Run does the background work until ctx ends: the change workers, the
// approval poster (with a bot token and an approval channel) and Socket
// Mode (with an app token). When ctx ends it stops taking changes, finishes
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
		loops.Go(func() { s.loop(ctx, "approval poster", s.approvalPoll, s.pollApprovals) })
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

// runJob runs one queued job with its own deadline: a change that started
// is finished even while the server stops.
func (s *Server) runJob(ctx context.Context, job func(context.Context)) {
	defer s.busy.Add(-1)
	jctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), jobTimeout)
	defer cancel()
	defer s.recoverPanic("job")
	if s.hold != nil {
		s.hold("job")
	}
	job(jctx)
}

// enqueue hands a job to the workers; false when the queue is full or the
// server is stopping.
func (s *Server) enqueue(job func(context.Context)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.accepting {
		return false
	}
	s.busy.Add(1)
	select {
	case s.jobs <- job:
		return true
	default:
		s.busy.Add(-1)
		return false
	}
}

// spawn runs f in a goroutine that Run waits for; false when stopping.
func (s *Server) spawn(name string, f func(context.Context)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.accepting {
		return false
	}
	s.inflight.Add(1)
	s.busy.Add(1)
	go func() {
		defer s.inflight.Done()
		defer s.busy.Add(-1)
		defer s.recoverPanic(name)
		ctx, cancel := context.WithTimeout(context.Background(), jobTimeout)
		defer cancel()
		f(ctx)
	}()
	return true
}

// answerPanic tells the user when their command crashed, instead of
// leaving them waiting, then lets the panic go on to be logged.
func (s *Server) answerPanic(ctx context.Context, t target) {
	if r := recover(); r != nil {
		if err := s.resp.send(ctx, t, crashed()); err != nil {
			s.log.Warn("answer not delivered", "err", err)
		}
		panic(r)
	}
}

func (s *Server) recoverPanic(what string) {
	if r := recover(); r != nil {
		s.log.Error("panic recovered", "in", what, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	}
}

// loop runs step now and then every interval until ctx ends, backing off
// after failures and recovering panics.
func (s *Server) loop(ctx context.Context, name string, every time.Duration, step func(context.Context) error) {
	failures := 0
	for {
		err := func() (err error) {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
				}
			}()
			return step(ctx)
		}()
		wait := every
		if err != nil && ctx.Err() == nil {
			failures++
			wait = max(every, min(time.Second<<min(failures, 6), time.Minute))
			s.log.Warn(name+" failed", "err", err, "retry_in", wait)
		} else {
			failures = 0
		}
		if sleepCtx(ctx, wait) != nil {
			return
		}
	}
}

// readVerified reads a bounded body and checks its signature. On failure
// it answers 401 and returns false: nothing else happens. With sslCheck it
// also answers Slack's certificate check itself (and returns false).
func (s *Server) readVerified(w http.ResponseWriter, r *http.Request, endpoint string, sslCheck bool) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			err = ErrTooLarge
		}
		s.refuse(w, r, endpoint, err)
		return nil, false
	}
	if sslCheck && isSSLCheck(body) {
		w.WriteHeader(http.StatusOK)
		return nil, false
	}
	if err := Verify(s.cfg.SigningSecret, r.Header, body, s.now()); err != nil {
		s.refuse(w, r, endpoint, err)
		return nil, false
	}
	return body, true
}

func (s *Server) refuse(w http.ResponseWriter, r *http.Request, endpoint string, err error) {
	reason := failureReason(err)
	s.m.sigFailures.WithLabelValues(reason).Inc()
	s.log.Warn("request refused", "endpoint", endpoint, "reason", reason, "remote", r.RemoteAddr)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	io.WriteString(w, `{"error":"invalid request"}`)
}

// isSSLCheck reports Slack's periodic certificate check of a slash
// command URL. It touches nothing and is answered 200 whatever its
// signature, as Slack's own SDKs do.
func isSSLCheck(body []byte) bool {
	if !bytes.Contains(body, []byte("ssl_check=")) {
		return false
	}
	v, err := url.ParseQuery(string(body))
	return err == nil && v.Get("ssl_check") == "1"
}

func (s *Server) serveCommand(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	body, ok := s.readVerified(w, r, "commands", true)
	if !ok {
		return
	}
	sc, err := slack.SlashCommandParse(formRequest(body))
	if err != nil {
		http.Error(w, "malformed form", http.StatusBadRequest)
		return
	}
	retry, _ := strconv.Atoi(r.Header.Get("X-Slack-Retry-Num"))
	msg := s.command(sc, retry)
	writeJSON(w, msg)
	s.m.ack.WithLabelValues("http", "command").Observe(time.Since(start).Seconds())
}

func (s *Server) serveInteractive(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	body, ok := s.readVerified(w, r, "interactive", false)
	if !ok {
		return
	}
	cb, err := slack.InteractionCallbackParse(formRequest(body))
	if err != nil {
		http.Error(w, "malformed payload", http.StatusBadRequest)
		return
	}
	if ack := s.interaction(cb); ack != nil {
		writeJSON(w, ack)
	} else {
		w.WriteHeader(http.StatusOK)
	}
	s.m.ack.WithLabelValues("http", "interaction").Observe(time.Since(start).Seconds())
}

// formRequest wraps a verified body so slack-go's form parsers can read it.
func formRequest(body []byte) *http.Request {
	return &http.Request{
		Method: http.MethodPost,
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
		Body:   io.NopCloser(bytes.NewReader(body)),
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(b)
}

// callerOf is who runs a slash command.
func callerOf(sc slack.SlashCommand) Caller {
	return Caller{SlackUser: sc.UserID, Origin: ledger.Origin{
		Channel: ledger.ChannelSlack, Team: sc.TeamID, SlackChan: sc.ChannelID,
		SlackUser: sc.UserID, ResponseURL: sc.ResponseURL,
	}}
}

// idempotencyKey names one invocation of a command: a retry of it carries
// the same trigger_id, a second invocation a new one (R-IDEMPOTENT).
func idempotencyKey(sc slack.SlashCommand) string {
	if sc.TriggerID != "" {
		return "slack:" + sc.TeamID + ":" + sc.TriggerID
	}
	sum := sha256.Sum256([]byte(strings.Join([]string{sc.TeamID, sc.ChannelID, sc.UserID, sc.Text, sc.ResponseURL}, "\x00")))
	return "slack:" + hex.EncodeToString(sum[:16])
}

// verbLabel bounds the verb label of the metrics to the verb table.
func verbLabel(cmd *Command) string {
	if cmd == nil || lookupVerb(cmd.Verb) == nil {
		return "unknown"
	}
	return cmd.Verb
}

// changeVerb reports whether a command may change the ledger, from its
// first word alone: changes run in the workers, never in the
// acknowledgement, and deciding that needs no parse (a malformed change is
// answered by the worker like any other).
func changeVerb(text string) (string, bool) {
	verb, _, _ := strings.Cut(strings.TrimSpace(text), " ")
	verb = strings.ToLower(strings.TrimSpace(verb))
	switch verb {
	case "approve", "reject", "undo", "grant", "revoke":
		return verb, true
	}
	if v := lookupVerb(verb); v != nil && v.Change {
		return verb, true
	}
	return "unknown", false
}

// command handles a slash command from either transport and returns the
// acknowledgement. It never waits longer than the read deadline.
func (s *Server) command(sc slack.SlashCommand, retry int) message {
	who := callerOf(sc)
	t := target{ResponseURL: sc.ResponseURL, Issued: s.now(), Channel: sc.ChannelID, User: sc.UserID}
	verb, change := changeVerb(sc.Text)
	if !change {
		return s.read(sc.Text, who, t)
	}
	key := idempotencyKey(sc)
	if !s.recent.add(key, s.now()) {
		// A Slack retry of a command already taken: the first run answers.
		s.log.Info("retry of a command already taken", "retry", retry, "verb", verb)
		return notice("⏳ Already working on it: the result follows here.")
	}
	ok := s.enqueue(func(ctx context.Context) { s.runChange(ctx, sc.Text, who, key, t) })
	if !ok {
		s.recent.forget(key)
		s.m.commands.WithLabelValues(verb, "busy").Inc()
		return notice("The desk is busy or restarting and did not take " + code(sc.Text) + ". Nothing changed: try again in a moment.")
	}
	return working(sc.Text)
}

// read runs a read in the acknowledgement when it answers within the
// deadline; otherwise the acknowledgement says so and the answer follows
// through the response_url.
func (s *Server) read(text string, who Caller, t target) message {
	type outcome struct {
		rep Reply
		err error
	}
	done := make(chan outcome, 1)
	var mu sync.Mutex
	late := false
	started := s.spawn("read", func(ctx context.Context) {
		if s.hold != nil {
			s.hold("read")
		}
		rep, err := s.run(ctx, text, who, Options{})
		s.count(rep, err)
		mu.Lock()
		if !late {
			done <- outcome{rep, err}
			mu.Unlock()
			return
		}
		mu.Unlock()
		if err := s.resp.send(ctx, t, s.render(rep, err)); err != nil {
			s.log.Warn("late answer not delivered", "err", err)
		}
	})
	if !started {
		return notice("The desk is restarting: try again in a moment.")
	}
	timer := time.NewTimer(s.readDeadline)
	defer timer.Stop()
	select {
	case o := <-done:
		return s.render(o.rep, o.err)
	case <-timer.C:
		mu.Lock()
		defer mu.Unlock()
		select {
		case o := <-done:
			return s.render(o.rep, o.err)
		default:
			late = true
			return working(text)
		}
	}
}

// runChange runs a change in a worker and posts its answer. A fault (the
// store did not answer) is retried with the same idempotency key, so a
// change that did commit is not applied twice.
func (s *Server) runChange(ctx context.Context, text string, who Caller, key string, t target) {
	defer s.answerPanic(ctx, t)
	var rep Reply
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		rep, err = s.run(ctx, text, who, Options{IdempotencyKey: key})
		if err == nil || ctx.Err() != nil || errors.Is(err, errCrashed) {
			break
		}
		s.log.Warn("change failed, retrying", "attempt", attempt+1, "err", err)
		if sleepCtx(ctx, backoffFor(attempt)) != nil {
			break
		}
	}
	s.count(rep, err)
	if err := s.resp.send(ctx, t, s.render(rep, err)); err != nil {
		s.log.Warn("answer not delivered", "err", err)
	}
	// An approval decided by command updates the approval message too.
	if err == nil && rep.Command != nil && (rep.Command.Verb == "approve" || rep.Command.Verb == "reject") &&
		rep.Result != nil && rep.Result.Decision != nil && !hasCode(*rep.Result, ledger.AlreadyDecided) {
		s.finalizeApproval(ctx, rep.Command.RequestID, rep.Result, "", "")
	}
}

// errCrashed marks a command that panicked: what it did is uncertain, so
// it is neither retried nor reported as a plain fault.
var errCrashed = errors.New("bot: command crashed")

// run runs a command on the desk, turning a panic into errCrashed.
func (s *Server) run(ctx context.Context, text string, who Caller, opt Options) (rep Reply, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("command crashed", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			rep, err = Reply{}, errCrashed
		}
	}()
	return s.desk.Run(ctx, text, who, opt)
}

func (s *Server) count(rep Reply, err error) {
	status := string(rep.Status)
	if err != nil {
		status = "error"
	}
	if rep.Usage != nil {
		status = "usage"
	}
	s.m.commands.WithLabelValues(verbLabel(rep.Command), status).Inc()
}

// render turns a reply (or a fault) into a message.
func (s *Server) render(rep Reply, err error) message {
	if errors.Is(err, errCrashed) {
		return crashed()
	}
	if err != nil {
		s.log.Error("command failed", "err", err)
		return fault()
	}
	return s.view.reply(rep)
}

func hasCode(res ledger.Result, code ledger.Code) bool {
	for _, e := range res.Errors {
		if e.Code == code {
			return true
		}
	}
	return false
}

// recentKeys remembers the commands taken lately, so that a Slack retry
// arriving while the first run is still going is not queued twice. The
// ledger's idempotency key is what guarantees a single apply; this only
// spares a second answer.
type recentKeys struct {
	mu sync.Mutex
	m  map[string]time.Time
}

const recentTTL = 10 * time.Minute

// add records key; false when it was recorded within the TTL.
func (r *recentKeys) add(key string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if at, ok := r.m[key]; ok && now.Sub(at) < recentTTL {
		return false
	}
	if len(r.m) >= 10000 {
		for k, at := range r.m {
			if now.Sub(at) >= recentTTL {
				delete(r.m, k)
			}
		}
		if len(r.m) >= 10000 {
			clear(r.m) // a flood: forget, the ledger still refuses a second apply
		}
	}
	r.m[key] = now
	return true
}

func (r *recentKeys) forget(key string) {
	r.mu.Lock()
	delete(r.m, key)
	r.mu.Unlock()
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
		socket: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "licensedesk_slack_socket_events_total",
			Help: "Socket Mode connection events, by type."}, []string{"type"}),
	}
	busy := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "licensedesk_slack_busy",
		Help: "Changes queued or running, and reads or answers in flight."}, func() float64 { return float64(busyOf()) })
	for _, c := range []prometheus.Collector{busy, m.commands, m.interacts, m.sigFailures, m.responses, m.fallbacks, m.rateLimited, m.ack, m.posted, m.socket} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("bot: register metrics: %w", err)
		}
	}
	return m, nil
}
