package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/licensedesk/licensedesk/ledger"
	"github.com/redis/go-redis/v9"
)

func (e *env) serve(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	cfgPath := fs.String("config", "", "configuration file (YAML; unknown keys are errors)")
	seedPath := fs.String("seed", "", "import this seed file at start (tenants in it are replaced)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	cfg, err := e.config(*cfgPath)
	if err != nil {
		return e.fail(&configError{err})
	}
	var rdb redis.UniversalClient
	var closer func()
	if cfg.RedisURL == "" {
		rdb, closer, err = embeddedStore(e.log, e.stderr)
	} else {
		rdb, err = openRedis(ctx, cfg.RedisURL)
		closer = func() { rdb.Close() }
	}
	if err != nil {
		return e.fail(err)
	}
	defer closer()
	l, _, err := e.ledgerOn(ctx, rdb, func() {})
	if err != nil {
		return e.fail(err)
	}
	if *seedPath != "" {
		f, err := os.Open(*seedPath)
		if err != nil {
			return e.fail(&configError{err})
		}
		seed, err := ledger.ParseSeed(f, l.Catalog())
		f.Close()
		if err != nil {
			return e.fail(&configError{err})
		}
		if err := l.Import(ctx, seed); err != nil {
			return e.fail(err)
		}
		e.log.Info("seed imported", "file", *seedPath, "tenants", len(seed.Tenants))
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if err := l.Ping(r.Context()); err != nil {
			http.Error(w, "store unavailable", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	srv := &http.Server{Addr: cfg.HTTPAddr, Handler: mux, ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second, MaxHeaderBytes: 64 << 10}

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		loop(ctx, e.log, "sweeper", time.Minute, func(ctx context.Context) error {
			rep, err := l.Sweep(ctx)
			if err == nil && len(rep.Changes) > 0 {
				e.log.Info("sweep", "changes", len(rep.Changes))
			}
			if err == nil {
				err = l.Refresh(ctx) // pick up catalog overrides imported meanwhile
			}
			return err
		})
	}()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	e.log.Info("serving", "addr", cfg.HTTPAddr, "config", cfg.String())
	fmt.Fprintf(e.stderr, "licensedesk is serving on %s (GET /healthz). Stop with Ctrl-C.\n", cfg.HTTPAddr)
	if a, ok := rdb.(*redis.Client); ok && cfg.RedisURL == "" {
		fmt.Fprintf(e.stderr, "Try it from another shell: LICENSEDESK_REDIS_URL=redis://%s licensedesk exec help\n", a.Options().Addr)
	}

	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return e.fail(fmt.Errorf("http: %w", err))
		}
	case <-ctx.Done():
		e.log.Info("shutting down")
	}
	shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	_ = srv.Shutdown(shut)
	wg.Wait()
	return exitOK
}

// loop runs step every interval until ctx ends. A failing step is retried
// with capped exponential backoff; a panic is recovered and logged.
func loop(ctx context.Context, log *slog.Logger, name string, every time.Duration, step func(context.Context) error) {
	failures := 0
	for {
		err := safeStep(ctx, step)
		wait := every
		if err != nil && ctx.Err() == nil {
			failures++
			wait = min(time.Second<<min(failures, 6), every)
			log.Warn(name+" failed", "err", err, "retry_in", wait)
		} else {
			failures = 0
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func safeStep(ctx context.Context, step func(context.Context) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return step(ctx)
}
