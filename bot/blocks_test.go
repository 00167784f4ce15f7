package bot

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/licensedesk/licensedesk/internal/clip"
	"github.com/licensedesk/licensedesk/ledger"
	"github.com/licensedesk/licensedesk/templates"
)

func testView(t testing.TB) view {
	t.Helper()
	cat := ledger.DefaultCatalog()
	r, err := templates.New(cat)
	if err != nil {
		t.Fatal(err)
	}
	return view{r: r, cat: func() *ledger.Catalog { return cat }}
}

// texts walks a message's JSON and returns every text with where it sits:
// "section", "context", "header", "plain" (other plain_text) or "field".
func texts(t testing.TB, m message) (blocks int, out [][2]string) {
	t.Helper()
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Blocks []map[string]any `json:"blocks"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(kind string, v any)
	walk = func(kind string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if s, ok := x["text"].(string); ok {
				out = append(out, [2]string{kind, s})
			}
			for k, c := range x {
				if k == "elements" && kind == "section" {
					continue
				}
				if k != "text" || !isString(c) {
					walk(kind, c)
				}
			}
		case []any:
			for _, c := range x {
				walk(kind, c)
			}
		}
	}
	for _, b := range doc.Blocks {
		kind, _ := b["type"].(string)
		walk(kind, b)
	}
	return len(doc.Blocks), out
}

func isString(v any) bool { _, ok := v.(string); return ok }

// checkLimits fails when a message breaks one of Slack's limits.
func checkLimits(t testing.TB, m message) {
	t.Helper()
	n, ts := texts(t, m)
	if n > maxBlocks {
		t.Errorf("%d blocks, Slack allows %d", n, maxBlocks)
	}
	limits := map[string]int{"section": maxSectionText, "context": maxContextText, "header": 150}
	for _, kt := range ts {
		if l, ok := limits[kt[0]]; ok && utf8.RuneCountInString(kt[1]) > l {
			t.Errorf("a %s text of %d characters, Slack allows %d", kt[0], utf8.RuneCountInString(kt[1]), l)
		}
	}
}

var ownMention = regexp.MustCompile(`^<@[UW][A-Z0-9]{2,20}>$`)

// checkInert fails when user text could act in Slack: a link, a mention or
// an @channel that the bot did not write itself (its own mentions are
// <@U…> of a valid user id, nothing else).
func checkInert(t testing.TB, m message) {
	t.Helper()
	_, ts := texts(t, m)
	for _, kt := range ts {
		s := kt[1]
		for i := 0; i < len(s); i++ {
			if s[i] != '<' {
				continue
			}
			j := strings.IndexByte(s[i:], '>')
			if j < 0 || !ownMention.MatchString(s[i:i+j+1]) {
				t.Errorf("live markup in %s text: %q", kt[0], clip.Text(s[i:], 80))
				break
			}
		}
	}
}

const hostile = "<!channel> & <@U0BILL|boss> <https://evil.example|click> `tick` *bold*"

func TestUserTextIsEscapedForMrkdwn(t *testing.T) {
	v := testView(t)
	one := 1.5
	cases := []struct {
		name string
		rep  Reply
		want string
	}{
		{"a usage error quoting the command", Reply{Text: hostile, Usage: &UsageError{Message: "unknown command " + hostile, Usage: "/licenses " + hostile, Suggestions: []string{hostile}}},
			"&lt;!channel&gt; &amp; &lt;@U0BILL|boss&gt;"},
		{"a refusal message", Reply{Errors: []ledger.Error{{Code: ledger.UnknownTenant, Message: "no tenant " + hostile}}}, "no tenant &lt;!channel&gt;"},
		{"a tenant's name and domains", Reply{Data: ledger.TenantView{Tenant: ledger.Tenant{ID: "x", Name: hostile, Domains: []string{hostile}},
			Products: []ledger.ProductLine{{SKU: "SPB", Name: hostile, Total: 1, Assigned: 2, Available: -1, Conflict: true,
				Subscriptions: []ledger.Subscription{{ID: hostile, State: hostile, Source: hostile, Payment: hostile, Term: hostile}}}}},
			Command: &Command{Detail: true}}, "*&lt;!channel&gt; &amp;"},
		{"per-user outcomes and details", Reply{Result: &ledger.Result{RequestID: "LD-1", Status: ledger.StatusPartiallyApplied, Tenant: "x",
			Ops: []ledger.OpResult{{Op: ledger.OpAssign, SKU: "SPB", Outcome: ledger.OutcomePartial, Detail: hostile, MonthlyCost: &one, Currency: "<EUR>",
				UserResults: []ledger.UserOutcome{{UPN: hostile, Outcome: ledger.OutcomeRefused, Code: ledger.UnknownUser, Detail: hostile}}, Holders: []string{hostile}}},
			Decision: &ledger.Decision{By: hostile, Reason: hostile}}}, "✗ &lt;!channel&gt;"},
		{"a pending request's subject and sender", Reply{Data: []ledger.PendingRequest{{Request: ledger.Request{ID: "LD-1", Tenant: "x",
			Requester: ledger.Requester{ID: hostile}, Origin: ledger.Origin{Subject: hostile}}}}}, "Subject: &lt;!channel&gt;"},
		{"conflict holders", Reply{Data: []ledger.Conflict{{Tenant: hostile, SKU: "SPB", Total: 1, Assigned: 3, Users: []string{hostile, "a@b.c"}}}}, "Holders: &lt;!channel&gt;"},
		{"a plain-text reply", Reply{Text: "history\n" + hostile}, "&lt;!channel&gt; &amp;"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := v.reply(c.rep)
			checkInert(t, m)
			checkLimits(t, m)
			if b, _ := json.Marshal(m); !strings.Contains(unescapeJSON(string(b)), c.want) {
				t.Errorf("the message lacks %q:\n%s", c.want, unescapeJSON(string(b)))
			}
		})
	}
}

func unescapeJSON(s string) string {
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(s)
}

func TestASlackUserIDIsShownAsAMention(t *testing.T) {
	for id, want := range map[string]string{"U0BILL": "<@U0BILL>", "W12345": "<@W12345>", "it@contoso.com": "it@contoso.com", "<!here>": "&lt;!here&gt;", "U0BILL|x": "U0BILL|x"} {
		if got := who(id); got != want {
			t.Errorf("who(%q) = %q, want %q", id, got, want)
		}
	}
}

// TestLongListsAreSummarised: a thousand users, hundreds of holders and
// products stay within a message, the rest counted.
func TestLongListsAreSummarised(t *testing.T) {
	v := testView(t)
	var users []ledger.UserOutcome
	for i := 0; i < 1000; i++ {
		o := ledger.UserOutcome{UPN: fmt.Sprintf("user%04d@contoso.com", i), Outcome: ledger.OutcomeApplied}
		if i%100 == 7 {
			o.Outcome, o.Code, o.Detail = ledger.OutcomeRefused, ledger.UnknownUser, "no such user in the tenant"
		}
		users = append(users, o)
	}
	holders := make([]string, 100)
	for i := range holders {
		holders[i] = fmt.Sprintf("holder%03d@contoso.com", i)
	}
	var products []ledger.ProductLine
	for i := 0; i < 120; i++ {
		var subs []ledger.Subscription
		for j := 0; j < 40; j++ {
			subs = append(subs, ledger.Subscription{ID: fmt.Sprintf("sub-%d-%d", i, j), SKU: "SPB", State: "active", Term: "P1Y",
				TermEnd: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), Seats: []ledger.SeatBatch{{Quantity: 3, AddedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}}})
		}
		products = append(products, ledger.ProductLine{SKU: fmt.Sprintf("SKU%03d", i), Name: "Product", Total: 10, Assigned: 5, Available: 5, Subscriptions: subs})
	}
	cases := []struct {
		name string
		rep  Reply
		want []string
	}{
		{"an assignment to 1,000 users", Reply{Result: &ledger.Result{RequestID: "LD-1", Status: ledger.StatusPartiallyApplied,
			Ops: []ledger.OpResult{{Op: ledger.OpAssign, SKU: "SPB", Outcome: ledger.OutcomePartial, UserResults: users}}}},
			[]string{"✓ user0000@contoso.com", "… and 985 more users (990 applied, 10 refused in all)"}},
		{"a conflict with 812 holders", Reply{Data: []ledger.Conflict{{Tenant: "contoso", SKU: "SPB", Total: 10, Assigned: 822, Users: holders}}},
			[]string{"holder009@contoso.com … and 812 more"}},
		{"a refused removal naming 100 holders", Reply{Result: &ledger.Result{RequestID: "LD-1", Status: ledger.StatusRefused,
			Ops: []ledger.OpResult{{Op: ledger.OpRemove, SKU: "SPB", Quantity: 3, Outcome: ledger.OutcomeRefused, Code: ledger.CountViolation, Holders: holders}}}},
			[]string{"… and 90 more — unassign some first", "Unassign users first"}},
		{"a tenant with 120 products in detail", Reply{Data: ledger.TenantView{Tenant: ledger.Tenant{ID: "big", Name: "Big"}, Products: products}, Command: &Command{Detail: true}},
			[]string{"more products not shown here", "└ … more subscriptions"}},
		{"a very long plain reply", Reply{Text: strings.Repeat("a line of history that goes on and on\n", 20000)}, []string{"more parts not shown here"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := v.reply(c.rep)
			checkLimits(t, m)
			b, _ := json.Marshal(m)
			got := unescapeJSON(string(b))
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("the message lacks %q", w)
				}
			}
			if len(b) > 200<<10 {
				t.Errorf("the message is %d bytes", len(b))
			}
		})
	}
}

func TestApprovalMessagesShowTheRequestAndTheDecision(t *testing.T) {
	v := testView(t)
	cost := 700.4
	p := ledger.PendingRequest{
		Request: ledger.Request{ID: "LD-01JZZZZZZZZZZZZZZZZZZZZZZZ", Tenant: "contoso", Requester: ledger.Requester{ID: "it@contoso.com"}, Origin: ledger.Origin{Subject: "Licences"}},
		Planned: ledger.Result{Ops: []ledger.OpResult{{Op: ledger.OpAdd, SKU: "SPB", Quantity: 20, Before: &ledger.Figures{Total: 13}, After: &ledger.Figures{Total: 33}, MonthlyCost: &cost, Currency: "EUR"}}},
		At:      time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC), Expires: time.Date(2026, 12, 20, 12, 0, 0, 0, time.UTC),
	}
	ask := v.approvalRequest(p)
	checkLimits(t, ask)
	b, _ := json.Marshal(ask)
	for _, w := range []string{`"action_id":"ld_approve"`, `"action_id":"ld_reject"`, "total 13 → 33", "expires 2026-12-20", "new monthly cost 700.40 EUR"} {
		if !strings.Contains(unescapeJSON(string(b)), w) {
			t.Errorf("the approval request lacks %q", w)
		}
	}
	cases := []struct {
		res  ledger.Result
		want string
	}{
		{ledger.Result{RequestID: p.Request.ID, Status: ledger.StatusApplied, Decision: &ledger.Decision{By: "U0BILL", Approved: true}}, "Customer request approved"},
		{ledger.Result{RequestID: p.Request.ID, Status: ledger.StatusRefused, Errors: []ledger.Error{{Code: ledger.CountViolation}}, Decision: &ledger.Decision{By: "U0BILL", Approved: true}}, "approved, but refused by the rules"},
		{ledger.Result{RequestID: p.Request.ID, Status: ledger.StatusRejected, Errors: []ledger.Error{{Code: ledger.Rejected}}, Decision: &ledger.Decision{By: "U0GLOBAL", Reason: "no budget"}}, "Rejected by <@U0GLOBAL>: no budget"},
		{ledger.Result{RequestID: p.Request.ID, Status: ledger.StatusRejected, Errors: []ledger.Error{{Code: ledger.RequestExpired}}, Decision: &ledger.Decision{By: "sweep"}}, "Customer request expired"},
	}
	for _, c := range cases {
		m := v.approvalDecided(c.res)
		checkLimits(t, m)
		b, _ := json.Marshal(m)
		got := unescapeJSON(string(b))
		if !strings.Contains(got, c.want) {
			t.Errorf("decided %s: lacks %q:\n%s", c.res.Status, c.want, got)
		}
		if strings.Contains(got, actionApprove) {
			t.Errorf("decided %s: the buttons are still there", c.res.Status)
		}
	}
}
