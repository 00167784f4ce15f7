package main

import (
	"strings"
	"testing"
)

// Issue 8 (SPEC §6: no secret is ever printed): every setting that can hold
// a password, given a malformed value, is refused without its password
// appearing in any output of any command.
func TestMalformedSettingsNeverPrintTheirPassword(t *testing.T) {
	const pw = "S3cr3tPw"
	settings := map[string][]string{
		"LICENSEDESK_REDIS_URL": {
			"redis://user:" + pw + "%zz@127.0.0.1:6379/0", // a bad % escape
			"redis://user:" + pw + "@127.0.0.1:port/0",    // a bad port
			"redis://user:" + pw + "@[::1:6379/0",         // an unclosed [
			"user:" + pw + "@127.0.0.1:1",                 // no scheme
			"rediss://:" + pw + "@127.0.0.1:1/0",          // good, but nothing answers
		},
		"LICENSEDESK_IMAP_URL": {
			"user:" + pw + "@host:1",
			"imap:user:" + pw + "@mail.example:143",
			"imaps://user:" + pw + "%zz@mail.example/INBOX",
			"imap://user:" + pw + "@mail.example:99999/INBOX",
			"imap://user:" + pw + "@[mail.example/INBOX",
		},
		"LICENSEDESK_SMTP_URL": {
			"user:" + pw + "@host:1",
			"smtp:user:" + pw + "@mail.example:587",
			"smtps://user:" + pw + "%zz@mail.example",
			"smtp://user:" + pw + "@mail.example:abc",
			"smtp://user:" + pw + "@mail.example/some/path",
		},
	}
	commands := [][]string{{"exec", "show contoso"}, {"mail", "ingest", "--dry-run", "-"}, {"ledger", "check"}, {"serve"}}
	mail := "From: it@contoso.com\r\nTo: d@x.example\r\nSubject: x\r\nMessage-ID: <s@contoso.com>\r\n\r\nadd 1 E3\r\n"
	for name, values := range settings {
		for _, v := range values {
			for _, args := range commands {
				env := []string{name + "=" + v, "LICENSEDESK_HTTP_ADDR=127.0.0.1:0"}
				if name != "LICENSEDESK_REDIS_URL" {
					env = append(env, "LICENSEDESK_REDIS_URL=redis://127.0.0.1:1/0")
				}
				r := runBinary(t, env, mail, args...)
				if r.code == 0 && args[0] == "serve" {
					t.Errorf("%s=%q: serve started", name, v)
				}
				if out := r.stdout + r.stderr; strings.Contains(out, pw) {
					t.Errorf("%s=%q, %s: the password is printed:\n%s", name, v, strings.Join(args, " "), out)
				}
			}
		}
	}
}
