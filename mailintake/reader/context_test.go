package reader

import (
	"slices"
	"testing"

	"github.com/licensedesk/licensedesk/ledger"
)

// Issue 11 (SPEC §4.6): an answer to a clarification completes the earlier
// request; an answer that still leaves doubt asks again, narrower; an
// answer with nothing in it is no request.

// question builds an earlier result's question.
func question(code ledger.Code, text string, partial ledger.Op, candidates ...string) ledger.Error {
	return ledger.Error{Code: code, Message: text, Candidates: candidates, Partial: &partial}
}

func TestAnswersCompleteAClarification(t *testing.T) {
	missingProduct := question(ledger.UnknownProduct, "add 5 licences", ledger.Op{Kind: ledger.OpAdd, Quantity: 5})
	missingQty := question(ledger.QuantityMissing, "Merci d'ajouter des licences Business Premium", ledger.Op{Kind: ledger.OpAdd, SKU: spb})
	twoE3 := question(ledger.AmbiguousProduct, "Merci d'ajouter 3 licences E3", ledger.Op{Kind: ledger.OpAdd, Quantity: 3}, e3, m365e3)
	exchange := question(ledger.AmbiguousProduct, "add 2 Exchange", ledger.Op{Kind: ledger.OpAdd, Quantity: 2}, exoPlan1, exoPlan2)
	noUser := question(ledger.InvalidRequest, "Merci d'attribuer une licence E5", ledger.Op{Kind: ledger.OpAssign, SKU: e5})
	fromTo := question(ledger.QuantityMissing, "passer nos E3 de 6 à 9", ledger.Op{Kind: ledger.OpSet, SKU: m365e3})
	switchFrom := question(ledger.UnknownProduct, "upgrade alice to Business Premium",
		ledger.Op{Kind: ledger.OpSwitch, To: spb, Users: []string{"alice@contoso.com"}})
	understood := ledger.Op{Kind: ledger.OpAdd, SKU: e1, Quantity: 2}
	confirmed := &Context{Understood: []ledger.Op{{Kind: ledger.OpAdd, SKU: e3, Quantity: 2}}}
	ctx := func(q ...ledger.Error) *Context { return &Context{Missing: q} }

	tests := []struct {
		name, body string
		ctx        *Context
		ops        []ledger.Op
		issues     []ledger.Code
	}{
		{"a product name completes a missing product", "Business Premium, please", ctx(missingProduct), ops(add(5, spb)), nil},
		{"a French product answer completes a missing product", "C'est Business Premium.", ctx(missingProduct), ops(add(5, spb)), nil},
		{"il en faudrait N completes a missing quantity", "Il en faudrait 3.", ctx(missingQty), ops(add(3, spb)), nil},
		{"a bare number completes a missing quantity", "3 please", ctx(missingQty), ops(add(3, spb)), nil},
		{"the Plan 2 one chooses among the candidates", "the Plan 2 one", ctx(exchange), ops(add(2, exoPlan2)), nil},
		{"le plan 1 chooses among the candidates", "Le plan 1 svp", ctx(exchange), ops(add(2, exoPlan1)), nil},
		{"oui, les deux means every candidate", "Oui, les deux.", ctx(twoE3), ops(add(3, e3), add(3, m365e3)), nil},
		{"both means every candidate", "Both please", ctx(twoE3), ops(add(3, e3), add(3, m365e3)), nil},
		{"a full name chooses a candidate", "Office 365 E3", ctx(twoE3), ops(add(3, e3)), nil},
		{"the same ambiguous name asks again", "E3", &Context{Missing: []ledger.Error{twoE3}}, nil, codes(ledger.AmbiguousProduct)},
		{"pour alice@… completes an assignment", "pour alice@contoso.com", ctx(noUser), ops(assign(e5, "alice@contoso.com")), nil},
		{"for a foreign user is refused", "for eve@evil.example", ctx(noUser), nil, codes(ledger.ForeignUser)},
		{"N au total completes a from-to question as a total", "9 au total", ctx(fromTo), ops(set(9, m365e3)), nil},
		{"N de plus completes a from-to question as an addition", "3 de plus", ctx(fromTo), ops(add(3, m365e3)), nil},
		{"a fuzzy number asks again, narrower", "3 ou 4", ctx(missingQty), nil, codes(ledger.QuantityMissing)},
		{"the product a switch leaves completes it", "From Business Standard", ctx(switchFrom),
			ops(switchOp(standard, spb, "alice@contoso.com")), nil},
		{"the understood operations come back with the completion", "Business Premium",
			&Context{Understood: []ledger.Op{understood}, Missing: []ledger.Error{missingProduct}}, ops(understood, add(5, spb)), nil},
		{"one question answered, the other asked again", "Business Premium",
			&Context{Missing: []ledger.Error{missingProduct, noUser}}, ops(add(5, spb)), codes(ledger.InvalidRequest)},
		{"thanks alone is no request", "Merci !", ctx(missingQty), nil, none},
		{"an acknowledgement alone is no request", "Thanks, got it", confirmed, nil, none},
		{"N more after a confirmation counts its product", "Thanks, and could you also add 1 more?", confirmed, ops(add(1, e3)), nil},
		{"a new complete request is read as one", "Merci ! Ajoutez aussi 2 licences Visio Plan 2.", confirmed, ops(add(2, visioPlan)), nil},
		{"an answer and a new request together", "Business Premium, and please also add 2 Visio Plan 2", ctx(missingProduct),
			ops(add(5, spb), add(2, visioPlan)), nil},
		{"a conditional answer completes nothing: asked again", "Si besoin, 3.", ctx(missingQty), nil, codes(ledger.QuantityMissing)},
		{"a question about a product completes nothing", "Au fait, combien de licences Office 365 E3 avons-nous de libres ?",
			ctx(twoE3), nil, nil},
		{"a candidate's word in prose completes nothing", "Merci, je regarde avec Microsoft et je reviens vers vous très vite.",
			ctx(twoE3), nil, none},
		{"le Microsoft chooses among the candidates", "Le Microsoft", ctx(twoE3), ops(add(3, m365e3)), nil},
		{"a number that describes completes nothing: the question is asked again", "Nous sommes 15 dans l'équipe.", ctx(missingQty), nil,
			codes(ledger.QuantityMissing)},
		{"a product in a description completes nothing: the question is asked again",
			"Notre équipe utilise déjà Business Premium depuis l'an dernier et en est ravie.", ctx(missingProduct), nil,
			codes(ledger.UnknownProduct)},
		{"a user who left completes nothing: the question is asked again", "bob@contoso.com a quitté la société hier, merci pour tout.",
			ctx(noUser), nil, codes(ledger.InvalidRequest)},
		{"refusals of the earlier request are no questions", "3",
			&Context{Missing: []ledger.Error{{Code: ledger.ReductionWindowPassed, Partial: &ledger.Op{Kind: ledger.OpRemove, SKU: e3}}}}, nil,
			none},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opt := contoso
			if tc.name == "the same ambiguous name asks again" {
				opt = *bothE3 // a tenant holding both E3s
			}
			opt.Context = tc.ctx
			r := Read("", tc.body, testCatalog, opt)
			if !slices.EqualFunc(r.Ops, tc.ops, switchEqual) {
				t.Errorf("ops %+v, want %+v", r.Ops, tc.ops)
			}
			got := issueCodes(r)
			if !slices.Equal(got, tc.issues) {
				t.Errorf("issues %v, want %v\n%s", got, tc.issues, fmtIssues(r.Issues))
			}
			for _, is := range r.Issues {
				if is.Code != ledger.NoRequestFound && is.Code != ledger.ForeignUser && is.Code != ledger.UnknownProduct && is.Partial == nil {
					t.Errorf("issue %+v carries no partial for the next answer", is)
				}
			}
		})
	}
}

// The earlier request's questions are not changed by reading an answer.
func TestAnswersLeaveTheContextAlone(t *testing.T) {
	q := question(ledger.AmbiguousProduct, "add 3 E3", ledger.Op{Kind: ledger.OpAdd, Quantity: 3}, e3, m365e3)
	ctx := &Context{Missing: []ledger.Error{q}}
	opt := contoso
	opt.Context = ctx
	Read("", "Both please", testCatalog, opt)
	if ctx.Missing[0].Partial.SKU != "" || ctx.Missing[0].Partial.Quantity != 3 {
		t.Errorf("the context's partial changed: %+v", ctx.Missing[0].Partial)
	}
}

func TestAConditionalAnswerIsAnsweredNotAttached(t *testing.T) {
	opt := contoso
	opt.Context = &Context{Understood: []ledger.Op{{Kind: ledger.OpAdd, SKU: e3, Quantity: 2}}}
	r := Read("", "Si le budget est validé, ajoutez aussi 3 E5.", testCatalog, opt)
	if len(r.Ops) != 0 || len(r.Issues) != 1 || r.Issues[0].Code != ledger.InvalidRequest {
		t.Fatalf("ops %v issues %+v: a conditional request in a conversation must be asked about, not attached", r.Ops, r.Issues)
	}
}
