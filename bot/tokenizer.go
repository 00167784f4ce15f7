package bot

// The tokenizer of the /licenses command: the checks on the raw text, a
// lazy lexer (words, quotes, smart quotes), Slack's links and escapes, and
// the shape of a flag. It knows no verb; parse.go gives the words meaning.

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/licensedesk/licensedesk/ledger"
)

// maxLinkBytes bounds one Slack link <…> so a stray "<" costs little.
const maxLinkBytes = 1024

// slackUnescape undoes the only three escapes Slack applies to command text,
// in one pass so "&amp;lt;" becomes "&lt;", not "<".
var slackUnescape = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")

// checkCommandText refuses invalid UTF-8 and control characters: tab, CR
// and LF separate words, nothing else invisible may slip into an id.
func checkCommandText(text string) *UsageError {
	if !utf8.ValidString(text) {
		return &UsageError{Code: ledger.InvalidRequest, Message: "the command is not valid UTF-8 text", Usage: usageShort()}
	}
	for _, r := range text {
		if unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
			return &UsageError{
				Code:    ledger.InvalidRequest,
				Message: fmt.Sprintf("the command contains a control character (U+%04X)", r),
				Usage:   usageShort(),
			}
		}
	}
	return nil
}

// countUserWords returns the first word, lower-cased, and the number of words
// holding an "@", in one pass over the raw text without allocating per word.
func countUserWords(text string) (verb string, users int) {
	i := 0
	isSep := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == ';' }
	for i < len(text) && isSep(text[i]) {
		i++
	}
	j := i
	for j < len(text) && !isSep(text[j]) && j-i < 16 {
		j++
	}
	verb = strings.ToLower(text[i:j])
	inWord, hasAt := false, false
	for k := j; k <= len(text); k++ {
		if k == len(text) || isSep(text[k]) {
			if inWord && hasAt {
				users++
			}
			inWord, hasAt = false, false
			continue
		}
		inWord = true
		if text[k] == '@' {
			hasAt = true
		}
	}
	return verb, users
}

// cmdToken is one word of the command.
type cmdToken struct {
	text   string
	quoted bool // began with a quote: never a flag nor a connector word
}

// cmdLexer splits the text into words lazily, so reject can keep its reason
// as typed.
type cmdLexer struct {
	s   string
	pos int
	// lenient reads a quote left open as a plain character instead of
	// refusing it: free text (a reject reason) may hold a lone apostrophe.
	lenient bool
	// unclosed holds the closers (quoteClosers) found nowhere after an
	// opening quote: a later quote of the same kind is left open too, and
	// is not searched again (linear time on "' ' ' …").
	unclosed map[string]bool
}

// quoteClosers returns the characters that close a quote opened by r, or ""
// when r opens none. Smart quotes come from phones and macOS text
// substitution; a straight quote may close a smart one, not the reverse.
func quoteClosers(r rune) string {
	switch r {
	case '"':
		return `"`
	case '\'':
		return `'`
	case '“', '”':
		return `”“"`
	case '‘', '’':
		return `’‘'`
	}
	return ""
}

func (l *cmdLexer) skipSpace() {
	for l.pos < len(l.s) {
		r, n := utf8.DecodeRuneInString(l.s[l.pos:])
		if !unicode.IsSpace(r) {
			return
		}
		l.pos += n
	}
}

// rest returns the unread text, trimmed.
func (l *cmdLexer) rest() string {
	return strings.TrimSpace(l.s[l.pos:])
}

// next returns the next word; ok is false at the end of the text. A quote
// opens only at the start of a word, so apostrophes inside words
// (o'brien@contoso.com) are plain characters.
func (l *cmdLexer) next() (tok cmdToken, ok bool, uerr *UsageError) {
	l.skipSpace()
	if l.pos >= len(l.s) {
		return cmdToken{}, false, nil
	}
	var b strings.Builder
	r, n := utf8.DecodeRuneInString(l.s[l.pos:])
	if closers := quoteClosers(r); closers != "" {
		start := l.pos
		tok.quoted = true
		l.pos += n
		double := r != '\'' && r != '‘' && r != '’'
		closed := false
		for l.pos < len(l.s) && !l.unclosed[closers] {
			c, m := utf8.DecodeRuneInString(l.s[l.pos:])
			l.pos += m
			if double && c == '\\' && l.pos < len(l.s) && (l.s[l.pos] == '"' || l.s[l.pos] == '\\') {
				b.WriteByte(l.s[l.pos])
				l.pos++
				continue
			}
			if strings.ContainsRune(closers, c) {
				closed = true
				break
			}
			b.WriteRune(c)
		}
		if !closed && l.lenient {
			if l.unclosed == nil {
				l.unclosed = map[string]bool{}
			}
			l.unclosed[closers] = true
			l.pos, tok.quoted = start+n, false
			b.Reset()
			b.WriteRune(r)
		} else if !closed {
			return cmdToken{}, false, &UsageError{
				Message: fmt.Sprintf("quote left open: the %c before %q has no closing quote", r, clipQuoted(l.s[start+n:])),
				Usage:   usageShort(),
			}
		}
	}
	// The rest of the word, up to a space; quotes here are literal.
	for l.pos < len(l.s) {
		c, m := utf8.DecodeRuneInString(l.s[l.pos:])
		if unicode.IsSpace(c) {
			break
		}
		if c == '<' {
			if text, end, isLink := reduceSlackLink(l.s, l.pos); isLink {
				b.WriteString(text)
				l.pos = end
				continue
			}
		}
		b.WriteString(l.s[l.pos : l.pos+m])
		l.pos += m
	}
	tok.text = b.String()
	return tok, true, nil
}

// reduceSlackLink reads a Slack link at s[i] == '<' and returns its replacement
// and the offset after it: <mailto:a@b|a@b> → a@b, <http://x|label> →
// label, <@U123|name> → <@U123> (a mention, read by grant/revoke). The scan
// stops at the next "<" or line end, so stray brackets cost linear time.
func reduceSlackLink(s string, i int) (text string, end int, ok bool) {
	limit := min(len(s), i+maxLinkBytes)
	j := i + 1
	for ; j < limit; j++ {
		c := s[j]
		if c == '>' {
			break
		}
		if c == '<' || c == '\n' {
			return "", 0, false
		}
	}
	if j >= limit {
		return "", 0, false
	}
	target, label, _ := strings.Cut(s[i+1:j], "|")
	lower := strings.ToLower(target)
	switch {
	case strings.HasPrefix(lower, "mailto:") && len(target) > len("mailto:"):
		text = target[len("mailto:"):]
	case strings.HasPrefix(target, "@") && len(target) > 1:
		text = "<" + target + ">"
	case strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://"):
		text = target
		if label != "" {
			text = label
		}
	default:
		return "", 0, false
	}
	return text, j + 1, true
}

// reduceSlackLinks rewrites every Slack link in free text (a reject reason).
func reduceSlackLinks(s string) string {
	if !strings.Contains(s, "<") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] == '<' {
			if text, end, ok := reduceSlackLink(s, i); ok {
				b.WriteString(text)
				i = end
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// parseFlag recognises --name and --name=value. An em or en dash counts as
// "--": macOS and phones turn a typed "--" into one.
func parseFlag(t cmdToken) (name, value string, hasValue, ok bool) {
	if t.quoted {
		return "", "", false, false
	}
	var rest string
	switch {
	case strings.HasPrefix(t.text, "--"):
		rest = t.text[2:]
	case strings.HasPrefix(t.text, "—"):
		rest = t.text[len("—"):]
	case strings.HasPrefix(t.text, "–"):
		rest = t.text[len("–"):]
	default:
		return "", "", false, false
	}
	name, value, hasValue = strings.Cut(rest, "=")
	return strings.ToLower(name), value, hasValue, true
}

// isBareWord reports whether t is the unquoted word w, in any case.
func isBareWord(t cmdToken, w string) bool {
	return !t.quoted && strings.EqualFold(t.text, w)
}

func joinWords(ts []cmdToken) string {
	words := make([]string, len(ts))
	for i, t := range ts {
		words[i] = t.text
	}
	return strings.Join(words, " ")
}
