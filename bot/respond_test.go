package bot

import (
	"net/url"
	"testing"
	"time"

	"github.com/licensedesk/licensedesk/internal/testredis"
	"github.com/licensedesk/licensedesk/ledger"
)

func TestResponseURLsArePostedOnlyToSlack(t *testing.T) {
	l := ledger.New(testredis.Mini(t), nil, nil, nil)
	d, err := NewDesk(l)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewServer(Config{SigningSecret: "s", BotToken: "xoxb-1", APIURL: "http://127.0.0.1:8999/api"}, d, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]bool{
		"https://hooks.slack.com/commands/T1/2/x":      true,
		"https://hooks.slack-gov.com/actions/T1/2/x":   true,
		"http://hooks.slack.com/commands/T1/2/x":       false,
		"https://hooks.slack.com.evil.example/x":       false,
		"https://evilslack.com/x":                      false,
		"https://user@evil.example/hooks.slack.com":    false,
		"http://127.0.0.1:9000/commands/x":             true, // the host of SLACK_API_URL (tests, proxies)
		"ftp://127.0.0.1/x":                            false,
		"https://localhost/commands/x":                 false,
		"https://hooks.slack.com:8443/commands/T1/2/x": true,
	}
	for raw, want := range cases {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.resp.allowed(u); got != want {
			t.Errorf("allowed(%s) = %v, want %v", raw, got, want)
		}
	}
}

func TestAResponseURLServesFiveAnswersWithinItsLifetime(t *testing.T) {
	now := time.Unix(1700000000, 0)
	r := &responder{uses: map[string]*urlUse{}, now: func() time.Time { return now }}
	tg := target{ResponseURL: "https://hooks.slack.com/x", Issued: now}
	for i := 1; i <= 5; i++ {
		if !r.reserve(tg) {
			t.Fatalf("use %d refused", i)
		}
	}
	if r.reserve(tg) {
		t.Error("a sixth use was allowed")
	}
	fresh := target{ResponseURL: "https://hooks.slack.com/y", Issued: now.Add(-30 * time.Minute)}
	if r.reserve(fresh) {
		t.Error("a response_url issued 30 minutes ago was used")
	}
}

func TestRetryAfterIsReadAndBounded(t *testing.T) {
	cases := map[string]time.Duration{
		"7":        7 * time.Second,
		"0":        time.Second,
		"":         time.Second,
		"soon":     time.Second,
		"86400":    maxRetryAfter,
		"-5":       time.Second,
		" 3 ":      3 * time.Second,
		"99999999": maxRetryAfter,
	}
	for h, want := range cases {
		if got := retryAfter(h); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", h, got, want)
		}
	}
}

func TestRecentKeysTakeACommandOnceWithinTheirTTL(t *testing.T) {
	r := &recentKeys{m: map[string]time.Time{}}
	now := time.Unix(1700000000, 0)
	if !r.add("k", now) || r.add("k", now.Add(time.Minute)) {
		t.Fatal("a key was taken twice within the TTL")
	}
	if !r.add("k", now.Add(recentTTL+time.Second)) {
		t.Error("a key was refused after its TTL")
	}
	r.forget("k")
	if !r.add("k", now) {
		t.Error("a forgotten key was refused")
	}
}

func TestChangeVerbsGoToTheWorkers(t *testing.T) {
	cases := map[string]bool{
		"add 5 SPB contoso": true, "ADD 5 SPB contoso": true, "  remove 1 SPB contoso": true, "set 3 E3 x": true,
		"assign E3 a@b.c": true, "unassign E3 a@b.c": true, "renew sub-1": true, "autorenew on sub-1": true,
		"approve LD-1": true, "reject LD-1 no": true, "undo LD-1": true, "grant <@U1> user": true, "revoke <@U1> user": true,
		"show contoso": false, "help add": false, "": false, "asign E3": false, "pending": false, "whoami": false,
		"history contoso": false, "products": false, "conflicts": false,
		"switch E3 to E1 a@b.c": true, "report": false, "report contoso": false,
		// The first word as the parser reads it: after a tab, or quoted.
		"approve\tLD-1": true, "reject\nLD-1": true, `"undo" LD-1`: true, "‘grant’ <@U1> user": true, "--help": false,
	}
	for text, want := range cases {
		if _, got := changeVerb(text); got != want {
			t.Errorf("changeVerb(%q) = %v, want %v", text, got, want)
		}
	}
}
