package bot

// Answers after the acknowledgement (SPEC §5.2). A slash command or a click
// comes with a response_url that accepts at most 5 messages within 30
// minutes; past that, or when Slack says it expired, the answer goes
// through the Web API instead (chat.postMessage, or chat.postEphemeral for
// an answer meant for one person). Slack's rate limits are honoured: a 429
// is retried after its Retry-After, other temporary failures with capped
// exponential backoff, and permanent ones are not retried.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/licensedesk/licensedesk/internal/backoff"
	"github.com/licensedesk/licensedesk/internal/clip"
	"github.com/licensedesk/licensedesk/internal/fault"
	"github.com/slack-go/slack"
)

const (
	// responseURLUses and responseURLLifetime are Slack's limits on a
	// response_url. The lifetime keeps a minute in hand for clock drift and
	// the time the post itself takes.
	responseURLUses     = 5
	responseURLLifetime = 29 * time.Minute
	// maxAttempts bounds the tries of one post (429s and temporary errors).
	maxAttempts = 5
	// maxRetryAfter caps how long one Retry-After may hold a worker.
	maxRetryAfter = time.Minute
)

// errURLExpired means Slack refused a response_url as expired or used up.
var errURLExpired = errors.New("bot: response_url expired or used up")

// errNoRoute means an answer had nowhere to go.
var errNoRoute = errors.New("bot: no response_url and no channel to post to")

// target is where an answer goes.
type target struct {
	ResponseURL string
	// Issued is when Slack issued the response_url (when the command or
	// click arrived).
	Issued  time.Time
	Channel string
	User    string
}

// responder posts answers. It is safe for concurrent use.
type responder struct {
	client *http.Client
	api    *slack.Client // nil without a bot token
	log    *slog.Logger
	m      *metrics
	now    func() time.Time
	// sleep waits between tries, false when ctx ended first
	// (backoff.Sleep; tests record the waits instead).
	sleep func(context.Context, time.Duration) bool
	// allowed says whether a response_url may be posted to.
	allowed func(*url.URL) bool

	mu   sync.Mutex
	uses map[string]*urlUse
}

type urlUse struct {
	first time.Time
	n     int
}

// send delivers m to t: through the response_url while it is usable, else
// through the Web API.
func (r *responder) send(ctx context.Context, t target, m message) error {
	if t.ResponseURL != "" {
		switch u, err := url.Parse(t.ResponseURL); {
		case err != nil || !r.allowed(u):
			r.log.Warn("response_url refused: not a Slack address", "host", hostOf(t.ResponseURL))
		case !r.reserve(t):
			r.log.Info("response_url used up or expired: posting through the Web API")
		default:
			err := r.postResponseURL(ctx, t.ResponseURL, m)
			if err == nil {
				r.m.responses.WithLabelValues("response_url", "ok").Inc()
				return nil
			}
			r.m.responses.WithLabelValues("response_url", "error").Inc()
			if ctx.Err() != nil {
				return err
			}
			r.log.Warn("response_url post failed: posting through the Web API", "err", err)
		}
	}
	r.m.fallbacks.Inc()
	return r.post(ctx, t, m)
}

// reserve counts one use of a response_url; false when it has none left.
func (r *responder) reserve(t target) bool {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.uses) > 4096 {
		for k, u := range r.uses {
			if now.Sub(u.first) > responseURLLifetime {
				delete(r.uses, k)
			}
		}
	}
	u := r.uses[t.ResponseURL]
	if u == nil {
		first := t.Issued
		if first.IsZero() {
			first = now
		}
		u = &urlUse{first: first}
		r.uses[t.ResponseURL] = u
	}
	if u.n >= responseURLUses || now.Sub(u.first) > responseURLLifetime {
		return false
	}
	u.n++
	return true
}

// postResponseURL posts m to a response_url, retrying 429s and temporary
// failures.
func (r *responder) postResponseURL(ctx context.Context, rawURL string, m message) error {
	body, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("bot: encode message: %w", err)
	}
	var last error
	retry := backoff.Backoff{Policy: slackRetry}
	for attempt := 0; attempt < maxAttempts; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("bot: response_url: %w", err)
		}
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		resp, err := r.client.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// The error text may carry the URL, a bearer of the channel.
			last = fmt.Errorf("bot: response_url to %s: %w", hostOf(rawURL), unwrapURLError(err))
			if !r.sleep(ctx, retry.Failure()) {
				return ctx.Err()
			}
			continue
		}
		text, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusTooManyRequests:
			wait := retryAfter(resp.Header.Get("Retry-After"))
			r.m.rateLimited.WithLabelValues("response_url").Inc()
			r.log.Info("response_url rate limited", "retry_after", wait)
			last = fmt.Errorf("bot: response_url rate limited")
			if !r.sleep(ctx, wait) {
				return ctx.Err()
			}
			continue
		case resp.StatusCode >= 500:
			last = fmt.Errorf("bot: response_url: HTTP %d", resp.StatusCode)
			if !r.sleep(ctx, retry.Failure()) {
				return ctx.Err()
			}
			continue
		case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone ||
			bytes.Contains(text, []byte("expired_url")) || bytes.Contains(text, []byte("used_url")):
			return errURLExpired
		case resp.StatusCode >= 300 || bytes.Contains(text, []byte(`"ok":false`)):
			return fmt.Errorf("bot: response_url: HTTP %d: %s", resp.StatusCode, clip.Text(string(text), 200))
		}
		return nil
	}
	return last
}

// post sends m through the Web API: ephemeral answers to the one user,
// others to the channel.
func (r *responder) post(ctx context.Context, t target, m message) error {
	if r.api == nil || t.Channel == "" {
		return errNoRoute
	}
	opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false)}
	if len(m.Blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(m.Blocks...))
	}
	method := "chat.postMessage"
	if m.ResponseType != inChannel && t.User != "" {
		method = "chat.postEphemeral"
	}
	err := r.web(ctx, method, func(ctx context.Context) error {
		if method == "chat.postEphemeral" {
			_, err := r.api.PostEphemeralContext(ctx, t.Channel, t.User, opts...)
			return err
		}
		_, _, err := r.api.PostMessageContext(ctx, t.Channel, opts...)
		return err
	})
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	r.m.responses.WithLabelValues(method, outcome).Inc()
	return err
}

// web runs one Web API call, honouring rate limits and retrying temporary
// failures (internal/fault); API errors such as channel_not_found are not
// retried.
func (r *responder) web(ctx context.Context, method string, call func(context.Context) error) error {
	var err error
	retry := backoff.Backoff{Policy: slackRetry}
	for attempt := 0; attempt < maxAttempts; attempt++ {
		err = call(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var rl *slack.RateLimitedError
		var sc slack.StatusCodeError
		var wait time.Duration
		switch {
		case errors.As(err, &rl):
			wait = min(max(rl.RetryAfter, time.Second), maxRetryAfter)
			r.m.rateLimited.WithLabelValues("web").Inc()
			r.log.Info("Slack Web API rate limited", "method", method, "retry_after", wait)
		case errors.As(err, &sc) && sc.Retryable(), fault.IsTemporary(err):
			wait = retry.Failure()
		default:
			return fmt.Errorf("bot: %s: %w", method, err)
		}
		if !r.sleep(ctx, wait) {
			return ctx.Err()
		}
	}
	return fmt.Errorf("bot: %s: %w", method, err)
}

// retryAfter reads a Retry-After header (seconds or an HTTP date).
func retryAfter(h string) time.Duration {
	h = strings.TrimSpace(h)
	if s, err := strconv.Atoi(h); err == nil && s >= 0 {
		return min(max(time.Duration(s)*time.Second, time.Second), maxRetryAfter)
	}
	if t, err := http.ParseTime(h); err == nil {
		return min(max(time.Until(t), time.Second), maxRetryAfter)
	}
	return time.Second
}

// hostOf names a URL's host for logs, never its path (a response_url is a
// bearer capability).
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable)"
	}
	return u.Host
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
