package bot_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licensedesk/licensedesk/bot"
	"github.com/licensedesk/licensedesk/ledger"
	"github.com/prometheus/client_golang/prometheus"
)

// fixedClock is a clock that moves only when a test sets it.
type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fixedClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fixedClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func paris(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no timezone database:", err)
	}
	return loc
}

// reporter is a bot configured with a report channel in Paris, not
// running: the tests run the reporter's steps themselves, at the times
// they set.
func reporter(t *testing.T, d *bot.Desk, fs *fakeSlack, clk *fixedClock) *bot.Server {
	t.Helper()
	srv, err := bot.NewServer(bot.Config{SigningSecret: testSecret, BotToken: "xoxb-test", APIURL: fs.srv.GetAPIURL(),
		ReportChannel: "C0REPORT", ReportLocation: paris(t)}, d, nil, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	bot.SetClock(srv, clk.now)
	bot.SetSleep(srv, (&sleeps{}).sleep)
	return srv
}

// reportPosts are the weekly reports the fake Slack received.
func reportPosts(fs *fakeSlack) []apiCall {
	var out []apiCall
	for _, c := range fs.callsOf("chat.postMessage") {
		if c.Form.Get("channel") == "C0REPORT" {
			out = append(out, c)
		}
	}
	return out
}

func step(t *testing.T, s *bot.Server) error {
	t.Helper()
	return bot.PostWeeklyReport(context.Background(), s)
}

// TestTheWeeklyReportIsPostedOnMondayAt0800LocalOncePerWeek (R-REPORT):
// not at 07:59 in the desk's timezone, at 08:00, once, not again on
// Tuesday nor by a restarted bot, and again the next Monday.
func TestTheWeeklyReportIsPostedOnMondayAt0800LocalOncePerWeek(t *testing.T) {
	loc := paris(t)
	d := seededDesk(t)
	fs := newFakeSlack(t)
	clk := &fixedClock{}
	srv := reporter(t, d, fs, clk)
	cases := []struct {
		name  string
		srv   *bot.Server
		at    time.Time
		posts int
	}{
		{"Monday 07:59 in Paris is too early", srv, time.Date(2026, 12, 7, 7, 59, 0, 0, loc), 0},
		{"Monday 08:00 in Paris posts the report", srv, time.Date(2026, 12, 7, 8, 0, 0, 0, loc), 1},
		{"a minute later it is not posted again", srv, time.Date(2026, 12, 7, 8, 1, 0, 0, loc), 1},
		{"Tuesday it is not posted again", srv, time.Date(2026, 12, 8, 9, 0, 0, 0, loc), 1},
		{"nor by a restarted bot on Wednesday", reporter(t, d, fs, clk), time.Date(2026, 12, 9, 9, 0, 0, 0, loc), 1},
		{"the next Monday at 08:00 posts the next week's", srv, time.Date(2026, 12, 14, 8, 0, 0, 0, loc), 2},
	}
	for _, c := range cases {
		clk.set(c.at)
		if err := step(t, c.srv); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if n := len(reportPosts(fs)); n != c.posts {
			t.Fatalf("%s: %d reports posted, want %d", c.name, n, c.posts)
		}
	}
	posts := reportPosts(fs)
	for i, week := range []string{"2026-W50", "2026-W51"} {
		rec, ok, err := d.Ledger.GetPost(context.Background(), bot.ReportKind, week)
		if err != nil || !ok || rec.State != ledger.PostPosted || rec.Channel != "C0REPORT" || rec.TS == "" {
			t.Errorf("the record of %s: %+v %v %v", week, rec, ok, err)
		}
		got := blocksText(posts[i].Form.Get("blocks"))
		for _, w := range []string{"Weekly licence report · " + week, "Unassigned seats cost", "*1. Contoso SA*", "`fabrikam`"} {
			if !strings.Contains(got, w) {
				t.Errorf("the report of %s lacks %q:\n%s", week, w, got)
			}
		}
		if strings.Contains(got, "Posted late") {
			t.Errorf("the report of %s says it is late:\n%s", week, got)
		}
		if text := posts[i].Form.Get("text"); !strings.HasPrefix(text, "Weekly licence report "+week+": Unassigned seats cost") {
			t.Errorf("the notification text of %s: %q", week, text)
		}
	}
}

// TestTwoBotsSharingAStorePostTheWeeklyReportOnce: replicas race for the
// claim; one posts.
func TestTwoBotsSharingAStorePostTheWeeklyReportOnce(t *testing.T) {
	d := seededDesk(t)
	fs := newFakeSlack(t)
	clk := &fixedClock{}
	clk.set(time.Date(2026, 12, 7, 8, 0, 0, 0, paris(t)))
	bots := []*bot.Server{reporter(t, d, fs, clk), reporter(t, d, fs, clk)}
	var wg sync.WaitGroup
	for round := 0; round < 5; round++ {
		for _, b := range bots {
			wg.Go(func() {
				if err := bot.PostWeeklyReport(context.Background(), b); err != nil {
					t.Errorf("step: %v", err)
				}
			})
		}
		wg.Wait()
	}
	if n := len(reportPosts(fs)); n != 1 {
		t.Errorf("%d reports posted by two bots, want 1", n)
	}
}

// TestAWeeklyReportMissedOnMondayIsPostedLateThatWeek: a desk down until
// Thursday posts the week's report then, and says it is late.
func TestAWeeklyReportMissedOnMondayIsPostedLateThatWeek(t *testing.T) {
	fs := newFakeSlack(t)
	clk := &fixedClock{}
	clk.set(time.Date(2026, 12, 10, 15, 0, 0, 0, paris(t)))
	srv := reporter(t, seededDesk(t), fs, clk)
	if err := step(t, srv); err != nil {
		t.Fatal(err)
	}
	posts := reportPosts(fs)
	if len(posts) != 1 {
		t.Fatalf("%d reports posted, want 1", len(posts))
	}
	if got := blocksText(posts[0].Form.Get("blocks")); !strings.Contains(got, "Weekly licence report · 2026-W50") || !strings.Contains(got, "Posted late") {
		t.Errorf("the late report:\n%s", got)
	}
}

// TestAFailedWeeklyReportIsRetried: a post Slack refuses gives its claim
// back, and the next step posts it; in a running bot, the reporter's loop
// takes that step by itself.
func TestAFailedWeeklyReportIsRetried(t *testing.T) {
	t.Run("step by step", func(t *testing.T) {
		d := seededDesk(t)
		fs := newFakeSlack(t)
		clk := &fixedClock{}
		clk.set(time.Date(2026, 12, 7, 9, 0, 0, 0, paris(t)))
		srv := reporter(t, d, fs, clk)
		fs.failNext("chat.postMessage", failure{status: http.StatusOK, body: `{"ok":false,"error":"not_in_channel"}`})
		if err := step(t, srv); err == nil {
			t.Fatal("a refused post was not reported as a failure")
		}
		if _, ok, err := d.Ledger.GetPost(context.Background(), bot.ReportKind, "2026-W50"); ok || err != nil {
			t.Fatalf("a failed post kept its claim (%v, %v)", ok, err)
		}
		if err := step(t, srv); err != nil {
			t.Fatal(err)
		}
		if n := len(reportPosts(fs)); n != 2 {
			t.Errorf("%d tries, want 2 (one refused, one posted)", n)
		}
		if rec, ok, _ := d.Ledger.GetPost(context.Background(), bot.ReportKind, "2026-W50"); !ok || rec.State != ledger.PostPosted {
			t.Errorf("the record after the retry: %+v %v", rec, ok)
		}
	})
	t.Run("by the running bot", func(t *testing.T) {
		clk := &fixedClock{}
		clk.set(time.Date(2026, 12, 7, 9, 0, 0, 0, paris(t)))
		h := newHarness(t,
			withConfig(func(c *bot.Config) { c.ReportChannel, c.ReportLocation = "C0REPORT", paris(t) }),
			withServer(func(s *bot.Server) {
				bot.SetClock(s, clk.now)
				bot.SetReportPoll(s, 20*time.Millisecond)
			}),
			withSlack(func(fs *fakeSlack) {
				fs.failNext("chat.postMessage", failure{status: http.StatusOK, body: `{"ok":false,"error":"not_in_channel"}`})
			}))
		eventually(t, "the report posted after a refusal", func() bool {
			rec, ok, err := h.desk.Ledger.GetPost(context.Background(), bot.ReportKind, "2026-W50")
			return err == nil && ok && rec.State == ledger.PostPosted
		})
		if n := len(reportPosts(h.slack)); n != 2 {
			t.Errorf("%d tries, want 2 (one refused, one posted)", n)
		}
		if got := h.metric("licensedesk_slack_reports_posted_total", nil); got != 1 {
			t.Errorf("reports_posted_total = %v, want 1", got)
		}
	})
}
