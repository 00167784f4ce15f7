package guard

import (
	"fmt"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// AuthVerdict is what the trusted receiving server said about a message.
type AuthVerdict struct {
	// Checked is true when an Authentication-Results field from the trusted
	// authserv-id was found.
	Checked bool
	// DMARC, SPF and DKIM hold the method results of that field as
	// reported, whatever domain they are for, lower-case ("pass", "fail",
	// "softfail", "none", "temperror", …), "" when not reported. When
	// several results exist, DMARC is "fail" if any failed, and SPF and DKIM
	// are "pass" if any passed; otherwise the first reported value.
	DMARC, SPF, DKIM string
	// Pass is false when the message must be refused (SenderNotAuthenticated).
	Pass bool
	// Reason explains the verdict in a few words, for the log.
	Reason string
}

// maxAuthFieldBytes bounds the work on one field. Real fields are well under
// 2 KiB; the trusted server writes them, so a longer one is hostile padding.
const maxAuthFieldBytes = 16 << 10

// CheckAuth applies SPEC §4.3 to the Authentication-Results fields (RFC
// 8601) of a message whose From address is in fromDomain (an address is
// accepted too: its domain is used).
//
// Only the topmost field whose authserv-id equals trusted, ignoring case, is
// read: fields from other authserv-ids are ignored since anyone upstream,
// the sender included, can write them, and a field below the topmost may be
// a forgery the receiving server failed to remove. With no such field (or an
// empty trusted) nothing is checked: Checked is false and Pass true, as the
// receiving server may simply not add the field.
//
// The message is refused on dmarc=fail for the From domain (or with no
// header.from, or when fromDomain is ""). With requirePass it is also
// refused without a pass aligned with the From domain: dmarc=pass
// header.from=<the From domain>, dkim=pass header.d=<the From domain or a
// parent of it that is not a public suffix> (or header.i in such a domain),
// or spf=pass smtp.mailfrom=<an address or domain in the From domain or a
// subdomain>. A pass for another domain never counts. Domains are compared
// ignoring ASCII case and trailing dots.
func CheckAuth(h Header, trusted, fromDomain string, requirePass bool) AuthVerdict {
	trusted = strings.TrimSpace(trusted)
	if trusted == "" {
		return AuthVerdict{Pass: true, Reason: "no trusted authserv-id configured"}
	}
	var field, headless *authResults
	for _, v := range h.Values("Authentication-Results") {
		f := parseAuthResults(v)
		switch {
		case f.unsupported:
		case f.id != "":
			if strings.EqualFold(f.id, trusted) {
				field = &f
			}
		case headless == nil && f.names(trusted):
			headless = &f // the first field without an authserv-id that names trusted
		}
		if field != nil {
			break // the topmost trusted field: SPEC §4.3
		}
	}
	// A field without an authserv-id is Microsoft 365's form. A server that
	// writes the standard form would not strip such a field from incoming
	// mail as it strips forgeries of its own id, so it only counts when no
	// standard field exists, and only the topmost one, which is the last
	// server's.
	if field == nil {
		field = headless
	}
	if field == nil {
		return AuthVerdict{Pass: true, Reason: "no Authentication-Results field from the trusted server"}
	}
	var dmarc, spf, dkim []string
	for _, r := range field.results {
		switch r.method {
		case "dmarc":
			dmarc = append(dmarc, r.result)
		case "spf":
			spf = append(spf, r.result)
		case "dkim":
			dkim = append(dkim, r.result)
		}
	}
	v := AuthVerdict{
		Checked: true,
		DMARC:   summarize(dmarc, "fail"),
		SPF:     summarize(spf, "pass"),
		DKIM:    summarize(dkim, "pass"),
		Pass:    true,
	}
	from := normDomain(fromDomain)
	results := fmt.Sprintf("dmarc=%s, spf=%s, dkim=%s", orAbsent(v.DMARC), orAbsent(v.SPF), orAbsent(v.DKIM))
	if r, ok := dmarcFailFor(field.results, from); ok {
		v.Pass = false
		v.Reason = "dmarc=fail" + forDomain(r.props["header.from"])
		return v
	}
	if !requirePass {
		v.Reason = "accepted (" + results + ")"
		return v
	}
	if from == "" {
		v.Pass = false
		v.Reason = "no pass aligned with the From domain: no From domain (" + results + ")"
		return v
	}
	how, ok := alignedPass(field.results, from)
	if !ok {
		v.Pass = false
		v.Reason = fmt.Sprintf("no pass aligned with the From domain %s (%s)", shown(from), results)
		return v
	}
	v.Reason = fmt.Sprintf("accepted: %s aligned with %s (%s)", how, shown(from), results)
	return v
}

// dmarcFailFor returns the first dmarc=fail that concerns the From domain:
// its header.from is that domain, or absent, or the From domain is unknown.
// A failure for another domain says nothing about this From.
func dmarcFailFor(results []methodResult, from string) (methodResult, bool) {
	for _, r := range results {
		if r.method != "dmarc" || r.result != "fail" {
			continue
		}
		if hf := normDomain(r.props["header.from"]); hf == "" || from == "" || hf == from {
			return r, true
		}
	}
	return methodResult{}, false
}

// alignedPass finds a pass aligned with the From domain from (SPEC §4.3)
// and describes it.
func alignedPass(results []methodResult, from string) (string, bool) {
	for _, r := range results {
		if r.result != "pass" {
			continue
		}
		switch r.method {
		case "dmarc":
			// DMARC evaluates the From domain itself: it must be ours.
			if normDomain(r.props["header.from"]) == from {
				return "dmarc=pass header.from=" + shown(from), true
			}
		case "dkim":
			// The signing domain may be the From domain or a parent of it
			// (relaxed alignment, RFC 7489 §3.1.1). header.i, the identity,
			// is d or a subdomain of it (RFC 6376 §3.5), so it aligns by
			// the same rule; Gmail writes only header.i.
			for _, p := range []string{"header.d", "header.i"} {
				if d := normDomain(r.props[p]); d != "" && withinParent(from, d) {
					return "dkim=pass " + p + "=" + shown(d), true
				}
			}
		case "spf":
			// The envelope sender must be in the From domain or below it.
			if d := normDomain(r.props["smtp.mailfrom"]); d != "" && withinParent(d, from) {
				return "spf=pass smtp.mailfrom=" + shown(d), true
			}
		}
	}
	return "", false
}

// withinParent reports whether domain equals parent or is a subdomain of it,
// parent being a registrable domain: a public suffix ("com", "co.uk",
// "github.io") is no one's parent, or anyone could align with anyone.
func withinParent(domain, parent string) bool {
	if domain == parent {
		return true
	}
	if !strings.HasSuffix(domain, "."+parent) {
		return false
	}
	suffix, _ := publicsuffix.PublicSuffix(parent)
	return suffix != parent
}

// normDomain reduces a domain, an address ("user@example.com",
// "<user@example.com>", "@example.com") or a quoted local part
// ("\"a;b\"@example.com") to its domain: lower-case (ASCII only, so that no
// lookalike folds onto an ASCII letter), without trailing dots; "" when
// there is none.
func normDomain(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "<"), ">")
	if at := strings.LastIndexByte(s, '@'); at >= 0 {
		s = s[at+1:]
	}
	s = strings.TrimRight(strings.TrimSpace(s), ".")
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

func forDomain(d string) string {
	if d = normDomain(d); d == "" {
		return ""
	}
	return " for " + shown(d)
}

// shown makes a domain fit for Reason, which is logged and quoted in the
// refusal sent to the sender: the values come from the message, so bytes
// outside host-name characters become '?' and the length is bounded.
func shown(d string) string {
	const maxShown = 100
	if len(d) > maxShown {
		d = d[:maxShown] + "…"
	}
	return strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '.' || r == '-' || r == '_' || r == '…' {
			return r
		}
		return '?'
	}, d)
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
	// props holds the properties alignment reads (alignedProps), by
	// lower-case name, values as written; the first of a name wins.
	props map[string]string
}

// alignedProps are the properties that tie a result to a domain (RFC 8601
// §2.7); the others are not kept.
var alignedProps = map[string]bool{"header.from": true, "header.d": true, "header.i": true, "smtp.mailfrom": true}

// propertyTypes are the ptypes of RFC 8601 §2.3 and its registry. A
// segment of nothing but such properties continues the result before it.
var propertyTypes = []string{"smtp.", "header.", "body.", "policy."}

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
		if r, rest, ok := parseResinfo(seg); ok {
			parseProps(rest, &r, false)
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
		// Microsoft 365 puts a result's properties after a semicolon
		// ("dkim=pass (signature was verified); header.d=example.com").
		if n := len(f.results); n > 0 && parseProps(seg, &f.results[n-1], true) {
			continue
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

// parseResinfo reads `method[/version] = result ...` and returns what
// follows the result. The method must be a keyword (letters, digits, '-',
// '_'): "header.d=x" or "gateway.spf=pass" are properties, not methods.
func parseResinfo(seg string) (methodResult, string, bool) {
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
		return methodResult{}, "", false
	}
	skip()
	if i < len(seg) && seg[i] == '/' {
		i++
		skip()
		word()
		skip()
	}
	if i >= len(seg) || seg[i] != '=' {
		return methodResult{}, "", false
	}
	i++
	skip()
	result := word()
	return methodResult{method: strings.ToLower(method), result: strings.ToLower(result)}, seg[i:], true
}

// parseProps reads the `ptype.property=value` items of s (RFC 8601 §2.2)
// into r, keeping the alignedProps a first time only. Other words ("for",
// "action=none", an address) are skipped. With onlyProps, the items are
// read only when every word of s is a property of a known ptype, and the
// result says whether they were: a segment that is something else is not
// taken for a continuation of r. One pass over s.
func parseProps(s string, r *methodResult, onlyProps bool) bool {
	type prop struct{ name, value string }
	var found []prop
	i := 0
	for i < len(s) {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i >= len(s) {
			break
		}
		start := i
		for i < len(s) && !isSpace(s[i]) && s[i] != '=' {
			i++
		}
		name := strings.ToLower(s[start:i])
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i >= len(s) || s[i] != '=' {
			if onlyProps {
				return false
			}
			continue
		}
		i++
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		vstart, inQuote := i, false
		for ; i < len(s); i++ {
			c := s[i]
			if inQuote {
				if c == '\\' {
					i++
				} else if c == '"' {
					inQuote = false
				}
				continue
			}
			if c == '"' {
				inQuote = true
			} else if isSpace(c) {
				break
			}
		}
		value := s[vstart:min(i, len(s))]
		if onlyProps && !hasPropertyType(name) {
			return false
		}
		found = append(found, prop{name, value})
	}
	if onlyProps && len(found) == 0 {
		return false
	}
	for _, p := range found {
		if !alignedProps[p.name] {
			continue
		}
		if r.props == nil {
			r.props = make(map[string]string)
		}
		if _, dup := r.props[p.name]; !dup {
			r.props[p.name] = p.value
		}
	}
	return true
}

func hasPropertyType(name string) bool {
	for _, t := range propertyTypes {
		if strings.HasPrefix(name, t) && len(name) > len(t) {
			return true
		}
	}
	return false
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
