package ledger

import (
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// builtinCatalog builds the built-in catalog or stops the test.
func builtinCatalog(t *testing.T) *Catalog {
	t.Helper()
	c, err := NewCatalog(builtinProducts)
	if err != nil {
		t.Fatalf("NewCatalog(builtinProducts): %v", err)
	}
	return c
}

func builtinBySKU(t *testing.T) map[string]Product {
	t.Helper()
	m := make(map[string]Product, len(builtinProducts))
	for _, p := range builtinProducts {
		m[p.SKU] = p
	}
	return m
}

func TestBuiltinCatalogBuildsWithAtLeast24Products(t *testing.T) {
	c := builtinCatalog(t)
	if n := len(c.All()); n < 24 {
		t.Fatalf("built-in catalog has %d products, want at least 24", n)
	}
	if n := len(DefaultCatalog().All()); n != len(builtinProducts) {
		t.Fatalf("DefaultCatalog has %d products, builtinProducts %d", n, len(builtinProducts))
	}
}

var lowerUUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestBuiltinProductsHaveValidUniqueIdentifiers(t *testing.T) {
	skus := map[string]bool{}
	guids := map[string]string{}
	for _, p := range builtinProducts {
		if !lowerUUID.MatchString(p.GUID) {
			t.Errorf("%s: GUID %q is not a lower-case UUID", p.SKU, p.GUID)
		}
		if other, dup := guids[p.GUID]; dup {
			t.Errorf("%s and %s share GUID %s", other, p.SKU, p.GUID)
		}
		guids[p.GUID] = p.SKU
		key := strings.ToUpper(p.SKU)
		if skus[key] {
			t.Errorf("SKU %s appears twice", p.SKU)
		}
		skus[key] = true
		if strings.TrimSpace(p.Name) == "" || p.Name == p.SKU {
			t.Errorf("%s has no display name", p.SKU)
		}
		if p.Currency != "EUR" {
			t.Errorf("%s: currency %q, want EUR", p.SKU, p.Currency)
		}
	}
}

// The String IDs and GUIDs of Microsoft's licensing reference. Pinned here so
// that an accidental edit of catalog_data.go cannot go unnoticed.
func TestBuiltinProductsCarryMicrosoftsStringIDsAndGUIDs(t *testing.T) {
	want := []struct{ sku, guid, name string }{
		{"SPB", "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46", "Microsoft 365 Business Premium"},
		{"O365_BUSINESS_PREMIUM", "f245ecc8-75af-4f8e-b61f-27d8114de5f3", "Microsoft 365 Business Standard"},
		{"O365_BUSINESS_ESSENTIALS", "3b555118-da6a-4418-894f-7df1e2096870", "Microsoft 365 Business Basic"},
		{"O365_BUSINESS", "cdd28e44-67e3-425e-be4c-737fab2899d3", "Microsoft 365 Apps for business"},
		{"OFFICESUBSCRIPTION", "c2273bd0-dff7-4215-9ef5-2c7bcfb06425", "Microsoft 365 Apps for enterprise"},
		{"STANDARDPACK", "18181a46-0d4e-45cd-891e-60aabd171b4e", "Office 365 E1"},
		{"ENTERPRISEPACK", "6fd2c87f-b296-42f0-b197-1e91e994b900", "Office 365 E3"},
		{"ENTERPRISEPREMIUM", "c7df2760-2c81-4ef7-b578-5b5392b571df", "Office 365 E5"},
		{"ENTERPRISEWITHSCAL", "1392051d-0cb9-4b7a-88d5-621fee5e8711", "Office 365 E4"},
		{"SPE_E3", "05e9a617-0261-4cee-bb44-138d3ef5d965", "Microsoft 365 E3"},
		{"SPE_E5", "06ebc4ee-1bb5-47dd-8120-11324bc54e06", "Microsoft 365 E5"},
		{"SPE_F1", "66b55226-6b4f-492c-910c-a3b7a3c9d993", "Microsoft 365 F3"},
		{"DESKLESSPACK", "4b585984-651b-448a-9e53-3b10f069cf7f", "Office 365 F3"},
		{"EXCHANGESTANDARD", "4b9405b0-7788-4568-add1-99614e613b69", "Exchange Online (Plan 1)"},
		{"EXCHANGEENTERPRISE", "19ec0d23-8335-4cbd-94ac-6050e30712fa", "Exchange Online (Plan 2)"},
		{"EXCHANGEDESKLESS", "80b2d799-d2ba-4d2a-8842-fb0d0f3a4b82", "Exchange Online Kiosk"},
		{"EXCHANGEARCHIVE_ADDON", "ee02fd1b-340e-4a4b-b355-4a514e4c8943", "Exchange Online Archiving for Exchange Online"},
		{"POWER_BI_PRO", "f8a1db68-be16-40ed-86d5-cb42ce701560", "Power BI Pro"},
		{"VISIOCLIENT", "c5928f49-12ba-48f7-ada3-0d743a3601d5", "Visio Plan 2"},
		{"PROJECTPROFESSIONAL", "53818b1b-4a27-454b-8896-0dba576410e6", "Project Plan 3"},
		{"AAD_PREMIUM", "078d2b04-f1bd-4111-bbd4-b4b1b354cef4", "Microsoft Entra ID P1"},
		{"AAD_PREMIUM_P2", "84a661c4-e949-4bd2-a560-ed7766fcaf2b", "Microsoft Entra ID P2"},
		{"EMS", "efccb6f7-5641-4e0e-bd10-b4976e1bf68e", "Enterprise Mobility + Security E3"},
		{"Microsoft_365_Copilot", "639dec6b-bb19-468b-871c-c5c441c4b0cb", "Microsoft 365 Copilot"},
		{"MCOEV", "e43b5b99-8dfb-405f-9987-dc307f34bcbd", "Microsoft Teams Phone Standard"},
		{"MCOMEETADV", "0c266dff-15dd-4b49-8397-2bb16070ed52", "Microsoft 365 Audio Conferencing"},
		{"ATP_ENTERPRISE", "4ef96642-f096-40de-a3e9-d83fb2f90211", "Microsoft Defender for Office 365 (Plan 1)"},
		{"INTUNE_A", "061f9ace-7d42-4136-88ac-31dc755f143f", "Microsoft Intune Plan 1"},
	}
	c := builtinCatalog(t)
	for _, w := range want {
		t.Run(w.sku, func(t *testing.T) {
			p, ok := c.Get(w.sku)
			if !ok {
				t.Fatalf("catalog has no %s", w.sku)
			}
			if p.SKU != w.sku {
				t.Errorf("SKU spelled %q, want %q", p.SKU, w.sku)
			}
			if p.GUID != w.guid {
				t.Errorf("GUID %s, want %s", p.GUID, w.guid)
			}
			if p.Name != w.name {
				t.Errorf("name %q, want %q", p.Name, w.name)
			}
		})
	}
}

func TestLookupResolvesCustomerPhrasingsToOneProduct(t *testing.T) {
	c := builtinCatalog(t)
	tests := []struct{ name, want string }{
		// The Business confusion: Standard's String ID says "premium".
		{"Business Premium", "SPB"},
		{"business premium", "SPB"},
		{"Microsoft 365 Business Premium", "SPB"},
		{"M365 BP", "SPB"},
		{"Business Premiums", "SPB"},
		{"business standard", "O365_BUSINESS_PREMIUM"},
		{"Microsoft 365 Business Standard", "O365_BUSINESS_PREMIUM"},
		{"O365_BUSINESS_PREMIUM", "O365_BUSINESS_PREMIUM"},
		{"Business Basic", "O365_BUSINESS_ESSENTIALS"},
		{"Office 365 Business Essentials", "O365_BUSINESS_ESSENTIALS"},
		{"Apps for business", "O365_BUSINESS"},
		{"Applications Microsoft 365 pour les entreprises", "O365_BUSINESS"},
		{"apps for enterprise", "OFFICESUBSCRIPTION"},
		{"Office 365 ProPlus", "OFFICESUBSCRIPTION"},
		{"Microsoft 365 Apps pour les grandes entreprises", "OFFICESUBSCRIPTION"},
		// E-numbers: bare ones are Office 365, "M365" ones Microsoft 365.
		{"E1", "STANDARDPACK"},
		{"e3", "ENTERPRISEPACK"},
		{"E3s", "ENTERPRISEPACK"},
		{"E5", "ENTERPRISEPREMIUM"},
		{"O365 E3", "ENTERPRISEPACK"},
		{"Office 365 Entreprise E3", "ENTERPRISEPACK"},
		{"M365 E3", "SPE_E3"},
		{"m365-e3", "SPE_E3"},
		{"Microsoft 365 E3", "SPE_E3"},
		{"Microsoft 365 Entreprise E5", "SPE_E5"},
		{"M365 E5", "SPE_E5"},
		{"M365 F3", "SPE_F1"},
		{"Office 365 F3", "DESKLESSPACK"},
		{"Office 365 E4", "ENTERPRISEWITHSCAL"},
		// Exchange.
		{"Exchange Online Plan 1", "EXCHANGESTANDARD"},
		{"Exchange Online (Plan 1)", "EXCHANGESTANDARD"},
		{"EXCHANGE ONLINE PLAN 1", "EXCHANGESTANDARD"},
		{"  exchange   plan 1 ", "EXCHANGESTANDARD"},
		{"Exchange Online P2", "EXCHANGEENTERPRISE"},
		{"EXO P2", "EXCHANGEENTERPRISE"},
		{"Exchange Online Kiosque", "EXCHANGEDESKLESS"},
		{"Exchange Online Archiving", "EXCHANGEARCHIVE_ADDON"},
		{"archivage exchange online", "EXCHANGEARCHIVE_ADDON"},
		// Teams add-ons, French with and without accents.
		{"Teams Phone", "MCOEV"},
		{"Téléphone Teams", "MCOEV"},
		{"telephone teams", "MCOEV"},
		{"Audioconférence", "MCOMEETADV"},
		{"AUDIOCONFERENCE", "MCOMEETADV"},
		{"Audio Conferencing", "MCOMEETADV"},
		// Security, identity, apps.
		{"Defender for Office 365 P1", "ATP_ENTERPRISE"},
		{"Microsoft Defender pour Office 365 (Plan 1)", "ATP_ENTERPRISE"},
		{"Entra ID P1", "AAD_PREMIUM"},
		{"Azure AD Premium P2", "AAD_PREMIUM_P2"},
		{"EMS E3", "EMS"},
		{"Intune", "INTUNE_A"},
		{"Power BI Pro", "POWER_BI_PRO"},
		{"Visio Plan 2", "VISIOCLIENT"},
		{"Project Plan 3", "PROJECTPROFESSIONAL"},
		{"Copilot", "Microsoft_365_Copilot"},
		{"Microsoft 365 Copilot", "Microsoft_365_Copilot"},
		{"microsoft_365_copilot", "Microsoft_365_Copilot"},
		// By GUID, in either case.
		{"cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46", "SPB"},
		{"F245ECC8-75AF-4F8E-B61F-27D8114DE5F3", "O365_BUSINESS_PREMIUM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.Lookup(tt.name)
			if len(got) != 1 || got[0] != tt.want {
				t.Fatalf("Lookup(%q) = %v, want [%s]", tt.name, got, tt.want)
			}
		})
	}
}

// Lookup takes a product name only: sentences, vague words and products the
// desk does not sell resolve to nothing.
func TestLookupResolvesNothingForNonNames(t *testing.T) {
	c := builtinCatalog(t)
	for _, s := range []string{
		"licences Business Basic",
		"add 5 Business Premium",
		"Business",
		"Premium",
		"Microsoft 365",
		"Office 365",
		"licence",
		"E7",
		"Visio",
		"Power BI",
		"",
		"   ",
		"---",
	} {
		if got := c.Lookup(s); len(got) != 0 {
			t.Errorf("Lookup(%q) = %v, want nothing", s, got)
		}
	}
}

func TestLookupResolvesEverySKUGUIDAndNameToItsOwnProduct(t *testing.T) {
	c := builtinCatalog(t)
	for _, p := range builtinProducts {
		for _, key := range []string{p.SKU, strings.ToLower(p.SKU), p.GUID, strings.ToUpper(p.GUID), p.Name} {
			got := c.Lookup(key)
			if len(got) != 1 || got[0] != p.SKU {
				t.Errorf("Lookup(%q) = %v, want [%s]", key, got, p.SKU)
			}
		}
	}
}

// intendedAmbiguities are the names the catalog deliberately leaves
// ambiguous, so that the desk asks rather than guesses.
var intendedAmbiguities = map[string][]string{
	// Business Standard's name until 2020; today's readers think of SPB.
	"Office 365 Business Premium": {"O365_BUSINESS_PREMIUM", "SPB"},
	// The business and enterprise editions share this family name.
	"Microsoft 365 Apps": {"O365_BUSINESS", "OFFICESUBSCRIPTION"},
	// Frontline F3 exists as a Microsoft 365 and an Office 365 suite.
	"F3": {"DESKLESSPACK", "SPE_F1"},
}

func TestNoNameMapsToTwoProductsUnlessIntended(t *testing.T) {
	owners := map[string][]string{} // normalised name -> SKUs
	for _, p := range builtinProducts {
		names := append([]string{p.SKU, p.GUID, p.Name}, p.Aliases...)
		for _, n := range names {
			k := NormalizeName(n)
			if k == "" {
				t.Errorf("%s: name %q normalises to nothing", p.SKU, n)
				continue
			}
			if !slices.Contains(owners[k], p.SKU) {
				owners[k] = append(owners[k], p.SKU)
			}
		}
	}
	intended := map[string][]string{}
	for n, skus := range intendedAmbiguities {
		intended[NormalizeName(n)] = skus
	}
	for k, skus := range owners {
		if len(skus) < 2 {
			continue
		}
		want, ok := intended[k]
		if !ok {
			t.Errorf("%q is claimed by %v; make it unambiguous or list it in intendedAmbiguities", k, skus)
			continue
		}
		got := slices.Sorted(slices.Values(skus))
		if !slices.Equal(got, want) {
			t.Errorf("%q is claimed by %v, intended %v", k, got, want)
		}
	}
	// Each intended ambiguity must really be one, as Lookup sees it.
	c := builtinCatalog(t)
	for n, want := range intendedAmbiguities {
		got := slices.Sorted(slices.Values(c.Lookup(n)))
		if !slices.Equal(got, want) {
			t.Errorf("Lookup(%q) = %v, want the ambiguity %v", n, got, want)
		}
	}
}

func TestExcludesIsSymmetric(t *testing.T) {
	by := builtinBySKU(t)
	for _, p := range builtinProducts {
		for _, x := range p.Excludes {
			if x == p.SKU {
				t.Errorf("%s excludes itself", p.SKU)
				continue
			}
			if !slices.Contains(by[x].Excludes, p.SKU) {
				t.Errorf("%s excludes %s but %s does not exclude %s", p.SKU, x, x, p.SKU)
			}
		}
	}
}

func TestProductFamiliesExcludeEachOther(t *testing.T) {
	families := map[string][]string{
		"Business tiers":        {"O365_BUSINESS_ESSENTIALS", "O365_BUSINESS_PREMIUM", "SPB"},
		"Office 365 E tiers":    {"STANDARDPACK", "ENTERPRISEPACK", "ENTERPRISEWITHSCAL", "ENTERPRISEPREMIUM"},
		"Microsoft 365 E tiers": {"SPE_E3", "SPE_E5"},
		"Exchange Online plans": {"EXCHANGESTANDARD", "EXCHANGEENTERPRISE", "EXCHANGEDESKLESS"},
	}
	by := builtinBySKU(t)
	for name, members := range families {
		for _, a := range members {
			for _, b := range members {
				if a != b && !slices.Contains(by[a].Excludes, b) {
					t.Errorf("%s: %s does not exclude %s", name, a, b)
				}
			}
		}
	}
	// Across families a user may hold both for a while (migrations).
	if slices.Contains(by["SPE_E3"].Excludes, "ENTERPRISEPACK") {
		t.Errorf("SPE_E3 excludes ENTERPRISEPACK: a user moving from Office 365 E3 to Microsoft 365 E3 holds both for a while")
	}
}

func TestNoProductRequiresWhatItExcludes(t *testing.T) {
	for _, p := range builtinProducts {
		for _, r := range slices.Concat(p.Requires, p.RequiresAny) {
			if r == p.SKU {
				t.Errorf("%s requires itself", p.SKU)
			}
			if slices.Contains(p.Excludes, r) {
				t.Errorf("%s both requires and excludes %s", p.SKU, r)
			}
		}
	}
}

func TestAddOnsRequireOneOfTheirQualifyingBasePlans(t *testing.T) {
	by := builtinBySKU(t)
	tests := []struct {
		addon string
		must  []string // bases that must qualify
		never []string // products that must not qualify
	}{
		{
			addon: "EXCHANGEARCHIVE_ADDON",
			must:  []string{"EXCHANGESTANDARD", "EXCHANGEENTERPRISE", "EXCHANGEDESKLESS", "O365_BUSINESS_ESSENTIALS", "O365_BUSINESS_PREMIUM", "STANDARDPACK", "DESKLESSPACK"},
			never: []string{"O365_BUSINESS", "OFFICESUBSCRIPTION", "POWER_BI_PRO", "AAD_PREMIUM"},
		},
		{
			addon: "Microsoft_365_Copilot",
			must:  []string{"O365_BUSINESS_ESSENTIALS", "O365_BUSINESS_PREMIUM", "SPB", "O365_BUSINESS", "OFFICESUBSCRIPTION", "STANDARDPACK", "ENTERPRISEPACK", "ENTERPRISEPREMIUM", "SPE_E3", "SPE_E5", "SPE_F1", "DESKLESSPACK"},
			never: []string{"POWER_BI_PRO", "EMS", "MCOEV"},
		},
		{
			addon: "MCOEV",
			must:  []string{"O365_BUSINESS_ESSENTIALS", "O365_BUSINESS_PREMIUM", "SPB", "STANDARDPACK", "ENTERPRISEPACK", "SPE_E3", "SPE_F1"},
			never: []string{"EXCHANGESTANDARD", "O365_BUSINESS", "OFFICESUBSCRIPTION"},
		},
		{
			addon: "MCOMEETADV",
			must:  []string{"O365_BUSINESS_ESSENTIALS", "O365_BUSINESS_PREMIUM", "SPB", "STANDARDPACK", "ENTERPRISEPACK", "SPE_E3"},
			never: []string{"EXCHANGESTANDARD", "OFFICESUBSCRIPTION"},
		},
		{
			addon: "ATP_ENTERPRISE",
			must:  []string{"EXCHANGESTANDARD", "SPB", "ENTERPRISEPACK"},
			never: []string{"OFFICESUBSCRIPTION"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.addon, func(t *testing.T) {
			p, ok := by[tt.addon]
			if !ok {
				t.Fatalf("no %s", tt.addon)
			}
			if len(p.Requires) != 0 {
				t.Errorf("Requires = %v: an add-on needs one base plan, not all of them", p.Requires)
			}
			for _, b := range tt.must {
				if !slices.Contains(p.RequiresAny, b) {
					t.Errorf("%s does not accept %s as a base", tt.addon, b)
				}
			}
			for _, b := range tt.never {
				if slices.Contains(p.RequiresAny, b) {
					t.Errorf("%s accepts %s, which does not carry the prerequisite", tt.addon, b)
				}
			}
			// A base must itself be a base: no chains of add-ons.
			for _, b := range p.RequiresAny {
				if len(by[b].RequiresAny)+len(by[b].Requires) > 0 {
					t.Errorf("%s accepts the add-on %s as a base", tt.addon, b)
				}
			}
		})
	}
}

func TestEveryProductHasAPositiveAnnualPriceAndADearerMonthlyOne(t *testing.T) {
	for _, p := range builtinProducts {
		y, m := p.MonthlyPrice[TermYear], p.MonthlyPrice[TermMonth]
		if !(y > 0) || math.IsInf(y, 0) {
			t.Errorf("%s: P1Y price %v, want > 0", p.SKU, y)
		}
		if want := math.Round(y*1.2*100) / 100; m != want {
			t.Errorf("%s: P1M price %v, want %v (P1Y + 20%%)", p.SKU, m, want)
		}
		if len(p.MonthlyPrice) != 2 {
			t.Errorf("%s: prices %v, want exactly P1Y and P1M", p.SKU, p.MonthlyPrice)
		}
	}
}

func TestOnlyRetiredProductsAreEndOfSale(t *testing.T) {
	var eos []string
	for _, p := range builtinProducts {
		if p.EndOfSale {
			eos = append(eos, p.SKU)
		}
	}
	if !slices.Equal(eos, []string{"ENTERPRISEWITHSCAL"}) {
		t.Fatalf("end-of-sale products %v, want [ENTERPRISEWITHSCAL] (Office 365 E4)", eos)
	}
}

func TestOverridesKeepTheBuiltinRelations(t *testing.T) {
	c := builtinCatalog(t)
	o, err := c.WithOverrides([]Product{{SKU: "SPB", MonthlyPrice: map[string]float64{TermYear: 19.5}}})
	if err != nil {
		t.Fatalf("WithOverrides: %v", err)
	}
	p, _ := o.Get("spb")
	if p.Price(TermYear) != 19.5 || p.Price(TermMonth) != 24.72 {
		t.Errorf("SPB prices after override %v, want P1Y 19.5 and the built-in P1M 24.72", p.MonthlyPrice)
	}
	if !slices.Contains(p.Excludes, "O365_BUSINESS_PREMIUM") || p.GUID != "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46" {
		t.Errorf("override lost built-in fields: %+v", *p)
	}
	if got := o.Lookup("Business Premium"); !slices.Equal(got, []string{"SPB"}) {
		t.Errorf("Lookup after override = %v, want [SPB]", got)
	}
}
