package reader

import (
	"strings"

	"github.com/licensedesk/licensedesk/ledger"
)

// Forms and tables (issue 9, class 4): "Licence : Microsoft 365 E3" over
// "Quantité : 3", or a table whose header names a product and a quantity
// column ("Produit | Quantité", as decode renders an HTML table). Their
// operation comes from a "Type de demande : ajout" line or an "Action"
// column, else from the lead-in above them ("Please add these:") or the
// subject; without any, the reply asks for it. The lead-in itself is no
// request, and the other fields and columns (a cost centre, notes, a
// headcount) hold no quantity.

// label is what a form field or a table column holds.
type label uint8

const (
	labelNone    label = iota // not a field of a request form
	labelProduct              // "Licence", "Produit", "Product", "SKU"
	labelQty                  // "Quantité", "Qty", "Number of licences"
	labelOp                   // "Type de demande", "Request type", "Action"
	labelOther                // "Motif", "Notes", "Cost centre", "Demandeur"
)

// labels are the names of form fields and table columns, folded, their
// words joined by spaces.
var labels = map[string]label{
	"licence": labelProduct, "licences": labelProduct, "license": labelProduct, "licenses": labelProduct,
	"produit": labelProduct, "produits": labelProduct, "product": labelProduct, "products": labelProduct,
	"type de licence": labelProduct, "licence type": labelProduct, "license type": labelProduct,
	"sku": labelProduct, "abonnement": labelProduct, "subscription": labelProduct, "offre": labelProduct,
	"article": labelProduct, "item": labelProduct, "produit demande": labelProduct, "licence demandee": labelProduct,
	"product name": labelProduct, "nom du produit": labelProduct, "plan": labelProduct,
	"quantite": labelQty, "quantity": labelQty, "qty": labelQty, "qte": labelQty, "nombre": labelQty,
	"number": labelQty, "nombre de licences": labelQty, "number of licences": labelQty,
	"number of licenses": labelQty, "nb": labelQty, "nb de licences": labelQty, "count": labelQty,
	"seats": labelQty, "number of seats": labelQty, "nombre de postes": labelQty, "quantite demandee": labelQty,
	"type de demande": labelOp, "request type": labelOp, "type of request": labelOp, "type": labelOp,
	"demande": labelOp, "action": labelOp, "operation": labelOp, "request": labelOp, "nature": labelOp,
	"nature de la demande": labelOp, "change": labelOp, "changement": labelOp,
	"motif": labelOther, "reason": labelOther, "notes": labelOther, "note": labelOther,
	"commentaire": labelOther, "commentaires": labelOther, "comment": labelOther, "comments": labelOther,
	"demandeur": labelOther, "requested by": labelOther, "requester": labelOther, "cost centre": labelOther,
	"cost center": labelOther, "centre de cout": labelOther, "centre de couts": labelOther, "date": labelOther,
	"users": labelOther, "utilisateurs": labelOther, "service": labelOther, "department": labelOther,
	"site": labelOther, "project": labelOther, "projet": labelOther, "po": labelOther, "po number": labelOther,
	"bon de commande": labelOther, "reference": labelOther, "ref": labelOther, "prix": labelOther,
	"price": labelOther, "total": labelOther, "montant": labelOther, "amount": labelOther,
	"designation": labelProduct, "qte souhaitee": labelQty, "remarques": labelOther, "remarque": labelOther,
	"observations": labelOther,
}

// Words that make a longer field or column name one of a kind, when the
// name as a whole is not in labels ("Nb de licences demandées", "Qté
// souhaitée", "Désignation de l'article", "Remarques éventuelles"). A
// quantity word wins over a product word ("Nombre de licences"); a name
// that counts people ("Nombre d'utilisateurs") or also names something
// else is no quantity column.
var (
	labelQtyWords     = wordSet("quantite", "quantites", "qte", "qty", "quantity", "quantities", "nombre", "nb", "number", "count", "nbre")
	labelProductWords = wordSet("licence", "licences", "license", "licenses", "produit", "produits", "product", "products",
		"sku", "designation", "abonnement", "abonnements", "subscription", "subscriptions", "offre", "article", "plan", "item")
	labelOpWords    = wordSet("action", "operation", "demande")
	labelOtherWords = wordSet("motif", "reason", "note", "notes", "remarque", "remarques", "observation", "observations",
		"commentaire", "commentaires", "comment", "comments", "demandeur", "requester", "date", "service", "department",
		"site", "projet", "project", "centre", "center", "centre", "cost", "cout", "prix", "price", "montant", "amount",
		"total", "utilisateur", "utilisateurs", "user", "users", "personne", "personnes", "people", "employe", "employes",
		"beneficiaire", "beneficiaires", "details", "detail", "precisions", "reference", "ref", "po", "owner", "pour", "for",
		"email", "mail", "adresse", "address", "poste", "role", "equipe", "team", "statut", "status", "delai")
)

// labelOf classifies the words of [lo, hi) as a field or column name.
func (d *doc) labelOf(lo, hi int) label {
	var words []string
	for k := lo; k < hi; k++ {
		t := d.toks[k]
		if t.kind == tPunct {
			continue
		}
		if t.kind != tWord || len(words) == 5 {
			return labelNone
		}
		words = append(words, t.fold)
	}
	if len(words) == 0 {
		return labelNone
	}
	if l, ok := labels[strings.Join(words, " ")]; ok {
		return l
	}
	var qty, prod, op, other bool
	for _, w := range words {
		switch {
		case labelQtyWords[w]:
			qty = true
		case labelProductWords[w]:
			prod = true
		case labelOpWords[w]:
			op = true
		case labelOtherWords[w]:
			other = true
		}
	}
	switch {
	case other:
		return labelOther
	case qty:
		return labelQty
	case prod:
		return labelProduct
	case op:
		return labelOp
	}
	return labelNone
}

// structured reads the forms and tables of a text. It returns the segments
// it consumed, the lead-ins included, which the clause reader then skips.
func (st *state) structured(d *doc, segs []segment) map[int]bool {
	var used map[int]bool
	use := func(i int) {
		if used == nil {
			used = map[int]bool{}
		}
		used[i] = true
	}
	noForm := 0 // field lines before it make no form: what follows one cannot either
	for si := 0; si < len(segs) && !st.full(); si++ {
		if end := st.table(d, segs, si, use); end > si {
			si = end - 1
			continue
		}
		if si < noForm {
			continue
		}
		end, scanned := st.form(d, segs, si, use)
		if end > si {
			si = end - 1
		}
		noForm = max(noForm, scanned)
	}
	return used
}

// field is one "Label : value" of a form line.
type field struct {
	lab      label
	vlo, vhi int // the value's tokens
}

// fields splits a segment "Label : value" at its first colon, and a line
// holding several fields ("Licence : E3 — Quantité : 2", "Produit : E3 |
// Nombre : 2") at the separators before each further label; nil when the
// segment is no field.
func (d *doc) fields(s segment) []field {
	var out []field
	for k := s.lo; k < s.hi && k < s.lo+8; k++ {
		if t := d.toks[k]; t.kind == tPunct && t.lower == ":" {
			lab := d.labelOf(s.lo, k)
			if lab == labelNone {
				return nil
			}
			out = append(out, field{lab: lab, vlo: k + 1, vhi: s.hi})
			break
		}
	}
	if len(out) == 0 {
		return nil
	}
	for k := out[0].vlo; k < s.hi; k++ {
		if t := d.toks[k]; t.kind != tPunct || t.lower != ":" {
			continue
		}
		// The label of a further field starts after a separator, at most
		// five words before its colon.
		sep := -1
		for j, n := k-1, 0; j >= out[len(out)-1].vlo && n <= 5; j-- {
			t := d.toks[j]
			if t.kind == tPunct && fieldSeparator(t.lower) && (t.lower != "-" || t.space) {
				sep = j
				break
			}
			if t.kind != tPunct {
				n++
			}
		}
		if sep < 0 || sep+1 >= k {
			continue
		}
		lab := d.labelOf(sep+1, k)
		if lab == labelNone {
			continue
		}
		out[len(out)-1].vhi = sep
		out = append(out, field{lab: lab, vlo: k + 1, vhi: s.hi})
	}
	return out
}

// fieldSeparator reports the marks that set the fields of one line apart.
func fieldSeparator(p string) bool {
	switch p {
	case "—", "–", "-", "|", ";", ",", "/", "•", "·":
		return true
	}
	return false
}

// form reads a form starting at segment si: consecutive "Label : value"
// lines with at least a product and a quantity. It returns the segment
// after the form, or si when there is none, and the segment after the
// field lines it read (a form starting among them would lack what this
// one lacks).
func (st *state) form(d *doc, segs []segment, si int, use func(int)) (int, int) {
	end := si
	var qs []*qmention
	var ps []*pmention
	opLo, opHi := -1, -1
	hasProduct, hasQty := false, false
	for end < len(segs) {
		s := segs[end]
		if end > si && !d.toks[s.lo].line {
			break
		}
		fs := d.fields(s)
		if len(fs) == 0 {
			break
		}
		for _, f := range fs {
			switch f.lab {
			case labelProduct:
				hasProduct = true
				ps = append(ps, d.prodsIn(f.vlo, f.vhi)...)
			case labelQty:
				hasQty = true
				qs = append(qs, d.qtysIn(f.vlo, f.vhi)...)
			case labelOp:
				opLo, opHi = f.vlo, f.vhi
			}
		}
		end++
	}
	if !hasProduct || !hasQty {
		return si, end
	}
	for i := si; i < end; i++ {
		use(i)
	}
	lo, hi := segs[si].lo, segs[end-1].hi
	info, found := d.opWords(opLo, opHi)
	leadUse := use
	if found {
		leadUse = func(int) {} // the form says what to do: its lead-in stays a sentence of its own
	}
	lead, cond := st.leadIn(d, segs, si, leadUse)
	if !found {
		info, found = lead, lead.class != cNone
	}
	if cond == nil {
		cond = d.condIn(lo, hi)
	}
	if cond != nil {
		st.condRow(d, cond, qs, ps)
		return end, end
	}
	st.emit(d, lo, hi, info, found, qs, ps)
	return end, end
}

// table reads a table starting at segment si: a header row of cells
// separated by "|" naming a product and a quantity column, then the rows.
// It returns the segment after the table, or si when there is none.
func (st *state) table(d *doc, segs []segment, si int, use func(int)) int {
	head := d.cells(segs[si])
	if len(head) < 2 {
		return si
	}
	cols := make([]label, len(head))
	prodCol, qtyCol, opCol := -1, -1, -1
	for i, c := range head {
		cols[i] = d.labelOf(c[0], c[1])
		switch cols[i] {
		case labelProduct:
			prodCol = i
		case labelQty:
			qtyCol = i
		case labelOp:
			opCol = i
		}
	}
	if prodCol < 0 || qtyCol < 0 {
		return si
	}
	use(si)
	info, cond := st.leadIn(d, segs, si, use)
	found := info.class != cNone
	end := si + 1
	for ; end < len(segs); end++ {
		s := segs[end]
		if !d.toks[s.lo].line {
			break
		}
		row := d.cells(s)
		if len(row) < 2 || len(row) > len(head)+1 {
			break
		}
		use(end)
		cell := func(i int) (int, int) {
			if i < len(row) {
				return row[i][0], row[i][1]
			}
			return s.hi, s.hi
		}
		rowInfo, rowFound := info, found
		if opCol >= 0 {
			olo, ohi := cell(opCol)
			if i, ok := d.opWords(olo, ohi); ok {
				rowInfo, rowFound = i, true
			}
		}
		plo, phi := cell(prodCol)
		qlo, qhi := cell(qtyCol)
		if d.totalRow(plo, phi) {
			continue // "Total | 3": the sum of the rows above, no request of its own
		}
		if c := cond; c != nil || d.condIn(s.lo, s.hi) != nil {
			// "If the budget is approved, please add:", or a row whose
			// notes say "only if …": never applied (issue 9, class 1).
			if c == nil {
				c = d.condIn(s.lo, s.hi)
			}
			st.condRow(d, c, d.qtysIn(qlo, qhi), d.prodsIn(plo, phi))
			continue
		}
		if !d.hasProduct(plo, phi) && len(d.qtysIn(qlo, qhi)) > 0 {
			// A quantity whose product cell names nothing the catalog
			// knows: the cell is the unknown name ("Visio Plan 1 | 2").
			text := d.phrase(s.lo, s.hi)
			if s := d.sentenceOf(s.lo); s != nil {
				s.requested = true
			}
			partial := &ledger.Op{Kind: partialKind(rowInfo.class, false, false, false)}
			if name := strings.Trim(d.phrase(plo, phi), " -–—:|"); name != "" {
				st.issue(Issue{Code: ledger.UnknownProduct, Text: text, Detail: detailUnknown(st.lang, st.cat, name), Partial: partial})
			} else {
				st.issue(Issue{Code: ledger.UnknownProduct, Text: text, Detail: detailNoProduct(st.lang, d.phrase(qlo, qhi)), Partial: partial})
			}
			continue
		}
		st.emit(d, s.lo, s.hi, rowInfo, rowFound, d.qtysIn(qlo, qhi), d.prodsIn(plo, phi))
	}
	return end
}

// totalRow reports a product cell that sums the rows ("Total", "Sous-total",
// "Total général") and names no product.
func (d *doc) totalRow(lo, hi int) bool {
	if d.hasProduct(lo, hi) {
		return false
	}
	k := d.firstWord(lo, hi)
	if k >= hi {
		return false
	}
	switch d.toks[k].fold {
	case "total", "totals", "totaux", "sous", "subtotal", "sum", "somme":
		return true
	}
	return false
}

// cells splits a segment at its "|" separators into token ranges.
func (d *doc) cells(s segment) [][2]int {
	var out [][2]int
	lo := s.lo
	bars := 0
	for k := s.lo; k <= s.hi; k++ {
		if k == s.hi || d.toks[k].kind == tPunct && d.toks[k].lower == "|" {
			if k < s.hi {
				bars++
			}
			out = append(out, [2]int{lo, k})
			lo = k + 1
		}
	}
	if bars == 0 {
		return nil
	}
	return out
}

// opWords reads the operation a field or cell names: "ajout de licences",
// "Additional licences", "retrait", "new". It reports false when it names
// none.
func (d *doc) opWords(lo, hi int) (verbInfo, bool) {
	for k := lo; k < hi; k++ {
		if v, ok := verbs[d.toks[k].lower]; ok && d.toks[k].kind == tWord {
			return verbInfo{class: v.class}, true
		}
		if v, ok := verbsFold[d.toks[k].fold]; ok && d.toks[k].kind == tWord {
			return verbInfo{class: v.class}, true
		}
		switch d.toks[k].fold {
		case "additional", "supplementaire", "supplementaires", "new", "nouvelle", "nouvelles", "extra", "more":
			return verbInfo{class: cAdd}, true
		}
	}
	return verbInfo{}, false
}

// leadIn finds the verb of the lines above a form, table or list: the
// nearest earlier segment ending with a colon ("Please add these:",
// "Merci d'ajouter les licences ci-dessous :"), consumed with it. A need
// that introduces a list asks for what the list holds: "voici nos
// besoins :", "here's what we need:".
//
// A lead-in that points forward ("Pouvez-vous ajouter les licences
// ci-dessous ?", "Please action the following.") needs no colon. A lead-in
// in a conditional sentence ("If the budget is approved, please add:")
// returns that sentence: what follows it is conditional too.
func (st *state) leadIn(d *doc, segs []segment, si int, use func(int)) (verbInfo, *sentence) {
	for j := si - 1; j >= 0 && j >= si-2; j-- {
		s := segs[j]
		if !s.colon && !d.pointsForward(s) {
			if d.hasItems(s.lo, s.hi, -1) {
				break
			}
			continue
		}
		sent := d.sentenceOf(s.lo)
		if sent != nil && !sent.cond {
			sent = nil
		}
		cs := d.clauses(s)
		if len(cs) == 0 {
			if !s.colon {
				continue
			}
			info, _ := d.leadNoun(s)
			return info, sent
		}
		c := cs[len(cs)-1]
		if d.skipReason(c) != "" {
			return verbInfo{}, sent
		}
		if c.verb >= 0 && d.asksInstead(d.sentenceOf(c.verb), c.verb) {
			return verbInfo{}, sent // "Combien coûteraient les licences ci-dessous ?"
		}
		use(j)
		info := c.info
		if info.class == cNeed {
			info.class = cAdd
		}
		info.needsTarget = false
		return info, sent
	}
	return st.subject, nil
}

// pointsForward reports a segment that refers to what follows it: "les
// licences ci-dessous", "the following", "the below".
func (d *doc) pointsForward(s segment) bool {
	for k := s.lo; k < s.hi; k++ {
		switch d.toks[k].fold {
		case "dessous", "suivantes", "suivants", "suivante", "suivant", "below", "following":
			return true
		}
	}
	return false
}

// condIn returns the first conditional sentence holding a token of [lo,
// hi), or nil.
func (d *doc) condIn(lo, hi int) *sentence {
	for k := lo; k < hi; {
		s := d.sentenceOf(k)
		if s == nil {
			return nil
		}
		if s.cond {
			return s
		}
		k = max(s.hi, k+1)
	}
	return nil
}

// condRow keeps the items of a form or a table row that a condition bears
// on, like a conditional clause (see conditional).
func (st *state) condRow(d *doc, s *sentence, qs []*qmention, ps []*pmention) {
	var skus []string
	qty := 0
	for _, p := range ps {
		if !p.negated {
			skus = union(skus, p.all)
		}
	}
	for _, q := range qs {
		if !q.negated && q.status == qOK && qty == 0 {
			qty = q.value
		}
	}
	st.conds = append(st.conds, condItem{skus: skus, qty: qty, text: d.phrase(s.lo, s.hi),
		cond: d.phrase(s.condLo, s.condHi)})
}

// leadNoun reads a lead-in without a verb of its own: "Voici nos besoins
// pour décembre :" (a need after a possessive).
func (d *doc) leadNoun(s segment) (verbInfo, bool) {
	for k := s.lo; k < s.hi; k++ {
		switch f := d.toks[k].fold; {
		case f == "besoin", f == "besoins", f == "needs", f == "commande", f == "order", f == "requirements",
			arrivalWords[f]:
			return verbInfo{class: cAdd}, true
		}
	}
	return verbInfo{}, false
}

// emit reads one form or table row: its quantities and products under the
// operation found, or an issue when none was.
func (st *state) emit(d *doc, lo, hi int, info verbInfo, found bool, qs []*qmention, ps []*pmention) {
	text := d.phrase(lo, hi)
	if s := d.sentenceOf(lo); s != nil {
		s.requested = true
	}
	if !found {
		if len(qs) > 0 && len(ps) > 0 {
			st.issue(Issue{Code: ledger.InvalidRequest, Text: text,
				Detail: detailInvalid(st.lang, invNoOperation, text)})
		}
		return
	}
	var kq []*qmention
	for _, q := range qs {
		if !q.negated {
			kq = append(kq, q)
		}
	}
	var kp []*pmention
	for _, p := range ps {
		if !p.negated {
			kp = append(kp, p)
		}
	}
	if len(kq)+len(kp) == 0 {
		return
	}
	st.seats(d, clause{lo: lo, hi: hi, verb: -1, info: info, textLo: d.toks[lo].start, textHi: d.toks[hi-1].end}, text, kq, kp)
}
