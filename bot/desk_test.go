package bot_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/licensedesk/licensedesk/bot"
	"github.com/licensedesk/licensedesk/internal/testredis"
	"github.com/licensedesk/licensedesk/ledger"
	"github.com/redis/go-redis/v9"
)

func newDesk(t *testing.T) *bot.Desk {
	t.Helper()
	rdb := testredis.New(t)
	l := ledger.New(rdb, nil, ledger.NewManualClock(time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)), nil)
	if err := l.ImportFile(context.Background(), "../ledger/testdata/seed.yaml"); err != nil {
		t.Fatalf("seed: %v", err)
	}
	d, err := bot.NewDesk(l)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDeskRunsCommands(t *testing.T) {
	op := bot.Caller{Operator: true}
	as := func(u string) bot.Caller { return bot.Caller{SlackUser: u} }
	cases := []struct {
		name   string
		text   string
		who    bot.Caller
		status ledger.Status
		exit   int
		want   []string // substrings of the reply
	}{
		{"help lists the verbs", "help", as("U0STRANGER"), ledger.StatusApplied, 0, []string{"/licenses add N product", "/licenses assign"}},
		{"whoami tells a stranger they have no role", "whoami", as("U0STRANGER"), ledger.StatusApplied, 0, []string{"no role"}},
		{"a stranger cannot read", "show contoso", as("U0STRANGER"), ledger.StatusRefused, 1, []string{"NotAuthorized"}},
		{"show is the Licenses page", "show contoso", as("U0USER"), ledger.StatusApplied, 0, []string{"Microsoft 365 Business Premium", "SPB", "13", "11"}},
		{"show --detail breaks totals down by subscription", "show contoso --detail", op, ledger.StatusApplied, 0, []string{"contoso-spb-1", "contoso-spb-2", "3 added 2026-11-18"}},
		{"show without tenant lists the tenants", "show", op, ledger.StatusApplied, 0, []string{"contoso", "fabrikam"}},
		{"a mistyped tenant gets did you mean", "show contosso", op, ledger.StatusRefused, 1, []string{"UnknownTenant", "Did you mean: contoso"}},
		{"products searches the catalog", "products business premium", op, ledger.StatusApplied, 0, []string{"SPB", "Microsoft 365 Business Premium"}},
		{"add reports before and after and the cost", `add 5 "Business Premium" contoso`, as("U0BILL"), ledger.StatusApplied, 0, []string{"total 13 → 18", "new monthly cost", "prorated charge"}},
		{"a refusal explains the next step", "remove 3 SPB contoso", op, ledger.StatusRefused, 1, []string{"CountViolation", "alice@contoso.com", "Unassign users first"}},
		{"assign infers the tenant from the users' domain", "assign E3 dave@contoso.com bob@contoso.com", as("U0LIC"), ledger.StatusApplied, 0, []string{"✓ dave@contoso.com", "AlreadyAssigned"}},
		{"assign to users of no tenant says so", "assign E3 x@nowhere.example", as("U0LIC"), ledger.StatusRefused, 1, []string{"UnknownTenant"}},
		{"unassign warns about data retention", "unassign SPB contoso alice@contoso.com", op, ledger.StatusApplied, 0, []string{"mailbox data kept", "until 2026-12-20"}},
		{"a dry run changes nothing", "add 2 SPB contoso --dry-run", op, ledger.StatusDryRun, 0, []string{"Dry run", "total 13 → 15"}},
		{"renew finds the tenant from the subscription", "renew contoso-p2-1", as("U0BILL"), ledger.StatusApplied, 0, []string{"renew", "AAD_PREMIUM_P2"}},
		{"renew of an unknown subscription", "renew nope-1", as("U0BILL"), ledger.StatusRefused, 1, []string{"UnknownSubscription"}},
		{"autorenew off", "autorenew off contoso-spb-2", as("U0BILL"), ledger.StatusApplied, 0, []string{"autorenew"}},
		{"conflicts on a healthy desk", "conflicts", op, ledger.StatusApplied, 0, []string{"No conflicts"}},
		{"history shows the import", "history contoso 5", op, ledger.StatusApplied, 0, []string{"import"}},
		{"history names who asked and through which channel", "history contoso 1", as("U0USER"), ledger.StatusApplied, 0, []string{"import"}},
		{"a billing admin cannot grant", "grant <@U0NEWBIE1> license", as("U0BILL"), ledger.StatusRefused, 1, []string{"NotAuthorized"}},
		{"a global admin grants", "grant <@U0NEWBIE1|newbie> license", as("U0GLOBAL"), ledger.StatusApplied, 0, []string{"Granted the role license to U0NEWBIE1"}},
		{"pending is empty", "pending", op, ledger.StatusApplied, 0, []string{"No request is waiting"}},
		{"approve of an unknown request", "approve LD-01JZZZZZZZZZZZZZZZZZZZZZZZ", as("U0GLOBAL"), ledger.StatusRefused, 1, []string{"UnknownRequest"}},
		{"reject of an unknown request", "reject LD-01JZZZZZZZZZZZZZZZZZZZZZZZ too many", as("U0GLOBAL"), ledger.StatusRefused, 1, []string{"UnknownRequest"}},
		{"a typo in the verb gets usage", "asign E3 contoso dave@contoso.com", op, ledger.StatusRefused, 2, []string{"Did you mean: assign"}},
		{"an open quote gets usage", `add 5 "Business Premium contoso`, op, ledger.StatusRefused, 2, []string{"quote"}},
		{"control characters get usage", "show \x00contoso", op, ledger.StatusRefused, 2, []string{"Usage"}},
	}
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := newDesk(t) // every case starts from the seed
			rep, err := d.Run(ctx, c.text, c.who, bot.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Status != c.status || rep.ExitCode() != c.exit {
				t.Errorf("status %s exit %d, want %s %d\n%s", rep.Status, rep.ExitCode(), c.status, c.exit, rep.Text)
			}
			for _, w := range c.want {
				if !strings.Contains(rep.Text, w) {
					t.Errorf("reply lacks %q:\n%s", w, rep.Text)
				}
			}
		})
	}
}

func TestDeskUndoAndIdempotency(t *testing.T) {
	d := newDesk(t)
	ctx := context.Background()
	op := bot.Caller{Operator: true}
	first, err := d.Run(ctx, "add 2 SPB contoso", op, bot.Options{IdempotencyKey: "slack-retry-1"})
	if err != nil || first.Result == nil || first.Status != ledger.StatusApplied {
		t.Fatalf("%+v %v", first, err)
	}
	again, _ := d.Run(ctx, "add 2 SPB contoso", op, bot.Options{IdempotencyKey: "slack-retry-1"})
	if again.Status != ledger.StatusDuplicate || again.ExitCode() != 0 || !strings.Contains(again.Text, "Already processed") {
		t.Errorf("retry: %s\n%s", again.Status, again.Text)
	}
	hist, _ := d.Run(ctx, "history contoso 2", op, bot.Options{})
	if !strings.Contains(hist.Text, "· cli · cli · applied") || !strings.Contains(hist.Text, "asked: add 2 SPB contoso") {
		t.Errorf("history should name channel, requester and the command:\n%s", hist.Text)
	}
	undo, _ := d.Run(ctx, "undo "+first.Result.RequestID, op, bot.Options{})
	if undo.Status != ledger.StatusApplied || !strings.Contains(undo.Text, "undoes "+first.Result.RequestID) {
		t.Errorf("undo: %s\n%s", undo.Status, undo.Text)
	}
	show, _ := d.Run(ctx, "show contoso", op, bot.Options{})
	if !strings.Contains(show.Text, "SPB                    13") {
		t.Errorf("after undo SPB should be back to 13:\n%s", show.Text)
	}
}

func TestDeskApprovesAndRejectsEmailedRequests(t *testing.T) {
	d := newDesk(t)
	ctx := context.Background()
	var ids []string
	for _, n := range []int{20, 30} {
		res, err := d.Ledger.Submit(ctx, ledger.Request{Tenant: "contoso", Requester: ledger.Requester{ID: "it@contoso.com"},
			Origin: ledger.Origin{Channel: ledger.ChannelEmail, From: "it@contoso.com", Subject: "Licences"},
			Ops:    []ledger.Op{{Kind: ledger.OpAdd, SKU: "SPB", Quantity: n}}})
		if err != nil || res.Status != ledger.StatusPendingApproval {
			t.Fatalf("%+v %v", res, err)
		}
		ids = append(ids, res.RequestID)
	}
	list, _ := d.Run(ctx, "pending", bot.Caller{SlackUser: "U0USER"}, bot.Options{})
	for _, want := range []string{ids[0], ids[1], "total 13 → 33", "subject: Licences"} {
		if !strings.Contains(list.Text, want) {
			t.Errorf("pending lacks %q:\n%s", want, list.Text)
		}
	}
	ok, _ := d.Run(ctx, "approve "+ids[0], bot.Caller{SlackUser: "U0BILL"}, bot.Options{})
	if ok.Status != ledger.StatusApplied || !strings.Contains(ok.Text, "Approved by U0BILL") {
		t.Errorf("approve:\n%s", ok.Text)
	}
	twice, _ := d.Run(ctx, "approve "+ids[0], bot.Caller{SlackUser: "U0BILL"}, bot.Options{})
	if twice.Status == ledger.StatusApplied || !strings.Contains(twice.Text, "no longer pending") {
		t.Errorf("second approve:\n%s", twice.Text)
	}
	no, _ := d.Run(ctx, "reject "+ids[1]+" budget frozen until January", bot.Caller{SlackUser: "U0GLOBAL"}, bot.Options{})
	if no.Status != ledger.StatusRejected || !strings.Contains(no.Text, "Rejected by U0GLOBAL: budget frozen until January") {
		t.Errorf("reject:\n%s", no.Text)
	}
	if rep, _ := d.Run(ctx, "pending", bot.Caller{Operator: true}, bot.Options{}); !strings.Contains(rep.Text, "No request is waiting") {
		t.Errorf("still pending:\n%s", rep.Text)
	}
}

// downDesk is a desk whose store does not answer: nothing listens on port 1.
func downDesk(t *testing.T) *bot.Desk {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { rdb.Close() })
	d, err := bot.NewDesk(ledger.New(rdb, nil, ledger.NewManualClock(time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)), nil))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDeskAnswersHelpAndWhoamiWithoutTheStore(t *testing.T) {
	d := downDesk(t)
	ctx := context.Background()
	who := bot.Caller{SlackUser: "U0ALICE"}
	if _, err := d.Run(ctx, "show contoso", who, bot.Options{}); err == nil {
		t.Fatal("show answered: the store is not down")
	}
	for text, want := range map[string]string{
		"help":     "/licenses add N product",
		"":         "/licenses whoami",
		"help add": "/licenses add N product [for] tenant",
		"whoami":   "You are U0ALICE. Your roles at the desk could not be read",
	} {
		rep, err := d.Run(ctx, text, who, bot.Options{})
		if err != nil {
			t.Errorf("%q: %v", text, err)
			continue
		}
		if rep.Status != ledger.StatusApplied || rep.ExitCode() != 0 || !strings.Contains(rep.Text, want) {
			t.Errorf("%q: status %s exit %d, want %q in:\n%s", text, rep.Status, rep.ExitCode(), want, rep.Text)
		}
	}
}

func TestDeskRoleRefusalsSayWhy(t *testing.T) {
	cases := []struct {
		name, text, as, want, notWant string
	}{
		{"a billing admin granting themself a role", "grant <@U0BILL> global", "U0BILL", "only global admins may grant or revoke roles", "their own"},
		{"a billing admin revoking their own role", "revoke <@U0BILL> billing", "U0BILL", "only global admins may grant or revoke roles", "their own"},
		{"a user granting someone else", "grant <@U0NEWBIE1> user --dry-run", "U0USER", "only global admins may grant or revoke roles", "their own"},
		{"a global admin revoking their own global role", "revoke <@U0GLOBAL> global", "U0GLOBAL", "a global admin may not revoke their own global role", "only global"},
		{"the same as a dry run", "revoke <@U0GLOBAL> global --dry-run", "U0GLOBAL", "a global admin may not revoke their own global role", "only global"},
	}
	d := newDesk(t)
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep, err := d.Run(ctx, c.text, bot.Caller{SlackUser: c.as}, bot.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Status != ledger.StatusRefused || len(rep.Errors) != 1 || rep.Errors[0].Code != ledger.NotAuthorized ||
				!strings.Contains(rep.Text, c.want) || strings.Contains(rep.Text, c.notWant) {
				t.Errorf("status %s, errors %v, want NotAuthorized saying %q:\n%s", rep.Status, rep.Errors, c.want, rep.Text)
			}
		})
	}
	roles, err := d.Ledger.AdminRoles(ctx, "U0GLOBAL")
	if err != nil || !ledger.HasRole(roles, ledger.RoleGlobal) {
		t.Errorf("U0GLOBAL's roles: %v, %v", roles, err)
	}
}

// TestDeskDryRunsOfDecisionsAndRolesChangeNothing: R-DRYRUN for approve,
// reject, grant and revoke, which do not go through ledger.Submit.
func TestDeskDryRunsOfDecisionsAndRolesChangeNothing(t *testing.T) {
	d := newDesk(t)
	ctx := context.Background()
	var ids []string
	for _, n := range []int{20, 30} {
		res, err := d.Ledger.Submit(ctx, ledger.Request{Tenant: "contoso", Requester: ledger.Requester{ID: "it@contoso.com"},
			Origin: ledger.Origin{Channel: ledger.ChannelEmail, From: "it@contoso.com", Subject: "Licences"},
			Ops:    []ledger.Op{{Kind: ledger.OpAdd, SKU: "SPB", Quantity: n}}})
		if err != nil || res.Status != ledger.StatusPendingApproval {
			t.Fatalf("%+v %v", res, err)
		}
		ids = append(ids, res.RequestID)
	}
	outbox, err := d.Ledger.OutboxLen(ctx, "contoso")
	if err != nil {
		t.Fatal(err)
	}
	global, bill := bot.Caller{SlackUser: "U0GLOBAL"}, bot.Caller{SlackUser: "U0BILL"}
	cases := []struct {
		text string
		who  bot.Caller
		want []string
	}{
		{"approve " + ids[0] + " --dry-run", bill, []string{"nothing was decided", "approve " + ids[0] + " would check it again", "total 13 → 33"}},
		{"approve --dry-run " + ids[1], global, []string{"nothing was decided", ids[1], "total 13 → 43"}},
		{"reject " + ids[1] + " budget frozen --dry-run", global, []string{"customer was told nothing", "would refuse", "with the reason: budget frozen"}},
		{"reject " + ids[1] + " --dry-run budget frozen", global, []string{"with the reason: budget frozen"}},
		{"reject --dry-run " + ids[0], bill, []string{"reject " + ids[0] + " would refuse this request"}},
		{"grant <@U0NEWBIE1> license --dry-run", global, []string{"Dry run: nothing changed. grant would give the role license to U0NEWBIE1"}},
		{"grant --dry-run <@U0BILL> billing", global, []string{"U0BILL already has the role billing: grant would change nothing"}},
		{"revoke <@U0LIC> license --dry-run", global, []string{"revoke would take the role license from U0LIC"}},
		{"revoke <@U0LIC> billing --dry-run", global, []string{"U0LIC does not have the role billing: revoke would change nothing"}},
	}
	for _, c := range cases {
		rep, err := d.Run(ctx, c.text, c.who, bot.Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.text, err)
		}
		if rep.Status != ledger.StatusDryRun || rep.ExitCode() != 0 || rep.Result != nil || !rep.Command.DryRun {
			t.Errorf("%s: status %s exit %d result %v", c.text, rep.Status, rep.ExitCode(), rep.Result)
		}
		for _, w := range c.want {
			if !strings.Contains(rep.Text, w) {
				t.Errorf("%s: reply lacks %q:\n%s", c.text, w, rep.Text)
			}
		}
	}
	// Nothing was decided, nothing reached a customer, no role changed.
	ps, err := d.Ledger.Pending(ctx)
	if err != nil || len(ps) != 2 {
		t.Errorf("pending after the dry runs: %d, %v", len(ps), err)
	}
	if n, err := d.Ledger.OutboxLen(ctx, "contoso"); err != nil || n != outbox {
		t.Errorf("outbox: %d entries, was %d (%v)", n, outbox, err)
	}
	for user, want := range map[string][]ledger.Role{"U0NEWBIE1": nil, "U0LIC": {ledger.RoleLicense}} {
		if roles, err := d.Ledger.AdminRoles(ctx, user); err != nil || !slices.Equal(roles, want) {
			t.Errorf("%s's roles: %v, %v; want %v", user, roles, err, want)
		}
	}
	// A dry run on a request that is not pending says why, as Decide would.
	if rep, _ := d.Run(ctx, "approve "+ids[0], bill, bot.Options{}); rep.Status != ledger.StatusApplied {
		t.Fatalf("approve: %s\n%s", rep.Status, rep.Text)
	}
	for text, code := range map[string]ledger.Code{
		"approve " + ids[0] + " --dry-run":                  ledger.AlreadyDecided,
		"reject LD-01JZZZZZZZZZZZZZZZZZZZZZZZ no --dry-run": ledger.UnknownRequest,
	} {
		rep, err := d.Run(ctx, text, global, bot.Options{})
		if err != nil || rep.Status != ledger.StatusRefused || len(rep.Errors) != 1 || rep.Errors[0].Code != code {
			t.Errorf("%s: %s %v %v, want %s", text, rep.Status, rep.Errors, err, code)
		}
	}
}

func TestDeskSubmitsASwitchToTheUsersTenant(t *testing.T) {
	d := newDesk(t)
	ctx := context.Background()
	op := bot.Caller{Operator: true}
	rep, err := d.Run(ctx, "switch SPB to E3 alice@contoso.com --dry-run", op, bot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Usage != nil || rep.Result == nil || rep.Result.Tenant != "contoso" {
		t.Fatalf("switch: %+v\n%s", rep.Result, rep.Text)
	}
	rep, err = d.Run(ctx, "switch SPB to E3 x@nowhere.example", op, bot.Options{})
	if err != nil || rep.Status != ledger.StatusRefused || !strings.Contains(rep.Text, "no tenant owns the users' domain") {
		t.Errorf("switch of users of no tenant: %s %v\n%s", rep.Status, err, rep.Text)
	}
}

// TestDeskReport (R-REPORT): global, billing and license admins and the
// operator read the report; anyone else is refused as a read ("not
// allowed to view"), sees no figures, and learns nothing of the tenant.
func TestDeskReport(t *testing.T) {
	d := newDesk(t)
	ctx := context.Background()
	as := func(u string) bot.Caller { return bot.Caller{SlackUser: u} }
	cases := []struct {
		name    string
		text    string
		who     bot.Caller
		code    ledger.Code // "" when answered
		tenants []string
		want    []string
	}{
		{"the operator reads the desk's report", "report", bot.Caller{Operator: true}, "", []string{"contoso", "fabrikam"},
			[]string{"Unassigned seats cost", "across 2 tenants", "1. contoso (Contoso SA)"}},
		{"a global admin reads a tenant's", "report contoso", as("U0GLOBAL"), "", []string{"contoso"},
			[]string{"Contoso SA (contoso) · unassigned seats cost", "3 returnable until 2026-11-25 09:00 UTC (contoso-spb-1)"}},
		{"a billing admin reads a tenant's", "report fabrikam", as("U0BILL"), "", []string{"fabrikam"}, []string{"Fabrikam Ltd (fabrikam)"}},
		{"a license admin reads the desk's", "report", as("U0LIC"), "", []string{"contoso", "fabrikam"}, []string{"Unassigned seats cost"}},
		{"a user admin is refused", "report", as("U0USER"), ledger.NotAuthorized, nil, []string{"the report needs the role global, billing or license", "You are not allowed to view this"}},
		{"a user admin learns nothing of an unknown tenant", "report nope", as("U0USER"), ledger.NotAuthorized, nil, []string{"You are not allowed to view this"}},
		{"a stranger is refused", "report contoso", as("U0STRANGER"), ledger.NotAuthorized, nil, []string{"You are not allowed to view this"}},
		{"a mistyped tenant gets did you mean", "report contosso", as("U0LIC"), ledger.UnknownTenant, nil, []string{`no tenant "contosso"`, "Did you mean: contoso?"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep, err := d.Run(ctx, c.text, c.who, bot.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range c.want {
				if !strings.Contains(rep.Text, w) {
					t.Errorf("reply lacks %q:\n%s", w, rep.Text)
				}
			}
			if c.code != "" {
				if rep.Status != ledger.StatusRefused || rep.ExitCode() != 1 || len(rep.Errors) != 1 || rep.Errors[0].Code != c.code || rep.Data != nil {
					t.Errorf("status %s exit %d errors %v data %v, want refused with %s and no data", rep.Status, rep.ExitCode(), rep.Errors, rep.Data, c.code)
				}
				if strings.Contains(rep.Text, "EUR") || strings.Contains(rep.Text, "make this change") {
					t.Errorf("a refused report shows figures or speaks of a change:\n%s", rep.Text)
				}
				return
			}
			r, ok := rep.Data.(ledger.Report)
			if rep.Status != ledger.StatusApplied || rep.ExitCode() != 0 || !ok {
				t.Fatalf("status %s exit %d data %T, want the report", rep.Status, rep.ExitCode(), rep.Data)
			}
			var got []string
			for _, tr := range r.Tenants {
				got = append(got, tr.Tenant)
			}
			if !slices.Equal(got, c.tenants) {
				t.Errorf("tenants %v, want %v", got, c.tenants)
			}
			if rep.Text != d.Renderer.Report(r) {
				t.Errorf("the text is not the renderer's report:\n%s", rep.Text)
			}
		})
	}
}

// TestTheReportsJSONIsSPECsShape: exec --json prints Reply.Data, which
// must hold the fields of SPEC §6's report --json.
func TestTheReportsJSONIsSPECsShape(t *testing.T) {
	d := newDesk(t)
	rep, err := d.Run(context.Background(), "report", bot.Caller{Operator: true}, bot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(rep.Data)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tenants []map[string]json.RawMessage `json:"tenants"`
		Cost    *float64                     `json:"unassigned_monthly_cost"`
		Cur     string                       `json:"currency"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil || doc.Cost == nil || doc.Cur == "" || len(doc.Tenants) != 2 {
		t.Fatalf("the report's JSON: %v\n%s", err, raw)
	}
	has := func(what string, obj map[string]json.RawMessage, keys ...string) {
		t.Helper()
		for _, k := range keys {
			if _, ok := obj[k]; !ok {
				t.Errorf("%s lacks %q: %v", what, k, obj)
			}
		}
	}
	contoso := doc.Tenants[0]
	has("a tenant", contoso, "tenant", "name", "unassigned_monthly_cost", "alerts", "products")
	var alerts, products []map[string]json.RawMessage
	json.Unmarshal(contoso["alerts"], &alerts)
	json.Unmarshal(contoso["products"], &products)
	if len(alerts) == 0 || len(products) == 0 {
		t.Fatalf("contoso has no alerts or products:\n%s", raw)
	}
	has("an alert", alerts[0], "code", "subscription", "date")
	for _, p := range products {
		has("a product", p, "sku", "total", "assigned", "unassigned", "unassigned_monthly_cost", "returnable_now", "reducible_at_renewal", "conflict_users")
		var ret []map[string]json.RawMessage
		json.Unmarshal(p["returnable_now"], &ret)
		for _, r := range ret {
			has("a returnable batch", r, "quantity", "until")
		}
		var red map[string]json.RawMessage
		json.Unmarshal(p["reducible_at_renewal"], &red)
		has("a reduction at renewal", red, "quantity")
	}
}

// TestARefusedReadSaysViewingAndARefusedChangeSaysChanging: the desk
// explains NotAuthorized by what was refused, in the text and in Slack.
func TestARefusedReadSaysViewingAndARefusedChangeSaysChanging(t *testing.T) {
	d := newDesk(t)
	cases := []struct {
		name, text, as, want, not string
	}{
		{"a stranger's show", "show contoso", "U0STRANGER", "not allowed to view", "make this change"},
		{"a stranger's history", "history contoso", "U0STRANGER", "not allowed to view", "make this change"},
		{"a user admin's report", "report contoso", "U0USER", "not allowed to view", "make this change"},
		{"a stranger's addition", "add 1 SPB contoso", "U0STRANGER", "make this change", "not allowed to view"},
		{"a billing admin's grant", "grant <@U0NEWBIE1> license", "U0BILL", "make this change", "not allowed to view"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep, err := d.Run(context.Background(), c.text, bot.Caller{SlackUser: c.as}, bot.Options{})
			if err != nil {
				t.Fatal(err)
			}
			blocks := blocksText(bot.Blocks(d, rep))
			for _, got := range []string{rep.Text, blocks} {
				if !strings.Contains(got, c.want) || strings.Contains(got, c.not) {
					t.Errorf("want %q and not %q in:\n%s", c.want, c.not, got)
				}
			}
		})
	}
}
