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
// head and title vanish, a table row is one line with " | " between its
// cells that hold text (also when each cell is a paragraph of its own, as
// Outlook's Word tables are), entities are decoded, &nbsp; is a space, and the
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
		case html.CommentToken:
			// Word writes a list item's bullet or number between
			// <!--[if !supportLists]--> and <!--[endif]--> (or their
			// downlevel-revealed form <![if !supportLists]>, which the
			// tokenizer also reads as a comment): shown only by clients
			// without list support. The item is marked as such instead.
			switch c := strings.ToLower(strings.TrimSpace(string(z.Text()))); {
			case strings.HasPrefix(c, "[if !supportlists]"):
				w.listMarker = true
			case strings.HasPrefix(c, "[endif]"):
				w.listMarker = false
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
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
			if skipping() {
				continue
			}
			kind := plainElement
			if hasAttr && (tag == "p" || tag == "div" || tag == "span") {
				kind = classify(z)
			}
			w.startKind(tag, kind, tt == html.SelfClosingTagToken)
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

// elementKind is what the class or style of a p, div or span says about
// it.
type elementKind uint8

const (
	plainElement   elementKind = iota
	wordParagraph              // <p class=MsoNormal>: one line; empty, a blank line
	wordListItem               // <p class=MsoListParagraph…> or mso-list style: a list item
	wordListMarker             // <span style='mso-list:Ignore'>: the item's bullet or number
	gmailQuote                 // <div class=gmail_quote>: quoted history
)

// classify reads the attributes of a p, div or span (issue 9, class 5:
// Outlook's Word markup and Gmail's quote markup). Attributes are read as
// the tokenizer yields them, at most a bounded number, so hostile markup
// costs no more than its size.
func classify(z *html.Tokenizer) elementKind {
	var class, style string
	for n := 0; n < 32; n++ {
		key, val, more := z.TagAttr()
		switch string(key) {
		case "class":
			class = strings.ToLower(string(val))
		case "style":
			style = strings.ToLower(string(val))
		}
		if !more {
			break
		}
	}
	switch {
	case strings.Contains(style, "mso-list:ignore"):
		return wordListMarker
	case strings.HasPrefix(class, "msolistparagraph"), strings.Contains(style, "mso-list:") && strings.HasPrefix(class, "mso"):
		return wordListItem
	case strings.HasPrefix(class, "mso"):
		return wordParagraph
	case strings.Contains(class, "gmail_quote") && !strings.Contains(class, "gmail_attr"):
		return gmailQuote
	}
	return plainElement
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
	out   strings.Builder
	runes int  // visible runes written so far
	cell  bool // a table cell started on an open line: separate it with " | "
	// rows says, per open table (innermost last, bounded by maxTables),
	// whether its current row has text yet; tables counts the open tables,
	// also beyond the bound. fresh is set between a cell's start and its
	// first text in a row that has text: the line breaks its paragraphs ask
	// for there are dropped, so that a Word table, whose every cell is a
	// paragraph of its own, stays one line per row ("a | b").
	rows   []bool
	tables int
	fresh  bool
	// listMarker is set inside Word's <!--[if !supportLists]--> block and
	// marker hides the content of <span style='mso-list:Ignore'>: the
	// bullet or number of a list item, written as "- " instead.
	listMarker bool
	marker     int
	// open Word paragraphs and Gmail quotes, innermost last, so that their
	// end tag is laid out the way their start tag was (bounded).
	kinds    []opened
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
	if w.fresh {
		return // a paragraph opening a table cell: the row goes on
	}
	w.breaks = max(w.breaks, n)
}

// maxTables bounds the open tables whose rows are tracked.
const maxTables = 32

// rowText reports whether the current row of the innermost table has text.
func (w *textWriter) rowText() bool {
	return w.tables > 0 && w.tables <= maxTables && w.rows[len(w.rows)-1]
}

// startTable, startRow, startCell and endTable track the rows of tables
// (issue 9, class 4): cells of one row are written on one line, " | "
// between those with text, whatever paragraphs they hold.
func (w *textWriter) startTable() {
	w.tables++
	w.fresh = false
	if w.tables <= maxTables {
		w.rows = append(w.rows, false)
	}
}

func (w *textWriter) endTable() {
	if w.tables == 0 {
		return
	}
	if w.tables <= maxTables {
		w.rows = w.rows[:len(w.rows)-1]
	}
	w.tables--
	w.fresh = false
}

func (w *textWriter) startRow() {
	w.fresh = false
	if w.tables > 0 && w.tables <= maxTables {
		w.rows[len(w.rows)-1] = false
	}
}

func (w *textWriter) startCell() {
	w.fresh = false
	if w.rowText() {
		// The row has text: the breaks its last cell's paragraphs asked
		// for are dropped, and so are those of this cell's opening.
		w.breaks = 0
		w.cell = true
		w.fresh = true
		return
	}
	if w.lineOpen {
		w.cell = true
	}
}

// maxKinds bounds the open elements whose kind is remembered.
const maxKinds = 64

// opened is a p, div or span open while some element of a special kind is:
// its end tag must undo what its start tag did.
type opened struct {
	tag   string
	kind  elementKind
	runes int // visible runes written when it opened
}

// startKind opens a p, div or span whose class or style may change its
// layout: Word's paragraphs are lines (its empty paragraphs make the blank
// lines), its list paragraphs are list items, its list markers are hidden,
// and a Gmail quote is quoted like a blockquote.
func (w *textWriter) startKind(tag string, kind elementKind, selfClosing bool) {
	if selfClosing || kind == plainElement && len(w.kinds) == 0 {
		w.start(tag, selfClosing)
		return
	}
	if len(w.kinds) >= maxKinds {
		w.start(tag, false) // beyond the bound, laid out plainly
		return
	}
	w.kinds = append(w.kinds, opened{tag: tag, kind: kind, runes: w.runes})
	switch kind {
	case plainElement:
		w.start(tag, false)
	case wordParagraph:
		w.requestBreak(1)
	case wordListItem:
		w.requestBreak(1)
		w.bullet = true
	case wordListMarker:
		w.marker++
	case gmailQuote:
		w.requestBreak(2)
		w.quote++
	}
}

// endKind closes the innermost open element named tag that startKind
// remembered, and those left open inside it. It reports whether the end
// tag was handled; false leaves it to end's plain layout.
func (w *textWriter) endKind(tag string) bool {
	i := len(w.kinds) - 1
	for i >= 0 && w.kinds[i].tag != tag {
		i--
	}
	if i < 0 {
		return false
	}
	special := w.kinds[i].kind != plainElement
	for len(w.kinds) > i {
		o := w.kinds[len(w.kinds)-1]
		w.kinds = w.kinds[:len(w.kinds)-1]
		switch o.kind {
		case wordParagraph, wordListItem:
			if w.runes == o.runes {
				w.requestBreak(2) // Word's empty paragraph: a blank line
			} else {
				w.requestBreak(1)
			}
			w.bullet = false
		case wordListMarker:
			w.marker = max(w.marker-1, 0)
		case gmailQuote:
			w.requestBreak(2)
			w.quote = max(w.quote-1, 0)
		}
	}
	return special
}

func (w *textWriter) start(tag string, selfClosing bool) {
	switch {
	case tag == "br":
		// <br><br> makes a blank line; further ones add nothing.
		if !w.fresh {
			w.breaks = min(w.breaks+1, 2)
		}
		return
	case tag == "td" || tag == "th":
		// Cells are kept apart with " | " so that a table of products
		// and quantities stays a table for the reader (issue 9, class 4).
		if !selfClosing {
			w.startCell()
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
	case "table":
		w.startTable()
	case "tr":
		w.startRow()
	}
}

func (w *textWriter) end(tag string) {
	if len(w.kinds) > 0 && (tag == "p" || tag == "div" || tag == "span") && w.endKind(tag) {
		return
	}
	switch tag {
	case "td", "th", "tr":
		w.fresh = false // an empty cell, or the row's end: breaks count again
	case "table":
		w.endTable()
	}
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
	if w.listMarker || w.marker > 0 {
		return // a Word list item's own bullet or number: "- " stands for it
	}
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
		w.space, w.cell = false, false
	} else if w.cell {
		w.out.WriteString(" | ")
		w.space, w.cell = false, false
	} else if w.space {
		w.out.WriteByte(' ')
		w.space = false
	}
	if w.tables > 0 && w.tables <= maxTables {
		w.rows[len(w.rows)-1] = true
	}
	w.fresh = false
	w.runes++
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
