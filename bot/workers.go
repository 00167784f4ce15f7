package bot

// The work the Server owns beyond a request (DESIGN "The edges"): the
// bounded pool that runs changes, the goroutines that answer reads, the
// background loops, and the recovery of their panics.

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"
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

// loop runs step now and then every interval until ctx ends, backing off
// after failures and recovering panics.
func (s *Server) loop(ctx context.Context, name string, every time.Duration, step func(context.Context) error) {
	failures := 0
	for {
		err := func() (err error) {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
				}
			}()
			return step(ctx)
		}()
		wait := every
		if err != nil && ctx.Err() == nil {
			failures++
			wait = max(every, min(time.Second<<min(failures, 6), time.Minute))
			s.log.Warn(name+" failed", "err", err, "retry_in", wait)
		} else {
			failures = 0
		}
		if sleepCtx(ctx, wait) != nil {
			return
		}
	}
}
