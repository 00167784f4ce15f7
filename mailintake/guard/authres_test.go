package guard

import (
	"strings"
	"testing"
)

// authHeader builds a header holding the given Authentication-Results
// values, top to bottom.
func authHeader(values ...string) Header {
	h := header()
	for _, v := range values {
		h.Add("Authentication-Results", v)
	}
	return h
}

// Real-world fields, trimmed of identifying data; the sources are named per
// case.
const (
	gmailPass = "mx.google.com;\r\n       dkim=pass header.i=@example.com header.s=20161025 header.b=RJNz7oaY;\r\n" +
		"       spf=pass (google.com: domain of dummy@example.com designates 209.85.220.41 as permitted sender) smtp.mailfrom=dummy@example.com;\r\n" +
		"       dmarc=pass (p=NONE sp=QUARANTINE dis=NONE) header.from=example.com"
	// Microsoft 365 omits the authserv-id and repeats the receiving domain
	// as a bare item (OpenDKIM issue #73, MimeKit issues #490 and #527).
	m365Pass = "spf=pass (sender IP is 209.85.219.172)\r\n smtp.mailfrom=example.org; alum.mit.edu; dkim=pass (signature was verified)\r\n" +
		" header.d=example.org;alum.mit.edu; dmarc=pass action=none\r\n header.from=example.org;compauth=pass reason=100"
	m365Fail = "spf=fail (sender IP is 192.0.2.1) smtp.mailfrom=eu-west-1.amazonses.com; contoso.com; dkim=none (message not signed)" +
		" header.d=none;contoso.com; dmarc=fail action=oreject header.from=contoso.com;compauth=fail reason=000"
	// The go-msgauth issue #64 form: properties after semicolons, no domain.
	m365NoDomain = "spf=pass (sender IP is 209.85.222.48); smtp.mailfrom=valimail.com; dkim=pass (signature was verified);" +
		" header.d=valimail.com;dmarc=pass action=none; header.from=valimail.com;compauth=pass reason=100"
	fastmail = "mx3.messagingengine.com;\r\n    dkim=pass (2048-bit rsa key sha256) header.d=example.com header.i=@example.com header.b=AbCdEf12 header.a=rsa-sha256 header.s=fm1 x-bits=2048;\r\n" +
		"    dmarc=pass policy.published-domain-policy=none policy.applied-disposition=none policy.evaluated-disposition=none (p=none,d=none,d.eval=none) policy.policy-from=p header.from=example.com;\r\n" +
		"    iprev=pass smtp.remote-ip=192.0.2.25 (out1-smtp.messagingengine.com);\r\n" +
		"    spf=pass smtp.mailfrom=user@example.com smtp.helo=out1-smtp.messagingengine.com;\r\n" +
		"    x-aligned-from=pass (Address match);\r\n    x-me-sender=none;\r\n    x-ptr=pass smtp.helo=out1-smtp.messagingengine.com policy.ptr=out1-smtp.messagingengine.com"
)

func TestCheckAuth(t *testing.T) {
	tests := []struct {
		name         string
		h            Header
		trusted      string
		requireAlign bool
		want         AuthVerdict // Reason is checked for emptiness only
	}{
		{"Gmail all pass", authHeader(gmailPass), "mx.google.com", true,
			AuthVerdict{Checked: true, DMARC: "pass", SPF: "pass", DKIM: "pass", Pass: true}},
		{"Microsoft 365 with compauth, attributed by its bare domain", authHeader(m365Pass), "alum.mit.edu", true,
			AuthVerdict{Checked: true, DMARC: "pass", SPF: "pass", DKIM: "pass", Pass: true}},
		{"Microsoft 365 dmarc=fail action=oreject is refused", authHeader(m365Fail), "contoso.com", false,
			AuthVerdict{Checked: true, DMARC: "fail", SPF: "fail", DKIM: "none", Pass: false}},
		{"Microsoft 365 without any domain cannot be attributed", authHeader(m365NoDomain), "contoso.com", true,
			AuthVerdict{Pass: true}},
		{"Microsoft 365 for another tenant is ignored", authHeader(m365Fail), "fabrikam.com", false,
			AuthVerdict{Pass: true}},
		{"a forged field without authserv-id cannot add a pass to a standard trusted field", authHeader(
			"mx.example.org; spf=softfail smtp.mailfrom=example.com; dkim=none",
			"dkim=pass header.d=example.com; mx.example.org"), "mx.example.org", true,
			AuthVerdict{Checked: true, SPF: "softfail", DKIM: "none", Pass: false}},
		{"only the topmost Microsoft 365 field counts", authHeader(
			"spf=fail (sender IP is 192.0.2.1) smtp.mailfrom=example.com; contoso.com; dkim=none (message not signed) header.d=none;contoso.com; dmarc=none action=none header.from=example.com",
			"dkim=pass header.d=example.com; contoso.com"), "contoso.com", true,
			AuthVerdict{Checked: true, DMARC: "none", SPF: "fail", DKIM: "none", Pass: false}},
		{"Fastmail with many extra methods", authHeader(fastmail), "mx3.messagingengine.com", true,
			AuthVerdict{Checked: true, DMARC: "pass", SPF: "pass", DKIM: "pass", Pass: true}},
		{"dmarc=fail (p=REJECT) is refused", authHeader("mx.example.net; spf=pass smtp.mailfrom=a@example.com; dkim=pass header.d=example.com; dmarc=fail (p=REJECT sp=REJECT dis=REJECT) header.from=example.com"), "mx.example.net", false,
			AuthVerdict{Checked: true, DMARC: "fail", SPF: "pass", DKIM: "pass", Pass: false}},
		{"a comment glued to the result is still read (Yahoo)", authHeader("mx.example.net; dmarc=fail(p=REJECT) header.from=example.com"), "mx.example.net", false,
			AuthVerdict{Checked: true, DMARC: "fail", Pass: false}},
		{"a forged pass from another authserv-id above the trusted fail is ignored", authHeader(
			"mx.example.net; dmarc=pass; spf=pass; dkim=pass", // forged: not our id
			"mx.example.org; dmarc=fail header.from=example.com; spf=fail; dkim=none"), "mx.example.org", false,
			AuthVerdict{Checked: true, DMARC: "fail", SPF: "fail", DKIM: "none", Pass: false}},
		{"a forged fail from another authserv-id above the trusted pass is ignored", authHeader(
			"evil.example; dmarc=fail",
			"mx.example.org; dmarc=pass; spf=pass"), "mx.example.org", true,
			AuthVerdict{Checked: true, DMARC: "pass", SPF: "pass", Pass: true}},
		{"a forged dkim pass cannot satisfy the alignment requirement", authHeader(
			"mx.example.org.evil.example; dkim=pass header.d=example.com",
			"mx.example.org; spf=softfail smtp.mailfrom=example.com; dkim=none"), "mx.example.org", true,
			AuthVerdict{Checked: true, SPF: "softfail", DKIM: "none", Pass: false}},
		{"OpenDKIM and OpenDMARC fields of one server are combined", authHeader(
			"mail.example.net; dkim=pass (2048-bit key; unprotected) header.d=example.com header.i=@example.com",
			"mail.example.net; dmarc=pass (p=none dis=none) header.from=example.com",
			"mail.example.net; spf=softfail smtp.mailfrom=example.com"), "mail.example.net", true,
			AuthVerdict{Checked: true, DMARC: "pass", SPF: "softfail", DKIM: "pass", Pass: true}},
		{"one failing DMARC among trusted fields wins", authHeader(
			"mail.example.net; dmarc=pass", "mail.example.net; dmarc=fail"), "mail.example.net", false,
			AuthVerdict{Checked: true, DMARC: "fail", Pass: false}},
		{"one passing DKIM signature among several is enough", authHeader(
			"mail.example.net; dkim=fail header.d=a.example; dkim=pass header.d=b.example; spf=fail"), "mail.example.net", true,
			AuthVerdict{Checked: true, SPF: "fail", DKIM: "pass", Pass: true}},
		{"folded field with tabs", authHeader("mx.example.net;\r\n\tspf=pass\r\n\t smtp.mailfrom=example.com;\r\n\tdkim=pass\r\n\t header.d=example.com"), "mx.example.net", true,
			AuthVerdict{Checked: true, SPF: "pass", DKIM: "pass", Pass: true}},
		{"semicolons inside comments and quoted strings do not split", authHeader(
			`mx.example.net (a (nested; dmarc=fail) \) here); spf=pass (x; dmarc=fail) smtp.mailfrom="a;dmarc=fail"@example.com; dmarc=pass`), "mx.example.net", false,
			AuthVerdict{Checked: true, DMARC: "pass", SPF: "pass", Pass: true}},
		{"the authserv-id is compared ignoring case", authHeader("MX.Example.NET; DMARC=FAIL header.from=example.com"), "mx.example.net", false,
			AuthVerdict{Checked: true, DMARC: "fail", Pass: false}},
		{"a quoted authserv-id is read", authHeader(`"mx.example.net"; spf=pass`), "mx.example.net", false,
			AuthVerdict{Checked: true, SPF: "pass", Pass: true}},
		{"version 1 is accepted", authHeader("mx.example.net 1; dkim=pass"), "mx.example.net", true,
			AuthVerdict{Checked: true, DKIM: "pass", Pass: true}},
		{"an unknown version is ignored", authHeader("mx.example.net 2; dmarc=fail"), "mx.example.net", false,
			AuthVerdict{Pass: true}},
		{"a method version is dropped", authHeader("mx.example.net; dkim/1 = pass header.d=example.com"), "mx.example.net", true,
			AuthVerdict{Checked: true, DKIM: "pass", Pass: true}},
		{"Gmail's gateway.spf is not SPF", authHeader("mx.google.com; dkim=fail header.i=@sender.example; gateway.spf=pass (google.com: domain receiver.example configured 192.0.2.4 as internal address) smtp.mailfrom=mail@from.example"), "mx.google.com", true,
			AuthVerdict{Checked: true, DKIM: "fail", Pass: false}},
		{"a trailing for clause is tolerated", authHeader("relay.example; dkim=pass header.d=mailfrom.example; spf=pass smtp.mailfrom=bounces@mailfrom.example for abc@another.example"), "relay.example", true,
			AuthVerdict{Checked: true, SPF: "pass", DKIM: "pass", Pass: true}},
		{"no-result passes without the alignment requirement", authHeader("mx.example.net; none"), "mx.example.net", false,
			AuthVerdict{Checked: true, Pass: true}},
		{"no-result is refused with the alignment requirement", authHeader("mx.example.net; none"), "mx.example.net", true,
			AuthVerdict{Checked: true, Pass: false}},
		{"SPF and DKIM failing pass without the alignment requirement", authHeader("mx.example.net; spf=fail; dkim=fail; dmarc=none"), "mx.example.net", false,
			AuthVerdict{Checked: true, DMARC: "none", SPF: "fail", DKIM: "fail", Pass: true}},
		{"SPF and DKIM failing are refused with the alignment requirement", authHeader("mx.example.net; spf=fail; dkim=fail; dmarc=none"), "mx.example.net", true,
			AuthVerdict{Checked: true, DMARC: "none", SPF: "fail", DKIM: "fail", Pass: false}},
		{"SPF alone passing satisfies the alignment requirement", authHeader("mx.example.net; spf=pass; dkim=fail"), "mx.example.net", true,
			AuthVerdict{Checked: true, SPF: "pass", DKIM: "fail", Pass: true}},
		{"Microsoft's bestguesspass is not a DMARC fail", authHeader("mx.example.net; dmarc=bestguesspass action=none header.from=example.com; spf=pass"), "mx.example.net", true,
			AuthVerdict{Checked: true, DMARC: "bestguesspass", SPF: "pass", Pass: true}},
		{"no Authentication-Results at all is not checked", header("Subject", "x"), "mx.example.net", true,
			AuthVerdict{Pass: true}},
		{"only other servers' fields is not checked", authHeader("mx.other.example; dmarc=fail"), "mx.example.net", true,
			AuthVerdict{Pass: true}},
		{"an empty trusted id checks nothing", authHeader("mx.example.net; dmarc=fail", "spf=fail; ; dmarc=fail"), "", true,
			AuthVerdict{Pass: true}},
		{"an empty field is ignored", authHeader(""), "mx.example.net", true,
			AuthVerdict{Pass: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckAuth(tt.h, tt.trusted, tt.requireAlign)
			if got.Reason == "" {
				t.Errorf("Reason is empty; every verdict explains itself")
			}
			if !got.Pass && !strings.Contains(got.Reason, "dmarc=fail") && !strings.Contains(got.Reason, "neither") {
				t.Errorf("refusal reason %q names neither rule", got.Reason)
			}
			got.Reason, tt.want.Reason = "", ""
			if got != tt.want {
				t.Errorf("CheckAuth = %+v\nwant          %+v", got, tt.want)
			}
		})
	}
}

func TestParseAuthResultsStopsAtTheSizeLimit(t *testing.T) {
	v := "mx.example.net; " + strings.Repeat("x-pad=none; ", maxAuthFieldBytes/12) + "dmarc=fail"
	if f := parseAuthResults(v); len(f.results) == 0 || f.results[len(f.results)-1].method == "dmarc" {
		t.Errorf("a result past %d bytes was read", maxAuthFieldBytes)
	}
}
