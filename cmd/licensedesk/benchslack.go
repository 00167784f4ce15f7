package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/licensedesk/licensedesk/bot"
	"github.com/prometheus/client_golang/prometheus"
)

// benchSlack measures Slack acknowledgements (SPEC §8: p99 under 100 ms at
// 100 concurrent commands): rounds of N concurrent signed slash commands,
// half reads answered in the acknowledgement, half changes acknowledged at
// once and finished in the background, against the real bot handler on
// loopback. The Slack Web API and the response_url are a local stub, so
// nothing leaves the machine and the ledger is not changed (the changes
// are dry runs on a tenant that does not exist).
func (e *env) benchSlack(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("bench slack", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	clients := fs.Int("clients", 100, "concurrent commands per round")
	rounds := fs.Int("rounds", 20, "rounds")
	asJSON := fs.Bool("json", false, `print {"clients","rounds","commands","p50_ms","p99_ms","read_p99_ms","change_p99_ms","errors"}`)
	cfgPath := fs.String("config", "", "configuration file")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *clients < 1 || *clients > 2000 || *rounds < 1 || *rounds > 10000 {
		fmt.Fprintln(e.stderr, "licensedesk bench slack: --clients 1..2000, --rounds 1..10000")
		return exitUsage
	}
	_, l, closer, code := e.configuredLedger(ctx, *cfgPath)
	if closer == nil {
		return code
	}
	defer closer()
	stub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok":true,"channel":"C1","ts":"1.1"}`)
	}))
	defer stub.Close()
	desk, err := bot.NewDesk(l)
	if err != nil {
		return e.fail(err)
	}
	const secret = "bench-signing-secret"
	quiet := slog.New(slog.DiscardHandler)
	srv, err := bot.NewServer(bot.Config{SigningSecret: secret, BotToken: "xoxb-bench", APIURL: stub.URL + "/api/"}, desk, quiet, prometheus.NewRegistry())
	if err != nil {
		return e.fail(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { srv.Run(runCtx); close(done) }()
	defer func() { stop(); <-done }()
	front := httptest.NewServer(srv.Handler())
	defer front.Close()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConns: 4096, MaxIdleConnsPerHost: 4096}}

	var mu sync.Mutex
	var reads, changes []time.Duration
	errs := 0
	for r := 0; r < *rounds && ctx.Err() == nil; r++ {
		var wg sync.WaitGroup
		for i := 0; i < *clients; i++ {
			change := i%2 == 1
			text := "help"
			if change {
				text = "add 1 SPB zz-bench-slack-none --dry-run"
			}
			form := url.Values{"command": {"/licenses"}, "text": {text}, "user_id": {"UBENCH"}, "team_id": {"TBENCH"},
				"channel_id": {"CBENCH"}, "trigger_id": {fmt.Sprintf("%d.%d", r, i)}, "response_url": {stub.URL + "/response"}}
			body := form.Encode()
			wg.Add(1)
			go func() {
				defer wg.Done()
				ts := fmt.Sprint(time.Now().Unix())
				req, _ := http.NewRequestWithContext(ctx, "POST", front.URL+"/slack/commands", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set(bot.TimestampHeader, ts)
				req.Header.Set(bot.SignatureHeader, bot.Sign(secret, ts, []byte(body)))
				t0 := time.Now()
				resp, err := client.Do(req)
				d := time.Since(t0)
				mu.Lock()
				defer mu.Unlock()
				if err != nil || resp.StatusCode != 200 {
					errs++
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if change {
					changes = append(changes, d)
				} else {
					reads = append(reads, d)
				}
			}()
		}
		wg.Wait()
	}
	all := append(append([]time.Duration{}, reads...), changes...)
	rep := map[string]any{"clients": *clients, "rounds": *rounds, "commands": len(all), "errors": errs,
		"p50_ms": pct(all, 0.50), "p99_ms": pct(all, 0.99), "read_p99_ms": pct(reads, 0.99), "change_p99_ms": pct(changes, 0.99)}
	if *asJSON {
		json.NewEncoder(e.stdout).Encode(rep)
		return exitOK
	}
	fmt.Fprintf(e.stdout, "%d rounds of %d concurrent signed commands: p50 %.1f ms, p99 %.1f ms (reads p99 %.1f ms, changes p99 %.1f ms), %d errors\n",
		*rounds, *clients, rep["p50_ms"], rep["p99_ms"], rep["read_p99_ms"], rep["change_p99_ms"], errs)
	return exitOK
}

func pct(d []time.Duration, p float64) float64 {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration{}, d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return float64(s[int(float64(len(s)-1)*p)].Microseconds()) / 1000
}
