package guard

import (
	"bufio"
	"bytes"
	"encoding/json"
	"github.com/licensedesk/licensedesk/internal/corpora"
	"mime"
	"net/mail"
	"net/textproto"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// corpusOwnAddress is the desk address used against the corpus; no corpus
// message comes from it.
const corpusOwnAddress = "licences@desk.example"

// corpusMessage is what Automated needs from one corpus file.
type corpusMessage struct {
	header      textproto.MIMEHeader
	contentType string
	from        string
}

// readCorpusMessage parses a file's header with net/mail, after dropping
// the mbox "From " envelope line some files start with. The From address and
// the media type fall back to a lenient reading when the strict parse fails,
// as the intake's go-message decoding would still produce them.
func readCorpusMessage(path string) (corpusMessage, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return corpusMessage{}, err
	}
	for bytes.HasPrefix(raw, []byte("From ")) {
		nl := bytes.IndexByte(raw, '\n')
		if nl < 0 {
			break
		}
		raw = raw[nl+1:]
	}
	msg, err := mail.ReadMessage(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return corpusMessage{}, err
	}
	h := textproto.MIMEHeader(msg.Header)
	m := corpusMessage{header: h}
	if addr, err := mail.ParseAddress(h.Get("From")); err == nil {
		m.from = strings.ToLower(addr.Address)
	} else {
		m.from = lenientAddress(h.Get("From"))
	}
	if mt, _, err := mime.ParseMediaType(h.Get("Content-Type")); err == nil {
		m.contentType = mt
	} else {
		m.contentType = keyword(h.Get("Content-Type"))
	}
	return m, nil
}

// lenientAddress takes the <…> part of a From value, or its first word with
// an @, or the whole value ("MAILER-DAEMON (Mail Delivery Subsystem)").
func lenientAddress(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.LastIndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			return strings.ToLower(strings.TrimSpace(v[i+1 : i+j]))
		}
	}
	for _, w := range strings.Fields(stripComments(v)) {
		if strings.Contains(w, "@") {
			return strings.ToLower(strings.Trim(w, `<>"`))
		}
	}
	return strings.ToLower(strings.TrimSpace(stripComments(v)))
}

type corpusLabels struct {
	automated map[string]bool // path → must be ignored
}

// loadCorpusLabels collects the labels of 4_autoreply_bounce: every
// automated_do_not_reply in an expected.json, every sisimai maildir/bsd file
// (all machine-generated per its notes), the sisimai maildir/not files as
// its notes describe them, flanker's signed human mail (is_bounce false),
// and the two DSNs that have no expected.json (nodemailer, CPython msg_16).
// Talon's standard_replies (1_reply_parsing), real replies written in 13
// mail clients, are added as human controls.
func loadCorpusLabels(t *testing.T, corpora string) corpusLabels {
	t.Helper()
	base := filepath.Join(corpora, "4_autoreply_bounce")
	l := corpusLabels{automated: map[string]bool{}}
	set := func(path string, automated bool) {
		path = filepath.Clean(path)
		if prev, ok := l.automated[path]; ok && prev != automated {
			t.Fatalf("conflicting labels for %s", path)
		}
		l.automated[path] = automated
	}

	expected, err := filepath.Glob(filepath.Join(base, "*", "expected.json"))
	if err != nil || len(expected) == 0 {
		t.Fatalf("no expected.json under %s (%v)", base, err)
	}
	for _, e := range expected {
		var doc struct {
			Cases []struct {
				Fixture   string `json:"fixture"`
				File      string `json:"file"`
				Automated *bool  `json:"automated_do_not_reply"`
				IsBounce  *bool  `json:"is_bounce"`
			} `json:"cases"`
		}
		data, err := os.ReadFile(e)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", e, err)
		}
		dir := filepath.Dir(e)
		for _, c := range doc.Cases {
			name := c.Fixture
			if name == "" {
				name = c.File
			}
			switch {
			case c.Automated != nil:
				set(filepath.Join(dir, name), *c.Automated)
			case c.IsBounce != nil && *c.IsBounce && strings.HasPrefix(name, "bounce/"):
				set(filepath.Join(dir, name), true) // flanker bounces
			case c.IsBounce != nil && !*c.IsBounce && strings.HasSuffix(name, "signed.eml"):
				set(filepath.Join(dir, name), false) // flanker: "a signed normal mail"
			}
		}
	}

	sisimai := filepath.Join(base, "sisimai-set-of-emails", "maildir")
	bsd, err := filepath.Glob(filepath.Join(sisimai, "bsd", "*"))
	if err != nil || len(bsd) == 0 {
		t.Fatalf("no sisimai maildir/bsd files (%v)", err)
	}
	for _, f := range bsd {
		set(f, true)
	}
	set(filepath.Join(sisimai, "not", "is-not-bounce-01.eml"), false)
	set(filepath.Join(sisimai, "not", "is-not-bounce-02.eml"), false)
	set(filepath.Join(sisimai, "not", "rb-issue-368-bug.eml"), true)
	set(filepath.Join(base, "nodemailer-mailparser", "delivery-status.eml"), true)
	set(filepath.Join(base, "python-cpython-email", "msg_16.txt"), true)

	talon, _ := filepath.Glob(filepath.Join(corpora, "1_reply_parsing", "mailgun-talon", "fixtures", "standard_replies", "*.eml"))
	for _, f := range talon {
		set(f, false)
	}
	return l
}

// knownMisses are machine-labelled corpus files that a header-only loop guard
// cannot or should not ignore.
var knownMisses = map[string]string{
	// Plain spam kept in the BounceParser corpus: Outlook Express headers, a
	// real-looking sender, no report, no automation marker. Only a content
	// filter tells them from a customer's mail, and they cannot loop with us
	// (the address is fake or the spammer ignores replies).
	"4_autoreply_bounce/rjbs-Mail-DeliveryStatus-BounceParser/corpus/spam-bogus-email-in-report.msg":   "plain spam",
	"4_autoreply_bounce/rjbs-Mail-DeliveryStatus-BounceParser/corpus/spam-lots-of-bogus-addresses.msg": "plain spam",
	"4_autoreply_bounce/rjbs-Mail-DeliveryStatus-BounceParser/corpus/spam-with-badly-parsed-email.msg": "plain spam",
	"4_autoreply_bounce/rjbs-Mail-DeliveryStatus-BounceParser/corpus/spam-with-image.msg":              "plain spam",
	// A person forwarding a bounce with Apple Mail ("Fwd: Returned mail: …").
	// A human wrote it, so answering cannot loop, and the forward may carry
	// a request ("my colleague's mail bounced, please add a licence").
	"4_autoreply_bounce/sisimai-set-of-emails/maildir/bsd/lhost-sendmail-14.eml": "human forward of a bounce",
}

// corpusResult is the classification of the labelled corpus.
type corpusResult struct {
	machine, human, caught, parseFailures int
	misses                                []string
	falsePositives                        map[string]Reason
	reasons                               map[Reason]int
}

// classifyCorpus runs Automated over every labelled file; mutate may alter
// a message first (nil for none).
func classifyCorpus(t *testing.T, corpora string, labels corpusLabels, mutate func(*corpusMessage)) corpusResult {
	t.Helper()
	paths := make([]string, 0, len(labels.automated))
	for p := range labels.automated {
		paths = append(paths, p)
	}
	sort.Strings(paths)

	r := corpusResult{falsePositives: map[string]Reason{}, reasons: map[Reason]int{}}
	for _, p := range paths {
		rel, _ := filepath.Rel(corpora, p)
		rel = filepath.ToSlash(rel)
		m, err := readCorpusMessage(p)
		if err != nil {
			r.parseFailures++
			t.Logf("parse failure (counted, not classified): %s: %v", rel, err)
			continue
		}
		if mutate != nil {
			mutate(&m)
		}
		automated, reason := Automated(m.header, m.contentType, m.from, false, []string{corpusOwnAddress})
		switch {
		case labels.automated[p] && automated:
			r.machine++
			r.caught++
			r.reasons[reason]++
		case labels.automated[p]:
			r.machine++
			r.misses = append(r.misses, rel)
		default:
			r.human++
			if automated {
				r.falsePositives[rel] = reason
			}
		}
	}
	return r
}

func TestCorpusEveryMachineMessageIsIgnoredAndNoHumanOne(t *testing.T) {
	corpora := corpora.Dir(t)
	r := classifyCorpus(t, corpora, loadCorpusLabels(t, corpora), nil)
	t.Logf("corpus: %d machine messages, %d ignored, %d missed (%.2f%%); %d human messages, %d wrongly ignored; %d parse failures",
		r.machine, r.caught, len(r.misses), 100*float64(r.caught)/float64(max(r.machine, 1)),
		r.human, len(r.falsePositives), r.parseFailures)
	t.Logf("reasons: %v", r.reasons)

	// Floors from the run that set them: the corpus must not silently shrink.
	const minMachine, minHuman = 777, 15
	if r.machine < minMachine || r.human < minHuman {
		t.Errorf("corpus smaller than expected: %d machine (want ≥ %d), %d human (want ≥ %d)",
			r.machine, minMachine, r.human, minHuman)
	}
	if r.parseFailures != 0 {
		t.Errorf("%d corpus files failed to parse, want 0", r.parseFailures)
	}
	for rel, reason := range r.falsePositives {
		t.Errorf("human message %s ignored as %q", rel, reason)
	}
	// Every machine message is ignored except the documented misses; a miss
	// that starts being caught must leave the list so it stays honest.
	missed := map[string]bool{}
	for _, rel := range r.misses {
		missed[rel] = true
		if why, ok := knownMisses[rel]; ok {
			t.Logf("known miss (%s): %s", why, rel)
			continue
		}
		t.Errorf("machine message not ignored: %s", rel)
	}
	for rel := range knownMisses {
		if !missed[rel] {
			t.Errorf("%s is now ignored: remove it from knownMisses", rel)
		}
	}
	if want := r.machine - len(knownMisses); r.caught < want {
		t.Errorf("ignored %d machine messages, want at least %d", r.caught, want)
	}
}

// Return-Path is added by the final delivery; a message piped in by an MTA
// (licensedesk mail ingest -) may lack it. The other rules must still catch
// nearly everything, and the From-based ones too when From is a plain
// address: this measures the defence in depth.
func TestCorpusMachineMessagesAreIgnoredWithoutEnvelopeClues(t *testing.T) {
	corpora := corpora.Dir(t)
	labels := loadCorpusLabels(t, corpora)
	tests := []struct {
		name      string
		mutate    func(*corpusMessage)
		minCaught int
	}{
		{"without Return-Path", func(m *corpusMessage) { m.header.Del("Return-Path") }, 772},
		{"without Return-Path and with a neutral From", func(m *corpusMessage) {
			m.header.Del("Return-Path")
			m.from = "someone@neutral.example"
		}, 745},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := classifyCorpus(t, corpora, labels, tt.mutate)
			t.Logf("%d of %d machine messages ignored", r.caught, r.machine)
			if r.caught < tt.minCaught {
				t.Errorf("ignored %d machine messages, want at least %d; missed: %v", r.caught, tt.minCaught, r.misses)
			}
			for rel, reason := range r.falsePositives {
				t.Errorf("human message %s ignored as %q", rel, reason)
			}
		})
	}
}

// The hard negatives for header-only detection each need a specific rule;
// pin which one, so a rule change that loses one is seen.
func TestCorpusHardNegativesAreIgnoredForTheRightReason(t *testing.T) {
	corpora := corpora.Dir(t)
	rjbs := "4_autoreply_bounce/rjbs-Mail-DeliveryStatus-BounceParser/corpus/"
	bsd := "4_autoreply_bounce/sisimai-set-of-emails/maildir/bsd/"
	tests := []struct {
		file         string
		noReturnPath bool // drop Return-Path to reach the rule behind it
		want         Reason
	}{
		{rjbs + "autoreply.msg", false, ReasonNullSender},
		{rjbs + "autoreply.msg", true, ReasonPrecedence},
		{rjbs + "polish-autoreply.msg", false, ReasonPrecedence},
		{rjbs + "warning-6.msg", false, ReasonAutoReplySubject}, // Lotus "AUTO: … is out of the office"
		{rjbs + "bluebottle.msg", false, ReasonChallengeResponse},
		{rjbs + "boxbe-cr.msg", false, ReasonChallengeResponse},
		{rjbs + "aol-vacation.msg", false, ReasonAutoSubmitted},
		{bsd + "rfc3834-01.eml", false, ReasonAutoSubmitted},
		{bsd + "rfc3834-02.eml", true, ReasonAutoReplySubject},  // "Automatic reply:" + X-Auto-Response-Suppress only
		{bsd + "rfc3834-03.eml", false, ReasonAutoReplySubject}, // "Auto reply:" and no header at all
		{bsd + "rfc3834-04.eml", true, ReasonAutoReplySubject},
		{bsd + "rfc3834-05.eml", true, ReasonAutoSubmitted},
		{bsd + "rfc3834-06.eml", true, ReasonAutoSubmitted},
		{bsd + "arf-22.eml", false, ReasonAutoReplySubject}, // Hotmail JMRP complaint
		{bsd + "lhost-amazonses-09.eml", false, ReasonNoReplySender},
		{bsd + "lhost-fml-02.eml", false, ReasonList},
		{bsd + "lhost-verizon-02.eml", false, ReasonMailerDaemon}, // post_master@
		{"4_autoreply_bounce/mailgun-flanker/disposition-notification.eml", true, ReasonDeliveryReport},
		{"4_autoreply_bounce/sisimai-set-of-emails/maildir/not/rb-issue-368-bug.eml", false, ReasonNullSender},
	}
	for _, tt := range tests {
		name := filepath.Base(tt.file)
		if tt.noReturnPath {
			name += " without Return-Path"
		}
		t.Run(name, func(t *testing.T) {
			m, err := readCorpusMessage(filepath.Join(corpora, filepath.FromSlash(tt.file)))
			if err != nil {
				t.Fatal(err)
			}
			if tt.noReturnPath {
				m.header.Del("Return-Path")
			}
			automated, reason := Automated(m.header, m.contentType, m.from, false, []string{corpusOwnAddress})
			if !automated || reason != tt.want {
				t.Errorf("Automated = %v, %q; want true, %q", automated, reason, tt.want)
			}
		})
	}
}
