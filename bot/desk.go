package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/licensedesk/licensedesk/internal/clip"
	"github.com/licensedesk/licensedesk/ledger"
	"github.com/licensedesk/licensedesk/templates"
)

// Desk runs /licenses commands against the ledger and renders the replies.
// The command line (exec) and the Slack transports share it.
type Desk struct {
	Ledger   *ledger.Ledger
	Renderer *templates.Renderer
}

// NewDesk returns a desk on l.
func NewDesk(l *ledger.Ledger) (*Desk, error) {
	r, err := templates.New(l.Catalog())
	if err != nil {
		return nil, err
	}
	return &Desk{Ledger: l, Renderer: r}, nil
}

// Caller is who runs a command.
type Caller struct {
	// SlackUser is the Slack user id; its roles come from the ledger.
	SlackUser string
	// Operator is the local command line without --as.
	Operator bool
	Origin   ledger.Origin
}

// Reply is the answer to one command.
type Reply struct {
	// Text is the reply as plain text.
	Text string
	// Result is the ledger's result for change commands (nil for reads).
	Result *ledger.Result
	// Status is the outcome: the result's status, "applied" for a read that
	// answered, "refused" for a refused read or a usage error.
	Status ledger.Status
	// Usage is set when the command was malformed.
	Usage *UsageError
	// Command is the parsed command (nil on a usage error).
	Command *Command
	// Errors are the refusals of a read.
	Errors []ledger.Error
	// Data is what a read returned, for JSON output.
	Data any
}

// Changed reports whether the reply is for a command that changed the ledger.
func (r *Reply) Changed() bool {
	return r.Result != nil && (r.Result.Status == ledger.StatusApplied || r.Result.Status == ledger.StatusPartiallyApplied)
}

// ExitCode is the exit code of SPEC §6: 0 for applied, partially applied,
// pending, duplicate, dry run and ignored; 1 for refused, needs
// clarification and rejected; 2 for usage errors.
func (r *Reply) ExitCode() int {
	if r.Usage != nil {
		return 2
	}
	switch r.Status {
	case ledger.StatusRefused, ledger.StatusNeedsClarification, ledger.StatusRejected:
		return 1
	}
	return 0
}

// Options tune one run.
type Options struct {
	// IdempotencyKey makes a change apply at most once (R-IDEMPOTENT).
	IdempotencyKey string
}

// Run parses and runs one command: the text after /licenses.
func (d *Desk) Run(ctx context.Context, text string, who Caller, opt Options) (Reply, error) {
	cmd, err := Parse(text, d.Ledger.Catalog())
	if err != nil {
		var ue *UsageError
		if !errors.As(err, &ue) {
			return Reply{}, err
		}
		return Reply{Text: ue.Error() + "\n", Status: ledger.StatusRefused, Usage: ue}, nil
	}
	if cmd.Verb == "help" {
		// help never touches the ledger: it answers while the store is down.
		rep := help(cmd)
		rep.Command = cmd
		return rep, nil
	}
	req, err := d.requester(ctx, who)
	if err != nil {
		if cmd.Verb != "whoami" {
			return Reply{}, err
		}
		// whoami answers what it knows without the store: the user id.
		return Reply{Text: d.Renderer.WhoamiUnread(who.SlackUser), Status: ledger.StatusApplied, Command: cmd,
			Data: map[string]any{"id": who.SlackUser, "roles_unknown": true}}, nil
	}
	if who.Origin.Channel == "" {
		who.Origin.Channel = ledger.ChannelSlack
		if who.Operator {
			who.Origin.Channel = ledger.ChannelCLI
		}
	}
	rep, err := d.run(ctx, cmd, text, req, who, opt)
	rep.Command = cmd
	return rep, err
}

func (d *Desk) requester(ctx context.Context, who Caller) (ledger.Requester, error) {
	if who.Operator {
		return ledger.Requester{ID: "cli", Operator: true}, nil
	}
	roles, err := d.Ledger.AdminRoles(ctx, who.SlackUser)
	if err != nil {
		return ledger.Requester{}, err
	}
	return ledger.Requester{ID: who.SlackUser, Roles: roles}, nil
}

// refusal is a command the desk refused before the ledger planned
// anything. cmd is the refused command, nil for a click (a decision).
func (d *Desk) refusal(cmd *Command, code ledger.Code, msg string) Reply {
	text := fmt.Sprintf("✗ %s: %s\n  %s\n", code, msg, explain(d.Renderer, cmd, code))
	return Reply{Text: text, Status: ledger.StatusRefused, Errors: []ledger.Error{{Code: code, Message: msg}}, Command: cmd}
}

// isRead reports whether cmd only reads: a command of a verb that does not
// write (verbs.go). A refused read is explained as one ("not allowed to
// view"), a refused change as a change ("make this change").
func isRead(cmd *Command) bool {
	if cmd == nil {
		return false
	}
	v := lookupVerb(cmd.Verb)
	return v != nil && !v.Writes
}

// explain says what a code means for cmd: a read's refusal or a change's.
// The plain text and the Block Kit view both use it, so they say the same.
func explain(r *templates.Renderer, cmd *Command, code ledger.Code) string {
	if isRead(cmd) {
		return r.ExplainRead("en", code)
	}
	return r.Explain("en", code)
}

func answer(text string, data any) Reply {
	return Reply{Text: text, Status: ledger.StatusApplied, Data: data}
}

// help answers help and help VERB from the verb table alone.
func help(cmd *Command) Reply {
	if cmd.HelpTopic != "" {
		return answer(Usage(cmd.HelpTopic)+"\n", nil)
	}
	return answer(HelpText(), nil)
}

// dryRun is the answer to a dry run that the desk worked out itself.
func dryRun(text string, data any) Reply {
	return Reply{Text: text, Status: ledger.StatusDryRun, Data: data}
}

func (d *Desk) run(ctx context.Context, cmd *Command, text string, req ledger.Requester, who Caller, opt Options) (Reply, error) {
	l, r := d.Ledger, d.Renderer
	// An unknown Slack user can do nothing but help (answered by Run) and
	// whoami.
	if !req.Operator && len(req.Roles) == 0 && cmd.Verb != "whoami" {
		return d.refusal(cmd, ledger.NotAuthorized, "you have no role at the desk; ask a global admin to grant you one"), nil
	}
	switch cmd.Verb {
	case "whoami":
		return answer(r.Whoami(req), req), nil
	case "products":
		ps := l.Catalog().All()
		if cmd.Query != "" {
			ps = l.Catalog().Search(cmd.Query)
		}
		return answer(r.Products(ps), ps), nil
	case "show":
		if cmd.Tenant == "" {
			ids, err := l.Tenants(ctx)
			if err != nil {
				return Reply{}, err
			}
			return answer(r.Tenants(ids), ids), nil
		}
		v, err := l.Show(ctx, cmd.Tenant)
		if errors.Is(err, ledger.ErrUnknownTenant) {
			return d.unknownTenant(ctx, cmd)
		}
		if err != nil {
			return Reply{}, err
		}
		return answer(r.Show(v, cmd.Detail), v), nil
	case "conflicts":
		cs, err := l.Conflicts(ctx, cmd.Tenant)
		if errors.Is(err, ledger.ErrUnknownTenant) {
			return d.unknownTenant(ctx, cmd)
		}
		if err != nil {
			return Reply{}, err
		}
		return answer(r.Conflicts(cs), cs), nil
	case "history":
		recs, err := l.History(ctx, cmd.Tenant, cmd.Limit)
		if errors.Is(err, ledger.ErrUnknownTenant) {
			return d.unknownTenant(ctx, cmd)
		}
		if err != nil {
			return Reply{}, err
		}
		return answer(r.History(cmd.Tenant, recs), recs), nil
	case "report":
		// R-REPORT: the report shows what seats cost and where, for the
		// roles that buy, return or assign them; a "user" admin sees
		// neither figures nor whether the tenant exists.
		if !req.Operator && !ledger.HasRole(req.Roles, ledger.RoleGlobal, ledger.RoleBilling, ledger.RoleLicense) {
			return d.refusal(cmd, ledger.NotAuthorized, "the report needs the role global, billing or license"), nil
		}
		rp, err := l.Report(ctx, cmd.Tenant)
		if errors.Is(err, ledger.ErrUnknownTenant) {
			return d.unknownTenant(ctx, cmd)
		}
		if err != nil {
			return Reply{}, err
		}
		return answer(r.Report(rp), rp), nil
	case "pending":
		ps, err := l.Pending(ctx)
		if err != nil {
			return Reply{}, err
		}
		return answer(r.Pending(ps), ps), nil
	case "approve", "reject":
		if cmd.DryRun {
			return d.decideDryRun(ctx, cmd)
		}
		res, err := l.Decide(ctx, cmd.RequestID, req, cmd.Verb == "approve", cmd.Reason)
		if err != nil {
			return Reply{}, err
		}
		return d.result(res), nil
	case "grant", "revoke":
		grant := cmd.Verb == "grant"
		if code, msg := roleRefusal(req, cmd); code != "" {
			return d.refusal(cmd, code, msg), nil
		}
		if cmd.DryRun {
			return d.roleDryRun(ctx, cmd)
		}
		changed, code, err := l.SetRole(ctx, req, cmd.SlackUser, cmd.Role, grant)
		if err != nil {
			return Reply{}, err
		}
		if code != "" {
			// roleRefusal saw nothing wrong: the ledger's rules changed.
			return d.refusal(cmd, code, fmt.Sprintf("the desk refused to %s the role %s", cmd.Verb, cmd.Role)), nil
		}
		return answer(r.Role(cmd.SlackUser, cmd.Role, grant, changed), map[string]any{"changed": changed}), nil
	case "undo":
		res, err := l.Undo(ctx, cmd.RequestID, req, who.Origin, cmd.DryRun)
		if err != nil {
			return Reply{}, err
		}
		return d.result(res), nil
	}
	if cmd.Op == nil {
		return Reply{}, fmt.Errorf("bot: verb %q has no operation", cmd.Verb)
	}
	tenant, rep, err := d.tenantFor(ctx, cmd)
	if err != nil || rep != nil {
		if rep != nil {
			return *rep, err
		}
		return Reply{}, err
	}
	res, err := l.Submit(ctx, ledger.Request{
		Tenant: tenant, Requester: req, Origin: who.Origin, Ops: []ledger.Op{*cmd.Op},
		DryRun: cmd.DryRun, IdempotencyKey: opt.IdempotencyKey, Text: clip.Text(text, 2000),
	})
	if err != nil {
		return Reply{}, err
	}
	rep2 := d.result(res)
	if len(res.Errors) > 0 && res.Errors[0].Code == ledger.UnknownTenant {
		if s := d.tenantSuggestions(ctx, tenant); s != "" {
			rep2.Text += s
		}
	}
	return rep2, nil
}

func (d *Desk) result(res ledger.Result) Reply {
	return Reply{Text: d.Renderer.Result(res), Result: &res, Status: res.Status}
}

// tenantFor finds the tenant of a change: as typed, from the subscription
// (renew, autorenew), or from the users' domain (assign, unassign, switch).
func (d *Desk) tenantFor(ctx context.Context, cmd *Command) (string, *Reply, error) {
	if cmd.Tenant != "" {
		return cmd.Tenant, nil, nil
	}
	l := d.Ledger
	op := cmd.Op
	if op.Subscription != "" && (op.Kind == ledger.OpRenew || op.Kind == ledger.OpAutoRenew) {
		t, err := l.FindSubscription(ctx, op.Subscription)
		if err != nil {
			return "", nil, err
		}
		if t == "" {
			rep := d.refusal(cmd, ledger.UnknownSubscription, fmt.Sprintf("no subscription %s", op.Subscription))
			return "", &rep, nil
		}
		return t, nil, nil
	}
	found := map[string]bool{}
	var tenants []string
	for _, u := range op.Users {
		at := strings.LastIndexByte(u, '@')
		if at < 0 {
			continue
		}
		ts, err := l.DomainTenants(ctx, u[at+1:])
		if err != nil {
			return "", nil, err
		}
		for _, t := range ts {
			if !found[t] {
				found[t] = true
				tenants = append(tenants, t)
			}
		}
	}
	switch len(tenants) {
	case 1:
		return tenants[0], nil, nil
	case 0:
		rep := d.refusal(cmd, ledger.UnknownTenant, "no tenant owns the users' domain: name the tenant ("+Usage(cmd.Verb)+")")
		return "", &rep, nil
	}
	rep := d.refusal(cmd, ledger.UnknownTenant, "the users belong to several tenants ("+strings.Join(tenants, ", ")+"): name one tenant per command")
	return "", &rep, nil
}

// unknownTenant refuses a read of a tenant that does not exist, with "did
// you mean" for a mistyped one.
func (d *Desk) unknownTenant(ctx context.Context, cmd *Command) (Reply, error) {
	rep := d.refusal(cmd, ledger.UnknownTenant, fmt.Sprintf("no tenant %q", cmd.Tenant))
	rep.Text += d.tenantSuggestions(ctx, cmd.Tenant)
	return rep, nil
}

// tenantSuggestions says "did you mean" for a mistyped tenant.
func (d *Desk) tenantSuggestions(ctx context.Context, tenant string) string {
	ids, err := d.Ledger.Tenants(ctx)
	if err != nil {
		return ""
	}
	var close []string
	for _, id := range ids {
		if dist := ledger.Distance(tenant, id); dist <= max(2, len(tenant)/4) || (len(tenant) >= 3 && strings.HasPrefix(id, tenant)) {
			close = append(close, id)
		}
	}
	if len(close) == 0 {
		return ""
	}
	if len(close) > 5 {
		close = close[:5]
	}
	return "Did you mean: " + strings.Join(close, ", ") + "?\n"
}

// roleRefusal says why the requester may not grant or revoke a role, with
// the reason that applies: ledger.SetRole refuses both cases with
// NotAuthorized and no message, so the desk checks the same facts first.
func roleRefusal(req ledger.Requester, cmd *Command) (ledger.Code, string) {
	switch {
	case req.Operator:
		return "", ""
	case !ledger.HasRole(req.Roles, ledger.RoleGlobal):
		return ledger.NotAuthorized, "only global admins may grant or revoke roles"
	case cmd.Verb == "revoke" && cmd.Role == ledger.RoleGlobal && cmd.SlackUser == req.ID:
		return ledger.NotAuthorized, "a global admin may not revoke their own global role"
	}
	return "", ""
}

// roleDryRun answers grant or revoke --dry-run (R-DRYRUN): what would
// change, from the user's roles now; nothing is written.
func (d *Desk) roleDryRun(ctx context.Context, cmd *Command) (Reply, error) {
	roles, err := d.Ledger.AdminRoles(ctx, cmd.SlackUser)
	if err != nil {
		return Reply{}, err
	}
	has := ledger.HasRole(roles, cmd.Role)
	text := d.Renderer.RoleDryRun(cmd.SlackUser, cmd.Role, cmd.Verb == "grant", has)
	return dryRun(text, map[string]any{"would_change": has != (cmd.Verb == "grant")}), nil
}

// decideDryRun answers approve or reject --dry-run (R-DRYRUN) without
// deciding: the pending request as it stands and what the decision would
// do. Nothing is recorded and nothing reaches the customer. Whether the
// admin's roles allow the decision is checked when it is made.
func (d *Desk) decideDryRun(ctx context.Context, cmd *Command) (Reply, error) {
	l := d.Ledger
	ps, err := l.Pending(ctx)
	if err != nil {
		return Reply{}, err
	}
	i := slices.IndexFunc(ps, func(p ledger.PendingRequest) bool { return p.Request.ID == cmd.RequestID })
	if i < 0 {
		tenant, err := l.FindRequest(ctx, cmd.RequestID)
		if err != nil {
			return Reply{}, err
		}
		if tenant == "" {
			return d.refusal(cmd, ledger.UnknownRequest, fmt.Sprintf("no request %s", cmd.RequestID)), nil
		}
		return d.refusal(cmd, ledger.AlreadyDecided, fmt.Sprintf("request %s is no longer pending: nothing to decide", cmd.RequestID)), nil
	}
	p := ps[i]
	expired := l.Clock().Now().After(p.Expires)
	return dryRun(d.Renderer.DecideDryRun(p, cmd.Verb == "approve", cmd.Reason, expired), p), nil
}
