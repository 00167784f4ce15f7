package bot

// The verb table of the /licenses command (SPEC §5.3): one entry per verb,
// used both to parse (parse.go) and to print usage and help, and the "did
// you mean" suggestions for a mistyped verb, flag or role.

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/licensedesk/licensedesk/ledger"
)

// Verb is one entry of the verb table: the one source for parsing, help,
// and where a command runs.
type Verb struct {
	Name    string // canonical, lower case
	Args    string // e.g. "N product [for] tenant [--sub ID] [--new] [--dry-run]"
	Summary string // one line for help
	// Writes: the verb may change the ledger (seats, assignments, a
	// decision, an undo, a role), so on Slack it runs in the workers, never
	// in the acknowledgement, with an idempotency key (dispatch.go). Every
	// verb that Writes takes --dry-run (R-DRYRUN).
	Writes bool
	// BuildsOp: the verb builds a ledger Op (Command.Op) that the desk
	// submits. Every such verb Writes; approve, reject, undo, grant and
	// revoke write without one.
	BuildsOp bool
}

// verbSpec adds what only the parser needs: the flags the verb accepts.
type verbSpec struct {
	Verb
	flags []string
}

// The verb table, in help order. Every flag listed in flags appears in Args
// (a test checks it), so help never lies about what parses.
var verbTable = []verbSpec{
	{Verb{Name: "help", Args: "[verb]", Summary: "this help, or the usage of one command"}, nil},
	{Verb{Name: "show", Args: "[tenant] [--detail]", Summary: "a tenant's licences: total, assigned, available, conflicts (--detail: per subscription)"}, []string{"detail"}},
	{Verb{Name: "products", Args: "[search…]", Summary: "the catalog, or the products matching a search"}, nil},
	{Verb{Name: "add", Args: "N product [for] tenant [--sub ID] [--new] [--dry-run]", Summary: "buy N seats (--new: a new subscription)",
		Writes: true, BuildsOp: true}, []string{"sub", "new", "dry-run"}},
	{Verb{Name: "remove", Args: "N product tenant [--at-renewal] [--sub ID] [--dry-run]", Summary: "return N seats bought in the last 7 days, or at the next renewal",
		Writes: true, BuildsOp: true}, []string{"at-renewal", "sub", "dry-run"}},
	{Verb{Name: "set", Args: "N product tenant [--dry-run]", Summary: "set a product's total number of seats",
		Writes: true, BuildsOp: true}, []string{"dry-run"}},
	{Verb{Name: "assign", Args: "product [tenant] user… [--create] [--dry-run]", Summary: "give users a licence (--create: create unknown users)",
		Writes: true, BuildsOp: true}, []string{"create", "dry-run"}},
	{Verb{Name: "unassign", Args: "product [tenant] user… [--dry-run]", Summary: "take a licence back from users (their data is kept 30 days)",
		Writes: true, BuildsOp: true}, []string{"dry-run"}},
	{Verb{Name: "switch", Args: "FROM to TO [tenant] user…|[--all] [--return] [--dry-run]",
		Summary: "move users from one product to another, buying what TO lacks (--all: every holder of FROM; --return: return the seats freed)",
		Writes:  true, BuildsOp: true}, []string{"all", "return", "dry-run"}},
	{Verb{Name: "conflicts", Args: "[tenant]", Summary: "products with more users than seats, and the users concerned"}, nil},
	{Verb{Name: "report", Args: "[tenant]", Summary: "what to do next: unassigned seats and their cost, seats to return now or at renewal, conflicts, alerts"}, nil},
	{Verb{Name: "history", Args: "tenant [N]", Summary: "the last N changes (default 20, at most 200)"}, nil},
	{Verb{Name: "pending", Summary: "customer requests waiting for approval"}, nil},
	{Verb{Name: "approve", Args: "LD-… [--dry-run]", Summary: "apply a pending request",
		Writes: true}, []string{"dry-run"}},
	{Verb{Name: "reject", Args: "LD-… [reason…] [--dry-run]", Summary: "refuse a pending request",
		Writes: true}, []string{"dry-run"}},
	{Verb{Name: "renew", Args: "SUB [--dry-run]", Summary: "renew a subscription now",
		Writes: true, BuildsOp: true}, []string{"dry-run"}},
	{Verb{Name: "autorenew", Args: "on|off SUB [--dry-run]", Summary: "switch a subscription's auto-renewal on or off",
		Writes: true, BuildsOp: true}, []string{"dry-run"}},
	{Verb{Name: "undo", Args: "LD-… [--dry-run]", Summary: "apply the inverse of a request, under the same rules",
		Writes: true}, []string{"dry-run"}},
	{Verb{Name: "whoami", Summary: "your Slack user id and roles"}, nil},
	{Verb{Name: "grant", Args: "@user role [--dry-run]", Summary: "give a desk admin a role: global, billing, license or user",
		Writes: true}, []string{"dry-run"}},
	{Verb{Name: "revoke", Args: "@user role [--dry-run]", Summary: "take a role back from a desk admin",
		Writes: true}, []string{"dry-run"}},
}

// flagTakesValue lists every flag of the grammar; true when it takes a value.
var flagTakesValue = map[string]bool{
	"detail":     false,
	"sub":        true,
	"new":        false,
	"at-renewal": false,
	"create":     false,
	"dry-run":    false,
	"all":        false,
	"return":     false,
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

// VerbOf returns the verb of a command's text, as the parser will read it
// (lower case, a known verb), or "" when its first word is no verb.
func VerbOf(text string) string {
	lx := &cmdLexer{s: text}
	first, ok, _ := lx.next()
	if !ok {
		return ""
	}
	if v := lookupVerb(strings.ToLower(first.text)); v != nil {
		return v.Name
	}
	return ""
}
