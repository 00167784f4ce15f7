package ledger

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// committer sends commit scripts to Redis in pipelines: each worker takes
// the first waiting commit and every other one already queued (never
// waiting for more), and sends them in one write. Under load this turns
// many small round trips into few, for Redis and for this process; alone,
// a commit goes out at once as before. Each script stays atomic: a pipeline
// is only a way of sending.
//
// Workers start on demand and stop after a second without work, so the
// committer owns no goroutine while idle and needs no Close.
type committer struct {
	rdb     redis.UniversalClient
	jobs    chan *commitJob
	running atomic.Int32
	max     int32
}

type commitJob struct {
	ctx  context.Context
	keys []string
	args []any
	done chan commitReply
}

type commitReply struct {
	reply []string
	err   error
}

const maxBatch = 64

func newCommitter(rdb redis.UniversalClient) *committer {
	return &committer{rdb: rdb, jobs: make(chan *commitJob, 4096), max: 8}
}

// run commits one script and waits for its reply.
func (c *committer) run(ctx context.Context, keys []string, args []any) ([]string, error) {
	job := &commitJob{ctx: ctx, keys: keys, args: args, done: make(chan commitReply, 1)}
	select {
	case c.jobs <- job:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	c.ensureWorker()
	select {
	case r := <-job.done:
		return r.reply, r.err
	case <-ctx.Done():
		// The commit may still happen; like a lost network reply, the
		// idempotency key is what makes a retry safe.
		return nil, ctx.Err()
	}
}

func (c *committer) ensureWorker() {
	if c.running.Load() >= c.max {
		return
	}
	if c.running.Add(1) > c.max {
		c.running.Add(-1)
		return
	}
	go c.worker()
}

func (c *committer) worker() {
	idle := time.NewTimer(time.Second)
	defer idle.Stop()
	for {
		select {
		case job := <-c.jobs:
			batch := []*commitJob{job}
		drain:
			for len(batch) < maxBatch {
				select {
				case j := <-c.jobs:
					batch = append(batch, j)
				default:
					break drain
				}
			}
			c.send(batch)
			if !idle.Stop() {
				select {
				case <-idle.C:
				default:
				}
			}
			idle.Reset(time.Second)
		case <-idle.C:
			c.running.Add(-1)
			// A job queued while this worker was leaving must not wait.
			if len(c.jobs) > 0 && c.running.Add(1) <= c.max {
				idle.Reset(time.Second)
				continue
			}
			return
		}
	}
}

// send runs one batch; a panic fails the batch instead of the process.
func (c *committer) send(batch []*commitJob) {
	defer func() {
		if r := recover(); r != nil {
			for _, j := range batch {
				select {
				case j.done <- commitReply{err: wrapf("ledger: commit: panic: %v", r)}:
				default:
				}
			}
		}
	}()
	if len(batch) == 1 {
		j := batch[0]
		reply, err := commitScript.Run(j.ctx, c.rdb, j.keys, j.args...).StringSlice()
		j.done <- commitReply{reply, err}
		return
	}
	pipe := c.rdb.Pipeline()
	cmds := make([]*redis.Cmd, len(batch))
	for i, j := range batch {
		cmds[i] = commitScript.EvalSha(j.ctx, pipe, j.keys, j.args...)
	}
	_, _ = pipe.Exec(context.Background()) // errors are per command
	for i, j := range batch {
		reply, err := cmds[i].StringSlice()
		if err != nil && isNoScript(err) {
			// Redis lost its script cache (a restart): this one loads it.
			reply, err = commitScript.Run(j.ctx, c.rdb, j.keys, j.args...).StringSlice()
		}
		j.done <- commitReply{reply, err}
	}
}

func isNoScript(err error) bool {
	var rerr redis.Error
	return errors.As(err, &rerr) && strings.HasPrefix(rerr.Error(), "NOSCRIPT")
}
