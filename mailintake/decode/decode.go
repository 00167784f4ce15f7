// Package decode turns one raw mail message into what the intake needs:
// its header for the guards, its addresses and threading ids, and its body
// as plain UTF-8 text (SPEC §4.2). It refuses, whole, any message beyond
// the bounds of Limits (SPEC §7) and tolerates the sloppiness of real mail:
// unknown charsets and transfer encodings, missing final boundaries, bare LF
// line endings, broken headers.
//
// Charsets are converted with go-message's charset tables, so every charset
// mail uses is understood (UTF-8, ISO-8859-x, Windows-125x, KOI8, ISO-2022-JP,
// Shift_JIS, GBK, ...), and addresses are parsed with go-message/mail. The
// MIME tree itself is walked here rather than with message.Read and
// Entity.Walk, for three reasons: go-message's header reader stops at the
// first malformed field (obsolete "To :" syntax, odd field names) and
// refuses an indented first line; the mime/quotedprintable reader it uses
// stops at the first control byte and at any line over 4096 bytes, losing
// the rest of the text; and every bound must be checked before anything is
// decoded. The message is held in memory while it is decoded;
// Limits.MaxBytes bounds that memory.
package decode

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Sentinel errors. Every error Parse returns for a refused message wraps
// one of them; test with errors.Is.
var (
	// ErrTooLarge: the message is beyond one of the Limits. The error is
	// also a *LimitError naming the bound.
	ErrTooLarge = errors.New("decode: message too large")
	// ErrMalformed: the input is not a mail message at all.
	ErrMalformed = errors.New("decode: not a mail message")
)

// LimitError says which bound a refused message hit. It wraps ErrTooLarge.
type LimitError struct {
	Limit string // name of the Limits field: "MaxBytes", "MaxDepth", ...
	Max   int64  // the bound in force
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("decode: message too large: over %s (%d)", e.Limit, e.Max)
}

// Unwrap makes errors.Is(err, ErrTooLarge) hold.
func (e *LimitError) Unwrap() error { return ErrTooLarge }

// Limits bound untrusted input; a message over any bound is refused whole,
// never processed in part. A zero or negative field means its default.
type Limits struct {
	MaxBytes       int64 // size of the raw message
	MaxDepth       int   // nesting of MIME entities, the message itself being depth 1
	MaxParts       int   // MIME entities in the message, the message itself included
	MaxHeaderBytes int   // size of any one header block (the message's or a part's)
	MaxLineBytes   int   // length of any raw line, line ending excluded
}

// DefaultLimits returns the bounds used by the intake.
func DefaultLimits() Limits {
	return Limits{
		// License requests are a few lines of text; what makes mail big is
		// attachments, which we ignore. 10 MiB admits the usual screenshot
		// or PDF (base64 adds a third) while bounding the memory one message
		// may take; bigger mail goes to Failed and the desk hears of it.
		MaxBytes: 10 << 20,
		// Real mail nests 3 to 5 deep (signed > mixed > related >
		// alternative > text); 8 leaves room for gateways that wrap again.
		// Attached messages (message/rfc822) are not descended into.
		MaxDepth: 8,
		// Outlook threads carry each signature logo as its own inline part,
		// so long threads reach a few dozen parts; 128 admits them while
		// bounding the per-part work a crafted message can ask for.
		MaxParts: 128,
		// Long Received/DKIM/ARC chains make 10-30 KiB of header; 256 KiB
		// is far beyond honest mail.
		MaxHeaderBytes: 256 << 10,
		// RFC 5322 says 998 bytes, but Outlook and HTML editors send whole
		// HTML documents as one 8bit line, and some mailers send base64
		// without line breaks: 1 MiB keeps those and still bounds a line.
		MaxLineBytes: 1 << 20,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.MaxParts <= 0 {
		l.MaxParts = d.MaxParts
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = d.MaxHeaderBytes
	}
	if l.MaxLineBytes <= 0 {
		l.MaxLineBytes = d.MaxLineBytes
	}
	return l
}

// Message is a decoded mail message.
type Message struct {
	Header      Header    // every header field, raw but unfolded, for the guards
	MessageID   string    // without <>; "" when absent or not a usable id (see validMsgID)
	InReplyTo   []string  // ids without <>, unusable ones dropped
	References  []string  // ids without <>, unusable ones dropped
	From        *Address  // the sender (SPEC §4.3); nil unless FromProblem is ""
	FromProblem string    // "" when From is set, else why not: FromMissing, FromSeveralFields, ...
	Sender      *Address  // first mailbox of Sender; nil when absent or unparseable
	ReplyTo     []Address // every mailbox of Reply-To
	To, Cc      []Address // every mailbox of every To (Cc) field
	Subject     string    // encoded words decoded, unfolded, trimmed
	Date        time.Time // zero when absent or unparseable
	ContentType string    // top-level media type, lower-case, e.g. "multipart/report"
	HasReport   bool      // the message or a part at any depth is multipart/report (SPEC §4.4); attached messages are not entered
	ReportType  string    // report-type parameter of the first multipart/report, lower-case
	Text        string    // the body as text: text/plain preferred, else the HTML rendered; "" when none
	HTML        string    // the text/html part when present (decoded, not rendered)
	FromHTML    bool      // Text was rendered from HTML
	Parts       int       // number of MIME entities seen, the message itself included
}

// Parse reads one message from r and decodes it. It reads at most
// lim.MaxBytes+1 bytes. A message beyond any bound yields an error wrapping
// ErrTooLarge (a *LimitError); input that is not a message yields one
// wrapping ErrMalformed; a read error is returned wrapped. Everything else
// decodes, as well as it can: Parse does not fail on sloppy mail.
func Parse(r io.Reader, lim Limits) (*Message, error) {
	lim = lim.withDefaults()
	data, err := io.ReadAll(io.LimitReader(r, lim.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("decode: reading message: %w", err)
	}
	if int64(len(data)) > lim.MaxBytes {
		return nil, &LimitError{Limit: "MaxBytes", Max: lim.MaxBytes}
	}
	if longestLine(data) > lim.MaxLineBytes {
		return nil, &LimitError{Limit: "MaxLineBytes", Max: int64(lim.MaxLineBytes)}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%w: empty input", ErrMalformed)
	}

	top, err := splitHeader(data, lim.MaxHeaderBytes, true)
	if err != nil {
		return nil, err
	}
	if top.noHeader {
		return nil, fmt.Errorf("%w: no header field on the first line", ErrMalformed)
	}
	if top.header.Len() == 0 && len(bytes.TrimSpace(top.body)) == 0 {
		return nil, fmt.Errorf("%w: neither header nor body", ErrMalformed)
	}

	w := walker{lim: lim}
	if err := w.entity(top.header, top.body, 1, "", false); err != nil {
		return nil, err
	}

	h := top.header
	m := &Message{
		Header:     h,
		InReplyTo:  parseMsgIDs(h.Get("In-Reply-To")),
		References: parseMsgIDs(h.Get("References")),
		ReplyTo:    parseAddressList(h.Get("Reply-To")),
		To:         parseAddressList(strings.Join(h.Values("To"), ", ")),
		Cc:         parseAddressList(strings.Join(h.Values("Cc"), ", ")),
		Subject:    strings.TrimSpace(decodeText(h.Get("Subject"))),
		Date:       parseDate(h.Get("Date")),
		Parts:      w.parts,
	}
	m.MessageID = parseMessageID(h.Get("Message-Id"))
	m.From, m.FromProblem = parseFrom(h)
	m.Sender = firstAddress(h.Get("Sender"))
	mt, _ := parseMediaType(h.Get("Content-Type"))
	if !validMediaType(mt) {
		mt = "text/plain"
	}
	m.ContentType = mt
	// A delivery report wrapped in multipart/mixed (or deeper) is still a
	// report: the loop guard needs to know of any (SPEC §4.4).
	m.HasReport, m.ReportType = w.report, w.reportType

	if w.plain != nil {
		m.Text = cleanText(toUTF8(w.plain.body, w.plain.charset, false))
		if w.plain.flowed {
			m.Text = unflow(m.Text, w.plain.delSp) // RFC 3676 soft breaks (body.go)
		}
	}
	if w.html != nil {
		m.HTML = cleanText(toUTF8(w.html.body, w.html.charset, true))
	}
	// A blank text/plain beside real HTML says nothing: read the HTML.
	if strings.TrimSpace(m.Text) == "" && strings.TrimSpace(m.HTML) != "" {
		m.Text = HTMLToText(m.HTML)
		m.FromHTML = true
	}
	return m, nil
}

func firstAddress(v string) *Address {
	if list := parseAddressList(v); len(list) > 0 {
		return &list[0]
	}
	return nil
}

// longestLine returns the length of the longest line, line ending excluded.
func longestLine(data []byte) int {
	longest := 0
	for len(data) > 0 {
		n := bytes.IndexByte(data, '\n')
		if n < 0 {
			n = len(data)
		}
		l := n
		if l > 0 && data[l-1] == '\r' {
			l--
		}
		longest = max(longest, l)
		data = data[min(n+1, len(data)):]
	}
	return longest
}

// validMediaType reports whether mt looks like "type/subtype".
func validMediaType(mt string) bool {
	t, sub, ok := strings.Cut(mt, "/")
	return ok && t != "" && sub != "" && !strings.ContainsAny(mt, " \t")
}

// leaf is a body part chosen as the message's text or HTML, kept raw until
// the whole tree has passed the bounds.
type leaf struct {
	body    []byte // transfer encoding undone
	charset string // declared, or inherited from the enclosing multipart
	flowed  bool   // format=flowed (RFC 3676): soft line breaks to undo
	delSp   bool   // DelSp=yes: the space before a soft break goes too
}

// walker visits the MIME tree depth first, enforcing the bounds and
// remembering the first text/plain and the first text/html that are not
// attachments. Attached messages (message/*) are not entered: their text is
// someone else's, and skipping them keeps forwarded history out of requests.
type walker struct {
	lim        Limits
	parts      int
	plain      *leaf
	html       *leaf
	report     bool   // a multipart/report was seen
	reportType string // its report-type parameter, lower-case
}

// entity visits one entity. inherited is the charset parameter of the
// enclosing multipart: a few generators (see mnako/letters' signed
// fixtures) declare it there instead of on the text part. digest is set
// inside multipart/digest, whose parts default to message/rfc822.
func (w *walker) entity(h Header, body []byte, depth int, inherited string, digest bool) error {
	w.parts++
	if w.parts > w.lim.MaxParts {
		return &LimitError{Limit: "MaxParts", Max: int64(w.lim.MaxParts)}
	}
	if depth > w.lim.MaxDepth {
		return &LimitError{Limit: "MaxDepth", Max: int64(w.lim.MaxDepth)}
	}
	mt, params := parseMediaType(h.Get("Content-Type"))
	if !validMediaType(mt) {
		mt = "text/plain" // RFC 2045 §5.2 default, also for unreadable values
		if digest {
			mt = "message/rfc822"
		}
	}
	if mt == "multipart/report" && !w.report {
		w.report = true
		w.reportType = strings.ToLower(strings.TrimSpace(params["report-type"]))
	}
	if strings.HasPrefix(mt, "multipart/") {
		if parts := w.children(body, params["boundary"]); len(parts) > 0 {
			cs := params["charset"]
			if cs == "" {
				cs = inherited
			}
			for _, p := range parts {
				if err := w.part(p, depth+1, cs, mt == "multipart/digest"); err != nil {
					return err
				}
			}
			return nil
		}
		// No boundary, or none found in the body: its text is all there is.
		mt = "text/plain"
	}
	if mt != "text/plain" && mt != "text/html" || isAttachment(h, params) {
		return nil
	}
	slot := &w.plain
	if mt == "text/html" {
		slot = &w.html
	}
	if *slot != nil {
		return nil
	}
	cs := params["charset"]
	if cs == "" {
		cs = inherited
	}
	*slot = &leaf{body: decodeTransfer(body, h.Get("Content-Transfer-Encoding")), charset: cs,
		flowed: strings.EqualFold(params["format"], "flowed"), delSp: strings.EqualFold(params["delsp"], "yes")}
	return nil
}

// children splits a multipart body; nil when there is nothing to split.
func (w *walker) children(body []byte, boundary string) [][]byte {
	if boundary == "" {
		return nil
	}
	return splitMultipart(body, boundary, w.lim.MaxParts-w.parts)
}

// part reads the header of one body part and visits it. A part whose first
// line is not a header field has no header (RFC 2046 §5.1.1 allows that
// only with a blank line, but the intent is clear).
func (w *walker) part(raw []byte, depth int, inherited string, digest bool) error {
	res, err := splitHeader(raw, w.lim.MaxHeaderBytes, false)
	if err != nil {
		return err
	}
	return w.entity(res.header, res.body, depth, inherited, digest)
}

// isAttachment reports whether a part is a file rather than the body:
// Content-Disposition: attachment, or a file name on a text part. Treating
// named text parts as files keeps an attached .txt or .csv from being read
// as the customer's request.
func isAttachment(h Header, ctParams map[string]string) bool {
	disp, dparams := parseMediaType(h.Get("Content-Disposition"))
	if disp == "attachment" {
		return true
	}
	return dparams["filename"] != "" || dparams["filename*"] != "" || ctParams["name"] != ""
}
