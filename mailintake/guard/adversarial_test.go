package guard_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/licensedesk/licensedesk/mailintake/decode"
	"github.com/licensedesk/licensedesk/mailintake/guard"
)

// adversarialDir holds the crafted messages; its README.md says what each
// class attacks.
var adversarialDir = filepath.Join("..", "testdata", "adversarial")

// The desk of the crafted messages.
const (
	advDesk    = "licences@licensedesk.example"
	advTrusted = "mx.licensedesk.example"
)

// adversarialCase is the decision expected for one crafted message. Only
// the fields of its class are read.
type adversarialCase struct {
	// sender-*: the FromProblem; or, for sender-auth-*, the auth verdict.
	fromProblem string
	requirePass bool
	authPass    bool
	// loop-*: the reason Automated gives.
	reason guard.Reason
	// mime-*: the ids kept.
	messageID             string
	inReplyTo, references string // fmt.Sprint of the slices
}

var adversarialCases = map[string]adversarialCase{
	"sender-two-from-contact-first.eml":    {fromProblem: decode.FromSeveralFields},
	"sender-two-from-attacker-first.eml":   {fromProblem: decode.FromSeveralFields},
	"sender-two-angle-addresses.eml":       {fromProblem: decode.FromSeveralAddresses},
	"sender-address-as-display-name.eml":   {fromProblem: decode.FromSeveralAddresses},
	"sender-two-addresses-comma.eml":       {fromProblem: decode.FromSeveralAddresses},
	"sender-group-of-one.eml":              {fromProblem: decode.FromNotAnAddress},
	"sender-encoded-word-address.eml":      {fromProblem: decode.FromNotAnAddress},
	"sender-encoded-word-dotless.eml":      {fromProblem: decode.FromNoValidAddress},
	"sender-encoded-local-part.eml":        {fromProblem: decode.FromNoValidAddress},
	"sender-fullwidth-at.eml":              {fromProblem: decode.FromNotAnAddress},
	"sender-fullwidth-at-bracketed.eml":    {fromProblem: decode.FromNoValidAddress},
	"sender-greek-omicron-domain.eml":      {fromProblem: decode.FromNoValidAddress},
	"sender-fullwidth-dot-domain.eml":      {fromProblem: decode.FromNoValidAddress},
	"sender-cyrillic-local-part.eml":       {fromProblem: decode.FromNoValidAddress},
	"sender-quoted-local-with-space.eml":   {fromProblem: decode.FromNoValidAddress},
	"sender-quoted-address-local-part.eml": {fromProblem: decode.FromNoValidAddress},
	"sender-angle-in-local-part.eml":       {fromProblem: decode.FromNoValidAddress},
	"sender-missing-domain.eml":            {fromProblem: decode.FromNoValidAddress},
	"sender-dotless-domain.eml":            {fromProblem: decode.FromNoValidAddress},
	"sender-no-from.eml":                   {fromProblem: decode.FromMissing},

	"sender-auth-dmarc-pass-other-domain.eml":    {requirePass: true, authPass: false},
	"sender-auth-dkim-pass-other-domain.eml":     {requirePass: true, authPass: false},
	"sender-auth-spf-pass-other-domain.eml":      {requirePass: true, authPass: false},
	"sender-auth-dkim-pass-lookalike-domain.eml": {requirePass: true, authPass: false},
	"sender-auth-dkim-pass-public-suffix.eml":    {requirePass: true, authPass: false},
	"sender-auth-dmarc-fail.eml":                 {requirePass: false, authPass: false},
	"sender-auth-forged-pass-below.eml":          {requirePass: true, authPass: false},
	"sender-auth-forged-other-authserv.eml":      {requirePass: true, authPass: false},
	"sender-auth-aligned-pass.eml":               {requirePass: true, authPass: true},

	"loop-x-autoreply-empty.eml":          {reason: guard.ReasonAutoReplyHeader},
	"loop-x-autoreply-no.eml":             {reason: guard.ReasonAutoReplyHeader},
	"loop-x-autorespond-empty.eml":        {reason: guard.ReasonAutoReplyHeader},
	"loop-report-in-mixed.eml":            {reason: guard.ReasonDeliveryReport},
	"loop-report-two-levels-deep.eml":     {reason: guard.ReasonDeliveryReport},
	"loop-8bit-field-name-folded.eml":     {reason: guard.ReasonAutoSubmitted},
	"loop-utf8-field-name-folded.eml":     {reason: guard.ReasonAutoSubmitted},
	"loop-nul-field-name-folded.eml":      {reason: guard.ReasonAutoSubmitted},
	"loop-no-colon-line-folded.eml":       {reason: guard.ReasonAutoSubmitted},
	"loop-space-in-field-name-folded.eml": {reason: guard.ReasonAutoSubmitted},
	"loop-bare-mailer-daemon.eml":         {reason: guard.ReasonNullSender},

	"mime-message-id-with-space.eml":       {inReplyTo: "[]", references: "[]"},
	"mime-message-id-with-brackets.eml":    {inReplyTo: "[]", references: "[]"},
	"mime-message-id-control-chars.eml":    {inReplyTo: "[]", references: "[]"},
	"mime-message-id-overlong.eml":         {inReplyTo: "[]", references: "[]"},
	"mime-message-id-header-injection.eml": {inReplyTo: "[]", references: "[]"},
	"mime-thread-ids-mixed.eml": {messageID: "mime-thread-ids-mixed@mail.contoso.com",
		inReplyTo: "[good-1@licensedesk.example]", references: "[good-0@x.example good-1@licensedesk.example]"},
}

// TestAdversarialMessagesGetTheSafeDecision runs every crafted message
// through decode.Parse and the guards, as the intake does, and asserts the
// decision its class calls for (README.md in the directory).
func TestAdversarialMessagesGetTheSafeDecision(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(adversarialDir, "*.eml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no crafted messages in %s (%v)", adversarialDir, err)
	}
	seen := map[string]bool{}
	for _, path := range files {
		name := filepath.Base(path)
		seen[name] = true
		t.Run(strings.TrimSuffix(name, ".eml"), func(t *testing.T) {
			tc, ok := adversarialCases[name]
			if !ok {
				t.Fatalf("%s has no expected decision: add a row to adversarialCases", name)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			m, err := decode.Parse(f, decode.DefaultLimits())
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			from := ""
			if m.From != nil {
				from = m.From.Email
			}
			automated, reason := guard.Automated(m.Header, m.ContentType, from, m.HasReport, []string{advDesk})
			switch class, _, _ := strings.Cut(name, "-"); class {
			case "sender":
				checkSender(t, m, tc)
			case "loop":
				if !automated || reason != tc.reason {
					t.Errorf("Automated = %v, %q; want true, %q", automated, reason, tc.reason)
				}
			case "mime":
				if automated {
					t.Errorf("a person's message ignored as %q", reason)
				}
				if m.From == nil {
					t.Errorf("no sender: %s", m.FromProblem)
				}
				if m.MessageID != tc.messageID || fmt.Sprint(m.InReplyTo) != tc.inReplyTo || fmt.Sprint(m.References) != tc.references {
					t.Errorf("MessageID, InReplyTo, References = %q, %q, %q; want %q, %s, %s",
						m.MessageID, m.InReplyTo, m.References, tc.messageID, tc.inReplyTo, tc.references)
				}
			default:
				t.Fatalf("%s: unknown class (mime-, sender- or loop-)", name)
			}
		})
	}
	for name := range adversarialCases {
		if !seen[name] {
			t.Errorf("%s is expected but missing from %s", name, adversarialDir)
		}
	}
}

// checkSender asserts the decision on a sender-* message: no sender and
// the expected FromProblem, or, for sender-auth-*, a valid sender and the
// expected verdict of CheckAuth on the From domain.
func checkSender(t *testing.T, m *decode.Message, tc adversarialCase) {
	t.Helper()
	if tc.fromProblem != "" {
		if m.From != nil || m.FromProblem != tc.fromProblem {
			t.Errorf("From, FromProblem = %+v, %q; want none, %q", m.From, m.FromProblem, tc.fromProblem)
		}
		return
	}
	if m.From == nil {
		t.Fatalf("no sender (%s); the auth cases need one", m.FromProblem)
	}
	_, domain, _ := strings.Cut(m.From.Email, "@")
	v := guard.CheckAuth(m.Header, advTrusted, domain, tc.requirePass)
	if !v.Checked || v.Pass != tc.authPass {
		t.Errorf("CheckAuth(requirePass %v) = %+v; want Checked and Pass %v", tc.requirePass, v, tc.authPass)
	}
}
