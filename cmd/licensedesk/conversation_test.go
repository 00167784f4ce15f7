package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"mime"
	"strings"
	"testing"
	"time"

	"github.com/licensedesk/licensedesk/ledger"
	"github.com/licensedesk/licensedesk/mailintake/decode"
)

// Issue 11 through the binary: a customer answers the desk's question
// (SPEC §4.6) and the completed request is applied and answered in the same
// thread, over IMAP and SMTP with `serve`, and through `mail ingest`.

var (
	frDays   = []string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}
	frMonths = []string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}
	paris    = time.FixedZone("CET", 3600)
)

// outlookDateFR is the date of a French Outlook quote header: "vendredi 20
// novembre 2026 13:00".
func outlookDateFR(t time.Time) string {
	t = t.In(paris)
	return fmt.Sprintf("%s %d %s %d %s", frDays[t.Weekday()], t.Day(), frMonths[t.Month()-1], t.Year(), t.Format("15:04"))
}

// deskReply is what an answer needs of the desk's reply.
type deskReply struct {
	messageID  string // without <>
	references []string
	subject    string
	from, to   string // as "Name <addr>"
	date       time.Time
	text, html string
}

func deskReplyOf(t *testing.T, m *decode.Message) deskReply {
	t.Helper()
	if m.MessageID == "" || m.From == nil || len(m.To) != 1 {
		t.Fatalf("the desk's reply lacks a Message-ID, a From or a To: %+v", m.Header)
	}
	body := m.HTML
	if i := strings.Index(strings.ToLower(body), "<body"); i >= 0 {
		if j := strings.Index(body[i:], ">"); j >= 0 {
			body = body[i+j+1:]
		}
	}
	if i := strings.LastIndex(strings.ToLower(body), "</body>"); i >= 0 {
		body = body[:i]
	}
	name := func(a decode.Address) string {
		if a.Name == "" {
			return a.Email
		}
		return a.Name + " <" + a.Email + ">"
	}
	return deskReply{messageID: m.MessageID, references: m.References, subject: m.Subject, from: name(*m.From), to: name(m.To[0]),
		date: m.Date, text: strings.TrimRight(strings.ReplaceAll(m.Text, "\r\n", "\n"), "\n"), html: strings.TrimSpace(body)}
}

// outlookAnswerFR is Jean's answer from Outlook for Windows in French:
// top-posted over the "De : … Envoyé : … À : … Objet :" header and the desk's
// reply, threaded with In-Reply-To and References, text and HTML.
func outlookAnswerFR(r deskReply, msgID string, at time.Time, text string) []byte {
	subject := "RE: " + strings.TrimPrefix(r.subject, "Re: ")
	refs := make([]string, 0, len(r.references)+1)
	for _, id := range r.references {
		refs = append(refs, "<"+id+">")
	}
	refs = append(refs, "<"+r.messageID+">")
	head := fmt.Sprintf("De : %s\nEnvoyé : %s\nÀ : %s\nObjet : %s", r.from, outlookDateFR(r.date), r.to, r.subject)
	plain := text + "\n\nCordialement,\n\nJean Dupont\nDirecteur des systèmes d’information\nContoso SA – 12 rue de la Paix, 75002 Paris\n\n" +
		head + "\n\n" + r.text + "\n"
	var paras strings.Builder
	for _, l := range strings.Split(text+"\n\nCordialement,\n\nJean Dupont", "\n") {
		if l == "" {
			paras.WriteString("<p class=\"MsoNormal\"><o:p>&nbsp;</o:p></p>\n")
		} else {
			fmt.Fprintf(&paras, "<p class=\"MsoNormal\">%s<o:p></o:p></p>\n", html.EscapeString(l))
		}
	}
	htm := fmt.Sprintf(`<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns="http://www.w3.org/TR/REC-html40">
<head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"><meta name="Generator" content="Microsoft Word 15 (filtered medium)"></head>
<body lang="FR" link="#0563C1" vlink="#954F72" style="word-wrap:break-word">
<div class="WordSection1">
%s<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">
<p class="MsoNormal"><b>De&nbsp;:</b> %s<br>
<b>Envoyé&nbsp;:</b> %s<br>
<b>À&nbsp;:</b> %s<br>
<b>Objet&nbsp;:</b> %s<o:p></o:p></p>
</div>
<p class="MsoNormal"><o:p>&nbsp;</o:p></p>
<div>%s</div>
</div>
</body>
</html>
`, paras.String(), html.EscapeString(r.from), outlookDateFR(r.date), html.EscapeString(r.to), html.EscapeString(r.subject), r.html)
	const boundary = "_000_PR3P192MB0873ANSWER_"
	var b bytes.Buffer
	fmt.Fprintf(&b, "Received: from PR3P192MB0873.EURP192.PROD.OUTLOOK.COM (2603:10a6:102:1a3::9) by mx.desk.example with ESMTPS id 4Cc8Lm2Qd7z9tK; %s\n", at.UTC().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "From: Jean Dupont <it@contoso.com>\nTo: %s\nSubject: %s\nThread-Topic: %s\n", r.from, mime.QEncoding.Encode("utf-8", subject),
		mime.QEncoding.Encode("utf-8", strings.TrimPrefix(r.subject, "Re: ")))
	fmt.Fprintf(&b, "Thread-Index: AdtbL3m1QhX0c2JrQ0Ow5p7m9GZ1lwAAB2nA\nDate: %s\nMessage-ID: <%s>\nReferences: %s\nIn-Reply-To: <%s>\n",
		at.UTC().Format(time.RFC1123Z), msgID, strings.Join(refs, " "), r.messageID)
	b.WriteString("Accept-Language: fr-FR, en-US\nContent-Language: fr-FR\nX-MS-Has-Attach:\nX-MS-TNEF-Correlator:\n")
	fmt.Fprintf(&b, "Content-Type: multipart/alternative; boundary=%q\nMIME-Version: 1.0\n\n", boundary)
	fmt.Fprintf(&b, "--%s\nContent-Type: text/plain; charset=\"utf-8\"\nContent-Transfer-Encoding: 8bit\n\n%s\n", boundary, plain)
	fmt.Fprintf(&b, "--%s\nContent-Type: text/html; charset=\"utf-8\"\nContent-Transfer-Encoding: 8bit\n\n%s\n--%s--\n", boundary, htm, boundary)
	return []byte(strings.ReplaceAll(b.String(), "\n", "\r\n"))
}

// jeanFirstMail is Jean's first message, from Outlook, plain text.
func jeanFirstMail(msgID, subject, body string, at time.Time) []byte {
	return []byte(strings.ReplaceAll(fmt.Sprintf("From: Jean Dupont <it@contoso.com>\nTo: \"licences@desk.example\" <licences@desk.example>\n"+
		"Subject: %s\nThread-Topic: %s\nDate: %s\nMessage-ID: <%s>\nAccept-Language: fr-FR, en-US\nContent-Language: fr-FR\n"+
		"Content-Type: text/plain; charset=\"utf-8\"\nContent-Transfer-Encoding: 8bit\nMIME-Version: 1.0\n\n"+
		"Bonjour,\n\n%s\n\nCordialement,\n\nJean Dupont\nDirecteur des systèmes d’information\nContoso SA – 12 rue de la Paix, 75002 Paris\n",
		subject, subject, at.UTC().Format(time.RFC1123Z), msgID, body), "\n", "\r\n"))
}

var nbsp = strings.NewReplacer("\u00a0", " ", "\u202f", " ")

// tagOf is the [LD-…] tag of a subject.
func tagOf(subject string) string {
	i := strings.Index(subject, "[LD-")
	if i < 0 {
		return ""
	}
	j := strings.Index(subject[i:], "]")
	if j < 0 {
		return ""
	}
	return subject[i+1 : i+j]
}

func TestAConversationThroughIMAPAndSMTP(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end: starts Redis, Dovecot and the service")
	}
	d := startDesk(t)
	defer func() {
		if t.Failed() {
			t.Logf("serve's log:\n%s", d.log.String())
		}
	}()
	before := d.total("SPB")

	// The question: Business Premium, but how many?
	const firstID = "PR3P192MB0873Q1A2B3C4D5E6@PR3P192MB0873.EURP192.PROD.OUTLOOK.COM"
	d.imap.Append(t, "INBOX", jeanFirstMail(firstID, "Licences",
		"Merci d’ajouter des licences Microsoft 365 Business Premium, nous avons de nouveaux arrivants.", time.Now().Add(-time.Minute)))
	waitFor(t, 30*time.Second, "the desk's question", func() bool { return len(d.smtp.byInReplyTo()[firstID]) == 1 })
	q := d.smtp.byInReplyTo()[firstID][0]
	question := tagOf(q.Subject)
	if question == "" || !strings.HasPrefix(q.Subject, "Re: Licences") {
		t.Fatalf("the question's subject %q lacks its [LD-…] tag", q.Subject)
	}
	if !strings.Contains(nbsp.Replace(q.Text), "Le nombre de licences manque") {
		t.Errorf("the desk did not ask for the number:\n%s", q.Text)
	}
	if got := d.total("SPB"); got != before {
		t.Fatalf("a question changed SPB: %d → %d", before, got)
	}

	// The answer, from Outlook, quoting the question under its header.
	const answerID = "PR3P192MB0873A9F8E7D6C5B4@PR3P192MB0873.EURP192.PROD.OUTLOOK.COM"
	answer := outlookAnswerFR(deskReplyOf(t, q), answerID, time.Now(), "Bonjour,\n\nIl en faudrait 2.")
	d.imap.Append(t, "INBOX", answer)
	waitFor(t, 30*time.Second, "the reply to the answer", func() bool { return len(d.smtp.byInReplyTo()[answerID]) == 1 })
	r := d.smtp.byInReplyTo()[answerID][0]
	text := nbsp.Replace(r.Text)
	if !strings.Contains(text, "Votre demande a été traitée") || !strings.Contains(text, fmt.Sprintf("Licences : %d → %d", before, before+2)) {
		t.Errorf("the reply does not say the completed request was applied (add 2 Business Premium):\n%s", r.Text)
	}
	if slicesContains(r.InReplyTo, answerID) == false || !slicesContains(r.References, answerID) {
		t.Errorf("the reply is not threaded to the answer: In-Reply-To %v, References %v", r.InReplyTo, r.References)
	}
	if tag := tagOf(r.Subject); tag == "" || tag == question || !strings.HasPrefix(r.Subject, "Re: ") {
		t.Errorf("the reply's subject %q should carry the new request's tag (the question was %s)", r.Subject, question)
	}
	if r.Header.Get("Content-Language") != "fr" || r.Header.Get("Auto-Submitted") != "auto-replied" {
		t.Errorf("reply headers: Content-Language %q, Auto-Submitted %q", r.Header.Get("Content-Language"), r.Header.Get("Auto-Submitted"))
	}
	if got := d.total("SPB"); got != before+2 {
		t.Errorf("SPB went %d → %d, want +2", before, got)
	}
	continues := historyContinues(t, d.storeEnv, "contoso", tagOf(r.Subject))
	if continues != question {
		t.Errorf("the new request continues %q, want %s", continues, question)
	}
	if n := len(d.smtp.byInReplyTo()[answerID]) + len(d.smtp.byInReplyTo()[firstID]); n != 2 {
		t.Errorf("%d replies in the conversation, want 2", n)
	}
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// historyContinues reads the tenant's history in the store env names and
// returns what the request id continues.
func historyContinues(t *testing.T, env []string, tenant, id string) string {
	t.Helper()
	var url string
	for _, v := range env {
		if u, ok := strings.CutPrefix(v, "LICENSEDESK_REDIS_URL="); ok {
			url = u
		}
	}
	l, err := ledger.Open(context.Background(), url, ledger.SystemClock{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	recs, err := l.History(context.Background(), tenant, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Request != nil && r.Request.ID == id {
			return r.Request.Continues
		}
	}
	t.Errorf("%s is not in %s's history", id, tenant)
	return ""
}

// mailIngestOutput is the JSON of `mail ingest --json` (SPEC §6).
type mailIngestOutput struct {
	RequestID string `json:"request_id"`
	Status    string `json:"status"`
	Tenant    string `json:"tenant"`
	Ops       []struct {
		Op       string   `json:"op"`
		SKU      string   `json:"sku"`
		Quantity int      `json:"quantity"`
		Users    []string `json:"users"`
		After    *struct{ Total, Assigned int }
	} `json:"ops"`
	Errors []struct {
		Code string `json:"code"`
	} `json:"errors"`
	Reply     string `json:"reply"`
	ReplyText string `json:"reply_text"`
}

func mailIngest(t *testing.T, env []string, raw []byte) (mailIngestOutput, int) {
	t.Helper()
	r := runBinary(t, env, string(raw), "mail", "ingest", "--json", "-")
	var out mailIngestOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("mail ingest: exit %d, not JSON: %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
	}
	return out, r.code
}

func TestAConversationThroughMailIngestInFrench(t *testing.T) {
	env := append(seededStore(t), "LICENSEDESK_FROM=licences@desk.example")

	// "2 licences E3": contoso holds Office 365 E3 and Microsoft 365 E3.
	const firstID = "PR3P192MB0873E3E3E3E3E3@PR3P192MB0873.EURP192.PROD.OUTLOOK.COM"
	first, code := mailIngest(t, env, jeanFirstMail(firstID, "Demande de licences",
		"Pourriez-vous nous ajouter 2 licences E3 ?", time.Now().Add(-time.Minute)))
	if first.Status != "needs_clarification" || code != exitRefused || first.Reply == "" {
		t.Fatalf("the first message: %s (exit %d), reply %v; want needs_clarification, exit 1, a question", first.Status, code, first.Reply != "")
	}
	if len(first.Errors) != 1 || first.Errors[0].Code != "AmbiguousProduct" {
		t.Fatalf("the first message's codes %+v, want AmbiguousProduct", first.Errors)
	}
	question, err := decode.Parse(strings.NewReader(first.Reply), decode.DefaultLimits())
	if err != nil {
		t.Fatalf("the question is no message: %v", err)
	}
	if tagOf(question.Subject) != first.RequestID {
		t.Fatalf("the question's subject %q lacks [%s]", question.Subject, first.RequestID)
	}

	// Jean answers from Outlook: "Office 365 E3, s'il vous plaît."
	const answerID = "PR3P192MB0873F00DFACE01@PR3P192MB0873.EURP192.PROD.OUTLOOK.COM"
	out, code := mailIngest(t, env, outlookAnswerFR(deskReplyOf(t, question), answerID, time.Now(), "Bonjour,\n\nOffice 365 E3, s’il vous plaît."))
	if out.Status != "applied" || code != exitOK {
		t.Fatalf("the answer: %s (exit %d, errors %+v); want applied\n%s", out.Status, code, out.Errors, out.ReplyText)
	}
	if len(out.Ops) != 1 || out.Ops[0].Op != "add" || out.Ops[0].SKU != "ENTERPRISEPACK" || out.Ops[0].Quantity != 2 {
		t.Errorf("ops %+v, want add 2 ENTERPRISEPACK", out.Ops)
	}
	if out.Tenant != "contoso" || out.RequestID == "" || out.RequestID == first.RequestID {
		t.Errorf("tenant %q, request %q (the question was %s)", out.Tenant, out.RequestID, first.RequestID)
	}
	reply, err := decode.Parse(strings.NewReader(out.Reply), decode.DefaultLimits())
	if err != nil {
		t.Fatalf("the reply is no message: %v", err)
	}
	if !slicesContains(reply.InReplyTo, answerID) || !slicesContains(reply.References, answerID) {
		t.Errorf("the reply is not threaded to the answer: In-Reply-To %v, References %v", reply.InReplyTo, reply.References)
	}
	if tagOf(reply.Subject) != out.RequestID || !strings.HasPrefix(reply.Subject, "Re: ") {
		t.Errorf("the reply's subject %q should carry [%s]", reply.Subject, out.RequestID)
	}
	if reply.Header.Get("Content-Language") != "fr" || !strings.Contains(nbsp.Replace(out.ReplyText), "Licences : 10 → 12") {
		t.Errorf("the reply (%s) should say, in French, that Office 365 E3 went 10 → 12:\n%s", reply.Header.Get("Content-Language"), out.ReplyText)
	}
	if got := historyContinues(t, env, "contoso", out.RequestID); got != first.RequestID {
		t.Errorf("the new request continues %q, want %s", got, first.RequestID)
	}

	// The same answer again (an MTA retry) is a duplicate, applied once.
	again, code := mailIngest(t, env, outlookAnswerFR(deskReplyOf(t, question), answerID, time.Now(), "Bonjour,\n\nOffice 365 E3, s’il vous plaît."))
	if again.Status != "duplicate" || code != exitOK || again.RequestID != out.RequestID {
		t.Errorf("the answer again: %s (exit %d) %s; want a duplicate of %s", again.Status, code, again.RequestID, out.RequestID)
	}
	show := runBinary(t, env, "", "exec", "--json", "show contoso")
	if !strings.Contains(show.stdout, `"ENTERPRISEPACK"`) {
		t.Fatalf("show contoso: %s", show.stdout)
	}
	var view struct {
		Products []struct {
			SKU   string `json:"sku"`
			Total int    `json:"total"`
		} `json:"products"`
	}
	_ = json.Unmarshal([]byte(show.stdout), &view)
	for _, p := range view.Products {
		if p.SKU == "ENTERPRISEPACK" && p.Total != 12 {
			t.Errorf("ENTERPRISEPACK total %d after the conversation, want 12 (applied once)", p.Total)
		}
	}
}
