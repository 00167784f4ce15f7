package bot

// The work the Server owns beyond a request (DESIGN "The edges"): the
// bounded pool that runs changes, the goroutines that answer reads, the
// background loops, and the recovery of their panics.

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/licensedesk/licensedesk/internal/backoff"
)

// The waits of the bot's retries: one helper for every loop of the project
// (internal/backoff, DESIGN "Errors"), with a policy that suits each.
var (
	// slackRetry paces the retries of one post to Slack, to a response_url
	// or the Web API, after a temporary failure (a 429 waits its
	// Retry-After instead). Someone waits for the answer: at most 8 s.
	slackRetry = backoff.Policy{Base: 500 * time.Millisecond, Max: 8 * time.Second, Jitter: 0.2}
	// storeRetry paces the retries of a change or a decision whose store did
	// not answer (3 tries): short, the user waits and the acknowledgement
	// said the answer follows.
	storeRetry = backoff.Policy{Base: 250 * time.Millisecond, Max: 2 * time.Second, Jitter: 0.2}
	// socketRestart paces the restarts of Socket Mode when the client stops
	// (an invalid token, Slack away): up to a minute, replicas spread by
	// jitter.
	socketRestart = backoff.Policy{Base: time.Second, Max: time.Minute, Jitter: 0.5}
)

const (
	// socketHealthy is how long a Socket Mode connection must hold before
	// a restart is at the fastest pace again.
	socketHealthy = 10 * time.Minute
	// pollerHealthy is how long a poller (the approval poster, the weekly
	// report) must go well before its backoff starts again from its
	// interval: a store that answers every other poll is not hit at the
	// poll's pace.
	pollerHealthy = 5 * time.Minute
)

// runJob runs one queued job with its own deadline: a change that started
// is finished even while the server stops.
func (s *Server) runJob(ctx context.Context, job func(context.Context)) {
	defer s.busy.Add(-1)
	jctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), jobTimeout)
	defer cancel()
	defer s.recoverPanic("job")
	if s.hold != nil {
		s.hold("job")
	}
	job(jctx)
}

// enqueue hands a job to the workers; false when the queue is full or the
// server is stopping.
func (s *Server) enqueue(job func(context.Context)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.accepting {
		return false
	}
	s.busy.Add(1)
	select {
	case s.jobs <- job:
		return true
	default:
		s.busy.Add(-1)
		return false
	}
}

// spawn runs f in a goroutine that Run waits for; false when stopping.
func (s *Server) spawn(name string, f func(context.Context)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.accepting {
		return false
	}
	s.inflight.Add(1)
	s.busy.Add(1)
	go func() {
		defer s.inflight.Done()
		defer s.busy.Add(-1)
		defer s.recoverPanic(name)
		ctx, cancel := context.WithTimeout(context.Background(), jobTimeout)
		defer cancel()
		f(ctx)
	}()
	return true
}

// answerPanic tells the user when their command crashed, instead of
// leaving them waiting, then lets the panic go on to be logged.
func (s *Server) answerPanic(ctx context.Context, t target) {
	if r := recover(); r != nil {
		if err := s.resp.send(ctx, t, crashed()); err != nil {
			s.log.Warn("answer not delivered", "err", err)
		}
		panic(r)
	}
}

func (s *Server) recoverPanic(what string) {
	if r := recover(); r != nil {
		s.log.Error("panic recovered", "in", what, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	}
}

// poll runs step now and then every interval until ctx ends, recovering
// panics and, after failures, backing off from the interval up to a
// minute (or the interval, when longer).
func (s *Server) poll(ctx context.Context, name string, every time.Duration, step func(context.Context) error) {
	base := max(every, time.Second)
	l := backoff.Loop{Name: name, Log: s.log, Every: every, Backoff: backoff.Backoff{
		Policy:       backoff.Policy{Base: base, Max: max(base, time.Minute), Jitter: 0.2},
		HealthyAfter: pollerHealthy,
		Now:          func() time.Time { return s.now() },
	}}
	l.Run(ctx, step)
}
