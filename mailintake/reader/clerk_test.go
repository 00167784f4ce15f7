package reader

import (
	"strings"
	"testing"

	"github.com/licensedesk/licensedesk/ledger"
)

// Where a careful desk clerk acts rather than asks (issue 9, classes 1 to
// 5 of the second round), and where the same words still ask.

func TestReadCourtesiesAreNoConditions(t *testing.T) {
	runCases(t, []readCase{
		{name: "si ça ne vous dérange pas is a courtesy", body: "Si ça ne vous dérange pas, pourriez-vous ajouter 2 licences E3 ?",
			ops: ops(add(2, e3))},
		{name: "si cela vous est possible is a courtesy", body: "Si cela vous est possible, merci d'ajouter 3 licences Business Premium.",
			ops: ops(add(3, spb))},
		{name: "si ça ne pose pas de souci is a courtesy", body: "Pouvez-vous rajouter une licence Visio Plan 2 si ça ne pose pas de souci ?",
			ops: ops(add(1, visioPlan))},
		{name: "si vous le voulez bien is a courtesy", body: "Merci d'ajouter 2 licences Business Premium si vous le voulez bien.",
			ops: ops(add(2, spb))},
		{name: "si ce n'est pas trop demander is a courtesy", body: "Pourriez-vous ajouter 2 licences E3, si ce n'est pas trop demander ?",
			ops: ops(add(2, e3))},
		{name: "if that's OK is a courtesy", body: "Please add 3 E1 licences if that's ok.", ops: ops(add(3, e1))},
		{name: "if it's not too much trouble is a courtesy", body: "If it's not too much trouble, please add another Visio Plan 2 licence.",
			ops: ops(add(1, visioPlan))},
		{name: "if you get a chance is a courtesy", body: "If you get a chance, please add 2 Business Basic licences.",
			ops: ops(add(2, basic))},
		{name: "no worries if not possible is a courtesy",
			body: "Could we get one more Exchange Online (Plan 1) licence today? No worries if not possible today, tomorrow is fine too.",
			ops:  ops(add(1, exoPlan1))},
		{name: "if possible, no worries if not", body: "Please add 2 Business Basic licences if it's possible today, no worries if not.",
			ops: ops(add(2, basic))},
		{name: "si possible, sinon mardi is about timing", body: "Merci d'ajouter 2 licences Business Standard, si possible avant lundi, sinon mardi.",
			ops: ops(add(2, standard))},
		{name: "sinon pas de souci is a courtesy", body: "Merci d'ajouter 2 licences Business Standard aujourd'hui si possible, sinon pas de souci.",
			ops: ops(add(2, standard))},
		{name: "à moins que je ne me trompe sur le nom doubts the wording",
			body: "Merci de rajouter 2 licences Exchange Online (Plan 1) (à moins que je ne me trompe sur le nom).", ops: ops(add(2, exoPlan1))},
		{name: "unless I've got the name wrong doubts the wording",
			body: "Please add 2 Entra ID P1 licences (unless I've got the\nname wrong - it's the one for conditional access).",
			ops:  ops(add(2, "AAD_PREMIUM"))},
		{name: "could you possibly is politeness", body: "Could you possibly add 2 more Business Basic licences?", ops: ops(add(2, basic))},
		{name: "pourriez-vous éventuellement is politeness", body: "Pourriez-vous éventuellement ajouter 2 licences Business Standard ?",
			ops: ops(add(2, standard))},
		{name: "perhaps you could is politeness", body: "Perhaps you could add 2 Business Basic licences?", ops: ops(add(2, basic))},
		{name: "si vous pouviez ajouter is the request itself", body: "Si vous pouviez ajouter 2 licences E3, ce serait parfait.",
			ops: ops(add(2, e3))},
		{name: "I think and a polite question after it", body: "I think we need 2 more Business Basic licences – could you add them please?",
			ops: ops(add(2, basic))},
	})
}

func TestReadConditionsStillAsk(t *testing.T) {
	runCases(t, []readCase{
		{name: "à moins que nous en ayons assez is a condition",
			body: "Merci d'ajouter 2 licences Business Standard, à moins que nous en ayons encore assez de libres.", issues: none},
		{name: "unless we still have enough, I think", body: "Please add 2 more E1 licences, unless we still have enough spare ones. I think we might.",
			issues: none},
		{name: "a courtesy does not lift a condition", body: "If the budget is approved on Thursday, please add 4 Business Premium licences, if possible before the 1st.",
			issues: none},
		{name: "if you can't find spare ones is a condition", body: "Please add 2 E1 if you can't find spare ones.", issues: none},
		{name: "if you have any left is a condition", body: "Please add 2 E1 if you have any left.", issues: none},
		{name: "if I'm right that … is a condition", body: "Please add 2 Business Basic licences if I'm right that we are out of them.",
			issues: none},
		{name: "someone else's approval is a condition", body: "Si cela convient à la direction, merci de commander 2 licences E3.", issues: none},
		{name: "if that's not possible gives an alternative",
			body: "Please add 3 Business Basic licences today. If that's not possible, add 2 today and 1 on Monday.",
			ops:  ops(add(3, basic)), issues: codes(ledger.InvalidRequest)},
		{name: "a plan is no request", body: "Nous prévoyons d'ajouter 2 licences Business Standard en janvier.", issues: none},
		{name: "we plan to add is no request", body: "We plan to add 2 more Business Basic licences next month.", issues: none},
	})
}

func TestReadBillingQuestionsAreNoAsks(t *testing.T) {
	runCases(t, []readCase{
		{name: "why is it still on the invoice", body: "We removed 2 Visio licences last month, why are they still on the invoice?",
			issues: none, asks: []ledger.Ask{}},
		{name: "pourquoi toujours facturée", body: "Nous avons retiré 2 licences Business Standard le mois dernier. Pourquoi sont-elles toujours sur la facture ?",
			issues: none, asks: []ledger.Ask{}},
		{name: "still billed", body: "We dropped Exchange Online (Plan 2) in September. Is it still being billed to us?",
			issues: none, asks: []ledger.Ask{}},
		{name: "a count question next to a past remark is answered", body: "How many Business Premium licences do we have now? We returned a few last week.",
			asks: []ledger.Ask{ask(spb, 0)}},
		{name: "a price on the invoice is a price question", body: "Combien nous coûteraient 2 licences Business Standard de plus sur la facture mensuelle ?",
			asks: []ledger.Ask{ask(standard, 2)}},
	})
}

func TestReadFromToVariants(t *testing.T) {
	basic14 := holding(map[string]int{basic: 14, e1: 10, standard: 12})
	runCases(t, []readCase{
		{name: "from N up to M, the product in the subject", subject: "Business Basic licences", opt: basic14,
			body: "Could you take us from 14 up to 16, please? Two more starters in the warehouse on Monday.", ops: ops(set(16, basic))},
		{name: "down from N to M", opt: basic14, body: "Please bring our Business Basic down from 14 to 12.", ops: ops(set(12, basic))},
		{name: "from N down to M, wrong total", opt: basic14, body: "Please reduce Business Basic from 16 down to 12 - two shared\nmailboxes were converted.",
			issues: codes(ledger.QuantityMissing)},
		{name: "an arrow", opt: basic14, body: "Merci d'ajuster nos licences Business Standard : 12 → 14.", ops: ops(set(14, standard))},
		{name: "an arrow in two marks, product in the subject", subject: "Office 365 E1", opt: basic14,
			body: "Please change our licences 10 -> 12, we are opening two more shops.", ops: ops(set(12, e1))},
		{name: "an arrow without a verb", opt: basic14, body: "Business Basic: 14 -> 16 please.", ops: ops(set(16, basic))},
		{name: "take us from N to M on X", opt: basic14, body: "Please can you take us from 10 to 12 on Office 365 E1.", ops: ops(set(12, e1))},
		{name: "de N jusqu'à M", opt: basic14, body: "Merci de passer les Business Standard de 12 jusqu'à 15.", ops: ops(set(15, standard))},
		{name: "faire descendre de N à M", opt: basic14, body: "Pouvez-vous faire descendre nos Business Standard de 12 à 10 ?", ops: ops(set(10, standard))},
		{name: "move us from N to M is no switch", subject: "Business Basic", opt: basic14, body: "Hi, can you move us from 14 to 16?",
			ops: ops(set(16, basic))},
		{name: "go from N to M", subject: "E1", opt: basic14, body: "Can we go from 10 to 12 please?", ops: ops(set(12, e1))},
		{name: "increase from N up to M is never an addition of N", opt: basic14, body: "Can you increase Business Basic from 13 up to 15?",
			issues: codes(ledger.QuantityMissing)},
		{name: "office hours are no change", opt: basic14, body: "Please add 2 Business Basic licences. Our office is open from 9 to 5.",
			ops: ops(add(2, basic))},
	})
}

func TestReadListsFormsAndTablesAct(t *testing.T) {
	runCases(t, []readCase{
		{name: "quantity before product under an order subject", subject: "Licence order", body: "3 x Business Basic\n2 x Visio Plan 2",
			ops: ops(add(3, basic), add(2, visioPlan))},
		{name: "arrivals in the subject", subject: "Arrivées de décembre", body: "Business Premium : 2\nExchange Online (Plan 1) : 1",
			ops: ops(add(2, spb), add(1, exoPlan1))},
		{name: "arrivals never assign", subject: "New starters", body: "alice@contoso.com - Business Basic", issues: none},
		{name: "a request noun in the subject", subject: "Demande de licences", body: "Licence : Business Standard\nQuantité : 2",
			ops: ops(add(2, standard))},
		{name: "a form without any verb is asked", subject: "Licences", body: "Licence : Business Standard\nQuantité : 2",
			issues: codes(ledger.InvalidRequest)},
		{name: "two fields on one line", subject: "Ajout licences", body: "Licence : Business Premium — Quantité : 2\nLicence : Visio Plan 2 - Quantité : 1",
			ops: ops(add(2, spb), add(1, visioPlan))},
		{name: "prévoir : produit : nombre", body: "Prévoir : Business Premium : 3\nPrévoir : Exchange Online (Plan 1) : 2",
			ops: ops(add(3, spb), add(2, exoPlan1))},
		{name: "a lead-in without a verb names arrivals", body: "Nouveaux arrivants :\n2 Business Premium\n1 Exchange Online (Plan 1)",
			ops: ops(add(2, spb), add(1, exoPlan1))},
		{name: "qty written in the line", subject: "Licence order", body: "Business Basic - qty 2\nVisio Plan 2 (qty: 1)",
			ops: ops(add(2, basic), add(1, visioPlan))},
		{name: "a table with a notes column", body: "Merci d'ajouter :\nProduit | Quantité | Commentaire\nBusiness Premium | 2 | arrivées le 5 et le 12\nVisio Plan 2 | 1 |",
			ops: ops(add(2, spb), add(1, visioPlan))},
		{name: "a table whose headers are longer names", body: "Merci d'ajouter :\nNom de la licence | Nombre de licences | Utilisateur(s) | Remarques\nBusiness Standard | 2 | Paul, Léa | urgent",
			ops: ops(add(2, standard))},
		{name: "tab-separated cells", body: "Could you add the following please:\n\nProduct\tQty\tComments\nBusiness Premium\t2\tstart 7 Dec\nVisio Plan 2\t1\t",
			ops: ops(add(2, spb), add(1, visioPlan))},
		{name: "a total row is no request", body: "Merci d'ajouter :\nProduit | Quantité\nBusiness Standard | 2\nVisio Plan 2 | 1\nTotal | 3",
			ops: ops(add(2, standard), add(1, visioPlan))},
		{name: "a lead-in pointing forward", body: "Pouvez-vous ajouter les licences ci-dessous ?\n\nProduit | Quantité\nBusiness Standard | 2",
			ops: ops(add(2, standard))},
		{name: "a conditional lead-in makes the rows conditional",
			body: "If the budget is approved, please add the following:\nProduct | Qty\nBusiness Premium | 3", issues: none},
		{name: "a conditional note makes its row conditional",
			body: "Please add these:\nProduct | Qty | Notes\nBusiness Premium | 3 | only if the budget is approved", issues: none},
		{name: "an unknown product in a table names the cell", body: "Please add these:\nProduct | Qty\nVisio Plan 1 | 2",
			issues: codes(ledger.UnknownProduct)},
		{name: "a table of current totals asks what to do", body: "Voici le récapitulatif :\nProduit | Quantité\nBusiness Standard | 12",
			issues: codes(ledger.InvalidRequest)},
	})
}

func TestReadUnknownTableProductNamesTheCell(t *testing.T) {
	r := Read("", "Please add these:\nProduct | Qty | Notes\nVisio Plan 1 | 2 | drawing office", testCatalog, contoso)
	if len(r.Issues) != 1 || r.Issues[0].Code != ledger.UnknownProduct {
		t.Fatalf("issues %+v, want one UnknownProduct", r.Issues)
	}
	if d := r.Issues[0].Detail; !strings.Contains(d, "Visio Plan 1") || strings.Contains(d, "drawing") {
		t.Errorf("detail %q, want the product cell", d)
	}
}
