package bot_test

// The test harness of the Slack transports: a desk on a real redis-server
// seeded from ledger/testdata/seed.yaml, the bot behind a real HTTP server,
// slack-go's slacktest for the Web API and Socket Mode (with the routes it
// lacks: chat.update, views.open), and a response_url server. Requests are
// signed for real; nothing is mocked inside the bot.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licensedesk/licensedesk/bot"
	"github.com/licensedesk/licensedesk/internal/testredis"
	"github.com/licensedesk/licensedesk/ledger"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/slack-go/slack/slacktest"
)

const testSecret = "test-signing-secret"

// seededDesk is a desk on a fresh redis-server, seeded, with the clock at
// 2026-11-20T12:00:00Z.
func seededDesk(tb testing.TB) *bot.Desk {
	tb.Helper()
	rdb := testredis.New(tb)
	l := ledger.New(rdb, nil, ledger.NewManualClock(time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)), nil)
	if err := l.ImportFile(context.Background(), "../ledger/testdata/seed.yaml"); err != nil {
		tb.Fatalf("seed: %v", err)
	}
	d, err := bot.NewDesk(l)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// apiCall is one Web API call the fake Slack received.
type apiCall struct {
	Method string
	Form   url.Values
	Body   []byte
}

// fakeSlack is slacktest's server with recording routes for the methods the
// bot calls, and injectable failures.
type fakeSlack struct {
	tb  testing.TB
	srv *slacktest.Server

	mu    sync.Mutex
	calls []apiCall
	fail  map[string][]failure // method → failures to answer, in order
	acks  []map[string]any     // Socket Mode messages the bot sent
	ts    atomic.Int64
}

type failure struct {
	status     int
	retryAfter string
	body       string
}

func newFakeSlack(tb testing.TB) *fakeSlack {
	tb.Helper()
	f := &fakeSlack{tb: tb, fail: map[string][]failure{}}
	f.ts.Store(1763640000)
	f.srv = slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", f.route("chat.postMessage", func(form url.Values, ts string) string {
			return fmt.Sprintf(`{"ok":true,"channel":%q,"ts":%q}`, form.Get("channel"), ts)
		}))
		c.Handle("/chat.postEphemeral", f.route("chat.postEphemeral", func(form url.Values, ts string) string {
			return fmt.Sprintf(`{"ok":true,"message_ts":%q}`, ts)
		}))
		// slacktest lacks chat.update and views.open.
		c.Handle("/chat.update", f.route("chat.update", func(form url.Values, _ string) string {
			return fmt.Sprintf(`{"ok":true,"channel":%q,"ts":%q,"text":%q}`, form.Get("channel"), form.Get("ts"), form.Get("text"))
		}))
		c.Handle("/views.open", f.route("views.open", func(url.Values, string) string {
			return `{"ok":true,"view":{"id":"V0MODAL"}}`
		}))
	})
	f.srv.Start()
	tb.Cleanup(f.srv.Stop)
	// slacktest hands every message the bot writes on the socket to an
	// unbuffered feed and blocks until someone reads it.
	go func() {
		for m := range f.srv.SeenFeed {
			var v map[string]any
			if json.Unmarshal([]byte(m), &v) == nil {
				f.mu.Lock()
				f.acks = append(f.acks, v)
				f.mu.Unlock()
			}
		}
	}()
	return f
}

func (f *fakeSlack) route(method string, ok func(url.Values, string) string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		f.mu.Lock()
		f.calls = append(f.calls, apiCall{Method: method, Form: form, Body: body})
		var fl *failure
		if q := f.fail[method]; len(q) > 0 {
			fl, f.fail[method] = &q[0], q[1:]
		}
		f.mu.Unlock()
		f.tb.Logf("fake slack: %s channel=%s", method, form.Get("channel"))
		w.Header().Set("Content-Type", "application/json")
		if fl != nil {
			if fl.retryAfter != "" {
				w.Header().Set("Retry-After", fl.retryAfter)
			}
			w.WriteHeader(fl.status)
			io.WriteString(w, fl.body)
			return
		}
		io.WriteString(w, ok(form, strconv.FormatInt(f.ts.Add(1), 10)+".000100"))
	}
}

// failNext makes the next calls of method fail as given.
func (f *fakeSlack) failNext(method string, fs ...failure) {
	f.mu.Lock()
	f.fail[method] = append(f.fail[method], fs...)
	f.mu.Unlock()
}

// callsOf returns the calls of a method so far.
func (f *fakeSlack) callsOf(method string) []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// waitCalls waits until method was called at least n times.
func (f *fakeSlack) waitCalls(method string, n int) []apiCall {
	f.tb.Helper()
	var got []apiCall
	eventually(f.tb, fmt.Sprintf("%d calls of %s", n, method), func() bool {
		got = f.callsOf(method)
		return len(got) >= n
	})
	return got
}

// waitAck waits for the Socket Mode acknowledgement of an envelope.
func (f *fakeSlack) waitAck(envelope string) map[string]any {
	f.tb.Helper()
	var ack map[string]any
	eventually(f.tb, "acknowledgement of "+envelope, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, a := range f.acks {
			if a["envelope_id"] == envelope {
				ack = a
				return true
			}
		}
		return false
	})
	return ack
}

// hookPost is one post to the response_url server.
type hookPost struct {
	Path string
	Msg  map[string]any
	Raw  string
}

// hooks is the response_url server: it records posts and answers them as
// told (by default 200 "ok").
type hooks struct {
	tb  testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	posts    []hookPost
	attempts int
	script   []failure // answered in order, then 200
}

func newHooks(tb testing.TB) *hooks {
	h := &hooks{tb: tb}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.attempts++
		var fl *failure
		if len(h.script) > 0 {
			fl, h.script = &h.script[0], h.script[1:]
		}
		if fl == nil {
			var m map[string]any
			_ = json.Unmarshal(body, &m)
			h.posts = append(h.posts, hookPost{Path: r.URL.Path, Msg: m, Raw: string(body)})
		}
		h.mu.Unlock()
		if fl != nil {
			if fl.retryAfter != "" {
				w.Header().Set("Retry-After", fl.retryAfter)
			}
			w.WriteHeader(fl.status)
			io.WriteString(w, fl.body)
			return
		}
		io.WriteString(w, "ok")
	}))
	tb.Cleanup(h.srv.Close)
	return h
}

func (h *hooks) answer(fs ...failure) {
	h.mu.Lock()
	h.script = append(h.script, fs...)
	h.mu.Unlock()
}

func (h *hooks) all() []hookPost {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookPost(nil), h.posts...)
}

func (h *hooks) attemptCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.attempts
}

// waitPost waits for a post to path.
func (h *hooks) waitPost(path string) hookPost {
	h.tb.Helper()
	var got hookPost
	eventually(h.tb, "a post to the response_url "+path, func() bool {
		for _, p := range h.all() {
			if p.Path == path {
				got = p
				return true
			}
		}
		return false
	})
	return got
}

// syncBuffer collects log lines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// clock is a wall clock that tests can move forward.
type clock struct{ offset atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) advance(d time.Duration) { c.offset.Add(int64(d)) }

// sleeps records the waits the bot asked for, without waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// harness is one running bot.
type harness struct {
	tb     testing.TB
	desk   *bot.Desk
	srv    *bot.Server
	http   *httptest.Server
	slack  *fakeSlack
	hooks  *hooks
	reg    *prometheus.Registry
	logs   *syncBuffer
	clock  *clock
	sleeps *sleeps
	cfg    bot.Config
	seq    atomic.Int64
}

type options struct {
	cfg   []func(*bot.Config)
	desk  *bot.Desk
	srv   []func(*bot.Server)
	slack []func(*fakeSlack)
}

type option func(*options)

func withConfig(f func(*bot.Config)) option {
	return func(o *options) { o.cfg = append(o.cfg, f) }
}

func withDesk(d *bot.Desk) option { return func(o *options) { o.desk = d } }

func withServer(f func(*bot.Server)) option {
	return func(o *options) { o.srv = append(o.srv, f) }
}

// withSlack prepares the fake Slack before the bot starts.
func withSlack(f func(*fakeSlack)) option {
	return func(o *options) { o.slack = append(o.slack, f) }
}

func withHold(hold func(string)) option {
	return withServer(func(s *bot.Server) { bot.SetHold(s, hold) })
}

func newHarness(tb testing.TB, opts ...option) *harness {
	tb.Helper()
	var o options
	for _, f := range opts {
		f(&o)
	}
	h := &harness{tb: tb, desk: o.desk, reg: prometheus.NewRegistry(), logs: &syncBuffer{}, clock: &clock{}, sleeps: &sleeps{}}
	if h.desk == nil {
		h.desk = seededDesk(tb)
	}
	h.slack = newFakeSlack(tb)
	for _, f := range o.slack {
		f(h.slack)
	}
	h.hooks = newHooks(tb)
	cfg := bot.Config{SigningSecret: testSecret, BotToken: "xoxb-test", APIURL: h.slack.srv.GetAPIURL(), ApprovalChannel: "C0APPROVE"}
	for _, f := range o.cfg {
		f(&cfg)
	}
	h.cfg = cfg
	log := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := bot.NewServer(cfg, h.desk, log, h.reg)
	if err != nil {
		tb.Fatal(err)
	}
	h.srv = srv
	bot.SetClock(srv, h.clock.now)
	bot.SetSleep(srv, h.sleeps.sleep)
	bot.SetApprovalPoll(srv, 20*time.Millisecond)
	for _, f := range o.srv {
		f(srv)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("Run: %v", err)
		}
		if tb.Failed() {
			tb.Logf("bot log:\n%s", h.logs.String())
		}
	})
	h.http = httptest.NewServer(srv.Handler())
	tb.Cleanup(h.http.Close)
	return h
}

// responseURL is a fresh response_url on the hooks server.
func (h *harness) responseURL() string {
	return fmt.Sprintf("%s/commands/T0TEAM/%d/secret", h.hooks.srv.URL, h.seq.Add(1))
}

// slash is the form of a slash command by user.
func (h *harness) slash(user, text string) url.Values {
	n := h.seq.Add(1)
	return url.Values{
		"token": {"legacy-token"}, "team_id": {"T0TEAM"}, "team_domain": {"desk"},
		"channel_id": {"C0DESK"}, "channel_name": {"licences"}, "user_id": {user}, "user_name": {strings.ToLower(user)},
		"command": {"/licenses"}, "text": {text}, "api_app_id": {"A0APP"},
		"response_url": {fmt.Sprintf("%s/commands/T0TEAM/%d/secret", h.hooks.srv.URL, n)},
		"trigger_id":   {fmt.Sprintf("%d.1.trigger", n)},
	}
}

// signedRequest builds a request signed with the test secret at the
// harness clock's time.
func (h *harness) signedRequest(path string, body []byte) *http.Request {
	h.tb.Helper()
	req, err := http.NewRequest(http.MethodPost, h.http.URL+path, bytes.NewReader(body))
	if err != nil {
		h.tb.Fatal(err)
	}
	ts := strconv.FormatInt(h.clock.now().Unix(), 10)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(bot.TimestampHeader, ts)
	req.Header.Set(bot.SignatureHeader, bot.Sign(testSecret, ts, body))
	return req
}

// do sends a request and returns the status and body.
func (h *harness) do(req *http.Request) (int, []byte) {
	h.tb.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// command runs a signed slash command and decodes the acknowledgement.
func (h *harness) command(form url.Values) map[string]any {
	h.tb.Helper()
	status, body := h.do(h.signedRequest("/slack/commands", []byte(form.Encode())))
	if status != http.StatusOK {
		h.tb.Fatalf("command %q: HTTP %d %s", form.Get("text"), status, body)
	}
	var ack map[string]any
	if err := json.Unmarshal(body, &ack); err != nil {
		h.tb.Fatalf("command %q: acknowledgement is not JSON: %v\n%s", form.Get("text"), err, body)
	}
	return ack
}

// interact posts a signed interaction payload and returns status and body.
func (h *harness) interact(payload any) (int, []byte) {
	h.tb.Helper()
	raw, err := json.Marshal(payload)
	if err != nil {
		h.tb.Fatal(err)
	}
	body := url.Values{"payload": {string(raw)}}.Encode()
	return h.do(h.signedRequest("/slack/interactive", []byte(body)))
}

// export dumps the ledger, to prove a request changed nothing.
func (h *harness) export() string {
	h.tb.Helper()
	s, err := h.desk.Ledger.Export(context.Background())
	if err != nil {
		h.tb.Fatal(err)
	}
	var b bytes.Buffer
	if err := ledger.EncodeSeed(&b, s, true); err != nil {
		h.tb.Fatal(err)
	}
	return b.String()
}

// total is a product's total seats for contoso.
func (h *harness) total(sku string) int {
	h.tb.Helper()
	v, err := h.desk.Ledger.Show(context.Background(), "contoso")
	if err != nil {
		h.tb.Fatal(err)
	}
	for _, p := range v.Products {
		if p.SKU == sku {
			return p.Total
		}
	}
	return 0
}

// metric returns the value of a counter or the count of a histogram with
// the given labels (0 when absent).
func (h *harness) metric(name string, labels map[string]string) float64 {
	h.tb.Helper()
	mfs, err := h.reg.Gather()
	if err != nil {
		h.tb.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for k, v := range labels {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == k && lp.GetValue() == v {
						found = true
					}
				}
				if !found {
					continue next
				}
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			if hg := m.GetHistogram(); hg != nil {
				return float64(hg.GetSampleCount())
			}
		}
	}
	return 0
}

// eventually polls cond for up to 10 seconds.
func eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// blocksText flattens a message's JSON, to look for what it shows.
func blocksText(v any) string {
	b, _ := json.Marshal(v)
	// Undo JSON's escaping of <, > and & so assertions read naturally.
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(b))
}

// submitEmailed files an emailed request that waits for approval.
func submitEmailed(tb testing.TB, d *bot.Desk, n int) string {
	tb.Helper()
	res, err := d.Ledger.Submit(context.Background(), ledger.Request{Tenant: "contoso", Requester: ledger.Requester{ID: "it@contoso.com"},
		Origin: ledger.Origin{Channel: ledger.ChannelEmail, From: "it@contoso.com", Subject: "Licences <urgent> & more"},
		Ops:    []ledger.Op{{Kind: ledger.OpAdd, SKU: "SPB", Quantity: n}}})
	if err != nil || res.Status != ledger.StatusPendingApproval {
		tb.Fatalf("emailed request: %+v %v", res, err)
	}
	return res.RequestID
}
