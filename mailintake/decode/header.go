package decode

import (
	"bytes"
	"mime"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
	"unicode/utf8"

	gomail "github.com/emersion/go-message/mail"
)

// Header holds every field of a message header in order, unfolded but
// otherwise raw: encoded words are not decoded and bytes are kept as received,
// so the loop and authentication guards see exactly what the sender wrote.
// Lookups are case-insensitive. The zero Header is empty and usable.
type Header struct {
	fields []field
	index  map[string][]int // lower-cased key -> positions in fields
}

type field struct {
	key   string // as written, surrounding blanks removed
	value string // unfolded, surrounding blanks removed
}

// Get returns the first value of the field named key, or "".
func (h Header) Get(key string) string {
	if pos := h.index[strings.ToLower(key)]; len(pos) > 0 {
		return h.fields[pos[0]].value
	}
	return ""
}

// Values returns every value of the field named key, in message order.
func (h Header) Values(key string) []string {
	pos := h.index[strings.ToLower(key)]
	if len(pos) == 0 {
		return nil
	}
	vs := make([]string, len(pos))
	for i, p := range pos {
		vs[i] = h.fields[p].value
	}
	return vs
}

// Keys returns each distinct field name once, canonicalised
// ("content-type" -> "Content-Type"), in order of first appearance.
func (h Header) Keys() []string {
	keys := make([]string, 0, len(h.index))
	for i, f := range h.fields {
		if h.index[strings.ToLower(f.key)][0] == i {
			keys = append(keys, textproto.CanonicalMIMEHeaderKey(f.key))
		}
	}
	return keys
}

// Len returns the number of fields, repeated fields counted each time.
func (h Header) Len() int { return len(h.fields) }

func (h *Header) add(key, value string) {
	if h.index == nil {
		h.index = make(map[string][]int)
	}
	lk := strings.ToLower(key)
	h.index[lk] = append(h.index[lk], len(h.fields))
	h.fields = append(h.fields, field{key: key, value: value})
}

// headerResult is what splitHeader found at the start of an entity.
type headerResult struct {
	header   Header
	body     []byte
	noHeader bool // the first line is not a header field: the whole input is body
}

// splitHeader reads the header block at the start of data and returns it with
// the body that follows. It is deliberately lenient, because real mail is:
//   - bare LF line endings are accepted;
//   - a header whose first line is wrongly indented is read as if it were
//     not, and lines of blanks before it are skipped;
//   - a field name with blanks or punctuation ("To    :", the X-Script test
//     header of mnako/letters) is kept rather than ending the header early;
//   - a field whose name holds a byte no field name may hold (8-bit, NUL,
//     other controls) is skipped with its continuation lines, and the
//     header goes on;
//   - any other line that is not a field (no colon, say) is skipped with
//     its continuation lines when a field follows them, and otherwise (or
//     when it starts with "--", like a boundary) ends the header even
//     without the blank line (RFC 5322 requires one; some generators
//     forget it) and starts the body.
//
// The header block may hold at most maxBytes bytes.
func splitHeader(data []byte, maxBytes int, top bool) (headerResult, error) {
	var res headerResult
	pos := 0
	if top {
		pos = skipMboxLine(data)
	}
	start := pos
	var cur strings.Builder
	curKey := ""
	haveField := false
	flush := func() {
		if haveField {
			res.header.add(curKey, cur.String())
			cur.Reset()
			haveField = false
		}
	}
	first := true
	for pos < len(data) {
		line, next := nextLine(data, pos)
		if next-start > maxBytes {
			return res, &LimitError{Limit: "MaxHeaderBytes", Max: int64(maxBytes)}
		}
		if len(line) == 0 {
			flush()
			res.body = data[next:]
			return res, nil
		}
		if first && len(bytes.Trim(line, " \t")) == 0 {
			// Leading lines of blanks (seen before the header of some
			// relayed mail) are not the empty line that ends a header.
			pos, start = next, next
			continue
		}
		if isBlank(line[0]) {
			if haveField {
				appendFolded(&cur, line)
				pos = next
				first = false
				continue
			}
			line = bytes.TrimLeft(line, " \t") // only possible on the first line
		}
		key, value, ok := splitField(line, first)
		if !ok {
			flush()
			if first {
				res.noHeader = true
				res.body = data[start:]
				return res, nil
			}
			// A broken field must not end the header early: a field
			// after it (Auto-Submitted, say) would be lost, and with it
			// the loop guard (SPEC §4.4). Skip the broken line with its
			// continuation lines when it is a field with a bad name, or
			// when a field follows; otherwise it is the start of a body
			// that lacks its blank line. "--" starts a boundary, not junk.
			if !bytes.HasPrefix(line, []byte("--")) {
				after := skipContinuation(data, next)
				if malformedField(line) || fieldAt(data, after) {
					if after-start > maxBytes {
						return res, &LimitError{Limit: "MaxHeaderBytes", Max: int64(maxBytes)}
					}
					pos = after
					continue
				}
			}
			res.body = data[pos:]
			return res, nil
		}
		flush()
		curKey, haveField = key, true
		appendFolded(&cur, value)
		pos = next
		first = false
	}
	flush()
	res.body = data[len(data):]
	if first {
		res.noHeader = true
		res.body = data[start:]
	}
	return res, nil
}

// skipContinuation returns the position of the first line at or after pos
// that does not start with a blank: the end of the field whose continuation
// lines (RFC 5322 §2.2.3) start at pos.
func skipContinuation(data []byte, pos int) int {
	for pos < len(data) {
		line, next := nextLine(data, pos)
		if len(line) == 0 || !isBlank(line[0]) {
			break
		}
		pos = next
	}
	return pos
}

// fieldAt reports whether the line at pos is a well-formed header field.
func fieldAt(data []byte, pos int) bool {
	if pos >= len(data) {
		return false
	}
	line, _ := nextLine(data, pos)
	_, _, ok := splitField(line, true)
	return ok
}

// malformedField reports a line that splitField refused but that is still
// plainly a header field: a colon after a name of one word, without blanks,
// that holds a byte no field name may hold (8-bit, NUL or another control,
// DEL). Prose before a missing blank line has blanks in the words before
// its colon ("Réunion à 10:00") and is left to start the body.
func malformedField(line []byte) bool {
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return false
	}
	name := bytes.TrimRight(line[:colon], " \t")
	if len(name) == 0 || bytes.ContainsAny(name, " \t") {
		return false
	}
	for _, c := range name {
		if c < ' ' || c >= 0x7f {
			return true
		}
	}
	return false
}

// skipMboxLine skips the "From sender date" separator that mbox files and
// some MTAs put before the header; "From:" and "From :" are real fields.
func skipMboxLine(data []byte) int {
	if !bytes.HasPrefix(data, []byte("From ")) {
		return 0
	}
	if rest := bytes.TrimLeft(data[5:], " \t"); len(rest) > 0 && rest[0] == ':' {
		return 0
	}
	_, next := nextLine(data, 0)
	return next
}

// nextLine returns the line starting at pos without its line ending, and
// the position of the following line.
func nextLine(data []byte, pos int) (line []byte, next int) {
	end := bytes.IndexByte(data[pos:], '\n')
	if end < 0 {
		line, next = data[pos:], len(data)
	} else {
		line, next = data[pos:pos+end], pos+end+1
	}
	return bytes.TrimSuffix(line, []byte("\r")), next
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// splitField splits "Key: value". With strict set (the first line of a
// header), the key must be a plain field name (letters, digits, '-', '_',
// '.'), as every real one is, so that prose, JSON or binary noise is not
// mistaken for a header; later lines may use obsolete or sloppy names
// (blanks, punctuation) as long as they are printable ASCII.
func splitField(line []byte, strict bool) (key string, value []byte, ok bool) {
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return "", nil, false
	}
	k := bytes.TrimRight(line[:colon], " \t")
	if len(k) == 0 {
		return "", nil, false
	}
	for _, c := range k {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.':
		case c > ' ' && c < 0x7f && !strict:
		case (c == ' ' || c == '\t') && !strict:
		default:
			return "", nil, false
		}
	}
	return string(k), line[colon+1:], true
}

// appendFolded adds one physical line of a field to its unfolded value:
// RFC 5322 §2.2.3 unfolding, with the blanks around the fold collapsed to
// one space as most readers do.
func appendFolded(b *strings.Builder, piece []byte) {
	piece = bytes.Trim(piece, " \t")
	if len(piece) == 0 {
		return
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	b.Write(piece)
}

// decodeText decodes RFC 2047 encoded words in an unstructured field (e.g.
// Subject) and returns valid UTF-8. Raw 8-bit bytes that are not UTF-8 are
// read as Windows-1252, which is what French and Western clients that skip
// the encoding send.
func decodeText(s string) string {
	if !utf8.ValidString(s) {
		s = windows1252String(s)
	}
	if strings.Contains(s, "=?") {
		d := mime.WordDecoder{CharsetReader: wordCharsetReader}
		if out, err := d.DecodeHeader(s); err == nil {
			s = out
		}
		if strings.Contains(s, "=?") {
			s = decodeBrokenWords(s)
		}
	}
	return cleanLine(s)
}

// maxWordLen bounds the search for the end of an encoded word, keeping
// decodeBrokenWords linear on hostile input. RFC 2047 allows 75 bytes;
// sloppy mailers write longer words, but not this long.
const maxWordLen = 512

// decodeBrokenWords decodes the encoded words mime.WordDecoder leaves as
// they are: bad base64 padding, unknown charsets ("=?NONE?B?VEVTVA=?="),
// blanks inside a Q word. Blanks between two such words are dropped, as
// RFC 2047 §6.2 says.
func decodeBrokenWords(s string) string {
	var b strings.Builder
	lastWasWord := false
	for len(s) > 0 {
		i := strings.Index(s, "=?")
		if i < 0 {
			b.WriteString(s)
			break
		}
		word, cs, text, ok := cutEncodedWord(s[i:min(len(s), i+maxWordLen)])
		if !ok {
			b.WriteString(s[:i+2])
			s, lastWasWord = s[i+2:], false
			continue
		}
		if before := s[:i]; !lastWasWord || strings.Trim(before, " \t") != "" {
			b.WriteString(before) // blanks between two encoded words are dropped
		}
		b.WriteString(toUTF8(text, cs, false))
		s, lastWasWord = s[i+len(word):], true
	}
	return b.String()
}

// cutEncodedWord splits "=?charset?E?text?=..." and decodes text; word is
// the whole encoded word as written.
func cutEncodedWord(s string) (word, charset string, text []byte, ok bool) {
	parts := strings.SplitN(s[2:], "?", 3)
	if len(parts) < 3 || len(parts[1]) != 1 {
		return "", "", nil, false
	}
	end := strings.Index(parts[2], "?=")
	if end < 0 {
		return "", "", nil, false
	}
	charset, _, _ = strings.Cut(parts[0], "*") // RFC 2231 language suffix
	raw := parts[2][:end]
	word = s[:2+len(parts[0])+1+1+1+end+2]
	switch parts[1] {
	case "B", "b":
		return word, charset, decodeBase64([]byte(raw)), true
	case "Q", "q":
		return word, charset, decodeQP([]byte(strings.ReplaceAll(raw, "_", " "))), true
	}
	return "", "", nil, false
}

// cleanLine makes a decoded header value safe to show: valid UTF-8 without
// control characters, folds and tabs turned into spaces.
func cleanLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case isControl(r):
			return -1
		}
		return r
	}, s)
}

// Address is one mailbox of an address field.
type Address struct {
	Name  string // display name, decoded
	Email string // lower-cased addr-spec
}

// parseAddressList reads an address field. It first tries the RFC 5322
// parser (go-message's, which decodes encoded words in any charset), and on
// failure falls back to picking out what looks like mailboxes, since a
// sender we cannot parse would otherwise be treated as absent.
func parseAddressList(v string) []Address {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	if utf8.ValidString(v) {
		if list, err := gomail.ParseAddressList(v); err == nil {
			out := make([]Address, 0, len(list))
			for _, a := range list {
				if email := normaliseEmail(a.Address); email != "" {
					// net/mail leaves encoded words inside quotes alone;
					// clients put them there all the same.
					out = append(out, Address{Name: decodeText(a.Name), Email: email})
				}
			}
			return out
		}
	}
	var out []Address
	for _, piece := range splitAddressList(stripComments(v)) {
		if a, ok := lenientAddress(piece); ok {
			out = append(out, a)
		}
	}
	return out
}

// splitAddressList splits on commas outside quotes, comments and <...>.
func splitAddressList(v string) []string {
	var parts []string
	depthParen, inQuote, inAngle := 0, false, false
	start := 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\\' && (inQuote || depthParen > 0):
			i++
		case c == '"' && depthParen == 0:
			inQuote = !inQuote
		case inQuote:
		case c == '(':
			depthParen++
		case c == ')' && depthParen > 0:
			depthParen--
		case depthParen > 0:
		case c == '<':
			inAngle = true
		case c == '>':
			inAngle = false
		case (c == ',' || c == ';') && !inAngle:
			parts = append(parts, v[start:i])
			start = i + 1
		}
	}
	return append(parts, v[start:])
}

// lenientAddress reads one mailbox the way a forgiving client would:
// "Name <addr>", a bare token holding an '@', or a single bare word such as
// MAILER-DAEMON (which the loop guard needs to see).
func lenientAddress(piece string) (Address, bool) {
	piece = strings.TrimSpace(piece)
	if piece == "" {
		return Address{}, false
	}
	if lt := strings.LastIndexByte(piece, '<'); lt >= 0 {
		rest := piece[lt+1:]
		if gt := strings.IndexByte(rest, '>'); gt >= 0 {
			rest = rest[:gt]
		}
		if colon := strings.LastIndexByte(rest, ':'); colon >= 0 {
			rest = rest[colon+1:] // obsolete source route "<@relay:user@host>"
		}
		rest = strings.Join(joinAroundDots(strings.Fields(rest)), " ")
		email := normaliseEmail(rest)
		if email == "" {
			return Address{}, false
		}
		name := strings.TrimSpace(piece[:lt])
		if g := strings.IndexByte(name, ':'); g >= 0 && !strings.Contains(name, "\"") {
			name = strings.TrimSpace(name[g+1:]) // group syntax "team: Ann <a@x>"
		}
		name = strings.Trim(name, "\"' ")
		return Address{Name: decodeText(name), Email: email}, true
	}
	fields := joinAroundDots(strings.Fields(piece))
	for _, f := range fields {
		if strings.Contains(f, "@") {
			if email := normaliseEmail(f); email != "" {
				return Address{Email: email}, true
			}
		}
	}
	if len(fields) == 1 && !strings.ContainsAny(piece, ":\"()") {
		if email := normaliseEmail(piece); email != "" {
			return Address{Email: email}, true
		}
	}
	return Address{}, false
}

// stripComments removes RFC 5322 comments "(...)", nested or escaped,
// outside quoted strings; they may sit anywhere, even inside an address.
func stripComments(s string) string {
	if !strings.Contains(s, "(") {
		return s
	}
	var b strings.Builder
	depth, inQuote := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && (inQuote || depth > 0) && i+1 < len(s):
			if depth == 0 {
				b.WriteByte(c)
				b.WriteByte(s[i+1])
			}
			i++
			continue
		case c == '"' && depth == 0:
			inQuote = !inQuote
		case c == '(' && !inQuote:
			depth++
			continue
		case c == ')' && depth > 0:
			depth--
			if depth == 0 {
				b.WriteByte(' ')
			}
			continue
		}
		if depth == 0 {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// joinAroundDots rejoins an address that obsolete syntax spread over
// blanks ("jdoe@test   . example").
func joinAroundDots(words []string) []string {
	var out []string
	var cur strings.Builder
	for i, w := range words {
		if i > 0 {
			prev := words[i-1]
			if !strings.HasSuffix(prev, ".") && !strings.HasSuffix(prev, "@") &&
				!strings.HasPrefix(w, ".") && !strings.HasPrefix(w, "@") {
				out = append(out, cur.String())
				cur.Reset()
			}
		}
		cur.WriteString(w)
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

func normaliseEmail(s string) string {
	s = strings.Trim(strings.TrimSpace(s), "\"'<>(),;:")
	s = strings.TrimPrefix(strings.TrimPrefix(s, "mailto:"), "MAILTO:")
	if s == "" || strings.ContainsAny(s, " \t\r\n") {
		return ""
	}
	return strings.ToLower(cleanLine(s))
}

// parseMsgIDs returns the message identifiers of a Message-ID, In-Reply-To
// or References field without their angle brackets, dropping every id
// validMsgID refuses. Broken lists are common (one malformed id among good
// ones), so every <...> is taken on its own, and an id that holds a '<' is
// read from its last one ("<broken <good@x>" gives good@x); a field with no
// brackets at all is split on blanks and commas.
func parseMsgIDs(v string) []string {
	var ids []string
	rest := v
	bracketed := false
	for {
		lt := strings.IndexByte(rest, '<')
		if lt < 0 {
			break
		}
		gt := strings.IndexByte(rest[lt:], '>')
		if gt < 0 {
			break
		}
		bracketed = true
		inner := rest[lt+1 : lt+gt]
		if i := strings.LastIndexByte(inner, '<'); i >= 0 {
			inner = inner[i+1:]
		}
		if id := strings.TrimSpace(inner); validMsgID(id) {
			ids = append(ids, id)
		}
		rest = rest[lt+gt+1:]
	}
	if bracketed {
		return ids
	}
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if f = strings.Trim(f, "<>"); validMsgID(f) {
			ids = append(ids, f)
		}
	}
	return ids
}

// parseMessageID returns the id of a Message-ID field without its angle
// brackets, or "" unless the field holds exactly one usable id (see
// validMsgID), bracketed or not, comments aside. The id is echoed into our
// reply's In-Reply-To (SPEC §4.5) and keys idempotency (R-IDEMPOTENT), so
// an unusable one is taken as absent, never repaired or guessed at.
func parseMessageID(v string) string {
	v = strings.TrimSpace(stripComments(v))
	if inner, ok := strings.CutPrefix(v, "<"); ok {
		if inner, ok = strings.CutSuffix(inner, ">"); !ok {
			return ""
		}
		v = strings.TrimSpace(inner)
	}
	if !validMsgID(v) {
		return ""
	}
	return v
}

// maxMsgIDBytes bounds an id we keep. Real ones are under 100 bytes; a
// longer one is padding, meant to bloat every reply that echoes it.
const maxMsgIDBytes = 250

// validMsgID reports whether an id (without its brackets) can be echoed
// into our reply's In-Reply-To and References (SPEC §4.5) and used as the
// idempotency key: 1 to maxMsgIDBytes of printable ASCII, and none of the
// characters that would end the id or change how the echoed field parses:
// blanks and controls (a fold or a header injection), '<' and '>' (the
// id's own brackets), '(' and ')' (a comment), '"' and '\' (quoting),
// ',' (a list separator to lenient readers).
func validMsgID(id string) bool {
	if id == "" || len(id) > maxMsgIDBytes {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`<>()"\,`, c) >= 0 {
			return false
		}
	}
	return true
}

// dateLayouts are tried after net/mail.ParseDate, for dates seen in the
// wild that it refuses: missing seconds with a zone name, ISO-like forms.
var dateLayouts = []string{
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05 MST",
	"Mon, 2 Jan 06 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04 -0700",
	"Mon Jan 2 15:04:05 2006",
	"Mon Jan 2 15:04:05 -0700 2006",
	"2006-01-02 15:04:05 -0700",
	time.RFC3339,
}

// parseDate returns the Date field as a time, or the zero time when it
// cannot be read (a bad date must not make the message unreadable).
func parseDate(v string) time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}
	}
	if t, err := mail.ParseDate(v); err == nil {
		return t
	}
	// Drop a trailing comment such as "(PST)" and squeeze blanks.
	if i := strings.IndexByte(v, '('); i > 0 {
		v = v[:i]
	}
	v = strings.Join(strings.Fields(v), " ")
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			return t
		}
	}
	return time.Time{}
}
