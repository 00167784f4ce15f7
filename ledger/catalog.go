package ledger

import (
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Product is a catalog entry: one Microsoft 365 product (SPEC §2).
type Product struct {
	// SKU is Microsoft's String ID, e.g. "SPB" (Business Premium).
	SKU  string `json:"sku" yaml:"sku"`
	GUID string `json:"guid,omitempty" yaml:"guid,omitempty"`
	Name string `json:"name,omitempty" yaml:"name,omitempty"`
	// Aliases are other names customers and admins use, French and English.
	Aliases []string `json:"aliases,omitempty" yaml:"aliases,omitempty"`
	// MonthlyPrice is the price of one seat per month, by term (P1M, P1Y).
	MonthlyPrice map[string]float64 `json:"monthly_price,omitempty" yaml:"monthly_price,omitempty"`
	Currency     string             `json:"currency,omitempty" yaml:"currency,omitempty"`
	// Requires lists products a user must all hold before this one.
	Requires []string `json:"requires,omitempty" yaml:"requires,omitempty"`
	// RequiresAny lists products of which a user must hold at least one
	// (an add-on and the base plans that qualify for it).
	RequiresAny []string `json:"requires_any,omitempty" yaml:"requires_any,omitempty"`
	// Excludes lists products that cannot be held by the same user.
	Excludes  []string `json:"excludes,omitempty" yaml:"excludes,omitempty"`
	EndOfSale bool     `json:"end_of_sale,omitempty" yaml:"end_of_sale,omitempty"`
}

// Price returns the monthly price of one seat for a term, falling back to the
// other term's price when the catalog has only one.
func (p *Product) Price(term string) float64 {
	if v, ok := p.MonthlyPrice[term]; ok {
		return v
	}
	for _, t := range []string{TermMonth, TermYear} {
		if v, ok := p.MonthlyPrice[t]; ok {
			return v
		}
	}
	return 0
}

// Catalog is the set of products the desk sells. It is read-only once built.
type Catalog struct {
	products map[string]*Product // by upper-case SKU
	order    []string            // SKUs in display order
	names    map[string][]string // normalised name or alias -> SKUs
}

// NewCatalog builds a catalog from products. Later entries with the same SKU
// override fields of earlier ones (SPEC §6.1 catalog overrides): a zero field
// keeps the earlier value, so an override can change a price alone.
func NewCatalog(products ...[]Product) (*Catalog, error) {
	c := &Catalog{products: map[string]*Product{}, names: map[string][]string{}}
	for _, list := range products {
		for _, p := range list {
			if err := c.merge(p); err != nil {
				return nil, err
			}
		}
	}
	for _, key := range c.order {
		p := c.products[key]
		// Relations name products case-insensitively; store canonical SKUs
		// so that the rules compare them with what users hold.
		for _, rel := range []*[]string{&p.Requires, &p.RequiresAny, &p.Excludes} {
			canon := make([]string, 0, len(*rel))
			for _, other := range *rel {
				o, ok := c.products[strings.ToUpper(strings.TrimSpace(other))]
				if !ok {
					return nil, wrapf("ledger: catalog: %s refers to unknown product %q", p.SKU, other)
				}
				canon = append(canon, o.SKU)
			}
			if *rel != nil {
				*rel = canon
			}
		}
		for _, ex := range p.Excludes {
			if slices.Contains(p.Requires, ex) || slices.Contains(p.RequiresAny, ex) {
				return nil, wrapf("ledger: catalog: %s both requires and excludes %s", p.SKU, ex)
			}
		}
	}
	c.index()
	return c, nil
}

// DefaultCatalog returns the built-in catalog.
func DefaultCatalog() *Catalog {
	c, err := NewCatalog(builtinProducts)
	if err != nil {
		panic(err) // the built-in data is tested
	}
	return c
}

// WithOverrides returns a new catalog with overrides applied on top of c.
func (c *Catalog) WithOverrides(overrides []Product) (*Catalog, error) {
	if len(overrides) == 0 {
		return c, nil
	}
	return NewCatalog(c.All(), overrides)
}

func (c *Catalog) merge(p Product) error {
	sku := strings.TrimSpace(p.SKU)
	if sku == "" {
		return wrapf("ledger: catalog: a product has no sku")
	}
	if strings.ContainsAny(sku, " \t\r\n\"'") || len(sku) > 64 {
		return wrapf("ledger: catalog: invalid sku %q", sku)
	}
	for term, v := range p.MonthlyPrice {
		if term != TermMonth && term != TermYear {
			return wrapf("ledger: catalog: %s: monthly_price term %q is not P1M or P1Y", sku, term)
		}
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return wrapf("ledger: catalog: %s: monthly_price %s must be a non-negative number", sku, term)
		}
	}
	key := strings.ToUpper(sku)
	old, ok := c.products[key]
	if !ok {
		cp := p
		cp.SKU = sku
		if cp.Name == "" {
			cp.Name = sku
		}
		if cp.Currency == "" {
			cp.Currency = "EUR"
		}
		cp.MonthlyPrice = copyPrices(p.MonthlyPrice)
		c.products[key] = &cp
		c.order = append(c.order, key)
		return nil
	}
	if p.GUID != "" {
		old.GUID = p.GUID
	}
	if p.Name != "" {
		old.Name = p.Name
	}
	if len(p.Aliases) > 0 {
		old.Aliases = append(append([]string(nil), old.Aliases...), p.Aliases...)
	}
	if len(p.MonthlyPrice) > 0 {
		prices := copyPrices(old.MonthlyPrice)
		for k, v := range p.MonthlyPrice {
			prices[k] = v
		}
		old.MonthlyPrice = prices
	}
	if p.Currency != "" {
		old.Currency = p.Currency
	}
	if p.Requires != nil {
		old.Requires = p.Requires
	}
	if p.RequiresAny != nil {
		old.RequiresAny = p.RequiresAny
	}
	if p.Excludes != nil {
		old.Excludes = p.Excludes
	}
	if p.EndOfSale {
		old.EndOfSale = true
	}
	return nil
}

func copyPrices(m map[string]float64) map[string]float64 {
	out := make(map[string]float64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (c *Catalog) index() {
	add := func(name, sku string) {
		k := NormalizeName(name)
		if k == "" {
			return
		}
		for _, s := range c.names[k] {
			if s == sku {
				return
			}
		}
		c.names[k] = append(c.names[k], sku)
	}
	for _, key := range c.order {
		p := c.products[key]
		add(p.SKU, key)
		add(p.Name, key)
		add(p.GUID, key)
		for _, a := range p.Aliases {
			add(a, key)
		}
	}
}

// Get returns the product with the given SKU (case-insensitive).
func (c *Catalog) Get(sku string) (*Product, bool) {
	p, ok := c.products[strings.ToUpper(strings.TrimSpace(sku))]
	return p, ok
}

// All returns a copy of every product, in catalog order.
func (c *Catalog) All() []Product {
	out := make([]Product, 0, len(c.order))
	for _, k := range c.order {
		out = append(out, *c.products[k])
	}
	return out
}

// Lookup finds the products a name could mean: a SKU, GUID, display name or
// alias, with case, accents, spacing, punctuation and a plural "s" ignored.
// It returns one SKU when the name is certain, several when it is ambiguous,
// none when unknown.
func (c *Catalog) Lookup(name string) []string {
	k := NormalizeName(name)
	if k == "" {
		return nil
	}
	if skus, ok := c.names[k]; ok {
		return c.skus(skus)
	}
	// Plural: "licences E3s", "Business Premiums".
	if strings.HasSuffix(k, "s") {
		if skus, ok := c.names[strings.TrimSuffix(k, "s")]; ok {
			return c.skus(skus)
		}
	}
	return nil
}

func (c *Catalog) skus(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = c.products[k].SKU
	}
	return out
}

// Search returns products whose SKU, name or alias contains every word of q.
func (c *Catalog) Search(q string) []Product {
	words := strings.Fields(NormalizeName(q))
	var out []Product
	for _, key := range c.order {
		p := c.products[key]
		hay := NormalizeName(p.SKU + " " + p.Name + " " + strings.Join(p.Aliases, " ") + " " + p.GUID)
		ok := true
		for _, w := range words {
			if !strings.Contains(hay, w) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, *p)
		}
	}
	return out
}

// Suggest returns up to n product names close to name, for "did you mean".
func (c *Catalog) Suggest(name string, n int) []string {
	k := NormalizeName(name)
	if k == "" {
		return nil
	}
	type cand struct {
		label string
		dist  int
	}
	best := map[string]cand{}
	for norm, keys := range c.names {
		d := Distance(k, norm)
		limit := max(2, len(k)/4)
		if d > limit && !(len(k) >= 3 && strings.Contains(norm, k)) {
			continue
		}
		for _, key := range keys {
			p := c.products[key]
			if old, ok := best[key]; !ok || d < old.dist {
				best[key] = cand{label: p.SKU + " (" + p.Name + ")", dist: d}
			}
		}
	}
	list := make([]cand, 0, len(best))
	for _, v := range best {
		list = append(list, v)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].dist != list[j].dist {
			return list[i].dist < list[j].dist
		}
		return list[i].label < list[j].label
	})
	var out []string
	for i := 0; i < len(list) && i < n; i++ {
		out = append(out, list[i].label)
	}
	return out
}

// stripMarks removes accents. A transform.Chain keeps state, so it is not
// safe for concurrent use: each caller takes its own from the pool.
var stripMarks = sync.Pool{New: func() any {
	return transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
}}

// NormalizeName folds a product name for comparison: lower case, accents
// removed, punctuation turned into spaces, runs of spaces collapsed, and the
// vendor words "microsoft", "office" kept (they distinguish products).
func NormalizeName(s string) string {
	if len(s) > 256 {
		s = strings.ToValidUTF8(s[:256], "")
	}
	folded := s
	if !isASCII(s) {
		t := stripMarks.Get().(transform.Transformer)
		if f, _, err := transform.String(t, s); err == nil {
			folded = f
		}
		stripMarks.Put(t)
	}
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(folded) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		case r == '+':
			// "E3 + Copilot" keeps its plus as a word of its own.
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteRune(r)
			space = true
		default:
			space = true
		}
	}
	return b.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// Distance is the Levenshtein edit distance between a and b, by rune.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) == 0 {
		return len(rb)
	}
	if len(rb) == 0 {
		return len(ra)
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
