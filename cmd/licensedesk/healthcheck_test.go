package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHealthcheckAsksHealthz(t *testing.T) {
	healthy := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" || !healthy {
			http.Error(w, "store unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok\n"))
	}))
	defer srv.Close()
	var out, errs bytes.Buffer
	if code := run([]string{"healthcheck", "--url", srv.URL + "/healthz"}, nil, &out, &errs, envOf(nil)); code != exitOK {
		t.Errorf("healthy: exit %d, %s", code, errs.String())
	}
	healthy = false
	if code := run([]string{"healthcheck", "--url", srv.URL + "/healthz"}, nil, &out, &errs, envOf(nil)); code != exitRefused {
		t.Errorf("unhealthy: exit %d", code)
	}
	srv.Close()
	if code := run([]string{"healthcheck", "--url", srv.URL + "/healthz"}, nil, &out, &errs, envOf(nil)); code != exitRefused {
		t.Errorf("down: exit %d", code)
	}
}

func TestHealthURLFollowsTheListenAddress(t *testing.T) {
	for addr, want := range map[string]string{":8080": "http://127.0.0.1:8080/healthz", "0.0.0.0:9000": "http://127.0.0.1:9000/healthz",
		"10.0.0.5:80": "http://10.0.0.5:80/healthz", "[::]:8081": "http://127.0.0.1:8081/healthz"} {
		if got := healthURL(addr); got != want {
			t.Errorf("healthURL(%q) = %q, want %q", addr, got, want)
		}
	}
}
