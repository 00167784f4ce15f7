package redact_test

import (
	"strings"
	"testing"

	"github.com/licensedesk/licensedesk/internal/redact"
)

func TestURLHidesThePasswordOfGoodAndMalformedURLs(t *testing.T) {
	const secret = "s3cr%zzet"
	tests := []struct{ name, in, want string }{
		{"a good URL keeps its host", "redis://user:" + secret + "@db:6379/0", "redis://xxxxx@db:6379/0"},
		{"a bad percent escape", "redis://:" + secret + "@db:6379", "redis://xxxxx@db:6379"},
		{"a bad port", "rediss://u:" + secret + "@db:abc/1", "rediss://xxxxx@db:abc/1"},
		{"an unclosed bracket", "redis://u:" + secret + "@[::1:6379", "redis://xxxxx@[::1:6379"},
		{"no scheme", "u:" + secret + "@host:1", "xxxxx@host:1"},
		{"an opaque URL", "imap:user:" + secret + "@mail:143", "xxxxx@mail:143"},
		{"an @ in the password", "imaps://me:p@ss" + secret + "@mail/INBOX", "imaps://xxxxx@mail/INBOX"},
		{"a list of cluster nodes", "a:" + secret + "@h1:1,h2:2", "xxxxx@h1:1,h2:2"},
		{"no user information", "redis://db:6379/0", "redis://db:6379/0"},
		{"a :// after the user information", "u:" + secret + "@h/x://y", "xxxxx@h/x://y"},
		{"a plain address", "127.0.0.1:6379", "127.0.0.1:6379"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := redact.URL(tt.in)
			if got != tt.want {
				t.Errorf("URL(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if strings.Contains(got, "s3cr") {
				t.Errorf("the secret survived: %q", got)
			}
		})
	}
}

func FuzzURLNeverKeepsUserInformation(f *testing.F) {
	for _, s := range []string{"redis://u:p@h:1", "u:p@h", "imap:u:p@h", "a,b@c", "x://@", "@@@"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := redact.URL(s)
		for _, part := range strings.Split(got, ",") {
			if i := strings.LastIndexByte(part, '@'); i >= 0 {
				before := part[:i]
				if j := strings.Index(before, "://"); j >= 0 && !strings.ContainsAny(before[:j], "@:/") {
					before = before[j+3:]
				}
				if before != "" && before != redact.Mask {
					t.Fatalf("URL(%q) = %q keeps text before an @", s, got)
				}
			}
		}
	})
}
