package bot

// The /licenses command grammar (SPEC §5.3): a hand-written tokenizer, one
// table of verbs used both to parse and to print help, and a parser that
// turns the text Slack sends into a Command. The command line's `exec` runs
// the same code, so nothing here may assume Slack is on the other end.

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/licensedesk/licensedesk/ledger"
)

// Bounds on untrusted input.
const (
	// maxCommandBytes bounds the whole command; Slack itself caps message text
	// at 40,000 characters.
	maxCommandBytes = 40000
	// maxProductBytes bounds a product phrase: ledger.NormalizeName cuts at
	// 256 bytes, and a longer phrase would then resolve by its prefix.
	maxProductBytes = 200
	// maxSubIDBytes bounds a subscription id (--sub, renew, autorenew).
	maxSubIDBytes = 128
	// maxLinkBytes bounds one Slack link <…> so a stray "<" costs little.
	maxLinkBytes = 1024
	// maxEmailBytes is RFC 5321's limit on a forward path.
	maxEmailBytes = 254
	// clipMaxRunes bounds user text quoted back in error messages.
	clipMaxRunes = 60

	historyDefault = 20
	historyMax     = 200
)

// Verb is one entry of the verb table: the one source for parsing and help.
type Verb struct {
	Name    string // canonical, lower case
	Args    string // e.g. "N product [for] tenant [--sub ID] [--new] [--dry-run]"
	Summary string // one line for help
	Change  bool   // builds a ledger op
}

// verbSpec adds what only the parser needs: the flags the verb accepts.
type verbSpec struct {
	Verb
	flags []string
}

// The verb table, in help order. Every flag listed in flags appears in Args
// (a test checks it), so help never lies about what parses.
var verbTable = []verbSpec{
	{Verb{"help", "[verb]", "this help, or the usage of one command", false}, nil},
	{Verb{"show", "[tenant] [--detail]", "a tenant's licences: total, assigned, available, conflicts (--detail: per subscription)", false}, []string{"detail"}},
	{Verb{"products", "[search…]", "the catalog, or the products matching a search", false}, nil},
	{Verb{"add", "N product [for] tenant [--sub ID] [--new] [--dry-run]", "buy N seats (--new: a new subscription)", true}, []string{"sub", "new", "dry-run"}},
	{Verb{"remove", "N product tenant [--at-renewal] [--sub ID] [--dry-run]", "return N seats bought in the last 7 days, or at the next renewal", true}, []string{"at-renewal", "sub", "dry-run"}},
	{Verb{"set", "N product tenant [--dry-run]", "set a product's total number of seats", true}, []string{"dry-run"}},
	{Verb{"assign", "product [tenant] user… [--create] [--dry-run]", "give users a licence (--create: create unknown users)", true}, []string{"create", "dry-run"}},
	{Verb{"unassign", "product [tenant] user… [--dry-run]", "take a licence back from users (their data is kept 30 days)", true}, []string{"dry-run"}},
	{Verb{"conflicts", "[tenant]", "products with more users than seats, and the users concerned", false}, nil},
	{Verb{"history", "tenant [N]", "the last N changes (default 20, at most 200)", false}, nil},
	{Verb{"pending", "", "customer requests waiting for approval", false}, nil},
	{Verb{"approve", "LD-…", "apply a pending request", false}, nil},
	{Verb{"reject", "LD-… [reason…]", "refuse a pending request", false}, nil},
	{Verb{"renew", "SUB [--dry-run]", "renew a subscription now", true}, []string{"dry-run"}},
	{Verb{"autorenew", "on|off SUB [--dry-run]", "switch a subscription's auto-renewal on or off", true}, []string{"dry-run"}},
	{Verb{"undo", "LD-… [--dry-run]", "apply the inverse of a request, under the same rules", false}, []string{"dry-run"}},
	{Verb{"whoami", "", "your Slack user id and roles", false}, nil},
	{Verb{"grant", "@user role", "give a desk admin a role: global, billing, license or user", false}, nil},
	{Verb{"revoke", "@user role", "take a role back from a desk admin", false}, nil},
}

// flagTakesValue lists every flag of the grammar; true when it takes a value.
var flagTakesValue = map[string]bool{
	"detail":     false,
	"sub":        true,
	"new":        false,
	"at-renewal": false,
	"create":     false,
	"dry-run":    false,
}

// Verbs returns the verb table in help order.
func Verbs() []Verb {
	out := make([]Verb, len(verbTable))
	for i, v := range verbTable {
		out[i] = v.Verb
	}
	return out
}

func lookupVerb(name string) *verbSpec {
	for i := range verbTable {
		if verbTable[i].Name == name {
			return &verbTable[i]
		}
	}
	return nil
}

// Usage returns the usage line of a verb, e.g. "/licenses add N product
// [for] tenant [--sub ID] [--new] [--dry-run]". For an unknown verb it
// returns the short help: every verb name on one line.
func Usage(verb string) string {
	v := lookupVerb(strings.ToLower(verb))
	if v == nil {
		return usageShort()
	}
	return usageOf(v)
}

func usageOf(v *verbSpec) string {
	if v.Args == "" {
		return "/licenses " + v.Name
	}
	return "/licenses " + v.Name + " " + v.Args
}

func usageShort() string {
	names := make([]string, len(verbTable))
	for i, v := range verbTable {
		names[i] = v.Name
	}
	return "/licenses " + strings.Join(names, "|") + " … (/licenses help explains each)"
}

// HelpText returns every verb's usage and summary, one line each, in plain
// text (the Slack view adds its own formatting).
func HelpText() string {
	var b strings.Builder
	for i := range verbTable {
		v := &verbTable[i]
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(usageOf(v))
		b.WriteString(" — ")
		b.WriteString(v.Summary)
	}
	return b.String()
}

// Command is a parsed /licenses command.
type Command struct {
	// Verb is the canonical verb name: help, show, products, add, remove,
	// set, assign, unassign, conflicts, history, pending, approve, reject,
	// renew, autorenew, undo, whoami, grant, revoke.
	Verb string
	// Tenant is the lower-cased tenant id as typed, "" when not given (for
	// assign/unassign the executor then infers it from the users' domains).
	Tenant string
	// Op is set for add, remove, set, assign, unassign, renew and autorenew:
	// the SKU is the catalog's, users are lower-cased and de-duplicated in
	// order. renew and autorenew name a Subscription instead of a SKU.
	Op        *ledger.Op
	DryRun    bool        // --dry-run
	Detail    bool        // show --detail: per-subscription breakdown
	Limit     int         // history N (default 20, at most 200)
	Query     string      // products [search]
	RequestID string      // approve/reject/undo: "LD-" + ULID, upper case
	Reason    string      // reject: the rest of the line
	SlackUser string      // grant/revoke target, e.g. "U123"
	Role      ledger.Role // grant/revoke role
	HelpTopic string      // help <verb>
}

// UsageError is a malformed command: what was wrong, the usage line, and
// close suggestions. Its text is meant for the person who typed the
// command, so it carries no package prefix.
type UsageError struct {
	Verb string // canonical verb, "" when the verb itself was not understood
	// Code is "" or one of UnknownProduct, AmbiguousProduct,
	// InvalidQuantity, TooManyUsers, InvalidUser, InvalidRequest.
	Code        ledger.Code
	Message     string
	Usage       string // a usage line, or the short help for an unknown verb
	Suggestions []string
}

// Error returns the message, then "Usage: …", then "Did you mean: …" when
// there are suggestions.
func (e *UsageError) Error() string {
	var b strings.Builder
	b.WriteString(e.Message)
	if e.Usage != "" {
		b.WriteString("\nUsage: ")
		b.WriteString(e.Usage)
	}
	if len(e.Suggestions) > 0 {
		b.WriteString("\nDid you mean: ")
		b.WriteString(strings.Join(e.Suggestions, ", "))
		b.WriteString("?")
	}
	return b.String()
}

// Parse parses the text of a /licenses command (the part after the command
// name). Products are resolved against cat. The error, when not nil, is
// always a *UsageError.
func Parse(text string, cat *ledger.Catalog) (*Command, error) {
	cmd, uerr := parseText(text, cat)
	if uerr != nil {
		return nil, uerr
	}
	return cmd, nil
}

// slackUnescape undoes the only three escapes Slack applies to command text,
// in one pass so "&amp;lt;" becomes "&lt;", not "<".
var slackUnescape = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")

func parseText(text string, cat *ledger.Catalog) (*Command, *UsageError) {
	if len(text) > maxCommandBytes {
		return nil, tooLongError(text)
	}
	text = slackUnescape.Replace(text)
	if uerr := checkCommandText(text); uerr != nil {
		return nil, uerr
	}
	lx := &cmdLexer{s: text}
	first, ok, uerr := lx.next()
	if uerr != nil {
		return nil, uerr
	}
	if !ok {
		// A bare /licenses is a request for help.
		return &Command{Verb: "help"}, nil
	}
	name := strings.ToLower(first.text)
	if name == "--help" || name == "?" {
		return &Command{Verb: "help"}, nil
	}
	spec := lookupVerb(name)
	if spec == nil {
		return nil, unknownVerbError(first.text)
	}
	p := &cmdParser{cat: cat, spec: spec, cmd: &Command{Verb: spec.Name}}
	if spec.Name == "reject" {
		// The reason is free text: quotes, dashes and all are kept as typed.
		return p.parseReject(lx)
	}
	if uerr := p.split(lx); uerr != nil {
		return nil, uerr
	}
	if p.help {
		return &Command{Verb: "help", HelpTopic: spec.Name}, nil
	}
	if uerr := p.parseVerb(); uerr != nil {
		return nil, uerr
	}
	return p.cmd, nil
}

// tooLongError answers an over-long command. A long assign is almost always a
// long user list, and "too many users" tells the admin what to do about it.
func tooLongError(text string) *UsageError {
	verb, users := countUserWords(text)
	if (verb == "assign" || verb == "unassign") && users > ledger.MaxUsersPerOp {
		return &UsageError{
			Verb: verb, Code: ledger.TooManyUsers,
			Message: fmt.Sprintf("too many users: %d named, at most %d per command", users, ledger.MaxUsersPerOp),
			Usage:   Usage(verb),
		}
	}
	uerr := &UsageError{
		Code:    ledger.InvalidRequest,
		Message: fmt.Sprintf("the command is too long: %d bytes, at most %d", len(text), maxCommandBytes),
		Usage:   usageShort(),
	}
	if lookupVerb(verb) != nil {
		uerr.Verb, uerr.Usage = verb, Usage(verb)
	}
	return uerr
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

func unknownVerbError(typed string) *UsageError {
	lower := strings.ToLower(typed)
	var cands []didYouMean
	for i, v := range verbTable {
		if c, ok := closeMatch(lower, v.Name, i); ok {
			cands = append(cands, c)
		}
	}
	return &UsageError{
		Message:     fmt.Sprintf("unknown command %q", clipQuoted(typed)),
		Usage:       usageShort(),
		Suggestions: bestSuggestions(cands, 3),
	}
}

// didYouMean is a "did you mean" answer with how far it is from the input.
type didYouMean struct {
	label string
	dist  int
	order int
}

// closeMatch reports whether name is a plausible correction of typed: within
// two edits (one for very short input), or typed is a prefix of it.
func closeMatch(typed, name string, order int) (didYouMean, bool) {
	if typed == "" || len(typed) > 64 {
		return didYouMean{}, false
	}
	limit := 2
	if utf8.RuneCountInString(typed) <= 3 {
		limit = 1
	}
	d := ledger.Distance(typed, name)
	switch {
	case d <= limit:
		return didYouMean{name, d, order}, true
	case len(typed) >= 2 && strings.HasPrefix(name, typed):
		return didYouMean{name, limit + 1, order}, true
	}
	return didYouMean{}, false
}

func bestSuggestions(cands []didYouMean, n int) []string {
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].dist != cands[j].dist {
			return cands[i].dist < cands[j].dist
		}
		return cands[i].order < cands[j].order
	})
	var out []string
	for i := 0; i < len(cands) && i < n; i++ {
		out = append(out, cands[i].label)
	}
	return out
}

// clipQuoted shortens user text quoted back in a message.
func clipQuoted(s string) string {
	if utf8.RuneCountInString(s) <= clipMaxRunes {
		return s
	}
	r := []rune(s)
	return string(r[:clipMaxRunes]) + "…"
}

// ---- tokenizer ----

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
		for l.pos < len(l.s) {
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
		if !closed {
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

// ---- parser ----

type cmdParser struct {
	cat   *ledger.Catalog
	spec  *verbSpec
	cmd   *Command
	args  []cmdToken        // positional words, in order
	flags map[string]string // given flags; "" for those without a value
	help  bool              // --help anywhere: show the verb's usage instead
}

// fail builds a UsageError for the verb being parsed.
func (p *cmdParser) fail(code ledger.Code, format string, a ...any) *UsageError {
	return &UsageError{Verb: p.spec.Name, Code: code, Message: fmt.Sprintf(format, a...), Usage: usageOf(p.spec)}
}

// split reads the remaining words into positional arguments and flags.
func (p *cmdParser) split(lx *cmdLexer) *UsageError {
	p.flags = map[string]string{}
	for {
		tok, ok, uerr := lx.next()
		if uerr != nil {
			uerr.Verb, uerr.Usage = p.spec.Name, usageOf(p.spec)
			return uerr
		}
		if !ok {
			return nil
		}
		name, value, hasValue, isFlag := parseFlag(tok)
		if !isFlag {
			p.args = append(p.args, tok)
			continue
		}
		if name == "help" {
			p.help = true
			continue
		}
		if !p.accepts(name) {
			return p.unknownFlag(name)
		}
		if _, dup := p.flags[name]; dup {
			return p.fail("", "--%s is given twice", name)
		}
		switch {
		case !flagTakesValue[name] && hasValue:
			return p.fail("", "--%s takes no value", name)
		case flagTakesValue[name] && !hasValue:
			v, ok, uerr := lx.next()
			if uerr != nil {
				uerr.Verb, uerr.Usage = p.spec.Name, usageOf(p.spec)
				return uerr
			}
			if _, _, _, vIsFlag := parseFlag(v); !ok || vIsFlag {
				return p.fail("", "--%s needs a value", name)
			}
			value = v.text
		}
		if flagTakesValue[name] && value == "" {
			return p.fail("", "--%s needs a value", name)
		}
		p.flags[name] = value
	}
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

func (p *cmdParser) accepts(flag string) bool {
	for _, f := range p.spec.flags {
		if f == flag {
			return true
		}
	}
	return false
}

func (p *cmdParser) unknownFlag(name string) *UsageError {
	var cands []didYouMean
	for i, f := range p.spec.flags {
		if c, ok := closeMatch(name, f, i); ok {
			c.label = "--" + c.label
			cands = append(cands, c)
		}
	}
	var uerr *UsageError
	switch _, known := flagTakesValue[name]; {
	case known:
		uerr = p.fail("", "--%s is not an option of %s", name, p.spec.Name)
	case len(p.spec.flags) == 0:
		uerr = p.fail("", "%s takes no options: --%s is not one", p.spec.Name, clipQuoted(name))
	default:
		uerr = p.fail("", "unknown option --%s", clipQuoted(name))
	}
	uerr.Suggestions = bestSuggestions(cands, 3)
	return uerr
}

func (p *cmdParser) parseVerb() *UsageError {
	p.cmd.DryRun = hasFlag(p.flags, "dry-run")
	switch p.spec.Name {
	case "help":
		return p.parseHelp()
	case "show":
		p.cmd.Detail = hasFlag(p.flags, "detail")
		return p.optionalTenant()
	case "conflicts":
		return p.optionalTenant()
	case "products":
		words := make([]string, len(p.args))
		for i, a := range p.args {
			words[i] = a.text
		}
		p.cmd.Query = strings.Join(words, " ")
		return nil
	case "add":
		return p.parseSeats(ledger.OpAdd, 1)
	case "remove":
		return p.parseSeats(ledger.OpRemove, 1)
	case "set":
		return p.parseSeats(ledger.OpSet, 0)
	case "assign":
		return p.parseAssign(ledger.OpAssign, "to")
	case "unassign":
		return p.parseAssign(ledger.OpUnassign, "from")
	case "history":
		return p.parseHistory()
	case "pending", "whoami":
		return p.noMore(0)
	case "approve", "undo":
		if len(p.args) == 0 {
			return p.fail("", "the request id is missing (LD-…)")
		}
		id, uerr := p.requestID(p.args[0].text)
		if uerr != nil {
			return uerr
		}
		p.cmd.RequestID = id
		return p.noMore(1)
	case "renew":
		if len(p.args) == 0 {
			return p.fail("", "the subscription id is missing")
		}
		sub, uerr := p.subscription(p.args[0].text)
		if uerr != nil {
			return uerr
		}
		p.cmd.Op = &ledger.Op{Kind: ledger.OpRenew, Subscription: sub}
		return p.noMore(1)
	case "autorenew":
		return p.parseAutoRenew()
	case "grant", "revoke":
		return p.parseGrant()
	}
	// Unreachable while every table verb has a case; a test walks the table.
	return p.fail("", "%s is not implemented", p.spec.Name)
}

func hasFlag(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}

// noMore refuses arguments past the first n.
func (p *cmdParser) noMore(n int) *UsageError {
	if len(p.args) > n {
		return p.fail("", "unexpected %q: %s takes %s", clipQuoted(p.args[n].text), p.spec.Name, argCountText(n))
	}
	return nil
}

func argCountText(n int) string {
	switch n {
	case 0:
		return "no arguments"
	case 1:
		return "one argument"
	}
	return strconv.Itoa(n) + " arguments"
}

func (p *cmdParser) parseHelp() *UsageError {
	if len(p.args) == 0 {
		return nil
	}
	topic := strings.ToLower(p.args[0].text)
	if lookupVerb(topic) == nil {
		uerr := unknownVerbError(p.args[0].text)
		uerr.Verb, uerr.Usage = "help", usageOf(p.spec)
		return uerr
	}
	p.cmd.HelpTopic = topic
	return p.noMore(1)
}

func (p *cmdParser) optionalTenant() *UsageError {
	if len(p.args) == 0 {
		return nil
	}
	t, uerr := p.tenant(p.args[0])
	if uerr != nil {
		return uerr
	}
	p.cmd.Tenant = t
	return p.noMore(1)
}

// validTenantID reports whether s is a tenant id: [a-z0-9][a-z0-9-]{0,62}.
func validTenantID(s string) bool {
	if len(s) == 0 || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-' && i > 0:
		default:
			return false
		}
	}
	return true
}

func (p *cmdParser) tenant(t cmdToken) (string, *UsageError) {
	id := strings.ToLower(t.text)
	if !validTenantID(id) {
		return "", p.fail("", "%q is not a tenant id (lower-case letters, digits and hyphens, e.g. contoso)", clipQuoted(t.text))
	}
	return id, nil
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

// parseSeats reads "N product [for] tenant" for add, remove and set; the
// product is every word between the quantity and the tenant.
func (p *cmdParser) parseSeats(kind ledger.OpKind, minQty int) *UsageError {
	if len(p.args) == 0 {
		return p.fail("", "the number of seats, the product and the tenant are missing")
	}
	qty, uerr := p.quantity(p.args[0], minQty)
	if uerr != nil {
		return uerr
	}
	rest := p.args[1:]
	if len(rest) == 0 {
		return p.fail("", "the product and the tenant are missing")
	}
	if last := rest[len(rest)-1]; isBareWord(last, "for") {
		if len(rest) == 1 {
			return p.fail("", "the product and the tenant are missing")
		}
		return p.fail("", "the tenant is missing")
	}
	if len(rest) == 1 {
		if len(p.lookup(rest[0].text)) > 0 {
			return p.fail("", "the tenant is missing")
		}
		return p.fail("", "the product or the tenant is missing")
	}
	tenantTok, product := rest[len(rest)-1], rest[:len(rest)-1]
	if n := len(product); n > 0 && isBareWord(product[n-1], "for") {
		product = product[:n-1]
	}
	if len(product) == 0 {
		return p.fail("", "the product is missing")
	}
	sku, uerr := p.product(joinWords(product))
	if uerr != nil {
		if uerr.Code == ledger.UnknownProduct {
			// "add 5 Business Premium": the tenant was forgotten, and the
			// last word of the product was taken for it.
			if len(p.lookup(joinWords(rest))) == 1 {
				return p.fail("", "the tenant is missing")
			}
			// "add 5 contoso E3": the tenant goes last.
			if len(p.lookup(tenantTok.text)) == 1 && len(product) == 1 && validTenantID(strings.ToLower(product[0].text)) {
				return p.fail("", "the tenant goes last: %s %d %s %s", p.spec.Name, qty, tenantTok.text, product[0].text)
			}
		}
		return uerr
	}
	tenant, uerr := p.tenant(tenantTok)
	if uerr != nil {
		return uerr
	}
	op := &ledger.Op{Kind: kind, SKU: sku, Quantity: qty}
	if sub, ok := p.flags["sub"]; ok {
		if op.Subscription, uerr = p.subscription(sub); uerr != nil {
			return uerr
		}
	}
	op.New = hasFlag(p.flags, "new")
	op.AtRenewal = hasFlag(p.flags, "at-renewal")
	if op.New && op.Subscription != "" {
		return p.fail("", "--sub and --new cannot be used together: --new buys a new subscription")
	}
	p.cmd.Tenant, p.cmd.Op = tenant, op
	return nil
}

// quantity reads a seat count: ASCII digits only, minQty..MaxQuantity.
func (p *cmdParser) quantity(t cmdToken, minQty int) (int, *UsageError) {
	s := t.text
	if !looksNumeric(s) {
		return 0, p.fail("", "the number of seats is missing: it comes right after %s", p.spec.Name)
	}
	bad := func() (int, *UsageError) {
		return 0, p.fail(ledger.InvalidQuantity, "%q is not a valid number of seats: use a whole number from %d to %d",
			clipQuoted(s), minQty, ledger.MaxQuantity)
	}
	n, ok := parseDigits(s, ledger.MaxQuantity)
	if !ok || n < minQty {
		return bad()
	}
	return n, nil
}

// looksNumeric tells a malformed number ("-5", "5.5", "1e3") from a word
// written where the number belongs ("E3", "five"), which means the number
// is missing.
func looksNumeric(s string) bool {
	if s == "" {
		return false
	}
	c := s[0]
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == ','
}

// parseDigits parses ASCII digits without overflow; values above limit
// report ok=false.
func parseDigits(s string, limit int) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
		if n > limit {
			return 0, false
		}
	}
	return n, true
}

func (p *cmdParser) lookup(phrase string) []string {
	if p.cat == nil || phrase == "" || len(phrase) > maxProductBytes {
		return nil
	}
	return p.cat.Lookup(phrase)
}

// product resolves a product phrase to exactly one catalog SKU.
func (p *cmdParser) product(phrase string) (string, *UsageError) {
	if len(phrase) > maxProductBytes {
		return "", p.fail(ledger.UnknownProduct, "unknown product %q: the name is too long", clipQuoted(phrase))
	}
	skus := p.lookup(phrase)
	switch len(skus) {
	case 1:
		return skus[0], nil
	case 0:
		uerr := p.fail(ledger.UnknownProduct, "unknown product %q", clipQuoted(phrase))
		if p.cat != nil {
			uerr.Suggestions = p.cat.Suggest(phrase, 3)
		}
		return "", uerr
	}
	labels := make([]string, len(skus))
	for i, s := range skus {
		labels[i] = s
		if prod, ok := p.cat.Get(s); ok {
			labels[i] = s + " (" + prod.Name + ")"
		}
	}
	list := strings.Join(labels[:len(labels)-1], ", ") + " or " + labels[len(labels)-1]
	uerr := p.fail(ledger.AmbiguousProduct, "%s could be %s: name one", clipQuoted(phrase), list)
	uerr.Suggestions = labels
	return "", uerr
}

// parseAssign reads "product [tenant] user…". The users are the words with
// an "@"; the words before them are the product, and maybe a tenant last.
func (p *cmdParser) parseAssign(kind ledger.OpKind, connector string) *UsageError {
	first := len(p.args)
	for i, a := range p.args {
		if strings.Contains(a.text, "@") {
			first = i
			break
		}
	}
	pre, users := p.args[:first], p.args[first:]
	// "assign E3 to alice@…": the connector is not a tenant.
	if n := len(pre); n > 0 && isBareWord(pre[n-1], connector) {
		pre = pre[:n-1]
	}
	if len(pre) == 0 {
		return p.fail("", "the product is missing")
	}
	sku, tenant, uerr := p.productAndTenant(pre)
	if uerr != nil {
		return uerr
	}
	if len(users) == 0 {
		return p.fail("", "no users: name them by email address, e.g. alice@contoso.com")
	}
	list, uerr := p.users(users)
	if uerr != nil {
		return uerr
	}
	p.cmd.Tenant = tenant
	p.cmd.Op = &ledger.Op{Kind: kind, SKU: sku, Users: list, Create: hasFlag(p.flags, "create")}
	return nil
}

// productAndTenant resolves the words before the users: the whole phrase
// as one product, else all but the last word as a product and the last as
// a tenant.
func (p *cmdParser) productAndTenant(pre []cmdToken) (sku, tenant string, uerr *UsageError) {
	whole := joinWords(pre)
	wholeSKUs := p.lookup(whole)
	if len(wholeSKUs) == 1 {
		return wholeSKUs[0], "", nil
	}
	var head string
	var headSKUs []string
	tenantReading := false
	if n := len(pre); n >= 2 && !pre[n-1].quoted && validTenantID(strings.ToLower(pre[n-1].text)) {
		tenantReading = true
		head = joinWords(pre[:n-1])
		headSKUs = p.lookup(head)
		if len(headSKUs) == 1 {
			return headSKUs[0], strings.ToLower(pre[n-1].text), nil
		}
	}
	switch {
	case len(wholeSKUs) > 1:
		_, uerr = p.product(whole)
	case len(headSKUs) > 1:
		_, uerr = p.product(head)
	case tenantReading:
		// Unknown either way: report the reading that has suggestions,
		// the one with a tenant first ("Buisness Premium contoso").
		if _, headErr := p.product(head); len(headErr.Suggestions) > 0 {
			return "", "", headErr
		}
		_, uerr = p.product(whole)
	default:
		_, uerr = p.product(whole)
	}
	return "", "", uerr
}

// users validates, lower-cases and de-duplicates the user list in one pass
// (a map, not a quadratic scan). Commas and semicolons separate users too.
func (p *cmdParser) users(toks []cmdToken) ([]string, *UsageError) {
	seen := make(map[string]struct{}, min(len(toks), ledger.MaxUsersPerOp+1))
	var out []string
	for _, t := range toks {
		for part := range strings.FieldsFuncSeq(t.text, func(r rune) bool { return r == ',' || r == ';' }) {
			u := strings.ToLower(part)
			if !looksLikeEmail(u) {
				return nil, p.fail(ledger.InvalidUser, "%q is not a user: users are email addresses, e.g. alice@contoso.com", clipQuoted(part))
			}
			if _, dup := seen[u]; dup {
				continue
			}
			if len(out) == ledger.MaxUsersPerOp {
				return nil, p.fail(ledger.TooManyUsers, "too many users: more than %d named, at most %d per command",
					ledger.MaxUsersPerOp, ledger.MaxUsersPerOp)
			}
			seen[u] = struct{}{}
			out = append(out, u)
		}
	}
	if len(out) == 0 {
		return nil, p.fail("", "no users: name them by email address, e.g. alice@contoso.com")
	}
	return out, nil
}

// looksLikeEmail checks the shape local@domain with a dot in the domain; s is
// already lower case. It is a sanity check on typing, not RFC 5322: the
// ledger decides whether the user exists.
func looksLikeEmail(s string) bool {
	if len(s) > maxEmailBytes {
		return false
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || len(local) > 64 || strings.Contains(domain, "@") {
		return false
	}
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return false
	}
	for i := 0; i < len(local); i++ {
		c := local[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte(".!#$%&'*+/=?^_`{|}~-", c) >= 0) {
			return false
		}
	}
	if !strings.Contains(domain, ".") {
		return false
	}
	for label := range strings.SplitSeq(domain, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

func (p *cmdParser) parseHistory() *UsageError {
	switch {
	case len(p.args) == 0:
		return p.fail("", "the tenant is missing")
	case len(p.args) == 1 && looksNumeric(p.args[0].text) && !p.args[0].quoted:
		// "history 50": a number alone is the count, not a tenant.
		return p.fail("", "the tenant is missing: history tenant [N]")
	}
	t, uerr := p.tenant(p.args[0])
	if uerr != nil {
		return uerr
	}
	p.cmd.Tenant, p.cmd.Limit = t, historyDefault
	if len(p.args) > 1 {
		s := p.args[1].text
		if s == "" || strings.Trim(s, "0123456789") != "" {
			return p.fail(ledger.InvalidQuantity, "%q is not a number of changes: use a whole number from 1 to %d", clipQuoted(s), historyMax)
		}
		n, ok := parseDigits(s, historyMax)
		if !ok {
			// More than the cap is clamped: asking for more is not wrong.
			n = historyMax
		}
		if n < 1 {
			return p.fail(ledger.InvalidQuantity, "%q is not a number of changes: use a whole number from 1 to %d", clipQuoted(s), historyMax)
		}
		p.cmd.Limit = n
	}
	return p.noMore(2)
}

// requestID validates "LD-" + a ULID (26 Crockford base32 characters, the
// first at most 7) and returns it upper-cased. A bare ULID, or one in the
// brackets of an email subject tag, is accepted too.
func (p *cmdParser) requestID(s string) (string, *UsageError) {
	id := strings.ToUpper(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	id = strings.TrimPrefix(id, "LD-")
	if !validULID(id) {
		return "", p.fail(ledger.InvalidRequest, "%q is not a request id: it looks like LD-01J9Z3K4M5N6P7Q8R9S0T1V2W3", clipQuoted(s))
	}
	return "LD-" + id, nil
}

func validULID(s string) bool {
	if len(s) != 26 || s[0] > '7' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
		case c >= 'A' && c <= 'Z' && c != 'I' && c != 'L' && c != 'O' && c != 'U':
		default:
			return false
		}
	}
	return true
}

// parseReject reads "reject LD-… [reason…]"; the reason is the rest of the
// line as typed, Slack links reduced.
func (p *cmdParser) parseReject(lx *cmdLexer) (*Command, *UsageError) {
	tok, ok, uerr := lx.next()
	if uerr != nil {
		uerr.Verb, uerr.Usage = p.spec.Name, usageOf(p.spec)
		return nil, uerr
	}
	if !ok {
		return nil, p.fail("", "the request id is missing (LD-…)")
	}
	if name, _, _, isFlag := parseFlag(tok); isFlag && name == "help" {
		return &Command{Verb: "help", HelpTopic: p.spec.Name}, nil
	}
	id, uerr := p.requestID(tok.text)
	if uerr != nil {
		return nil, uerr
	}
	p.cmd.RequestID = id
	p.cmd.Reason = reduceSlackLinks(lx.rest())
	return p.cmd, nil
}

// subscription validates a subscription id as typed (ids are the
// provider's and may be case-sensitive, so the case is kept).
func (p *cmdParser) subscription(s string) (string, *UsageError) {
	if s == "" || len(s) > maxSubIDBytes || strings.IndexFunc(s, unicode.IsSpace) >= 0 {
		return "", p.fail("", "%q is not a subscription id", clipQuoted(s))
	}
	return s, nil
}

func (p *cmdParser) parseAutoRenew() *UsageError {
	if len(p.args) < 2 {
		return p.fail("", "autorenew needs on or off, then the subscription id")
	}
	sw, subTok := p.args[0], p.args[1]
	if _, isSwitch := parseOnOff(sw.text); !isSwitch {
		// "autorenew SUB off" reads as well.
		if _, swapped := parseOnOff(subTok.text); swapped {
			sw, subTok = subTok, sw
		}
	}
	on, ok := parseOnOff(sw.text)
	if !ok {
		return p.fail("", "autorenew takes on or off, not %q", clipQuoted(sw.text))
	}
	sub, uerr := p.subscription(subTok.text)
	if uerr != nil {
		return uerr
	}
	p.cmd.Op = &ledger.Op{Kind: ledger.OpAutoRenew, Subscription: sub, AutoRenew: on}
	return p.noMore(2)
}

func parseOnOff(s string) (on, ok bool) {
	switch strings.ToLower(s) {
	case "on":
		return true, true
	case "off":
		return false, true
	}
	return false, false
}

var grantableRoles = []ledger.Role{ledger.RoleGlobal, ledger.RoleBilling, ledger.RoleLicense, ledger.RoleUser}

func (p *cmdParser) parseGrant() *UsageError {
	if len(p.args) < 2 {
		return p.fail("", "%s needs a Slack user (@mention) and a role", p.spec.Name)
	}
	userTok, roleTok := p.args[0], p.args[1]
	// "grant billing @alice" reads as well.
	if ledger.ValidRole(ledger.Role(strings.ToLower(userTok.text))) {
		userTok, roleTok = roleTok, userTok
	}
	user, ok := parseSlackUser(userTok.text)
	if !ok {
		return p.fail(ledger.InvalidUser, "%q is not a Slack user: @mention them so Slack sends their id (U…)", clipQuoted(userTok.text))
	}
	role := ledger.Role(strings.ToLower(roleTok.text))
	if !ledger.ValidRole(role) {
		uerr := p.fail("", "%q is not a role: global, billing, license or user", clipQuoted(roleTok.text))
		var cands []didYouMean
		for i, r := range grantableRoles {
			if c, ok := closeMatch(string(role), string(r), i); ok {
				cands = append(cands, c)
			}
		}
		uerr.Suggestions = bestSuggestions(cands, 2)
		return uerr
	}
	p.cmd.SlackUser, p.cmd.Role = user, role
	return p.noMore(2)
}

// parseSlackUser reads "<@U123|name>", "<@U123>", "@U123" or "U123". Slack
// ids are upper case; a lower-case "@alice" is a display name, which Slack
// sends when the command does not escape mentions.
func parseSlackUser(s string) (string, bool) {
	if strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">") {
		s = s[1 : len(s)-1]
	}
	s = strings.TrimPrefix(s, "@")
	s, _, _ = strings.Cut(s, "|")
	if len(s) < 3 || len(s) > 32 || (s[0] != 'U' && s[0] != 'W') {
		return "", false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return "", false
		}
	}
	return s, true
}
