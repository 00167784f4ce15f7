package guard

import (
	"fmt"
	"strings"
)

// AuthVerdict is what the trusted receiving server said about a message.
type AuthVerdict struct {
	// Checked is true when at least one Authentication-Results field from the
	// trusted authserv-id was found.
	Checked bool
	// DMARC, SPF and DKIM hold the method results, lower-case ("pass",
	// "fail", "softfail", "none", "temperror", …), "" when not reported.
	// When several results exist, DMARC is "fail" if any failed, and SPF and
	// DKIM are "pass" if any passed; otherwise the first reported value.
	DMARC, SPF, DKIM string
	// Pass is false when the message must be refused (SenderNotAuthenticated).
	Pass bool
	// Reason explains the verdict in a few words, for the log.
	Reason string
}

// maxAuthFieldBytes bounds the work on one field. Real fields are well under
// 2 KiB; the trusted server writes them, so a longer one is hostile padding.
const maxAuthFieldBytes = 16 << 10

// CheckAuth reads the Authentication-Results fields (RFC 8601) whose
// authserv-id equals trusted, ignoring case; fields from other authserv-ids
// are ignored since anyone upstream, the sender included, can write them.
// It refuses the message on dmarc=fail and, when requireAlign is true, when
// neither SPF nor DKIM passed. With no trusted field (or an empty trusted)
// nothing is checked: Checked is false and Pass true, as the receiving server
// may simply not add the field.
func CheckAuth(h Header, trusted string, requireAlign bool) AuthVerdict {
	trusted = strings.TrimSpace(trusted)
	if trusted == "" {
		return AuthVerdict{Pass: true, Reason: "no trusted authserv-id configured"}
	}
	var fields []authResults
	var headless *authResults // first field without an authserv-id that names trusted
	for _, v := range h.Values("Authentication-Results") {
		f := parseAuthResults(v)
		switch {
		case f.unsupported:
		case f.id != "":
			if strings.EqualFold(f.id, trusted) {
				fields = append(fields, f)
			}
		case headless == nil && f.names(trusted):
			headless = &f
		}
	}
	// A field without an authserv-id is Microsoft 365's form. A server that
	// writes the standard form would not strip such a field from incoming
	// mail as it strips forgeries of its own id, so it only counts when no
	// standard field exists, and only the topmost one, which is the last
	// server's.
	if len(fields) == 0 && headless != nil {
		fields = append(fields, *headless)
	}
	if len(fields) == 0 {
		return AuthVerdict{Pass: true, Reason: "no Authentication-Results field from the trusted server"}
	}
	var dmarc, spf, dkim []string
	for _, f := range fields {
		for _, r := range f.results {
			switch r.method {
			case "dmarc":
				dmarc = append(dmarc, r.result)
			case "spf":
				spf = append(spf, r.result)
			case "dkim":
				dkim = append(dkim, r.result)
			}
		}
	}
	v := AuthVerdict{
		Checked: true,
		DMARC:   summarize(dmarc, "fail"),
		SPF:     summarize(spf, "pass"),
		DKIM:    summarize(dkim, "pass"),
		Pass:    true,
	}
	switch {
	case v.DMARC == "fail":
		v.Pass = false
		v.Reason = "dmarc=fail"
	case requireAlign && v.SPF != "pass" && v.DKIM != "pass":
		v.Pass = false
		v.Reason = fmt.Sprintf("neither spf nor dkim passed (spf=%s, dkim=%s)", orAbsent(v.SPF), orAbsent(v.DKIM))
	default:
		v.Reason = fmt.Sprintf("accepted (dmarc=%s, spf=%s, dkim=%s)", orAbsent(v.DMARC), orAbsent(v.SPF), orAbsent(v.DKIM))
	}
	return v
}

// summarize picks the value that decides: winner if any result has it,
// otherwise the first result, "" when there is none.
func summarize(results []string, winner string) string {
	for _, r := range results {
		if r == winner {
			return r
		}
	}
	if len(results) == 0 {
		return ""
	}
	return results[0]
}

func orAbsent(s string) string {
	if s == "" {
		return "absent"
	}
	return s
}

// authResults is one parsed Authentication-Results field.
type authResults struct {
	id          string // authserv-id, lower-case; "" when missing (Microsoft 365)
	unsupported bool   // a version other than 1: RFC 8601 §2.2 says to ignore the field
	bare        []string
	results     []methodResult
}

type methodResult struct {
	method string // lower-case, without a version ("dkim" for "dkim/1")
	result string // lower-case
}

// names reports whether one of the bare items of a field without an
// authserv-id equals trusted.
func (f *authResults) names(trusted string) bool {
	for _, b := range f.bare {
		if strings.EqualFold(b, trusted) {
			return true
		}
	}
	return false
}

// parseAuthResults reads a field leniently: it never fails, keeps what it
// understands and skips the rest, since real fields stray from the grammar
// (missing authserv-id, properties after a semicolon, comments glued to
// results as in "dmarc=fail(p=REJECT)", trailing "for <addr>"). Every step is
// one pass over the input.
func parseAuthResults(v string) authResults {
	if len(v) > maxAuthFieldBytes {
		v = v[:maxAuthFieldBytes]
	}
	var f authResults
	segments := splitUnquoted(stripComments(v), ';')
	for i, seg := range segments {
		seg = strings.TrimSpace(seg)
		if seg == "" {
			continue
		}
		if r, ok := parseResinfo(seg); ok {
			f.results = append(f.results, r)
			continue
		}
		if i == 0 {
			f.id, f.unsupported = parseServID(seg)
			continue
		}
		if strings.EqualFold(seg, "none") {
			continue // no-result: nothing was checked
		}
		if !strings.ContainsAny(seg, "= \t\r\n") {
			f.bare = append(f.bare, unquote(seg))
		}
	}
	return f
}

// parseServID reads `authserv-id [version]`.
func parseServID(seg string) (id string, unsupported bool) {
	var rest string
	if strings.HasPrefix(seg, `"`) {
		end := closingQuote(seg)
		id, rest = unquote(seg[:end]), seg[end:]
	} else {
		id, rest, _ = strings.Cut(seg, " ")
		if i := strings.IndexAny(id, "\t\r\n"); i >= 0 {
			id, rest = id[:i], id[i:]+" "+rest
		}
	}
	if fields := strings.Fields(rest); len(fields) > 0 && isDigits(fields[0]) {
		unsupported = strings.TrimLeft(fields[0], "0") != "1"
	}
	return strings.ToLower(strings.TrimSpace(id)), unsupported
}

// parseResinfo reads `method[/version] = result ...`. The method must be a
// keyword (letters, digits, '-', '_'): "header.d=x" or "gateway.spf=pass"
// are properties, not methods.
func parseResinfo(seg string) (methodResult, bool) {
	i := 0
	skip := func() {
		for i < len(seg) && isSpace(seg[i]) {
			i++
		}
	}
	word := func() string {
		start := i
		for i < len(seg) && isKeywordByte(seg[i]) {
			i++
		}
		return seg[start:i]
	}
	method := word()
	if method == "" {
		return methodResult{}, false
	}
	skip()
	if i < len(seg) && seg[i] == '/' {
		i++
		skip()
		word()
		skip()
	}
	if i >= len(seg) || seg[i] != '=' {
		return methodResult{}, false
	}
	i++
	skip()
	return methodResult{method: strings.ToLower(method), result: strings.ToLower(word())}, true
}

func isKeywordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// splitUnquoted splits s at sep outside quoted strings.
func splitUnquoted(s string, sep byte) []string {
	var out []string
	start, inQuote := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && inQuote:
			i++
		case c == '"':
			inQuote = !inQuote
		case c == sep && !inQuote:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// closingQuote returns the index just past the quoted string s starts with,
// or len(s) when it is unterminated.
func closingQuote(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(s)
}

// unquote removes the quotes and backslash escapes of a quoted string; other
// text passes through.
func unquote(s string) string {
	if !strings.HasPrefix(s, `"`) {
		return s
	}
	s = s[1:]
	s = strings.TrimSuffix(s, `"`)
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
