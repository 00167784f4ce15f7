package decode_test

import (
	"strings"
	"testing"

	"github.com/licensedesk/licensedesk/mailintake/decode"
)

// withFrom is a message whose header starts with the given From fields
// (whole lines, "From: ..." included).
func withFrom(fromLines ...string) string {
	return msg(append(fromLines, "To: licences@desk.example", "Subject: Ajouter 2 licences E3", "", "Merci")...)
}

// SPEC §4.3: the sender is exactly one address in exactly one From field;
// anything else leaves Message.From nil and says why, so that the intake
// refuses it (UnauthorizedSender) and no address is guessed at.
func TestParseGivesASenderOnlyForOneFromFieldWithOneValidAddress(t *testing.T) {
	tests := []struct {
		name    string
		lines   []string
		want    *decode.Address // nil: no sender
		problem string
	}{
		// Exactly one usable address: the sender, display name kept for the greeting.
		{"a name and an address are the sender", []string{`From: "Marie Dupont" <Marie.Dupont@Contoso.FR>`},
			&decode.Address{Name: "Marie Dupont", Email: "marie.dupont@contoso.fr"}, ""},
		{"a bare address is the sender", []string{"From: it@contoso.com"},
			&decode.Address{Email: "it@contoso.com"}, ""},
		{"a quoted local part that is a dot-atom is unquoted", []string{`From: "john.doe"@contoso.com`},
			&decode.Address{Email: "john.doe@contoso.com"}, ""},
		{"an address in a display name is only a name", []string{`From: "it@contoso.com" <x@evil.example>`},
			&decode.Address{Name: "it@contoso.com", Email: "x@evil.example"}, ""},
		{"an encoded word decoding to an address is only a name", []string{"From: =?utf-8?q?it=40contoso.com?= <x@evil.example>"},
			&decode.Address{Name: "it@contoso.com", Email: "x@evil.example"}, ""},
		{"an address in a comment is only a name", []string{"From: x@evil.example (it@contoso.com)"},
			&decode.Address{Name: "it@contoso.com", Email: "x@evil.example"}, ""},
		{"an internationalised domain is kept as A-labels", []string{"From: Éloïse <eloise@café.fr>"},
			&decode.Address{Name: "Éloïse", Email: "eloise@xn--caf-dma.fr"}, ""},
		{"a Japanese domain mixing Han and Katakana is valid", []string{"From: <info@日本語ドメイン.jp>"},
			&decode.Address{Email: "info@xn--eckwd4c7c5976acvb2w6i.jp"}, ""},
		{"a trailing comma leaves one address", []string{"From: <it@contoso.com>,"},
			&decode.Address{Email: "it@contoso.com"}, ""},

		// Several From fields, whatever they hold.
		{"two From fields, the contact first", []string{"From: it@contoso.com", "From: attacker@evil.example"}, nil, decode.FromSeveralFields},
		{"two From fields, the attacker first", []string{"From: attacker@evil.example", "From: it@contoso.com"}, nil, decode.FromSeveralFields},
		{"two From fields, one in obsolete spacing", []string{"From: it@contoso.com", "FROM    : attacker@evil.example"}, nil, decode.FromSeveralFields},
		{"two identical From fields", []string{"From: it@contoso.com", "From: it@contoso.com"}, nil, decode.FromSeveralFields},

		// Several addresses in one From field, however written.
		{"two angle addresses side by side", []string{"From: <attacker@evil.example> <it@contoso.com>"}, nil, decode.FromSeveralAddresses},
		{"a bare address then an angle address", []string{"From: attacker@evil.example <it@contoso.com>"}, nil, decode.FromSeveralAddresses},
		{"an unquoted name holding an address", []string{"From: it@contoso.com <x@evil.example>"}, nil, decode.FromSeveralAddresses},
		{"two addresses separated by a comma", []string{"From: it@contoso.com, boss@fabrikam.com"}, nil, decode.FromSeveralAddresses},
		{"two named addresses separated by a comma", []string{"From: IT <it@contoso.com>, Boss <boss@fabrikam.com>"}, nil, decode.FromSeveralAddresses},
		{"two addresses separated by a blank", []string{"From: it@contoso.com boss@fabrikam.com"}, nil, decode.FromSeveralAddresses},
		{"two addresses separated by a semicolon", []string{"From: it@contoso.com; boss@fabrikam.com"}, nil, decode.FromSeveralAddresses},
		{"a second address on a folded line", []string{"From: <it@contoso.com>", " <attacker@evil.example>"}, nil, decode.FromSeveralAddresses},
		{"a null path beside an address", []string{"From: <> <it@contoso.com>"}, nil, decode.FromSeveralAddresses},
		{"a group of two", []string{"From: Team: it@contoso.com, boss@fabrikam.com;"}, nil, decode.FromSeveralAddresses},

		// No mailbox at all.
		{"a group of one is a list, not a person", []string{"From: Team: it@contoso.com;"}, nil, decode.FromNotAnAddress},
		{"an encoded word alone is not an address", []string{"From: =?utf-8?q?it=40contoso.com?="}, nil, decode.FromNotAnAddress},
		{"an encoded word holding brackets is not an address", []string{"From: =?utf-8?q?=3Cit=40contoso.com=3E?="}, nil, decode.FromNotAnAddress},
		{"a fullwidth at sign is not an at sign", []string{"From: it\uff20contoso.com"}, nil, decode.FromNotAnAddress},
		{"a small at sign is not an at sign", []string{"From: it\ufe6bcontoso.com"}, nil, decode.FromNotAnAddress},
		{"a bare MAILER-DAEMON is not an address", []string{"From: MAILER-DAEMON"}, nil, decode.FromNotAnAddress},
		{"an empty group is not an address", []string{"From: undisclosed-recipients:;"}, nil, decode.FromNotAnAddress},
		{"an empty From is not an address", []string{"From: "}, nil, decode.FromNotAnAddress},
		{"a name alone is not an address", []string{`From: "IT Contoso"`}, nil, decode.FromNotAnAddress},

		// One mailbox, but not one a reply can go to.
		{"a fullwidth at sign inside brackets", []string{"From: <it\uff20contoso.com>"}, nil, decode.FromNoValidAddress},
		{"a fullwidth dot in the domain", []string{"From: it@contoso\uff0ecom"}, nil, decode.FromNoValidAddress},
		{"fullwidth letters in the domain", []string{"From: it@\uff43ontoso.com"}, nil, decode.FromNoValidAddress},
		{"a Greek omicron among Latin letters in the domain", []string{"From: it@c\u03bfntoso.com"}, nil, decode.FromNoValidAddress},
		{"a Cyrillic letter in the local part", []string{"From: \u0456t@contoso.com"}, nil, decode.FromNoValidAddress},
		{"the Kelvin sign in the domain", []string{"From: it@\u212aontoso.com"}, nil, decode.FromNoValidAddress},
		{"a raw 8-bit local part", []string{"From: Fran\xe7ois <fran\xe7ois@contoso.fr>"}, nil, decode.FromNoValidAddress},
		{"an encoded word as the local part", []string{"From: =?utf-8?q?it?=@contoso.com"}, nil, decode.FromNoValidAddress},
		{"an encoded word in brackets with a dotless domain", []string{"From: =?utf-8?q?it=40contoso.com?= <x@evil>"}, nil, decode.FromNoValidAddress},
		{"an encoded word holding an at sign, unencoded", []string{"From: =?utf-8?q?it@contoso.com?="}, nil, decode.FromNoValidAddress},
		{"a blank in a quoted local part", []string{`From: "it contoso"@contoso.com`}, nil, decode.FromNoValidAddress},
		{"a blank inside the brackets", []string{"From: <it contoso@contoso.com>"}, nil, decode.FromNoValidAddress},
		{"an address quoted as the local part", []string{`From: "it@contoso.com"@evil.example`}, nil, decode.FromNoValidAddress},
		{"angle brackets in a quoted local part", []string{`From: "<it>"@contoso.com`}, nil, decode.FromNoValidAddress},
		{"a bracket inside the brackets", []string{"From: <<it@contoso.com>>"}, nil, decode.FromNoValidAddress},
		{"two at signs", []string{"From: it@contoso.com@evil.example"}, nil, decode.FromNoValidAddress},
		{"a missing domain", []string{"From: it@"}, nil, decode.FromNoValidAddress},
		{"a missing domain in brackets", []string{"From: IT <it@>"}, nil, decode.FromNoValidAddress},
		{"a missing local part", []string{"From: @contoso.com"}, nil, decode.FromNoValidAddress},
		{"a dotless domain", []string{"From: it@contoso"}, nil, decode.FromNoValidAddress},
		{"a trailing dot in the domain", []string{"From: it@contoso.com."}, nil, decode.FromNoValidAddress},
		{"an IP address as the domain", []string{"From: it@192.0.2.1"}, nil, decode.FromNoValidAddress},
		{"an address literal as the domain", []string{"From: it@[192.0.2.1]"}, nil, decode.FromNoValidAddress},
		{"a control character in the local part", []string{"From: it\x01@contoso.com"}, nil, decode.FromNoValidAddress},
		{"a local part over 64 bytes", []string{"From: " + strings.Repeat("a", 65) + "@contoso.com"}, nil, decode.FromNoValidAddress},
		{"the null path", []string{"From: <>"}, nil, decode.FromNoValidAddress},

		{"no From field at all", []string{"Sender: it@contoso.com"}, nil, decode.FromMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := parse(t, withFrom(tt.lines...))
			if m.FromProblem != tt.problem {
				t.Errorf("FromProblem = %q, want %q", m.FromProblem, tt.problem)
			}
			switch {
			case tt.want == nil && m.From != nil:
				t.Errorf("From = %+v, want none", m.From)
			case tt.want != nil && (m.From == nil || *m.From != *tt.want):
				t.Errorf("From = %+v, want %+v", m.From, tt.want)
			}
		})
	}
}
