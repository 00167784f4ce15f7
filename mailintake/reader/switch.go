package reader

import (
	"slices"
	"strconv"

	"github.com/licensedesk/licensedesk/ledger"
)

// Switch requests (R-SWITCH, issue 14): "upgrade alice@… and bob@… from
// Business Standard to Business Premium", "move all our E3 users to E5",
// "passer alice@… de Business Standard à Business Premium", "migrer nos
// utilisateurs E3 vers E5". A switch names the product users leave (FROM:
// after "from"/"de", or the one their people word names: "our E3 users"),
// the product they move to (TO: after "to"/"à"/"vers") and who moves:
// addresses of the tenant's domains, or everyone holding FROM ("all",
// "tous", "our E3 users"). Anything missing is asked about, never guessed.

// Words that mark the two sides of a switch, folded.
var (
	switchFrom   = wordSet("from", "de", "du", "des", "d", "off")
	switchTo     = wordSet("to", "into", "onto", "a", "vers", "en", "sur")
	switchAll    = wordSet("all", "every", "everyone", "everybody", "tous", "toutes", "ensemble", "chaque")
	switchPeople = wordSet("users", "user", "utilisateurs", "utilisateur", "collaborateurs", "people", "staff",
		"employees", "salaries", "personnes", "holders", "comptes", "accounts", "members", "membres")
	possessives = wordSet("our", "nos", "notre", "my", "mes", "the", "les")
)

// switchSides finds FROM and TO among the products of a clause: two
// products with a "to" word between them, the first after a "from" word or
// next to a people word. It returns their indexes in ps, or -1.
func (d *doc) switchSides(c clause, ps []*pmention) (from, to int) {
	for i := 0; i+1 < len(ps); i++ {
		a, b := ps[i], ps[i+1]
		if !d.toBetween(a.hi, b.lo) {
			continue
		}
		if d.fromBefore(c, a) || d.peopleNext(a) {
			return i, i + 1
		}
	}
	return -1, -1
}

// toBetween reports a "to" word (or an arrow) between tokens lo and hi.
func (d *doc) toBetween(lo, hi int) bool {
	for k := lo; k < hi; k++ {
		t := d.toks[k]
		if t.kind == tWord && switchTo[t.fold] || t.kind == tPunct && (t.lower == "→" || t.lower == ">") {
			return true
		}
	}
	return false
}

// fromBefore reports a "from" word within two words before the product.
func (d *doc) fromBefore(c clause, p *pmention) bool {
	for _, k := range d.prevWords(p.lo, 2) {
		if k < c.lo {
			break
		}
		if switchFrom[d.toks[k].fold] {
			return true
		}
		if !possessives[d.toks[k].fold] {
			break
		}
	}
	return false
}

// peopleNext reports a people word right before or after a product: "our
// E3 users", "nos utilisateurs E3".
func (d *doc) peopleNext(p *pmention) bool {
	if nx := d.nextWord(p.hi - 1); nx >= 0 && switchPeople[d.toks[nx].fold] {
		return true
	}
	if pv := d.prevWords(p.lo, 1); len(pv) == 1 && switchPeople[d.toks[pv[0]].fold] {
		return true
	}
	return false
}

// everyone reports a clause that moves every holder: "all", "tous", or a
// possessive before a people word ("our E3 users", "nos utilisateurs").
func (d *doc) everyone(c clause) bool {
	for k := c.lo; k < c.hi; k++ {
		f := d.toks[k].fold
		if switchAll[f] {
			return true
		}
		if switchPeople[f] {
			for _, j := range d.prevWords(k, 3) {
				if possessives[d.toks[j].fold] && d.toks[j].fold != "the" && d.toks[j].fold != "les" {
					return true
				}
			}
		}
	}
	return false
}

// switchRequest reads a clause as a switch when it is one: a verb of
// switching ("upgrade", "move", "migrer"…), or one of setting ("passer",
// "change") with a FROM and a TO. It reports whether it did.
func (st *state) switchRequest(d *doc, c clause, text string, ps []*pmention, at []int, qs []*qmention) bool {
	class := c.info.class
	if class != cSwitch && class != cSet {
		return false
	}
	fi, ti := d.switchSides(c, ps)
	if fi < 0 && class != cSwitch {
		return false // "passer les E3 à 40" sets a total
	}
	op := ledger.Op{Kind: ledger.OpSwitch}
	users, ok := st.switchUsers(d, text, at)
	if !ok {
		return true // foreign or too many users: reported
	}
	all := len(users) == 0 && d.everyone(c)
	op.Users, op.All = users, all
	if fi < 0 {
		// A switch verb without both sides: "upgrade alice@… to E5",
		// "downgrade our E5 users". The missing side is asked about.
		partial := op
		partial.Users = slices.Clone(users)
		for _, p := range ps {
			if len(p.skus) != 1 {
				continue
			}
			if d.toBetween(max(c.verb+1, c.lo), p.lo) {
				partial.To = p.skus[0]
			} else {
				partial.SKU = p.skus[0]
			}
		}
		if len(ps) == 0 && len(users) == 0 && !all {
			return true // "move to the new office": no licence named
		}
		st.issue(Issue{Code: ledger.UnknownProduct, Text: text, Partial: &partial,
			Detail: detailSwitchSide(st.lang, partial.SKU == "")})
		return true
	}
	from, to := ps[fi], ps[ti]
	partial := op
	partial.Users = slices.Clone(users)
	if len(from.skus) == 1 {
		partial.SKU = from.skus[0]
	}
	if len(to.skus) == 1 {
		partial.To = to.skus[0]
	}
	ambiguous := false
	for _, p := range []*pmention{from, to} {
		if len(p.skus) != 1 {
			ambiguous = true
			st.issue(Issue{Code: ledger.AmbiguousProduct, Text: text, Candidates: slices.Clone(p.skus),
				Detail: detailAmbiguous(st.lang, st.cat, d.phrase(p.lo, p.hi), p.skus), Partial: &partial})
		}
	}
	if ambiguous {
		return true
	}
	op.SKU, op.To = partial.SKU, partial.To
	if op.SKU == op.To {
		st.issue(Issue{Code: ledger.InvalidRequest, Text: text, Detail: detailInvalid(st.lang, invSwitchSame, "")})
		return true
	}
	// A count of users to move says who only with their names: "move 3
	// users from E3 to E5" asks which.
	for _, q := range qs {
		if d.describes(q) {
			continue // "(we have 40 E5 already)": what the tenant has
		}
		if q.status != qOK || len(users) == 0 || q.value != len(users) && q.value != 1 {
			st.issue(Issue{Code: ledger.InvalidRequest, Text: text, Partial: &partial,
				Detail: detailInvalid(st.lang, invUsersCount, d.phrase(q.lo, q.hi)+" / "+strconv.Itoa(len(users)))})
			return true
		}
	}
	if len(users) == 0 && !all {
		st.issue(Issue{Code: ledger.InvalidRequest, Text: text, Detail: detailInvalid(st.lang, invNoUser, ""), Partial: &partial})
		return true
	}
	st.op(op)
	return true
}

// switchUsers returns the users a switch names, or reports foreign ones
// (SPEC §4.3) and too many (R-SWITCH: up to 1,000) and returns false.
func (st *state) switchUsers(d *doc, text string, at []int) ([]string, bool) {
	users, bad := st.checkUsers(d, text, at)
	if bad != nil {
		st.issue(*bad)
		return nil, false
	}
	return users, true
}

// checkUsers returns the lower-cased addresses at token indexes at, or the
// issue that refuses them: one outside the tenant's domains (ForeignUser),
// too many (TooManyUsers).
func (st *state) checkUsers(d *doc, text string, at []int) ([]string, *Issue) {
	var users, foreign []string
	for _, k := range at {
		u := d.toks[k].lower
		if slices.Contains(users, u) || slices.Contains(foreign, u) {
			continue
		}
		if !st.domains[u[lastAt(u)+1:]] || !validAddress(u) {
			foreign = append(foreign, u)
			continue
		}
		users = append(users, u)
	}
	if len(foreign) > 0 {
		if len(foreign) > 20 {
			foreign = append(foreign[:20], "…")
		}
		return nil, &Issue{Code: ledger.ForeignUser, Text: text, Detail: detailForeign(st.lang, foreign)}
	}
	if len(users) > ledger.MaxUsersPerOp {
		return nil, &Issue{Code: ledger.TooManyUsers, Text: text, Detail: detailTooManyUsers(st.lang, len(users))}
	}
	return users, nil
}

func lastAt(u string) int {
	for i := len(u) - 1; i >= 0; i-- {
		if u[i] == '@' {
			return i
		}
	}
	return -1
}
