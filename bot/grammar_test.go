package bot

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/licensedesk/licensedesk/ledger"
)

// Tests of the grammar added with R-SWITCH, R-REPORT and R-DRYRUN, number
// words and the verb table's Writes; parse_test.go has the rest.

func TestParseReadsSwitchReportAndNumberWords(t *testing.T) {
	cat := cmdTestCatalog(t)
	id := "LD-" + testULID
	tests := []struct {
		name string
		text string
		want Command
	}{
		{
			"switch reads the SPEC example with a tenant",
			"switch E3 to E1 contoso alice@contoso.com bob@contoso.com",
			Command{Verb: "switch", Tenant: "contoso", Op: &ledger.Op{Kind: ledger.OpSwitch, SKU: "ENTERPRISEPACK", To: "STANDARDPACK",
				Users: []string{"alice@contoso.com", "bob@contoso.com"}}},
		},
		{
			"switch leaves the tenant to the users' domain, as assign does",
			"switch E3 to E1 Alice@Contoso.com alice@contoso.com",
			Command{Verb: "switch", Op: &ledger.Op{Kind: ledger.OpSwitch, SKU: "ENTERPRISEPACK", To: "STANDARDPACK", Users: []string{"alice@contoso.com"}}},
		},
		{
			"switch reads products of several words, quoted or not, and a tenant after them",
			`SWITCH "Business Standard" to business premium contoso alice@contoso.com --return`,
			Command{Verb: "switch", Tenant: "contoso", Op: &ledger.Op{Kind: ledger.OpSwitch, SKU: "O365_BUSINESS_PREMIUM", To: "SPB",
				Users: []string{"alice@contoso.com"}, Return: true}},
		},
		{
			"switch reads --all with a tenant instead of users",
			"switch E3 to 'M365 E3' contoso --all --return --dry-run",
			Command{Verb: "switch", Tenant: "contoso", DryRun: true, Op: &ledger.Op{Kind: ledger.OpSwitch, SKU: "ENTERPRISEPACK", To: "SPE_E3", All: true, Return: true}},
		},
		{
			"switch accepts vers as the connector",
			"switch E1 vers E3 fabrikam frank@fabrikam.com",
			Command{Verb: "switch", Tenant: "fabrikam", Op: &ledger.Op{Kind: ledger.OpSwitch, SKU: "STANDARDPACK", To: "ENTERPRISEPACK", Users: []string{"frank@fabrikam.com"}}},
		},
		{
			"switch accepts an arrow as the connector",
			"switch E1 → E3 frank@fabrikam.com",
			Command{Verb: "switch", Op: &ledger.Op{Kind: ledger.OpSwitch, SKU: "STANDARDPACK", To: "ENTERPRISEPACK", Users: []string{"frank@fabrikam.com"}}},
		},
		{
			"switch accepts -> as Slack escapes it",
			"switch E1 -&gt; E3 frank@fabrikam.com",
			Command{Verb: "switch", Op: &ledger.Op{Kind: ledger.OpSwitch, SKU: "STANDARDPACK", To: "ENTERPRISEPACK", Users: []string{"frank@fabrikam.com"}}},
		},
		{"report without a tenant covers the desk", "report", Command{Verb: "report"}},
		{"report lower-cases the tenant", "Report Contoso", Command{Verb: "report", Tenant: "contoso"}},
		{
			"add reads a number word",
			"add five SPB contoso",
			Command{Verb: "add", Tenant: "contoso", Op: &ledger.Op{Kind: ledger.OpAdd, SKU: "SPB", Quantity: 5}},
		},
		{
			"remove reads a French number word",
			"remove deux E3 contoso",
			Command{Verb: "remove", Tenant: "contoso", Op: &ledger.Op{Kind: ledger.OpRemove, SKU: "ENTERPRISEPACK", Quantity: 2}},
		},
		{
			"set reads a hyphenated French compound",
			"set vingt-cinq E1 fabrikam",
			Command{Verb: "set", Tenant: "fabrikam", Op: &ledger.Op{Kind: ledger.OpSet, SKU: "STANDARDPACK", Quantity: 25}},
		},
		{
			"add reads a hyphenated English compound",
			"add twenty-one Business Premium for contoso",
			Command{Verb: "add", Tenant: "contoso", Op: &ledger.Op{Kind: ledger.OpAdd, SKU: "SPB", Quantity: 21}},
		},
		{
			"add reads quatre-vingt-dix",
			"add Quatre-Vingt-Dix e1 contoso",
			Command{Verb: "add", Tenant: "contoso", Op: &ledger.Op{Kind: ledger.OpAdd, SKU: "STANDARDPACK", Quantity: 90}},
		},
		{
			"add reads vingt et un in three words",
			"add vingt et un E3 contoso",
			Command{Verb: "add", Tenant: "contoso", Op: &ledger.Op{Kind: ledger.OpAdd, SKU: "ENTERPRISEPACK", Quantity: 21}},
		},
		{
			"add reads a hundred and five",
			"add a hundred and five 'M365 E3' contoso",
			Command{Verb: "add", Tenant: "contoso", Op: &ledger.Op{Kind: ledger.OpAdd, SKU: "SPE_E3", Quantity: 105}},
		},
		{
			"set reads zero in words",
			"set zéro E1 contoso",
			Command{Verb: "set", Tenant: "contoso", Op: &ledger.Op{Kind: ledger.OpSet, SKU: "STANDARDPACK"}},
		},
		{
			"add reads cent mille, the largest quantity",
			"add cent mille E1 contoso",
			Command{Verb: "add", Tenant: "contoso", Op: &ledger.Op{Kind: ledger.OpAdd, SKU: "STANDARDPACK", Quantity: ledger.MaxQuantity}},
		},
		{"approve reads --dry-run", "approve " + id + " --dry-run", Command{Verb: "approve", RequestID: id, DryRun: true}},
		{
			"reject takes --dry-run out of the reason, wherever it stands",
			"reject " + id + " too many --dry-run seats",
			Command{Verb: "reject", RequestID: id, Reason: "too many seats", DryRun: true},
		},
		{
			"reject keeps a quoted --dry-run in the reason",
			"reject " + id + ` ask "--dry-run" next time`,
			Command{Verb: "reject", RequestID: id, Reason: `ask "--dry-run" next time`},
		},
		{
			"reject finds --dry-run after a quote left open",
			"reject " + id + " 'too many --dry-run",
			Command{Verb: "reject", RequestID: id, Reason: "'too many", DryRun: true},
		},
		{
			"reject keeps other dashes in the reason",
			"reject " + id + " -- --urgent — no",
			Command{Verb: "reject", RequestID: id, Reason: "-- --urgent — no"},
		},
		{"reject --help in the reason asks for the usage", "reject " + id + " no --help", Command{Verb: "help", HelpTopic: "reject"}},
		{"grant reads --dry-run", "grant --dry-run <@U123> billing", Command{Verb: "grant", SlackUser: "U123", Role: ledger.RoleBilling, DryRun: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.text, cat)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.text, err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("Parse(%q)\n got  %s\n want %s", tt.text, dumpCommand(got), dumpCommand(&tt.want))
			}
		})
	}
}

func TestParseRefusesMalformedSwitchesAndNumbers(t *testing.T) {
	cat := cmdTestCatalog(t)
	id := "LD-" + testULID
	tests := []struct {
		name    string
		text    string
		verb    string
		code    ledger.Code
		message string
		suggest []string
	}{
		{"switch without to", "switch E3 E1 alice@contoso.com", "switch", "", "the word to is missing", nil},
		{"switch with the users before the products", "switch E3 alice@contoso.com to E1", "switch", "", "the users come last", nil},
		{"switch without FROM", "switch to E1 alice@contoso.com", "switch", "", "the product to move from is missing", nil},
		{"switch without TO", "switch E3 to alice@contoso.com", "switch", "", "the product to move to is missing", nil},
		{"switch to the same product", "switch E3 to 'Office 365 E3' alice@contoso.com", "switch", "", "the same product, ENTERPRISEPACK", nil},
		{"switch without users nor --all", "switch E3 to E1 contoso", "switch", "", "no users", nil},
		{"switch with users and --all", "switch E3 to E1 --all alice@contoso.com", "switch", "", "users or --all, not both", nil},
		{"switch --all without a tenant", "switch E3 to E1 --all", "switch", "", "the tenant is missing", nil},
		{
			"switch from a misspelt product suggests it", "switch Buisness Premium to E3 alice@contoso.com", "switch",
			ledger.UnknownProduct, `unknown product "Buisness Premium"`, []string{"SPB (Microsoft 365 Business Premium)"},
		},
		{
			"switch to a misspelt product suggests it", "switch E3 to Buisness Premium contoso alice@contoso.com", "switch",
			ledger.UnknownProduct, `unknown product "Buisness Premium"`, []string{"SPB (Microsoft 365 Business Premium)"},
		},
		{"switch with a name that is no address", "switch E3 to E1 alice", "switch", "", "no users", nil},
		{"switch with a word after the users", "switch E3 to E1 alice@contoso.com bob", "switch", ledger.InvalidUser, `"bob" is not a user`, nil},
		{"switch over the user limit", "switch E3 to E1" + manyUsers(ledger.MaxUsersPerOp+1), "switch", ledger.TooManyUsers, "at most 1000", nil},
		{"switch over the size limit", "switch E3 to E1" + manyUsers(5000), "switch", ledger.TooManyUsers, "5000 named, at most 1000", nil},
		{"report takes one tenant", "report contoso fabrikam", "report", "", `unexpected "fabrikam"`, nil},
		{"report takes no --dry-run", "report --dry-run", "report", "", "report takes no options", nil},
		{"a lone un is no quantity", "add un E3 contoso", "add", ledger.InvalidQuantity, `"un" is not taken for a number of seats`, nil},
		{"a lone a is no quantity", "add a E3 contoso", "add", ledger.InvalidQuantity, `"a" is not taken for a number of seats`, nil},
		{"a lone une is no quantity", "set une E3 contoso", "set", ledger.InvalidQuantity, `"une" is not taken`, nil},
		{"a malformed compound", "add vingt-onze E3 contoso", "add", ledger.InvalidQuantity, `"vingt-onze" is not a valid number of seats`, nil},
		{"a number in words over the maximum", "add deux-cent-mille E3 contoso", "add", ledger.InvalidQuantity, "from 1 to 100000", nil},
		{"zero seats to add in words", "add zero E3 contoso", "add", ledger.InvalidQuantity, `"zero" is not a valid number of seats`, nil},
		{"a number of two languages", "add twenty-cinq E3 contoso", "add", ledger.InvalidQuantity, `"twenty-cinq"`, nil},
		{"a quoted number word is no number", `add "five" E3 contoso`, "add", "", "the number of seats is missing", nil},
		{"a misspelt --dry-run in a reason", "reject " + id + " no --dryrun", "reject", "", "unknown option --dryrun", []string{"--dry-run"}},
		{"a --dry-run with a value in a reason", "reject " + id + " no --dry-run=yes", "reject", "", "--dry-run takes no value", nil},
		{"--dry-run twice in a reason", "reject --dry-run " + id + " no --dry-run", "reject", "", "--dry-run is given twice", nil},
		{"an unknown flag before the id", "reject --force " + id, "reject", "", "unknown option --force", nil},
		{"approve takes no other option", "approve " + id + " --all", "approve", "", "--all is not an option of approve", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			uerr := mustUsageError(t, cat, tt.text)
			if uerr.Verb != tt.verb || uerr.Code != tt.code {
				t.Errorf("Verb, Code = %q, %q; want %q, %q (%s)", uerr.Verb, uerr.Code, tt.verb, tt.code, uerr.Message)
			}
			if !strings.Contains(uerr.Message, tt.message) {
				t.Errorf("Message = %q, want it to contain %q", uerr.Message, tt.message)
			}
			if uerr.Usage != Usage(tt.verb) {
				t.Errorf("Usage = %q, want %q", uerr.Usage, Usage(tt.verb))
			}
			if !reflect.DeepEqual(uerr.Suggestions, tt.suggest) {
				t.Errorf("Suggestions = %q, want %q", uerr.Suggestions, tt.suggest)
			}
		})
	}
}

// TestAMultiWordNumberIsReadOnlyWhenUnambiguous: "twenty one drive" could be
// 21 of "drive" or 20 of "one drive"; with such a product the parser asks
// for digits instead of guessing.
func TestAMultiWordNumberIsReadOnlyWhenUnambiguous(t *testing.T) {
	cat, err := ledger.NewCatalog(append(cmdTestProducts(), ledger.Product{SKU: "ONEDRIVE", Name: "One Drive"}))
	if err != nil {
		t.Fatal(err)
	}
	uerr := mustUsageError(t, cat, "add twenty one drive contoso")
	if uerr.Code != ledger.InvalidQuantity || !strings.Contains(uerr.Message, `"twenty one" could be 21 or 20`) {
		t.Errorf("Code, Message = %q, %q", uerr.Code, uerr.Message)
	}
	for text, want := range map[string]int{"add twenty one E3 contoso": 21, "add twenty 'one drive' contoso": 20, "add twenty-one drive contoso": 0} {
		cmd, err := Parse(text, cat)
		switch {
		case want == 0 && err == nil:
			t.Errorf("Parse(%q) = %s, want an unknown product", text, dumpCommand(cmd))
		case want != 0 && (err != nil || cmd.Op.Quantity != want):
			t.Errorf("Parse(%q) = %v, %v; want %d seats", text, cmd, err, want)
		}
	}
}

// TestDryRunStandsAnywhere: R-DRYRUN, --dry-run is a flag wherever it stands
// on every verb that may change the ledger: first, in the middle (inside a
// product, a user list or a reason) and last. It is never a reason, a user
// or a product.
func TestDryRunStandsAnywhere(t *testing.T) {
	cat := cmdTestCatalog(t)
	id := "LD-" + testULID
	// Each verb's words, and the places --dry-run goes between them.
	lines := map[string][]string{
		"add":       {"add", "5", "Business", "Premium", "contoso"},
		"remove":    {"remove", "2", "E3", "contoso", "--at-renewal"},
		"set":       {"set", "vingt-cinq", "E1", "fabrikam"},
		"assign":    {"assign", "E3", "contoso", "alice@contoso.com", "bob@contoso.com"},
		"unassign":  {"unassign", "E3", "alice@contoso.com", "bob@contoso.com"},
		"switch":    {"switch", "E3", "to", "E1", "alice@contoso.com", "bob@contoso.com"},
		"approve":   {"approve", id},
		"reject":    {"reject", id, "budget", "frozen"},
		"renew":     {"renew", "S1"},
		"autorenew": {"autorenew", "off", "S1"},
		"undo":      {"undo", id},
		"grant":     {"grant", "<@U123>", "billing"},
		"revoke":    {"revoke", "<@U123>", "billing"},
	}
	for _, v := range Verbs() {
		words, ok := lines[v.Name]
		if v.Writes != ok {
			t.Errorf("%s: Writes is %v but the test has %d words for it", v.Name, v.Writes, len(words))
			continue
		}
		if !ok {
			continue
		}
		base, err := Parse(strings.Join(words, " "), cat)
		if err != nil || base.DryRun {
			t.Fatalf("%s without --dry-run: %v, %v", v.Name, base, err)
		}
		for at := 1; at <= len(words); at++ {
			line := strings.Join(append(append(append([]string{}, words[:at]...), "--dry-run"), words[at:]...), " ")
			got, err := Parse(line, cat)
			if err != nil {
				t.Errorf("Parse(%q): %v", line, err)
				continue
			}
			want := *base
			want.DryRun = true
			if !reflect.DeepEqual(*got, want) {
				t.Errorf("Parse(%q)\n got  %s\n want %s", line, dumpCommand(got), dumpCommand(&want))
			}
		}
	}
}

// TestEveryVerbThatChangesTheLedgerWrites holds the verb table to what its
// verbs parse into: a verb whose command carries an Op, a request to
// decide or undo, or a role to grant, Writes (and so runs in the workers);
// BuildsOp is exactly "carries an Op"; and --dry-run is accepted by every
// verb that Writes and by no other.
func TestEveryVerbThatChangesTheLedgerWrites(t *testing.T) {
	cat := cmdTestCatalog(t)
	examples := map[string]string{
		"help": "help add", "show": "show contoso", "products": "products visio", "conflicts": "conflicts",
		"report": "report contoso", "history": "history contoso", "pending": "pending", "whoami": "whoami",
		"add": "add 1 E3 contoso", "remove": "remove 1 E3 contoso", "set": "set 1 E3 contoso",
		"assign": "assign E3 a@contoso.com", "unassign": "unassign E3 a@contoso.com",
		"switch": "switch E3 to E1 contoso --all", "approve": "approve " + testULID, "reject": "reject " + testULID,
		"renew": "renew S1", "autorenew": "autorenew on S1", "undo": "undo " + testULID,
		"grant": "grant <@U123> user", "revoke": "revoke <@U123> user",
	}
	for _, v := range Verbs() {
		text, ok := examples[v.Name]
		if !ok {
			t.Errorf("%s has no example here: say what it does to the ledger", v.Name)
			continue
		}
		cmd, err := Parse(text, cat)
		if err != nil || cmd.Verb != v.Name {
			t.Fatalf("Parse(%q) = %v, %v", text, cmd, err)
		}
		changes := cmd.Op != nil || (cmd.RequestID != "" && cmd.Verb != "help") || cmd.Role != ""
		if v.Writes != changes {
			t.Errorf("%s: Writes is %v, but its command %s changes the ledger: %v", v.Name, v.Writes, dumpCommand(cmd), changes)
		}
		if v.BuildsOp != (cmd.Op != nil) {
			t.Errorf("%s: BuildsOp is %v, but its command has Op %v", v.Name, v.BuildsOp, cmd.Op)
		}
		if v.BuildsOp && !v.Writes {
			t.Errorf("%s builds an Op but does not write", v.Name)
		}
		if dry := slices.Contains(lookupVerb(v.Name).flags, "dry-run"); dry != v.Writes {
			t.Errorf("%s: accepts --dry-run is %v, Writes is %v", v.Name, dry, v.Writes)
		}
		if verb, change := changeVerb(text); change != v.Writes || (change && verb != v.Name) {
			t.Errorf("changeVerb(%q) = %q, %v; Writes is %v", text, verb, change, v.Writes)
		}
	}
}

// TestIdsAreTheLedgersValidators: the parser takes tenant and request ids
// by the ledger's own validators, and adds only the ULID's range to them.
func TestIdsAreTheLedgersValidators(t *testing.T) {
	cat := cmdTestCatalog(t)
	for _, tenant := range []string{"a", "0", "contoso", "contoso-sa", "a-", strings.Repeat("a", 63), strings.Repeat("a", 64),
		"-a", "a_b", "a.b", "é"} {
		cmd, err := Parse("show '"+tenant+"'", cat)
		if accepted := err == nil && cmd.Tenant == tenant; accepted != ledger.ValidTenantID(tenant) {
			t.Errorf("show %q: parser accepts %v, ledger.ValidTenantID %v", tenant, accepted, ledger.ValidTenantID(tenant))
		}
	}
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	for i := 0; i < 100; i++ {
		id := ledger.NewRequestID(now.Add(time.Duration(i) * time.Hour * 24 * 365))
		if cmd, err := Parse("undo "+strings.ToLower(id), cat); err != nil || cmd.RequestID != id {
			t.Fatalf("undo %s: %v, %v", id, cmd, err)
		}
	}
	// A ULID begins with 0..7 (48 bits of time): the ledger's pattern does
	// not say so, the parser does.
	beyond := "LD-8" + testULID[1:]
	if !ledger.ValidRequestID(beyond) {
		t.Fatalf("ledger.ValidRequestID(%s) is false: the parser's extra check may go", beyond)
	}
	if uerr := mustUsageError(t, cat, "undo "+beyond); uerr.Code != ledger.InvalidRequest {
		t.Errorf("undo %s: %v", beyond, uerr)
	}
}

// TestFreeTextIsReadInLinearTime: a reason of lone quotes, each of which
// could open a quote never closed, or long words where a number goes, cost
// milliseconds, not a scan per word.
func TestFreeTextIsReadInLinearTime(t *testing.T) {
	cat := cmdTestCatalog(t)
	long := strings.Repeat("vingt-", 6000) + "cinq"
	for _, text := range []string{
		"reject LD-" + testULID + strings.Repeat(" '", 19000),
		"reject LD-" + testULID + strings.Repeat(" “a", 9000) + " --dry-run",
		"add " + strings.Repeat(long+" ", 5) + "E3 contoso",
	} {
		start := time.Now()
		Parse(text, cat)
		if d := time.Since(start); d > time.Second {
			t.Errorf("Parse(%.40q…) took %v", text, d)
		}
	}
}
