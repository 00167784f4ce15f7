package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/licensedesk/licensedesk/internal/testredis"
	"github.com/licensedesk/licensedesk/ledger"
)

// FuzzVerify: no header or body makes Verify panic, and whatever it
// accepts carries the right signature over a fresh timestamp.
func FuzzVerify(f *testing.F) {
	f.Add("8f742231b10e8888abcd99yyyzzz85a5", "1531420618", "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503", []byte("token=x&text="))
	f.Add("s", "99999999999999999999", "v0=", []byte{})
	f.Add("", "", "", []byte("\x00"))
	now := time.Unix(1700000000, 0)
	f.Fuzz(func(t *testing.T, secret, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set(TimestampHeader, ts)
		h.Set(SignatureHeader, sig)
		if err := Verify(secret, h, body, now); err == nil {
			sec, perr := strconv.ParseInt(h.Get(TimestampHeader), 10, 64)
			if secret == "" || perr != nil || h.Get(SignatureHeader) != Sign(secret, h.Get(TimestampHeader), body) {
				t.Fatalf("accepted secret=%q ts=%q sig=%q", secret, ts, sig)
			}
			if d := now.Sub(time.Unix(sec, 0)); d > MaxClockSkew || d < -MaxClockSkew {
				t.Fatalf("accepted a timestamp %v off", d)
			}
		}
		// A genuine signature over the same input always passes.
		fresh := strconv.FormatInt(now.Unix(), 10)
		h.Set(TimestampHeader, fresh)
		h.Set(SignatureHeader, Sign(secret+"k", fresh, body))
		if err := Verify(secret+"k", h, body, now); err != nil {
			t.Fatalf("a genuine request was refused: %v", err)
		}
	})
}

// fuzzServer is a running bot on an in-process store, with nowhere to post:
// no Web API and no response_url host allowed.
func fuzzServer(f *testing.F) *Server {
	f.Helper()
	l := ledger.New(testredis.Mini(f), nil, ledger.NewManualClock(time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)), nil)
	raw, err := os.ReadFile("../ledger/testdata/seed.yaml")
	if err != nil {
		f.Fatal(err)
	}
	seed, err := ledger.ParseSeed(bytes.NewReader(raw), l.Catalog())
	if err != nil {
		f.Fatal(err)
	}
	if err := l.Import(context.Background(), seed); err != nil {
		f.Fatal(err)
	}
	d, err := NewDesk(l)
	if err != nil {
		f.Fatal(err)
	}
	s, err := NewServer(Config{SigningSecret: "fuzz-secret"}, d, nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	s.resp.allowed = func(*url.URL) bool { return false }
	// Under the fuzzer's load a read may miss the deadline; its answer then
	// has nowhere to go, and the fuzzer need not wait 2 s for it.
	s.readDeadline = 100 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	f.Cleanup(func() { cancel(); <-done })
	return s
}

// FuzzSlackRequest sends any body, correctly signed, to both endpoints:
// the bot answers 200 or 400, never fails, and what it answers is a valid
// message within Slack's limits.
func FuzzSlackRequest(f *testing.F) {
	slash := url.Values{"team_id": {"T1"}, "channel_id": {"C1"}, "user_id": {"U0GLOBAL"}, "command": {"/licenses"},
		"text": {"show contoso --detail"}, "response_url": {"https://hooks.slack.com/commands/T1/1/x"}, "trigger_id": {"1.2.3"}}
	f.Add(false, []byte(slash.Encode()))
	slash.Set("text", "add 1 SPB contoso")
	f.Add(false, []byte(slash.Encode()))
	f.Add(false, []byte("ssl_check=1&token=x"))
	f.Add(true, []byte(url.Values{"payload": {`{"type":"block_actions","user":{"id":"U0BILL"},"channel":{"id":"C1"},"actions":[{"action_id":"ld_approve","block_id":"b","value":"LD-01JZZZZZZZZZZZZZZZZZZZZZZZ"}]}`}}.Encode()))
	f.Add(true, []byte(url.Values{"payload": {`{"type":"view_submission","user":{"id":"U0BILL"},"view":{"callback_id":"ld_reject_reason","private_metadata":"{\"id\":\"LD-01JZZZZZZZZZZZZZZZZZZZZZZZ\"}","state":{"values":{"ld_reason":{"reason":{"value":"no"}}}}}}`}}.Encode()))
	f.Add(true, []byte("payload=%7B%22type%22%3A%22block_actions%22%2C%22actions%22%3A%5B%7B%7D%5D%7D"))
	s := fuzzServer(f)
	handler := s.Handler()
	f.Fuzz(func(t *testing.T, interactive bool, body []byte) {
		path := "/slack/commands"
		if interactive {
			path = "/slack/interactive"
		}
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set(TimestampHeader, ts)
		req.Header.Set(SignatureHeader, Sign("fuzz-secret", ts, body))
		rec := httptest.NewRecorder()
		start := time.Now()
		handler.ServeHTTP(rec, req)
		// Slack's rule: every request is answered within 3 seconds.
		if d := time.Since(start); d > 2500*time.Millisecond {
			t.Fatalf("answered after %v", d)
		}
		// Let the work the request queued finish, so that each input is
		// judged alone.
		for s.busy.Load() > 0 {
			time.Sleep(100 * time.Microsecond)
		}
		switch {
		case rec.Code == http.StatusUnauthorized && int64(len(body)) > s.cfg.MaxBody:
			return
		case rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest:
			t.Fatalf("HTTP %d: %s", rec.Code, rec.Body)
		case rec.Code != http.StatusOK || rec.Body.Len() == 0:
			return
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("the answer is not JSON: %q", rec.Body)
		}
		if !interactive {
			var m struct {
				Blocks []json.RawMessage `json:"blocks"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil || len(m.Blocks) > maxBlocks {
				t.Fatalf("%d blocks, %v", len(m.Blocks), err)
			}
		}
	})
}

// FuzzBlocks renders data and text of any content: the message stays
// within Slack's limits and no user text becomes live markup.
func FuzzBlocks(f *testing.F) {
	f.Add("Contoso SA", "alice@contoso.com", "budget", "show contoso", 3)
	f.Add(hostile, hostile, hostile, hostile, 1000)
	f.Add("\xff\xfe<", "é\u0301<@U1|x>", "&lt;", "```", 0)
	v := testView(f)
	f.Fuzz(func(t *testing.T, name, upn, detail, text string, n int) {
		n = min(max(n, 0), 1200)
		users := make([]ledger.UserOutcome, n)
		for i := range users {
			users[i] = ledger.UserOutcome{UPN: upn, Outcome: ledger.OutcomeRefused, Code: ledger.Code(detail), Detail: detail}
		}
		cost := 1.0
		reps := []Reply{
			{Text: text, Usage: &UsageError{Message: text, Usage: name, Suggestions: []string{upn}, Code: ledger.Code(detail)}},
			{Text: text, Errors: []ledger.Error{{Code: ledger.Code(name), Message: text}}},
			{Text: text, Result: &ledger.Result{RequestID: name, Tenant: name, Status: ledger.StatusPartiallyApplied, Undoes: upn,
				Ops:      []ledger.OpResult{{Op: ledger.OpKind(name), SKU: upn, Quantity: n, Outcome: detail, Code: ledger.Code(detail), Detail: text, MonthlyCost: &cost, Currency: name, UserResults: users, Holders: []string{upn, name}}},
				Errors:   []ledger.Error{{Code: ledger.Code(detail), Message: text}},
				Decision: &ledger.Decision{By: upn, Reason: detail}}},
			{Text: text, Data: ledger.TenantView{Tenant: ledger.Tenant{ID: name, Name: name, Domains: []string{upn}},
				Products: []ledger.ProductLine{{SKU: upn, Name: name, Conflict: true, Available: -n, Currency: detail, MonthlyCost: float64(n),
					Subscriptions: []ledger.Subscription{{ID: text, State: detail, Source: name, Payment: upn, Term: detail}}}}}, Command: &Command{Detail: true}},
			{Text: text, Data: []ledger.Conflict{{Tenant: name, SKU: upn, Users: []string{upn, detail, text}, Assigned: n}}},
			{Text: text, Data: []ledger.PendingRequest{{Request: ledger.Request{ID: name, Tenant: upn, Requester: ledger.Requester{ID: detail}, Origin: ledger.Origin{Subject: text}}}}},
			{Text: text},
		}
		for _, rep := range reps {
			m := v.reply(rep)
			checkLimits(t, m)
			checkInert(t, m)
		}
		p := ledger.PendingRequest{Request: ledger.Request{ID: name, Tenant: upn, Requester: ledger.Requester{ID: detail}, Origin: ledger.Origin{Subject: text}}}
		checkInert(t, v.approvalRequest(p))
		checkLimits(t, v.approvalRequest(p))
	})
}
