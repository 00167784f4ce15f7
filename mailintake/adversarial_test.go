package mailintake_test

import (
	"bytes"
	"context"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/licensedesk/licensedesk/ledger"
	"github.com/licensedesk/licensedesk/mailintake"
)

// The crafted messages of testdata/adversarial (see its README), end to end
// through the pipeline against a real redis-server: each must end with the
// safe status and code, and change the ledger only where the message is a
// genuine request (the controls); nothing may panic, and no reply may go to
// a non-address or echo an id that cannot be echoed.
func TestAdversarialMessagesThroughThePipeline(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "adversarial", "*.eml"))
	if err != nil || len(files) < 40 {
		t.Fatalf("adversarial messages: %d, %v", len(files), err)
	}
	type want struct {
		statuses []ledger.Status // any of these
		code     ledger.Code     // the request-level code, when refused
		change   bool            // the ledger may change (a genuine request)
		reply    bool            // a reply is due
	}
	expect := func(name string) want {
		switch {
		case name == "sender-no-from.eml":
			return want{statuses: []ledger.Status{ledger.StatusIgnored}}
		case name == "sender-auth-aligned-pass.eml":
			return want{statuses: []ledger.Status{ledger.StatusApplied, ledger.StatusNeedsClarification}, change: true, reply: true}
		case strings.HasPrefix(name, "sender-auth-"):
			return want{statuses: []ledger.Status{ledger.StatusRefused}, code: ledger.SenderNotAuthenticated, reply: true}
		case strings.HasPrefix(name, "sender-"):
			return want{statuses: []ledger.Status{ledger.StatusRefused}, code: ledger.UnauthorizedSender}
		case strings.HasPrefix(name, "loop-"):
			return want{statuses: []ledger.Status{ledger.StatusIgnored}}
		case strings.HasPrefix(name, "mime-"):
			return want{statuses: []ledger.Status{ledger.StatusApplied, ledger.StatusNeedsClarification}, change: true, reply: true}
		}
		t.Fatalf("%s: no expectation for this class", name)
		return want{}
	}
	desk := newCorpusDesk(t)
	ctx := context.Background()
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			w := expect(name)
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			l := desk.fresh(t)
			before := exportOf(t, l)
			in, err := mailintake.New(mailintake.Config{Desk: deskAddr, DeskName: "Desk",
				TrustedAuthserv: "mx.licensedesk.example", RequireAuthPass: strings.HasPrefix(name, "sender-auth-")}, l, nil)
			if err != nil {
				t.Fatal(err)
			}
			out, err := in.Ingest(ctx, bytes.NewReader(raw), mailintake.Source{}, false)
			if err != nil {
				t.Fatalf("ingest: %v", err)
			}
			ok := false
			for _, s := range w.statuses {
				ok = ok || out.Status == s
			}
			if !ok {
				t.Fatalf("status %s (%s, %+v), want one of %v", out.Status, out.Reason, out.Result.Errors, w.statuses)
			}
			if w.code != "" && (len(out.Result.Errors) == 0 || out.Result.Errors[0].Code != w.code) {
				t.Errorf("errors %+v, want %s", out.Result.Errors, w.code)
			}
			if !w.change && exportOf(t, l) != before {
				t.Error("the ledger changed")
			}
			if (out.Reply != nil) != w.reply {
				t.Fatalf("reply composed: %v, want %v", out.Reply != nil, w.reply)
			}
			if out.Reply == nil {
				return
			}
			m, err := mail.ReadMessage(bytes.NewReader(out.Reply.Raw))
			if err != nil {
				t.Fatalf("the reply does not parse: %v", err)
			}
			to, err := mail.ParseAddress(m.Header.Get("To"))
			if err != nil || to.Address != "it@contoso.com" {
				t.Errorf("reply To %q (%v), want the contact", m.Header.Get("To"), err)
			}
			for _, h := range []string{"In-Reply-To", "References"} {
				for _, id := range strings.Fields(m.Header.Get(h)) {
					if strings.Count(id, "<") != 1 || strings.Count(id, ">") != 1 || !strings.HasPrefix(id, "<") || len(id) > 252 {
						t.Errorf("%s echoes an id that cannot be echoed: %q", h, id)
					}
				}
			}
		})
	}
}

// exportOf is the ledger's whole state as its seed export, to compare.
func exportOf(t *testing.T, l *ledger.Ledger) string {
	t.Helper()
	s, err := l.Export(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := ledger.EncodeSeed(&b, s, true); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
