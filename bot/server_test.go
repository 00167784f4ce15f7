package bot_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/licensedesk/licensedesk/bot"
	"github.com/licensedesk/licensedesk/ledger"
)

func TestConfigStringLeaksNoSecret(t *testing.T) {
	c := bot.Config{SigningSecret: "sig-SECRET-1", BotToken: "xoxb-SECRET-2", AppToken: "xapp-SECRET-3", ApprovalChannel: "C0APPROVE",
		ReportChannel: "C0REPORT", ReportLocation: time.FixedZone("CET", 3600)}
	s := c.String()
	if strings.Contains(s, "SECRET") {
		t.Errorf("Config.String leaks a secret: %s", s)
	}
	for _, w := range []string{"C0APPROVE", "C0REPORT", `report_location:"CET"`} {
		if !strings.Contains(s, w) {
			t.Errorf("Config.String should show %s: %s", w, s)
		}
	}
}

func TestNewServerRefusesUnusableConfigurations(t *testing.T) {
	d := seededDesk(t)
	cases := []struct {
		name string
		cfg  bot.Config
	}{
		{"no signing secret and no app token", bot.Config{BotToken: "xoxb-1"}},
		{"a bot token given as the app token", bot.Config{SigningSecret: "s", AppToken: "xoxb-1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := bot.NewServer(c.cfg, d, nil, nil); err == nil {
				t.Error("NewServer accepted it")
			}
		})
	}
	if _, err := bot.NewServer(bot.Config{SigningSecret: "s"}, nil, nil, nil); err == nil {
		t.Error("NewServer accepted a nil desk")
	}
}

// TestUnverifiedRequestsAreRefusedAndTouchNothing: every request that fails
// the signature check gets 401, and the ledger, the response_urls and the
// Web API see nothing of it.
func TestUnverifiedRequestsAreRefusedAndTouchNothing(t *testing.T) {
	h := newHarness(t)
	pending := submitEmailed(t, h.desk, 20)
	h.slack.waitCalls("chat.postMessage", 1) // the approval post, before the baseline
	before := h.export()
	cmd := []byte(h.slash("U0BILL", "add 5 SPB contoso").Encode())
	click := []byte(url.Values{"payload": {`{"type":"block_actions","user":{"id":"U0BILL"},"channel":{"id":"C0APPROVE"},"actions":[{"action_id":"ld_approve","value":"` + pending + `"}]}`}}.Encode())
	now := strconv.FormatInt(time.Now().Unix(), 10)
	stale := strconv.FormatInt(time.Now().Add(-6*time.Minute).Unix(), 10)
	future := strconv.FormatInt(time.Now().Add(6*time.Minute).Unix(), 10)
	oversized := append(append([]byte{}, cmd...), bytes.Repeat([]byte("x"), bot.DefaultMaxBody)...)
	cases := []struct {
		name   string
		body   []byte
		ts     string
		sig    func(body []byte, ts string) string
		reason string
	}{
		{"a forged signature", nil, now, func([]byte, string) string { return "v0=" + strings.Repeat("ab", 32) }, "bad_signature"},
		{"a signature made with another secret", nil, now, func(b []byte, ts string) string { return bot.Sign("not-the-secret", ts, b) }, "bad_signature"},
		{"a replay six minutes old", nil, stale, func(b []byte, ts string) string { return bot.Sign(testSecret, ts, b) }, "stale"},
		{"a timestamp six minutes ahead", nil, future, func(b []byte, ts string) string { return bot.Sign(testSecret, ts, b) }, "stale"},
		{"no signature at all", nil, "", func([]byte, string) string { return "" }, "unsigned"},
		{"a signature over another body", nil, now, func(_ []byte, ts string) string { return bot.Sign(testSecret, ts, []byte("text=help")) }, "bad_signature"},
		{"an oversized body, even signed", oversized, now, func(b []byte, ts string) string { return bot.Sign(testSecret, ts, b) }, "too_large"},
	}
	for _, ep := range []struct {
		path string
		body []byte
	}{{"/slack/commands", cmd}, {"/slack/interactive", click}} {
		for _, c := range cases {
			t.Run(ep.path+": "+c.name, func(t *testing.T) {
				body := c.body
				if body == nil {
					body = ep.body
				}
				fails := h.metric("licensedesk_slack_signature_failures_total", map[string]string{"reason": c.reason})
				req, _ := http.NewRequest(http.MethodPost, h.http.URL+ep.path, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if c.ts != "" {
					req.Header.Set(bot.TimestampHeader, c.ts)
				}
				if sig := c.sig(body, c.ts); sig != "" {
					req.Header.Set(bot.SignatureHeader, sig)
				}
				status, resp := h.do(req)
				if status != http.StatusUnauthorized {
					t.Fatalf("HTTP %d, want 401: %s", status, resp)
				}
				if got := h.metric("licensedesk_slack_signature_failures_total", map[string]string{"reason": c.reason}); got != fails+1 {
					t.Errorf("signature failures{reason=%s} = %v, want %v", c.reason, got, fails+1)
				}
			})
		}
	}
	time.Sleep(100 * time.Millisecond) // anything wrongly queued would have run by now
	if after := h.export(); after != before {
		t.Error("a refused request changed the ledger")
	}
	if n := len(h.hooks.all()); n != 0 {
		t.Errorf("refused requests were answered through %d response_url posts", n)
	}
	if n := len(h.slack.callsOf("chat.update")) + len(h.slack.callsOf("chat.postEphemeral")); n != 0 {
		t.Errorf("refused requests reached the Web API %d times", n)
	}
}

func TestSSLCheckIsAnswered(t *testing.T) {
	h := newHarness(t)
	for name, sign := range map[string]bool{"signed": true, "unsigned": false} {
		t.Run(name, func(t *testing.T) {
			body := []byte(url.Values{"ssl_check": {"1"}, "token": {"legacy"}}.Encode())
			req := h.signedRequest("/slack/commands", body)
			if !sign {
				req.Header.Del(bot.SignatureHeader)
			}
			status, resp := h.do(req)
			if status != http.StatusOK || len(resp) != 0 {
				t.Errorf("HTTP %d %q, want an empty 200", status, resp)
			}
		})
	}
}

// TestReadsAnswerInTheAcknowledgement: reads and errors come back in the
// HTTP answer itself, as ephemeral Block Kit messages.
func TestReadsAnswerInTheAcknowledgement(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		name string
		user string
		text string
		want []string
	}{
		{"show is the Licenses page", "U0USER", "show contoso",
			[]string{"Licenses", "*Contoso SA*", "*Microsoft 365 Business Premium* · `SPB`", "Total *13* · Assigned *11* · Available *2*", ":white_check_mark: OK", "EUR/month"}},
		{"show --detail breaks a product down by subscription", "U0USER", "show contoso --detail",
			[]string{"└ `contoso-spb-1` · P1Y · 8 seats · active", "5 added 2026-01-01, 3 added 2026-11-18", "└ `contoso-spb-2` · P1M · 5 seats"}},
		{"a stranger gets help", "U0NOBODY", "help", []string{"/licenses add N product"}},
		{"a stranger may ask who they are", "U0NOBODY", "whoami", []string{"no role at the desk"}},
		{"a stranger cannot read, and is told that viewing needs a role", "U0NOBODY", "show contoso",
			[]string{"✗ *NotAuthorized*", "You are not allowed to view this. Ask a global admin"}},
		{"the report of one tenant shows its products and alerts", "U0LIC", "report contoso",
			[]string{"Licence report", "*Contoso SA* · `contoso`", "returnable now, until *2026-11-25 09:00 UTC* (`contoso-spb-1`)", "*TrialEnding* · `contoso-pbi-trial`"}},
		{"a user admin may not read the report", "U0USER", "report", []string{"✗ *NotAuthorized*", "You are not allowed to view this"}},
		{"a typo gets did you mean", "U0LIC", "asign E3 contoso dave@contoso.com", []string{"✗ unknown command", "Did you mean: assign?"}},
		{"a missing argument gets the verb's usage", "U0LIC", "history", []string{"Usage: `/licenses history tenant [N]`"}},
		{"a mistyped tenant gets did you mean", "U0USER", "show contosso", []string{"*UnknownTenant*", "Did you mean: contoso"}},
		{"conflicts on a healthy desk", "U0USER", "conflicts", []string{"No conflicts"}},
		{"products search the catalog", "U0USER", "products business premium", []string{"SPB — Microsoft 365 Business Premium"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ack := h.command(h.slash(c.user, c.text))
			if ack["response_type"] != "ephemeral" {
				t.Errorf("response_type %v, want ephemeral", ack["response_type"])
			}
			got := blocksText(ack["blocks"])
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("the acknowledgement lacks %q:\n%s", w, got)
				}
			}
		})
	}
	if n := len(h.hooks.all()); n != 0 {
		t.Errorf("reads answered in the acknowledgement also posted %d times to the response_url", n)
	}
	if got := h.metric("licensedesk_slack_commands_total", map[string]string{"verb": "show", "status": "applied"}); got < 2 {
		t.Errorf("commands_total{verb=show,status=applied} = %v, want at least 2", got)
	}
	if got := h.metric("licensedesk_slack_ack_seconds", map[string]string{"transport": "http", "kind": "command"}); got != float64(len(cases)) {
		t.Errorf("ack latency observed %v times, want %d", got, len(cases))
	}
}

// TestChangesAcknowledgeAtOnceAndAnswerThroughTheResponseURL holds the
// change in its worker: the acknowledgement comes back while it is held,
// and the result arrives at the response_url once it runs.
func TestChangesAcknowledgeAtOnceAndAnswerThroughTheResponseURL(t *testing.T) {
	release := make(chan struct{})
	h := newHarness(t, withHold(func(kind string) {
		if kind == "job" {
			<-release
		}
	}))
	form := h.slash("U0BILL", `add 5 "Business Premium" contoso`)
	start := time.Now()
	ack := h.command(form)
	if d := time.Since(start); d > time.Second {
		t.Errorf("the acknowledgement took %v", d)
	}
	if got, _ := ack["text"].(string); !strings.Contains(got, "⏳ Working on `add 5 \"Business Premium\" contoso`") || ack["response_type"] != "ephemeral" {
		t.Errorf("acknowledgement: %s", blocksText(ack))
	}
	if n := h.total("SPB"); n != 13 {
		t.Fatalf("the change ran before its worker was released: SPB total %d", n)
	}
	close(release)
	path, _ := url.Parse(form.Get("response_url"))
	post := h.hooks.waitPost(path.Path)
	if post.Msg["response_type"] != "in_channel" {
		t.Errorf("an applied change goes in the channel; got response_type %v", post.Msg["response_type"])
	}
	got := blocksText(post.Msg)
	for _, w := range []string{":white_check_mark: Applied", "*add 5 SPB* (Microsoft 365 Business Premium) · subscription `contoso-spb-1` — applied",
		"Total 13 → *18* · Assigned 11 → 11 · Available 2 → 7", "New monthly cost *", "prorated charge"} {
		if !strings.Contains(got, w) {
			t.Errorf("the result lacks %q:\n%s", w, got)
		}
	}
	if n := h.total("SPB"); n != 18 {
		t.Errorf("SPB total %d, want 18", n)
	}
	hist, err := h.desk.Ledger.History(context.Background(), "contoso", 1)
	if err != nil || len(hist) != 1 || hist[0].Request == nil {
		t.Fatalf("history: %v %v", hist, err)
	}
	o := hist[0].Request.Origin
	if o.Channel != ledger.ChannelSlack || o.SlackUser != "U0BILL" || o.SlackChan != "C0DESK" || o.Team != "T0TEAM" {
		t.Errorf("the audit log records origin %+v", o)
	}
}

// TestASlackRetryIsNotAppliedTwice: the same invocation (same trigger_id)
// arriving again, on this replica or another, applies once.
func TestASlackRetryIsNotAppliedTwice(t *testing.T) {
	h := newHarness(t)
	form := h.slash("U0BILL", "add 2 SPB contoso")
	h.command(form)
	path, _ := url.Parse(form.Get("response_url"))
	h.hooks.waitPost(path.Path)

	retry := func(hh *harness) map[string]any {
		req := hh.signedRequest("/slack/commands", []byte(form.Encode()))
		req.Header.Set("X-Slack-Retry-Num", "1")
		req.Header.Set("X-Slack-Retry-Reason", "http_timeout")
		status, body := hh.do(req)
		if status != http.StatusOK {
			t.Fatalf("retry: HTTP %d", status)
		}
		return map[string]any{"raw": string(body)}
	}
	if got := blocksText(retry(h)); !strings.Contains(got, "Already working on it") {
		t.Errorf("a retry on the same replica: %s", got)
	}
	// Another replica never saw the first attempt: the ledger's idempotency
	// key answers it.
	other := newHarness(t, withDesk(h.desk), withConfig(func(c *bot.Config) { c.ApprovalChannel = "" }))
	retry(other)
	eventually(t, "the second answer", func() bool { return len(h.hooks.all()) == 2 })
	second := blocksText(h.hooks.all()[1].Msg)
	if !strings.Contains(second, ":repeat: Already processed") {
		t.Errorf("the retry on another replica should be answered as a duplicate:\n%s", second)
	}
	if n := h.total("SPB"); n != 15 {
		t.Errorf("SPB total %d after a retried add of 2, want 15", n)
	}
}

// TestASlowReadFinishesThroughTheResponseURL: a read that misses the
// deadline is acknowledged as in progress and answered afterwards.
func TestASlowReadFinishesThroughTheResponseURL(t *testing.T) {
	release := make(chan struct{})
	h := newHarness(t, withServer(func(s *bot.Server) { bot.SetReadDeadline(s, 50*time.Millisecond) }), withHold(func(kind string) {
		if kind == "read" {
			<-release
		}
	}))
	form := h.slash("U0USER", "show contoso")
	ack := h.command(form)
	if got := blocksText(ack); !strings.Contains(got, "Working on `show contoso`") {
		t.Errorf("acknowledgement of a slow read: %s", got)
	}
	close(release)
	path, _ := url.Parse(form.Get("response_url"))
	post := h.hooks.waitPost(path.Path)
	if post.Msg["response_type"] != "ephemeral" || !strings.Contains(blocksText(post.Msg), "Total *13*") {
		t.Errorf("late answer: %s", post.Raw)
	}
}

// TestAnswersFallBackToTheWebAPI: a response_url that Slack reports
// expired, that was used five times, or that is older than 30 minutes is
// not used; the answer goes through chat.postMessage (in the channel) or
// chat.postEphemeral (to the one user).
func TestAnswersFallBackToTheWebAPI(t *testing.T) {
	t.Run("Slack says the response_url expired", func(t *testing.T) {
		h := newHarness(t)
		h.hooks.answer(failure{status: http.StatusNotFound, body: "expired_url"})
		h.command(h.slash("U0BILL", "add 1 SPB contoso"))
		post := h.slack.waitCalls("chat.postMessage", 1)[0]
		if post.Form.Get("channel") != "C0DESK" || !strings.Contains(post.Form.Get("blocks"), "Total 13 → *14*") {
			t.Errorf("chat.postMessage: %v", post.Form)
		}
		if got := h.metric("licensedesk_slack_response_url_fallbacks_total", nil); got != 1 {
			t.Errorf("fallbacks = %v, want 1", got)
		}
	})
	t.Run("the sixth answer to one response_url", func(t *testing.T) {
		h := newHarness(t)
		shared := h.responseURL()
		for i := 1; i <= 6; i++ {
			form := h.slash("U0BILL", "add 1 SPB contoso")
			form.Set("response_url", shared)
			h.command(form)
			eventually(t, fmt.Sprintf("answer %d", i), func() bool { return len(h.hooks.all())+len(h.slack.callsOf("chat.postMessage")) == i })
		}
		if n := len(h.hooks.all()); n != 5 {
			t.Errorf("%d posts to the response_url, want 5", n)
		}
		if post := h.slack.callsOf("chat.postMessage"); len(post) != 1 || !strings.Contains(post[0].Form.Get("blocks"), "Total 18 → *19*") {
			t.Errorf("the sixth answer should go through chat.postMessage: %v", post)
		}
	})
	t.Run("a response_url older than 30 minutes", func(t *testing.T) {
		release := make(chan struct{})
		h := newHarness(t, withHold(func(kind string) {
			if kind == "job" {
				<-release
			}
		}))
		h.command(h.slash("U0NOBODY", "add 1 SPB contoso"))
		h.clock.advance(31 * time.Minute)
		close(release)
		eph := h.slack.waitCalls("chat.postEphemeral", 1)[0]
		if eph.Form.Get("user") != "U0NOBODY" || eph.Form.Get("channel") != "C0DESK" || !strings.Contains(eph.Form.Get("blocks"), "NotAuthorized") {
			t.Errorf("a refusal goes to the one user: %v", eph.Form)
		}
		if n := h.hooks.attemptCount(); n != 0 {
			t.Errorf("the stale response_url was tried %d times", n)
		}
	})
}

// TestRateLimitsAreHonoured: a 429 is retried after its Retry-After, as
// the (injected) sleeps prove, for the response_url and the Web API.
func TestRateLimitsAreHonoured(t *testing.T) {
	t.Run("response_url", func(t *testing.T) {
		h := newHarness(t)
		h.hooks.answer(failure{status: http.StatusTooManyRequests, retryAfter: "7"}, failure{status: http.StatusTooManyRequests, retryAfter: "7"})
		form := h.slash("U0BILL", "add 1 SPB contoso")
		h.command(form)
		path, _ := url.Parse(form.Get("response_url"))
		h.hooks.waitPost(path.Path)
		if n := h.hooks.attemptCount(); n != 3 {
			t.Errorf("%d attempts, want 3", n)
		}
		if got := h.sleeps.all(); len(got) != 2 || got[0] != 7*time.Second || got[1] != 7*time.Second {
			t.Errorf("waits %v, want [7s 7s]", got)
		}
		if got := h.metric("licensedesk_slack_rate_limited_total", map[string]string{"api": "response_url"}); got != 2 {
			t.Errorf("rate_limited{api=response_url} = %v, want 2", got)
		}
	})
	t.Run("a server error of the response_url is retried with backoff", func(t *testing.T) {
		h := newHarness(t)
		h.hooks.answer(failure{status: http.StatusBadGateway}, failure{status: http.StatusServiceUnavailable})
		form := h.slash("U0BILL", "add 1 SPB contoso")
		h.command(form)
		path, _ := url.Parse(form.Get("response_url"))
		h.hooks.waitPost(path.Path)
		// internal/backoff: 500 ms, then 1 s, each with up to 20% jitter.
		got := h.sleeps.all()
		if len(got) != 2 || got[0] < 500*time.Millisecond || got[0] > 600*time.Millisecond || got[1] < time.Second || got[1] > 1200*time.Millisecond {
			t.Errorf("waits %v, want about [500ms 1s]", got)
		}
	})
	t.Run("Web API", func(t *testing.T) {
		h := newHarness(t)
		h.slack.failNext("chat.postMessage", failure{status: http.StatusTooManyRequests, retryAfter: "3", body: `{"ok":false,"error":"ratelimited"}`})
		id := submitEmailed(t, h.desk, 20)
		calls := h.slack.waitCalls("chat.postMessage", 2)
		if !strings.Contains(calls[1].Form.Get("blocks"), id) {
			t.Errorf("the retried post lacks the request: %v", calls[1].Form)
		}
		found := false
		for _, d := range h.sleeps.all() {
			found = found || d == 3*time.Second
		}
		if !found {
			t.Errorf("waits %v, want one of 3s", h.sleeps.all())
		}
	})
}

// TestAnUnknownSlackUserCanOnlyUseHelpAndWhoami runs every verb as a user
// the ledger has no role for.
func TestAnUnknownSlackUserCanOnlyUseHelpAndWhoami(t *testing.T) {
	h := newHarness(t)
	before := h.export()
	allowed := map[string]bool{"help": true, "whoami": true}
	texts := []string{"help", "whoami", "show contoso", "products", "conflicts", "history contoso", "pending",
		"add 1 SPB contoso", "remove 1 SPB contoso", "set 20 SPB contoso", "assign E3 contoso dave@contoso.com",
		"unassign SPB contoso alice@contoso.com", "renew contoso-p2-1", "autorenew off contoso-spb-2",
		"approve LD-01JZZZZZZZZZZZZZZZZZZZZZZZ", "reject LD-01JZZZZZZZZZZZZZZZZZZZZZZZ no", "undo LD-01JZZZZZZZZZZZZZZZZZZZZZZZ",
		"grant <@U0NOBODY> global", "revoke <@U0GLOBAL> global"}
	for _, text := range texts {
		form := h.slash("U0NOBODY", text)
		ack := h.command(form)
		answer := blocksText(ack)
		if strings.Contains(answer, "Working on") {
			path, _ := url.Parse(form.Get("response_url"))
			answer = blocksText(h.hooks.waitPost(path.Path).Msg)
		}
		refused := strings.Contains(answer, "NotAuthorized")
		if allowed[strings.Fields(text)[0]] == refused {
			t.Errorf("%q by an unknown user: refused=%v\n%s", text, refused, answer)
		}
	}
	if h.export() != before {
		t.Error("an unknown user changed the ledger")
	}
}

// TestTheHandlerServesTheSlackEndpointsOnly: serve mounts the handler
// under "/slack/" and serves /healthz and /metrics itself, so the bot has
// no copies of them; its metrics are in the registry it was given, the one
// serve's /metrics gathers.
func TestTheHandlerServesTheSlackEndpointsOnly(t *testing.T) {
	h := newHarness(t)
	h.command(h.slash("U0USER", "whoami"))
	cases := []struct {
		name, method, path string
		status             int
	}{
		{"no metrics of its own", http.MethodGet, "/metrics", http.StatusNotFound},
		{"no health check of its own", http.MethodGet, "/healthz", http.StatusNotFound},
		{"nothing at the root", http.MethodGet, "/", http.StatusNotFound},
		{"slash commands are posted, not read", http.MethodGet, "/slack/commands", http.StatusMethodNotAllowed},
		{"an unsigned slash command is refused", http.MethodPost, "/slack/commands", http.StatusUnauthorized},
		{"an unsigned interaction is refused", http.MethodPost, "/slack/interactive", http.StatusUnauthorized},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, h.http.URL+c.path, strings.NewReader("x=1"))
			if err != nil {
				t.Fatal(err)
			}
			if status, body := h.do(req); status != c.status {
				t.Errorf("%s %s: HTTP %d %s, want %d", c.method, c.path, status, body, c.status)
			}
		})
	}
	if got := h.metric("licensedesk_slack_commands_total", map[string]string{"verb": "whoami", "status": "applied"}); got != 1 {
		t.Errorf("the registry given to NewServer has commands_total{verb=whoami,status=applied} = %v, want 1", got)
	}
	mfs, err := h.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, mf := range mfs {
		names[mf.GetName()] = true
	}
	for _, want := range []string{"licensedesk_slack_busy", "licensedesk_slack_ack_seconds", "licensedesk_slack_signature_failures_total", "licensedesk_slack_reports_posted_total"} {
		if !names[want] {
			t.Errorf("the registry lacks %s", want)
		}
	}
}
