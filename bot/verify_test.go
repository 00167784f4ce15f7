package bot_test

import (
	"encoding/json"
	"errors"
	"github.com/licensedesk/licensedesk/internal/corpora"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/licensedesk/licensedesk/bot"
)

type slackVector struct {
	ID                string `json:"id"`
	SigningSecret     string `json:"signing_secret"`
	Timestamp         string `json:"timestamp"`
	RawBody           string `json:"raw_body"`
	ExpectedSignature string `json:"expected_signature"`
}

// slackVectors reads 3_slack/slack_vectors.json in place.
func slackVectors(t *testing.T) []slackVector {
	t.Helper()
	path := filepath.Join(corpora.Dir(t), "3_slack", "slack_vectors.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("corpora not found at %s: skipping third-party corpus test (%v)", path, err)
	}
	var doc struct {
		Vectors []slackVector `json:"signature_vectors"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(doc.Vectors) == 0 {
		t.Fatalf("%s holds no signature vectors", path)
	}
	return doc.Vectors
}

func signedHeader(ts, sig string) http.Header {
	h := http.Header{}
	if ts != "" {
		h.Set(bot.TimestampHeader, ts)
	}
	if sig != "" {
		h.Set(bot.SignatureHeader, sig)
	}
	return h
}

// TestSignaturesMatchSlacksPublishedVectors checks the HMAC against
// Slack's documented example (secret 8f742231…, timestamp 1531420618) and
// slack-go's vector, and each vector's negative cases.
func TestSignaturesMatchSlacksPublishedVectors(t *testing.T) {
	vectors := slackVectors(t)
	passed := 0
	for _, v := range vectors {
		t.Run(v.ID, func(t *testing.T) {
			body := []byte(v.RawBody)
			if got := bot.Sign(v.SigningSecret, v.Timestamp, body); got != v.ExpectedSignature {
				t.Fatalf("Sign = %s, want %s", got, v.ExpectedSignature)
			}
			sec, err := strconv.ParseInt(v.Timestamp, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			then := time.Unix(sec, 0)
			h := signedHeader(v.Timestamp, v.ExpectedSignature)
			cases := []struct {
				name   string
				secret string
				h      http.Header
				body   []byte
				now    time.Time
				want   error
			}{
				{"the vector verifies at its own time", v.SigningSecret, h, body, then, nil},
				{"a few minutes later it still verifies", v.SigningSecret, h, body, then.Add(4 * time.Minute), nil},
				{"a tampered body is refused", v.SigningSecret, h, append(append([]byte{}, body...), "------"...), then, bot.ErrBadSignature},
				{"a wrong secret is refused", v.SigningSecret[:len(v.SigningSecret)-2] + "oo", h, body, then, bot.ErrBadSignature},
				{"under the real clock the 2018 timestamp is stale", v.SigningSecret, h, body, time.Now(), bot.ErrStale},
				{"an empty signature header is refused", v.SigningSecret, signedHeader(v.Timestamp, ""), body, then, bot.ErrUnsigned},
				{"a missing timestamp is refused", v.SigningSecret, signedHeader("", v.ExpectedSignature), body, then, bot.ErrUnsigned},
				{"an empty secret is a configuration error", "", h, body, then, bot.ErrNoSecret},
			}
			for _, c := range cases {
				if err := bot.Verify(c.secret, c.h, c.body, c.now); !errors.Is(err, c.want) {
					t.Errorf("%s: Verify = %v, want %v", c.name, err, c.want)
				}
			}
			passed++
		})
	}
	t.Logf("%d of %d published signature vectors pass", passed, len(vectors))
}

// TestThePublishedVectorOverRealHTTP sends Slack's documented request,
// byte for byte with its headers, to the slash command endpoint: accepted
// when the server's clock is at the vector's time, refused 401 under the
// real clock.
func TestThePublishedVectorOverRealHTTP(t *testing.T) {
	var v slackVector
	for _, x := range slackVectors(t) {
		if x.ID == "slack-docs-slash-command" {
			v = x
		}
	}
	if v.ID == "" {
		t.Fatal("the Slack docs vector is missing from slack_vectors.json")
	}
	h := newHarness(t, withConfig(func(c *bot.Config) { c.SigningSecret = v.SigningSecret }))
	send := func() int {
		req := h.signedRequest("/slack/commands", []byte(v.RawBody))
		req.Header.Set(bot.TimestampHeader, v.Timestamp)
		req.Header.Set(bot.SignatureHeader, v.ExpectedSignature)
		status, _ := h.do(req)
		return status
	}
	if got := send(); got != http.StatusUnauthorized {
		t.Errorf("under the real clock: HTTP %d, want 401 (stale)", got)
	}
	sec, _ := strconv.ParseInt(v.Timestamp, 10, 64)
	h.clock.advance(time.Until(time.Unix(sec, 0)))
	if got := send(); got != http.StatusOK {
		t.Errorf("at the vector's time: HTTP %d, want 200", got)
	}
}

func TestVerifyRefusesMalformedHeaders(t *testing.T) {
	now := time.Unix(1700000000, 0)
	body := []byte("text=show")
	ts := strconv.FormatInt(now.Unix(), 10)
	good := bot.Sign("s3cret", ts, body)
	cases := []struct {
		name string
		ts   string
		sig  string
		want error
	}{
		{"a genuine request passes", ts, good, nil},
		{"a signed timestamp is not a Slack timestamp", "+" + ts, bot.Sign("s3cret", "+"+ts, body), bot.ErrBadTimestamp},
		{"a timestamp of 20 digits is refused before any arithmetic", strings.Repeat("9", 20), good, bot.ErrBadTimestamp},
		{"a timestamp with spaces is refused", " " + ts, good, bot.ErrBadTimestamp},
		{"a signature without its version is refused", ts, strings.TrimPrefix(good, "v0="), bot.ErrBadSignature},
		{"an upper-case signature is refused", ts, strings.ToUpper(good), bot.ErrBadSignature},
		{"a v1 signature is refused", ts, "v1=" + strings.TrimPrefix(good, "v0="), bot.ErrBadSignature},
		{"six minutes in the future is refused", strconv.FormatInt(now.Add(6*time.Minute).Unix(), 10), bot.Sign("s3cret", strconv.FormatInt(now.Add(6*time.Minute).Unix(), 10), body), bot.ErrStale},
		{"six minutes in the past is refused", strconv.FormatInt(now.Add(-6*time.Minute).Unix(), 10), bot.Sign("s3cret", strconv.FormatInt(now.Add(-6*time.Minute).Unix(), 10), body), bot.ErrStale},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := bot.Verify("s3cret", signedHeader(c.ts, c.sig), body, now); !errors.Is(err, c.want) {
				t.Errorf("Verify = %v, want %v", err, c.want)
			}
		})
	}
}
