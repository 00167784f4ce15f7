// Package templates renders every reply of licensedesk: the plain text of
// the /licenses commands and the explanation of each refusal code, in
// English and French. The texts live in embedded *.tmpl files of named
// blocks, so wording changes need no code change.
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
	t, err := template.New("").Funcs(r.funcs()).ParseFS(files, "codes.tmpl", "text.tmpl", "email_text.tmpl")
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
	if code == "" {
		return ""
	}
	var b bytes.Buffer
	name := Lang(lang) + "/code/" + string(code)
	if r.text.Lookup(name) == nil {
		return string(code)
	}
	if err := r.text.ExecuteTemplate(&b, name, nil); err != nil {
		return string(code)
	}
	return b.String()
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

func (r *Renderer) funcs() template.FuncMap {
	return template.FuncMap{
		"explain": r.Explain,
		"productName": func(sku string) string {
			if p, ok := r.cat.Get(sku); ok {
				return p.Name
			}
			return sku
		},
		"money": func(v any, currency string) string {
			if currency == "" {
				currency = "EUR"
			}
			return fmt.Sprintf("%.2f %s", toFloat(v), currency)
		},
		"deref": func(p *float64) float64 {
			if p == nil {
				return 0
			}
			return *p
		},
		"abs":   func(p *float64) float64 { return math.Abs(toFloat(p)) },
		"date":  func(t time.Time) string { return t.UTC().Format("2006-01-02") },
		"time":  func(t time.Time) string { return t.UTC().Format("15:04") },
		"join":  join,
		"sub":   func(a, b int) int { return a - b },
		"price": func(p ledger.Product, term string) float64 { return p.Price(term) },
		"statusLine": func(s ledger.Status) string {
			return statusLabel[s]
		},
		"outcome":       OutcomeLabel,
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
		"table": r.table,
		"opVerb": func(lang string, op ledger.OpKind) string {
			return opVerbs[Lang(lang)][op]
		},
		"outcomeFr": func(o string) string { return outcomeFr[o] },
		"opLine":    r.opLine,
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
		"moneyFr": func(v any, currency string) string {
			if currency == "" {
				currency = "EUR"
			}
			if currency == "EUR" {
				currency = "€"
			}
			// French writes 1234,50 €.
			return strings.Replace(fmt.Sprintf("%.2f", toFloat(v)), ".", ",", 1) + " " + currency
		},
		"dateFr": func(t time.Time) string { return t.UTC().Format("02/01/2006") },
	}
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
}

var opVerbs = map[string]map[ledger.OpKind]string{
	"en": {ledger.OpAdd: "Add", ledger.OpRemove: "Remove", ledger.OpSet: "Set the total to", ledger.OpAssign: "Assign",
		ledger.OpUnassign: "Unassign", ledger.OpRenew: "Renew", ledger.OpAutoRenew: "Auto-renew of", ledger.OpLifecycle: "Lifecycle of"},
	"fr": {ledger.OpAdd: "Ajout de", ledger.OpRemove: "Retrait de", ledger.OpSet: "Total porté à", ledger.OpAssign: "Attribution de",
		ledger.OpUnassign: "Retrait de l'attribution de", ledger.OpRenew: "Renouvellement de", ledger.OpAutoRenew: "Renouvellement automatique de", ledger.OpLifecycle: "Cycle de vie de"},
}

var outcomeFr = map[string]string{
	ledger.OutcomeApplied:   "fait",
	ledger.OutcomePartial:   "fait en partie",
	ledger.OutcomeRefused:   "refusé",
	ledger.OutcomeUnchanged: "inchangé",
	ledger.OutcomeScheduled: "programmé",
	ledger.OutcomeNotRun:    "non appliqué",
	ledger.OutcomePending:   "en attente de validation",
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
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%s\t%.2f %s\n", p.Name, p.SKU, p.Total, p.Assigned, p.Available, status, p.MonthlyCost, p.Currency)
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
				fmt.Fprintf(w, "  └ %s\t%s\t%d\t\t\t%s\t%s %s, %s, ends %s, %s%s\n", s.ID, s.Term, s.Quantity(), s.State, s.Source, s.Payment, renew, s.TermEnd.Format("2006-01-02"), batches(s.Seats), extra)
			}
		}
	}
	w.Flush()
	return b.String()
}

func batches(bs []ledger.SeatBatch) string {
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = fmt.Sprintf("%d added %s", b.Quantity, b.AddedAt.Format("2006-01-02"))
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
// Business Premium", "assign Office 365 E3 to alice@contoso.com".
func (r *Renderer) opLine(lang string, op ledger.Op) string {
	name := op.SKU
	if p, ok := r.cat.Get(op.SKU); ok {
		name = p.Name
	}
	users := strings.Join(op.Users, ", ")
	if len(op.Users) > 10 {
		users = strings.Join(op.Users[:10], ", ") + fmt.Sprintf(" (+%d)", len(op.Users)-10)
	}
	if Lang(lang) == "fr" {
		switch op.Kind {
		case ledger.OpAdd:
			return fmt.Sprintf("ajouter %d × %s", op.Quantity, name)
		case ledger.OpRemove:
			return fmt.Sprintf("retirer %d × %s", op.Quantity, name)
		case ledger.OpSet:
			return fmt.Sprintf("porter %s à %d licences au total", name, op.Quantity)
		case ledger.OpAssign:
			return fmt.Sprintf("attribuer %s à %s", name, users)
		case ledger.OpUnassign:
			return fmt.Sprintf("retirer %s à %s", name, users)
		}
	}
	switch op.Kind {
	case ledger.OpAdd:
		return fmt.Sprintf("add %d × %s", op.Quantity, name)
	case ledger.OpRemove:
		return fmt.Sprintf("remove %d × %s", op.Quantity, name)
	case ledger.OpSet:
		return fmt.Sprintf("set %s to a total of %d", name, op.Quantity)
	case ledger.OpAssign:
		return fmt.Sprintf("assign %s to %s", name, users)
	case ledger.OpUnassign:
		return fmt.Sprintf("unassign %s from %s", name, users)
	}
	return string(op.Kind) + " " + name
}
