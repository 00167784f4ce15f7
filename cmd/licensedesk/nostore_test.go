package main

import (
	"strings"
	"testing"
)

// Issue 8: help and whoami need no store, and must not fail while it is
// down.
func TestHelpAndWhoamiWorkWhileTheStoreIsDown(t *testing.T) {
	down := []string{"LICENSEDESK_REDIS_URL=redis://127.0.0.1:1/0"}
	if r := runBinary(t, down, "", "exec", "help"); r.code != 0 || !strings.Contains(r.stdout, "switch") || !strings.HasSuffix(r.stdout, "\n") {
		t.Errorf("exec help: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runBinary(t, down, "", "exec", "whoami"); r.code != 0 || !strings.Contains(r.stdout, "operator") {
		t.Errorf("exec whoami: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runBinary(t, down, "", "exec", "--as", "U0LIC", "whoami"); r.code != 0 || !strings.Contains(r.stdout, "U0LIC") {
		t.Errorf("exec --as whoami: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Anything that reads the store says it cannot be reached.
	if r := runBinary(t, down, "", "exec", "show contoso"); r.code == 0 || !strings.Contains(r.stderr, "does not answer") {
		t.Errorf("exec show with the store down: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
