package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"
)

// healthcheck asks a running serve whether it is healthy: its GET /healthz
// answers 200 when the store answers. It is the container's HEALTHCHECK,
// since a distroless image has neither a shell nor curl.
func (e *env) healthcheck(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	target := fs.String("url", "", "the /healthz URL (default: from http_addr, on 127.0.0.1)")
	cfgPath := fs.String("config", "", "configuration file")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *target == "" {
		cfg, err := e.config(*cfgPath)
		if err != nil {
			return e.fail(&configError{err})
		}
		*target = healthURL(cfg.HTTPAddr)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *target, nil)
	if err != nil {
		fmt.Fprintf(e.stderr, "licensedesk healthcheck: %q is not a URL\n", *target)
		return exitUsage
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(e.stderr, "licensedesk healthcheck: %s does not answer\n", *target)
		return exitRefused
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(e.stderr, "licensedesk healthcheck: unhealthy (%s)\n", resp.Status)
		return exitRefused
	}
	fmt.Fprintln(e.stdout, "ok")
	return exitOK
}

// healthURL is the /healthz URL of a listen address, on the loopback
// interface when the address names no host.
func healthURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		host, port = "", "8080"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz"
}
