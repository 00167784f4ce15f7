package main

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/licensedesk/licensedesk/internal/testredis"
)

// Issue 13: in a container, serve refuses the embedded store unless it is
// explicitly allowed, since a restart would lose every change.
func TestServeRefusesTheEmbeddedStoreInAContainer(t *testing.T) {
	r := runBinary(t, []string{"LICENSEDESK_IN_CONTAINER=1", "LICENSEDESK_HTTP_ADDR=127.0.0.1:0"}, "", "serve")
	if r.code != exitUsage || !strings.Contains(r.stderr, "LICENSEDESK_REDIS_URL is not set") || !strings.Contains(r.stderr, "LICENSEDESK_ALLOW_EMBEDDED_STORE") {
		t.Errorf("exit %d:\n%s", r.code, r.stderr)
	}
	if strings.Contains(r.stderr, "serving on") {
		t.Errorf("serve said it was serving:\n%s", r.stderr)
	}
}

// Issue 13: serve says "serving on" only once it is bound; a taken port is
// a clear error, with nothing said about serving.
func TestServeSaysServingOnlyOnceBound(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	srv := testredis.Start(t)
	r := runBinary(t, []string{"LICENSEDESK_REDIS_URL=" + srv.URL(), "LICENSEDESK_HTTP_ADDR=" + ln.Addr().String()}, "", "serve")
	if r.code != exitUsage || strings.Contains(r.stderr, "serving on") || !strings.Contains(r.stderr, "http_addr") {
		t.Errorf("exit %d:\n%s", r.code, r.stderr)
	}
}

// Issue 13: the README's serve command, as written, starts with only the
// store and the signing secret in the environment.
func TestServeStartsWithTheExampleConfigAsTheReadmeRunsIt(t *testing.T) {
	srv := testredis.Start(t)
	addr := freeAddr(t)
	var log bytes.Buffer
	cmd := exec.Command(binary, "serve", "--config", "../../examples/licensedesk.yaml")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "LICENSEDESK_REDIS_URL=" + srv.URL(),
		"SLACK_SIGNING_SECRET=test-secret", "LICENSEDESK_HTTP_ADDR=" + addr}
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			_ = cmd.Process.Signal(syscall.SIGTERM)
			_ = cmd.Wait()
		}
	}
	defer stop()
	waitFor(t, 20*time.Second, "serve to answer /healthz", func() bool {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	// The healthcheck command the container runs agrees.
	if r := runBinary(t, nil, "", "healthcheck", "--url", "http://"+addr+"/healthz"); r.code != 0 {
		t.Errorf("healthcheck: %d %s", r.code, r.stderr)
	}
	stop() // the log is read once serve has written its last line
	if strings.Contains(log.String(), "test-secret") {
		t.Errorf("serve printed the signing secret:\n%s", log.String())
	}
}
