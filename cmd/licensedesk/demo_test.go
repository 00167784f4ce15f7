package main

import (
	"regexp"
	"strings"
	"testing"
)

// The demo, as the README runs it (issue 13): each sample mail is printed
// with its reply right under it, in the order the mails arrived, the same
// every run.
func TestTheDemoPrintsEachReplyUnderItsMail(t *testing.T) {
	r := runBinary(t, nil, "", "demo", "--once", "--http", "127.0.0.1:0")
	if r.code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "NOT DURABLE") {
		t.Errorf("the demo does not warn that its store is not durable:\n%s", r.stderr)
	}
	var mails []string
	var lines []string
	for _, l := range strings.Split(r.stdout, "\n") {
		switch {
		case strings.HasPrefix(l, "▶ mail from "):
			mails = append(mails, strings.TrimPrefix(l, "▶ mail from "))
			lines = append(lines, "mail")
		case strings.HasPrefix(l, "    ✉ reply to "):
			lines = append(lines, "reply")
		}
	}
	if len(mails) != 6 {
		t.Fatalf("%d mails printed, want 6:\n%s", len(mails), r.stdout)
	}
	// A reply follows the mail it answers; the out-of-office mail has none.
	if got := strings.Join(lines, " "); got != "mail reply mail reply mail reply mail reply mail reply mail" {
		t.Errorf("order of mails and replies: %s\n%s", got, r.stdout)
	}
	sender := regexp.MustCompile(`^(\S+):`)
	want := []string{"it@contoso.com", "buyer@fabrikam.com", "helpdesk@contoso.com", "buyer@fabrikam.com", "mallory@evil.example", "it@contoso.com"}
	for i, m := range mails {
		if got := sender.FindStringSubmatch(m); got == nil || got[1] != want[i] {
			t.Errorf("mail %d is from %q, want %s (the file order)", i+1, m, want[i])
		}
	}
}
