package bot

// Block Kit views of the replies (SPEC §5.4). The plain text of a reply
// (templates) stays the notification fallback; the blocks are what people
// read. Every string that came from a user or from data is escaped for
// mrkdwn, and every message stays inside Slack's limits: 50 blocks, 3,000
// characters per section, long lists summarised ("… and 812 more").

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/licensedesk/licensedesk/internal/clip"
	"github.com/licensedesk/licensedesk/ledger"
	"github.com/licensedesk/licensedesk/templates"
	"github.com/slack-go/slack"
)

// Slack's limits (docs.slack.dev/reference/block-kit).
const (
	maxBlocks       = 50
	maxSectionText  = 3000
	maxContextText  = 2000
	maxFallbackText = 3000
	// maxListed is how many users or holders a line names before it
	// summarises the rest.
	maxListed = 10
	// maxUserLines is how many per-user outcomes an operation lists.
	maxUserLines = 15
	// maxMoved is how many users a switch names as moved before it
	// counts the rest (R-SWITCH).
	maxMoved = 20
)

// Response types of a reply (SPEC §5.4: reads and errors are ephemeral,
// applied changes go in the channel).
const (
	ephemeral = "ephemeral"
	inChannel = "in_channel"
)

// message is a Slack reply: the body of an acknowledgement, of a
// response_url post, or of chat.postMessage.
type message struct {
	ResponseType    string        `json:"response_type,omitempty"`
	Text            string        `json:"text"`
	Blocks          []slack.Block `json:"blocks,omitempty"`
	ReplaceOriginal bool          `json:"replace_original,omitempty"`
}

var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// esc escapes text from users or data for mrkdwn: Slack gives &, < and >
// a meaning (links, mentions, @channel), nothing else needs it.
func esc(s string) string { return mrkdwnEscaper.Replace(s) }

// code shows user text as inline code; a backtick inside would end the
// span early, so it becomes a quote.
func code(s string) string {
	return "`" + strings.ReplaceAll(esc(clip.Text(s, 200)), "`", "'") + "`"
}

var slackUserID = regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`)

// who shows a requester: a mention for a Slack user id, escaped text for
// anyone else (an email address, "cli", "sweep").
func who(id string) string {
	if slackUserID.MatchString(id) {
		return "<@" + id + ">"
	}
	return esc(clip.Text(id, 200))
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, clip.Text(s, 150), true, false)
}

func section(s string) *slack.SectionBlock {
	return slack.NewSectionBlock(mrkdwn(clip.Text(s, maxSectionText)), nil, nil)
}

func contextText(s string) *slack.ContextBlock {
	return slack.NewContextBlock("", mrkdwn(clip.Text(s, maxContextText)))
}

func header(s string) *slack.HeaderBlock { return slack.NewHeaderBlock(plain(s)) }

// blockList collects blocks up to Slack's limit, keeping one place for the
// note that says what was left out.
type blockList struct {
	blocks  []slack.Block
	dropped int
}

func (b *blockList) add(bl ...slack.Block) {
	if len(b.blocks)+len(bl) > maxBlocks-1 {
		b.dropped++
		return
	}
	b.blocks = append(b.blocks, bl...)
}

// done returns the blocks, with a closing note when some were left out.
func (b *blockList) done(what string) []slack.Block {
	if b.dropped > 0 {
		b.blocks = append(b.blocks, contextText(fmt.Sprintf("… and %d more %s not shown here: `licensedesk exec` on the command line shows everything.", b.dropped, what)))
	}
	return b.blocks
}

// listed names up to maxListed items and summarises the rest.
func listed(items []string, total int) string { return listedN(items, total, maxListed) }

// listedN names up to n of items, escaped, and counts the rest of total
// (at least len(items)): "a, b … and 812 more".
func listedN(items []string, total, n int) string {
	if total < len(items) {
		total = len(items)
	}
	shown := items
	if len(shown) > n {
		shown = shown[:n]
	}
	parts := make([]string, len(shown))
	for i, s := range shown {
		parts[i] = esc(clip.Text(s, 254))
	}
	out := strings.Join(parts, ", ")
	if total > len(shown) {
		out += fmt.Sprintf(" … and %d more", total-len(shown))
	}
	return out
}

// fallback is the notification text of a message: the plain reply, clipped.
func fallback(s string) string {
	return esc(clip.Text(strings.TrimSpace(s), maxFallbackText))
}

// money is the templates' one money format, escaped: the currency comes
// from the catalog, which configuration can extend.
func money(v float64, currency string) string { return esc(templates.Money(v, currency)) }

func date(t time.Time) string { return t.UTC().Format("2006-01-02") }

// dateTime is a moment to the minute, such as the end of a 7-day return
// window (R-REMOVE), in UTC as every reply of the desk says it.
func dateTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") + " UTC" }

// view renders replies as Block Kit messages.
type view struct {
	r   *templates.Renderer
	cat func() *ledger.Catalog
}

func (v view) productName(sku string) string {
	if p, ok := v.cat().Get(sku); ok {
		return p.Name
	}
	return sku
}

// reply renders the answer to a command.
func (v view) reply(rep Reply) message {
	m := message{ResponseType: ephemeral, Text: fallback(rep.Text)}
	switch {
	case rep.Usage != nil:
		m.Blocks = v.usage(rep.Usage)
	case rep.Result != nil:
		m.Blocks = withSuggestion(v.result(*rep.Result), rep.Text)
		if rep.Changed() {
			m.ResponseType = inChannel
		}
	case len(rep.Errors) > 0:
		m.Blocks = withSuggestion(v.refusal(rep.Errors, rep.Command), rep.Text)
	default:
		switch d := rep.Data.(type) {
		case ledger.TenantView:
			detail := rep.Command != nil && rep.Command.Detail
			m.Blocks = v.show(d, detail)
		case []ledger.Conflict:
			m.Blocks = v.conflicts(d)
		case []ledger.PendingRequest:
			m.Blocks = v.pending(d)
		case ledger.Report:
			m.Blocks = v.report(d, "Licence report", "")
		default:
			m.Blocks = preformatted(rep.Text)
		}
	}
	return m
}

// withSuggestion adds the "Did you mean" line the desk appends to the
// plain reply of a mistyped tenant.
func withSuggestion(blocks []slack.Block, text string) []slack.Block {
	if len(blocks) >= maxBlocks {
		return blocks
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "Did you mean: ") {
			return append(blocks, section(esc(clip.Text(line, 500))))
		}
	}
	return blocks
}

// faultReply is the reply when the desk itself failed (the store did not
// answer): never the internal error text (DESIGN "Errors").
func faultReply() message {
	const text = "✗ Something went wrong on the desk's side (the store did not answer). Nothing was changed that you were not told about; try again in a moment."
	return message{ResponseType: ephemeral, Text: text, Blocks: []slack.Block{section(text)}}
}

// crashed is the reply when running a command failed unexpectedly: what it
// did is uncertain, so the user is pointed at the history.
func crashed() message {
	const text = "✗ Something went wrong on the desk's side while running this command. Check `history` before trying again; the desk's operators have the details in the logs."
	return message{ResponseType: ephemeral, Text: text, Blocks: []slack.Block{section(text)}}
}

// notice is a one-line ephemeral message.
func notice(text string) message {
	return message{ResponseType: ephemeral, Text: text, Blocks: []slack.Block{section(text)}}
}

// working acknowledges a command whose answer follows via response_url.
func working(text string) message {
	t := "⏳ Working on " + code(strings.TrimSpace(text)) + "… the result follows here."
	return message{ResponseType: ephemeral, Text: t, Blocks: []slack.Block{section(t)}}
}

// preformatted shows a plain-text reply as code blocks, split at lines so
// that each block stays under the section limit.
func preformatted(text string) []slack.Block {
	var bl blockList
	var chunk strings.Builder
	flush := func() {
		if chunk.Len() > 0 {
			bl.add(section("```\n" + chunk.String() + "```"))
			chunk.Reset()
		}
	}
	const room = maxSectionText - 16 // the fences and the clip mark
	for _, line := range strings.SplitAfter(strings.TrimRight(text, "\n")+"\n", "\n") {
		line = esc(strings.ReplaceAll(line, "```", "'''"))
		if len(line) > room {
			line = clip.Text(line, room-1) + "\n"
		}
		if chunk.Len()+len(line) > room {
			flush()
		}
		chunk.WriteString(line)
	}
	flush()
	return bl.done("parts")
}

func (v view) usage(ue *UsageError) []slack.Block {
	var b strings.Builder
	b.WriteString("✗ " + esc(clip.Text(ue.Message, 1500)))
	if ue.Usage != "" {
		b.WriteString("\nUsage: " + code(ue.Usage))
	}
	if len(ue.Suggestions) > 0 {
		b.WriteString("\nDid you mean: " + listed(ue.Suggestions, 0) + "?")
	}
	blocks := []slack.Block{section(b.String())}
	if ue.Code != "" {
		blocks = append(blocks, contextText(esc(v.r.Explain("en", ue.Code))))
	}
	return blocks
}

// refusal shows each code, what it means and the next step: for a
// refused read, that the reader may not view it; for a change, that they
// may not make it (explain, as the plain text says it).
func (v view) refusal(errs []ledger.Error, cmd *Command) []slack.Block {
	var bl blockList
	for _, e := range errs {
		bl.add(section("✗ *"+esc(string(e.Code))+"*: "+esc(clip.Text(e.Message, 1500))),
			contextText(esc(explain(v.r, cmd, e.Code))))
	}
	return bl.done("refusals")
}

// show is the admin center's Licenses page: product, total, assigned,
// available and status, several subscriptions of a product added up
// (R-TOTAL), conflicts flagged (R-CONFLICT), and with detail the
// per-subscription breakdown.
func (v view) show(tv ledger.TenantView, detail bool) []slack.Block {
	var bl blockList
	t := tv.Tenant
	bl.add(header("Licenses"))
	intro := "*" + esc(clip.Text(t.Name, 200)) + "* · " + code(t.ID) + fmt.Sprintf(" · %d users", tv.Users)
	if len(t.Domains) > 0 {
		intro += " · " + listed(t.Domains, 0)
	}
	bl.add(section(intro))
	var conflicts []string
	for _, p := range tv.Products {
		if p.Conflict {
			conflicts = append(conflicts, fmt.Sprintf("%s (%d over)", p.SKU, -p.Available))
		}
	}
	if len(conflicts) > 0 {
		bl.add(section(fmt.Sprintf(":warning: *%d product(s) in conflict*: %s — buy seats (`add`) or unassign users (`unassign`); `conflicts %s` names the users.",
			len(conflicts), listed(conflicts, 0), esc(t.ID))))
	}
	if len(tv.Products) == 0 {
		bl.add(section("No subscriptions."))
		return bl.done("products")
	}
	bl.add(slack.NewDividerBlock())
	for _, p := range tv.Products {
		bl.add(section(v.productLine(p, detail)))
	}
	return bl.done("products")
}

func (v view) productLine(p ledger.ProductLine, detail bool) string {
	status := ":white_check_mark: OK"
	switch {
	case p.Conflict:
		status = fmt.Sprintf(":warning: *Conflict*: %d more users than seats", -p.Available)
	case p.Total == 0 && p.Assigned == 0:
		status = "no active seats"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "*%s* · %s\nTotal *%d* · Assigned *%d* · Available *%d* · %s", esc(clip.Text(p.Name, 200)), code(p.SKU), p.Total, p.Assigned, p.Available, status)
	if p.MonthlyCost > 0 {
		b.WriteString(" · " + money(p.MonthlyCost, p.Currency) + "/month")
	}
	if !detail {
		return b.String()
	}
	for _, s := range p.Subscriptions {
		line := fmt.Sprintf("\n└ %s · %s · %d seats · %s · %s/%s · auto-renew %s · ends %s",
			code(s.ID), esc(s.Term), s.Quantity(), esc(s.State), esc(s.Source), esc(s.Payment), onOff(s.AutoRenew), date(s.TermEnd))
		if s.ScheduledReduction > 0 {
			line += fmt.Sprintf(" · −%d at renewal", s.ScheduledReduction)
		}
		if s.CreditCheckPending {
			line += " · credit check pending"
		}
		batches := make([]string, 0, len(s.Seats))
		for _, sb := range s.Seats {
			batches = append(batches, fmt.Sprintf("%d added %s", sb.Quantity, date(sb.AddedAt)))
		}
		if len(batches) > 0 {
			line += " · batches: " + listed(batches, 0)
		}
		if b.Len()+len(line) > maxSectionText-40 {
			b.WriteString("\n└ … more subscriptions: `licensedesk exec show " + esc(clip.Text(p.SKU, 50)) + " --detail`")
			break
		}
		b.WriteString(line)
	}
	return b.String()
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func (v view) conflicts(cs []ledger.Conflict) []slack.Block {
	if len(cs) == 0 {
		return []slack.Block{section(":white_check_mark: No conflicts: every product has enough seats for its users.")}
	}
	var bl blockList
	bl.add(header("Conflicts"))
	for _, c := range cs {
		over := c.Assigned - c.Total
		bl.add(section(fmt.Sprintf(":warning: *%s* · %s (%s): %d users for %d seats (%d over)\nHolders: %s\nResolve by buying %d seats (`add`) or unassigning users (`unassign`).",
			esc(c.Tenant), code(c.SKU), esc(v.productName(c.SKU)), c.Assigned, c.Total, over, listed(c.Users, c.Assigned), over)))
	}
	return bl.done("conflicts")
}

func (v view) pending(ps []ledger.PendingRequest) []slack.Block {
	if len(ps) == 0 {
		return []slack.Block{section("No request is waiting for approval.")}
	}
	var bl blockList
	bl.add(header("Waiting for approval"))
	for _, p := range ps {
		bl.add(section(v.pendingSummary(p) + "\n" + code("approve "+p.Request.ID) + " · " + code("reject "+p.Request.ID+" reason")))
	}
	return bl.done("requests")
}

// pendingSummary describes a pending request: who asked, when, and what it
// would do as planned when it arrived.
func (v view) pendingSummary(p ledger.PendingRequest) string {
	r := p.Request
	var b strings.Builder
	fmt.Fprintf(&b, "%s · *%s* · from %s · received %s (expires %s)", code(r.ID), esc(r.Tenant), who(r.Requester.ID),
		p.At.UTC().Format("2006-01-02 15:04 UTC"), date(p.Expires))
	if r.Origin.Subject != "" {
		b.WriteString("\nSubject: " + esc(clip.Text(r.Origin.Subject, 300)))
	}
	for i, op := range p.Planned.Ops {
		if i == 10 {
			fmt.Fprintf(&b, "\n… and %d more operations", len(p.Planned.Ops)-i)
			break
		}
		b.WriteString("\n• " + v.opTitle(op))
		if op.Before != nil && op.After != nil {
			fmt.Fprintf(&b, ": total %d → %d", op.Before.Total, op.After.Total)
		}
		if op.MonthlyCost != nil {
			b.WriteString(" · new monthly cost " + money(*op.MonthlyCost, op.Currency))
		}
		if op.Prorated != nil && *op.Prorated != 0 {
			b.WriteString(" · " + prorated(*op.Prorated, op.Currency))
		}
		if len(op.Users) > 0 {
			b.WriteString(" · " + listed(op.Users, 0))
		}
	}
	return b.String()
}

func prorated(v float64, currency string) string {
	if v < 0 {
		return "prorated credit " + money(math.Abs(v), currency)
	}
	return "prorated charge " + money(v, currency)
}

var statusLabel = map[ledger.Status]string{
	ledger.StatusApplied:            ":white_check_mark: Applied",
	ledger.StatusPartiallyApplied:   ":large_orange_diamond: Partially applied",
	ledger.StatusRefused:            ":x: Refused",
	ledger.StatusPendingApproval:    ":hourglass: Waiting for approval",
	ledger.StatusNeedsClarification: ":grey_question: Needs clarification",
	ledger.StatusRejected:           ":no_entry: Rejected",
	ledger.StatusIgnored:            "Ignored",
	ledger.StatusDuplicate:          ":repeat: Already processed",
	ledger.StatusDryRun:             ":test_tube: Dry run (nothing changed)",
}

func (v view) opTitle(op ledger.OpResult) string {
	s := "*" + esc(string(op.Op))
	if op.Quantity != 0 {
		s += fmt.Sprintf(" %d", op.Quantity)
	}
	switch {
	case op.Op == ledger.OpSwitch && op.To != "":
		s += " " + esc(op.SKU) + " → " + esc(op.To) + "* (" + esc(v.productName(op.SKU)) + " → " + esc(v.productName(op.To)) + ")"
	case op.SKU != "":
		s += " " + esc(op.SKU) + "* (" + esc(v.productName(op.SKU)) + ")"
	default:
		s += "*"
	}
	if op.Subscription != "" {
		s += " · subscription " + code(op.Subscription)
	}
	return s
}

// result shows a change: the status, the decision if any, each operation
// with before → after, the new monthly cost and the prorated amount, and
// every refusal with its explanation and the next step.
func (v view) result(res ledger.Result) []slack.Block {
	var bl blockList
	v.resultInto(&bl, res)
	return bl.done("operations")
}

func (v view) resultInto(bl *blockList, res ledger.Result) {
	head := "*" + statusLabel[res.Status] + "* · " + code(res.RequestID)
	if res.Tenant != "" {
		head += " · *" + esc(res.Tenant) + "*"
	}
	if res.Undoes != "" {
		head += " · undoes " + code(res.Undoes)
	}
	if d := res.Decision; d != nil {
		head += "\n" + decisionLine(*d)
	}
	bl.add(section(head))
	dry := res.Status == ledger.StatusDryRun
	for _, op := range res.Ops {
		bl.add(v.opBlocks(op, dry)...)
	}
	for _, e := range templates.RequestErrors(res) {
		bl.add(section("✗ *"+esc(string(e.Code))+"*: "+esc(clip.Text(e.Message, 1500))),
			contextText(esc(v.r.Explain("en", e.Code))))
	}
}

func decisionLine(d ledger.Decision) string {
	if d.Approved {
		return "Approved by " + who(d.By)
	}
	s := "Rejected by " + who(d.By)
	if d.By == "sweep" {
		s = "Expired after 30 days without a decision"
	}
	if d.Reason != "" {
		s += ": " + esc(clip.Text(d.Reason, 500))
	}
	return s
}

// opBlocks shows one operation. In a dry run (R-DRYRUN) nothing happened,
// and nothing is labelled as if it had: "would be applied"; the same for
// an operation that waits for approval or did not run.
func (v view) opBlocks(op ledger.OpResult, dry bool) []slack.Block {
	would := dry || op.Outcome == ledger.OutcomePending || op.Outcome == ledger.OutcomeNotRun
	if op.Op == ledger.OpSwitch {
		return v.switchBlocks(op, dry, would)
	}
	var b strings.Builder
	outcome := esc(templates.CommandOutcome(op.Outcome, dry)) // an unknown outcome is shown as given: escaped
	b.WriteString(v.opTitle(op) + " — " + outcome)
	if op.Before != nil && op.After != nil {
		fmt.Fprintf(&b, "\nTotal %d → *%d* · Assigned %d → %d · Available %d → %d",
			op.Before.Total, op.After.Total, op.Before.Assigned, op.After.Assigned, op.Before.Available(), op.After.Available())
	}
	if op.MonthlyCost != nil {
		b.WriteString("\nNew monthly cost *" + money(*op.MonthlyCost, op.Currency) + "*")
		if op.Prorated != nil && *op.Prorated != 0 {
			b.WriteString(" · " + prorated(*op.Prorated, op.Currency) + " for the rest of the term")
		}
	}
	if !op.ScheduledFor.IsZero() {
		switch {
		case op.Outcome == ledger.OutcomeScheduled && would:
			b.WriteString("\nWould be scheduled for the renewal on " + date(op.ScheduledFor))
		case op.Outcome == ledger.OutcomeScheduled:
			b.WriteString("\nScheduled for the renewal on " + date(op.ScheduledFor))
		case op.Op == ledger.OpRenew:
			b.WriteString("\nNew term ends " + date(op.ScheduledFor))
		}
	}
	if op.Detail != "" && op.Outcome != ledger.OutcomeRefused {
		b.WriteString("\n" + esc(clip.Text(op.Detail, 500)))
	}
	if len(op.Holders) > 0 {
		b.WriteString("\nUsers holding seats: " + listed(op.Holders, 0) + " — unassign some first")
	}
	if len(op.FinalDates) > 0 {
		ds := make([]string, len(op.FinalDates))
		for i, d := range op.FinalDates {
			ds[i] = date(d)
		}
		b.WriteString("\nSeats became final on: " + listed(ds, 0))
	}
	b.WriteString(userLines(op.UserResults, would))
	return v.withCode(section(b.String()), op)
}

// withCode adds to an operation's section the explanation of its refusal.
func (v view) withCode(s slack.Block, op ledger.OpResult) []slack.Block {
	blocks := []slack.Block{s}
	if op.Outcome == ledger.OutcomeRefused && op.Code != "" {
		blocks = append(blocks, contextText("✗ *"+esc(string(op.Code))+"*: "+esc(clip.Text(op.Detail, 800))+"\n"+esc(v.r.Explain("en", op.Code))))
	}
	return blocks
}

// switchBlocks shows a switch (R-SWITCH): both products before → after,
// the users moved (named up to maxMoved) and those who did not move with
// why, the seats bought on TO and what became of FROM's freed seats, the
// new monthly cost of both products and the net prorated amount (R-COST).
func (v view) switchBlocks(op ledger.OpResult, dry, would bool) []slack.Block {
	var b strings.Builder
	b.WriteString(v.opTitle(op) + " — " + esc(templates.CommandOutcome(op.Outcome, dry)))
	figures := func(sku string, before, after *ledger.Figures) {
		if before != nil && after != nil {
			fmt.Fprintf(&b, "\n%s: Total %d → *%d* · Assigned %d → %d · Available %d → %d", code(sku),
				before.Total, after.Total, before.Assigned, after.Assigned, before.Available(), after.Available())
		}
	}
	figures(op.SKU, op.Before, op.After)
	figures(op.To, op.ToBefore, op.ToAfter)
	refused := op.Outcome == ledger.OutcomeRefused
	var moved []string
	var others []ledger.UserOutcome
	for _, u := range op.UserResults {
		if u.Outcome == ledger.OutcomeApplied {
			moved = append(moved, u.UPN)
		} else {
			others = append(others, u)
		}
	}
	if len(moved) > 0 && !refused {
		verb := "Moved"
		if would {
			verb = "Would move"
		}
		fmt.Fprintf(&b, "\n%s (%d): %s", verb, len(moved), listedN(moved, 0, maxMoved))
	}
	for i, u := range others {
		if i == maxUserLines {
			fmt.Fprintf(&b, "\n… and %d more not moved", len(others)-i)
			break
		}
		mark := "·"
		if u.Outcome == ledger.OutcomeRefused {
			mark = "✗"
		}
		b.WriteString("\n" + mark + " " + esc(clip.Text(u.UPN, 254)))
		if u.Code != "" {
			b.WriteString(" — " + esc(string(u.Code)))
		}
		if u.Detail != "" {
			b.WriteString(": " + esc(clip.Text(u.Detail, 200)))
		}
	}
	if op.Bought > 0 {
		verb := "Bought"
		if would {
			verb = "Would buy"
		}
		fmt.Fprintf(&b, "\n%s %d seat%s of %s", verb, op.Bought, plural(op.Bought), code(op.To))
	}
	if !refused {
		if freed := v.r.SwitchFreed(op, would); freed != "" {
			b.WriteString("\n" + esc(clip.Text(upperFirst(freed), 600)))
		}
	}
	if op.MonthlyCost != nil || op.ToCost != nil {
		b.WriteString("\nNew monthly cost " + code(op.SKU) + " *" + money(deref(op.MonthlyCost), op.Currency) + "* · " +
			code(op.To) + " *" + money(deref(op.ToCost), op.Currency) + "*")
		if op.Prorated != nil && *op.Prorated != 0 {
			b.WriteString(" · net " + prorated(*op.Prorated, op.Currency) + " for the rest of the term")
		}
	}
	return v.withCode(section(b.String()), op)
}

func deref(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// upperFirst capitalises the first letter of a sentence the templates
// write to follow a bullet.
func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return strings.ToUpper(string(r)) + s[n:]
}

// userLines lists per-user outcomes (R-ASSIGN), summarising long lists.
// would: nothing happened yet (a dry run), and the lines say so.
func userLines(us []ledger.UserOutcome, would bool) string {
	if len(us) == 0 {
		return ""
	}
	var b strings.Builder
	applied, refused := 0, 0
	for _, u := range us {
		switch u.Outcome {
		case ledger.OutcomeApplied:
			applied++
		case ledger.OutcomeRefused:
			refused++
		}
	}
	appliedWord, refusedWord := "applied", "refused"
	if would {
		appliedWord, refusedWord = "would be applied", "would be refused"
	}
	for i, u := range us {
		if i == maxUserLines {
			fmt.Fprintf(&b, "\n… and %d more users (%d %s, %d %s in all)", len(us)-i, applied, appliedWord, refused, refusedWord)
			break
		}
		mark := "·"
		switch u.Outcome {
		case ledger.OutcomeApplied:
			mark = "✓"
		case ledger.OutcomeRefused:
			mark = "✗"
		}
		b.WriteString("\n" + mark + " " + esc(clip.Text(u.UPN, 254)))
		if u.Code != "" {
			b.WriteString(" — " + esc(string(u.Code)))
		}
		if u.Detail != "" && u.Outcome != ledger.OutcomeApplied {
			b.WriteString(": " + esc(clip.Text(u.Detail, 200)))
		}
		if u.Created {
			b.WriteString(" (created)")
		}
		if u.Outcome == ledger.OutcomeApplied && !u.DataUntil.IsZero() {
			switch {
			case u.Code == ledger.DataKept:
				b.WriteString(" (data kept from the previous assignment)")
			case would:
				b.WriteString(" (mailbox data would be kept until " + date(u.DataUntil) + ")")
			default:
				b.WriteString(" (mailbox data kept until " + date(u.DataUntil) + ")")
			}
		}
	}
	return b.String()
}
