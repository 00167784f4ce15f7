// Package reader understands the licence requests of a customer's email, in
// French or English (SPEC §4.2): "merci d'ajouter 5 licences Business
// Premium", "please set our E1 to 40", "attribuer une licence E3 à
// alice@contoso.com", "move all our E3 users to E5" (R-SWITCH); and its
// questions about the tenant's own licences ("how many free E3 do we
// have?", "combien coûteraient 5 licences de plus ?").
//
// Its input is the text the sender wrote (quotes and signatures already
// removed by the quote package, HTML rendered and format=flowed joined by
// the decode package), the decoded subject, the catalog and what the reader
// knows of the tenant (Options: its domains, the products it holds with
// their totals, and, for an answer, the earlier request of the
// conversation). Read returns the operations found, in the order written;
// an Issue for every part not understood with certainty; and the Asks of
// its questions. The rule is never to guess: a caller treats any Issue as
// needs_clarification and applies nothing, so whenever a reading is in
// doubt the reader asks rather than acts. A reading with Asks and neither
// operations nor issues is answered with the figures and changes nothing
// (status answered).
//
// # How a message is read
//
// One pass cuts the text into tokens (words, numbers with their
// separators, addresses, punctuation; list numbers at the start of a line,
// "1." or "a)", become list markers). A second finds product names, by the
// longest run of words that is a SKU, display name, GUID or alias of the
// catalog (accents, case, spacing, a plural "s" and a line break inside a
// name ignored), and quantities, in digits or words, with the words around
// them that make them something else. Then the text is cut into sentences
// (at ".", "!", "?", ";", blank lines, list items, and line ends unless the
// next line continues the sentence in lower case), each sentence into
// segments (its lines) and clauses, one per trigger word: a verb or a noun
// that asks for something ("ajouter", "retirez", "commande", "add",
// "cancel", "besoin", "need", "attribuer", "assign", "upgrade", "migrer"…),
// with its negations and politeness ("merci de ne pas ajouter", "could you
// please add"). A verb with nothing of its own before the next one forms a
// chain whose last verb counts ("nous avons besoin d'ajouter", "we need to
// remove"). A sentence without a verb is a request only when a marker next
// to a quantity says so: "5 E3 de plus", "2 fewer E1", "+3 E5".
//
// A clause pairs its quantities and products in the order written ("5 E3
// et 3 E5", "E3 : 40"); what a quantity asks for comes from the verb and
// the words next to it:
//
//   - add: ajouter, rajouter, commander, acheter, add, buy, order, purchase,
//     "can we get/have", "N de plus", "N supplémentaires", "N more",
//     "another"; "add N in total" adds N altogether;
//   - remove: supprimer, retirer, enlever, restituer, rendre, résilier,
//     remove, return, cancel, drop, "N de moins", "N fewer";
//   - set (a new total): passer/porter/ramener à N, set/bring/change/take to
//     N, "au total", "en tout", "a total of N", "in total";
//   - augmenter/increase/bump and réduire/diminuer/reduce/decrease: "de
//     N"/"by N" is a difference, "à N"/"to N" a total;
//   - besoin/il faut/need: with "de plus"/"more" an addition, with "au
//     total"/"in total" a total; a need that introduces a list ("voici nos
//     besoins :", "here's what we need:") is what to add;
//   - assign and unassign: attribuer, assigner, affecter, donner, assign,
//     give; désattribuer, unassign, revoke; and add/remove verbs that name
//     users ("add alice@… to E3", "retirer la licence E3 à alice@…");
//   - switch (R-SWITCH): upgrade, downgrade, move, switch, migrate, migrer,
//     basculer, and passer/change with both sides: FROM after "from"/"de"
//     or next to a people word ("our E3 users"), TO after "to"/"à"/"vers";
//     who moves are the addresses named, or every holder of FROM with
//     "all", "tous", "our E3 users", "nos utilisateurs E3". A missing side,
//     a count of users without their names, or the same product twice is
//     asked about.
//
// # What is never a request (issue 9, class 1)
//
// Every sentence that looks like a request is either read in full or asked
// about; the words that signal doubt block it instead of being ignored:
//
//   - a condition anywhere in the sentence ("si", "au cas où", "sauf si",
//     "dans l'hypothèse où", "peut-être", "if", "unless", "in case",
//     "should we need", "might"), or a sentence that refers back to one
//     before it ("Sinon, …", "If not, …", "Dans le cas contraire, …"): its
//     items are kept. With a question in the message they become Asks, the
//     facts the customer needs to decide (free seats, totals, the price of
//     the seats the condition would order); without one, the message is
//     NoRequestFound with the condition in the detail; next to a firm
//     request it is an InvalidRequest that holds the whole message back.
//     Hedges are no conditions (issue 9, class 8): "sauf erreur de ma part",
//     "si je ne me trompe pas", "if I remember correctly", "if I'm not
//     mistaken", "if memory serves", "si possible", "if you could". Beyond
//     that list a hedge is known by its shape: a courtesy to the desk
//     ("si ça ne vous dérange pas", "si cela vous est possible", "if that's
//     OK", "if it's not too much trouble", "if you get a chance"), a doubt
//     of the sender about their memory or the product's name ("à moins que
//     je ne me trompe sur le nom", "unless I've got the name wrong"), a
//     polite adverb after a request modal ("could you possibly",
//     "pourriez-vous éventuellement"), "no worries if not", and an
//     alternative date ("sinon mardi"). A clause that names licences,
//     figures, a decision or someone else's say ("unless we still have
//     enough", "si le budget est validé", "if you can't find spare ones",
//     "si cela convient à la direction"), a fact the doubt is about ("if
//     I'm right that we are out of them") or an alternative ("if that's not
//     possible, add 2") stays a condition;
//   - a question: a "?", an interrogative at the start ("combien", "how
//     many", "what"), an indirect question ("me dire s'il", "let me know
//     whether"). A verb of request in a question is a polite request when a
//     request modal precedes it and no interrogative does ("could you add
//     2 more?", "serait-il possible d'ajouter 2 licences ?", "can we get
//     another Visio licence?"); otherwise it is part of the question ("how
//     much would it cost to add 5 E3?", "faut-il ajouter des E3 ?"). A
//     question about licences (free, spare, left, assigned, total, unused,
//     price, quote) becomes an Ask per product it names (each candidate of
//     a family name), with the quantity of a price question as More; "what
//     licences are we not using" asks for the report (Unused). A price word
//     after the verb rides along with the request, which R-COST answers.
//     "Why …?" and a question about an invoice or a charge ("we removed 2
//     Visio last month, why are they still on the invoice?") ask for an
//     explanation the figures do not give: no Ask, so such a message is
//     NoRequestFound unless it also asks a count or a price (issue 9,
//     class 5). A statement before a polite request in one sentence asks
//     too: "I think we need 2 more E3 – could you add them please?";
//   - a negation ("ne pas ajouter", "don't add", "no need to"), a past
//     report ("nous avons ajouté", "I removed"), a plan ("we will order",
//     "nous allons commander"), thanks for something done.
//
// # Choices worth knowing
//
// Quantities. "un"/"une"/"a"/"an" count one only before a licence word or a
// product ("une licence E3", "an E3"), or after "en" and a verb ("merci
// d'en ajouter une"). Thousands are grouped with a space (also a no-break
// or thin space) or an apostrophe in both languages, with a comma in
// English and a dot in French; the other language's separator gives two
// readings ("1.000" in English, "1,000" in French) and is asked about.
// Ranges and bounds ("5-10", "5 ou 6", "entre 5 et 10", "around 20", "au
// moins 5", "20+"), vague words ("quelques", "a few", "une vingtaine") and "a
// couple" (informally two, but not reliably) are QuantityMissing. Zero is
// accepted only as a new total; decimals and counts above
// ledger.MaxQuantity are InvalidQuantity. A quantity written twice is one
// ("trois (3)", "4 (four)"; two values are asked about); in "1 des 3",
// "one of the 2" the second number describes (issue 9, class 3). A number
// that is part of a name ("Exchange Online Plan 1", "Microsoft 365"), a
// reference ("ticket #1234", "order 12345", "CMD-2026-1142"), a date ("12/03",
// "lundi 23"), a time, a price or an amount ("coût 4410"), a phone number, a
// duration, or one that counts a common noun of its own ("dix nouveaux
// bénévoles", "2 offices", "the two contractors") is never read as a
// quantity.
//
// From N to M (issue 9, class 2). "de 10 à 15" / "from 10 to 15" is the
// total 15 only when 10 is the tenant's current total (Options.Held);
// otherwise, and when the holdings are unknown, it is QuantityMissing and
// the detail gives the current total. So are "from 14 up to 16", "from 12
// down to 10", "de 6 jusqu'à 8" and an arrow between two numbers ("12 →
// 14", "10 -> 12"), whatever the verb (take, bring, change, move, go,
// passer, faire descendre), the product before or after the numbers or
// only in the subject; next to its product an arrow or "de N à M" needs no
// verb ("Business Basic : 14 -> 16 please"). "Move us from 14 to 16" moves
// no user: it is no switch. Markers of another number ("we are opening
// two more shops") are its own, and a number of people without a verb
// ("Two more starters on Monday.") describes.
//
// Add or total. "we need 5 E3" and "nous avons besoin de 5 E3" could ask for
// 5 more or for 5 in total, and so could "increase E3 5": they are
// QuantityMissing with a detail that asks which.
//
// Products and families (issue 9, class 7). Two candidates for one name are
// AmbiguousProduct: the catalog's own ambiguous names ("Office 365 Business
// Premium", "F3", "Microsoft 365 Apps"), a vendor word before a shorter name
// ("Microsoft E3"), a name that a list shortens ("Microsoft 365 E3 et E5"),
// and a family name: "E3" is also the end of "Microsoft 365 E3", and a
// capitalised "Exchange", "Entra ID" or "Visio" next to a number or a
// licence word begins several plans' names. The tenant's holdings narrow
// the candidates: the one product of the family it holds is the one meant;
// several, or none, are asked about (with the catalog's products of the
// family). A family of one catalog product is that product ("Visio" is
// Visio Plan 2). An explicit name ("Office 365 E3") is never narrowed.
// Words next to a quantity that name nothing the catalog knows are
// UnknownProduct with cat.Suggest's guesses in the detail.
//
// A quantity without a product ("5 de plus", "merci d'en ajouter 3") takes
// the product when the message (subject and body together) names exactly
// one, and only when something ties it to licences (a licence word, a
// marker, a pronoun, a verb rather than a noun that may be a label); when
// the message names several the issue is AmbiguousProduct, when none
// UnknownProduct. A lone number next to complete items is not given a
// product: it describes ("pour nos 2 nouveaux arrivants", "we currently have
// 20") or, failing that, is asked about. A need without a number ("il a
// besoin d'Intune pour son poste") is asked about only when the message asks
// for nothing else.
//
// Users. Every address of an assignment or a switch must belong to one of
// Options.Domains exactly (no subdomains); otherwise the clause is
// ForeignUser and gives no operation. Without domains every user is foreign.
// More than ledger.MaxUsersPerOp users is TooManyUsers. Buying seats for
// named users ("order 5 E3 for alice@…") asks whether to buy or to assign.
//
// Subject. The subject, without its "Re:", "TR:", "Fwd:" prefixes and the
// desk's "[LD-…]" tag, is read only when the body asks for nothing and
// holds no condition nor question: as a request of its own ("Ajout de 3
// licences E3"), or as the verb of a body that only lists items ("Commande
// de licences" over "5 E3 et 2 E5"). Its products always count for the rule
// above.
//
// Lists, forms and tables (issue 9, class 4). A list under a lead-in line
// ending with ":" ("Merci d'ajouter :", "please add the following:", "voici
// nos besoins :", "Nouveaux arrivants :") continues the lead-in's clause
// over the lines that only hold items ("- 5 E3", "3x Business Premium",
// "Visio Plan 2 x1", "Business Basic (qty: 2)"), across blank lines
// between bullets; the lead-in itself is no request. A form ("Licence : …"
// over "Quantité : 3", or several fields on one line: "Licence : E3 —
// Quantité : 2") and a table whose header names a product and a quantity
// column (decode renders HTML cells, Word's paragraphs in cells included,
// as "a | b"; a tab between words of a text line is a cell too) are read
// field by field and row by row; their operation comes from a "Type de
// demande"/"Request type" field or an "Action" column, else from the
// lead-in (one ending with ":", or one pointing forward: "pouvez-vous
// ajouter les licences ci-dessous ?") or the subject, else it is asked
// about. A field or column name is known whole ("Quantité") or by its
// words ("Nb de licences demandées", "Désignation", "Qté souhaitée"; one
// that counts people, "Nombre d'utilisateurs", is no quantity). Other
// fields and columns (notes, cost centre, requester) hold no quantity; a
// "Total" row sums the others; a row whose product cell names nothing
// known is UnknownProduct with that cell. A conditional lead-in ("If the
// budget is approved, please add the following:") or a row whose notes
// hold a condition makes the rows conditional. "Prévoir : Business Premium
// : 3" provides 3 more (prévoir, provision).
//
// A subject without a verb may still give one to a body that only lists
// items, forms or tables: licences asked for ("Demande de licences",
// "Licence request", "Nouvelles licences") or people arriving ("Arrivées
// de décembre", "December starters") are seats to add; never an
// assignment for arrivals, and not when the subject asks something else
// ("Demande de modification", "New licences pricing"). "Nous prévoyons
// d'ajouter", "we plan to add" are plans, like "we will add".
//
// Every issue that leaves an operation incomplete carries Partial: the
// operation with its missing part empty (no product, no quantity, no users,
// a switch's missing side), so that the answer can complete it.
//
// # Conversations (SPEC §4.6, issue 11)
//
// With Options.Context the text answers an earlier request (its subject is
// not read again). Its items fill the missing parts of the earlier
// questions' Partials: a product ("Business Premium, please"), a choice
// among the candidates by name or by the words that tell them apart ("the
// Plan 2 one"), all of them ("oui, les deux", "both"), a number ("il en
// faudrait 3"; "15 au total" is a total, "3 de plus" an addition), users
// ("pour alice@…"). The completed request is the earlier request's
// understood operations plus the completed ones; questions the answer left
// open are asked again, and an answer that leaves doubt ("E3" again, "3 ou
// 4") asks a narrower question. A complete request written in the answer is
// read as one; "1 more" counts the earlier request's product when it named
// exactly one. An answer with nothing in it ("merci !", "thanks, got it")
// is NoRequestFound only, which the intake attaches without a reply.
// Refusals of the earlier request are no questions to complete.
//
// # Limits
//
// The body is read up to 64 KiB (the subject up to 2 KiB), cut at a line
// break so that no number is cut in two; a longer body adds an
// InvalidRequest issue, since what follows was not read. At most
// ledger.MaxOpsPerReq operations are returned (more adds an InvalidRequest)
// and at most as many issues and Asks. The work is linear in the input: one
// pass to cut words, one to find names and numbers, one for sentences, then
// clauses over their own words.
package reader
