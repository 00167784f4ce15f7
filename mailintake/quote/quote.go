// Package quote separates what the sender of a reply actually wrote from what
// mail clients add around it: quoted history ("> " lines and the "On … wrote:" /
// "Le … a écrit :" header that introduces them), Outlook header blocks
// ("From: … Sent: …" / "De : … Envoyé : …"), original and forwarded message
// separators, signatures, mobile footers and legal disclaimers.
//
// The input is plain text that was already decoded (HTML rendered to text with
// blockquotes as "> " lines). The package works line by line and only ever
// keeps or drops whole lines, so the visible text is always a selection of the
// input's own lines, in order.
//
// Two kinds of rules apply, with different levels of caution:
//
//   - Cuts (reply headers followed by unquoted history, Outlook header blocks,
//     original/forwarded message separators, mobile footers) remove everything
//     from that point on: what follows is someone else's older text, and
//     re-reading an old request would apply it twice.
//   - Tail rules (the "-- " signature, sign-off plus name block, mailing-list
//     footers, disclaimers) only remove a short block at the very end, and never
//     a block holding a line that reads like a licence request.
package quote

import (
	"strings"
	"unicode"
)

// maxHeuristicLen bounds the lines the heuristics look at: headers, footers,
// separators and signature lines are short, so longer lines are plain text.
// It also keeps every per-line check cheap on hostile input.
const maxHeuristicLen = 1000

// maxLines bounds the work and memory spent on one text. Nobody writes a
// licence request that long: lines past it are reported as removed without
// being looked at, so old history far down a huge thread is never acted on.
const maxLines = 20000

// Strip returns the part of a reply the sender actually wrote: quoted history,
// forwarded/original-message blocks, signatures, mobile footers and legal
// disclaimers removed; the request itself never eaten.
func Strip(text string) string {
	visible, _ := Split(text)
	return visible
}

// Split is Strip plus what was removed (for logs and tests): visible + removed
// cover the input. Every input line lands, unchanged, in exactly one of the
// two, in input order; blank lines around the visible text count as removed.
// The one exception is a reply header that starts in the middle of a line
// ("Sure. On Tue, … wrote:"): that line is split between the two.
func Split(text string) (visible, removed string) {
	d := analyse(text)
	lines, keep := d.lines, d.keep
	first, last := -1, -1
	for i, l := range lines {
		if keep[i] && !l.blank {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	var vis, rem strings.Builder
	vis.Grow(len(text))
	nRem := 0
	for i, l := range lines {
		removedPart := l.raw
		if keep[i] && i >= first && i <= last {
			if i > first {
				vis.WriteByte('\n')
			}
			if l.cutAt < 0 {
				vis.WriteString(l.raw)
				continue
			}
			vis.WriteString(l.raw[:l.cutAt])
			removedPart = l.raw[l.cutAt:]
		}
		if nRem > 0 {
			rem.WriteByte('\n')
		}
		rem.WriteString(removedPart)
		nRem++
	}
	if d.overflow != "" {
		if nRem > 0 {
			rem.WriteByte('\n')
		}
		rem.WriteString(d.overflow)
	}
	return vis.String(), rem.String()
}

// line is one input line with the facts every rule needs.
type line struct {
	raw    string // exactly as in the input (a CRLF input keeps its '\r')
	text   string // raw without surrounding white space
	blank  bool
	quoted bool // starts with '>' once indentation is ignored
	long   bool // too long for any heuristic: plain text
	// cutAt, when not -1, is the byte offset in raw where a reply header
	// starts in the middle of the line ("Sure. On Tue, … wrote:"): only
	// raw[:cutAt] is visible.
	cutAt int
	req   int8 // cached looksLikeRequest(text): 0 unknown, 1 no, 2 yes
}

// splitLines cuts text into at most maxLines lines and returns the text
// left over after them.
func splitLines(text string) (lines []line, overflow string) {
	n := min(strings.Count(text, "\n")+1, maxLines)
	lines = make([]line, n)
	for i := range lines {
		raw := text
		if nl := strings.IndexByte(text, '\n'); nl >= 0 {
			raw, text = text[:nl], text[nl+1:]
		} else {
			text = ""
		}
		t := strings.TrimFunc(raw, isSpace)
		lines[i] = line{
			raw:    raw,
			text:   t,
			blank:  t == "",
			quoted: strings.HasPrefix(t, ">"),
			long:   len(t) > maxHeuristicLen,
			cutAt:  -1,
		}
		if i > 0 && lines[i].quoted && !lines[i-1].quoted && !lines[i-1].blank && isDisplacedVerb(t) {
			lines[i].quoted = false
		}
	}
	return lines, text
}

// isDisplacedVerb recognises "> wrote:" and ">:", the last line of a header
// wrapped inside an address ("On … Name\n<\nmailto:…\n> wrote:",
// "… skrev Name <name@example.com\n>:"): the '>' closes the address on the
// line above and is no quote marker.
func isDisplacedVerb(t string) bool {
	rest := strings.TrimSpace(strings.TrimLeft(t, ">"))
	if rest == ":" || rest == "：" {
		return true
	}
	return len(rest) <= 20 && len(strings.Fields(rest)) <= 2 && endsWithVerb(strings.ToLower(rest)) &&
		(strings.HasSuffix(rest, ":") || strings.HasSuffix(rest, "："))
}

// isSpace also treats the zero-width characters some clients sprinkle around
// paragraphs (and the BOM) as white space, so such lines count as blank.
func isSpace(r rune) bool {
	switch r {
	case '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff':
		return true
	}
	return unicode.IsSpace(r)
}

// document is an analysed text: its lines, whether each is part of the
// visible reply, and the unanalysed text past maxLines.
type document struct {
	lines    []line
	keep     []bool
	overflow string
}

// analyse decides, line by line, what the sender wrote.
func analyse(text string) document {
	lines, overflow := splitLines(text)
	n := len(lines)
	keep := make([]bool, n)
	for i := range keep {
		keep[i] = true
	}
	cut := n
scan:
	for j := 0; j < n; j++ {
		l := lines[j]
		if l.blank {
			continue
		}
		if l.quoted {
			// Quoted history without a header (or inline-reply quotes): drop
			// the block and the blank lines after it, keep what follows.
			end := quoteBlockEnd(lines, j)
			end = skipBlank(lines, end)
			drop(keep, j, end)
			j = end - 1
			continue
		}
		if l.long {
			continue
		}
		if _, strong := mobileFooter(l.text); strong || isMessageSeparator(l.text) || headerBlockAt(lines, j) {
			cut = j
			break scan
		}
		if h, ok := replyHeaderEndingAt(lines, j); ok {
			k := skipBlank(lines, j+1)
			switch {
			case k < n && lines[k].quoted:
				// Header then quoted history: drop both, keep any text after
				// (bottom-posting, inline replies).
				drop(keep, startOf(lines, h), k)
				j = k - 1
			case h.needsQuote:
				// A bare "date name <address>" line is only a header when
				// quoted text follows ('|' is another quoting style).
				if k < n && strings.HasPrefix(lines[k].text, "|") {
					cut = startOf(lines, h)
					break scan
				}
			default:
				// Header then unquoted history (Outlook, mobile and web
				// clients): everything from the header on is the old message.
				cut = startOf(lines, h)
				break scan
			}
		}
	}
	drop(keep, cut, n)
	trimTail(lines, keep)
	return document{lines: lines, keep: keep, overflow: overflow}
}

// startOf returns the first line to drop for header h. A header that starts
// mid-line leaves the text before it visible on that line.
func startOf(lines []line, h replyHeader) int {
	if h.col < 0 {
		return h.start
	}
	l := &lines[h.start]
	l.cutAt = h.col
	l.text = strings.TrimFunc(l.raw[:h.col], isSpace)
	return h.start + 1
}

func drop(keep []bool, from, to int) {
	for i := from; i < to; i++ {
		keep[i] = false
	}
}

// skipBlank returns the index of the first non-blank line at or after i.
func skipBlank(lines []line, i int) int {
	for i < len(lines) && lines[i].blank {
		i++
	}
	return i
}

// quoteBlockEnd returns the end (exclusive) of the quoted block starting at
// start: quoted lines, blank lines between quoted lines, and unquoted lines
// that are only a wrapped fragment of the quote around them.
func quoteBlockEnd(lines []line, start int) int {
	n := len(lines)
	e := start
	for e < n {
		l := lines[e]
		switch {
		case l.quoted:
			e++
		case l.blank:
			k := skipBlank(lines, e)
			if k < n && lines[k].quoted {
				e = k
				continue
			}
			return e
		case e+1 < n && lines[e+1].quoted && lines[e-1].quoted && isWrapFragment(lines[e-1].text, l.text):
			e++
		default:
			return e
		}
	}
	return e
}

// isWrapFragment reports whether cur, an unquoted line squeezed between two
// quoted lines, is a piece of the quote that a client re-wrapped without its
// "> " marker (a broken URL, or the tail of a long hard-wrapped line). Short
// answers written between quotes are never taken: they start a new sentence
// after a short quoted line.
func isWrapFragment(prevQuoted, cur string) bool {
	if len(cur) > maxHeuristicLen || looksLikeRequest(cur) {
		return false
	}
	if strings.Contains(cur, "://") || strings.HasPrefix(cur, "_") || strings.HasPrefix(cur, "(http") {
		return true
	}
	body := strings.TrimLeft(prevQuoted, "> ")
	if len([]rune(body)) < 65 {
		return false
	}
	first := []rune(cur)[0]
	return !unicode.IsUpper(first) && len(strings.Fields(cur)) <= 6
}
