package bot

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/licensedesk/licensedesk/internal/corpora"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/licensedesk/licensedesk/ledger"
)

// cmdTestProducts is a small catalog of real products, so the tests do not
// depend on the shipped data.
func cmdTestProducts() []ledger.Product {
	return []ledger.Product{
		{SKU: "SPB", Name: "Microsoft 365 Business Premium", Aliases: []string{"Business Premium", "M365 BP"}},
		{SKU: "O365_BUSINESS_PREMIUM", Name: "Microsoft 365 Business Standard", Aliases: []string{"Business Standard"}},
		{SKU: "ENTERPRISEPACK", Name: "Office 365 E3", Aliases: []string{"E3", "O365 E3"}},
		{SKU: "SPE_E3", Name: "Microsoft 365 E3", Aliases: []string{"M365 E3"}},
		{SKU: "STANDARDPACK", Name: "Office 365 E1", Aliases: []string{"E1"}},
		{SKU: "EXCHANGESTANDARD", Name: "Exchange Online (Plan 1)", Aliases: []string{"Exchange Plan 1", "EXO P1"}},
		{SKU: "VISIOCLIENT", Name: "Visio Plan 2", Aliases: []string{"Visio"}},
	}
}

func cmdTestCatalog(t testing.TB) *ledger.Catalog {
	t.Helper()
	cat, err := ledger.NewCatalog(cmdTestProducts())
	if err != nil {
		t.Fatalf("building the test catalog: %v", err)
	}
	return cat
}

// cmdAmbiguousCatalog is cmdTestCatalog where "E3" also names Microsoft 365 E3,
// as customers often mean.
func cmdAmbiguousCatalog(t testing.TB) *ledger.Catalog {
	t.Helper()
	cat, err := ledger.NewCatalog(cmdTestProducts(), []ledger.Product{{SKU: "SPE_E3", Aliases: []string{"E3"}}})
	if err != nil {
		t.Fatalf("building the ambiguous catalog: %v", err)
	}
	return cat
}

const testULID = "01J9Z3K4M5N6P7Q8R9S0T1V2W3"

func TestParseAcceptsEveryVerb(t *testing.T) {
	cat := cmdTestCatalog(t)
	tests := []struct {
		name string
		text string
		want Command
	}{
		{"an empty command asks for help", "", Command{Verb: "help"}},
		{"blank space only asks for help", " \t\n", Command{Verb: "help"}},
		{"help alone lists every command", "help", Command{Verb: "help"}},
		{"help with a verb asks for that verb, in any case", "HELP Add", Command{Verb: "help", HelpTopic: "add"}},
		{"--help after a verb asks for its usage", "add 5 --help", Command{Verb: "help", HelpTopic: "add"}},
		{"--help after reject asks for its usage", "reject --help", Command{Verb: "help", HelpTopic: "reject"}},
		{"a question mark asks for help", "?", Command{Verb: "help"}},
		{"show without a tenant shows every tenant", "show", Command{Verb: "show"}},
		{"show lower-cases the tenant and reads --detail", "Show Contoso --DETAIL", Command{Verb: "show", Tenant: "contoso", Detail: true}},
		{"products without a search lists the catalog", "products", Command{Verb: "products"}},
		{"products joins the search words", "products business  prem", Command{Verb: "products", Query: "business prem"}},
		{
			"add reads the SPEC example with a quoted product",
			`add 5 "Business Premium" contoso`,
			Command{Verb: "add", Tenant: "contoso", Op: &ledger.Op{Kind: ledger.OpAdd, SKU: "SPB", Quantity: 5}},
		},
		{
			"add reads an unquoted product of several words and drops for",
			"add 5 business premium for contoso",
			Command{Verb: "add", Tenant: "contoso", Op: &ledger.Op{Kind: ledger.OpAdd, SKU: "SPB", Quantity: 5}},
		},
		{
			"add reads a SKU, upper-case words, --sub and --dry-run",
			"ADD 3 spb CONTOSO --sub contoso-SPB-1 --Dry-Run",
			Command{Verb: "add", Tenant: "contoso", DryRun: true,
				Op: &ledger.Op{Kind: ledger.OpAdd, SKU: "SPB", Quantity: 3, Subscription: "contoso-SPB-1"}},
		},
		{
			"add reads --sub=ID and leading zeros",
			"add 007 e1 contoso --sub=S-1",
			Command{Verb: "add", Tenant: "contoso", Op: &ledger.Op{Kind: ledger.OpAdd, SKU: "STANDARDPACK", Quantity: 7, Subscription: "S-1"}},
		},
		{
			"add accepts the largest quantity",
			"add 100000 e1 contoso",
			Command{Verb: "add", Tenant: "contoso", Op: &ledger.Op{Kind: ledger.OpAdd, SKU: "STANDARDPACK", Quantity: ledger.MaxQuantity}},
		},
		{
			"add --new buys a new subscription",
			"add 1 Visio fabrikam --new",
			Command{Verb: "add", Tenant: "fabrikam", Op: &ledger.Op{Kind: ledger.OpAdd, SKU: "VISIOCLIENT", Quantity: 1, New: true}},
		},
		{
			"add resolves a product name with punctuation",
			"add 2 exchange online (plan 1) contoso",
			Command{Verb: "add", Tenant: "contoso", Op: &ledger.Op{Kind: ledger.OpAdd, SKU: "EXCHANGESTANDARD", Quantity: 2}},
		},
		{
			"remove reads --at-renewal, --sub and --dry-run",
			"remove 2 E3 contoso --at-renewal --sub S1 --dry-run",
			Command{Verb: "remove", Tenant: "contoso", DryRun: true,
				Op: &ledger.Op{Kind: ledger.OpRemove, SKU: "ENTERPRISEPACK", Quantity: 2, Subscription: "S1", AtRenewal: true}},
		},
		{
			"set accepts zero",
			"set 0 E1 contoso",
			Command{Verb: "set", Tenant: "contoso", Op: &ledger.Op{Kind: ledger.OpSet, SKU: "STANDARDPACK"}},
		},
		{
			"set reads a new total",
			"set 40 'M365 E3' contoso --dry-run",
			Command{Verb: "set", Tenant: "contoso", DryRun: true, Op: &ledger.Op{Kind: ledger.OpSet, SKU: "SPE_E3", Quantity: 40}},
		},
		{
			"assign reads the SPEC example: no tenant and two users",
			"assign E3 alice@contoso.com bob@contoso.com",
			Command{Verb: "assign", Op: &ledger.Op{Kind: ledger.OpAssign, SKU: "ENTERPRISEPACK",
				Users: []string{"alice@contoso.com", "bob@contoso.com"}}},
		},
		{
			"assign reads a tenant after a multi-word product and de-duplicates users case-insensitively",
			"assign Business Premium contoso Alice@Contoso.com bob@contoso.com alice@contoso.com --create --dry-run",
			Command{Verb: "assign", Tenant: "contoso", DryRun: true, Op: &ledger.Op{Kind: ledger.OpAssign, SKU: "SPB",
				Users: []string{"alice@contoso.com", "bob@contoso.com"}, Create: true}},
		},
		{
			"assign drops to before the users",
			"assign E3 to alice@contoso.com",
			Command{Verb: "assign", Op: &ledger.Op{Kind: ledger.OpAssign, SKU: "ENTERPRISEPACK", Users: []string{"alice@contoso.com"}}},
		},
		{
			"assign splits users on commas and semicolons",
			"assign E3 contoso alice@contoso.com,bob@contoso.com; carol@contoso.com,",
			Command{Verb: "assign", Tenant: "contoso", Op: &ledger.Op{Kind: ledger.OpAssign, SKU: "ENTERPRISEPACK",
				Users: []string{"alice@contoso.com", "bob@contoso.com", "carol@contoso.com"}}},
		},
		{
			"assign keeps an apostrophe inside an address",
			"assign E3 o'brien@contoso.com",
			Command{Verb: "assign", Op: &ledger.Op{Kind: ledger.OpAssign, SKU: "ENTERPRISEPACK", Users: []string{"o'brien@contoso.com"}}},
		},
		{
			"unassign reduces Slack mailto links and drops from",
			"unassign M365 E3 from <mailto:alice@contoso.com|alice@contoso.com> <mailto:Bob@Contoso.com>",
			Command{Verb: "unassign", Op: &ledger.Op{Kind: ledger.OpUnassign, SKU: "SPE_E3",
				Users: []string{"alice@contoso.com", "bob@contoso.com"}}},
		},
		{
			"unassign reads a tenant and --dry-run",
			"unassign e1 contoso alice@contoso.com --dry-run",
			Command{Verb: "unassign", Tenant: "contoso", DryRun: true,
				Op: &ledger.Op{Kind: ledger.OpUnassign, SKU: "STANDARDPACK", Users: []string{"alice@contoso.com"}}},
		},
		{"conflicts without a tenant covers every tenant", "conflicts", Command{Verb: "conflicts"}},
		{"conflicts reads a tenant", "conflicts contoso", Command{Verb: "conflicts", Tenant: "contoso"}},
		{"history defaults to 20 changes", "history contoso", Command{Verb: "history", Tenant: "contoso", Limit: 20}},
		{"history reads a count", "history contoso 50", Command{Verb: "history", Tenant: "contoso", Limit: 50}},
		{"history clamps a large count to 200", "history contoso 99999999999999999999", Command{Verb: "history", Tenant: "contoso", Limit: 200}},
		{"pending takes nothing", "pending", Command{Verb: "pending"}},
		{"whoami takes nothing", "WhoAmI", Command{Verb: "whoami"}},
		{"approve upper-cases the request id", "approve ld-" + strings.ToLower(testULID), Command{Verb: "approve", RequestID: "LD-" + testULID}},
		{"approve accepts a bare ULID", "approve " + testULID, Command{Verb: "approve", RequestID: "LD-" + testULID}},
		{"approve accepts the subject tag in brackets", "approve [LD-" + testULID + "]", Command{Verb: "approve", RequestID: "LD-" + testULID}},
		{"reject without a reason", "reject LD-" + testULID, Command{Verb: "reject", RequestID: "LD-" + testULID}},
		{
			"reject keeps the reason as typed, quotes and dashes included",
			"reject LD-" + testULID + `  too many -- ask "Bob"  first 'ok `,
			Command{Verb: "reject", RequestID: "LD-" + testULID, Reason: `too many -- ask "Bob"  first 'ok`},
		},
		{
			"reject unescapes Slack entities once and reduces links in the reason",
			"reject LD-" + testULID + " R&amp;D said &amp;lt;no&amp;gt;, ask <mailto:it@contoso.com|it@contoso.com>",
			Command{Verb: "reject", RequestID: "LD-" + testULID, Reason: "R&D said &lt;no&gt;, ask it@contoso.com"},
		},
		{"renew names a subscription", "renew contoso-spb-1", Command{Verb: "renew", Op: &ledger.Op{Kind: ledger.OpRenew, Subscription: "contoso-spb-1"}}},
		{"renew reads --dry-run", "renew S1 --dry-run", Command{Verb: "renew", DryRun: true, Op: &ledger.Op{Kind: ledger.OpRenew, Subscription: "S1"}}},
		{"autorenew on", "autorenew on S1", Command{Verb: "autorenew", Op: &ledger.Op{Kind: ledger.OpAutoRenew, Subscription: "S1", AutoRenew: true}}},
		{"autorenew OFF with --dry-run", "autorenew OFF S1 --dry-run", Command{Verb: "autorenew", DryRun: true, Op: &ledger.Op{Kind: ledger.OpAutoRenew, Subscription: "S1"}}},
		{"autorenew reads the switch after the subscription", "autorenew S1 on", Command{Verb: "autorenew", Op: &ledger.Op{Kind: ledger.OpAutoRenew, Subscription: "S1", AutoRenew: true}}},
		{"undo reads --dry-run", "undo LD-" + testULID + " --dry-run", Command{Verb: "undo", RequestID: "LD-" + testULID, DryRun: true}},
		{"grant reads a Slack mention with a name", "grant <@U123|alice> billing", Command{Verb: "grant", SlackUser: "U123", Role: ledger.RoleBilling}},
		{"grant reads a mention whose name has spaces", "grant <@U0ABC|Alice Martin> Global", Command{Verb: "grant", SlackUser: "U0ABC", Role: ledger.RoleGlobal}},
		{"grant reads @ID", "grant @U123 license", Command{Verb: "grant", SlackUser: "U123", Role: ledger.RoleLicense}},
		{"grant reads the role first", "grant user <@W0ABC>", Command{Verb: "grant", SlackUser: "W0ABC", Role: ledger.RoleUser}},
		{"revoke reads a bare id", "revoke U123 user", Command{Verb: "revoke", SlackUser: "U123", Role: ledger.RoleUser}},
		{"grant reads a mention Slack escaped", "grant &lt;@U123|bob&gt; billing", Command{Verb: "grant", SlackUser: "U123", Role: ledger.RoleBilling}},
		{
			"smart double quotes group a product",
			"add 5 “Business Premium” contoso",
			Command{Verb: "add", Tenant: "contoso", Op: &ledger.Op{Kind: ledger.OpAdd, SKU: "SPB", Quantity: 5}},
		},
		{
			"smart single quotes group a product",
			"add 5 ‘Business Standard’ contoso",
			Command{Verb: "add", Tenant: "contoso", Op: &ledger.Op{Kind: ledger.OpAdd, SKU: "O365_BUSINESS_PREMIUM", Quantity: 5}},
		},
		{
			"a straight quote closes a smart one",
			`add 5 “Business Premium" contoso`,
			Command{Verb: "add", Tenant: "contoso", Op: &ledger.Op{Kind: ledger.OpAdd, SKU: "SPB", Quantity: 5}},
		},
		{"a backslash escapes a quote inside double quotes", `products "say \"hi\" \\ bye"`, Command{Verb: "products", Query: `say "hi" \ bye`}},
		{"single quotes keep backslashes", `products 'a\b'`, Command{Verb: "products", Query: `a\b`}},
		{"an empty quoted word is a word", `products ""`, Command{Verb: "products", Query: ""}},
		{
			"tabs, newlines and no-break spaces separate words",
			"add\t5\nE3\r\n\u00a0contoso",
			Command{Verb: "add", Tenant: "contoso", Op: &ledger.Op{Kind: ledger.OpAdd, SKU: "ENTERPRISEPACK", Quantity: 5}},
		},
		{
			"an em dash made by autocorrect reads as --",
			"add 5 E3 contoso —dry-run",
			Command{Verb: "add", Tenant: "contoso", DryRun: true, Op: &ledger.Op{Kind: ledger.OpAdd, SKU: "ENTERPRISEPACK", Quantity: 5}},
		},
		{
			"an ampersand escaped by Slack is unescaped",
			"products R&amp;D",
			Command{Verb: "products", Query: "R&D"},
		},
		{
			"a lone < is an ordinary character",
			"products a<b c>d",
			Command{Verb: "products", Query: "a<b c>d"},
		},
		{
			"an http link reduces to its label",
			"products <https://example.com/x|visio>",
			Command{Verb: "products", Query: "visio"},
		},
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

func dumpCommand(c *Command) string {
	b, _ := json.Marshal(c)
	return string(b)
}

func TestParseRefusesMalformedCommands(t *testing.T) {
	cat := cmdTestCatalog(t)
	short := Usage("")
	tests := []struct {
		name    string
		text    string
		verb    string // "" for an unknown verb, whose usage is the short help
		code    ledger.Code
		message string   // a part of the message
		suggest []string // exact suggestions, nil for none
	}{
		// Unknown verbs.
		{"a transposed verb suggests the verb", "shwo contoso", "", "", `unknown command "shwo"`, []string{"show"}},
		{"a missing letter suggests assign", "asign E3 alice@contoso.com", "", "", `unknown command "asign"`, []string{"assign"}},
		{"a missing letter suggests unassign", "unasign E3 alice@contoso.com", "", "", `unknown command "unasign"`, []string{"unassign"}},
		{"a prefix suggests the verb", "prod", "", "", `unknown command "prod"`, []string{"products"}},
		{"a prefix shared by verbs suggests each", "un", "", "", `unknown command "un"`, []string{"unassign", "undo"}},
		{"a far word suggests nothing", "xyzzy", "", "", `unknown command "xyzzy"`, nil},
		{"help on an unknown verb suggests one", "help shwo", "help", "", `unknown command "shwo"`, []string{"show"}},

		// Missing arguments.
		{"add without arguments names all three", "add", "add", "", "the number of seats, the product and the tenant are missing", nil},
		{"add with only a number", "add 5", "add", "", "the product and the tenant are missing", nil},
		{"add with a product and no tenant", "add 5 E3", "add", "", "the tenant is missing", nil},
		{"add with a multi-word product and no tenant", "add 5 business premium", "add", "", "the tenant is missing", nil},
		{"add with for and no tenant", "add 5 E3 for", "add", "", "the tenant is missing", nil},
		{"add with only for", "add 5 for", "add", "", "the product and the tenant are missing", nil},
		{"add with one unknown word", "add 5 contoso", "add", "", "the product or the tenant is missing", nil},
		{"add with for and no product", "add 5 for contoso", "add", "", "the product is missing", nil},
		{"add with a word instead of a number", "add several E3 contoso", "add", "", "the number of seats is missing", nil},
		{"add with the product where the number goes", "add E3 contoso", "add", "", "the number of seats is missing", nil},
		{"add with the tenant first", "add 5 contoso E3", "add", "", "the tenant goes last: add 5 E3 contoso", nil},
		{"assign without a product", "assign alice@contoso.com", "assign", "", "the product is missing", nil},
		{"assign without users", "assign E3 contoso", "assign", "", "no users", nil},
		{"history without a tenant", "history", "history", "", "the tenant is missing", nil},
		{"history with only a count", "history 50", "history", "", "the tenant is missing", nil},
		{"approve without an id", "approve", "approve", "", "the request id is missing", nil},
		{"reject without an id", "reject", "reject", "", "the request id is missing", nil},
		{"undo without an id", "undo", "undo", "", "the request id is missing", nil},
		{"renew without a subscription", "renew", "renew", "", "the subscription id is missing", nil},
		{"autorenew without a subscription", "autorenew on", "autorenew", "", "needs on or off, then the subscription id", nil},
		{"autorenew with a bad switch", "autorenew maybe S1", "autorenew", "", `not "maybe"`, nil},
		{"grant without a role", "grant <@U123>", "grant", "", "needs a Slack user", nil},

		// Extra arguments.
		{"pending takes no arguments", "pending now", "pending", "", `unexpected "now"`, nil},
		{"whoami takes no arguments", "whoami please", "whoami", "", `unexpected "please"`, nil},
		{"show takes one tenant", "show contoso fabrikam", "show", "", `unexpected "fabrikam"`, nil},
		{"help takes one verb", "help add set", "help", "", `unexpected "set"`, nil},
		{"approve takes one id", "approve LD-" + testULID + " LD-" + testULID, "approve", "", "unexpected", nil},
		{"history takes a tenant and a count", "history contoso 5 6", "history", "", `unexpected "6"`, nil},
		{"renew takes one subscription", "renew S1 S2", "renew", "", `unexpected "S2"`, nil},
		{"autorenew takes a switch and a subscription", "autorenew on S1 S2", "autorenew", "", `unexpected "S2"`, nil},
		{"grant takes a user and a role", "grant <@U123> billing now", "grant", "", `unexpected "now"`, nil},

		// Quantities.
		{"a negative quantity", "add -5 E3 contoso", "add", ledger.InvalidQuantity, `"-5" is not a valid number of seats: use a whole number from 1 to 100000`, nil},
		{"zero seats to add", "add 0 E3 contoso", "add", ledger.InvalidQuantity, `"0" is not a valid number of seats`, nil},
		{"zero seats to remove", "remove 0 E3 contoso", "remove", ledger.InvalidQuantity, "from 1 to 100000", nil},
		{"a negative total", "set -1 E3 contoso", "set", ledger.InvalidQuantity, "from 0 to 100000", nil},
		{"a decimal quantity", "add 5.5 E3 contoso", "add", ledger.InvalidQuantity, `"5.5"`, nil},
		{"an exponent", "add 1e3 E3 contoso", "add", ledger.InvalidQuantity, `"1e3"`, nil},
		{"a quantity that overflows", "add 99999999999999999999 E3 contoso", "add", ledger.InvalidQuantity, `"99999999999999999999"`, nil},
		{"a quantity just over the maximum", "add 100001 E3 contoso", "add", ledger.InvalidQuantity, `"100001"`, nil},
		{"a thousands separator", "add 1,000 E3 contoso", "add", ledger.InvalidQuantity, `"1,000"`, nil},
		{"a plus sign", "add +5 E3 contoso", "add", ledger.InvalidQuantity, `"+5"`, nil},
		{"zero changes of history", "history contoso 0", "history", ledger.InvalidQuantity, "from 1 to 200", nil},
		{"a negative history count", "history contoso -3", "history", ledger.InvalidQuantity, `"-3"`, nil},

		// Products.
		{
			"a misspelt product suggests the close one", "add 5 Buisness Premium contoso", "add",
			ledger.UnknownProduct, `unknown product "Buisness Premium"`, []string{"SPB (Microsoft 365 Business Premium)"},
		},
		{"an unknown product with nothing close", "add 5 Zorglub contoso", "add", ledger.UnknownProduct, `unknown product "Zorglub"`, nil},
		{
			"assign reports the product read before a tenant", "assign Buisness Premium contoso alice@contoso.com", "assign",
			ledger.UnknownProduct, `unknown product "Buisness Premium"`, []string{"SPB (Microsoft 365 Business Premium)"},
		},
		{
			"assign reports the whole phrase when only it is close", "assign Buisness Premium alice@contoso.com", "assign",
			ledger.UnknownProduct, `unknown product "Buisness Premium"`, []string{"SPB (Microsoft 365 Business Premium)"},
		},
		{"a product name that is too long", "add 5 " + strings.Repeat("E3 ", 100) + "contoso", "add", ledger.UnknownProduct, "the name is too long", nil},

		// Tenants.
		{"a tenant with a dot", "add 5 E3 contoso.com", "add", "", `"contoso.com" is not a tenant id`, nil},
		{"a tenant with an underscore", "show contoso_sa", "show", "", `"contoso_sa" is not a tenant id`, nil},
		{"a tenant starting with a hyphen", "conflicts -x", "conflicts", "", `"-x" is not a tenant id`, nil},
		{"a tenant too long for a slug", "show " + strings.Repeat("a", 64), "show", "", "is not a tenant id", nil},

		// Users.
		{"a user without a dot in the domain", "assign E3 alice@contoso", "assign", ledger.InvalidUser, `"alice@contoso" is not a user`, nil},
		{"a word after the users", "assign E3 alice@contoso.com bob", "assign", ledger.InvalidUser, `"bob" is not a user`, nil},
		{"a Slack mention as a user", "assign E3 <@U123>", "assign", ledger.InvalidUser, `"<@U123>" is not a user`, nil},
		{"two at signs", "unassign E3 a@b@contoso.com", "unassign", ledger.InvalidUser, `"a@b@contoso.com"`, nil},
		{"an empty local part", "assign E3 @contoso.com", "assign", ledger.InvalidUser, `"@contoso.com"`, nil},
		{"a Slack display name to grant", "grant @alice billing", "grant", ledger.InvalidUser, `"@alice" is not a Slack user`, nil},
		{"a misspelt role", "grant <@U123> biling", "grant", "", `"biling" is not a role`, []string{"billing"}},

		// Request ids.
		{"a short request id", "approve LD-123", "approve", ledger.InvalidRequest, `"LD-123" is not a request id`, nil},
		{"a request id with a letter Crockford excludes", "undo LD-01J9Z3K4M5N6P7Q8R9S0T1V2WI", "undo", ledger.InvalidRequest, "is not a request id", nil},
		{"a request id beyond the ULID range", "reject LD-81J9Z3K4M5N6P7Q8R9S0T1V2W3 no", "reject", ledger.InvalidRequest, "is not a request id", nil},

		// Flags.
		{"a misspelt flag suggests the flag", "add 5 E3 contoso --dryrun", "add", "", "unknown option --dryrun", []string{"--dry-run"}},
		{"a flag of another verb", "remove 1 E3 contoso --new", "remove", "", "--new is not an option of remove", nil},
		{"a misspelt detail", "show --detial", "show", "", "unknown option --detial", []string{"--detail"}},
		{"a flag on a verb without flags", "pending --all", "pending", "", "pending takes no options", nil},
		{"--dry-run on a read", "show contoso --dry-run", "show", "", "--dry-run is not an option of show", nil},
		{"--sub without a value", "add 5 E3 contoso --sub", "add", "", "--sub needs a value", nil},
		{"--sub followed by a flag", "add 5 E3 contoso --sub --dry-run", "add", "", "--sub needs a value", nil},
		{"--sub= empty", "add 5 E3 contoso --sub=", "add", "", "--sub needs a value", nil},
		{"--sub twice", "add 5 E3 contoso --sub a --sub b", "add", "", "--sub is given twice", nil},
		{"a value on a switch", "add 5 E3 contoso --dry-run=yes", "add", "", "--dry-run takes no value", nil},
		{"--sub with --new", "add 5 E3 contoso --sub S1 --new", "add", "", "cannot be used together", nil},
		{"a bare double dash", "add 5 E3 contoso --", "add", "", "unknown option --", nil},

		// The text itself.
		{"a double quote left open", `add 5 "Business Premium contoso`, "add", "", "quote left open", nil},
		{"a single quote left open", `products 'visio`, "products", "", "quote left open", nil},
		{"a smart quote left open", "add 5 “Business Premium contoso", "add", "", "quote left open", nil},
		{"an escaped closing quote leaves it open", `products "abc\"`, "products", "", "quote left open", nil},
		{"a NUL byte", "add 5 E3\x00 contoso", "", ledger.InvalidRequest, "control character (U+0000)", nil},
		{"an escape sequence", "show \x1b[31mcontoso", "", ledger.InvalidRequest, "control character (U+001B)", nil},
		{"a vertical tab", "show\vcontoso", "", ledger.InvalidRequest, "control character (U+000B)", nil},
		{"a C1 next-line", "show\u0085contoso", "", ledger.InvalidRequest, "control character (U+0085)", nil},
		{"a control character in a reject reason", "reject LD-" + testULID + " bad\x07", "", ledger.InvalidRequest, "control character (U+0007)", nil},
		{"invalid UTF-8", "show \xff\xfe", "", ledger.InvalidRequest, "not valid UTF-8", nil},
		{"text over 40,000 bytes", "products " + strings.Repeat("x", 40000), "products", ledger.InvalidRequest, "too long: 40009 bytes, at most 40000", nil},
		{"text over 40,000 bytes of an unknown verb", strings.Repeat("x", 40001), "", ledger.InvalidRequest, "too long", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			uerr := mustUsageError(t, cat, tt.text)
			if uerr.Verb != tt.verb {
				t.Errorf("Verb = %q, want %q", uerr.Verb, tt.verb)
			}
			if uerr.Code != tt.code {
				t.Errorf("Code = %q, want %q", uerr.Code, tt.code)
			}
			if !strings.Contains(uerr.Message, tt.message) {
				t.Errorf("Message = %q, want it to contain %q", uerr.Message, tt.message)
			}
			wantUsage := short
			if tt.verb != "" {
				wantUsage = Usage(tt.verb)
			}
			if uerr.Usage != wantUsage {
				t.Errorf("Usage = %q, want %q", uerr.Usage, wantUsage)
			}
			if !slices.Equal(uerr.Suggestions, tt.suggest) {
				t.Errorf("Suggestions = %q, want %q", uerr.Suggestions, tt.suggest)
			}
		})
	}
}

// mustUsageError parses text expecting a *UsageError and no command.
func mustUsageError(t *testing.T, cat *ledger.Catalog, text string) *UsageError {
	t.Helper()
	cmd, err := Parse(text, cat)
	if err == nil {
		t.Fatalf("Parse(%.80q) = %s, want an error", text, dumpCommand(cmd))
	}
	if cmd != nil {
		t.Errorf("Parse returned a command with its error: %s", dumpCommand(cmd))
	}
	var uerr *UsageError
	if !errors.As(err, &uerr) {
		t.Fatalf("Parse error is %T (%v), want *UsageError", err, err)
	}
	return uerr
}

func TestAmbiguousProductNamesTheCandidates(t *testing.T) {
	cat := cmdAmbiguousCatalog(t)
	wantSuggest := []string{"ENTERPRISEPACK (Office 365 E3)", "SPE_E3 (Microsoft 365 E3)"}
	tests := []struct {
		name, text, verb, phrase string
	}{
		{"in add", "add 5 E3 contoso", "add", "E3"},
		{"in assign without a tenant", "assign E3 alice@contoso.com", "assign", "E3"},
		{"in assign with a tenant", "assign e3 contoso alice@contoso.com", "assign", "e3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			uerr := mustUsageError(t, cat, tt.text)
			if uerr.Code != ledger.AmbiguousProduct || uerr.Verb != tt.verb {
				t.Fatalf("Code, Verb = %q, %q; want AmbiguousProduct, %q", uerr.Code, uerr.Verb, tt.verb)
			}
			want := tt.phrase + " could be ENTERPRISEPACK (Office 365 E3) or SPE_E3 (Microsoft 365 E3): name one"
			if uerr.Message != want {
				t.Errorf("Message = %q, want %q", uerr.Message, want)
			}
			if !slices.Equal(uerr.Suggestions, wantSuggest) {
				t.Errorf("Suggestions = %q, want %q", uerr.Suggestions, wantSuggest)
			}
		})
	}
	// Naming one resolves it.
	cmd, err := Parse("add 5 'Microsoft 365 E3' contoso", cat)
	if err != nil || cmd.Op.SKU != "SPE_E3" {
		t.Errorf("naming the product: %v, %v", cmd, err)
	}
}

// manyUsers returns n distinct addresses separated by spaces.
func manyUsers(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, " u%d@c.io", i)
	}
	return b.String()
}

func TestUserListLimits(t *testing.T) {
	cat := cmdTestCatalog(t)

	t.Run("exactly the maximum is accepted, in order", func(t *testing.T) {
		cmd, err := Parse("assign E3 contoso"+manyUsers(ledger.MaxUsersPerOp), cat)
		if err != nil {
			t.Fatal(err)
		}
		users := cmd.Op.Users
		if len(users) != ledger.MaxUsersPerOp || users[0] != "u0@c.io" || users[len(users)-1] != "u999@c.io" {
			t.Errorf("got %d users, first %q, last %q", len(users), users[0], users[len(users)-1])
		}
	})
	t.Run("duplicates beyond the maximum count once", func(t *testing.T) {
		text := "unassign E3" + strings.Repeat(" a@c.io B@C.IO", 2000)
		cmd, err := Parse(text, cat)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(cmd.Op.Users, []string{"a@c.io", "b@c.io"}) {
			t.Errorf("Users = %q", cmd.Op.Users)
		}
	})
	tests := []struct {
		name string
		text string
	}{
		{"one over the maximum", "assign E3 contoso" + manyUsers(ledger.MaxUsersPerOp+1)},
		{"3,000 users within the size limit", "unassign E3" + manyUsers(3000)},
		{"10,000 users over the size limit", "assign E3 contoso" + manyUsers(10000)},
		{"10,000 users as Slack mailto links", "assign E3" + strings.Repeat(" <mailto:a@contoso.com|a@contoso.com>", 10000)},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is too many users", func(t *testing.T) {
			start := time.Now()
			uerr := mustUsageError(t, cat, tt.text)
			elapsed := time.Since(start)
			if uerr.Code != ledger.TooManyUsers {
				t.Fatalf("Code = %q (%s), want TooManyUsers", uerr.Code, uerr.Message)
			}
			if !strings.Contains(uerr.Message, "at most 1000 per command") {
				t.Errorf("Message = %q", uerr.Message)
			}
			if uerr.Usage != Usage(uerr.Verb) || uerr.Verb == "" {
				t.Errorf("Verb, Usage = %q, %q", uerr.Verb, uerr.Usage)
			}
			// Linear work: even under -race this is milliseconds.
			if elapsed > 2*time.Second {
				t.Errorf("took %v", elapsed)
			}
		})
	}
}

func TestUsageErrorText(t *testing.T) {
	e := &UsageError{Message: `unknown command "shwo"`, Usage: "/licenses show [tenant] [--detail]", Suggestions: []string{"show", "set"}}
	want := "unknown command \"shwo\"\nUsage: /licenses show [tenant] [--detail]\nDid you mean: show, set?"
	if got := e.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e.Suggestions = nil
	if got := e.Error(); strings.Contains(got, "Did you mean") {
		t.Errorf("Error() without suggestions = %q", got)
	}
	_, err := Parse("add 5 E3 contoso --dryrun", cmdTestCatalog(t))
	want = "unknown option --dryrun\nUsage: /licenses add N product [for] tenant [--sub ID] [--new] [--dry-run]\nDid you mean: --dry-run?"
	if err == nil || err.Error() != want {
		t.Errorf("Parse error text = %v, want %q", err, want)
	}
}

func TestVerbTableIsTheOneSourceOfHelp(t *testing.T) {
	verbs := Verbs()
	wantNames := []string{"help", "show", "products", "add", "remove", "set", "assign", "unassign", "switch", "conflicts",
		"report", "history", "pending", "approve", "reject", "renew", "autorenew", "undo", "whoami", "grant", "revoke"}
	var names, changes, writes []string
	for _, v := range verbs {
		names = append(names, v.Name)
		if v.BuildsOp {
			changes = append(changes, v.Name)
		}
		if v.Writes {
			writes = append(writes, v.Name)
		}
		if v.Summary == "" {
			t.Errorf("%s has no summary", v.Name)
		}
		want := "/licenses " + v.Name
		if v.Args != "" {
			want += " " + v.Args
		}
		if got := Usage(strings.ToUpper(v.Name)); got != want {
			t.Errorf("Usage(%s) = %q, want %q", v.Name, got, want)
		}
	}
	if !slices.Equal(names, wantNames) {
		t.Errorf("verbs = %q, want %q", names, wantNames)
	}
	if want := []string{"add", "remove", "set", "assign", "unassign", "switch", "renew", "autorenew"}; !slices.Equal(changes, want) {
		t.Errorf("change verbs = %q, want %q", changes, want)
	}
	if want := []string{"add", "remove", "set", "assign", "unassign", "switch", "approve", "reject", "renew", "autorenew",
		"undo", "grant", "revoke"}; !slices.Equal(writes, want) {
		t.Errorf("verbs that write = %q, want %q", writes, want)
	}
	for _, spec := range verbTable {
		for _, f := range spec.flags {
			if !strings.Contains(spec.Args, "[--"+f) {
				t.Errorf("%s accepts --%s but its usage %q does not show it", spec.Name, f, spec.Args)
			}
			if _, ok := flagTakesValue[f]; !ok {
				t.Errorf("%s lists --%s, which flagTakesValue does not know", spec.Name, f)
			}
		}
		if strings.Count(spec.Args, "[--") != len(spec.flags) {
			t.Errorf("%s usage %q shows flags it does not accept", spec.Name, spec.Args)
		}
	}
	// Verbs returns a copy: callers cannot edit the table.
	verbs[0].Name = "changed"
	if Verbs()[0].Name != "help" {
		t.Error("Verbs exposes the table itself")
	}

	lines := strings.Split(HelpText(), "\n")
	if len(lines) != len(wantNames) {
		t.Fatalf("HelpText has %d lines, want %d", len(lines), len(wantNames))
	}
	for i, v := range Verbs() {
		if !strings.HasPrefix(lines[i], Usage(v.Name)+" — "+v.Summary) {
			t.Errorf("help line %d = %q", i, lines[i])
		}
	}
	usageShort := Usage("nope")
	for _, n := range wantNames {
		if !strings.Contains(usageShort, n) {
			t.Errorf("short help %q lacks %s", usageShort, n)
		}
	}
}

func TestEveryVerbHasAParser(t *testing.T) {
	cat := cmdTestCatalog(t)
	for _, v := range Verbs() {
		cmd, err := Parse(v.Name, cat)
		var uerr *UsageError
		switch {
		case err == nil && cmd.Verb != v.Name:
			t.Errorf("Parse(%q).Verb = %q", v.Name, cmd.Verb)
		case errors.As(err, &uerr) && (uerr.Verb != v.Name || strings.Contains(uerr.Message, "not implemented")):
			t.Errorf("Parse(%q): %v (verb %q)", v.Name, err, uerr.Verb)
		}
	}
}

func TestDryRunIsAcceptedOnEveryChange(t *testing.T) {
	cat := cmdTestCatalog(t)
	changes := map[string]string{
		"add":       "add 1 E3 contoso",
		"remove":    "remove 1 E3 contoso",
		"set":       "set 1 E3 contoso",
		"assign":    "assign E3 a@contoso.com",
		"unassign":  "unassign E3 a@contoso.com",
		"switch":    "switch E3 to E1 a@contoso.com",
		"approve":   "approve LD-" + testULID,
		"reject":    "reject LD-" + testULID + " too many",
		"renew":     "renew S1",
		"autorenew": "autorenew on S1",
		"undo":      "undo LD-" + testULID,
		"grant":     "grant <@U123> billing",
		"revoke":    "revoke <@U123> billing",
	}
	for _, v := range Verbs() {
		text, isChange := changes[v.Name]
		if !isChange {
			continue
		}
		for _, dry := range []bool{false, true} {
			line := text
			if dry {
				line += " --dry-run"
			}
			cmd, err := Parse(line, cat)
			if err != nil {
				t.Errorf("Parse(%q): %v", line, err)
				continue
			}
			if cmd.DryRun != dry {
				t.Errorf("Parse(%q).DryRun = %v", line, cmd.DryRun)
			}
			if v.BuildsOp != (cmd.Op != nil) {
				t.Errorf("Parse(%q): BuildsOp is %v but Op is %v", line, v.BuildsOp, cmd.Op)
			}
		}
	}
	if len(changes) != 13 {
		t.Fatal("the table of change verbs was edited without this test")
	}
	for _, v := range Verbs() {
		if _, ok := changes[v.Name]; v.Writes && !ok {
			t.Errorf("%s writes but this test has no example of it", v.Name)
		}
	}
}

func TestParseWithoutACatalogRefusesProducts(t *testing.T) {
	uerr := mustUsageError(t, nil, "add 5 E3 contoso")
	if uerr.Code != ledger.UnknownProduct {
		t.Errorf("Code = %q", uerr.Code)
	}
	if cmd, err := Parse("show contoso", nil); err != nil || cmd.Tenant != "contoso" {
		t.Errorf("show without a catalog: %v, %v", cmd, err)
	}
}

// TestSlackCorpusPayloads runs the text and user id of real slash-command
// payloads (Slack's docs, bolt-python, slack-go) through the parser.
func TestSlackCorpusPayloads(t *testing.T) {
	dir := corpora.Dir(t)
	path := filepath.Join(dir, "3_slack", "slack_vectors.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("corpora not found at %s: skipping third-party corpus test", path)
	}
	var vectors struct {
		Payloads []struct {
			ID         string            `json:"id"`
			RawBody    string            `json:"raw_body"`
			DocText    string            `json:"doc_text"`
			FormValues map[string]string `json:"form_values"`
			Expected   map[string]string `json:"expected"`
		} `json:"slash_command_payloads"`
	}
	if err := json.Unmarshal(raw, &vectors); err != nil {
		t.Fatal(err)
	}
	if len(vectors.Payloads) == 0 {
		t.Fatal("no slash_command_payloads in the corpus")
	}
	cat := cmdTestCatalog(t)
	for _, p := range vectors.Payloads {
		t.Run(p.ID, func(t *testing.T) {
			form := url.Values{}
			switch {
			case p.RawBody != "":
				if form, err = url.ParseQuery(p.RawBody); err != nil {
					t.Fatal(err)
				}
			case p.DocText != "":
				for line := range strings.SplitSeq(p.DocText, "\n") {
					k, v, _ := strings.Cut(line, "=")
					form.Set(k, v)
				}
			default:
				for k, v := range p.FormValues {
					form.Set(k, v)
				}
			}
			if want, ok := p.Expected["text"]; ok && form.Get("text") != want {
				t.Fatalf("decoded text %q, corpus expects %q", form.Get("text"), want)
			}
			text, user := form.Get("text"), form.Get("user_id")
			cmd, err := Parse(text, cat)
			var uerr *UsageError
			switch {
			case text == "" && (err != nil || cmd.Verb != "help"):
				t.Errorf("empty text: %v, %v; want help", cmd, err)
			case text != "" && !(errors.As(err, &uerr) && uerr.Verb == "" && uerr.Usage == Usage("")):
				t.Errorf("Parse(%q) = %v, %v; want an unknown-command error", text, cmd, err)
			}
			mention := fmt.Sprintf("grant <@%s|%s> billing", user, form.Get("user_name"))
			cmd, err = Parse(mention, cat)
			if err != nil || cmd.SlackUser != user || cmd.Role != ledger.RoleBilling {
				t.Errorf("Parse(%q) = %v, %v; want SlackUser %s", mention, cmd, err, user)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	cat := cmdTestCatalog(f)
	for _, s := range []string{
		`add 5 "Business Premium" contoso --dry-run`,
		"assign E3 alice@contoso.com bob@contoso.com",
		"unassign M365 E3 contoso <mailto:a@contoso.com|a@contoso.com>",
		"reject LD-" + testULID + " “why” &amp;lt;",
		"grant <@U123|a b> billing",
		`products "a\"b`,
		"history contoso 999",
		"switch E3 to 'M365 E3' contoso --all --return --dry-run",
		"add vingt et un E3 contoso",
		"reject LD-" + testULID + " 'no --dry-run “x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		cmd, err := Parse(text, cat)
		if err != nil {
			var uerr *UsageError
			if !errors.As(err, &uerr) {
				t.Fatalf("error %T is not a *UsageError", err)
			}
			if cmd != nil || uerr.Message == "" || uerr.Usage == "" {
				t.Fatalf("bad error: cmd %v, %#v", cmd, uerr)
			}
			return
		}
		if cmd == nil || lookupVerb(cmd.Verb) == nil {
			t.Fatalf("bad command %v", cmd)
		}
		if cmd.Tenant != "" && !ledger.ValidTenantID(cmd.Tenant) {
			t.Fatalf("tenant %q is not a slug", cmd.Tenant)
		}
		op := cmd.Op
		if op == nil {
			return
		}
		switch op.Kind {
		case ledger.OpRenew, ledger.OpAutoRenew:
			if op.Subscription == "" || op.SKU != "" {
				t.Fatalf("%s op %+v", op.Kind, op)
			}
			return
		}
		if _, ok := cat.Get(op.SKU); !ok || op.SKU == "" {
			t.Fatalf("op SKU %q is not in the catalog", op.SKU)
		}
		minQty := 1
		switch op.Kind {
		case ledger.OpSet:
			minQty = 0
		case ledger.OpSwitch:
			minQty = 0
			if _, ok := cat.Get(op.To); !ok || op.To == op.SKU || op.Quantity != 0 {
				t.Fatalf("switch from %q to %q, quantity %d", op.SKU, op.To, op.Quantity)
			}
			if op.All != (len(op.Users) == 0) || op.All && cmd.Tenant == "" || len(op.Users) > ledger.MaxUsersPerOp {
				t.Fatalf("switch with --all %v, %d users, tenant %q", op.All, len(op.Users), cmd.Tenant)
			}
		case ledger.OpAssign, ledger.OpUnassign:
			minQty = 0
			if len(op.Users) == 0 || len(op.Users) > ledger.MaxUsersPerOp || op.Quantity != 0 {
				t.Fatalf("%d users, quantity %d", len(op.Users), op.Quantity)
			}
		}
		seen := map[string]bool{}
		for _, u := range op.Users {
			if seen[u] || u != strings.ToLower(u) || !looksLikeEmail(u) {
				t.Fatalf("bad or repeated user %q", u)
			}
			seen[u] = true
		}
		if op.Quantity < minQty || op.Quantity > ledger.MaxQuantity {
			t.Fatalf("quantity %d out of bounds for %s", op.Quantity, op.Kind)
		}
	})
}
