package reader

import (
	"runtime"
	"slices"
	"strings"
	"sync"
	"weak"

	"github.com/licensedesk/licensedesk/ledger"
)

// index finds product names in a token stream. It is a trie over the words of
// every SKU, display name, GUID and alias, folded the way ledger.NormalizeName
// folds them; each name's products come from cat.Lookup, so the reader and the
// catalog never disagree about what a name means.
//
// It holds no pointer to the catalog, so that the weak cache below can let a
// catalog go.
type index struct {
	root  *trieNode
	names []nameWords // every name, for the "Microsoft E3" check
	depth int         // the most words in a name
	// family maps the words of a name without its vendor words ("e3",
	// "exchange", "entra id") to every product one of whose names is
	// those words, after vendor words and before more words: "E3" is the
	// family of Office 365 E3 and Microsoft 365 E3, "Exchange" that of the
	// Exchange Online plans (issue 9, class 7). Names the catalog gives to
	// several products ("Office 365 Business Premium") make no family.
	family map[string][]string
}

type trieNode struct {
	next map[string]*trieNode
	skus []string // set on a node that ends a name
}

type nameWords struct {
	sku   string
	words []string
}

// vendorWords may precede a product name without being part of it; a name
// written with one ("Microsoft E3") is checked against the names that contain
// it (SPE_E3 is "Microsoft 365 E3", ENTERPRISEPACK "Office 365 E3").
var vendorWords = map[string]bool{"microsoft": true, "office": true, "m365": true, "o365": true}

func newIndex(cat *ledger.Catalog) *index {
	ix := &index{root: &trieNode{}, family: map[string][]string{}}
	for _, p := range cat.All() {
		names := append([]string{p.SKU, p.Name, p.GUID}, p.Aliases...)
		for ni, n := range names {
			k := ledger.NormalizeName(n)
			words := strings.Fields(k)
			if len(words) == 0 {
				continue
			}
			ix.depth = max(ix.depth, len(words))
			node := ix.root
			for _, w := range words {
				if node.next == nil {
					node.next = map[string]*trieNode{}
				}
				child, ok := node.next[w]
				if !ok {
					child = &trieNode{}
					node.next[w] = child
				}
				node = child
			}
			if node.skus == nil {
				node.skus = cat.Lookup(k)
			}
			ix.names = append(ix.names, nameWords{sku: p.SKU, words: words})
			if len(node.skus) == 1 && ni != 0 && ni != 2 {
				ix.addFamily(p.SKU, words) // names people write: not the String ID nor the GUID
			}
		}
	}
	return ix
}

// addFamily records sku under every leading part of a name's words once its
// vendor words are dropped: "Microsoft 365 E3" under "e3", "Exchange Online
// (Plan 1)" under "exchange", "exchange online", "exchange online plan"…
func (ix *index) addFamily(sku string, words []string) {
	i := 0
	for i < len(words) && (vendorWords[words[i]] || words[i] == "365") {
		i++
	}
	for j := i + 1; j <= len(words); j++ {
		k := strings.Join(words[i:j], " ")
		if !slices.Contains(ix.family[k], sku) {
			ix.family[k] = append(ix.family[k], sku)
		}
	}
}

// familyOf returns the family of a name's words (vendor words first are
// dropped), nil when it has none.
func (ix *index) familyOf(words []string) []string {
	i := 0
	for i < len(words) && (vendorWords[words[i]] || words[i] == "365") {
		i++
	}
	if i == len(words) {
		return nil
	}
	return ix.family[strings.Join(words[i:], " ")]
}

// productsWith returns the SKUs having one name that holds every word of
// words, in catalog order.
func (ix *index) productsWith(words []string) []string {
	var out []string
	for _, n := range ix.names {
		if slices.Contains(out, n.sku) {
			continue
		}
		all := true
		for _, w := range words {
			if !slices.Contains(n.words, w) {
				all = false
				break
			}
		}
		if all {
			out = append(out, n.sku)
		}
	}
	return out
}

// The index of a catalog is built once and kept while the catalog lives:
// catalogs are read-only once built (ledger.NewCatalog), and the weak key lets
// a replaced catalog and its index be collected.
var indexes sync.Map // weak.Pointer[ledger.Catalog] → *index

func indexFor(cat *ledger.Catalog) *index {
	key := weak.Make(cat)
	if v, ok := indexes.Load(key); ok {
		return v.(*index)
	}
	ix := newIndex(cat)
	if v, loaded := indexes.LoadOrStore(key, ix); loaded {
		return v.(*index)
	}
	runtime.AddCleanup(cat, func(k weak.Pointer[ledger.Catalog]) { indexes.Delete(k) }, key)
	return ix
}
