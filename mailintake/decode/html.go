package decode

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// Bounds on the decoration HTMLToText adds, so that hostile nesting cannot
// make the output grow faster than the input.
const (
	maxQuotePrefix = 16 // "> " markers written for nested blockquotes
	maxListIndent  = 8  // two-space indents written for nested lists
)

// HTMLToText renders an HTML body as plain text for the request reader:
// block elements (p, div, br, li, tr, headings, tables, ...) become line
// breaks, list items start with "- ", links keep their text, script, style,
// head and title vanish, entities are decoded, &nbsp; is a space, and the
// lines inside <blockquote> are prefixed with "> " (one per level) so that
// the quote stripper sees quoted history as such. Runs of blank lines are
// collapsed to one.
//
// It streams over the tokens of golang.org/x/net/html's tokenizer and keeps
// only counters, never a tree: time is linear in the input and memory is
// bounded by it, however deep the nesting or long the attributes.
func HTMLToText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	w := textWriter{}
	var skip [numSkip]int // open elements whose content is not shown, by kind
	skipping := func() bool {
		for _, n := range skip {
			if n > 0 {
				return true
			}
		}
		return false
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return w.finish()
		case html.TextToken:
			text := z.Text()
			if skip[skipHead] > 0 && !isAllSpace(text) && skip[skipOther] == 0 {
				skip[skipHead] = 0 // text in <head> implicitly opens the body (HTML5 §13.2.6.4.4)
			}
			if !skipping() {
				w.text(text)
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			tag := string(name)
			if skip[skipHead] > 0 && !inHead[tag] {
				skip[skipHead] = 0 // a body element implicitly closes <head>
			}
			if k, ok := skipKinds[tag]; ok {
				// The tokenizer reads raw-text elements up to their end tag
				// even when written self-closing, so count them as open.
				if tt == html.StartTagToken || rawText[tag] {
					skip[k]++
				}
				continue
			}
			if !skipping() {
				w.start(tag, tt == html.SelfClosingTagToken)
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			tag := string(name)
			if k, ok := skipKinds[tag]; ok {
				if skip[k] > 0 {
					skip[k]--
				}
				continue
			}
			if !skipping() {
				w.end(tag)
			}
		}
	}
}

// Kinds of elements whose content is hidden. <head> is tracked apart
// because it also ends implicitly.
const (
	skipHead = iota
	skipOther
	numSkip
)

var skipKinds = map[string]int{
	"head":     skipHead,
	"script":   skipOther,
	"style":    skipOther,
	"title":    skipOther,
	"template": skipOther,
	"noscript": skipOther,
	"iframe":   skipOther,
	"noembed":  skipOther,
	"noframes": skipOther,
	"object":   skipOther,
	"svg":      skipOther,
	"math":     skipOther,
}

// rawText lists the hidden elements whose content the tokenizer reads as
// raw text.
var rawText = map[string]bool{
	"script": true, "style": true, "title": true, "noscript": true,
	"iframe": true, "noembed": true, "noframes": true,
}

// inHead lists the elements that may appear in <head> without closing it.
var inHead = map[string]bool{
	"head": true, "meta": true, "link": true, "base": true, "basefont": true, "bgsound": true,
	"title": true, "style": true, "script": true, "noscript": true, "template": true,
	"html": true, "o:p": true, "xml": true,
}

// Layout of the elements that break lines. Paragraph-like blocks get a
// blank line around them; the others a single line break.
var (
	paragraphTags = map[string]bool{
		"p": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
		"table": true, "ul": true, "ol": true, "dl": true, "pre": true, "blockquote": true,
	}
	lineTags = map[string]bool{
		"div": true, "li": true, "tr": true, "dt": true, "dd": true, "hr": true,
		"address": true, "article": true, "aside": true, "center": true, "details": true,
		"fieldset": true, "figcaption": true, "figure": true, "footer": true, "form": true,
		"header": true, "main": true, "nav": true, "section": true, "summary": true,
		"caption": true, "tbody": true, "thead": true, "tfoot": true, "body": true, "html": true,
	}
)

// textWriter lays out text. Breaks are not written when requested but
// remembered (at most one blank line's worth) and written before the next
// text, so that closing tags, empty elements and trailing <br>s never pile
// up blank lines.
type textWriter struct {
	out      strings.Builder
	lineOpen bool // the current line has text
	space    bool // collapsed white space is pending
	breaks   int  // pending line ends: 1 = new line, 2 = blank line
	quote    int  // open blockquotes
	lineQ    int  // quote depth of the last line written
	list     int  // open lists
	pre      int  // open pre elements
	preSpace int  // blanks inside <pre> not yet written: dropped at a line end
	bullet   bool // a list item started: write "- " before its text
}

func (w *textWriter) requestBreak(n int) {
	w.breaks = max(w.breaks, n)
}

func (w *textWriter) start(tag string, selfClosing bool) {
	switch {
	case tag == "br":
		// <br><br> makes a blank line; further ones add nothing.
		w.breaks = min(w.breaks+1, 2)
		return
	case tag == "td" || tag == "th":
		if w.lineOpen {
			w.space = true
		}
		return
	case tag == "img" || tag == "wbr" || selfClosing && !lineTags[tag] && !paragraphTags[tag]:
		return
	}
	switch {
	case paragraphTags[tag]:
		w.requestBreak(2)
	case lineTags[tag]:
		w.requestBreak(1)
	default:
		return
	}
	if selfClosing {
		return
	}
	switch tag {
	case "blockquote":
		w.quote++
	case "ul", "ol":
		w.list++
	case "pre":
		w.pre++
	case "li":
		w.bullet = true
	}
}

func (w *textWriter) end(tag string) {
	switch {
	case tag == "br": // </br> acts as <br> in browsers
		w.start("br", false)
		return
	case paragraphTags[tag]:
		w.requestBreak(2)
	case lineTags[tag]:
		w.requestBreak(1)
	default:
		return
	}
	switch tag {
	case "blockquote":
		w.quote = max(w.quote-1, 0)
	case "ul", "ol":
		w.list = max(w.list-1, 0)
	case "pre":
		w.pre = max(w.pre-1, 0)
		w.preSpace = 0
	case "li":
		w.bullet = false
	}
}

// text writes the content of a text token. Outside <pre>, white space
// (including &nbsp;) collapses to one space and invisible format
// characters are dropped.
func (w *textWriter) text(b []byte) {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		i += size
		switch {
		case w.pre > 0 && r == '\n':
			w.breaks = min(w.breaks+1, 2)
			w.preSpace = 0
		case w.pre > 0 && (r == ' ' || r == '\t' || r == '\u00a0'):
			w.preSpace++
		case isHTMLSpace(r):
			if w.lineOpen {
				w.space = true
			}
		case r == '\u200b' || r == '\u200c' || r == '\u2060' || r == '\ufeff' || r == '\u00ad':
		case isControl(r):
		default:
			w.put(r)
		}
	}
}

// put writes one visible rune, first writing any pending breaks, the quote
// prefix and the list bullet of a new line, and pending blanks.
func (w *textWriter) put(r rune) {
	if w.breaks > 0 && (w.lineOpen || w.out.Len() > 0) {
		if w.lineOpen {
			w.out.WriteByte('\n')
		}
		if w.breaks > 1 {
			// The blank line belongs to the shallower of its neighbours,
			// so a quote is set off by an unquoted blank line.
			if d := min(w.lineQ, w.quote, maxQuotePrefix); d > 0 {
				w.out.WriteString(strings.Repeat("> ", d-1))
				w.out.WriteByte('>')
			}
			w.out.WriteByte('\n')
		}
		w.lineOpen = false
	}
	w.breaks = 0
	if !w.lineOpen {
		for range min(w.quote, maxQuotePrefix) {
			w.out.WriteString("> ")
		}
		w.lineQ = w.quote
		if w.bullet {
			for range min(max(w.list-1, 0), maxListIndent) {
				w.out.WriteString("  ")
			}
			w.out.WriteString("- ")
			w.bullet = false
		}
		w.lineOpen = true
		w.space = false
	} else if w.space {
		w.out.WriteByte(' ')
		w.space = false
	}
	for ; w.preSpace > 0; w.preSpace-- {
		w.out.WriteByte(' ')
	}
	w.out.WriteRune(r)
}

// finish returns the text. Breaks still pending are dropped, and no line
// ends with a blank: blanks are only ever written before a visible rune.
func (w *textWriter) finish() string {
	return w.out.String()
}

func isHTMLSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\f', '\u00a0':
		return true
	}
	return false
}

func isAllSpace(b []byte) bool {
	for _, c := range string(b) {
		if !isHTMLSpace(c) {
			return false
		}
	}
	return true
}
