package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// SPEC §6: a tenant that already exists is refused (exit 1, nothing
// changed, the tenants named) unless --replace, which is recorded in its
// history.
func TestLedgerImportNeverSilentlyOverwritesALiveDesk(t *testing.T) {
	env := seededStore(t)
	if r := runBinary(t, env, "", "exec", "add 5 SPB contoso"); r.code != 0 {
		t.Fatalf("add: %d %s", r.code, r.stderr)
	}
	r := runBinary(t, env, "", "ledger", "import", "../../ledger/testdata/seed.yaml")
	if r.code != 1 || !strings.Contains(r.stderr, "contoso, fabrikam") || !strings.Contains(r.stderr, "--replace") {
		t.Fatalf("re-import: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := runBinary(t, env, "", "exec", "set 18 SPB contoso --dry-run"); !strings.Contains(r.stdout, "already has 18 seats") {
		t.Errorf("the refused import changed the desk: %s", r.stdout)
	}
	r = runBinary(t, env, "", "ledger", "import", "../../ledger/testdata/seed.yaml", "--replace")
	if r.code != 0 {
		t.Fatalf("import --replace: %d %s", r.code, r.stderr)
	}
	if r := runBinary(t, env, "", "ledger", "check"); r.code != 0 {
		t.Errorf("check after --replace: %d %s", r.code, r.stdout)
	}
	if r := runBinary(t, env, "", "exec", "history contoso 5"); !strings.Contains(r.stdout, "replaced whole") || !strings.Contains(r.stdout, "total 18 → 13") {
		t.Errorf("history does not explain the replacement:\n%s", r.stdout)
	}
}

// bench growth and bench scale run on the configured store and leave it as
// they found it (their figures are for people; here only that they run).
func TestBenchGrowthAndScaleRun(t *testing.T) {
	env := seededStore(t)
	r := runBinary(t, env, "", "bench", "growth", "--requests", "40", "--json")
	var g struct {
		Requests int `json:"requests"`
		Errors   int `json:"errors"`
		Start    struct {
			Bytes float64 `json:"redis_bytes_per_request"`
		} `json:"start"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &g) != nil || g.Requests != 40 || g.Errors != 0 {
		t.Fatalf("bench growth: %d %s %s", r.code, r.stdout, r.stderr)
	}
	r = runBinary(t, env, "", "bench", "scale", "--tenants", "3", "--users", "30", "--requests", "90", "--days", "60", "--json")
	var s struct {
		Problems int `json:"check_problems"`
		Errors   int `json:"errors"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &s) != nil || s.Problems != 0 || s.Errors != 0 {
		t.Fatalf("bench scale: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if r := runBinary(t, env, "", "ledger", "check"); r.code != 0 {
		t.Errorf("the desk after the benches: %d %s", r.code, r.stdout)
	}
	if r := runBinary(t, env, "", "exec", "show zz-scale-0000"); r.code == 0 {
		t.Errorf("bench scale left its desk: %s", r.stdout)
	}
}
