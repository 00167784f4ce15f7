// Package redact keeps secrets out of text: the password of a URL, before
// any parser has a chance to quote it in an error (DESIGN "Errors"; SPEC
// §6: no secret is ever logged or printed).
package redact

import "strings"

// Mask replaces a redacted secret.
const Mask = "xxxxx"

// URL hides the user information of a URL, and of each URL of a
// comma-separated list, without parsing it: a malformed URL (a bad %
// escape, a bad port, an unclosed '[', no scheme, "imap:user:pass@host")
// is redacted as surely as a good one. Everything before the last '@'
// (after "scheme://", or from the very start when there is no "//", since
// "user:pass@host" and "imap:user:pass@host" cannot be told apart) is
// masked; a URL without '@' is returned as it is.
func URL(s string) string {
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = one(p)
	}
	return strings.Join(parts, ",")
}

func one(s string) string {
	start := 0
	if i := strings.Index(s, "://"); i >= 0 && isScheme(s[:i]) {
		start = i + 3
	}
	at := strings.LastIndexByte(s[start:], '@')
	if at < 0 {
		return s
	}
	return s[:start] + Mask + s[start+at:]
}

// isScheme reports whether s is a URL scheme (RFC 3986 §3.1).
func isScheme(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
