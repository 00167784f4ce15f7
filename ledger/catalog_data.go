package ledger

import "math"

// The built-in catalog (SPEC §2).
//
// String IDs and SKU GUIDs come from Microsoft's "Product names and service
// plan identifiers for licensing" reference
// (learn.microsoft.com/entra/identity/users/licensing-service-plan-reference,
// and the CSV it links to). Each one was checked against that CSV or, for the
// few rows not re-read there, against Microsoft's own published data (Graph
// API reference examples, Partner Center samples, the To Do web app's SKU
// table). Do not add a product whose GUID was not checked the same way.
//
// Beware the historic names: O365_BUSINESS_PREMIUM is Microsoft 365 Business
// *Standard* (once "Office 365 Business Premium"); Business *Premium* is SPB.
//
// Prices are public EUR list prices per seat and month for the annual
// commitment (P1Y); the monthly commitment (P1M) is 20% dearer. They are a
// default only: operators override them in configuration (SPEC §6.1).
//
// Excludes: Microsoft used to refuse two Exchange Online plans on one user
// (MutuallyExclusiveViolation) and has since allowed Plan 1 and Plan 2 to be
// duplicated (Entra docs, "Resolve group license assignment problems"). The
// exclusions below are the desk's policy on top of that: two tiers of the same
// family (Business Basic/Standard/Premium, Office 365 E1/E3/E4/E5,
// Microsoft 365 E3/E5, the standalone Exchange plans) on one user is always a
// mistake and double billing, so the desk refuses it and asks which one.
//
// Add-ons list in RequiresAny every product that satisfies their
// prerequisite, including suites that already contain the add-on's service
// (Office 365 E5 already has Audio Conferencing): redundancy is a sales
// question, not a dependency violation.

// eur returns the monthly seat prices for an annual-commitment price.
func eur(p1y float64) map[string]float64 {
	return map[string]float64{
		TermYear:  p1y,
		TermMonth: math.Round(p1y*1.2*100) / 100,
	}
}

// exchangeBases are the products that give a user an Exchange Online mailbox.
func exchangeBases() []string {
	return []string{
		"EXCHANGESTANDARD", "EXCHANGEENTERPRISE", "EXCHANGEDESKLESS",
		"O365_BUSINESS_ESSENTIALS", "O365_BUSINESS_PREMIUM", "SPB",
		"STANDARDPACK", "ENTERPRISEPACK", "ENTERPRISEWITHSCAL", "ENTERPRISEPREMIUM",
		"SPE_E3", "SPE_E5", "SPE_F1", "DESKLESSPACK",
	}
}

// teamsBases are the products that include Microsoft Teams, the prerequisite
// of Teams Phone and Audio Conferencing.
func teamsBases() []string {
	return []string{
		"O365_BUSINESS_ESSENTIALS", "O365_BUSINESS_PREMIUM", "SPB",
		"STANDARDPACK", "ENTERPRISEPACK", "ENTERPRISEPREMIUM",
		"SPE_E3", "SPE_E5", "SPE_F1", "DESKLESSPACK",
	}
}

// copilotBases are the qualifying base licences of Microsoft 365 Copilot
// (learn.microsoft.com/microsoft-365-copilot/microsoft-365-copilot-licensing).
func copilotBases() []string {
	return []string{
		"O365_BUSINESS_ESSENTIALS", "O365_BUSINESS_PREMIUM", "SPB",
		"O365_BUSINESS", "OFFICESUBSCRIPTION",
		"STANDARDPACK", "ENTERPRISEPACK", "ENTERPRISEPREMIUM",
		"SPE_E3", "SPE_E5", "SPE_F1", "DESKLESSPACK",
		"EXCHANGESTANDARD", "EXCHANGEENTERPRISE", "EXCHANGEDESKLESS",
	}
}

var builtinProducts = []Product{
	// --- Microsoft 365 for business (up to 300 users) ---
	{
		SKU:  "O365_BUSINESS_ESSENTIALS",
		GUID: "3b555118-da6a-4418-894f-7df1e2096870",
		Name: "Microsoft 365 Business Basic",
		Aliases: []string{
			"Business Basic", "M365 Business Basic", "M365 BB",
			"Office 365 Business Essentials", "Business Essentials",
		},
		MonthlyPrice: eur(5.60), Currency: "EUR",
		Excludes: []string{"O365_BUSINESS_PREMIUM", "SPB"},
	},
	{
		// Historic String ID: this is Business STANDARD.
		SKU:  "O365_BUSINESS_PREMIUM",
		GUID: "f245ecc8-75af-4f8e-b61f-27d8114de5f3",
		Name: "Microsoft 365 Business Standard",
		Aliases: []string{
			"Business Standard", "M365 Business Standard",
			// Its name until April 2020; today people mostly mean SPB by it,
			// so it is deliberately ambiguous (see SPB).
			"Office 365 Business Premium",
		},
		MonthlyPrice: eur(11.70), Currency: "EUR",
		Excludes: []string{"O365_BUSINESS_ESSENTIALS", "SPB"},
	},
	{
		SKU:  "SPB",
		GUID: "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46",
		Name: "Microsoft 365 Business Premium",
		Aliases: []string{
			"Business Premium", "M365 Business Premium", "M365 BP", "Microsoft 365 BP",
			"Microsoft 365 Business", // its name until April 2020
			"Office 365 Business Premium",
		},
		MonthlyPrice: eur(20.60), Currency: "EUR",
		Excludes: []string{"O365_BUSINESS_ESSENTIALS", "O365_BUSINESS_PREMIUM"},
	},
	{
		SKU:  "O365_BUSINESS",
		GUID: "cdd28e44-67e3-425e-be4c-737fab2899d3",
		Name: "Microsoft 365 Apps for business",
		Aliases: []string{
			"Apps for business", "M365 Apps for business", "Office 365 Business",
			"Applications Microsoft 365 pour les entreprises",
			"Microsoft 365 Apps pour les entreprises",
			"Microsoft 365 Apps",
		},
		MonthlyPrice: eur(9.80), Currency: "EUR",
	},

	// --- Enterprise suites ---
	{
		SKU:  "OFFICESUBSCRIPTION",
		GUID: "c2273bd0-dff7-4215-9ef5-2c7bcfb06425",
		Name: "Microsoft 365 Apps for enterprise",
		Aliases: []string{
			"Apps for enterprise", "M365 Apps for enterprise",
			"Office 365 ProPlus", "Office 365 Pro Plus", "ProPlus",
			"Applications Microsoft 365 pour les grandes entreprises",
			"Microsoft 365 Apps pour les grandes entreprises",
			"Microsoft 365 Apps",
		},
		MonthlyPrice: eur(13.80), Currency: "EUR",
	},
	{
		SKU:  "STANDARDPACK",
		GUID: "18181a46-0d4e-45cd-891e-60aabd171b4e",
		Name: "Office 365 E1",
		Aliases: []string{
			"E1", "O365 E1", "Office 365 Enterprise E1", "Office 365 Entreprise E1",
			// Customers who write "M365 E1" mean this: the catalog has no other E1.
			"M365 E1", "Microsoft 365 E1",
		},
		MonthlyPrice: eur(9.40), Currency: "EUR",
		Excludes: []string{"ENTERPRISEPACK", "ENTERPRISEWITHSCAL", "ENTERPRISEPREMIUM"},
	},
	{
		// "E3" alone is Office 365 E3, the admin center's historic short name
		// (SPEC's "/licenses assign E3", "retirez 2 licences E3").
		SKU:  "ENTERPRISEPACK",
		GUID: "6fd2c87f-b296-42f0-b197-1e91e994b900",
		Name: "Office 365 E3",
		Aliases: []string{
			"E3", "O365 E3", "Office 365 Enterprise E3", "Office 365 Entreprise E3",
		},
		MonthlyPrice: eur(22.70), Currency: "EUR",
		Excludes: []string{"STANDARDPACK", "ENTERPRISEWITHSCAL", "ENTERPRISEPREMIUM"},
	},
	{
		// Office 365 E4 was withdrawn from sale when E5 launched (December
		// 2015); tenants still carry it, so it stays for display, assignment
		// and costing (at a nominal price), but R-ADD refuses new seats with
		// EndOfSale.
		SKU:  "ENTERPRISEWITHSCAL",
		GUID: "1392051d-0cb9-4b7a-88d5-621fee5e8711",
		Name: "Office 365 E4",
		Aliases: []string{
			"E4", "O365 E4", "Office 365 Enterprise E4", "Office 365 Entreprise E4",
		},
		MonthlyPrice: eur(20.00), Currency: "EUR",
		Excludes:  []string{"STANDARDPACK", "ENTERPRISEPACK", "ENTERPRISEPREMIUM"},
		EndOfSale: true,
	},
	{
		SKU:  "ENTERPRISEPREMIUM",
		GUID: "c7df2760-2c81-4ef7-b578-5b5392b571df",
		Name: "Office 365 E5",
		Aliases: []string{
			"E5", "O365 E5", "Office 365 Enterprise E5", "Office 365 Entreprise E5",
		},
		MonthlyPrice: eur(36.30), Currency: "EUR",
		Excludes: []string{"STANDARDPACK", "ENTERPRISEPACK", "ENTERPRISEWITHSCAL"},
	},
	{
		SKU:  "SPE_E3",
		GUID: "05e9a617-0261-4cee-bb44-138d3ef5d965",
		Name: "Microsoft 365 E3",
		Aliases: []string{
			"M365 E3", "Microsoft 365 Enterprise E3", "Microsoft 365 Entreprise E3",
			"M365 Entreprise E3",
		},
		MonthlyPrice: eur(36.00), Currency: "EUR",
		Excludes: []string{"SPE_E5"},
	},
	{
		SKU:  "SPE_E5",
		GUID: "06ebc4ee-1bb5-47dd-8120-11324bc54e06",
		Name: "Microsoft 365 E5",
		Aliases: []string{
			"M365 E5", "Microsoft 365 Enterprise E5", "Microsoft 365 Entreprise E5",
			"M365 Entreprise E5",
		},
		MonthlyPrice: eur(57.70), Currency: "EUR",
		Excludes: []string{"SPE_E3"},
	},

	// --- Frontline ---
	{
		// Named "Microsoft 365 F1" until 2020, a name now worn by another SKU
		// (M365_F1), so that old name is not an alias.
		SKU:  "SPE_F1",
		GUID: "66b55226-6b4f-492c-910c-a3b7a3c9d993",
		Name: "Microsoft 365 F3",
		Aliases: []string{
			"M365 F3", "Microsoft 365 Frontline F3", "F3",
		},
		MonthlyPrice: eur(7.50), Currency: "EUR",
	},
	{
		SKU:  "DESKLESSPACK",
		GUID: "4b585984-651b-448a-9e53-3b10f069cf7f",
		Name: "Office 365 F3",
		Aliases: []string{
			"O365 F3", "Office 365 F1", "Office 365 K1", "F3",
		},
		MonthlyPrice: eur(3.70), Currency: "EUR",
	},

	// --- Exchange Online standalone ---
	{
		SKU:  "EXCHANGESTANDARD",
		GUID: "4b9405b0-7788-4568-add1-99614e613b69",
		Name: "Exchange Online (Plan 1)",
		Aliases: []string{
			"Exchange Plan 1", "Exchange Online P1", "Exchange P1", "EXO P1", "EXO Plan 1",
		},
		MonthlyPrice: eur(3.70), Currency: "EUR",
		Excludes: []string{"EXCHANGEENTERPRISE", "EXCHANGEDESKLESS"},
	},
	{
		SKU:  "EXCHANGEENTERPRISE",
		GUID: "19ec0d23-8335-4cbd-94ac-6050e30712fa",
		Name: "Exchange Online (Plan 2)",
		Aliases: []string{
			"Exchange Plan 2", "Exchange Online P2", "Exchange P2", "EXO P2", "EXO Plan 2",
		},
		MonthlyPrice: eur(7.50), Currency: "EUR",
		Excludes: []string{"EXCHANGESTANDARD", "EXCHANGEDESKLESS"},
	},
	{
		SKU:  "EXCHANGEDESKLESS",
		GUID: "80b2d799-d2ba-4d2a-8842-fb0d0f3a4b82",
		Name: "Exchange Online Kiosk",
		Aliases: []string{
			"Exchange Kiosk", "EXO Kiosk", "Exchange Online Kiosque", "Exchange Kiosque",
		},
		MonthlyPrice: eur(1.90), Currency: "EUR",
		Excludes: []string{"EXCHANGESTANDARD", "EXCHANGEENTERPRISE"},
	},
	{
		SKU:  "EXCHANGEARCHIVE_ADDON",
		GUID: "ee02fd1b-340e-4a4b-b355-4a514e4c8943",
		Name: "Exchange Online Archiving for Exchange Online",
		Aliases: []string{
			"Exchange Online Archiving", "Exchange Archiving", "EOA",
			"Archivage Exchange Online", "Archivage Exchange",
		},
		MonthlyPrice: eur(2.80), Currency: "EUR",
		RequiresAny: exchangeBases(),
	},

	// --- Teams add-ons ---
	{
		SKU:  "MCOEV",
		GUID: "e43b5b99-8dfb-405f-9987-dc307f34bcbd",
		Name: "Microsoft Teams Phone Standard",
		Aliases: []string{
			"Teams Phone", "Teams Phone Standard", "Microsoft Teams Phone",
			"Phone System", "Microsoft 365 Phone System",
			"Téléphone Teams", "Téléphone Teams Standard",
			"Téléphone Microsoft Teams Standard",
		},
		MonthlyPrice: eur(9.40), Currency: "EUR",
		RequiresAny: teamsBases(),
	},
	{
		SKU:  "MCOMEETADV",
		GUID: "0c266dff-15dd-4b49-8397-2bb16070ed52",
		Name: "Microsoft 365 Audio Conferencing",
		Aliases: []string{
			"Audio Conferencing", "Teams Audio Conferencing",
			"Audioconférence", "Audioconférence Microsoft 365", "Conférence audio",
		},
		MonthlyPrice: eur(3.70), Currency: "EUR",
		RequiresAny: teamsBases(),
	},

	// --- Security, identity and device management ---
	{
		SKU:  "ATP_ENTERPRISE",
		GUID: "4ef96642-f096-40de-a3e9-d83fb2f90211",
		Name: "Microsoft Defender for Office 365 (Plan 1)",
		Aliases: []string{
			"Defender for Office 365 Plan 1", "Defender for Office 365 P1", "MDO P1",
			"Office 365 ATP Plan 1", "ATP P1",
			"Microsoft Defender pour Office 365 (Plan 1)", "Defender pour Office 365 P1",
		},
		MonthlyPrice: eur(1.90), Currency: "EUR",
		// It protects Exchange Online mailboxes.
		RequiresAny: exchangeBases(),
	},
	{
		SKU:  "AAD_PREMIUM",
		GUID: "078d2b04-f1bd-4111-bbd4-b4b1b354cef4",
		Name: "Microsoft Entra ID P1",
		Aliases: []string{
			"Entra ID P1", "Entra P1", "Azure AD Premium P1", "AAD P1",
			"Azure Active Directory Premium P1",
		},
		MonthlyPrice: eur(5.60), Currency: "EUR",
	},
	{
		SKU:  "AAD_PREMIUM_P2",
		GUID: "84a661c4-e949-4bd2-a560-ed7766fcaf2b",
		Name: "Microsoft Entra ID P2",
		Aliases: []string{
			"Entra ID P2", "Entra P2", "Azure AD Premium P2", "AAD P2",
			"Azure Active Directory Premium P2",
		},
		MonthlyPrice: eur(8.40), Currency: "EUR",
	},
	{
		SKU:  "EMS",
		GUID: "efccb6f7-5641-4e0e-bd10-b4976e1bf68e",
		Name: "Enterprise Mobility + Security E3",
		Aliases: []string{
			"EMS E3", "Enterprise Mobility and Security E3",
		},
		MonthlyPrice: eur(9.90), Currency: "EUR",
	},
	{
		SKU:  "INTUNE_A",
		GUID: "061f9ace-7d42-4136-88ac-31dc755f143f",
		Name: "Microsoft Intune Plan 1",
		Aliases: []string{
			"Intune", "Microsoft Intune", "Intune Plan 1", "Intune P1",
		},
		MonthlyPrice: eur(7.50), Currency: "EUR",
	},

	// --- Apps and analytics ---
	{
		SKU:  "POWER_BI_PRO",
		GUID: "f8a1db68-be16-40ed-86d5-cb42ce701560",
		Name: "Power BI Pro",
		Aliases: []string{
			"PBI Pro", "PowerBI Pro",
		},
		MonthlyPrice: eur(13.10), Currency: "EUR",
	},
	{
		SKU:  "VISIOCLIENT",
		GUID: "c5928f49-12ba-48f7-ada3-0d743a3601d5",
		Name: "Visio Plan 2",
		Aliases: []string{
			"Visio P2", "Visio Online Plan 2",
		},
		MonthlyPrice: eur(14.10), Currency: "EUR",
	},
	{
		SKU:  "PROJECTPROFESSIONAL",
		GUID: "53818b1b-4a27-454b-8896-0dba576410e6",
		Name: "Project Plan 3",
		Aliases: []string{
			"Project P3", "Planner and Project Plan 3", "Project Online Professional",
		},
		MonthlyPrice: eur(28.10), Currency: "EUR",
	},
	{
		SKU:  "Microsoft_365_Copilot",
		GUID: "639dec6b-bb19-468b-871c-c5c441c4b0cb",
		Name: "Microsoft 365 Copilot",
		Aliases: []string{
			"Copilot", "M365 Copilot", "Copilot for Microsoft 365", "Copilot M365",
		},
		MonthlyPrice: eur(28.10), Currency: "EUR",
		RequiresAny: copilotBases(),
	},
}
