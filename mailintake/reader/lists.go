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
}

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
	return labels[strings.Join(words, " ")]
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
	for si := 0; si < len(segs) && !st.full(); si++ {
		if end := st.table(d, segs, si, use); end > si {
			si = end - 1
			continue
		}
		if end := st.form(d, segs, si, use); end > si {
			si = end - 1
		}
	}
	return used
}

// field splits a segment "Label : value" at its first colon; ok is false
// when the segment is no field.
func (d *doc) field(s segment) (lab label, vlo int, ok bool) {
	for k := s.lo; k < s.hi && k < s.lo+8; k++ {
		if t := d.toks[k]; t.kind == tPunct && t.lower == ":" {
			lab = d.labelOf(s.lo, k)
			return lab, k + 1, lab != labelNone
		}
	}
	return labelNone, 0, false
}

// form reads a form starting at segment si: consecutive "Label : value"
// lines with at least a product and a quantity. It returns the segment
// after the form, or si when there is none.
func (st *state) form(d *doc, segs []segment, si int, use func(int)) int {
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
		lab, vlo, ok := d.field(s)
		if !ok {
			break
		}
		switch lab {
		case labelProduct:
			hasProduct = true
			ps = append(ps, d.prodsIn(vlo, s.hi)...)
		case labelQty:
			hasQty = true
			qs = append(qs, d.qtysIn(vlo, s.hi)...)
		case labelOp:
			opLo, opHi = vlo, s.hi
		}
		end++
	}
	if !hasProduct || !hasQty {
		return si
	}
	for i := si; i < end; i++ {
		use(i)
	}
	lo, hi := segs[si].lo, segs[end-1].hi
	info, found := d.opWords(opLo, opHi)
	if !found {
		info, found = st.leadIn(d, segs, si, use)
	}
	st.emit(d, lo, hi, info, found, qs, ps)
	return end
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
	info, found := st.leadIn(d, segs, si, use)
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
		plo, phi := cell(prodCol)
		qlo, qhi := cell(qtyCol)
		rowInfo, rowFound := info, found
		if opCol >= 0 {
			olo, ohi := cell(opCol)
			if i, ok := d.opWords(olo, ohi); ok {
				rowInfo, rowFound = i, true
			}
		}
		st.emit(d, s.lo, s.hi, rowInfo, rowFound, d.qtysIn(qlo, qhi), d.prodsIn(plo, phi))
	}
	return end
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
func (st *state) leadIn(d *doc, segs []segment, si int, use func(int)) (verbInfo, bool) {
	for j := si - 1; j >= 0 && j >= si-2; j-- {
		s := segs[j]
		if !s.colon {
			if d.hasItems(s.lo, s.hi, -1) {
				break
			}
			continue
		}
		cs := d.clauses(s)
		if len(cs) == 0 {
			return d.leadNoun(s)
		}
		c := cs[len(cs)-1]
		if d.skipReason(c) != "" {
			return verbInfo{}, false
		}
		use(j)
		info := c.info
		if info.class == cNeed {
			info.class = cAdd
		}
		info.needsTarget = false
		return info, true
	}
	return st.subject, st.subject.class != cNone
}

// leadNoun reads a lead-in without a verb of its own: "Voici nos besoins
// pour décembre :" (a need after a possessive).
func (d *doc) leadNoun(s segment) (verbInfo, bool) {
	for k := s.lo; k < s.hi; k++ {
		switch d.toks[k].fold {
		case "besoin", "besoins", "needs", "commande", "order", "requirements":
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
