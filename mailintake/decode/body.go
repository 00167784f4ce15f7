package decode

import (
	"bytes"
	"io"
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"
	htmlcharset "golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/charmap"
)

// parseMediaType reads a Content-Type or Content-Disposition value. It uses
// mime.ParseMediaType and, when that refuses the value (duplicate or
// unquoted parameters with tspecials, e.g. boundary=----=_NextPart_000 from
// Outlook), falls back to a forgiving split so the boundary and charset are
// still found. The type and parameter names are lower-cased.
func parseMediaType(v string) (string, map[string]string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	if mt, params, err := mime.ParseMediaType(v); err == nil {
		return mt, params
	}
	head, rest, _ := strings.Cut(v, ";")
	mt := strings.ToLower(strings.Trim(head, " \t\"'"))
	return mt, lenientParams(rest)
}

// lenientParams splits "; a=b; c="d;e"" into a map; the first value of a
// repeated name wins.
func lenientParams(s string) map[string]string {
	params := make(map[string]string)
	for len(s) > 0 {
		// One parameter runs to the next ';' outside quotes.
		end, inQuote := len(s), false
		for i := 0; i < len(s); i++ {
			if s[i] == '\\' && inQuote {
				i++
			} else if s[i] == '"' {
				inQuote = !inQuote
			} else if s[i] == ';' && !inQuote {
				end = i
				break
			}
		}
		name, value, ok := strings.Cut(s[:end], "=")
		if end < len(s) {
			s = s[end+1:]
		} else {
			s = ""
		}
		name = strings.ToLower(strings.TrimSpace(name))
		if !ok || name == "" {
			continue
		}
		value = strings.TrimSpace(value)
		if len(value) >= 2 && value[0] == '"' {
			value = unquote(value)
		}
		if _, dup := params[name]; !dup {
			params[name] = value
		}
	}
	return params
}

func unquote(s string) string {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String()
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// splitMultipart cuts a multipart body into its parts (RFC 2046 §5.1.1).
// The line break before a delimiter belongs to the delimiter; the preamble
// and epilogue are dropped. When the close delimiter is missing, the last
// part runs to the end of the body: what was received is kept. It returns
// at most max+1 parts so that a flood of empty parts costs nothing before
// the caller refuses it. One pass over the body: linear time.
func splitMultipart(body []byte, boundary string, max int) [][]byte {
	dash := []byte("--" + boundary)
	var parts [][]byte
	start := -1 // start of the current part, -1 before the first delimiter
	for pos := 0; pos < len(body); {
		line, next := nextLine(body, pos)
		if bytes.HasPrefix(line, dash) {
			rest := line[len(dash):]
			closing := bytes.HasPrefix(rest, []byte("--"))
			if closing {
				rest = rest[2:]
			}
			if len(bytes.Trim(rest, " \t")) == 0 {
				if start >= 0 {
					parts = append(parts, body[start:partEnd(body, start, pos)])
					if len(parts) > max {
						return parts
					}
				}
				if closing {
					return parts
				}
				start = next
			}
		}
		pos = next
	}
	if start >= 0 {
		parts = append(parts, body[start:])
	}
	return parts
}

// partEnd returns where a part that starts at start ends, given the start of
// the delimiter line that follows it: the CRLF or LF before it is not data.
func partEnd(body []byte, start, delim int) int {
	end := delim
	if end > start && body[end-1] == '\n' {
		end--
		if end > start && body[end-1] == '\r' {
			end--
		}
	}
	return end
}

// decodeTransfer undoes the Content-Transfer-Encoding. Values are compared
// loosely ("Quoted-Printable;", "BaSe64 ") and anything else — 7bit, 8bit,
// binary, or names nobody knows such as x-uuencode or "7-bit" — is taken as
// is, which is what RFC 2045 §6.4 suggests for an unknown encoding.
func decodeTransfer(body []byte, cte string) []byte {
	cte = strings.ToLower(strings.TrimSpace(cte))
	if i := strings.IndexAny(cte, "; \t"); i >= 0 {
		cte = cte[:i]
	}
	switch cte {
	case "quoted-printable":
		return decodeQP(body)
	case "base64":
		return decodeBase64(body)
	}
	return body
}

// decodeQP decodes quoted-printable (RFC 2045 §6.7) forgivingly: an '='
// not followed by two hex digits stays literal, soft breaks may end in LF,
// and control bytes or long lines do not stop decoding (mime/quotedprintable
// gives up on both, losing the rest of the text).
func decodeQP(in []byte) []byte {
	out := make([]byte, 0, len(in))
	for pos := 0; pos < len(in); {
		end := bytes.IndexByte(in[pos:], '\n')
		var line []byte
		hasLF := end >= 0
		if hasLF {
			line, pos = in[pos:pos+end], pos+end+1
		} else {
			line, pos = in[pos:], len(in)
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		line = bytes.TrimRight(line, " \t") // trailing blanks were added in transport
		soft := len(line) > 0 && line[len(line)-1] == '='
		if soft {
			line = line[:len(line)-1]
		}
		for i := 0; i < len(line); i++ {
			c := line[i]
			if c == '=' && i+2 < len(line) && isHex(line[i+1]) && isHex(line[i+2]) {
				out = append(out, unhex(line[i+1])<<4|unhex(line[i+2]))
				i += 2
				continue
			}
			out = append(out, c)
		}
		if hasLF && !soft {
			out = append(out, '\n')
		}
	}
	return out
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// decodeBase64 decodes base64 forgivingly: characters outside the alphabet
// (line breaks, blanks, garbage) are skipped and '=' ends a quantum, so
// concatenated chunks and damaged lines still yield what can be recovered.
func decodeBase64(in []byte) []byte {
	out := make([]byte, 0, len(in)*3/4)
	var acc uint32
	bits := 0
	for _, c := range in {
		var v byte
		switch {
		case 'A' <= c && c <= 'Z':
			v = c - 'A'
		case 'a' <= c && c <= 'z':
			v = c - 'a' + 26
		case '0' <= c && c <= '9':
			v = c - '0' + 52
		case c == '+':
			v = 62
		case c == '/':
			v = 63
		case c == '=':
			acc, bits = 0, 0
			continue
		default:
			continue
		}
		acc = acc<<6 | uint32(v)
		bits += 6
		if bits >= 8 {
			bits -= 8
			out = append(out, byte(acc>>uint(bits)))
			acc &= 1<<uint(bits) - 1
		}
	}
	return out
}

// toUTF8 converts a decoded text body to UTF-8. label is the declared
// charset ("" when none). The rules, in order:
//   - no charset, us-ascii or utf-8: valid UTF-8 is kept; otherwise the bytes
//     are read as Windows-1252 (HTML first looks for a <meta> charset), the
//     usual truth of undeclared 8-bit mail from Western clients;
//   - iso-8859-1 is read as its superset Windows-1252, as browsers do, so
//     Outlook's curly quotes in 0x80-0x9F survive;
//   - any other charset go-message knows is converted;
//   - an unknown charset keeps the bytes, invalid sequences replaced.
func toUTF8(b []byte, label string, isHTML bool) string {
	label = strings.ToLower(strings.Trim(strings.TrimSpace(label), "\"'"))
	switch label {
	case "", "us-ascii", "ascii", "ansi_x3.4-1968", "utf-8", "utf8", "unicode-1-1-utf-8":
		if utf8.Valid(b) {
			return string(b)
		}
		if label == "utf-8" || label == "utf8" {
			return strings.ToValidUTF8(string(b), "\uFFFD")
		}
		if isHTML {
			enc, _, _ := htmlcharset.DetermineEncoding(b, "text/html")
			if out, err := enc.NewDecoder().Bytes(b); err == nil {
				return string(out)
			}
		}
		return windows1252String(string(b))
	case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "l1", "cp819", "windows-1252", "cp1252", "x-cp1252":
		return windows1252String(string(b))
	}
	r, err := charset.Reader(label, bytes.NewReader(b))
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	out, _ := io.ReadAll(r) // a decoder error keeps what was converted
	return string(out)
}

func windows1252String(s string) string {
	out, err := charmap.Windows1252.NewDecoder().String(s)
	if err != nil {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	return out
}

// wordCharsetReader lets mime.WordDecoder read encoded words in any charset
// go-message knows, and never fails: a word in an unknown charset keeps its
// bytes (made valid UTF-8 later) instead of leaving the whole field encoded.
func wordCharsetReader(label string, input io.Reader) (io.Reader, error) {
	label = strings.ToLower(label)
	switch label {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return input, nil
	case "iso-8859-1", "latin1", "windows-1252", "cp1252":
		return charmap.Windows1252.NewDecoder().Reader(input), nil
	}
	if r, err := charset.Reader(label, input); err == nil {
		return r, nil
	}
	return input, nil
}

// cleanText normalises decoded body text for the readers downstream: valid
// UTF-8, CRLF and lone CR turned into LF, a leading BOM and every control
// character other than LF and TAB removed (NULs, C1 controls, DEL).
func cleanText(s string) string {
	var b strings.Builder
	done := 0 // s[:done] is already in b
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f || c == '\n' || c == '\t' {
			i++ // the common case: copied in bulk below
			continue
		}
		size, repl := 1, ""
		switch r, n := utf8.DecodeRuneInString(s[i:]); {
		case c == '\r':
			repl = "\n"
			if i+1 < len(s) && s[i+1] == '\n' {
				size = 2
			}
		case c < 0x80: // other C0 controls and DEL are dropped
		case r == utf8.RuneError && n == 1:
			repl = "\uFFFD"
		case r == '\uFEFF' && i == 0:
			size = n
		case r >= 0x80 && r < 0xa0:
			// A C1 control is a Windows-1252 character read as Latin-1
			// somewhere upstream (0x80 is the euro sign): restore it.
			size = n
			if w := windows1252C1[r-0x80]; w != 0 {
				repl = string(w)
			}
		default:
			i += n
			continue
		}
		if done == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[done:i])
		b.WriteString(repl)
		i += size
		done = i
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// windows1252C1 maps 0x80-0x9F to Windows-1252; 0 marks the five holes.
var windows1252C1 = [32]rune{
	'€', 0, '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', 0, 'Ž', 0,
	0, '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', 0, 'ž', 'Ÿ',
}

func isControl(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0)
}

// unflow undoes format=flowed (RFC 3676) on decoded text whose line ends
// are LF: a line that ends in a space was broken by the sender's client to
// fit its width (a soft break, §4.2), so it is joined with the next line of
// the same quote depth; with DelSp=yes that space was added by the client and
// is deleted (§4.5), otherwise it is kept between the words. A product name
// split over two lines ("Microsoft 365 ⏎Business Premium") is one name again
// for the reader (issue 9, class 6).
//
// Quote markers (">" at the start of a line, §4.5) are kept, one "> " per
// level, so that the quote stripper still sees quoted history; space
// stuffing (§4.4) is removed. The signature separator "-- " is never a soft
// break (§4.3). A soft break before a line of another quote depth is taken
// as a hard one, as §4.5 asks. One pass: linear in the input.
func unflow(s string, delSp bool) string {
	var b strings.Builder
	b.Grow(len(s))
	joining := false // the previous line ended in a soft break
	prevDepth := 0
	for len(s) > 0 {
		line, rest, nl := strings.Cut(s, "\n")
		s = rest
		depth := 0
		for depth < len(line) && line[depth] == '>' {
			depth++
		}
		content := line[depth:]
		if len(content) > 0 && content[0] == ' ' {
			content = content[1:] // space stuffing, or the space after ">"
		}
		if joining && depth != prevDepth {
			b.WriteByte('\n') // improperly flowed: the soft break stands as a hard one
			joining = false
		}
		if !joining && depth > 0 {
			b.WriteString(strings.Repeat("> ", depth))
		}
		soft := nl && strings.HasSuffix(content, " ") && content != "-- "
		if soft && delSp {
			content = content[:len(content)-1]
		}
		b.WriteString(content)
		if nl && !soft {
			b.WriteByte('\n')
		}
		joining, prevDepth = soft, depth
	}
	return b.String()
}
