package bot

// The /licenses command grammar (SPEC §5.3): the parser that turns the text
// Slack sends into a Command, word by word from the tokenizer (tokenizer.go)
// and verb by verb from the verb table (verbs.go). The command line's `exec`
// runs the same code, so nothing here may assume Slack is on the other end.

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/licensedesk/licensedesk/internal/numwords"
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
	// maxEmailBytes is RFC 5321's limit on a forward path.
	maxEmailBytes = 254
	// clipMaxRunes bounds user text quoted back in error messages.
	clipMaxRunes = 60

	historyDefault = 20
	historyMax     = 200
)

// Command is a parsed /licenses command.
type Command struct {
	// Verb is the canonical verb name: one of the verb table's (verbs.go).
	Verb string
	// Tenant is the lower-cased tenant id as typed, "" when not given (for
	// assign, unassign and switch the executor then infers it from the
	// users' domains; switch --all always names it).
	Tenant string
	// Op is set for the verbs that build one (Verb.BuildsOp): add, remove,
	// set, assign, unassign, switch, renew and autorenew. The SKU (and a
	// switch's To) is the catalog's, users are lower-cased and
	// de-duplicated in order. renew and autorenew name a Subscription
	// instead of a SKU.
	Op        *ledger.Op
	DryRun    bool        // --dry-run, on every verb that Writes (R-DRYRUN)
	Detail    bool        // show --detail: per-subscription breakdown
	Limit     int         // history N (default 20, at most 200)
	Query     string      // products [search]
	RequestID string      // approve/reject/undo: "LD-" + ULID, upper case
	Reason    string      // reject: the rest of the line, less its flags
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

// tooLongError answers an over-long command. A long assign, unassign or
// switch is almost always a long user list, and "too many users" tells the
// admin what to do about it.
func tooLongError(text string) *UsageError {
	verb, users := countUserWords(text)
	if (verb == "assign" || verb == "unassign" || verb == "switch") && users > ledger.MaxUsersPerOp {
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

// clipQuoted shortens user text quoted back in a message.
func clipQuoted(s string) string {
	if utf8.RuneCountInString(s) <= clipMaxRunes {
		return s
	}
	r := []rune(s)
	return string(r[:clipMaxRunes]) + "…"
}

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

// next reads the next word of the verb's arguments.
func (p *cmdParser) next(lx *cmdLexer) (cmdToken, bool, *UsageError) {
	tok, ok, uerr := lx.next()
	if uerr != nil {
		uerr.Verb, uerr.Usage = p.spec.Name, usageOf(p.spec)
	}
	return tok, ok, uerr
}

// split reads the remaining words into positional arguments and flags.
// R-DRYRUN: a flag is a flag wherever it stands, before, between or after
// the arguments.
func (p *cmdParser) split(lx *cmdLexer) *UsageError {
	p.flags = map[string]string{}
	for {
		tok, ok, uerr := p.next(lx)
		if uerr != nil {
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
		if flagTakesValue[name] && !hasValue && p.accepts(name) && !hasFlag(p.flags, name) {
			v, ok, uerr := p.next(lx)
			if uerr != nil {
				return uerr
			}
			if _, _, _, vIsFlag := parseFlag(v); !ok || vIsFlag {
				return p.fail("", "--%s needs a value", name)
			}
			value, hasValue = v.text, true
		}
		if uerr := p.setFlag(name, value, hasValue); uerr != nil {
			return uerr
		}
	}
}

// setFlag records one flag of the verb.
func (p *cmdParser) setFlag(name, value string, hasValue bool) *UsageError {
	if name == "help" {
		p.help = true
		return nil
	}
	if !p.accepts(name) {
		return p.unknownFlag(name)
	}
	if _, dup := p.flags[name]; dup {
		return p.fail("", "--%s is given twice", name)
	}
	switch takes := flagTakesValue[name]; {
	case !takes && hasValue:
		return p.fail("", "--%s takes no value", name)
	case takes && value == "":
		return p.fail("", "--%s needs a value", name)
	}
	p.flags[name] = value
	return nil
}

func (p *cmdParser) accepts(flag string) bool {
	return slices.Contains(p.spec.flags, flag)
}

// flagSuggestions returns the verb's flags close to a mistyped one.
func (p *cmdParser) flagSuggestions(name string) []string {
	var cands []didYouMean
	for i, f := range p.spec.flags {
		if c, ok := closeMatch(name, f, i); ok {
			c.label = "--" + c.label
			cands = append(cands, c)
		}
	}
	return bestSuggestions(cands, 3)
}

func (p *cmdParser) unknownFlag(name string) *UsageError {
	var uerr *UsageError
	switch _, known := flagTakesValue[name]; {
	case len(p.spec.flags) == 0:
		uerr = p.fail("", "%s takes no options: --%s is not one", p.spec.Name, clipQuoted(name))
	case known:
		uerr = p.fail("", "--%s is not an option of %s", name, p.spec.Name)
	default:
		uerr = p.fail("", "unknown option --%s", clipQuoted(name))
	}
	uerr.Suggestions = p.flagSuggestions(name)
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
	case "switch":
		return p.parseSwitch()
	case "report":
		return p.optionalTenant()
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

func (p *cmdParser) tenant(t cmdToken) (string, *UsageError) {
	id := strings.ToLower(t.text)
	if !ledger.ValidTenantID(id) {
		return "", p.fail("", "%q is not a tenant id (lower-case letters, digits and hyphens, e.g. contoso)", clipQuoted(t.text))
	}
	return id, nil
}

// parseSeats reads "N product [for] tenant" for add, remove and set; the
// product is every word between the quantity and the tenant.
func (p *cmdParser) parseSeats(kind ledger.OpKind, minQty int) *UsageError {
	if len(p.args) == 0 {
		return p.fail("", "the number of seats, the product and the tenant are missing")
	}
	qty, used, uerr := p.quantity(p.args, minQty)
	if uerr != nil {
		return uerr
	}
	rest := p.args[used:]
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
	tenantTok, product := rest[len(rest)-1], seatsProduct(rest)
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
			if len(p.lookup(tenantTok.text)) == 1 && len(product) == 1 && ledger.ValidTenantID(strings.ToLower(product[0].text)) {
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

// seatsProduct returns the product words of "product [for] tenant".
func seatsProduct(rest []cmdToken) []cmdToken {
	if len(rest) < 2 {
		return nil
	}
	product := rest[:len(rest)-1]
	if n := len(product); isBareWord(product[n-1], "for") {
		product = product[:n-1]
	}
	return product
}

// maxNumberWords bounds the words read as one number in words.
const maxNumberWords = 12

// quantity reads the seat count at the start of args, minQty..MaxQuantity,
// and reports how many words it took: ASCII digits, or number words as
// customers write them in email (numwords): one word ("five", "deux",
// "vingt-cinq", "twenty-one"), or several ("vingt et un", "a hundred and
// five") when no shorter number leaves a product behind it ("twenty One
// Drive" would be ambiguous, were there such a product). "a", "an", "un" and
// "une" alone are too easily a typo to be a count.
func (p *cmdParser) quantity(args []cmdToken, minQty int) (int, int, *UsageError) {
	bad := func(s string) (int, int, *UsageError) {
		return 0, 0, p.fail(ledger.InvalidQuantity, "%q is not a valid number of seats: use a whole number from %d to %d",
			clipQuoted(s), minQty, ledger.MaxQuantity)
	}
	if s := args[0].text; looksNumeric(s) {
		n, ok := parseDigits(s, ledger.MaxQuantity)
		if !ok || n < minQty {
			return bad(s)
		}
		return n, 1, nil
	}
	var words []string
	for _, a := range args[:min(len(args), maxNumberWords)] {
		if a.quoted {
			break
		}
		words = append(words, a.text)
	}
	n, used, ok := numwords.Prefix(words)
	switch first := strings.ToLower(args[0].text); {
	case (first == "a" || first == "an" || first == "un" || first == "une") && used <= 1:
		return 0, 0, p.fail(ledger.InvalidQuantity, "%q is not taken for a number of seats: write the number (1, one, 2…)", clipQuoted(args[0].text))
	case !ok && len(words) > 0 && numwords.IsWord(words[0]):
		return bad(words[0]) // "vingt-onze", or over the maximum
	case !ok:
		return 0, 0, p.fail("", "the number of seats is missing: it comes right after %s", p.spec.Name)
	}
	phrase := strings.Join(words[:used], " ")
	for j := 1; j < used; j++ {
		if m, ok := numwords.Parse(strings.Join(words[:j], " ")); ok && len(p.lookup(joinWords(seatsProduct(args[j:])))) == 1 {
			return 0, 0, p.fail(ledger.InvalidQuantity, "%q could be %d or %d followed by a product: write the number in digits",
				clipQuoted(phrase), n, m)
		}
	}
	if n < minQty {
		return bad(phrase)
	}
	return n, used, nil
}

// looksNumeric tells a malformed number ("-5", "5.5", "1e3") from a word
// written where the number belongs ("E3"), which means the number is
// missing, or a number in words ("five").
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
	pre, users := splitUsers(p.args)
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

// splitUsers splits words at the first user: a word with an "@".
func splitUsers(args []cmdToken) (pre, users []cmdToken) {
	first := slices.IndexFunc(args, func(a cmdToken) bool { return strings.Contains(a.text, "@") })
	if first < 0 {
		return args, nil
	}
	return args[:first], args[first:]
}

// isSwitchConnector reports the word between the two products of a switch.
func isSwitchConnector(t cmdToken) bool {
	return isBareWord(t, "to") || isBareWord(t, "vers") || isBareWord(t, "→") || isBareWord(t, "->")
}

// parseSwitch reads "FROM to TO [tenant] user…|--all [--return]" (R-SWITCH):
// the products as in assign (quotable, several words), the tenant, when not
// given, found by the desk from the users' domain as for assign.
func (p *cmdParser) parseSwitch() *UsageError {
	pre, users := splitUsers(p.args)
	conn := slices.IndexFunc(pre, isSwitchConnector)
	switch {
	case conn < 0 && len(users) > 0 && slices.ContainsFunc(users, isSwitchConnector):
		return p.fail("", "the users come last: switch FROM to TO [tenant] user…")
	case conn < 0:
		return p.fail("", "the word to is missing between the two products: switch FROM to TO …")
	case conn == 0:
		return p.fail("", "the product to move from is missing")
	case conn == len(pre)-1:
		return p.fail("", "the product to move to is missing")
	}
	from, uerr := p.product(joinWords(pre[:conn]))
	if uerr != nil {
		return uerr
	}
	to, tenant, uerr := p.productAndTenant(pre[conn+1:])
	if uerr != nil {
		return uerr
	}
	if from == to {
		return p.fail("", "FROM and TO are the same product, %s: nothing to move", from)
	}
	all := hasFlag(p.flags, "all")
	var list []string
	switch {
	case all && len(users) > 0:
		return p.fail("", "name users or --all, not both")
	case all && tenant == "":
		return p.fail("", "the tenant is missing: --all moves every holder of %s in one tenant", from)
	case !all && len(users) == 0:
		return p.fail("", "no users: name them by email address, e.g. alice@contoso.com, or --all for every holder of %s", from)
	case !all:
		if list, uerr = p.users(users); uerr != nil {
			return uerr
		}
	}
	p.cmd.Tenant = tenant
	p.cmd.Op = &ledger.Op{Kind: ledger.OpSwitch, SKU: from, To: to, Users: list, All: all, Return: hasFlag(p.flags, "return")}
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
	if n := len(pre); n >= 2 && !pre[n-1].quoted && ledger.ValidTenantID(strings.ToLower(pre[n-1].text)) {
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

// requestID validates "LD-" + a ULID and returns it upper-cased. A bare
// ULID, or one in the brackets of an email subject tag, is accepted too.
func (p *cmdParser) requestID(s string) (string, *UsageError) {
	id := strings.ToUpper(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	if !strings.HasPrefix(id, "LD-") {
		id = "LD-" + id
	}
	// ledger.ValidRequestID checks the alphabet (Crockford base32) and the
	// length; a ULID's first character is also at most 7 (its 48-bit time),
	// which the ledger does not check and the parser always has.
	if !ledger.ValidRequestID(id) || id[len("LD-")] > '7' {
		return "", p.fail(ledger.InvalidRequest, "%q is not a request id: it looks like LD-01J9Z3K4M5N6P7Q8R9S0T1V2W3", clipQuoted(s))
	}
	return id, nil
}

// parseReject reads "reject LD-… [reason…]"; the reason is the rest of the
// line as typed, Slack links reduced, less the flags in it.
func (p *cmdParser) parseReject(lx *cmdLexer) (*Command, *UsageError) {
	p.flags = map[string]string{}
	var idTok cmdToken
	for {
		tok, ok, uerr := p.next(lx)
		if uerr != nil {
			return nil, uerr
		}
		if !ok {
			if p.help {
				return &Command{Verb: "help", HelpTopic: p.spec.Name}, nil
			}
			return nil, p.fail("", "the request id is missing (LD-…)")
		}
		// Flags may come before the id too: "reject --dry-run LD-…".
		name, value, hasValue, isFlag := parseFlag(tok)
		if !isFlag {
			idTok = tok
			break
		}
		if uerr := p.setFlag(name, value, hasValue); uerr != nil {
			return nil, uerr
		}
	}
	reason, uerr := p.freeText(lx.rest())
	if uerr != nil {
		return nil, uerr
	}
	if p.help {
		return &Command{Verb: "help", HelpTopic: p.spec.Name}, nil
	}
	id, uerr := p.requestID(idTok.text)
	if uerr != nil {
		return nil, uerr
	}
	p.cmd.RequestID = id
	p.cmd.Reason = reduceSlackLinks(reason)
	p.cmd.DryRun = hasFlag(p.flags, "dry-run")
	return p.cmd, nil
}

// freeText returns free text (a reject reason) as typed, less the verb's
// flags and --help. R-DRYRUN: --dry-run is a flag wherever it stands, never
// a reason, and a word that looks like a misspelt flag of the verb is
// refused rather than taken for text, so that "--dryrun" cannot turn a dry
// run into a real decision. Other words, quoted words and a lone "--" are
// text.
func (p *cmdParser) freeText(s string) (string, *UsageError) {
	lx := &cmdLexer{s: s, lenient: true}
	var kept []string
	from := 0
	for {
		lx.skipSpace()
		start := lx.pos
		tok, ok, _ := lx.next() // lenient: no error
		if !ok {
			break
		}
		name, value, hasValue, isFlag := parseFlag(tok)
		if !isFlag || (name != "help" && !p.accepts(name) && len(p.flagSuggestions(name)) == 0) {
			continue
		}
		if uerr := p.setFlag(name, value, hasValue); uerr != nil {
			return "", uerr
		}
		if t := strings.TrimSpace(s[from:start]); t != "" {
			kept = append(kept, t)
		}
		from = lx.pos
	}
	if t := strings.TrimSpace(s[from:]); t != "" {
		kept = append(kept, t)
	}
	return strings.Join(kept, " "), nil
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
