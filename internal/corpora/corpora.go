// Package corpora finds the third-party test material of ../shared/corpora
// (reply-parsing fixtures, MIME edge cases, bounces, Slack vectors) for the
// tests that read it in place. It is never copied into the project.
package corpora

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the corpora directory: $LICENSEDESK_CORPORA, or
// ../shared/corpora beside the module root. A test without it is skipped,
// saying why, since CI has the corpora beside the checkout but a developer
// may not.
func Dir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("LICENSEDESK_CORPORA")
	if dir == "" {
		root, err := moduleRoot()
		if err != nil {
			tb.Skipf("corpora not found (%v): skipping third-party corpus test", err)
		}
		dir = filepath.Join(root, "..", "shared", "corpora")
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		tb.Skipf("corpora not found at %s: skipping third-party corpus test", dir)
	}
	return dir
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}
