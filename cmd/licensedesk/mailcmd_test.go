package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/licensedesk/licensedesk/ledger"
)

// outboxLen reads how many replies wait in an outbox of the store env names.
func outboxLen(t *testing.T, env []string, tenant string) int64 {
	t.Helper()
	var url string
	for _, v := range env {
		if u, ok := strings.CutPrefix(v, "LICENSEDESK_REDIS_URL="); ok {
			url = u
		}
	}
	l, err := ledger.Open(context.Background(), url, ledger.SystemClock{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	n, err := l.OutboxLen(context.Background(), tenant)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// customerRequest is an email from a contact of fabrikam that applies at
// once, and is answered.
func customerRequest(msgID string) string {
	return "From: buyer@fabrikam.com\r\nTo: licences@desk.example\r\nSubject: Seats\r\nMessage-ID: <" + msgID + ">\r\n\r\n" +
		"Please add 2 Office 365 E1 licences.\r\n"
}

func TestMailIngestChecksTheWholeConfigurationBeforeTouchingTheStore(t *testing.T) {
	const password = "Zq9-secret"
	store := seededStore(t)
	cases := []struct {
		name string
		env  []string
		want string // in the message
	}{
		{"an SMTP URL with a bad parameter", []string{"LICENSEDESK_FROM=licences@desk.example",
			"LICENSEDESK_SMTP_URL=smtp://desk:" + password + "@mail.example.com?starttls=maybe"}, "smtp_url"},
		{"plain SMTP to another host", []string{"LICENSEDESK_FROM=licences@desk.example",
			"LICENSEDESK_SMTP_URL=smtp://desk:" + password + "@mail.example.com:25?starttls=0"}, "loopback"},
		{"an SMTP URL without its slashes", []string{"LICENSEDESK_FROM=licences@desk.example",
			"LICENSEDESK_SMTP_URL=smtp:desk:" + password + "@mail.example.com"}, "two slashes"},
		{"an SMTP URL with a bad escape", []string{"LICENSEDESK_FROM=licences@desk.example",
			"LICENSEDESK_SMTP_URL=smtps://desk:" + password + "%zz@mail.example.com"}, "smtp_url"},
		{"an IMAP URL with a bad port", []string{"LICENSEDESK_IMAP_URL=imaps://desk:" + password + "@mail.example.com:99999/INBOX"}, "imap_url"},
		{"SMTP without the desk's address", []string{"LICENSEDESK_SMTP_URL=smtp://127.0.0.1:25"}, "from"},
		{"a desk address that is not one", []string{"LICENSEDESK_FROM=Licence Desk <licences@desk.example>"}, "bare address"},
	}
	before := runBinary(t, store, "", "ledger", "export")
	if before.code != 0 {
		t.Fatalf("export: %s", before.stderr)
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			msgID := "config-" + string(rune('a'+i)) + "@fabrikam.com"
			r := runBinary(t, append(append([]string{}, store...), c.env...), customerRequest(msgID), "mail", "ingest", "--json", "-")
			if r.code != exitUsage {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", r.code, exitUsage, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stderr, c.want) || r.stdout != "" {
				t.Errorf("stderr %q, want a message naming %q (and nothing on stdout: %q)", r.stderr, c.want, r.stdout)
			}
			if strings.Contains(r.stderr, password) {
				t.Errorf("stderr shows the password: %s", r.stderr)
			}
		})
	}
	if after := runBinary(t, store, "", "ledger", "export"); after.stdout != before.stdout {
		t.Errorf("a refused configuration changed the desk:\nbefore\n%s\nafter\n%s", before.stdout, after.stdout)
	}
	if n := outboxLen(t, store, "fabrikam"); n != 0 {
		t.Errorf("the outbox holds %d replies after refused configurations", n)
	}
	// The first message, never applied, applies now: it was not recorded.
	good := runBinary(t, store, customerRequest("config-a@fabrikam.com"), "mail", "ingest", "--json", "-")
	if good.code != 0 || !strings.Contains(good.stdout, `"status": "applied"`) {
		t.Errorf("the same message with a good configuration: %d %s %s", good.code, good.stdout, good.stderr)
	}
}

func TestMailIngestExits75WhenTheStoreCannotBeReached(t *testing.T) {
	cases := []struct {
		name string
		args []string
	}{
		{"as text", []string{"mail", "ingest", "-"}},
		{"as JSON", []string{"mail", "ingest", "--json", "-"}},
	}
	down := "redis://" + freeAddr(t) // nothing listens there
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runBinary(t, []string{"LICENSEDESK_REDIS_URL=" + down, "LICENSEDESK_FROM=licences@desk.example"},
				customerRequest("down@fabrikam.com"), c.args...)
			if r.code != exitTempFail {
				t.Fatalf("exit %d, want 75 (EX_TEMPFAIL)\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stderr, "try again later") || r.stdout != "" {
				t.Errorf("stderr %q stdout %q: want the reason on stderr only", r.stderr, r.stdout)
			}
		})
	}
}

func TestMailIngestQueuesTheReplyWhileSMTPIsDownAndServeSendsItLater(t *testing.T) {
	// The address is known; nothing answers there yet.
	sink := &smtpSink{addr: freeAddr(t)}
	t.Cleanup(sink.stop)
	env := append(seededStore(t), "LICENSEDESK_FROM=licences@desk.example", "LICENSEDESK_SMTP_URL=smtp://"+sink.addr)

	r := runBinary(t, env, customerRequest("queued-1@fabrikam.com"), "mail", "ingest", "--json", "-")
	if r.code != 0 {
		t.Fatalf("exit %d for an applied request whose reply cannot leave yet\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	var out struct {
		Status string
		Sent   bool
		Queued bool
		Reply  string
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if out.Status != "applied" || out.Sent || !out.Queued || out.Reply == "" {
		t.Errorf("JSON %+v, want applied, sent false, queued true, and the reply", out)
	}
	text := runBinary(t, env, customerRequest("queued-2@fabrikam.com"), "mail", "ingest", "-")
	if text.code != 0 || !strings.Contains(text.stdout, "(reply queued: serve will send it)") {
		t.Errorf("text output: exit %d\n%s\n%s", text.code, text.stdout, text.stderr)
	}
	if n := outboxLen(t, env, "fabrikam"); n != 2 {
		t.Fatalf("the outbox holds %d replies, want both kept", n)
	}

	// SMTP comes back; serve's sender delivers what mail ingest left.
	sink.start(t)
	startServe(t, env)
	waitFor(t, 60*time.Second, "both replies", func() bool {
		got := sink.byInReplyTo()
		return len(got["queued-1@fabrikam.com"]) == 1 && len(got["queued-2@fabrikam.com"]) == 1
	})
	waitFor(t, 10*time.Second, "the outbox to empty", func() bool { return outboxLen(t, env, "fabrikam") == 0 })
}

// startServe runs `licensedesk serve` on env until the test ends.
func startServe(t *testing.T, env []string) {
	t.Helper()
	addr := freeAddr(t)
	var log bytes.Buffer
	cmd := exec.Command(binary, "serve")
	cmd.Env = append(append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...),
		"LICENSEDESK_HTTP_ADDR="+addr, "LICENSEDESK_LOG_LEVEL=warn")
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("serve's log:\n%s", log.String())
		}
	})
	waitFor(t, 20*time.Second, "serve to answer /healthz", func() bool {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
}
