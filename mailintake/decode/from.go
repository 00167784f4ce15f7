package decode

import (
	"strings"
	"unicode"
	"unicode/utf8"

	gomail "github.com/emersion/go-message/mail"
	"golang.org/x/net/idna"
)

// Reasons for Message.FromProblem: why Message.From is nil. SPEC §4.3 ties
// sender authentication to the From address, so anything but exactly one
// From field holding exactly one usable address is a problem the intake
// refuses (UnauthorizedSender) and logs. The values are stable: they are
// logged and may be counted.
const (
	// FromMissing: the message has no From field.
	FromMissing = "no From header"
	// FromSeveralFields: the message has more than one From field.
	FromSeveralFields = "several From headers"
	// FromSeveralAddresses: the From field names more than one mailbox,
	// however written ("a@x, b@y", "<a@x> <b@y>", "a@x <b@y>", a group).
	FromSeveralAddresses = "several addresses in From"
	// FromNoValidAddress: the From field names one mailbox, but not one
	// replies can be addressed to: the null path "<>", a non-ASCII local part,
	// a fullwidth '@', a missing, dotless or lookalike domain, quotes or
	// blanks in the local part, ...
	FromNoValidAddress = "no valid address in From"
	// FromNotAnAddress: the From field names no mailbox at all: an empty
	// value, a bare word such as MAILER-DAEMON, an encoded word, a group.
	FromNotAnAddress = "From is not an address"
)

// parseFrom applies SPEC §4.3 to the From fields of h: it returns the
// sender only when there is exactly one From field naming exactly one
// usable mailbox, and otherwise nil and the reason. Every check is on the
// raw field: encoded words are decoded for the display name only, so text
// that becomes an address once decoded never becomes one here (RFC 2047 §5
// forbids encoded words in an addr-spec).
func parseFrom(h Header) (*Address, string) {
	values := h.Values("From")
	switch {
	case len(values) == 0:
		return nil, FromMissing
	case len(values) > 1:
		return nil, FromSeveralFields
	}
	return parseSender(values[0])
}

// fromScan is the shape of a From value: where its addresses are.
type fromScan struct {
	angles    []string // the content of each <...>; an unterminated one runs to the end
	atWords   []string // the words outside <...> holding an '@' outside quotes
	nameEnd   int      // where the first '<' starts, -1 without one
	group     bool     // a ':' outside quotes and <...>: RFC 5322 group syntax
	malformed bool     // a '<' inside <...>
}

// scanFrom reads a From value whose comments are already removed. It counts
// as an address every angle-addr and every word with an unquoted '@', so
// that two addresses are seen however they are written. One pass: linear.
func scanFrom(s string) fromScan {
	sc := fromScan{nameEnd: -1}
	var words []string
	start := -1 // start of the current word outside <...>
	inQuote := false
	endWord := func(i int) {
		if start >= 0 {
			words = append(words, s[start:i])
			start = -1
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote:
			if c == '\\' {
				i++
			} else if c == '"' {
				inQuote = false
			}
			continue
		case c == '"':
			inQuote = true
		case c == '<':
			endWord(i)
			if sc.nameEnd < 0 {
				sc.nameEnd = i
			}
			end := strings.IndexByte(s[i+1:], '>')
			if end < 0 {
				end = len(s) - i - 1
			}
			inner := s[i+1 : i+1+end]
			if strings.IndexByte(inner, '<') >= 0 {
				sc.malformed = true
			}
			sc.angles = append(sc.angles, inner)
			i += end + 1
			continue
		case c == ' ' || c == '\t' || c == ',' || c == ';':
			endWord(i)
			continue
		case c == ':':
			endWord(i)
			sc.group = true
			continue
		}
		if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		words = append(words, s[start:])
	}
	// Obsolete syntax may spread an address over blanks ("jdoe@test . example").
	for _, w := range joinAroundDots(words) {
		if hasUnquotedAt(w) {
			sc.atWords = append(sc.atWords, w)
		}
	}
	return sc
}

// hasUnquotedAt reports an '@' outside quoted strings: the '@' of a quoted
// display name ("it@contoso.com" <x@evil.example>) is not an address.
func hasUnquotedAt(w string) bool {
	inQuote := false
	for i := 0; i < len(w); i++ {
		switch c := w[i]; {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case c == '@' && !inQuote:
			return true
		}
	}
	return false
}

// parseSender reads the value of the single From field.
func parseSender(v string) (*Address, string) {
	s := stripComments(v)
	sc := scanFrom(s)
	switch n := len(sc.angles) + len(sc.atWords); {
	case n == 0:
		return nil, FromNotAnAddress
	case n > 1:
		return nil, FromSeveralAddresses
	}
	if sc.group {
		// A group (RFC 6854 allows one in From) is a list, not a person,
		// even with a single member.
		return nil, FromNotAnAddress
	}
	if sc.malformed {
		return nil, FromNoValidAddress
	}
	var spec string
	if len(sc.angles) == 1 {
		inner := sc.angles[0]
		if colon := strings.LastIndexByte(inner, ':'); colon >= 0 && strings.HasPrefix(strings.TrimSpace(inner), "@") {
			inner = inner[colon+1:] // obsolete source route "<@relay:user@host>"
		}
		words := joinAroundDots(strings.Fields(inner))
		if len(words) != 1 {
			return nil, FromNoValidAddress // blanks inside the address, or "<>"
		}
		spec = words[0]
	} else {
		spec = sc.atWords[0]
	}
	email, ok := validAddrSpec(spec)
	if !ok {
		return nil, FromNoValidAddress
	}
	return &Address{Name: senderName(v, s, sc, email), Email: email}, ""
}

// senderName is the decoded display name, for the greeting only: it plays
// no part in who the sender is. The RFC 5322 parser reads quoted strings and
// encoded words best; when it refuses the field, or finds another address
// than ours, the text before '<' is taken as the name.
func senderName(raw, stripped string, sc fromScan, email string) string {
	if utf8.ValidString(raw) {
		if a, err := gomail.ParseAddress(raw); err == nil {
			if e, ok := validAddrSpec(a.Address); ok && e == email {
				return decodeText(a.Name)
			}
		}
	}
	if sc.nameEnd < 0 {
		return ""
	}
	return decodeText(strings.Trim(strings.TrimSpace(stripped[:sc.nameEnd]), "\"' "))
}

// RFC 5321 §4.5.3.1 bounds.
const (
	maxLocalPart = 64
	maxDomain    = 253
)

// validAddrSpec checks that s is an addr-spec replies can be addressed to
// and returns it normalised (lower-cased, domain as IDNA A-labels): an ASCII
// dot-atom local part (a quoted one only when its content is a dot-atom,
// RFC 5321 §4.1.2), exactly one '@', and a domain name of at least two
// labels. Everything else is refused rather than repaired: the address
// decides who may ask (SPEC §4.3) and where the reply goes (SPEC §4.5).
func validAddrSpec(s string) (string, bool) {
	local, domain, ok := cutAddrSpec(s)
	if !ok || !validLocalPart(local) {
		return "", false
	}
	domain, ok = validDomain(domain)
	if !ok {
		return "", false
	}
	return strings.ToLower(local) + "@" + domain, true
}

// cutAddrSpec splits local@domain, unquoting a quoted local part; it fails
// unless there is exactly one '@' outside the quotes.
func cutAddrSpec(s string) (local, domain string, ok bool) {
	if strings.HasPrefix(s, `"`) {
		end := -1
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			if s[i] == '\\' && i+1 < len(s) {
				i++
			} else if s[i] == '"' {
				end = i
				break
			}
			b.WriteByte(s[i])
		}
		if end < 0 || end+1 >= len(s) || s[end+1] != '@' {
			return "", "", false
		}
		local, domain = b.String(), s[end+2:]
	} else {
		var found bool
		local, domain, found = strings.Cut(s, "@")
		if !found {
			return "", "", false
		}
	}
	if strings.IndexByte(domain, '@') >= 0 {
		return "", "", false
	}
	return local, domain, true
}

// validLocalPart accepts a dot-atom of ASCII atext (RFC 5322 §3.2.3),
// without "=?", the start of an encoded word, which RFC 2047 §5 forbids in
// an addr-spec: a local part holding one was written to be misread.
func validLocalPart(l string) bool {
	if l == "" || len(l) > maxLocalPart || l[0] == '.' || l[len(l)-1] == '.' ||
		strings.Contains(l, "..") || strings.Contains(l, "=?") {
		return false
	}
	for i := 0; i < len(l); i++ {
		if !isAtext(l[i]) && l[i] != '.' {
			return false
		}
	}
	return true
}

// isAtext reports an RFC 5322 atext byte (ASCII only).
func isAtext(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// validDomain returns the domain lower-cased and in A-labels when it is a
// host name of at least two labels, the last not numeric (no IP address),
// and nil otherwise. Non-ASCII domains must be valid IDNA2008 as registered
// (no UTS #46 mapping, so fullwidth letters or dots and other compatibility
// forms are refused, never folded onto an ASCII domain) and each label must
// keep to one script, or one of the CJK combinations of UTS #39's highly
// restrictive level: "cοntoso.com" with a Greek omicron is refused.
func validDomain(d string) (string, bool) {
	if d == "" || len(d) > maxDomain {
		return "", false
	}
	ascii := true
	for i := 0; i < len(d); i++ {
		if d[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	d = asciiLower(d)
	if !ascii || strings.Contains(d, "xn--") {
		a, err := idna.Registration.ToASCII(d)
		if err != nil {
			return "", false
		}
		u, err := idna.Registration.ToUnicode(a)
		if err != nil {
			return "", false
		}
		for label := range strings.SplitSeq(u, ".") {
			if !singleScript(label) {
				return "", false
			}
		}
		d = a
	}
	if !validHostname(d) {
		return "", false
	}
	return d, true
}

// validHostname checks an ASCII, lower-case host name (RFC 1123 §2.1): at
// least two labels of letters, digits and inner hyphens, 1 to 63 bytes each,
// the last not all digits.
func validHostname(d string) bool {
	if len(d) > maxDomain {
		return false
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	last := labels[len(labels)-1]
	return strings.Trim(last, "0123456789") != ""
}

// asciiLower lower-cases ASCII letters only. Unicode case folding would map
// lookalikes onto ASCII (the Kelvin sign K lowers to 'k'), exactly what
// the domain check must refuse.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// cjkSets are the script combinations UTS #39 §5.2 (highly restrictive)
// admits in one label beside single-script ones.
var cjkSets = [][]*unicode.RangeTable{
	{unicode.Latin, unicode.Han, unicode.Hiragana, unicode.Katakana},
	{unicode.Latin, unicode.Han, unicode.Bopomofo},
	{unicode.Latin, unicode.Han, unicode.Hangul},
}

// singleScript reports whether the letters of a label keep to one script,
// or to one of cjkSets. Digits, hyphens and combining marks (Common and
// Inherited) go with any script.
func singleScript(label string) bool {
	var scripts []*unicode.RangeTable
	for _, r := range label {
		if !unicode.IsLetter(r) {
			continue
		}
		t := scriptOf(r)
		if t == nil {
			return false
		}
		seen := false
		for _, s := range scripts {
			seen = seen || s == t
		}
		if !seen {
			scripts = append(scripts, t)
		}
	}
	if len(scripts) <= 1 {
		return true
	}
	for _, set := range cjkSets {
		if subsetOf(scripts, set) {
			return true
		}
	}
	return false
}

func subsetOf(scripts, set []*unicode.RangeTable) bool {
	for _, s := range scripts {
		found := false
		for _, t := range set {
			found = found || s == t
		}
		if !found {
			return false
		}
	}
	return true
}

// scriptOf returns the script of a letter, nil when none is known.
func scriptOf(r rune) *unicode.RangeTable {
	if r < utf8.RuneSelf {
		return unicode.Latin
	}
	for _, t := range unicode.Scripts {
		if t != unicode.Common && t != unicode.Inherited && unicode.Is(t, r) {
			return t
		}
	}
	return nil
}
