package bot

// The HTTP transport (SPEC §5.1): the endpoints, the bounded body, the
// signature check, and the JSON answers. What a command or a click does is
// dispatch.go's and approvals.go's.

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/slack-go/slack"
)

// DefaultMaxBody bounds a Slack request body. A slash command naming the
// 1,000 users one command may hold (R-ASSIGN) is about 40 KiB once
// form-encoded, and a button click echoes our approval message (a few KiB);
// 128 KiB leaves room for both and still bounds what a stranger can make
// us read before the signature is checked.
const DefaultMaxBody = 128 << 10

// Handler serves the Slack endpoints, POST /slack/commands and POST
// /slack/interactive, and nothing else: serve mounts it under "/slack/"
// and serves /healthz and /metrics itself (SPEC §6.2), with the registry
// NewServer registered the bot's metrics in.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /slack/commands", s.serveCommand)
	mux.HandleFunc("POST /slack/interactive", s.serveInteractive)
	return mux
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
