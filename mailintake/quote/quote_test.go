package quote

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// stripCases are realistic French and English replies with the exact text
// the sender wrote.
var stripCases = []struct {
	name, in, want string
}{
	{
		name: "a Gmail English reply loses the On-wrote header and the quote",
		in: "Please add 5 E3 licences.\n\nOn Mon, 15 Nov 2021 at 19:42, Licence Desk <desk@example.com> wrote:\n" +
			"> Hello,\n> How can we help?\n",
		want: "Please add 5 E3 licences.",
	},
	{
		name: "a Gmail French reply loses the Le-a-écrit header and the quote",
		in: "Merci d'ajouter 5 licences E3.\n\nLe lun. 15 nov. 2021 à 19:42, Licence Desk <desk@example.com> a écrit :\n" +
			"> Bonjour,\n> Que pouvons-nous faire pour vous ?\n",
		want: "Merci d'ajouter 5 licences E3.",
	},
	{
		name: "a French Gmail header wrapped over two lines is found",
		in: "Bonjour,\nPouvez-vous retirer 2 licences E5 ?\n\nLe lun. 15 nov. 2021 à 19:42, Support Licences <support@desk.example>\n" +
			"a écrit :\n\n> Votre demande a été traitée.\n",
		want: "Bonjour,\nPouvez-vous retirer 2 licences E5 ?",
	},
	{
		name: "a French header with non-breaking spaces before the colon is found",
		in:   "Ajoutez 2 E3.\n\nLe 3 févr. 2024 à 10:05, Jean Martin <jean@contoso.fr> a\u00a0écrit\u00a0:\n> Combien ?\n",
		want: "Ajoutez 2 E3.",
	},
	{
		name: "an English header wrapped over three lines is found",
		in: "Two more Visio seats please.\n\nOn Dec 16, 2021, at 12:47 PM, Corey Donohoe\n<desk@example.com>\nwrote:\n\n" +
			"> Anything else?\n",
		want: "Two more Visio seats please.",
	},
	{
		name: "an Outlook desktop French block after a rule is cut with everything below",
		in: "Merci d'ajouter 3 licences Business Premium.\n\n________________________________\n" +
			"De : Support Licences <support@desk.example>\nEnvoyé : lundi 15 novembre 2021 19:42\n" +
			"À : Jean Dupont <jean.dupont@contoso.com>\nObjet : RE: Licences\n\nBonjour Jean,\nVotre demande est enregistrée.\n",
		want: "Merci d'ajouter 3 licences Business Premium.",
	},
	{
		name: "an Outlook web French block with Envoyé le and no rule is cut",
		in: "Ajouter 2 E3 svp\n\nDe : Support <support@desk.example>\nEnvoyé le : mardi 16 novembre 2021 09:00\n" +
			"À : jean@contoso.com\nObjet : Votre demande\n\nAncien message\n",
		want: "Ajouter 2 E3 svp",
	},
	{
		name: "an Outlook French block with a Date field is cut",
		in:   "Il nous faut 4 E5 de plus.\n\nDe : Desk <desk@example.com>\nDate : 23/06/24 10:46\nÀ : achats@contoso.fr\nObjet : Licences\n\nTexte\n",
		want: "Il nous faut 4 E5 de plus.",
	},
	{
		name: "an Outlook English From-Sent-To-Subject block is cut",
		in: "Please remove 4 Visio seats.\n\nFrom: Licence Desk <desk@example.com>\nSent: Tuesday, November 16, 2021 9:00 AM\n" +
			"To: Bob <bob@fabrikam.com>\nSubject: RE: seats\n\nHi Bob, which plan?\n",
		want: "Please remove 4 Visio seats.",
	},
	{
		name: "an Outlook block with bold field names is cut",
		in: "Set E3 to 25 please\n\n*From:* Licence Desk [mailto:desk@example.com]\n*Sent:* Thursday, February 09, 2012 1:36 PM\n" +
			"*To:* it@fabrikam.com\n*Subject:* Your licences\n\nOld text\n",
		want: "Set E3 to 25 please",
	},
	{
		name: "an Original Message separator cuts everything below",
		in:   "Add 2 more E5.\n\n-----Original Message-----\nFrom: desk@example.com\nSent: Monday\n\nOld\n",
		want: "Add 2 more E5.",
	},
	{
		name: "a French Message d'origine separator cuts everything below",
		in:   "Passer à 20 licences E3.\n\n-------- Message d'origine --------\nDe : Desk <desk@example.com>\nDate : 23/06/24\n\nAncien\n",
		want: "Passer à 20 licences E3.",
	},
	{
		name: "a Thunderbird Original Message separator cuts everything below",
		in:   "Cancel the 3 Project licences.\n\n-------- Original Message --------\nSubject: Re: licences\nDate: Mon, 15 Nov 2021\n",
		want: "Cancel the 3 Project licences.",
	},
	{
		name: "an Apple Mail forwarded message is cut",
		in: "Can you handle this one?\n\nBegin forwarded message:\n\nFrom: Alice <alice@fabrikam.com>\nSubject: licences\n" +
			"Date: 15 November 2021\n\nPlease add 5 E3\n",
		want: "Can you handle this one?",
	},
	{
		name: "a Gmail forwarded message is cut",
		in:   "Voir ci-dessous.\n\n---------- Forwarded message ---------\nDe : Alice <alice@contoso.fr>\nDate: lun. 15 nov. 2021\n\nAjouter 5 E3\n",
		want: "Voir ci-dessous.",
	},
	{
		name: "an Apple Mail reply with a quoted header loses the whole quote",
		in:   "Yes, 3 more please.\n\n> On 15 Nov 2021, at 19:42, Licence Desk <desk@example.com> wrote:\n>\n> How many?\n",
		want: "Yes, 3 more please.",
	},
	{
		name: "a Thunderbird French header without an address is found",
		in:   "Cinq licences E3 de plus.\n\nLe 15/11/2021 à 19:42, Support Licences a écrit :\n> Combien en voulez-vous ?\n",
		want: "Cinq licences E3 de plus.",
	},
	{
		name: "an inline reply keeps each answer and drops each quote",
		in: "On Mon, 15 Nov 2021 at 19:42, Licence Desk <desk@example.com> wrote:\n> Which product do you need?\n\n" +
			"Microsoft 365 E3.\n\n> How many seats?\n\nFive more, please.\n",
		want: "Microsoft 365 E3.\n\nFive more, please.",
	},
	{
		name: "a compact inline answer between short quotes is kept",
		in:   "> Do you want 5?\nYes, add 5 E3\n> And Teams?\nNo Teams\n",
		want: "Yes, add 5 E3\nNo Teams",
	},
	{
		name: "the text before a header sharing its line is kept",
		in:   "Oui, 5 de plus. Le 15 nov. 2021 à 19:42, Desk <desk@example.com> a écrit :\n> Combien ?\n",
		want: "Oui, 5 de plus.",
	},
	{
		name: "a reply header with nothing written above leaves nothing",
		in:   "Le 15 nov. 2021 à 19:42, Desk <desk@example.com> a écrit :\n\nAjouter 5 licences E3\n",
		want: "",
	},
	{
		name: "a dash-space signature is dropped",
		in:   "Add 2 E3.\n\n-- \nJean Dupont\nContoso\n",
		want: "Add 2 E3.",
	},
	{
		name: "a double-dash signature without the space is dropped",
		in:   "Ajouter 1 licence Visio.\n--\nMarie Curie\nLabo Contoso\n+33 1 23 45 67 89\n",
		want: "Ajouter 1 licence Visio.",
	},
	{
		name: "a signature block holding a request is kept",
		in:   "Bonjour,\n\n-- \nPS : merci d'ajouter 2 licences E3\nJean\n",
		want: "Bonjour,\n\n-- \nPS : merci d'ajouter 2 licences E3\nJean",
	},
	{
		name: "Envoyé de mon iPhone is dropped",
		in:   "Ajoutez 3 E3\n\nEnvoyé de mon iPhone\n",
		want: "Ajoutez 3 E3",
	},
	{
		name: "Sent from my iPhone is dropped",
		in:   "Please add one more E5 seat\n\nSent from my iPhone\n",
		want: "Please add one more E5 seat",
	},
	{
		name: "Outlook for iOS in French with the block below is dropped",
		in: "Merci d'ajouter 5 licences E3\n\nEnvoyé à partir de Outlook pour iOS<https://aka.ms/o0ukef>\n" +
			"________________________________\nFrom: Desk <desk@example.com>\nSent: Thursday, September 26, 2019 11:35:12 AM\n" +
			"To: Jean <jean@contoso.fr>\nSubject: Licences\n\nBonjour\n",
		want: "Merci d'ajouter 5 licences E3",
	},
	{
		name: "Get Outlook for Android is dropped",
		in:   "Add 1 seat of Project Plan 3\n\nGet Outlook for Android<https://aka.ms/ghei36>\n",
		want: "Add 1 seat of Project Plan 3",
	},
	{
		name: "Télécharger Outlook pour Android is dropped",
		in:   "Retirer 2 E3\n\nTélécharger Outlook pour Android<https://aka.ms/ghei36>\n",
		want: "Retirer 2 E3",
	},
	{
		name: "a sentence starting with Sent from my is no footer",
		in:   "Here is another email\n\nSent from my desk, is much easier then my mobile phone.\n",
		want: "Here is another email\n\nSent from my desk, is much easier then my mobile phone.",
	},
	{
		name: "a French disclaimer and the environment notice are dropped with the sign-off",
		in: "Merci d'ajouter 5 licences E3.\n\nCordialement,\nJean Dupont\n\n" +
			"Ce message et toutes les pièces jointes (ci-après le \"message\") sont confidentiels et établis à l'intention exclusive de ses destinataires.\n" +
			"Toute utilisation non conforme à sa destination est interdite.\n" +
			"Pensez à l'environnement avant d'imprimer ce mail.\n",
		want: "Merci d'ajouter 5 licences E3.",
	},
	{
		name: "an English disclaimer is dropped",
		in: "Please increase E3 to 40.\n\nThis email and any attachments are confidential and may be privileged. " +
			"If you are not the intended recipient, please notify the sender and delete it.\n",
		want: "Please increase E3 to 40.",
	},
	{
		name: "a French sign-off with a name and title block is dropped",
		in:   "Merci d'ajouter 5 licences E3.\n\nCordialement,\nJean Dupont\nDSI - Contoso\n",
		want: "Merci d'ajouter 5 licences E3.",
	},
	{
		name: "an English sign-off with a name is dropped",
		in:   "Please add 2 Teams Essentials.\n\nBest regards,\nJane\nIT Manager, Fabrikam\n",
		want: "Please add 2 Teams Essentials.",
	},
	{
		name: "a request starting with Merci right above Cordialement is kept",
		in:   "Merci d'ajouter 5 licences E3\nCordialement\nJean Dupont\n",
		want: "Merci d'ajouter 5 licences E3",
	},
	{
		name: "a request written below the sign-off is never eaten",
		in:   "Bonjour,\n\nCordialement,\nMerci d'ajouter 5 licences E3\nJean\n",
		want: "Bonjour,\n\nCordialement,\nMerci d'ajouter 5 licences E3\nJean",
	},
	{
		name: "a bare closing formula is kept",
		in:   "Ajouter 2 E3.\n\nMerci !\n",
		want: "Ajouter 2 E3.\n\nMerci !",
	},
	{
		name: "lines starting with On are no header",
		in:   "On Monday we need 5 more E3 licences.\nOn average we use 40.\n",
		want: "On Monday we need 5 more E3 licences.\nOn average we use 40.",
	},
	{
		name: "a URL containing wrote is no header",
		in:   "See https://example.com/on-date-someone-wrote/ for details.\nAdd 2 E3.\n",
		want: "See https://example.com/on-date-someone-wrote/ for details.\nAdd 2 E3.",
	},
	{
		name: "From inside a sentence is no header block",
		in:   "The data comes From: our reseller, not from: Microsoft.\nPlease add 3 E5.\n",
		want: "The data comes From: our reseller, not from: Microsoft.\nPlease add 3 E5.",
	},
	{
		name: "Markdown rules are no signature",
		in: "Here is my analysis:\n\n## Key points\n----\n\n1. Add 5 E3\n2. Remove 2 E5\n\n----\n\n" +
			"The dashes above are markdown formatting, not signatures.\n",
		want: "Here is my analysis:\n\n## Key points\n----\n\n1. Add 5 E3\n2. Remove 2 E5\n\n----\n\n" +
			"The dashes above are markdown formatting, not signatures.",
	},
	{
		name: "a rule followed by a request is no footer",
		in:   "Voici la liste :\n_____\n5 E3\n2 E5\n",
		want: "Voici la liste :\n_____\n5 E3\n2 E5",
	},
	{
		name: "regards inside a sentence is no sign-off",
		in:   "With regards to the invoice, please add 4 seats.\n\nAs regards the timeline, Friday is fine.\n",
		want: "With regards to the invoice, please add 4 seats.\n\nAs regards the timeline, Friday is fine.",
	},
	{
		name: "a mailing-list footer after a rule is dropped",
		in:   "Add 2 E3 to our tenant.\n\n_______________________________________________\nit-users mailing list\nit-users@lists.contoso.com\nhttp://lists.contoso.com/mailman/listinfo/it-users\n",
		want: "Add 2 E3 to our tenant.",
	},
	{
		name: "a Zimbra header behind a dash is found",
		in:   "Bonjour,\n\nAjouter 2 E3.\n\nMichel Scott\n\n- Le 2021-04-09 23:25, Desk a écrit :\n> [1]\n>\n> Bonjour\n",
		want: "Bonjour,\n\nAjouter 2 E3.\n\nMichel Scott",
	},
	{
		name: "nested French, German and English quotes all go",
		in: "Réduire à 10 licences E3.\n\nLe 15 janv. 2024 à 14:30, Pierre <pierre@example.fr> a écrit :\n> Merci.\n>\n" +
			"> Am 14.01.2024 um 10:00 schrieb Hans <hans@example.de>:\n> > Interessant.\n> >\n" +
			"> > On Jan 13, 2024, at 3:00 PM, John <john@example.com> wrote:\n> > > Thanks!\n",
		want: "Réduire à 10 licences E3.",
	},
	{
		name: "a German Outlook block is cut",
		in: "Bitte 2 E3 hinzufügen.\n\nVon: Desk <desk@example.com>\nGesendet: Donnerstag, 23. März 2023 17:11\n" +
			"An: Max <max@example.de>\nBetreff: AW: Lizenzen\n\nHallo\n",
		want: "Bitte 2 E3 hinzufügen.",
	},
	{
		name: "a Gmail date-first header in another language is found",
		in:   "Ok, 3 E5.\n\n2014-03-20 8:48 GMT+01:00 Licence Desk <desk@example.com>:\n\n> How many?\n",
		want: "Ok, 3 E5.",
	},
	{
		name: "a French sentence about what someone wrote is no header",
		in:   "Le 5 mai, votre collègue m'a écrit :\n« vous pouvez commander 5 licences »\nDonc merci d'ajouter 5 licences E3.\n",
		want: "Le 5 mai, votre collègue m'a écrit :\n« vous pouvez commander 5 licences »\nDonc merci d'ajouter 5 licences E3.",
	},
	{
		name: "an undated line starting with On above a header stays visible",
		in:   "Add 2 E3.\nOn balance, I agree\nJane Doe <jane@fabrikam.com> wrote:\n> Shall we add two?\n",
		want: "Add 2 E3.\nOn balance, I agree",
	},
	{
		name: "a footer-like line in the middle of the text is kept",
		in:   "Envoyé de Paris\n\nMerci d'ajouter 5 licences E3\n",
		want: "Envoyé de Paris\n\nMerci d'ajouter 5 licences E3",
	},
	{
		name: "an app footer on the last line is dropped",
		in:   "Add 2 E3\n\nSent with Airmail\n",
		want: "Add 2 E3",
	},
	{
		name: "plain text without history is left whole",
		in:   "Bonjour,\n\nMerci d'ajouter 5 licences E3 et de retirer 2 licences E5.\n\nBonne journée",
		want: "Bonjour,\n\nMerci d'ajouter 5 licences E3 et de retirer 2 licences E5.\n\nBonne journée",
	},
	{
		name: "empty input stays empty",
		in:   "",
		want: "",
	},
}

func TestStrip(t *testing.T) {
	for _, tc := range stripCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Strip(tc.in); got != tc.want {
				t.Errorf("Strip() =\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

func TestSplitCoversTheInput(t *testing.T) {
	for _, tc := range stripCases {
		t.Run(tc.name, func(t *testing.T) {
			visible, removed := Split(tc.in)
			if visible != Strip(tc.in) {
				t.Errorf("Split's visible part %q differs from Strip's %q", visible, Strip(tc.in))
			}
			checkCover(t, tc.in, visible, removed)
		})
	}
}

func TestSplitReportsWhatWasRemoved(t *testing.T) {
	in := "Add 2 E3.\n\nOn Mon, 15 Nov 2021 at 19:42, Desk <desk@example.com> wrote:\n> How many?\n"
	visible, removed := Split(in)
	if visible != "Add 2 E3." {
		t.Errorf("visible = %q", visible)
	}
	want := "\nOn Mon, 15 Nov 2021 at 19:42, Desk <desk@example.com> wrote:\n> How many?\n"
	if removed != want {
		t.Errorf("removed = %q, want %q", removed, want)
	}
}

func TestSplitSharesALineWithAMidLineHeader(t *testing.T) {
	in := "reply--- On Wed, Apr 4, 2012 at 3:59 PM, me@example.com wrote:\n> Hi"
	visible, removed := Split(in)
	if visible != "reply" {
		t.Errorf("visible = %q, want %q", visible, "reply")
	}
	if removed != "--- On Wed, Apr 4, 2012 at 3:59 PM, me@example.com wrote:\n> Hi" {
		t.Errorf("removed = %q", removed)
	}
}

func TestStripKeepsCRLFLinesIntact(t *testing.T) {
	in := "Add 2 E3\r\n\r\nOn Mon, 15 Nov 2021 at 19:42, Desk <desk@example.com> wrote:\r\n> How many?\r\n"
	if got := Strip(in); got != "Add 2 E3\r" {
		t.Errorf("Strip() = %q, want the first line with its own line ending", got)
	}
}

func TestStripReturnsOnAdversarialMegabyte(t *testing.T) {
	in := adversarialText(1 << 20)
	visible, removed := Split(in)
	checkCover(t, in, visible, removed)
	if !strings.Contains(visible, "Ajouter 5 licences E3") {
		t.Errorf("the request at the top was lost: visible starts %q", head(visible, 200))
	}
}

func TestStripHandlesHugeLinesAndManyQuoteMarkers(t *testing.T) {
	in := "Add 2 E3\n" + strings.Repeat(">", 1<<20) + "\n" + strings.Repeat("On ", 1<<17) + "wrote:\n" +
		strings.Repeat("-", 1<<19) + "\n"
	visible, removed := Split(in)
	checkCover(t, in, visible, removed)
	if !strings.HasPrefix(visible, "Add 2 E3") {
		t.Errorf("visible starts %q", head(visible, 80))
	}
}

// quadraticTraps are inputs shaped to make a careless line-pair or
// position-pair search quadratic; each must simply come back.
var quadraticTraps = map[string]string{
	"lines full of inner header starts":     strings.Repeat(strings.Repeat("x On May, Le Am someone said ", 20)+"wrote:\n", 20000),
	"sign-offs separated by blank runs":     strings.Repeat("Cordialement,\n"+strings.Repeat("\n", 50)+"Jean\n", 2000),
	"signature delimiters every other line": strings.Repeat("--\nx\n", 100000),
	"header fields without a block":         strings.Repeat("From: x\nX: y\n", 50000),
	"wrapped header openings":               strings.Repeat("On 5 May 2021\n<\n\n", 50000),
	"quote markers and blank runs":          strings.Repeat(">\n\n\n\nx\n", 50000),
}

func TestStripReturnsOnQuadraticTraps(t *testing.T) {
	for name, in := range quadraticTraps {
		t.Run(name, func(t *testing.T) {
			visible, removed := Split(in)
			checkCover(t, in, visible, removed)
		})
	}
}

func TestSplitReportsTextPastTheLineCapAsRemoved(t *testing.T) {
	in := "Ajouter 5 licences E3\n" + strings.Repeat("texte\n", maxLines) + "Retirer 2 licences E5\n"
	visible, removed := Split(in)
	checkCover(t, in, visible, removed)
	if !strings.HasPrefix(visible, "Ajouter 5 licences E3\n") {
		t.Errorf("visible starts %q", head(visible, 40))
	}
	if strings.Contains(visible, "Retirer") || !strings.Contains(removed, "Retirer 2 licences E5") {
		t.Errorf("the line past the cap should be reported as removed")
	}
}

// adversarialText repeats the shapes the heuristics look for, none of them
// forming a real header, until size bytes.
func adversarialText(size int) string {
	pieces := []string{
		"On Monday On Tuesday On 5 May On 2021-01-01 someone said\n",
		"From: nobody\n", "From: x\nFrom: y\nTo:\n", ">\n", "> > > >\n", ">>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>\n",
		"Le 5 mai Le 6 mai a écrit\n", "--\n", "-- \n", "____\n", "Cordialement,\n", "Sent from\n",
		"On Tue, 5 Mar 2024 at 10:00, X <x@example.com>\n", "<\n", "wrote\n", "\n", "Date: 5\nTo: y\n",
	}
	var b strings.Builder
	b.WriteString("Ajouter 5 licences E3\n\n")
	for i := 0; b.Len() < size; i++ {
		b.WriteString(pieces[i%len(pieces)])
	}
	return b.String()
}

func head(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// checkCover asserts that visible and removed are in-order selections of
// the input that together hold all of its non-space characters.
func checkCover(tb testing.TB, in, visible, removed string) {
	tb.Helper()
	if got, want := nonSpace(visible)+nonSpace(removed), nonSpace(in); got != want {
		tb.Errorf("visible and removed hold %d non-space characters, the input %d", got, want)
	}
	for _, part := range []struct{ name, text string }{{"visible", visible}, {"removed", removed}} {
		cursor := 0
		for _, l := range strings.Split(part.text, "\n") {
			if strings.TrimSpace(l) == "" {
				continue
			}
			i := strings.Index(in[cursor:], l)
			if i < 0 {
				tb.Fatalf("%s line %q is not in the input (in order)", part.name, l)
			}
			cursor += i + len(l)
		}
	}
	if utf8.ValidString(in) && (!utf8.ValidString(visible) || !utf8.ValidString(removed)) {
		tb.Errorf("valid UTF-8 input gave invalid UTF-8 output")
	}
}

func nonSpace(s string) int {
	n := 0
	for _, r := range s {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

func TestLooksLikeRequest(t *testing.T) {
	for _, tc := range []struct {
		line string
		want bool
	}{
		{"Merci d'ajouter 5 licences E3", true},
		{"Please add 2 seats", true},
		{"5 E3", true},
		{"retirer deux licences", true},
		{"Address: 130 Fox St", false},
		{"Tél : +33 1 23 45 67 89", false},
		{"DSI - Contoso", false},
		{"Jean Dupont", false},
	} {
		if got := looksLikeRequest(tc.line); got != tc.want {
			t.Errorf("looksLikeRequest(%q) = %v, want %v", tc.line, got, tc.want)
		}
	}
}

// frenchOutlookReply is a typical reply from Outlook desktop in French.
const frenchOutlookReply = `Bonjour,

Merci d'ajouter 5 licences Microsoft 365 E3 et de retirer 2 licences Visio Plan 2.

Cordialement,
Jean Dupont
Directeur des Systèmes d'Information
Contoso SA - 12 rue de la Paix, 75002 Paris
Tél : +33 1 23 45 67 89

Ce message et toutes les pièces jointes sont confidentiels et établis à l'intention exclusive de ses destinataires.
Pensez à l'environnement avant d'imprimer ce mail.

________________________________
De : Licence Desk <licences@desk.example>
Envoyé : lundi 15 novembre 2021 19:42
À : Jean Dupont <jean.dupont@contoso.com>
Objet : RE: Licences [LD-01FX]

Bonjour Jean,

Votre demande précédente a été appliquée : E3 passe de 40 à 45.

> Le 12 nov. 2021 à 10:00, Jean Dupont <jean.dupont@contoso.com> a écrit :
> Merci d'ajouter 5 licences E3.
`

func TestStripFrenchOutlookReply(t *testing.T) {
	want := "Bonjour,\n\nMerci d'ajouter 5 licences Microsoft 365 E3 et de retirer 2 licences Visio Plan 2."
	if got := Strip(frenchOutlookReply); got != want {
		t.Errorf("Strip() = %q, want %q", got, want)
	}
}

func BenchmarkStrip(b *testing.B) {
	b.SetBytes(int64(len(frenchOutlookReply)))
	for b.Loop() {
		Strip(frenchOutlookReply)
	}
}

func BenchmarkStripAdversarialMegabyte(b *testing.B) {
	in := adversarialText(1 << 20)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		Strip(in)
	}
}

// BenchmarkStripPathological runs upstream's regex-backtracking traps, which
// must parse in well under a second.
func BenchmarkStripPathological(b *testing.B) {
	dir := replyCorpus(b, "github-email_reply_parser")
	for _, name := range []string{"pathological.txt", "email_long_quote.txt"} {
		in := readFile(b, dir+"/emails/"+name)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				Strip(in)
			}
		})
	}
}

func FuzzStrip(f *testing.F) {
	for _, tc := range stripCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		visible, removed := Split(in)
		if Strip(in) != visible {
			t.Fatalf("Strip and Split disagree")
		}
		checkCover(t, in, visible, removed)
	})
}
