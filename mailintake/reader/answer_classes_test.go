package reader

import (
	"slices"
	"strings"
	"testing"

	"github.com/licensedesk/licensedesk/ledger"
)

// Issue 11, the answers TestConversations found misread (SPEC §4.6), by
// class, in French and English: "both" that counts people or things, "both"
// among more than two candidates, politeness that hid the answer, answers
// with an incidental sentence, doubtful answers that must be asked again,
// chains that lost the chosen product, a new quantity after a refusal, and
// fragments read outside a live conversation.

// answerCase is one answer read against a context.
type answerCase struct {
	name string
	body string
	ctx  *Context
	opt  *Options // contoso when nil
	ops  []ledger.Op
	// issues are the codes expected, in order.
	issues []ledger.Code
	// partial, when set, is the Partial the first issue must carry (its
	// Kind, SKU, Quantity and Users); candidates, when set, its Candidates.
	partial    *ledger.Op
	candidates []string
}

func runAnswerCases(t *testing.T, cases []answerCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opt := contoso
			if tc.opt != nil {
				opt = *tc.opt
			}
			opt.Context = tc.ctx
			r := Read("", tc.body, testCatalog, opt)
			if !slices.EqualFunc(r.Ops, tc.ops, switchEqual) {
				t.Errorf("ops %s, want %s", fmtOps(r.Ops), fmtOps(tc.ops))
			}
			got := issueCodes(r)
			if !slices.Equal(got, tc.issues) {
				t.Errorf("issues %v, want %v\n%s", got, tc.issues, fmtIssues(r.Issues))
			}
			if len(r.Issues) == 0 {
				return
			}
			is := r.Issues[0]
			if tc.partial != nil {
				p := is.Partial
				if p == nil || p.Kind != tc.partial.Kind || p.SKU != tc.partial.SKU || p.Quantity != tc.partial.Quantity ||
					!slices.Equal(p.Users, tc.partial.Users) {
					t.Errorf("partial %+v, want %+v", p, tc.partial)
				}
			}
			if tc.candidates != nil && !slices.Equal(is.Candidates, tc.candidates) {
				t.Errorf("candidates %v, want %v", is.Candidates, tc.candidates)
			}
			if strings.TrimSpace(is.Detail) == "" {
				t.Errorf("issue %s without a detail", is.Code)
			}
		})
	}
}

// firstQuestions reads a first message and returns its questions, as the
// intake records them for the answer to complete.
func firstQuestions(t *testing.T, body string, opt Options) *Context {
	t.Helper()
	return next(Read("", body, testCatalog, opt))
}

// next returns the context an answer leaves for the one after it.
func next(r Reading) *Context {
	ctx := &Context{Understood: r.Ops}
	for _, is := range r.Issues {
		ctx.Missing = append(ctx.Missing, ledger.Error{Code: is.Code, Message: is.Text, Detail: is.Detail,
			Candidates: is.Candidates, Partial: is.Partial})
	}
	return ctx
}

var (
	twoE3Ctx = &Context{Missing: []ledger.Error{question(ledger.AmbiguousProduct, "Merci d'ajouter 2 licences E3.",
		ledger.Op{Kind: ledger.OpAdd, Quantity: 2}, e3, m365e3)}}
	exoCtx = &Context{Missing: []ledger.Error{question(ledger.AmbiguousProduct, "Please add 2 Exchange licences.",
		ledger.Op{Kind: ledger.OpAdd, Quantity: 2}, exoPlan1, exoPlan2)}}
	exoFourCtx = &Context{Missing: []ledger.Error{question(ledger.AmbiguousProduct, "Merci d'ajouter 2 licences Exchange.",
		ledger.Op{Kind: ledger.OpAdd, Quantity: 2}, exoPlan1, exoPlan2, "EXCHANGEDESKLESS", "EXCHANGEARCHIVE_ADDON")}}
	spbQtyCtx = &Context{Missing: []ledger.Error{question(ledger.QuantityMissing, "Merci d'ajouter des licences Business Premium.",
		ledger.Op{Kind: ledger.OpAdd, SKU: spb})}}
	basicQtyCtx = &Context{Missing: []ledger.Error{question(ledger.QuantityMissing, "Could you add some more Business Basic?",
		ledger.Op{Kind: ledger.OpAdd, SKU: basic})}}
	e3UserCtx = &Context{Missing: []ledger.Error{question(ledger.InvalidRequest, "Merci d'attribuer une licence Office 365 E3.",
		ledger.Op{Kind: ledger.OpAssign, SKU: e3})}}
	m365UserCtx = &Context{Missing: []ledger.Error{question(ledger.InvalidRequest, "Please assign an E3 licence to our new starter.",
		ledger.Op{Kind: ledger.OpAssign, SKU: m365e3})}}
)

// Class 1: "les deux"/"both" chooses every candidate only when it answers
// the choice; "pour les deux nouveaux arrivants", "for both shops" count or
// describe.
func TestAnswerBothOnlyWhenItAnswersTheChoice(t *testing.T) {
	runAnswerCases(t, []answerCase{
		{name: "pour les deux nouveaux arrivants counts people", body: "Office 365 E3 pour les deux nouveaux arrivants.",
			ctx: twoE3Ctx, opt: bothE3, ops: ops(add(2, e3))},
		{name: "for both shops counts shops", body: "Right, it's Plan 1 for both shops.", ctx: exoCtx, ops: ops(add(2, exoPlan1))},
		{name: "for both our shops counts shops", body: "Plan 2, for both our shops.", ctx: exoCtx, ops: ops(add(2, exoPlan2))},
		{name: "pour les deux sites counts sites", body: "Le Microsoft, pour les deux sites.", ctx: twoE3Ctx, opt: bothE3,
			ops: ops(add(2, m365e3))},
		{name: "merci à tous is a greeting", body: "Merci à tous !", ctx: twoE3Ctx, opt: bothE3, issues: none},
		{name: "thanks all is a greeting", body: "Thanks all, speak soon.", ctx: exoCtx, issues: none},
		{name: "les deux nouveaux arrivants alone chooses nothing: asked again", body: "C'est pour les deux nouveaux arrivants.",
			ctx: twoE3Ctx, opt: bothE3, issues: codes(ledger.AmbiguousProduct)},
		{name: "oui, les deux chooses both", body: "Oui, les deux.", ctx: twoE3Ctx, opt: bothE3, ops: ops(add(2, e3), add(2, m365e3))},
		{name: "les deux, merci chooses both", body: "Les deux, merci.", ctx: twoE3Ctx, opt: bothE3, ops: ops(add(2, e3), add(2, m365e3))},
		{name: "tous les deux chooses both", body: "Tous les deux, s'il vous plaît.", ctx: twoE3Ctx, opt: bothE3,
			ops: ops(add(2, e3), add(2, m365e3))},
		{name: "both please chooses both", body: "Both please", ctx: exoCtx, ops: ops(add(2, exoPlan1), add(2, exoPlan2))},
		{name: "both of them chooses both", body: "Both of them, thanks.", ctx: exoCtx, ops: ops(add(2, exoPlan1), add(2, exoPlan2))},
		{name: "both plans chooses both", body: "Both plans please.", ctx: exoCtx, ops: ops(add(2, exoPlan1), add(2, exoPlan2))},
		{name: "thanks both is a greeting", body: "Thanks both!", ctx: exoCtx, issues: none},
		{name: "merci à tous les deux is a greeting", body: "Merci à tous les deux !", ctx: twoE3Ctx, opt: bothE3, issues: none},
	})
}

// Class 2: "les deux"/"both" to a question that offered more than two
// candidates is still a doubt: asked again, with the same candidates.
func TestAnswerBothAmongMoreThanTwoAsksAgain(t *testing.T) {
	four := []string{exoPlan1, exoPlan2, "EXCHANGEDESKLESS", "EXCHANGEARCHIVE_ADDON"}
	runAnswerCases(t, []answerCase{
		{name: "les deux among four", body: "Les deux, merci.", ctx: exoFourCtx, issues: codes(ledger.AmbiguousProduct),
			partial: &ledger.Op{Kind: ledger.OpAdd, Quantity: 2}, candidates: four},
		{name: "both among four", body: "Both please.", ctx: exoFourCtx, issues: codes(ledger.AmbiguousProduct),
			partial: &ledger.Op{Kind: ledger.OpAdd, Quantity: 2}, candidates: four},
		{name: "all of them among four chooses every one", body: "All of them please.", ctx: exoFourCtx,
			ops: ops(add(2, exoPlan1), add(2, exoPlan2), add(2, "EXCHANGEDESKLESS"), add(2, "EXCHANGEARCHIVE_ADDON"))},
	})
	// The narrower question is answered in turn.
	opt := contoso
	opt.Context = exoFourCtx
	r := Read("", "Les deux, merci.", testCatalog, opt)
	opt.Context = next(r)
	r = Read("", "Pardon, je voulais dire Exchange Online (Plan 1) uniquement.", testCatalog, opt)
	if !slices.EqualFunc(r.Ops, ops(add(2, exoPlan1)), opEqual) || len(r.Issues) != 0 {
		t.Errorf("the answer to the second question: ops %s issues\n%s", fmtOps(r.Ops), fmtIssues(r.Issues))
	}
}

// Class 3: politeness after the answer ("…, s'il vous plaît", "…, please")
// hides nothing.
func TestAnswerPolitenessHidesNothing(t *testing.T) {
	runAnswerCases(t, []answerCase{
		{name: "s'il vous plaît", body: "Office 365 E3, s'il vous plaît.", ctx: twoE3Ctx, opt: bothE3, ops: ops(add(2, e3))},
		{name: "s’il vous plaît, typographic apostrophe", body: "Bonjour,\n\nOffice 365 E3, s’il vous plaît.", ctx: twoE3Ctx,
			opt: bothE3, ops: ops(add(2, e3))},
		{name: "merci beaucoup", body: "Microsoft 365 E3, merci beaucoup.", ctx: twoE3Ctx, opt: bothE3, ops: ops(add(2, m365e3))},
		{name: "please, thank you very much", body: "Exchange Online (Plan 2) please, thank you very much.", ctx: exoCtx,
			ops: ops(add(2, exoPlan2))},
		{name: "a doubtful answer politely is still asked", body: "Les E3 habituelles, s’il vous plaît.", ctx: twoE3Ctx,
			opt: bothE3, issues: codes(ledger.AmbiguousProduct), partial: &ledger.Op{Kind: ledger.OpAdd, Quantity: 2},
			candidates: []string{e3, m365e3}},
		{name: "a number, s'il vous plaît", body: "5, s'il vous plaît.", ctx: spbQtyCtx, ops: ops(add(5, spb))},
		{name: "a number, please", body: "Three, please, thank you.", ctx: basicQtyCtx, ops: ops(add(3, basic))},
	})
}

// Class 4: an answer that completes, with an incidental word or sentence
// next to it.
func TestAnswerWithAnIncidentalSentenceCompletes(t *testing.T) {
	runAnswerCases(t, []answerCase{
		{name: "il nous en faut 5 finalement", body: "Bonjour,\n\nIl nous en faut 5 finalement.", ctx: spbQtyCtx, ops: ops(add(5, spb))},
		{name: "5 finalement", body: "5 finalement, merci.", ctx: spbQtyCtx, ops: ops(add(5, spb))},
		{name: "4 please – a remark", body: "4 please – Olivia asked me to confirm the number.", ctx: basicQtyCtx, ops: ops(add(4, basic))},
		{name: "4 actually", body: "We'll go with 4 actually.", ctx: basicQtyCtx, ops: ops(add(4, basic))},
		{name: "a remark, then c'est pour", body: "Claire est absente cet après-midi : c'est pour alice.vidal@contoso.com.",
			ctx: e3UserCtx, ops: ops(assign(e3, "alice.vidal@contoso.com"))},
		{name: "a remark, then it's for", body: "Olivia is off today: it's for ruby.shaw@contoso.com.", ctx: m365UserCtx,
			ops: ops(assign(m365e3, "ruby.shaw@contoso.com"))},
		{name: "a user who left is no answer: asked again", body: "bob@contoso.com a quitté la société hier, merci pour tout.", ctx: e3UserCtx,
			issues: codes(ledger.InvalidRequest)},
		{name: "a number after a denied verb is no answer", body: "Merci de ne pas en ajouter : 3.", ctx: spbQtyCtx, issues: none},
	})
}

// Class 5: an answer that still leaves doubt gets a second, narrower
// question: never silence, never a guess.
func TestAnswerStillInDoubtIsAskedAgain(t *testing.T) {
	runAnswerCases(t, []answerCase{
		{name: "je dirais 2 ou 3", body: "Bonjour,\n\nQuelques-unes, je dirais 2 ou 3.\n\nJean", ctx: spbQtyCtx,
			issues: codes(ledger.QuantityMissing), partial: &ledger.Op{Kind: ledger.OpAdd, SKU: spb}},
		{name: "I'd say 2 or 3", body: "I'd say 2 or 3, please.", ctx: basicQtyCtx,
			issues: codes(ledger.QuantityMissing), partial: &ledger.Op{Kind: ledger.OpAdd, SKU: basic}},
		{name: "Exchange Online is still both plans", body: "Exchange Online please.\n\nDavid", ctx: exoCtx,
			issues: codes(ledger.AmbiguousProduct), partial: &ledger.Op{Kind: ledger.OpAdd, Quantity: 2},
			candidates: []string{exoPlan1, exoPlan2}},
		{name: "Exchange Online, merci", body: "Exchange Online, merci.", ctx: exoCtx,
			issues: codes(ledger.AmbiguousProduct), partial: &ledger.Op{Kind: ledger.OpAdd, Quantity: 2},
			candidates: []string{exoPlan1, exoPlan2}},
		{name: "a user outside the domains", body: "C’est pour notre consultant externe, marc.leroy@consultants-ouest.fr.",
			ctx: e3UserCtx, issues: codes(ledger.ForeignUser), partial: &ledger.Op{Kind: ledger.OpAssign, SKU: e3}},
		{name: "a user outside the domains, in English", body: "It's for our contractor, sam@freelance.example.",
			ctx: m365UserCtx, issues: codes(ledger.ForeignUser), partial: &ledger.Op{Kind: ledger.OpAssign, SKU: m365e3}},
	})
	// The second question is answered in turn.
	for _, tc := range []struct{ first, second, want string }{
		{"Exchange Online please.", "Sorry, I meant Plan 1.", exoPlan1},
		{"Exchange Online, merci.", "Pardon, le Plan 2.", exoPlan2},
	} {
		opt := contoso
		opt.Context = exoCtx
		r := Read("", tc.first, testCatalog, opt)
		opt.Context = next(r)
		r = Read("", tc.second, testCatalog, opt)
		if !slices.EqualFunc(r.Ops, ops(add(2, tc.want)), opEqual) || len(r.Issues) != 0 {
			t.Errorf("%q then %q: ops %s issues\n%s", tc.first, tc.second, fmtOps(r.Ops), fmtIssues(r.Issues))
		}
	}
	opt := contoso
	opt.Context = e3UserCtx
	r := Read("", "C'est pour notre consultant externe, marc.leroy@consultants-ouest.fr.", testCatalog, opt)
	opt.Context = next(r)
	r = Read("", "Pardon, pour dave@contoso.com alors.", testCatalog, opt)
	if !slices.EqualFunc(r.Ops, ops(assign(e3, "dave@contoso.com")), opEqual) || len(r.Issues) != 0 {
		t.Errorf("a foreign user, then one of the tenant: ops %s issues\n%s", fmtOps(r.Ops), fmtIssues(r.Issues))
	}
	opt.Context = e3UserCtx
	r = Read("", "2 ou 3 personnes, je vous redis.", testCatalog, opt)
	if len(r.Ops) != 0 {
		t.Errorf("a count of people answers no user question: ops %s", fmtOps(r.Ops))
	}
}

// Class 6: a chain of questions keeps what each answer chose: the quantity
// asked after the product carries the product.
func TestAnswerChainsKeepTheChosenProduct(t *testing.T) {
	for _, tc := range []struct {
		name, first, answer, last string
		opt                       Options
		chosen                    string
		want                      ledger.Op
	}{
		{"fr", "Nous aurions besoin de licences E3 supplémentaires, merci de les ajouter.", "Office 365 E3.", "Il en faudrait 3.",
			*bothE3, e3, add(3, e3)},
		{"en", "Could you add some Exchange licences?", "Plan 1", "Four, please.", contoso, exoPlan1, add(4, exoPlan1)},
		{"en, the full name", "Could you add some Exchange licences?", "Exchange Online (Plan 2)", "6 please", contoso, exoPlan2,
			add(6, exoPlan2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := firstQuestions(t, tc.first, tc.opt)
			if got := len(ctx.Missing); got != 2 {
				t.Fatalf("the first message asks %d questions, want 2 (product and quantity)", got)
			}
			opt := tc.opt
			opt.Context = ctx
			r := Read("", tc.answer, testCatalog, opt)
			if len(r.Ops) != 0 || len(r.Issues) != 1 || r.Issues[0].Code != ledger.QuantityMissing ||
				r.Issues[0].Partial == nil || r.Issues[0].Partial.SKU != tc.chosen {
				t.Fatalf("%q: ops %s, want one QuantityMissing carrying %s:\n%s", tc.answer, fmtOps(r.Ops), tc.chosen, fmtIssues(r.Issues))
			}
			opt.Context = next(r)
			r = Read("", tc.last, testCatalog, opt)
			if !slices.EqualFunc(r.Ops, ops(tc.want), opEqual) || len(r.Issues) != 0 {
				t.Errorf("%q: ops %s, want %s\n%s", tc.last, fmtOps(r.Ops), fmtOps(ops(tc.want)), fmtIssues(r.Issues))
			}
		})
	}
	// The number first: the product is still asked, with the number kept.
	ctx := firstQuestions(t, "Could you add some Exchange licences?", contoso)
	opt := contoso
	opt.Context = ctx
	r := Read("", "3 please", testCatalog, opt)
	if len(r.Ops) != 0 || len(r.Issues) != 1 || r.Issues[0].Code != ledger.AmbiguousProduct ||
		r.Issues[0].Partial == nil || r.Issues[0].Partial.Quantity != 3 {
		t.Errorf("3 to two questions: ops %s, want one AmbiguousProduct carrying 3:\n%s", fmtOps(r.Ops), fmtIssues(r.Issues))
	}
}

// Class 7: after a refusal, "add N instead" is a new request of the
// refused product with the new quantity.
func TestAnswerInsteadAfterARefusal(t *testing.T) {
	refused := &Context{Understood: []ledger.Op{add(50, e1)},
		Missing: []ledger.Error{{Code: ledger.InsufficientCredit, Message: "credit limit"}}}
	runAnswerCases(t, []answerCase{
		{name: "please add 20 instead", body: "Understood, please add 20 instead.\n\nSarah", ctx: refused, ops: ops(add(20, e1))},
		{name: "merci d'en ajouter 20 plutôt", body: "D'accord, merci d'en ajouter 20 plutôt.", ctx: refused, ops: ops(add(20, e1))},
		{name: "ajoutez-en 20 à la place", body: "Dans ce cas, ajoutez-en 20 à la place.", ctx: refused, ops: ops(add(20, e1))},
	})
}

// After a refusal of one seat change, a new number alone is that change
// with the new number (checked again by every rule); a doubtful one is
// asked about; after a confirmation, or next to another product, it is
// no retry.
func TestANewNumberRetriesARefusedChange(t *testing.T) {
	refused := &Context{Understood: []ledger.Op{add(50, e1)},
		Missing: []ledger.Error{{Code: ledger.InsufficientCredit, Message: "credit limit"}}, Refused: true}
	confirmed := &Context{Understood: []ledger.Op{add(5, e1)}}
	runAnswerCases(t, []answerCase{
		{name: "let's go with 5 for now", body: "Ok understood. Let's go with 5 for now then.", ctx: refused, ops: ops(add(5, e1))},
		{name: "3. Thanks", body: "3. Thanks", ctx: refused, ops: ops(add(3, e1))},
		{name: "on part sur 8 alors", body: "Bonjour,\n\nTant pis, on part sur 8 alors.\n\nMarc", ctx: refused, ops: ops(add(8, e1))},
		{name: "douze, merci", body: "Douze, merci.", ctx: refused, ops: ops(add(12, e1))},
		{name: "2 or 3 is asked about", body: "Hmm, 2 or 3 then.", ctx: refused, issues: codes(ledger.QuantityMissing),
			partial: &ledger.Op{Kind: ledger.OpAdd, SKU: e1}},
		{name: "another product is its own request", body: "OK, then please add 2 Business Premium.", ctx: refused,
			ops: ops(add(2, spb))},
		{name: "after a confirmation a number alone is no request", body: "3. Thanks", ctx: confirmed, issues: none},
		{name: "thanks alone after a refusal is no request", body: "Ok, thanks for explaining.", ctx: refused, issues: none},
	})
}

// Class 8: outside a live conversation a fragment is an incomplete
// request, asked about; only a message with nothing request-like is no
// request.
func TestFragmentsOutsideAConversationAreAsked(t *testing.T) {
	runAnswerCases(t, []answerCase{
		{name: "3 please", body: "3 please.", issues: codes(ledger.UnknownProduct), partial: &ledger.Op{Kind: ledger.OpAdd, Quantity: 3}},
		{name: "sorry – 3 please", body: "Hi,\n\nSorry for the slow reply – 3 please.", issues: codes(ledger.UnknownProduct),
			partial: &ledger.Op{Kind: ledger.OpAdd, Quantity: 3}},
		{name: "3, s'il vous plaît", body: "Bonjour,\n\n3, s'il vous plaît.\n\nJean", issues: codes(ledger.UnknownProduct),
			partial: &ledger.Op{Kind: ledger.OpAdd, Quantity: 3}},
		{name: "désolé… Office 365 E3", body: "Bonjour,\n\nDésolé pour le délai de réponse. Office 365 E3.",
			issues: codes(ledger.QuantityMissing), partial: &ledger.Op{Kind: ledger.OpAdd, SKU: e3}},
		{name: "Business Premium, please", body: "Business Premium, please.", issues: codes(ledger.QuantityMissing),
			partial: &ledger.Op{Kind: ledger.OpAdd, SKU: spb}},
		{name: "thanks", body: "Merci beaucoup, c’est parfait !\n\nJean", issues: none},
		{name: "an acknowledgement", body: "Thanks, got it.", issues: none},
		{name: "an out-of-office", body: "Bonjour,\n\nJe suis absente jusqu'au 30 novembre inclus. En cas d'urgence, contactez helpdesk@contoso.com ou le 01 23 45 67 89.\n\nClaire",
			issues: none},
		{name: "an out-of-office in English", body: "I'm out of the office until 30 November with limited access to email. For urgent matters call +44 20 7946 0958.",
			issues: none},
		{name: "a number of people is no fragment", body: "We are 15 in the team.", issues: none},
		{name: "5 E3 names both and asks nothing", body: "5 E3", issues: none},
		{name: "a number in a signature is no fragment", body: "Jean Dupont\nBâtiment B, étage 3", issues: none},
		{name: "the one product the tenant holds is offered for a number", body: "3 please.", opt: holding(map[string]int{e1: 10}),
			issues: codes(ledger.UnknownProduct), partial: &ledger.Op{Kind: ledger.OpAdd, Quantity: 3}, candidates: []string{e1}},
	})
	// The products offered are suggestions, not a choice: "both" chooses
	// none of them; a product named completes the question.
	opt := *holding(map[string]int{e1: 10, spb: 5})
	r := Read("", "3 please.", testCatalog, opt)
	if len(r.Issues) != 1 || len(r.Issues[0].Candidates) != 2 {
		t.Fatalf("3 please: %s", fmtIssues(r.Issues))
	}
	opt.Context = next(r)
	if r := Read("", "Both please", testCatalog, opt); len(r.Ops) != 0 {
		t.Errorf("both chose suggestions: %s", fmtOps(r.Ops))
	}
	if r := Read("", "Office 365 E1, merci.", testCatalog, opt); !slices.EqualFunc(r.Ops, ops(add(3, e1)), opEqual) || len(r.Issues) != 0 {
		t.Errorf("Office 365 E1: ops %s\n%s", fmtOps(r.Ops), fmtIssues(r.Issues))
	}
}

// An answer that speaks of what was asked without settling it (a doubt, a
// vague number, a count of people, a family name, a user who cannot be the
// one) is asked the question again, never read as a guess, never left
// unanswered. One that only acknowledges, announces an answer to come
// without a doubt, or tells of an absence stays no request (attached).
func TestAnswersThatDoNotSettleTheQuestionAreAskedAgain(t *testing.T) {
	runAnswerCases(t, []answerCase{
		{name: "probably P2, let me double-check", body: "Hi,\n\nProbably Plan 2, but let me double-check with Fiona.\n\nDavid",
			ctx: exoCtx, issues: codes(ledger.AmbiguousProduct)},
		{name: "je pense le Microsoft, je vous confirme", body: "Je pense le Microsoft 365, mais je vous confirme demain.",
			ctx: twoE3Ctx, opt: bothE3, issues: codes(ledger.AmbiguousProduct)},
		{name: "je pense 4 mais je confirme demain", body: "Je pense 4 mais je vous confirme demain.", ctx: spbQtyCtx,
			issues: codes(ledger.QuantityMissing), partial: &ledger.Op{Kind: ledger.OpAdd, SKU: spb}},
		{name: "maybe 6, not sure yet", body: "Maybe 6? Not sure yet, HR is still hiring.", ctx: basicQtyCtx,
			issues: codes(ledger.QuantityMissing)},
		{name: "a dozen", body: "A dozen should cover it.", ctx: basicQtyCtx, issues: codes(ledger.QuantityMissing)},
		{name: "une dizaine", body: "Bonjour, il en faudrait une dizaine.", ctx: spbQtyCtx, issues: codes(ledger.QuantityMissing)},
		{name: "quelques-unes", body: "Quelques-unes pour les stagiaires de janvier.", ctx: spbQtyCtx, issues: codes(ledger.QuantityMissing)},
		{name: "for the two interns", body: "They're for the two interns starting Monday.", ctx: twoE3Ctx, opt: bothE3,
			issues: codes(ledger.AmbiguousProduct)},
		{name: "the usual Exchange Online", body: "Just the usual Exchange Online mailbox licence, thanks.", ctx: exoCtx,
			issues: codes(ledger.AmbiguousProduct)},
		{name: "probably 3, short", body: "Probably 3.", ctx: basicQtyCtx, issues: codes(ledger.QuantityMissing)},
		{name: "je pense 4, court", body: "Je pense 4.", ctx: spbQtyCtx, issues: codes(ledger.QuantityMissing)},
		{name: "probably the Plan 2 one", body: "Probably the Plan 2 one.", ctx: exoCtx, issues: codes(ledger.AmbiguousProduct)},
		{name: "peut-être le Microsoft", body: "Peut-être le Microsoft.", ctx: twoE3Ctx, opt: bothE3, issues: codes(ledger.AmbiguousProduct)},
		{name: "maybe bob", body: "Maybe bob@contoso.com?", ctx: e3UserCtx, issues: codes(ledger.InvalidRequest)},
		// Not asked again.
		{name: "will get back to you", body: "Thanks, I'll check with Fiona and get back to you.", ctx: exoCtx, issues: none},
		{name: "je reviens vers vous", body: "Merci, je regarde en interne et je reviens vers vous.", ctx: spbQtyCtx, issues: none},
		{name: "an absence with a date and an address", body: "I am out of the office until 3 December. For anything urgent, write to helpdesk@contoso.com.",
			ctx: e3UserCtx, issues: none},
		{name: "une absence", body: "Bonjour,\n\nJe suis absente jusqu'au 4 décembre inclus, avec un accès limité à ma messagerie.\n\nClaire",
			ctx: spbQtyCtx, issues: none},
		{name: "thanks all", body: "Thanks all!", ctx: exoCtx, issues: none},
	})
}

// A remark set apart by a relative pronoun or a parenthesis no longer
// hides the answer next to it; a number inside such a remark that tells
// what the tenant has counts nothing.
func TestSideRemarksDoNotHideTheAnswer(t *testing.T) {
	runAnswerCases(t, []answerCase{
		{name: "c'est pour alice@…, qui rejoint…", body: "Jean m'a mis en copie : c'est pour alice@contoso.com, qui rejoint l'équipe finance.",
			ctx: e3UserCtx, ops: ops(assign(e3, "alice@contoso.com"))},
		{name: "pour Dave (dave@…), qui arrive lundi", body: "Pardon : c'est pour Dave Leroy (dave@contoso.com), qui arrive lundi.",
			ctx: e3UserCtx, ops: ops(assign(e3, "dave@contoso.com"))},
		{name: "for bob@…, who starts on Monday", body: "Sorry – it's for bob@contoso.com, who starts on Monday with the sales team.",
			ctx: m365UserCtx, ops: ops(assign(m365e3, "bob@contoso.com"))},
		{name: "4 (the other two can wait)", body: "Four for now (the other two can wait until January).", ctx: basicQtyCtx,
			ops: ops(add(4, basic))},
		{name: "a number of what the tenant has in a parenthesis", body: "Attribuez-en une à dave@contoso.com (nous avons 25 licences d'essai).",
			ctx: e3UserCtx, ops: ops(assign(e3, "dave@contoso.com"))},
	})
}

// A total in answer to how many to add (or to remove) is that change only
// on the right side of what the tenant holds; otherwise it reads two ways
// and is asked, never turned into the opposite change.
func TestATotalInAnswerNeverTurnsTheChangeAround(t *testing.T) {
	held := holding(map[string]int{spb: 13})
	removeCtx := &Context{Missing: []ledger.Error{question(ledger.QuantityMissing, "Please remove some Business Premium.",
		ledger.Op{Kind: ledger.OpRemove, SKU: spb})}}
	setTo := func(n int) ledger.Op { return ledger.Op{Kind: ledger.OpSet, SKU: spb, Quantity: n} }
	runAnswerCases(t, []answerCase{
		{name: "donc deux au total, below the 13 held", body: "Une pour l'accueil et une pour le SAV, donc deux au total.",
			ctx: spbQtyCtx, opt: held, issues: codes(ledger.QuantityMissing), partial: &ledger.Op{Kind: ledger.OpAdd, SKU: spb}},
		{name: "15 au total, above the 13 held", body: "15 au total, merci.", ctx: spbQtyCtx, opt: held, ops: ops(setTo(15))},
		{name: "a total of 13 is what is held", body: "A total of 13 please.", ctx: spbQtyCtx, opt: held, issues: codes(ledger.QuantityMissing)},
		{name: "a total without the figures is asked", body: "15 in total, please.", ctx: spbQtyCtx,
			opt: &Options{Domains: contoso.Domains}, issues: codes(ledger.QuantityMissing)},
		{name: "8 in total for a removal", body: "8 in total, please.", ctx: removeCtx, opt: held, ops: ops(setTo(8))},
		{name: "20 in total for a removal is asked", body: "20 in total, please.", ctx: removeCtx, opt: held, issues: codes(ledger.QuantityMissing)},
	})
}

// Classes found by the unseen conversations: a number taken back, a remark
// after ", so" or ", comme", a product named by reference, one number for
// each question, the product named twice, a count of people next to the
// product.
func TestAnswersWrittenAsCustomersWriteThem(t *testing.T) {
	twoQty := &Context{Missing: []ledger.Error{
		question(ledger.QuantityMissing, "Could you add some more E3 licences, and some more Visio licences too?", ledger.Op{Kind: ledger.OpAdd, SKU: m365e3}),
		question(ledger.QuantityMissing, "Could you add some more E3 licences, and some more Visio licences too?", ledger.Op{Kind: ledger.OpAdd, SKU: "VISIOCLIENT"}),
	}}
	threeE3 := &Context{Missing: []ledger.Error{question(ledger.AmbiguousProduct, "Pourriez-vous nous ajouter 3 licences E3 ?",
		ledger.Op{Kind: ledger.OpAdd, Quantity: 3}, e3, m365e3)}}
	runAnswerCases(t, []answerCase{
		{name: "trois, non pardon, quatre", body: "Il en faudrait trois, non pardon, quatre.", ctx: spbQtyCtx, ops: ops(add(4, spb))},
		{name: "5 – sorry, I mean 6", body: "5 – sorry, I mean 6.", ctx: basicQtyCtx, ops: ops(add(6, basic))},
		{name: "two rather than one", body: "Two rather than one, please.", ctx: basicQtyCtx, ops: ops(add(2, basic))},
		{name: "4 au lieu de 3", body: "Finalement 4 au lieu de 3.", ctx: spbQtyCtx, ops: ops(add(4, spb))},
		{name: "so three it is", body: "HR have confirmed, so three it is. Please go ahead.", ctx: basicQtyCtx, ops: ops(add(3, basic))},
		{name: "donc quatre", body: "La direction a validé, donc quatre.", ctx: spbQtyCtx, ops: ops(add(4, spb))},
		{name: "Office 365 E3, comme pour le reste", body: "Ce sont des Office 365 E3, comme pour le reste du service financier.",
			ctx: threeE3, opt: bothE3, ops: ops(add(3, e3))},
		{name: "same as last time is asked", body: "Same as last time please", ctx: exoCtx, issues: codes(ledger.AmbiguousProduct)},
		{name: "comme d'habitude is asked", body: "Comme d'habitude, merci.", ctx: twoE3Ctx, opt: bothE3, issues: codes(ledger.AmbiguousProduct)},
		{name: "3 of each", body: "3 of each please.", ctx: twoQty, ops: ops(add(3, m365e3), add(3, "VISIOCLIENT"))},
		{name: "2 de chaque", body: "2 de chaque, merci.", ctx: twoQty, ops: ops(add(2, m365e3), add(2, "VISIOCLIENT"))},
		{name: "the product named twice", body: "Toute la compta est passée en Office 365 E3 l'an dernier. Ce sont donc bien des Office 365 E3 qu'il nous faut.",
			ctx: threeE3, opt: bothE3, ops: ops(add(3, e3))},
		{name: "a count of people next to the product", body: "Il nous faut des Office 365 E3 pour nos trois arrivants.",
			ctx: threeE3, opt: bothE3, ops: ops(add(3, e3))},
	})
}

// A pronoun after a verb of assignment stands for the product the message
// names; "make it a total of N" sets a total; a number the completion did
// not take is asked about, unless it confirms the one completed.
func TestPronounsTotalsAndNumbersLeftOver(t *testing.T) {
	entra := &Context{Missing: []ledger.Error{question(ledger.AmbiguousProduct, "Please add an Entra ID licence.",
		ledger.Op{Kind: ledger.OpAdd, Quantity: 1}, "AAD_PREMIUM", "AAD_PREMIUM_P2")}}
	runAnswerCases(t, []answerCase{
		{name: "add one and assign it", body: "Please add 1 Visio Plan 2 licence and assign it to bob@contoso.com.",
			ops: ops(add(1, visioPlan), assign(visioPlan, "bob@contoso.com"))},
		{name: "en ajouter une et l'attribuer", body: "Merci d'ajouter 1 licence Visio Plan 2 et de l'attribuer à bob@contoso.com.",
			ops: ops(add(1, visioPlan), assign(visioPlan, "bob@contoso.com"))},
		{name: "assign it with two products named is asked", body: "Please add 1 Visio Plan 2 and 1 Project Plan 3, and assign it to bob@contoso.com.",
			ops: ops(add(1, visioPlan), add(1, project)), issues: codes(ledger.AmbiguousProduct)},
		{name: "assign bob without a pronoun names no licence", body: "Please assign bob@contoso.com to the sales team.",
			issues: codes(ledger.UnknownProduct)},
		{name: "make it a total of 5", body: "Please make it a total of 5 Visio Plan 2 licences.", ops: ops(set(5, visioPlan))},
		{name: "make sure names no total", body: "Please make sure bob@contoso.com keeps his mailbox.", issues: none},
		{name: "make that two after the product is asked", body: "P1 please – and make that two rather than one.", ctx: entra,
			issues: codes(ledger.QuantityMissing), partial: &ledger.Op{Kind: ledger.OpAdd, SKU: "AAD_PREMIUM"}},
		{name: "the one P1 confirms", body: "Please go ahead with the one Entra ID P1.", ctx: entra, ops: ops(add(1, "AAD_PREMIUM"))},
	})
}

// A number the writer doubts is asked about, in a new message as in an
// answer (SPEC §4.2); a courtesy before the verb is no doubt.
func TestADoubtedNumberIsAsked(t *testing.T) {
	runAnswerCases(t, []answerCase{
		{name: "add probably 3", body: "Please add probably 3 Business Premium licences.", issues: codes(ledger.QuantityMissing)},
		{name: "add 3, probably", body: "Please add 3 Business Premium, probably.", issues: codes(ledger.QuantityMissing)},
		{name: "sans doute 3", body: "Merci d'ajouter sans doute 3 licences Business Premium.", issues: codes(ledger.QuantityMissing)},
		{name: "4 probablement", body: "Merci d'ajouter 4 licences Business Premium, probablement.", issues: codes(ledger.QuantityMissing)},
		{name: "could you possibly add 2 is politeness", body: "Could you possibly add 2 Business Premium licences?", ops: ops(add(2, spb))},
		{name: "a doubt about something else", body: "Please add 3 Business Premium. We will probably need more next year.", ops: ops(add(3, spb))},
	})
}

// An answer that cancels the operation asked about, or makes a request of
// its own about the product, answers no question: "il nous reste 2
// licences libres : inutile d'en acheter" buys nothing, "pouvez-vous
// retirer 2 des 3 licences" adds nothing, and a number in a clause that
// asks nothing ("deux des arrivées sont reportées") counts nothing.
func TestAnswersThatCancelOrSupersedeTheQuestion(t *testing.T) {
	standardQty := &Context{Missing: []ledger.Error{question(ledger.QuantityMissing, "Merci d'ajouter des licences Business Standard.",
		ledger.Op{Kind: ledger.OpAdd, SKU: standard})}}
	runAnswerCases(t, []answerCase{
		{name: "inutile d'en acheter, attribuez", body: "Il nous reste 2 licences libres : inutile d'en acheter. Attribuez simplement Business Premium à alice@contoso.com.",
			ctx: spbQtyCtx, ops: ops(assign(spb, "alice@contoso.com"))},
		{name: "no need to buy, assign", body: "We still have 2 free licences, so no need to buy any. Please assign Business Basic to bob@contoso.com.",
			ctx: basicQtyCtx, ops: ops(assign(basic, "bob@contoso.com"))},
		{name: "pas besoin d'en ajouter", body: "Finalement, pas besoin d'en ajouter, merci.", ctx: spbQtyCtx, issues: none},
		{name: "retirer 2 des 3 instead", body: "Finalement, deux des arrivées sont reportées à mars : pouvez-vous retirer 2 des 3 licences Business Standard ajoutées aujourd'hui ?",
			ctx: standardQty, ops: ops(remove(2, standard))},
		{name: "remove 1 instead", body: "Change of plan: two starters were postponed, so please remove 1 Business Basic licence instead.",
			ctx: basicQtyCtx, ops: ops(remove(1, basic))},
	})
}

// Classes found by the blind conversations: a telephone's digits are no
// leftover number, a form's "How many: 3" answers, a choice by price is
// asked, a contrast after the product leaves it the answer, and
// "réattribuer" assigns.
func TestBlindSetClasses(t *testing.T) {
	standardQty := &Context{Missing: []ledger.Error{question(ledger.AmbiguousProduct, "Pourriez-vous ajouter 3 licences Business ?",
		ledger.Op{Kind: ledger.OpAdd, Quantity: 3}, spb, standard)}}
	exoQty := &Context{Missing: []ledger.Error{
		question(ledger.AmbiguousProduct, "Can you add some Exchange Online licences?", ledger.Op{Kind: ledger.OpAdd}, exoPlan1, exoPlan2),
		question(ledger.QuantityMissing, "Can you add some Exchange Online licences?", ledger.Op{Kind: ledger.OpAdd}),
	}}
	runAnswerCases(t, []answerCase{
		{name: "a telephone in the signature", body: "Il s'agit de O365_BUSINESS_PREMIUM.\n\nClaire Moreau\n7 impasse des Verriers, 69005 Lyon – 04 78 00 12 34",
			ctx: standardQty, opt: bothE3, ops: ops(add(3, standard))},
		{name: "a form's how many", body: "Sorry, should have been clearer:\n\n• Product: Exchange Online (Plan 1)\n• How many: 3\n\nCheers,\nDavid",
			ctx: exoQty, ops: ops(add(3, exoPlan1))},
		{name: "la moins chère", body: "Prenez la moins chère des deux, ce sont juste des stagiaires.", ctx: twoE3Ctx, opt: bothE3,
			issues: codes(ledger.AmbiguousProduct)},
		{name: "the cheaper one", body: "Whichever is cheaper, please.", ctx: exoCtx, issues: codes(ledger.AmbiguousProduct)},
		{name: "X, pas la suite complète", body: "Pardon : ce sont les Microsoft 365 Business Premium, pas la suite complète.",
			ctx: twoE3Ctx, opt: bothE3, ops: ops(add(2, spb))},
		{name: "réattribuer", body: "Merci de réattribuer la licence Office 365 E3 à bob@contoso.com.", ops: ops(assign(e3, "bob@contoso.com"))},
		{name: "reassign", body: "Please reassign the Office 365 E3 licence to bob@contoso.com.", ops: ops(assign(e3, "bob@contoso.com"))},
	})
}

// A signature answers nothing, after a refusal as after a question: its
// "étage 3" or "Unit 4" is no number of seats, its address no user. Found
// by probing the retry after a refusal: "étage 3" bought 3 seats.
func TestASignatureAnswersNothing(t *testing.T) {
	refused := &Context{Understood: []ledger.Op{add(50, e1)},
		Missing: []ledger.Error{{Code: ledger.InsufficientCredit, Message: "credit limit"}}, Refused: true}
	runAnswerCases(t, []answerCase{
		{name: "étage 3 after a refusal", body: "Ok, merci pour l'explication.\n\nJean Dupont\nBâtiment B, étage 3", ctx: refused, issues: none},
		{name: "Unit 4 after a refusal", body: "Ok. Priya\nUnit 4, Dockside Business Park", ctx: refused, issues: none},
		{name: "Unit 4 after a question", body: "Thanks!\n\nPriya\nUnit 4, Dockside Business Park", ctx: spbQtyCtx, issues: none},
		{name: "an address in the signature is no user", body: "Thanks!\n\nJean\nhelpdesk@contoso.com", ctx: e3UserCtx, issues: none},
		{name: "merci puis une adresse de signature", body: "Merci beaucoup,\n\nMarc Lefort\nSupport informatique\nhelpdesk@contoso.com",
			ctx: e3UserCtx, issues: none},
		// Not a signature: a request after the thanks, an answer that is
		// only an address.
		{name: "a request after the thanks", body: "Merci !\n\nPouvez-vous l'attribuer à dave@contoso.com ?\n\nJean", ctx: e3UserCtx,
			ops: ops(assign(e3, "dave@contoso.com"))},
		{name: "an address alone answers", body: "Merci !\n\nalice@contoso.com", ctx: e3UserCtx, ops: ops(assign(e3, "alice@contoso.com"))},
		{name: "3 please, then a signature", body: "3 please.\n\nCheers,\nPriya\nUnit 4, Dockside Business Park", ctx: basicQtyCtx,
			ops: ops(add(3, basic))},
	})
}

// A number per something, or taken back in the next sentence, is no
// certain number of seats: asked.
func TestNumbersPerSomethingOrTakenBackLaterAreAsked(t *testing.T) {
	runAnswerCases(t, []answerCase{
		{name: "2 for each of our 3 offices", body: "Add 2 Business Premium for each of our 3 offices.", issues: codes(ledger.QuantityMissing)},
		{name: "2 par bureau", body: "Merci d'ajouter 2 licences Business Premium par bureau.", issues: codes(ledger.QuantityMissing)},
		{name: "no wait, 6", body: "Please add 5 Business Premium. No wait, 6.", issues: codes(ledger.QuantityMissing)},
		{name: "non pardon, 6", body: "Merci d'ajouter 5 licences Business Premium. Non pardon, 6.", issues: codes(ledger.QuantityMissing)},
		{name: "not 4 stays 5", body: "Please add 5 Business Premium, not 4.", ops: ops(add(5, spb))},
		{name: "3 of each in an answer still counts each", body: "3 of each please.", ctx: &Context{Missing: []ledger.Error{
			question(ledger.QuantityMissing, "Some E3 and some Visio, please.", ledger.Op{Kind: ledger.OpAdd, SKU: m365e3}),
			question(ledger.QuantityMissing, "Some E3 and some Visio, please.", ledger.Op{Kind: ledger.OpAdd, SKU: visioPlan}),
		}}, ops: ops(add(3, m365e3), add(3, visioPlan))},
	})
}
