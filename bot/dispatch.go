package bot

// Dispatch of a slash command (SPEC §5.2): a read answers in the
// acknowledgement when it can, a change is acknowledged at once and runs in
// the workers; either way the Desk runs it and the reply is rendered for
// Slack.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/licensedesk/licensedesk/internal/backoff"
	"github.com/licensedesk/licensedesk/internal/fault"
	"github.com/licensedesk/licensedesk/ledger"
	"github.com/slack-go/slack"
)

// callerOf is who runs a slash command.
func callerOf(sc slack.SlashCommand) Caller {
	return Caller{SlackUser: sc.UserID, Origin: ledger.Origin{
		Channel: ledger.ChannelSlack, Team: sc.TeamID, SlackChan: sc.ChannelID,
		SlackUser: sc.UserID, ResponseURL: sc.ResponseURL,
	}}
}

// idempotencyKey names one invocation of a command: a retry of it carries
// the same trigger_id, a second invocation a new one (R-IDEMPOTENT).
func idempotencyKey(sc slack.SlashCommand) string {
	if sc.TriggerID != "" {
		return "slack:" + sc.TeamID + ":" + sc.TriggerID
	}
	sum := sha256.Sum256([]byte(strings.Join([]string{sc.TeamID, sc.ChannelID, sc.UserID, sc.Text, sc.ResponseURL}, "\x00")))
	return "slack:" + hex.EncodeToString(sum[:16])
}

// verbLabel bounds the verb label of the metrics to the verb table.
func verbLabel(cmd *Command) string {
	if cmd == nil || lookupVerb(cmd.Verb) == nil {
		return "unknown"
	}
	return cmd.Verb
}

// changeVerb reports whether a command may change the ledger (the verb
// table's Writes), from its first word alone: changes run in the workers,
// never in the acknowledgement, and deciding that needs no parse (a
// malformed change is answered by the worker like any other). The word is
// read by the parser's own lexer, so "approve\tLD-…" or a quoted verb is
// the verb the parser will see.
func changeVerb(text string) (string, bool) {
	lx := &cmdLexer{s: text}
	first, ok, _ := lx.next()
	if !ok {
		return "unknown", false
	}
	if v := lookupVerb(strings.ToLower(first.text)); v != nil && v.Writes {
		return v.Name, true
	}
	return "unknown", false
}

// command handles a slash command from either transport and returns the
// acknowledgement. It never waits longer than the read deadline.
func (s *Server) command(sc slack.SlashCommand, retry int) message {
	who := callerOf(sc)
	t := target{ResponseURL: sc.ResponseURL, Issued: s.now(), Channel: sc.ChannelID, User: sc.UserID}
	verb, change := changeVerb(sc.Text)
	if !change {
		return s.read(sc.Text, who, t)
	}
	key := idempotencyKey(sc)
	if !s.recent.add(key, s.now()) {
		// A Slack retry of a command already taken: the first run answers.
		s.log.Info("retry of a command already taken", "retry", retry, "verb", verb)
		return notice("⏳ Already working on it: the result follows here.")
	}
	ok := s.enqueue(func(ctx context.Context) { s.runChange(ctx, sc.Text, who, key, t) })
	if !ok {
		s.recent.forget(key)
		s.m.commands.WithLabelValues(verb, "busy").Inc()
		return notice("The desk is busy or restarting and did not take " + code(sc.Text) + ". Nothing changed: try again in a moment.")
	}
	return working(sc.Text)
}

// read runs a read in the acknowledgement when it answers within the
// deadline; otherwise the acknowledgement says so and the answer follows
// through the response_url.
func (s *Server) read(text string, who Caller, t target) message {
	type outcome struct {
		rep Reply
		err error
	}
	done := make(chan outcome, 1)
	var mu sync.Mutex
	late := false
	started := s.spawn("read", func(ctx context.Context) {
		if s.hold != nil {
			s.hold("read")
		}
		rep, err := s.run(ctx, text, who, Options{})
		s.count(rep, err)
		mu.Lock()
		if !late {
			done <- outcome{rep, err}
			mu.Unlock()
			return
		}
		mu.Unlock()
		if err := s.resp.send(ctx, t, s.render(rep, err)); err != nil {
			s.log.Warn("late answer not delivered", "err", err)
		}
	})
	if !started {
		return notice("The desk is restarting: try again in a moment.")
	}
	timer := time.NewTimer(s.readDeadline)
	defer timer.Stop()
	select {
	case o := <-done:
		return s.render(o.rep, o.err)
	case <-timer.C:
		mu.Lock()
		defer mu.Unlock()
		select {
		case o := <-done:
			return s.render(o.rep, o.err)
		default:
			late = true
			return working(text)
		}
	}
}

// runChange runs a change in a worker and posts its answer. A temporary
// fault (the store did not answer) is retried with the same idempotency
// key, so a change that did commit is not applied twice (R-IDEMPOTENT).
func (s *Server) runChange(ctx context.Context, text string, who Caller, key string, t target) {
	defer s.answerPanic(ctx, t)
	var rep Reply
	var err error
	retry := backoff.Backoff{Policy: storeRetry}
	for attempt := 0; attempt < 3; attempt++ {
		rep, err = s.run(ctx, text, who, Options{IdempotencyKey: key})
		if err == nil || ctx.Err() != nil || errors.Is(err, errCrashed) || !fault.IsTemporary(err) {
			break
		}
		s.log.Warn("change failed, retrying", "attempt", attempt+1, "err", err)
		if !s.resp.sleep(ctx, retry.Failure()) {
			break
		}
	}
	s.count(rep, err)
	if err := s.resp.send(ctx, t, s.render(rep, err)); err != nil {
		s.log.Warn("answer not delivered", "err", err)
	}
	// An approval decided by command updates the approval message too.
	if err == nil && rep.Command != nil && (rep.Command.Verb == "approve" || rep.Command.Verb == "reject") &&
		rep.Result != nil && rep.Result.Decision != nil && !hasCode(*rep.Result, ledger.AlreadyDecided) {
		s.finalizeApproval(ctx, rep.Command.RequestID, rep.Result, "", "")
	}
}

// errCrashed marks a command that panicked: what it did is uncertain, so
// it is neither retried nor reported as a plain fault.
var errCrashed = errors.New("bot: command crashed")

// run runs a command on the desk, turning a panic into errCrashed.
func (s *Server) run(ctx context.Context, text string, who Caller, opt Options) (rep Reply, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("command crashed", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			rep, err = Reply{}, errCrashed
		}
	}()
	return s.desk.Run(ctx, text, who, opt)
}

func (s *Server) count(rep Reply, err error) {
	status := string(rep.Status)
	if err != nil {
		status = "error"
	}
	if rep.Usage != nil {
		status = "usage"
	}
	s.m.commands.WithLabelValues(verbLabel(rep.Command), status).Inc()
}

// render turns a reply (or a fault) into a message.
func (s *Server) render(rep Reply, err error) message {
	if errors.Is(err, errCrashed) {
		return crashed()
	}
	if err != nil {
		s.log.Error("command failed", "err", err)
		return faultReply()
	}
	return s.view.reply(rep)
}

func hasCode(res ledger.Result, code ledger.Code) bool {
	for _, e := range res.Errors {
		if e.Code == code {
			return true
		}
	}
	return false
}

// recentKeys remembers the commands taken lately, so that a Slack retry
// arriving while the first run is still going is not queued twice. The
// ledger's idempotency key is what guarantees a single apply; this only
// spares a second answer.
type recentKeys struct {
	mu sync.Mutex
	m  map[string]time.Time
}

const recentTTL = 10 * time.Minute

// add records key; false when it was recorded within the TTL.
func (r *recentKeys) add(key string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if at, ok := r.m[key]; ok && now.Sub(at) < recentTTL {
		return false
	}
	if len(r.m) >= 10000 {
		for k, at := range r.m {
			if now.Sub(at) >= recentTTL {
				delete(r.m, k)
			}
		}
		if len(r.m) >= 10000 {
			clear(r.m) // a flood: forget, the ledger still refuses a second apply
		}
	}
	r.m[key] = now
	return true
}

func (r *recentKeys) forget(key string) {
	r.mu.Lock()
	delete(r.m, key)
	r.mu.Unlock()
}
