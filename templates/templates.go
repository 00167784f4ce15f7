// Package templates renders every reply of licensedesk: the plain text of
// the /licenses commands and the explanation of each refusal code, in
// English and French, and the email replies. The texts live in embedded
// *.tmpl files of named blocks, so wording changes need no code change.
package templates

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"math"
	"strings"
	"text/tabwriter"
	"text/template"
	"time"

	"github.com/licensedesk/licensedesk/internal/clip"
	"github.com/licensedesk/licensedesk/ledger"
)

//go:embed *.tmpl
var files embed.FS

// Renderer renders replies. It is safe for concurrent use.
type Renderer struct {
	text *template.Template
	html *htmltemplate.Template
	cat  *ledger.Catalog
}

// New parses the embedded templates. The catalog names products in replies.
func New(cat *ledger.Catalog) (*Renderer, error) {
	r := &Renderer{cat: cat}
	t, err := template.New("").Funcs(r.funcs()).ParseFS(files, "codes.tmpl", "text.tmpl", "report.tmpl", "email_text.tmpl")
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	r.text = t
	if r.html, err = newHTML(); err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	return r, nil
}

// Lang returns a supported language for l: "fr" or "en" (the default).
func Lang(l string) string {
	if strings.HasPrefix(strings.ToLower(l), "fr") {
		return "fr"
	}
	return "en"
}

// Explain returns what a code means and the next step, in lang.
func (r *Renderer) Explain(lang string, code ledger.Code) string {
	return r.explainAs(lang, code, "code")
}

// ExplainRead explains a code that refused a read (show, report,
// history…): NotAuthorized says the reader may not view this, where
// Explain would say they may not make a change. Other codes read as
// Explain.
func (r *Renderer) ExplainRead(lang string, code ledger.Code) string {
	return r.explainAs(lang, code, "read", "code")
}

// explainMail explains a code to a customer, in an email: the desk's
// commands and flags mean nothing to them.
func (r *Renderer) explainMail(lang string, code ledger.Code) string {
	return r.explainAs(lang, code, "mail", "code")
}

// explainAs renders the first of the blocks "<lang>/<kind>/<code>" that
// exists, or the code itself.
func (r *Renderer) explainAs(lang string, code ledger.Code, kinds ...string) string {
	if code == "" {
		return ""
	}
	lang = Lang(lang)
	for _, kind := range kinds {
		name := lang + "/" + kind + "/" + string(code)
		if r.text.Lookup(name) == nil {
			continue
		}
		var b bytes.Buffer
		if err := r.text.ExecuteTemplate(&b, name, nil); err != nil {
			return string(code)
		}
		if lang == "fr" {
			return frenchTypography(b.String())
		}
		return b.String()
	}
	return string(code)
}

func (r *Renderer) exec(name string, data any) string {
	var b bytes.Buffer
	if err := r.text.ExecuteTemplate(&b, name, data); err != nil {
		// The templates are tested; a failure here is a programming error,
		// and the reader still gets something useful.
		return fmt.Sprintf("(reply could not be rendered: %v)", err)
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}

// Result renders the outcome of a change request.
func (r *Renderer) Result(res ledger.Result) string {
	return r.exec("result", map[string]any{"Result": res})
}

// Show renders a tenant's Licenses page; detail adds the subscriptions.
func (r *Renderer) Show(v ledger.TenantView, detail bool) string {
	return r.exec("show", map[string]any{"View": v, "Detail": detail})
}

// Tenants renders the list of tenants.
func (r *Renderer) Tenants(ids []string) string { return r.exec("tenants", ids) }

// Conflicts renders products with more users than seats.
func (r *Renderer) Conflicts(cs []ledger.Conflict) string { return r.exec("conflicts", cs) }

// History renders audit records, newest first.
func (r *Renderer) History(tenant string, recs []ledger.AuditRecord) string {
	return r.exec("history", map[string]any{"Tenant": tenant, "Records": recs})
}

// Products renders catalog entries.
func (r *Renderer) Products(ps []ledger.Product) string { return r.exec("products", ps) }

// Pending renders the requests waiting for approval.
func (r *Renderer) Pending(ps []ledger.PendingRequest) string { return r.exec("pending", ps) }

// Whoami renders who the requester is to the desk.
func (r *Renderer) Whoami(req ledger.Requester) string { return r.exec("whoami", req) }

// Role renders the outcome of grant or revoke.
func (r *Renderer) Role(user string, role ledger.Role, grant, changed bool) string {
	return r.exec("role", map[string]any{"User": user, "Role": role, "Grant": grant, "Changed": changed})
}

// opView is one operation as a reply shows it. A dry run changes the
// outcome ("would be done"), and Would the verbs of what the operation
// does to users and seats: it did not happen (a dry run, an operation
// waiting for approval or not run).
type opView struct {
	ledger.OpResult
	DryRun bool
	Would  bool
}

func (r *Renderer) funcs() template.FuncMap {
	return template.FuncMap{
		"explain":     r.Explain,
		"explainMail": r.explainMail,
		"productName": r.productName,
		"money": func(lang string, v any, currency string) string {
			return formatMoney(lang, toFloat(v), currency)
		},
		"date":     func(lang string, t time.Time) string { return formatDate(lang, t, false) },
		"datetime": func(lang string, t time.Time) string { return formatDate(lang, t, true) },
		"clipText": clip.Text,
		"deref": func(p *float64) float64 {
			if p == nil {
				return 0
			}
			return *p
		},
		"abs":    func(v any) float64 { return math.Abs(toFloat(v)) },
		"join":   join,
		"sub":    func(a, b int) int { return a - b },
		"add":    func(a, b int) int { return a + b },
		"price":  func(p ledger.Product, term string) float64 { return p.Price(term) },
		"plural": plural,
		"pl":     pl,
		"de":     de,
		"quote":  quote,
		"users":  userList,
		"statusLine": func(s ledger.Status) string {
			return statusLabel[s]
		},
		"outcome":       OutcomeLabel,
		"outcomeText":   outcomeText,
		"requestErrors": RequestErrors,
		"countOutcome": func(us []ledger.UserOutcome, o string) int {
			n := 0
			for _, u := range us {
				if u.Outcome == o {
					n++
				}
			}
			return n
		},
		"table":  r.table,
		"opLine": r.opLine,
		"opView": func(op ledger.OpResult, res ledger.Result) opView {
			dry := res.Status == ledger.StatusDryRun
			return opView{OpResult: op, DryRun: dry,
				Would: dry || op.Outcome == ledger.OutcomePending || op.Outcome == ledger.OutcomeNotRun}
		},
		"seats":         seatsOf,
		"switchUsers":   switchUsers,
		"userCount":     userCount,
		"retentionDays": func() int { return int(ledger.DataRetention / (24 * time.Hour)) },
		"products": func(skus []string, sep string) string {
			names := make([]string, len(skus))
			for i, sku := range skus {
				names[i] = sku
				if p, ok := r.cat.Get(sku); ok {
					names[i] = p.Name + " (" + p.SKU + ")"
				}
			}
			return strings.Join(names, sep)
		},
		"issueView": func(is Issue, lang, domain string) issueView {
			return issueView{Issue: is, Hint: r.hint(is, lang, domain)}
		},
		"askExample":  r.askExample,
		"alertCounts": alertCounts,
		"unused":      unused,
		"conflicted":  conflicted,
		"firstTenants": func(ts []ledger.TenantReport) []ledger.TenantReport {
			return ts[:min(len(ts), reportTenants)]
		},
		"restOf": restOf,
	}
}

// productName is the display name of a product, or the SKU when the
// catalog does not know it.
func (r *Renderer) productName(sku string) string {
	if p, ok := r.cat.Get(sku); ok && p.Name != "" {
		return p.Name
	}
	return sku
}

// userCount is how many users an operation named: its per-user outcomes,
// or else its users.
func userCount(op ledger.OpResult) int {
	if len(op.UserResults) > 0 {
		return len(op.UserResults)
	}
	return len(op.Users)
}

var statusLabel = map[ledger.Status]string{
	ledger.StatusApplied:            "✓ Applied",
	ledger.StatusPartiallyApplied:   "◐ Partially applied",
	ledger.StatusRefused:            "✗ Refused",
	ledger.StatusPendingApproval:    "… Waiting for approval",
	ledger.StatusNeedsClarification: "? Needs clarification",
	ledger.StatusRejected:           "✗ Rejected",
	ledger.StatusIgnored:            "· Ignored",
	ledger.StatusDuplicate:          "↺ Already processed",
	ledger.StatusDryRun:             "◌ Dry run (nothing changed)",
	ledger.StatusAnswered:           "ℹ Answered (nothing changed)",
}

// OutcomeLabel is the English label of an operation's outcome.
func OutcomeLabel(o string) string {
	if l, ok := outcomeLabel[o]; ok {
		return l
	}
	return o
}

var outcomeLabel = map[string]string{
	ledger.OutcomeApplied:   "applied",
	ledger.OutcomePartial:   "partially applied",
	ledger.OutcomeRefused:   "refused",
	ledger.OutcomeUnchanged: "unchanged",
	ledger.OutcomeScheduled: "scheduled",
	ledger.OutcomeNotRun:    "not applied",
	ledger.OutcomePending:   "waiting for approval",
}

// outcomeWords are the outcomes of an operation as a reply says them,
// by language, for a request that ran and for a dry run (R-DRYRUN: what
// would be done; nothing was).
var outcomeWords = map[string]map[bool]map[string]string{
	"en": {
		false: {ledger.OutcomeApplied: "done", ledger.OutcomePartial: "partly done", ledger.OutcomeRefused: "refused",
			ledger.OutcomeUnchanged: "nothing to change", ledger.OutcomeScheduled: "scheduled",
			ledger.OutcomeNotRun: "not applied", ledger.OutcomePending: "waiting for approval"},
		true: {ledger.OutcomeApplied: "would be done", ledger.OutcomePartial: "would be partly done", ledger.OutcomeRefused: "would be refused",
			ledger.OutcomeUnchanged: "nothing to change", ledger.OutcomeScheduled: "would be scheduled",
			ledger.OutcomeNotRun: "would not be applied", ledger.OutcomePending: "would wait for approval"},
	},
	"fr": {
		false: {ledger.OutcomeApplied: "fait", ledger.OutcomePartial: "fait en partie", ledger.OutcomeRefused: "refusé",
			ledger.OutcomeUnchanged: "rien à changer", ledger.OutcomeScheduled: "programmé",
			ledger.OutcomeNotRun: "non appliqué", ledger.OutcomePending: "en attente de validation"},
		true: {ledger.OutcomeApplied: "serait fait", ledger.OutcomePartial: "serait fait en partie", ledger.OutcomeRefused: "serait refusé",
			ledger.OutcomeUnchanged: "rien à changer", ledger.OutcomeScheduled: "serait programmé",
			ledger.OutcomeNotRun: "ne serait pas appliqué", ledger.OutcomePending: "serait soumis à validation"},
	},
}

// outcomeText says an operation's outcome in lang; "cli" is the command
// line's English ("applied", "would be applied").
func outcomeText(lang, o string, dryRun bool) string {
	if lang == "cli" {
		if dryRun && (o == ledger.OutcomeApplied || o == ledger.OutcomePartial || o == ledger.OutcomeScheduled) {
			return "would be " + OutcomeLabel(o)
		}
		return OutcomeLabel(o)
	}
	if w, ok := outcomeWords[Lang(lang)][dryRun][o]; ok {
		return w
	}
	return o
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case *float64:
		if x == nil {
			return 0
		}
		return *x
	case int:
		return float64(x)
	}
	return 0
}

// join joins strings or string-like values.
func join(v any, sep string) string {
	switch x := v.(type) {
	case []string:
		return strings.Join(x, sep)
	case []ledger.Role:
		s := make([]string, len(x))
		for i, r := range x {
			s[i] = string(r)
		}
		return strings.Join(s, sep)
	}
	return fmt.Sprint(v)
}

// table lays out the Licenses page as aligned columns.
func (r *Renderer) table(v ledger.TenantView, detail bool) string {
	if len(v.Products) == 0 {
		return "No subscriptions.\n"
	}
	var b bytes.Buffer
	w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "PRODUCT\tSKU\tTOTAL\tASSIGNED\tAVAILABLE\tSTATUS\tMONTHLY")
	for _, p := range v.Products {
		status := "ok"
		switch {
		case p.Conflict:
			status = fmt.Sprintf("CONFLICT: %d over", -p.Available)
		case p.Total == 0 && p.Assigned == 0:
			status = "no active seats"
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%s\t%s\n", p.Name, p.SKU, p.Total, p.Assigned, p.Available, status, formatMoney("en", p.MonthlyCost, p.Currency))
		if detail {
			for _, s := range p.Subscriptions {
				renew := "auto-renew off"
				if s.AutoRenew {
					renew = "auto-renew on"
				}
				extra := ""
				if s.ScheduledReduction > 0 {
					extra = fmt.Sprintf(", −%d at renewal", s.ScheduledReduction)
				}
				if s.CreditCheckPending {
					extra += ", credit check pending"
				}
				fmt.Fprintf(w, "  └ %s\t%s\t%d\t\t\t%s\t%s %s, %s, ends %s, %s%s\n", s.ID, s.Term, s.Quantity(), s.State, s.Source, s.Payment, renew, formatDate("en", s.TermEnd, false), batches(s.Seats), extra)
			}
		}
	}
	w.Flush()
	return b.String()
}

func batches(bs []ledger.SeatBatch) string {
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = fmt.Sprintf("%d added %s", b.Quantity, formatDate("en", b.AddedAt, false))
	}
	return "batches: " + strings.Join(parts, "; ")
}

// RequestErrors returns the errors of a result that no operation carries:
// refusals of the request as a whole (unknown tenant, not authorised).
func RequestErrors(res ledger.Result) []ledger.Error {
	var out []ledger.Error
	for _, e := range res.Errors {
		shown := false
		for _, op := range res.Ops {
			if op.Code == e.Code && op.Outcome == ledger.OutcomeRefused {
				shown = true
			}
			for _, u := range op.UserResults {
				if u.Code == e.Code && strings.HasPrefix(e.Message, u.UPN+": ") {
					shown = true
				}
			}
		}
		if !shown {
			out = append(out, e)
		}
	}
	return out
}

// opLine says one understood operation in lang: "ajouter 5 × Microsoft 365
// Business Premium", "assign Office 365 E3 to alice@contoso.com". A part
// that was not understood (no product, no quantity, no user) shows as
// missing: "retirer 1 × ?".
func (r *Renderer) opLine(lang string, op ledger.Op) string {
	// The space before a missing part does not break: "?" never starts a
	// line, and French typography leaves it be.
	return strings.ReplaceAll(r.opWords(lang, op), " "+missing, nbsp+missing)
}

func (r *Renderer) opWords(lang string, op ledger.Op) string {
	name, to := missing, missing
	if op.SKU != "" {
		name = r.productName(op.SKU)
	}
	if op.To != "" {
		to = r.productName(op.To)
	}
	qty := missing
	if op.Quantity > 0 {
		qty = fmt.Sprint(op.Quantity)
	}
	fr := Lang(lang) == "fr"
	users := userList(lang, op.Users, 10)
	switch {
	case op.All && fr:
		users = "tous les utilisateurs"
	case op.All:
		users = "every user"
	case len(op.Users) == 0:
		users = missing
	}
	if fr {
		switch op.Kind {
		case ledger.OpAdd:
			return fmt.Sprintf("ajouter %s × %s", qty, name)
		case ledger.OpRemove:
			return fmt.Sprintf("retirer %s × %s", qty, name)
		case ledger.OpSet:
			if op.Quantity > 0 {
				return fmt.Sprintf("porter %s à %s au total", name, plural(lang, op.Quantity, "licence", "licences"))
			}
			return fmt.Sprintf("porter %s à %s licences au total", name, qty)
		case ledger.OpAssign:
			return fmt.Sprintf("attribuer %s à %s", name, users)
		case ledger.OpUnassign:
			return fmt.Sprintf("retirer %s à %s", name, users)
		case ledger.OpSwitch:
			from := de(name)
			if op.SKU == "" {
				from = "de " + missing
			}
			return fmt.Sprintf("passer %s %s à %s", users, from, to)
		}
	}
	switch op.Kind {
	case ledger.OpAdd:
		return fmt.Sprintf("add %s × %s", qty, name)
	case ledger.OpRemove:
		return fmt.Sprintf("remove %s × %s", qty, name)
	case ledger.OpSet:
		return fmt.Sprintf("set %s to a total of %s", name, qty)
	case ledger.OpAssign:
		return fmt.Sprintf("assign %s to %s", name, users)
	case ledger.OpUnassign:
		return fmt.Sprintf("unassign %s from %s", name, users)
	case ledger.OpSwitch:
		return fmt.Sprintf("move %s from %s to %s", users, name, to)
	}
	return string(op.Kind) + " " + name
}
