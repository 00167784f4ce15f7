package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/licensedesk/licensedesk/bot"
	"github.com/licensedesk/licensedesk/internal/testdovecot"
	"github.com/licensedesk/licensedesk/internal/testredis"
	"github.com/licensedesk/licensedesk/mailintake/decode"
)

// smtpSink is an SMTP server that records every reply and can go down and
// come back on the same port.
type smtpSink struct {
	mu      sync.Mutex
	addr    string
	srv     *smtp.Server
	replies []*decode.Message
}

func newSMTPSink(t testing.TB) *smtpSink {
	s := &smtpSink{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	s.serve(ln)
	t.Cleanup(s.stop)
	return s
}

func (s *smtpSink) serve(ln net.Listener) {
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &sinkRecorder{s: s}, nil }))
	srv.Domain, srv.AllowInsecureAuth = "mx.test", true
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	go srv.Serve(ln)
}

func (s *smtpSink) stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

func (s *smtpSink) start(t testing.TB) {
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ { // the port may linger a moment
		if ln, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	s.serve(ln)
}

// byInReplyTo counts the replies to each original Message-ID.
func (s *smtpSink) byInReplyTo() map[string][]*decode.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][]*decode.Message{}
	for _, m := range s.replies {
		for _, id := range m.InReplyTo {
			out[id] = append(out[id], m)
		}
	}
	return out
}

type sinkRecorder struct{ s *smtpSink }

func (r *sinkRecorder) Mail(string, *smtp.MailOptions) error { return nil }
func (r *sinkRecorder) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (r *sinkRecorder) Data(rd io.Reader) error {
	raw, err := io.ReadAll(rd)
	if err != nil {
		return err
	}
	m, err := decode.Parse(bytes.NewReader(raw), decode.DefaultLimits())
	if err != nil {
		return err
	}
	r.s.mu.Lock()
	r.s.replies = append(r.s.replies, m)
	r.s.mu.Unlock()
	return nil
}
func (r *sinkRecorder) Reset()        {}
func (r *sinkRecorder) Logout() error { return nil }

// desk is a running `licensedesk serve` with its real peers.
type desk struct {
	t        testing.TB
	env      []string
	cmd      *exec.Cmd
	http     string
	log      *bytes.Buffer
	imap     *testdovecot.Server
	redis    *testredis.Server
	smtp     *smtpSink
	secret   string
	storeEnv []string
}

func startDesk(t testing.TB) *desk {
	t.Helper()
	redisSrv := testredis.StartDurable(t)
	imapSrv := testdovecot.Start(t)
	sink := newSMTPSink(t)
	d := &desk{t: t, imap: imapSrv, smtp: sink, redis: redisSrv, secret: "e2e-signing-secret", http: freeAddr(t)}
	d.storeEnv = []string{"LICENSEDESK_REDIS_URL=" + redisSrv.URL()}
	// A seed with 200 contacts, so that a burst stays under the reply limit
	// of one sender (SPEC §4.4) while testing the pipeline's throughput.
	seed, err := os.ReadFile("../../ledger/testdata/seed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var contacts strings.Builder
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&contacts, "      - {email: c%03d@contoso.com, roles: [billing, license]}\n", i)
	}
	seedText := strings.Replace(string(seed), "      - {email: helpdesk@contoso.com, roles: [license]}\n",
		"      - {email: helpdesk@contoso.com, roles: [license]}\n"+contacts.String(), 1)
	seedPath := filepath.Join(t.TempDir(), "seed.yaml")
	os.WriteFile(seedPath, []byte(seedText), 0o600)
	if r := runBinary(t, d.storeEnv, "", "ledger", "import", seedPath); r.code != 0 {
		t.Fatalf("import: %s", r.stderr)
	}
	d.env = append(append([]string{}, d.storeEnv...),
		"LICENSEDESK_IMAP_URL="+imapSrv.URL("INBOX"),
		"LICENSEDESK_SMTP_URL=smtp://"+sink.addr,
		"LICENSEDESK_FROM=licences@desk.example",
		"LICENSEDESK_HTTP_ADDR="+d.http,
		"SLACK_SIGNING_SECRET="+d.secret,
		"LICENSEDESK_LOG_LEVEL=warn")
	d.start()
	t.Cleanup(d.stop)
	return d
}

func freeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func (d *desk) start() {
	d.t.Helper()
	d.log = &bytes.Buffer{}
	d.cmd = exec.Command(binary, "serve")
	d.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + d.t.TempDir()}, d.env...)
	d.cmd.Stdout, d.cmd.Stderr = d.log, d.log
	if err := d.cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	waitFor(d.t, 20*time.Second, "serve to answer /healthz", func() bool {
		resp, err := http.Get("http://" + d.http + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
}

func (d *desk) stop() {
	if d.cmd != nil && d.cmd.ProcessState == nil {
		d.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { d.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			d.cmd.Process.Kill()
			<-done
		}
	}
}

func (d *desk) kill() {
	d.cmd.Process.Kill() // SIGKILL: no chance to finish anything
	d.cmd.Wait()
}

func waitFor(t testing.TB, within time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func customerMail(from, msgID, subject, body string) []byte {
	return []byte("From: " + from + "\r\nTo: licences@desk.example\r\nSubject: " + subject + "\r\nMessage-ID: <" + msgID + ">\r\n" +
		"Date: Fri, 20 Nov 2026 10:00:00 +0100\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n")
}

func (d *desk) total(sku string) int {
	r := runBinary(d.t, d.storeEnv, "", "exec", "show contoso")
	for _, l := range strings.Split(r.stdout, "\n") {
		f := strings.Fields(l)
		for i, w := range f {
			if w == sku && i+1 < len(f) {
				var n int
				fmt.Sscan(f[i+1], &n)
				return n
			}
		}
	}
	d.t.Fatalf("no %s line in:\n%s", sku, r.stdout)
	return 0
}

func TestServeEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end: starts Redis, Dovecot and the service")
	}
	d := startDesk(t)

	t.Run("an email appended over IMAP is answered, threaded and in French", func(t *testing.T) {
		d.imap.Append(t, "INBOX", customerMail("Marie <it@contoso.com>", "first@contoso.com", "Licences",
			"Bonjour,\r\n\r\nMerci d'ajouter 2 licences Business Premium.\r\n\r\nCordialement,\r\nMarie"))
		waitFor(t, 20*time.Second, "the reply", func() bool { return len(d.smtp.byInReplyTo()["first@contoso.com"]) == 1 })
		m := d.smtp.byInReplyTo()["first@contoso.com"][0]
		if !strings.HasPrefix(m.Subject, "Re: Licences [LD-") || m.Header.Get("Content-Language") != "fr" ||
			m.Header.Get("Auto-Submitted") != "auto-replied" || !strings.Contains(m.Text, "13 → 15") {
			t.Errorf("reply: %q %q %q\n%s", m.Subject, m.Header.Get("Content-Language"), m.Header.Get("Auto-Submitted"), m.Text)
		}
	})

	t.Run("a signed slash command is answered", func(t *testing.T) {
		form := url.Values{"command": {"/licenses"}, "text": {"show contoso"}, "user_id": {"U0GLOBAL"}, "team_id": {"T1"},
			"channel_id": {"C1"}, "response_url": {"https://hooks.slack.com/commands/T1/1/x"}, "trigger_id": {"1.2.3"}}
		body := form.Encode()
		ts := fmt.Sprint(time.Now().Unix())
		req, _ := http.NewRequest("POST", "http://"+d.http+"/slack/commands", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set(bot.TimestampHeader, ts)
		req.Header.Set(bot.SignatureHeader, bot.Sign(d.secret, ts, []byte(body)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		reply, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(reply), "SPB") {
			t.Errorf("slash command: %d %s", resp.StatusCode, reply)
		}
		req.Header.Set(bot.SignatureHeader, "v0=forged")
		req.Body = io.NopCloser(strings.NewReader(body))
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
			t.Errorf("a forged signature should get 401: %v %v", resp, err)
		}
	})

	t.Run("a burst survives SIGKILL: each mail applied once and answered", func(t *testing.T) {
		before := d.total("EXCHANGESTANDARD")
		const n = 200
		ids := make([]string, n)
		appended := make(chan struct{})
		for i := 0; i < n; i++ {
			ids[i] = fmt.Sprintf("burst-%03d@contoso.com", i)
		}
		go func() {
			defer close(appended)
			c := d.imap.Client(t) // one connection: the burst arrives as fast as Dovecot takes it
			for i := 0; i < n; i++ {
				if err := testdovecot.AppendTo(c, "INBOX", customerMail(fmt.Sprintf("c%03d@contoso.com", i), ids[i], "Licence",
					"Bonjour, merci d'ajouter 1 licence Exchange Online Plan 1. Merci !")); err != nil {
					t.Error(err)
					return
				}
			}
		}()
		waitFor(t, 60*time.Second, "a quarter of the replies", func() bool { return len(d.smtp.byInReplyTo()) >= 1+n/4 })
		d.kill() // in the middle of the burst: mail is still arriving
		t.Logf("SIGKILL with %d of %d mails answered", len(d.smtp.byInReplyTo())-1, n)
		<-appended
		d.start()
		waitFor(t, 120*time.Second, "every reply", func() bool {
			got := d.smtp.byInReplyTo()
			for _, id := range ids {
				if len(got[id]) == 0 {
					return false
				}
			}
			return true
		})
		if after := d.total("EXCHANGESTANDARD"); after != before+n {
			t.Errorf("EXCHANGESTANDARD went %d → %d: %d mails applied %d times", before, after, n, after-before)
		}
		twice := 0
		for _, id := range ids {
			switch c := len(d.smtp.byInReplyTo()[id]); {
			case c == 2:
				twice++ // the crash fell between SMTP acceptance and acknowledgement
			case c > 2:
				t.Errorf("%s answered %d times", id, c)
			}
		}
		t.Logf("%d mails, %d answered twice because of the SIGKILL", n, twice)
		if r := runBinary(t, d.storeEnv, "", "ledger", "check"); r.code != 0 {
			t.Errorf("ledger check after the crash:\n%s", r.stdout)
		}
	})

	t.Run("the IMAP server restarted mid-run is survived", func(t *testing.T) {
		d.imap.Restart(t)
		d.imap.Append(t, "INBOX", customerMail("it@contoso.com", "after-imap-restart@contoso.com", "Licences",
			"Please add 1 Exchange Online Plan 1 licence."))
		waitFor(t, 60*time.Second, "the reply after the IMAP restart", func() bool {
			return len(d.smtp.byInReplyTo()["after-imap-restart@contoso.com"]) == 1
		})
	})

	t.Run("replies wait while the SMTP server is down", func(t *testing.T) {
		d.smtp.stop()
		d.imap.Append(t, "INBOX", customerMail("it@contoso.com", "smtp-down@contoso.com", "Licences",
			"Please add 1 Exchange Online Plan 1 licence."))
		time.Sleep(3 * time.Second) // processed meanwhile; the reply cannot leave
		if got := len(d.smtp.byInReplyTo()["smtp-down@contoso.com"]); got != 0 {
			t.Fatalf("a reply arrived while SMTP was down: %d", got)
		}
		d.smtp.start(t)
		waitFor(t, 90*time.Second, "the reply after SMTP came back", func() bool {
			return len(d.smtp.byInReplyTo()["smtp-down@contoso.com"]) == 1
		})
	})

	t.Run("a Redis restart is survived: the mail waits, then is applied once", func(t *testing.T) {
		before := d.total("EXCHANGESTANDARD")
		d.redis.Stop()
		d.imap.Append(t, "INBOX", customerMail("it@contoso.com", "redis-down@contoso.com", "Licences",
			"Please add 1 Exchange Online Plan 1 licence."))
		time.Sleep(3 * time.Second) // fetched meanwhile; the pipeline cannot reach the store
		if got := len(d.smtp.byInReplyTo()["redis-down@contoso.com"]); got != 0 {
			t.Fatalf("answered while Redis was down: %d", got)
		}
		d.redis.Restart(t)
		waitFor(t, 90*time.Second, "the reply after Redis came back", func() bool {
			return len(d.smtp.byInReplyTo()["redis-down@contoso.com"]) == 1
		})
		if after := d.total("EXCHANGESTANDARD"); after != before+1 {
			t.Errorf("EXCHANGESTANDARD went %d → %d across the restart, want +1", before, after)
		}
		if r := runBinary(t, d.storeEnv, "", "ledger", "check"); r.code != 0 {
			t.Errorf("ledger check after the Redis restart:\n%s", r.stdout)
		}
	})

	if t.Failed() {
		t.Logf("serve's log:\n%s", d.log.String())
	}
}

// BenchmarkAppendToReply measures the time from an IMAP APPEND to the
// reply's acceptance by SMTP, through the real service (SPEC §8: median
// under 1 s with IDLE).
func BenchmarkAppendToReply(b *testing.B) {
	d := startDesk(b)
	var lat []time.Duration
	for i := 0; i < b.N; i++ {
		id := fmt.Sprintf("bench-%d-%d@contoso.com", time.Now().UnixNano(), i)
		from := fmt.Sprintf("c%03d@contoso.com", i%200)
		t0 := time.Now()
		d.imap.Append(b, "INBOX", customerMail(from, id, "Licences", "Bonjour, merci d'ajouter 1 licence Exchange Online Plan 1."))
		for len(d.smtp.byInReplyTo()[id]) == 0 {
			time.Sleep(2 * time.Millisecond)
			if time.Since(t0) > 30*time.Second {
				b.Fatalf("no reply for %s\n%s", id, d.log.String())
			}
		}
		lat = append(lat, time.Since(t0))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Milliseconds()), "p99-ms")
}
