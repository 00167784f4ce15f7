package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/licensedesk/licensedesk/internal/testredis"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "licensedesk-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "licensedesk")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		panic("build: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type runResult struct {
	stdout, stderr string
	code           int
}

// runBinary runs the built licensedesk with env (and nothing else from the
// test's environment, so that no developer setting leaks in).
func runBinary(t testing.TB, env []string, stdin string, args ...string) runResult {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return runResult{out.String(), errb.String(), code}
}

func seededStore(t testing.TB) []string {
	t.Helper()
	srv := testredis.Start(t)
	env := []string{"LICENSEDESK_REDIS_URL=" + srv.URL()}
	r := runBinary(t, env, "", "ledger", "import", "../../ledger/testdata/seed.yaml")
	if r.code != 0 {
		t.Fatalf("import: %d %s", r.code, r.stderr)
	}
	return env
}

func TestExecJSONFollowsTheSpec(t *testing.T) {
	env := seededStore(t)
	cases := []struct {
		name   string
		args   []string
		code   int
		status string
		errors []string
	}{
		{"an applied change exits 0", []string{"exec", "--json", `add 5 "Business Premium" contoso`}, 0, "applied", nil},
		{"a dry run exits 0", []string{"exec", "--json", "remove 1 SPB contoso --dry-run"}, 0, "dry_run", nil},
		{"a refusal exits 1", []string{"exec", "--json", "remove 5 ENTERPRISEPACK contoso"}, 1, "refused", []string{"ReductionWindowPassed"}},
		{"a role is needed", []string{"exec", "--json", "--as", "U0LIC", "add 1 SPB contoso"}, 1, "refused", []string{"NotAuthorized"}},
		{"a partial assignment exits 0", []string{"exec", "--json", "assign O365_BUSINESS_PREMIUM contoso dave@contoso.com bob@contoso.com"}, 0, "partially_applied", []string{"CountViolation"}},
		{"an unknown product is a usage error", []string{"exec", "--json", "add 1 Buisness Premum contoso"}, 2, "refused", []string{"UnknownProduct"}},
		{"an unknown tenant is refused", []string{"exec", "--json", "add 1 SPB umbrella"}, 1, "refused", []string{"UnknownTenant"}},
		{"a read answers", []string{"exec", "--json", "show contoso"}, 0, "applied", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runBinary(t, env, "", c.args...)
			if r.code != c.code {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", r.code, c.code, r.stdout, r.stderr)
			}
			var out map[string]any
			if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, r.stdout)
			}
			for _, k := range []string{"request_id", "status", "tenant", "ops", "errors", "reply"} {
				if _, ok := out[k]; !ok {
					t.Errorf("JSON lacks %q: %s", k, r.stdout)
				}
			}
			if out["status"] != c.status {
				t.Errorf("status %v, want %s", out["status"], c.status)
			}
			var codes []string
			for _, e := range out["errors"].([]any) {
				codes = append(codes, e.(map[string]any)["code"].(string))
			}
			for _, want := range c.errors {
				if !strings.Contains(strings.Join(codes, ","), want) {
					t.Errorf("errors %v lack %s", codes, want)
				}
			}
		})
	}
	// The product-level figures of SPEC §6 are in every op of a change.
	r := runBinary(t, env, "", "exec", "--json", "set 20 SPB contoso")
	var out struct {
		Ops []struct {
			Op          string
			Before      struct{ Total, Assigned int }
			After       struct{ Total, Assigned int }
			MonthlyCost float64 `json:"monthly_cost"`
			Prorated    float64
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out.Ops) != 1 {
		t.Fatalf("%v %s", err, r.stdout)
	}
	if o := out.Ops[0]; o.Op != "set" || o.Before.Total != 18 || o.After.Total != 20 || o.After.Assigned != 11 || o.MonthlyCost <= 0 || o.Prorated <= 0 {
		t.Errorf("set 20: %+v", o)
	}
}

func TestExecIdempotencyKey(t *testing.T) {
	env := seededStore(t)
	args := []string{"exec", "--json", "--idempotency-key", "ticket-42", "add 1 SPB contoso"}
	first := runBinary(t, env, "", args...)
	second := runBinary(t, env, "", args...)
	if first.code != 0 || second.code != 0 || !strings.Contains(second.stdout, `"status": "duplicate"`) {
		t.Fatalf("first %d %s\nsecond %d %s", first.code, first.stdout, second.code, second.stdout)
	}
	show := runBinary(t, env, "", "exec", "show contoso")
	if !strings.Contains(show.stdout, "SPB                    14") {
		t.Errorf("applied more than once:\n%s", show.stdout)
	}
}

func TestCommandsNeedAStore(t *testing.T) {
	for _, args := range [][]string{{"exec", "show"}, {"ledger", "check"}, {"ledger", "export"}, {"bench", "ledger"}} {
		r := runBinary(t, nil, "", args...)
		if r.code != 2 || !strings.Contains(r.stderr, "LICENSEDESK_REDIS_URL is not set") {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	cases := [][]string{{}, {"nope"}, {"ledger"}, {"ledger", "frobnicate"}, {"ledger", "import"}, {"exec"}, {"bench"}}
	for _, args := range cases {
		if r := runBinary(t, nil, "", args...); r.code != 2 || r.stderr == "" {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
}

func TestLedgerImportCheckSweepExport(t *testing.T) {
	env := seededStore(t)
	if r := runBinary(t, env, "", "ledger", "check"); r.code != 0 || !strings.HasPrefix(r.stdout, "ok") {
		t.Fatalf("check: %d %s %s", r.code, r.stdout, r.stderr)
	}
	r := runBinary(t, env, "", "ledger", "sweep", "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"tenants":2`) {
		t.Fatalf("sweep: %d %s %s", r.code, r.stdout, r.stderr)
	}
	exp := runBinary(t, env, "", "ledger", "export")
	if exp.code != 0 || !strings.Contains(exp.stdout, "contoso-spb-1") {
		t.Fatalf("export: %d %s", exp.code, exp.stderr)
	}
	// The export imports back from standard input (over the live desk:
	// --replace, SPEC §6).
	if r := runBinary(t, env, exp.stdout, "ledger", "import", "--replace", "-"); r.code != 0 {
		t.Fatalf("re-import: %d %s", r.code, r.stderr)
	}
	if r := runBinary(t, env, "", "ledger", "check", "--json"); r.code != 0 || !strings.Contains(r.stdout, `"ok":true`) {
		t.Errorf("check after re-import: %d %s", r.code, r.stdout)
	}
	// A bad seed names the field and changes nothing.
	bad := "tenants:\n  - id: contoso\n    subscriptions:\n      - {id: x, sku: SPB, state: actve, term_start: 2026-01-01T00:00:00Z, quantity: 1}\n"
	r = runBinary(t, env, bad, "ledger", "import", "-")
	if r.code != 2 || !strings.Contains(r.stderr, "subscriptions[0].state") {
		t.Errorf("bad seed: %d %s", r.code, r.stderr)
	}
	if r := runBinary(t, env, "", "exec", "show contoso"); !strings.Contains(r.stdout, "contoso-spb") && !strings.Contains(r.stdout, "SPB") {
		t.Errorf("the bad seed changed the desk:\n%s", r.stdout)
	}
}

func TestBenchLedgerJSON(t *testing.T) {
	env := seededStore(t)
	r := runBinary(t, env, "", "bench", "ledger", "--clients", "4", "--duration", "300ms", "--json")
	if r.code != 0 {
		t.Fatalf("%d %s", r.code, r.stderr)
	}
	var rep map[string]float64
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"clients", "duration_s", "ops", "ops_per_sec", "p50_ms", "p99_ms", "errors"} {
		if _, ok := rep[k]; !ok {
			t.Errorf("bench JSON lacks %q", k)
		}
	}
	if rep["ops"] <= 0 || rep["errors"] != 0 || rep["clients"] != 4 {
		t.Errorf("bench: %v", rep)
	}
	// The bench tenants are gone afterwards.
	if r := runBinary(t, env, "", "exec", "show"); strings.Contains(r.stdout, "zz-bench") {
		t.Errorf("bench tenants left behind:\n%s", r.stdout)
	}
	if r := runBinary(t, env, "", "ledger", "check"); r.code != 0 {
		t.Errorf("check after bench: %s", r.stdout)
	}
}

func TestMailIngest(t *testing.T) {
	env := append(seededStore(t), "LICENSEDESK_FROM=licences@desk.example")
	msg := "From: IT Contoso <it@contoso.com>\r\nTo: licences@desk.example\r\nSubject: Licences\r\n" +
		"Message-ID: <abc-123@contoso.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Bonjour,\r\n\r\nMerci d'ajouter 3 licences Business Premium.\r\n\r\nCordialement,\r\nMarie\r\n"
	r := runBinary(t, env, msg, "mail", "ingest", "--json", "-")
	if r.code != 0 {
		t.Fatalf("exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	var out struct {
		RequestID string `json:"request_id"`
		Status    string
		Tenant    string
		Ops       []struct {
			Op       string
			SKU      string
			Quantity int
			After    struct{ Total int }
		}
		Reply string
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if out.Status != "applied" || out.Tenant != "contoso" || len(out.Ops) != 1 || out.Ops[0].SKU != "SPB" || out.Ops[0].After.Total != 16 {
		t.Errorf("outcome: %+v", out)
	}
	for _, want := range []string{"In-Reply-To: <abc-123@contoso.com>", "Auto-Submitted: auto-replied", "Subject: Re: Licences [" + out.RequestID + "]", "Content-Language: fr"} {
		if !strings.Contains(out.Reply, want) {
			t.Errorf("reply lacks %q:\n%s", want, out.Reply)
		}
	}
	// The same message again: a duplicate, applied once.
	again := runBinary(t, env, msg, "mail", "ingest", "--json", "-")
	if again.code != 0 || !strings.Contains(again.stdout, `"status": "duplicate"`) {
		t.Errorf("second ingest: %d %s", again.code, again.stdout)
	}
	// A dry run of a question changes nothing and exits 1.
	q := strings.Replace(strings.Replace(msg, "abc-123", "abc-124", 1), "3 licences Business Premium", "des licences", 1)
	r = runBinary(t, env, q, "mail", "ingest", "--dry-run", "-")
	if r.code != 1 || !strings.Contains(r.stdout, "status: needs_clarification") {
		t.Errorf("dry-run question: %d %s", r.code, r.stdout)
	}
	if r := runBinary(t, env, "", "ledger", "check"); r.code != 0 {
		t.Errorf("check: %s", r.stdout)
	}
}

// SPEC §6 (issue 13): mail ingest prints the reply readably, its header
// lines then its decoded text; --raw prints the RFC 5322 message; the JSON
// keeps the message in reply and adds the decoded text as reply_text.
func TestMailIngestPrintsTheReplyReadably(t *testing.T) {
	env := append(seededStore(t), "LICENSEDESK_FROM=licences@desk.example")
	msg := func(id string) string {
		return "From: IT Contoso <it@contoso.com>\r\nTo: licences@desk.example\r\nSubject: Licences\r\n" +
			"Message-ID: <" + id + "@contoso.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
			"Bonjour,\r\n\r\nMerci d'ajouter 1 licence Business Premium.\r\n\r\nCordialement,\r\nMarie\r\n"
	}
	r := runBinary(t, env, msg("read-1"), "mail", "ingest", "--dry-run", "-")
	for _, want := range []string{"Subject: Re: Licences [LD-", "In-Reply-To: <read-1@contoso.com>", "serait fait", "Bonjour,"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("readable reply lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "=C3=A9") || strings.Contains(r.stdout, "Content-Transfer-Encoding") {
		t.Errorf("the readable reply is quoted-printable:\n%s", r.stdout)
	}
	raw := runBinary(t, env, msg("read-2"), "mail", "ingest", "--dry-run", "--raw", "-")
	if !strings.Contains(raw.stdout, "Content-Transfer-Encoding: quoted-printable") || !strings.Contains(raw.stdout, "Auto-Submitted: auto-replied") {
		t.Errorf("--raw is not the RFC 5322 message:\n%s", raw.stdout)
	}
	js := runBinary(t, env, msg("read-3"), "mail", "ingest", "--dry-run", "--json", "-")
	var o struct {
		Reply     string `json:"reply"`
		ReplyText string `json:"reply_text"`
	}
	if err := json.Unmarshal([]byte(js.stdout), &o); err != nil || !strings.Contains(o.Reply, "Auto-Submitted") || !strings.Contains(o.ReplyText, "serait fait") {
		t.Errorf("JSON reply %q, reply_text %q (%v)", o.Reply, o.ReplyText, err)
	}
}

func TestBenchMailJSON(t *testing.T) {
	r := runBinary(t, nil, "", "bench", "mail", "--duration", "200ms", "--json")
	var rep map[string]float64
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &rep) != nil || rep["messages"] <= 0 || rep["errors"] != 0 || rep["msgs_per_sec"] <= 0 {
		t.Errorf("bench mail: %d %s %s", r.code, r.stdout, r.stderr)
	}
}

func TestBenchSlackJSON(t *testing.T) {
	env := seededStore(t)
	r := runBinary(t, env, "", "bench", "slack", "--clients", "20", "--rounds", "2", "--json")
	var rep map[string]float64
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &rep) != nil || rep["commands"] != 40 || rep["errors"] != 0 || rep["p99_ms"] <= 0 {
		t.Errorf("bench slack: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if r := runBinary(t, env, "", "ledger", "check"); r.code != 0 {
		t.Errorf("bench slack changed the ledger:\n%s", r.stdout)
	}
}

func TestMailIngestSendsTheReplyWhenSMTPIsConfigured(t *testing.T) {
	sink := newSMTPSink(t)
	env := append(seededStore(t), "LICENSEDESK_FROM=licences@desk.example", "LICENSEDESK_SMTP_URL=smtp://"+sink.addr)
	msg := "From: buyer@fabrikam.com\r\nTo: licences@desk.example\r\nSubject: Seats\r\nMessage-ID: <send-1@fabrikam.com>\r\n\r\nPlease add 2 Office 365 E1 licences.\r\n"
	r := runBinary(t, env, msg, "mail", "ingest", "--json", "-")
	if r.code != 0 || !strings.Contains(r.stdout, `"sent": true`) {
		t.Fatalf("%d %s %s", r.code, r.stdout, r.stderr)
	}
	got := sink.byInReplyTo()["send-1@fabrikam.com"]
	if len(got) != 1 || got[0].Header.Get("Content-Language") != "en" {
		t.Fatalf("replies %d", len(got))
	}
	// The outbox is empty: serve will not send it again.
	if n := outboxLen(t, env, "fabrikam"); n != 0 {
		t.Errorf("outbox holds %d entries after the reply was sent", n)
	}
}
