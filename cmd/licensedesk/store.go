package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// errNoStore is the configuration error of exec, mail ingest and ledger
// without LICENSEDESK_REDIS_URL: they refuse a throw-away store.
var errNoStore = fmt.Errorf("LICENSEDESK_REDIS_URL is not set: this command works on the desk's Redis (redis://host:6379/0, rediss://…, or host:port,host:port for a cluster)")

// openRedis connects to the store named by url: redis:// or rediss:// for a
// single node, or a comma-separated host:port list for Redis Cluster.
func openRedis(ctx context.Context, url string) (redis.UniversalClient, error) {
	url = strings.TrimSpace(url)
	var rdb redis.UniversalClient
	switch {
	case strings.HasPrefix(url, "redis://"), strings.HasPrefix(url, "rediss://"), strings.HasPrefix(url, "unix://"):
		opt, err := redis.ParseURL(url)
		if err != nil {
			return nil, fmt.Errorf("store: %s: %w", RedactURL(url), err)
		}
		rdb = redis.NewClient(opt)
	case url != "":
		var addrs []string
		for _, a := range strings.Split(url, ",") {
			if a = strings.TrimSpace(a); a != "" {
				addrs = append(addrs, a)
			}
		}
		if len(addrs) == 1 {
			rdb = redis.NewClient(&redis.Options{Addr: addrs[0]})
		} else {
			rdb = redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
		}
	default:
		return nil, errNoStore
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("store: %s does not answer: %w", RedactURL(url), err)
	}
	return rdb, nil
}

// embeddedStore starts the in-process store used when no Redis is
// configured. It is not durable: everything is lost when the process ends.
func embeddedStore(log *slog.Logger, stderr io.Writer) (redis.UniversalClient, func(), error) {
	m, err := miniredis.Run()
	if err != nil {
		return nil, nil, fmt.Errorf("store: embedded: %w", err)
	}
	fmt.Fprintln(stderr, strings.Repeat("!", 78))
	fmt.Fprintln(stderr, "!! WARNING: LICENSEDESK_REDIS_URL is not set: using an EMBEDDED IN-MEMORY store.")
	fmt.Fprintln(stderr, "!! It is NOT DURABLE: every licence change is LOST when this process stops.")
	fmt.Fprintln(stderr, "!! Set LICENSEDESK_REDIS_URL=redis://host:6379/0 for production.")
	fmt.Fprintln(stderr, strings.Repeat("!", 78))
	log.Warn("embedded store: not durable", "addr", m.Addr())
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	return rdb, func() { rdb.Close(); m.Close() }, nil
}
