package mailintake_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"mime"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/licensedesk/licensedesk/internal/testredis"
	"github.com/licensedesk/licensedesk/ledger"
	"github.com/licensedesk/licensedesk/mailintake"
	"github.com/licensedesk/licensedesk/mailintake/decode"
	"github.com/redis/go-redis/v9"
	"gopkg.in/yaml.v3"
)

// The mail corpus (testdata/corpus): realistic customer messages, each with
// the outcome SPEC §3 and §4 give it on the test desk of
// ../ledger/testdata/seed.yaml (plus the extra tenants of
// testdata/corpus-extra-seed.yaml), as listed in testdata/corpus/expected.yaml.
//
// The held-out corpus (testdata/heldout) is the same kind of messages, kept
// apart so that the reader is never tuned on them: it runs as a second table
// (subtests heldout/<file>) and is scored on its own.

const (
	corpusDir     = "testdata/corpus"
	heldoutDir    = "testdata/heldout"
	seedFile      = "../ledger/testdata/seed.yaml"
	extraSeedFile = "testdata/corpus-extra-seed.yaml"
	deskAddr      = "licences@desk.example"
	minCorpus     = 80
	minHeldout    = 60
	padMarker     = "%%PAD%%"
	trustedMTA    = "mx.desk.example"
)

// corpusNow is the clock of the seed's tests.
var corpusNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// corpusCase is one entry of expected.yaml.
type corpusCase struct {
	File     string     `yaml:"file"`
	Category string     `yaml:"category"`
	MsgLang  string     `yaml:"msg_lang"`
	Status   string     `yaml:"status"`
	Codes    []string   `yaml:"codes"`
	Ops      []corpusOp `yaml:"ops"`
	Reply    bool       `yaml:"reply"`
	Lang     string     `yaml:"lang"`
	// ReplyContains is searched in the reply's text part, ReplyNotContains
	// in both parts.
	ReplyContains        []string `yaml:"reply_contains"`
	ReplyNotContains     []string `yaml:"reply_not_contains"`
	ReplySubjectContains string   `yaml:"reply_subject_contains"`
	// MaxBytes lowers the intake's size bound for this message.
	MaxBytes int64 `yaml:"max_bytes"`
	// PadToBytes grows the message to this size by filling the line
	// holding padMarker with base64, so no 10 MiB file is committed.
	PadToBytes int    `yaml:"pad_to_bytes"`
	KnownBug   string `yaml:"known_bug"`
	KnownGap   string `yaml:"known_gap"`
	Why        string `yaml:"why"`

	// dir is the directory the case was loaded from (corpusDir when empty).
	dir string
}

// corpusOp is an operation as the ledger reports it.
type corpusOp struct {
	Op       string   `yaml:"op"`
	SKU      string   `yaml:"sku"`
	Quantity int      `yaml:"quantity"`
	Users    []string `yaml:"users"`
}

func (o corpusOp) String() string {
	s := fmt.Sprintf("%s %s", o.Op, o.SKU)
	if o.Quantity != 0 {
		s += fmt.Sprintf(" ×%d", o.Quantity)
	}
	if len(o.Users) > 0 {
		s += " " + strings.Join(o.Users, ",")
	}
	return s
}

var statuses = []string{
	string(ledger.StatusApplied), string(ledger.StatusPartiallyApplied), string(ledger.StatusRefused),
	string(ledger.StatusPendingApproval), string(ledger.StatusNeedsClarification), string(ledger.StatusIgnored),
	string(ledger.StatusDuplicate), string(ledger.StatusAnswered),
}

func loadCorpus(t *testing.T) []corpusCase {
	t.Helper()
	return loadCorpusDir(t, corpusDir, minCorpus)
}

// loadCorpusDir reads dir/expected.yaml and checks that it lists every .eml
// file of dir once, with at least minCases cases.
func loadCorpusDir(t *testing.T, dir string, minCases int) []corpusCase {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "expected.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	var cases []corpusCase
	if err := dec.Decode(&cases); err != nil {
		t.Fatalf("%s/expected.yaml: %v", dir, err)
	}
	if len(cases) < minCases {
		t.Fatalf("%s/expected.yaml has %d cases, want at least %d", dir, len(cases), minCases)
	}
	emls, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for i := range cases {
		cases[i].dir = dir
	}
	for _, c := range cases {
		switch {
		case listed[c.File]:
			t.Errorf("expected.yaml: %s is listed twice", c.File)
		case !slices.Contains(statuses, c.Status):
			t.Errorf("expected.yaml: %s: unknown status %q", c.File, c.Status)
		case c.Reply && c.Lang != "fr" && c.Lang != "en":
			t.Errorf("expected.yaml: %s: a reply needs lang fr or en", c.File)
		case !c.Reply && (len(c.ReplyContains) > 0 || c.Lang != ""):
			t.Errorf("expected.yaml: %s: reply expectations without a reply", c.File)
		case c.Why == "":
			t.Errorf("expected.yaml: %s: say why", c.File)
		}
		listed[c.File] = true
	}
	for _, p := range emls {
		if !listed[filepath.Base(p)] {
			t.Errorf("%s has no entry in expected.yaml", p)
		}
	}
	if len(emls) != len(cases) {
		t.Errorf("%s: %d .eml files for %d entries", dir, len(emls), len(cases))
	}
	return cases
}

// corpusDesk is a ledger on a throw-away redis-server, re-seeded for each
// message so that every message runs alone.
type corpusDesk struct {
	rdb  *redis.Client
	seed []byte
	// extra is testdata/corpus-extra-seed.yaml: more tenants, imported after
	// seed (which other tests count on, so it stays as it is).
	extra []byte
}

func newCorpusDesk(t *testing.T) *corpusDesk {
	t.Helper()
	seed, err := os.ReadFile(seedFile)
	if err != nil {
		t.Fatal(err)
	}
	extra, err := os.ReadFile(extraSeedFile)
	if err != nil {
		t.Fatal(err)
	}
	return &corpusDesk{rdb: testredis.Start(t).Client(t), seed: seed, extra: extra}
}

// fresh empties Redis (ledger, idempotency keys, reply limits) and imports
// the seed, then the extra seed, again.
func (d *corpusDesk) fresh(t *testing.T) *ledger.Ledger {
	t.Helper()
	ctx := context.Background()
	if err := d.rdb.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	l := ledger.New(d.rdb, nil, ledger.NewManualClock(corpusNow), nil)
	for _, f := range []struct {
		name string
		data []byte
	}{{seedFile, d.seed}, {extraSeedFile, d.extra}} {
		if f.data == nil {
			continue
		}
		s, err := ledger.ParseSeed(bytes.NewReader(f.data), l.Catalog())
		if err != nil {
			t.Fatalf("seed %s: %v", f.name, err)
		}
		if err := l.Import(ctx, s); err != nil {
			t.Fatalf("import %s: %v", f.name, err)
		}
	}
	return l
}

func newIntake(t *testing.T, l *ledger.Ledger, maxBytes int64) *mailintake.Intake {
	t.Helper()
	in, err := mailintake.New(mailintake.Config{Desk: deskAddr, DeskName: "Desk", TrustedAuthserv: trustedMTA,
		Limits: decode.Limits{MaxBytes: maxBytes}}, l, nil)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func readMessage(t *testing.T, c corpusCase) []byte {
	t.Helper()
	dir := c.dir
	if dir == "" {
		dir = corpusDir
	}
	raw, err := os.ReadFile(filepath.Join(dir, c.File))
	if err != nil {
		t.Fatal(err)
	}
	if c.PadToBytes > 0 {
		raw = pad(t, raw, c.PadToBytes)
	}
	return raw
}

// pad replaces the line holding padMarker with base64 lines until the
// message is size bytes long or a little more.
func pad(t *testing.T, raw []byte, size int) []byte {
	t.Helper()
	i := bytes.Index(raw, []byte(padMarker))
	if i < 0 {
		t.Fatalf("pad_to_bytes without a %s line", padMarker)
	}
	eol := "\n"
	if bytes.Contains(raw, []byte("\r\n")) {
		eol = "\r\n"
	}
	line := strings.Repeat("TGljZW5zZURlc2sK", 5)[:76] + eol
	var b bytes.Buffer
	b.Grow(size + len(line))
	b.Write(raw[:i])
	rest := raw[i+len(padMarker):]
	rest = bytes.TrimPrefix(rest, []byte(eol))
	for b.Len()+len(rest) < size {
		b.WriteString(line)
	}
	b.Write(rest)
	return b.Bytes()
}

func export(t *testing.T, l *ledger.Ledger) string {
	t.Helper()
	s, err := l.Export(context.Background())
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	var b bytes.Buffer
	if err := ledger.EncodeSeed(&b, s, true); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func mustCheck(t *testing.T, l *ledger.Ledger) {
	t.Helper()
	problems, err := l.Check(context.Background())
	if err != nil {
		t.Fatalf("ledger check: %v", err)
	}
	for _, p := range problems {
		t.Errorf("ledger check: %s: %s", p.Tenant, p.What)
	}
}

// firstDiff shows where two exports part, for a readable failure.
func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d: %q → %q", i+1, strings.TrimSpace(la[i]), strings.TrimSpace(lb[i]))
		}
	}
	return fmt.Sprintf("%d lines → %d lines", len(la), len(lb))
}

func TestCorpus(t *testing.T) {
	cases := loadCorpus(t)
	heldout := loadCorpusDir(t, heldoutDir, minHeldout)
	desk := newCorpusDesk(t)
	ctx := context.Background()

	scores := &corpusScores
	scores.reset()
	for _, c := range cases {
		t.Run(strings.TrimSuffix(c.File, ".eml"), func(t *testing.T) {
			runCorpusCase(t, desk, c, scores.set("corpus"))
		})
	}
	// The held-out set: the same checks, scored apart.
	t.Run("heldout", func(t *testing.T) {
		for _, c := range heldout {
			t.Run(strings.TrimSuffix(c.File, ".eml"), func(t *testing.T) {
				runCorpusCase(t, desk, c, scores.set("heldout"))
			})
		}
	})

	// R-IDEMPOTENT: the same message twice (an IMAP re-delivery, a crash
	// before the move to Processed) changes the ledger once and is answered
	// once.
	for _, file := range []string{
		"001-fr-outlook-add-business-standard.eml",
		"002-en-gmail-add-business-premium-french-tenant.eml",
		"042-fr-attribuer-e3-a-dave.eml",
		"062-fr-outlook-top-post-over-older-request.eml",
		"082-fr-nested-multipart-with-pdf.eml",
		"112-en-no-message-id.eml",
	} {
		t.Run("twice/"+strings.TrimSuffix(file, ".eml"), func(t *testing.T) {
			c := findCase(t, cases, file)
			if c.Status != string(ledger.StatusApplied) {
				t.Fatalf("%s is %s, want an applied case", file, c.Status)
			}
			raw := readMessage(t, c)
			l := desk.fresh(t)
			in := newIntake(t, l, c.MaxBytes)
			seeded := export(t, l)

			first, err := in.Ingest(ctx, bytes.NewReader(raw), mailintake.Source{}, false)
			if err != nil {
				t.Fatal(err)
			}
			if first.Status != ledger.StatusApplied || first.Reply == nil {
				t.Fatalf("first ingest: %s, reply %v", first.Status, first.Reply != nil)
			}
			once := export(t, l)
			if once == seeded {
				t.Fatal("the first ingest changed nothing")
			}
			second, err := in.Ingest(ctx, bytes.NewReader(raw), mailintake.Source{}, false)
			if err != nil {
				t.Fatal(err)
			}
			if second.Status != ledger.StatusDuplicate {
				t.Errorf("second ingest: %s, want duplicate", second.Status)
			}
			if second.RequestID != first.RequestID {
				t.Errorf("second ingest names %s, want the first request %s", second.RequestID, first.RequestID)
			}
			if second.Reply != nil {
				t.Error("a duplicate was answered again")
			}
			if twice := export(t, l); twice != once {
				t.Errorf("the second ingest changed the ledger: %s", firstDiff(once, twice))
			}
			mustCheck(t, l)
		})
	}

	// A stranger is answered once too, though nothing is recorded for them.
	t.Run("twice/084-fr-unknown-sender", func(t *testing.T) {
		c := findCase(t, cases, "084-fr-unknown-sender.eml")
		raw := readMessage(t, c)
		l := desk.fresh(t)
		in := newIntake(t, l, 0)
		first, err := in.Ingest(ctx, bytes.NewReader(raw), mailintake.Source{}, false)
		if err != nil {
			t.Fatal(err)
		}
		second, err := in.Ingest(ctx, bytes.NewReader(raw), mailintake.Source{}, false)
		if err != nil {
			t.Fatal(err)
		}
		if first.Reply == nil || second.Reply != nil || second.Status != ledger.StatusDuplicate {
			t.Errorf("first reply %v, second %s with reply %v: want one reply, then duplicate",
				first.Reply != nil, second.Status, second.Reply != nil)
		}
	})

	// SPEC §4.6: the customer's answer to a real confirmation (In-Reply-To
	// our reply's Message-ID) continues its conversation: a thank-you is
	// attached and not answered; a new request is processed as one, answered
	// in the same thread, and knows what it continues.
	t.Run("answers-to-a-real-confirmation", func(t *testing.T) {
		c := findCase(t, cases, "042-fr-attribuer-e3-a-dave.eml")
		l := desk.fresh(t)
		in := newIntake(t, l, 0)
		first, err := in.Ingest(ctx, bytes.NewReader(readMessage(t, c)), mailintake.Source{}, false)
		if err != nil {
			t.Fatal(err)
		}
		if first.Reply == nil || first.RequestID == "" {
			t.Fatalf("no confirmation to answer: %s", first.Status)
		}
		answer := func(id, body string) string {
			return fmt.Sprintf("From: Jean Dupont <it@contoso.com>\r\nTo: %s\r\nSubject: RE: Attribution E3\r\n"+
				"Date: Fri, 20 Nov 2026 11:30:00 +0000\r\nMessage-ID: <%s@contoso.com>\r\n"+
				"In-Reply-To: <%s>\r\nReferences: <%s>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n",
				deskAddr, id, first.Reply.MessageID, first.Reply.MessageID, body)
		}
		before := export(t, l)
		thanks, err := in.Ingest(ctx, strings.NewReader(answer("thanks-1", "Merci beaucoup, c'est parfait !")), mailintake.Source{}, false)
		if err != nil {
			t.Fatal(err)
		}
		if thanks.Status != ledger.StatusIgnored || thanks.Reply != nil || !strings.Contains(thanks.Reason, first.RequestID) {
			t.Errorf("thank-you: %s (%s), reply %v; want ignored, attached to %s, no reply", thanks.Status, thanks.Reason, thanks.Reply != nil, first.RequestID)
		}
		if after := export(t, l); after != before {
			t.Errorf("a thank-you changed the ledger: %s", firstDiff(before, after))
		}
		more, err := in.Ingest(ctx, strings.NewReader(answer("more-1", "Merci ! Ajoutez aussi 2 licences Office 365 E3 s'il vous plaît.")), mailintake.Source{}, false)
		if err != nil {
			t.Fatal(err)
		}
		if more.Status != ledger.StatusApplied || more.Reply == nil || len(more.Result.Ops) != 1 || more.Result.Ops[0].Quantity != 2 {
			t.Fatalf("a new request in an answer: %s %+v", more.Status, more.Result.Ops)
		}
		if more.Reply.InReplyTo != "more-1@contoso.com" || !strings.Contains(more.Reply.Subject, "["+more.RequestID+"]") || strings.Contains(more.Reply.Subject, first.RequestID) {
			t.Errorf("reply threading: In-Reply-To %q, subject %q", more.Reply.InReplyTo, more.Reply.Subject)
		}
		hist, err := l.History(ctx, "contoso", 5)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, rec := range hist {
			if rec.Request != nil && rec.Request.ID == more.RequestID {
				found = rec.Request.Continues == first.RequestID && len(rec.Request.Thread) == 1
			}
		}
		if !found {
			t.Errorf("the new request does not record that it continues %s", first.RequestID)
		}
		mustCheck(t, l)
	})
}

// runCorpusCase runs one message alone on a fresh desk and checks its
// outcome; the result is recorded in set for the score.
func runCorpusCase(t *testing.T, desk *corpusDesk, c corpusCase, set *corpusSetScore) {
	ctx := context.Background()
	var dangerous []corpusOp
	defer func() {
		set.record(c, t.Skipped(), t.Failed(), dangerous)
	}()
	skipKnown(t, c)
	raw := readMessage(t, c)
	l := desk.fresh(t)
	in := newIntake(t, l, c.MaxBytes)
	before := export(t, l)

	out, err := in.Ingest(ctx, bytes.NewReader(raw), mailintake.Source{}, false)
	if err != nil {
		t.Fatalf("ingest: %v", err)
	}
	dangerous = unexpectedEffects(out.Result, c.Status, c.Ops)
	t.Logf("why: %s", c.Why)
	if len(dangerous) > 0 {
		t.Errorf("DANGEROUS: applied or queued %v, which the message does not ask for", dangerous)
	}
	if string(out.Status) != c.Status {
		t.Errorf("status %s, want %s (errors %v, reason %q)", out.Status, c.Status, out.Result.Errors, out.Reason)
	}
	if got := errorCodes(out.Result); !slices.Equal(got, sorted(c.Codes)) {
		t.Errorf("codes %v, want %v", got, sorted(c.Codes))
	}
	if got := opsOf(out.Result); !equalOps(got, c.Ops) {
		t.Errorf("ops %v, want %v", got, c.Ops)
	}
	checkReply(t, c, raw, out)

	mustCheck(t, l)
	if c.Status != string(ledger.StatusApplied) && c.Status != string(ledger.StatusPartiallyApplied) {
		// Only applied requests change the ledger (R-ATOMIC, R-APPROVAL).
		if after := export(t, l); after != before {
			t.Errorf("a %s message changed the ledger: %s", out.Status, firstDiff(before, after))
		}
	}
}

// runKnown, when set, runs the known_bug and known_gap cases too, to see
// whether a fix made them pass.
const runKnown = "LICENSEDESK_CORPUS_KNOWN"

func skipKnown(t *testing.T, c corpusCase) {
	t.Helper()
	if os.Getenv(runKnown) != "" {
		return
	}
	if c.KnownBug != "" {
		t.Skip("known pipeline bug: " + c.KnownBug)
	}
	if c.KnownGap != "" {
		t.Skip("known reader gap: " + c.KnownGap)
	}
}

func findCase(t *testing.T, cases []corpusCase, file string) corpusCase {
	t.Helper()
	for _, c := range cases {
		if c.File == file {
			skipKnown(t, c)
			return c
		}
	}
	t.Fatalf("no case %s", file)
	return corpusCase{}
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return slices.Compact(out)
}

// errorCodes are the request's error codes, sorted and without repeats.
func errorCodes(r ledger.Result) []string {
	var out []string
	for _, e := range r.Errors {
		out = append(out, string(e.Code))
	}
	return sorted(out)
}

func opsOf(r ledger.Result) []corpusOp {
	var out []corpusOp
	for _, o := range r.Ops {
		out = append(out, corpusOp{Op: string(o.Op), SKU: o.SKU, Quantity: o.Quantity, Users: o.Users})
	}
	return out
}

func equalOps(a, b []corpusOp) bool {
	return slices.EqualFunc(a, b, func(x, y corpusOp) bool {
		return x.Op == y.Op && x.SKU == y.SKU && x.Quantity == y.Quantity && slices.Equal(x.Users, y.Users)
	})
}

// checkReply asserts SPEC §4.5 on the composed reply: to the sender (From,
// never Reply-To), "Re: <subject> [LD-…]", threaded, marked auto-replied, in
// the expected language, saying what the case expects.
func checkReply(t *testing.T, c corpusCase, raw []byte, out mailintake.Outcome) {
	t.Helper()
	if (out.Reply != nil) != c.Reply {
		t.Fatalf("reply composed: %v, want %v", out.Reply != nil, c.Reply)
	}
	if out.Reply == nil {
		return
	}
	h, subject := checkReplyBasics(t, out, c.Lang, c.ReplyContains, c.ReplyNotContains)
	if c.ReplySubjectContains != "" && !strings.Contains(subject, c.ReplySubjectContains) {
		t.Errorf("reply subject %q lacks %q", subject, c.ReplySubjectContains)
	}

	orig := originalHeader(raw)
	if id := orig.Get("Message-Id"); id != "" {
		if got := strings.TrimSpace(h.Get("In-Reply-To")); got != strings.TrimSpace(id) {
			t.Errorf("reply In-Reply-To %q, want %q", got, id)
		}
		if refs := h.Get("References"); !strings.Contains(refs, strings.TrimSpace(id)) {
			t.Errorf("reply References %q lack %q", refs, id)
		}
	} else if got := h.Get("In-Reply-To"); got != "" {
		t.Errorf("reply In-Reply-To %q to a message without Message-ID", got)
	}
	if from, err := mail.ParseAddress(orig.Get("From")); err != nil {
		t.Errorf("original From %q: %v", orig.Get("From"), err)
	} else if to, err := mail.ParseAddress(h.Get("To")); err != nil || !strings.EqualFold(to.Address, from.Address) {
		t.Errorf("reply To %q, want the sender %s", h.Get("To"), from.Address)
	}
}

// checkReplyBasics checks what every reply is (SPEC §4.5), whatever it
// answers: a message in lang, marked auto-replied, multipart/alternative,
// "Re: …" with the tag of the request recorded (and none when none was),
// saying what it must and not what it must not. It returns the reply's
// header and decoded subject for the caller's own checks.
func checkReplyBasics(t testing.TB, out mailintake.Outcome, lang string, contains, notContains []string) (mail.Header, string) {
	t.Helper()
	r := out.Reply
	t.Logf("reply %q:\n%s", r.Subject, r.Text)
	m, err := mail.ReadMessage(bytes.NewReader(r.Raw))
	if err != nil {
		t.Fatalf("reply is not a message: %v", err)
	}
	h := m.Header
	if got := h.Get("Content-Language"); got != lang {
		t.Errorf("reply language %q, want %q", got, lang)
	}
	if got := h.Get("Auto-Submitted"); got != "auto-replied" {
		t.Errorf("reply Auto-Submitted %q, want auto-replied", got)
	}
	if !strings.HasPrefix(h.Get("Content-Type"), "multipart/alternative") {
		t.Errorf("reply Content-Type %q, want multipart/alternative", h.Get("Content-Type"))
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil {
		t.Errorf("reply subject %q: %v", h.Get("Subject"), err)
	}
	if !strings.HasPrefix(subject, "Re: ") {
		t.Errorf("reply subject %q does not start with Re: ", subject)
	}
	if out.RequestID != "" && !strings.Contains(subject, "["+out.RequestID+"]") {
		t.Errorf("reply subject %q lacks [%s]", subject, out.RequestID)
	}
	if out.RequestID == "" && strings.Contains(subject, "[LD-") {
		t.Errorf("reply subject %q names a request though none was recorded", subject)
	}
	// French typography puts no-break spaces before ':' and inside « »:
	// the expectations are written with plain spaces.
	text, html := plainSpaces.Replace(r.Text), plainSpaces.Replace(r.HTML)
	for _, s := range contains {
		if !strings.Contains(text, plainSpaces.Replace(s)) {
			t.Errorf("reply lacks %q:\n%s", s, r.Text)
		}
	}
	for _, s := range notContains {
		if s = plainSpaces.Replace(s); strings.Contains(text, s) || strings.Contains(html, s) {
			t.Errorf("reply must not say %q:\n%s", s, r.Text)
		}
	}
	if lang == "fr" && !strings.Contains(r.Text, "Cordialement") || lang == "en" && !strings.Contains(r.Text, "Kind regards") {
		t.Errorf("reply text is not in %s:\n%s", lang, r.Text)
	}
	return h, subject
}

var plainSpaces = strings.NewReplacer("\u00a0", " ", "\u202f", " ")

// originalHeader reads the header of a corpus message the way a lenient
// reader would: up to the first empty line or the first line that is not a
// field, so that broken messages still name their sender.
func originalHeader(raw []byte) mail.Header {
	var head bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			break
		}
		if line[0] != ' ' && line[0] != '\t' && !strings.Contains(line, ":") {
			break
		}
		head.WriteString(line + "\r\n")
	}
	head.WriteString("\r\n")
	m, err := mail.ReadMessage(&head)
	if err != nil {
		return mail.Header{}
	}
	return m.Header
}
