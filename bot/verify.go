package bot

// Request signing (SPEC §5.1). Slack signs every HTTP request with the app's
// signing secret: X-Slack-Signature is "v0=" + hex(HMAC-SHA256(secret,
// "v0:" + X-Slack-Request-Timestamp + ":" + raw body)). A request is trusted
// only when that signature matches (compared in constant time) and its
// timestamp is within five minutes of our clock, so a captured request
// cannot be replayed later.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// Headers Slack signs its requests with.
const (
	SignatureHeader = "X-Slack-Signature"
	TimestampHeader = "X-Slack-Request-Timestamp"
)

// MaxClockSkew is how far a request's timestamp may be from our clock
// (Slack's replay window).
const MaxClockSkew = 5 * time.Minute

// Reasons a request fails verification. Each is answered 401 and touches
// nothing.
var (
	ErrNoSecret     = errors.New("bot: no signing secret configured")
	ErrUnsigned     = errors.New("bot: request is not signed")
	ErrBadTimestamp = errors.New("bot: request timestamp is malformed")
	ErrBadSignature = errors.New("bot: request signature does not match")
	ErrStale        = errors.New("bot: request timestamp is more than 5 minutes off")
	ErrTooLarge     = errors.New("bot: request body is too large")
)

// Sign returns the v0 signature of a request body sent at timestamp (Unix
// seconds, as Slack writes it in X-Slack-Request-Timestamp). The secret is
// used as raw bytes, not decoded from hex.
func Sign(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:"))
	mac.Write([]byte(timestamp))
	mac.Write([]byte(":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a request's signature and timestamp against now. It returns
// nil for a genuine, fresh request, and one of the errors above otherwise.
func Verify(secret string, h http.Header, body []byte, now time.Time) error {
	if secret == "" {
		return ErrNoSecret
	}
	ts, sig := h.Get(TimestampHeader), h.Get(SignatureHeader)
	if ts == "" || sig == "" {
		return ErrUnsigned
	}
	// Slack sends whole seconds; anything else (signs, spaces, 20 digits)
	// is not a Slack timestamp.
	if len(ts) > 12 {
		return ErrBadTimestamp
	}
	for i := 0; i < len(ts); i++ {
		if ts[i] < '0' || ts[i] > '9' {
			return ErrBadTimestamp
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrBadTimestamp
	}
	// The signature is checked first and over the timestamp string as
	// received, so a forged request is reported as forged even when stale.
	if !hmac.Equal([]byte(sig), []byte(Sign(secret, ts, body))) {
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > MaxClockSkew || d < -MaxClockSkew {
		return ErrStale
	}
	return nil
}

// failureReason names a verification failure for the metrics.
func failureReason(err error) string {
	switch {
	case errors.Is(err, ErrNoSecret):
		return "no_secret"
	case errors.Is(err, ErrUnsigned):
		return "unsigned"
	case errors.Is(err, ErrBadTimestamp):
		return "bad_timestamp"
	case errors.Is(err, ErrBadSignature):
		return "bad_signature"
	case errors.Is(err, ErrStale):
		return "stale"
	case errors.Is(err, ErrTooLarge):
		return "too_large"
	}
	return "other"
}
