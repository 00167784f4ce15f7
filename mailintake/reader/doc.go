// Package reader understands the licence requests of a customer's email, in
// French or English (SPEC §4.2): "merci d'ajouter 5 licences Business
// Premium", "please set our E1 to 40", "attribuer une licence E3 à
// alice@contoso.com".
//
// Its input is the text the sender wrote (quotes and signatures already
// removed by the quote package), the decoded subject and the catalog. Read
// returns the operations found, in the order written, and an Issue for every
// part not understood with certainty. The rule is never to guess: a caller
// treats any Issue as needs_clarification and applies nothing, so whenever a
// reading is in doubt the reader asks rather than acts.
//
// # How a message is read
//
// The text is cut into sentences (at ".", "!", "?", ";" and line ends) and a
// sentence into clauses, one per trigger word: a verb or a noun that asks
// for something ("ajouter", "retirez", "commande", "add", "cancel",
// "besoin", "need", "attribuer", "assign"…), with its negations and
// politeness ("merci de ne pas ajouter", "could you please add"). A verb
// with nothing of its own before the next one forms a chain whose last verb
// counts ("nous avons besoin d'ajouter", "we need to remove"). A sentence
// without a verb is a request only when a marker next to a quantity says so:
// "5 E3 de plus", "2 fewer E1", "+3 E5".
//
// In a clause, products are found by the longest run of words that is a SKU,
// display name, GUID or alias of the catalog (accents, case, spacing and a
// plural "s" ignored, as cat.Lookup does), quantities by digits or words, and
// the two are paired in the order written ("5 E3 et 3 E5", "E3 : 40"). What a
// quantity asks for comes from the verb and the words next to it:
//
//   - add: ajouter, rajouter, commander, acheter, add, buy, order, purchase,
//     "N de plus", "N supplémentaires", "N more", "another";
//   - remove: supprimer, retirer, enlever, restituer, rendre, résilier,
//     remove, return, cancel, drop, "N de moins", "N fewer";
//   - set (a new total): passer/porter/ramener à N, set/bring/change to N,
//     "au total", "en tout", "a total of N", "in total";
//   - augmenter/increase and réduire/diminuer/reduce/decrease: "de N"/"by N"
//     is a difference, "à N"/"to N" a total, and "de 10 à 15"/"from 10 to
//     15" the total 15;
//   - besoin/il faut/need: with "de plus"/"more" an addition, with "au
//     total"/"in total" a total;
//   - assign and unassign: attribuer, assigner, affecter, donner, assign,
//     give; désattribuer, unassign, revoke; and add/remove verbs that name
//     users ("add alice@… to E3", "retirer la licence E3 à alice@…").
//
// # Choices worth knowing
//
// Quantities. "un"/"une"/"a"/"an" count one only before a licence word or a
// product ("une licence E3", "an E3"). Thousands are grouped with a space
// (also a no-break or thin space) or an apostrophe in both languages, with a
// comma in English and a dot in French; the other language's separator gives
// two readings ("1.000" in English, "1,000" in French) and is asked about.
// Ranges and bounds ("5-10", "5 ou 6", "entre 5 et 10", "around 20", "au
// moins 5", "20+"), vague words ("quelques", "a few", "une vingtaine") and "a
// couple" (informally two, but not reliably) are QuantityMissing. Zero is
// accepted only as a new total; decimals and counts above
// ledger.MaxQuantity are InvalidQuantity. A number that is part of a name
// ("Exchange Online Plan 1", "Microsoft 365", "Office 2019"), a reference
// ("ticket #1234", "order 12345"), a date, a time, a price, a phone number or
// a duration is never read as a quantity.
//
// Add or total. "we need 5 E3" and "nous avons besoin de 5 E3" could ask for
// 5 more or for 5 in total, and so could "increase E3 5": they are
// QuantityMissing with a detail that asks which.
//
// Products. Two candidates for one name are AmbiguousProduct: the catalog's
// own ambiguous names ("Office 365 Business Premium", "F3", "Microsoft 365
// Apps"), a vendor word before a shorter name ("Microsoft E3": SPE_E3 is
// "Microsoft 365 E3" while "E3" is Office 365 E3), and a name that a list
// shortens ("Microsoft 365 E3 et E5": E5 alone is Office 365 E5). Words next
// to a quantity that name nothing the catalog knows are UnknownProduct with
// cat.Suggest's guesses in the detail.
//
// A quantity without a product ("5 de plus", "merci d'en ajouter 3") takes
// the product when the message (subject and body together) names exactly
// one; when it names several the issue is AmbiguousProduct, when none
// UnknownProduct. A lone number next to complete items is not given a
// product: it describes ("pour nos 2 nouveaux arrivants", "we currently have
// 20") or, failing that, is asked about.
//
// Not requests. Past reports ("nous avons ajouté", "I removed"), plans
// ("we will order", "nous allons commander"), negations ("ne pas ajouter",
// "don't add", "no need to"), hypotheticals ("si besoin", "if needed",
// "maybe") and price questions ("combien", "devis", "how much") are not
// requests: the whole clause is left out, and a message with nothing else is
// NoRequestFound. Descriptions without a verb ("nous avons 20 E3") are left
// out too.
//
// Users. Every address of an assignment must belong to one of
// Options.Domains exactly (no subdomains); otherwise the clause is
// ForeignUser and gives no operation. Without domains every user is foreign.
// More than ledger.MaxUsersPerOp users is TooManyUsers. Buying seats for
// named users ("order 5 E3 for alice@…") asks whether to buy or to assign.
//
// Subject. The subject, without its "Re:", "TR:", "Fwd:" prefixes, is read
// only when the body asks for nothing: as a request of its own ("Ajout de 3
// licences E3"), or as the verb of a body that only lists items ("Commande de
// licences" over "5 E3 et 2 E5"). Its products always count for the rule
// above.
//
// Lines. A list under a verb line ("Merci d'ajouter :" then "- 5 E3", "- 2
// E5") and a sentence wrapped before its product continue the verb's clause,
// as long as the following lines only hold items.
//
// # Limits
//
// The body is read up to 64 KiB (the subject up to 2 KiB), cut at a line
// break so that no number is cut in two; a longer body adds an
// InvalidRequest issue, since what follows was not read. At most
// ledger.MaxOpsPerReq operations are returned (more adds an InvalidRequest)
// and at most as many issues. The work is linear in the input: one pass to
// cut words, one to find names and numbers, then clauses over their own
// words.
package reader
