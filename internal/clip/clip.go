// Package clip bounds text that comes from outside (a customer's words, a
// command, a subject) before it is stored or shown: one way, for the whole
// project.
package clip

import "unicode/utf8"

// Mark ends a text that was cut.
const Mark = "…"

// Text cuts s to at most n bytes, mark included, on a rune boundary, and
// marks the cut; a text that fits is returned as it is.
func Text(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len(Mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:max(cut, 0)] + Mark
}
