package reader

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/licensedesk/licensedesk/ledger"
)

// frMarkers and enMarkers are frequent words of each language; French also
// scores its accented words.
var frMarkers = wordSet("le", "la", "les", "de", "des", "du", "et", "un", "une", "pour", "nous",
	"vous", "merci", "bonjour", "je", "est", "sont", "avec", "pas", "ne", "sur", "dans", "au", "aux",
	"cordialement", "svp", "plait", "notre", "nos", "votre", "vos", "ce", "cette", "qui", "que",
	"mais", "ou", "bien", "besoin", "ajouter", "retirer", "supprimer", "licence", "plus", "moins",
	"pouvez", "pourriez", "souhaite", "souhaitons", "voudrais", "madame", "monsieur", "salut",
	"faut", "il", "en", "commander", "attribuer", "merci", "bonne", "journee", "avons", "produit", "nombre", "quantite")

var enMarkers = wordSet("the", "and", "to", "of", "for", "we", "you", "our", "your", "please",
	"thanks", "thank", "hi", "hello", "regards", "is", "are", "with", "would", "could", "can",
	"add", "remove", "need", "more", "i", "it", "this", "that", "be", "have", "will", "kind",
	"best", "dear", "license", "licenses", "seats", "order", "buy", "assign", "from", "by", "an",
	"a", "cheers", "team", "us", "my", "do", "not", "some")

// detectLang returns "fr" when French words outnumber English ones.
func detectLang(toks []token) (string, bool) {
	fr, en := 0, 0
	for _, t := range toks {
		if t.kind != tWord {
			continue
		}
		if t.lower != t.fold || strings.ContainsAny(t.lower, "éèêàçùûôîœâë") {
			fr++
		}
		if frMarkers[t.fold] || frForms[t.fold] {
			fr++
		}
		if enMarkers[t.fold] && t.lower != "à" {
			en++
		}
	}
	if fr+en == 0 {
		return "en", false
	}
	if fr > en {
		return "fr", true
	}
	return "en", true
}

// maxText bounds Issue.Text, in characters.
const maxText = 200

// clip trims s and cuts it to maxText characters, marking the cut.
func clip(s string) string {
	if len(s) > 8*maxText {
		n := 8 * maxText
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n]
	}
	s = strings.Join(strings.Fields(strings.ToValidUTF8(s, "\uFFFD")), " ")
	if utf8.RuneCountInString(s) <= maxText {
		return s
	}
	r := []rune(s)
	return string(r[:maxText-1]) + "…"
}

// productName is how a product is shown in the reply lines.
func productName(cat *ledger.Catalog, sku string) string {
	if p, ok := cat.Get(sku); ok && p.Name != "" {
		return p.Name
	}
	return sku
}

func quoted(lang, s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) > 80 {
		s = string([]rune(s)[:79]) + "…"
	}
	if lang == "fr" {
		return "« " + s + " »"
	}
	return `"` + s + `"`
}

// orList joins items with commas and a final "or"/"ou".
func orList(lang string, items []string) string {
	word := " or "
	if lang == "fr" {
		word = " ou "
	}
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + word + items[len(items)-1]
}

// userList names at most five users, then how many more.
func userList(lang string, users []string) string {
	const shown = 5
	if len(users) == 0 {
		return ""
	}
	if len(users) <= shown {
		and := " and "
		if lang == "fr" {
			and = " et "
		}
		if len(users) == 1 {
			return users[0]
		}
		return strings.Join(users[:len(users)-1], ", ") + and + users[len(users)-1]
	}
	more := len(users) - shown
	if lang == "fr" {
		return fmt.Sprintf("%s et %d autres", strings.Join(users[:shown], ", "), more)
	}
	return fmt.Sprintf("%s and %d more", strings.Join(users[:shown], ", "), more)
}

// understood is the reply line for an operation, in the message's language.
func understood(lang string, cat *ledger.Catalog, op ledger.Op) string {
	name := productName(cat, op.SKU)
	fr := lang == "fr"
	switch op.Kind {
	case ledger.OpAdd:
		if fr {
			return fmt.Sprintf("ajouter %d × %s", op.Quantity, name)
		}
		return fmt.Sprintf("add %d × %s", op.Quantity, name)
	case ledger.OpRemove:
		if fr {
			return fmt.Sprintf("retirer %d × %s", op.Quantity, name)
		}
		return fmt.Sprintf("remove %d × %s", op.Quantity, name)
	case ledger.OpSet:
		if fr {
			return fmt.Sprintf("passer %s à %d au total", name, op.Quantity)
		}
		return fmt.Sprintf("set %s to %d in total", name, op.Quantity)
	case ledger.OpAssign:
		if fr {
			return fmt.Sprintf("attribuer %s à %s", name, userList(lang, op.Users))
		}
		return fmt.Sprintf("assign %s to %s", name, userList(lang, op.Users))
	case ledger.OpUnassign:
		if fr {
			return fmt.Sprintf("retirer %s à %s", name, userList(lang, op.Users))
		}
		return fmt.Sprintf("unassign %s from %s", name, userList(lang, op.Users))
	case ledger.OpSwitch:
		to := productName(cat, op.To)
		who := map[bool]string{true: "tous les utilisateurs", false: "every user"}[fr]
		if !op.All {
			who = userList(lang, op.Users)
		}
		if fr {
			return fmt.Sprintf("passer %s de %s à %s", who, name, to)
		}
		return fmt.Sprintf("move %s from %s to %s", who, name, to)
	}
	return string(op.Kind) + " " + op.SKU
}

// The details of the issues, in the message's language.

func detailAmbiguous(lang string, cat *ledger.Catalog, phrase string, skus []string) string {
	var alts []string
	for _, s := range skus {
		alts = append(alts, s+" ("+productName(cat, s)+")")
	}
	if lang == "fr" {
		return quoted(lang, phrase) + " peut désigner " + orList(lang, alts)
	}
	return phrase + " could be " + orList(lang, alts)
}

func detailUnknown(lang string, cat *ledger.Catalog, phrase string) string {
	sugg := cat.Suggest(phrase, 3)
	var b strings.Builder
	if lang == "fr" {
		b.WriteString("produit inconnu : " + quoted(lang, phrase))
		if len(sugg) > 0 {
			b.WriteString(" (vouliez-vous dire " + orList(lang, sugg) + " ?)")
		}
		return b.String()
	}
	b.WriteString("unknown product " + quoted(lang, phrase))
	if len(sugg) > 0 {
		b.WriteString(" (did you mean " + orList(lang, sugg) + "?)")
	}
	return b.String()
}

func detailNoProduct(lang string, what string) string {
	if lang == "fr" {
		return "aucun produit indiqué pour " + quoted(lang, what)
	}
	return "no product named for " + quoted(lang, what)
}

func detailContextAmbiguous(lang string, cat *ledger.Catalog, what string, skus []string) string {
	var alts []string
	for _, s := range skus {
		alts = append(alts, s+" ("+productName(cat, s)+")")
	}
	if lang == "fr" {
		return quoted(lang, what) + " sans produit : le message cite " + orList(lang, alts)
	}
	return quoted(lang, what) + " names no product; the message mentions " + orList(lang, alts)
}

// Reasons a quantity is missing.
const (
	whyNone     = iota // no number at all
	whyFuzzy           // "environ 20", "5 ou 6", "a few"
	whyTwoWays         // "1.000" in English, "5 6"
	whyAddOrSet        // "nous avons besoin de 3 E3": 3 more, or 3 in total?
	whyConflict        // "5 de plus au total"
)

func detailQuantity(lang, name, written string, why int) string {
	fr := lang == "fr"
	switch why {
	case whyFuzzy:
		if fr {
			return quoted(lang, written) + " n'est pas une quantité exacte pour " + name
		}
		return quoted(lang, written) + " is not an exact quantity for " + name
	case whyTwoWays:
		if fr {
			return quoted(lang, written) + " peut se lire de deux façons pour " + name
		}
		return quoted(lang, written) + " can be read two ways for " + name
	case whyAddOrSet:
		if fr {
			return quoted(lang, written) + " : est-ce le nombre à ajouter ou le nouveau total de " + name + " ?"
		}
		return quoted(lang, written) + ": is it the number to add or the new total of " + name + "?"
	case whyConflict:
		if fr {
			return quoted(lang, written) + " : ajout, retrait ou nouveau total de " + name + " ?"
		}
		return quoted(lang, written) + ": an addition, a removal or a new total of " + name + "?"
	}
	if fr {
		return "quantité non indiquée pour " + name
	}
	return "no quantity given for " + name
}

func detailInvalidQuantity(lang, written string, why qStatus, value int) string {
	fr := lang == "fr"
	switch why {
	case qDecimal:
		if fr {
			return quoted(lang, written) + " n'est pas un nombre entier"
		}
		return quoted(lang, written) + " is not a whole number"
	case qTooLarge:
		if fr {
			return fmt.Sprintf("%s dépasse la limite de %d", quoted(lang, written), ledger.MaxQuantity)
		}
		return fmt.Sprintf("%s is over the limit of %d", quoted(lang, written), ledger.MaxQuantity)
	}
	if fr {
		return fmt.Sprintf("la quantité %d n'est pas possible ici", value)
	}
	return fmt.Sprintf("a quantity of %d is not possible here", value)
}

func detailForeign(lang string, users []string) string {
	if lang == "fr" {
		return "hors des domaines de l'organisation : " + strings.Join(users, ", ")
	}
	return "not in the organisation's domains: " + strings.Join(users, ", ")
}

func detailTooManyUsers(lang string, n int) string {
	if lang == "fr" {
		return fmt.Sprintf("%d utilisateurs cités, %d au plus par demande", n, ledger.MaxUsersPerOp)
	}
	return fmt.Sprintf("%d users named, at most %d per request", n, ledger.MaxUsersPerOp)
}

// Reasons a request is invalid.
const (
	invBuyOrAssign  = iota // "commander une E3 pour alice@…"
	invNoUser              // "attribuer une E3" to nobody
	invUsersCount          // "3 licences pour alice@…"
	invUsersMapping        // "E3 et E5 à alice@… et bob@…" in an order that pairs nothing
	invNoOperation         // "5 E3" in a sentence that asks for "2 E5 de plus"
	invTooManyOps
	invTooManyIssues
	invTruncated
	invUsersVerb  // "passer alice@… à 40"
	invSwitchSame // "move alice@… from E3 to E3"
)

func detailInvalid(lang string, why int, arg string) string {
	fr := lang == "fr"
	switch why {
	case invBuyOrAssign:
		if fr {
			return "faut-il acheter de nouvelles licences, ou attribuer des licences existantes à ces utilisateurs ?"
		}
		return "should new seats be bought, or existing seats assigned to these users?"
	case invNoUser:
		if fr {
			return "aucune adresse d'utilisateur indiquée"
		}
		return "no user address given"
	case invUsersCount:
		if fr {
			return "le nombre de licences ne correspond pas au nombre d'utilisateurs : " + arg
		}
		return "the number of licences does not match the number of users: " + arg
	case invUsersMapping:
		if fr {
			return "impossible de savoir quel produit va à quel utilisateur"
		}
		return "cannot tell which product goes to which user"
	case invNoOperation:
		if fr {
			return "opération non indiquée pour " + quoted(lang, arg) + " (ajout, retrait ou nouveau total ?)"
		}
		return "no operation given for " + quoted(lang, arg) + " (add, remove or new total?)"
	case invTooManyOps:
		if fr {
			return fmt.Sprintf("plus de %d opérations dans un seul message", ledger.MaxOpsPerReq)
		}
		return fmt.Sprintf("more than %d operations in one message", ledger.MaxOpsPerReq)
	case invTooManyIssues:
		if fr {
			return "trop de passages incompris : le reste du message n'a pas été lu"
		}
		return "too many parts not understood: the rest of the message was not read"
	case invTruncated:
		if fr {
			return fmt.Sprintf("message trop long : seuls les %d premiers Kio ont été lus", maxBody>>10)
		}
		return fmt.Sprintf("message too long: only the first %d KiB were read", maxBody>>10)
	case invSwitchSame:
		if fr {
			return "le produit de départ et celui d'arrivée sont les mêmes"
		}
		return "the products to move from and to are the same"
	case invUsersVerb:
		if fr {
			return "cette opération ne s'applique pas à des utilisateurs"
		}
		return "this operation does not apply to users"
	}
	return ""
}

func detailNoRequest(lang string) string {
	if lang == "fr" {
		return "aucune demande de licence trouvée"
	}
	return "no licence request found"
}

func detailConditional(lang, cond string) string {
	if lang == "fr" {
		if cond != "" {
			return "la demande dépend d'une condition (" + quoted(lang, cond) + ") : rien n'a été fait ; écrivez-nous quand elle sera ferme"
		}
		return "la demande dépend d'une condition : rien n'a été fait ; écrivez-nous quand elle sera ferme"
	}
	if cond != "" {
		return "the request depends on a condition (" + quoted(lang, cond) + "): nothing was done; write again once it is firm"
	}
	return "the request depends on a condition: nothing was done; write again once it is firm"
}

// detailFromTo asks about "from N to M" when N is not the current total,
// and says what the total is.
func detailFromTo(lang, name string, from, to, total int, held, known bool) string {
	if lang == "fr" {
		switch {
		case !known:
			return fmt.Sprintf("« de %d à %d » : nous n'avons pas pu vérifier votre total actuel de %s ; faut-il passer à %d au total ?", from, to, name, to)
		case !held:
			return fmt.Sprintf("« de %d à %d » : vous n'avez pas d'abonnement à %s (0 licence) ; faut-il en prendre %d ?", from, to, name, to)
		}
		change := fmt.Sprintf("en ajouter %d", to-from)
		if to < from {
			change = fmt.Sprintf("en retirer %d", from-to)
		}
		return fmt.Sprintf("« de %d à %d » : vous avez actuellement %d licences %s, pas %d ; faut-il passer à %d au total, ou %s ?",
			from, to, total, name, from, to, change)
	}
	switch {
	case !known:
		return fmt.Sprintf("\"from %d to %d\": we could not check your current total of %s; should it be %d in total?", from, to, name, to)
	case !held:
		return fmt.Sprintf("\"from %d to %d\": you have no subscription to %s (0 licences); should we buy %d?", from, to, name, to)
	}
	change := fmt.Sprintf("should %d be added", to-from)
	if to < from {
		change = fmt.Sprintf("should %d be removed", from-to)
	}
	return fmt.Sprintf("\"from %d to %d\": you currently have %d %s licences, not %d; should the total be %d, or %s?",
		from, to, total, name, from, to, change)
}

// detailSwitchSide asks for the side of a switch the message leaves out.
func detailSwitchSide(lang string, fromMissing bool) string {
	switch {
	case lang == "fr" && fromMissing:
		return "changement de produit : de quel produit les utilisateurs partent-ils ?"
	case lang == "fr":
		return "changement de produit : vers quel produit les utilisateurs passent-ils ?"
	case fromMissing:
		return "a switch of product: which product do the users leave?"
	}
	return "a switch of product: which product do the users move to?"
}
