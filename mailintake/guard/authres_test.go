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
		name        string
		h           Header
		trusted     string
		fromDomain  string
		requirePass bool
		want        AuthVerdict // Reason is checked for emptiness only
	}{
		{"Gmail all pass", authHeader(gmailPass), "mx.google.com", "example.com", true,
			AuthVerdict{Checked: true, DMARC: "pass", SPF: "pass", DKIM: "pass", Pass: true}},
		{"Microsoft 365 with compauth, attributed by its bare domain", authHeader(m365Pass), "alum.mit.edu", "example.org", true,
			AuthVerdict{Checked: true, DMARC: "pass", SPF: "pass", DKIM: "pass", Pass: true}},
		{"Microsoft 365 dmarc=fail action=oreject is refused", authHeader(m365Fail), "contoso.com", "contoso.com", false,
			AuthVerdict{Checked: true, DMARC: "fail", SPF: "fail", DKIM: "none", Pass: false}},
		{"Microsoft 365 without any domain cannot be attributed", authHeader(m365NoDomain), "contoso.com", "valimail.com", true,
			AuthVerdict{Pass: true}},
		{"Microsoft 365 for another tenant is ignored", authHeader(m365Fail), "fabrikam.com", "contoso.com", false,
			AuthVerdict{Pass: true}},
		{"a forged field without authserv-id cannot add a pass to a standard trusted field", authHeader(
			"mx.example.org; spf=softfail smtp.mailfrom=example.com; dkim=none",
			"dkim=pass header.d=example.com; mx.example.org"), "mx.example.org", "example.com", true,
			AuthVerdict{Checked: true, SPF: "softfail", DKIM: "none", Pass: false}},
		{"only the topmost Microsoft 365 field counts", authHeader(
			"spf=fail (sender IP is 192.0.2.1) smtp.mailfrom=example.com; contoso.com; dkim=none (message not signed) header.d=none;contoso.com; dmarc=none action=none header.from=example.com",
			"dkim=pass header.d=example.com; contoso.com"), "contoso.com", "example.com", true,
			AuthVerdict{Checked: true, DMARC: "none", SPF: "fail", DKIM: "none", Pass: false}},
		{"Fastmail with many extra methods", authHeader(fastmail), "mx3.messagingengine.com", "example.com", true,
			AuthVerdict{Checked: true, DMARC: "pass", SPF: "pass", DKIM: "pass", Pass: true}},
		{"dmarc=fail (p=REJECT) is refused", authHeader("mx.example.net; spf=pass smtp.mailfrom=a@example.com; dkim=pass header.d=example.com; dmarc=fail (p=REJECT sp=REJECT dis=REJECT) header.from=example.com"), "mx.example.net", "example.com", false,
			AuthVerdict{Checked: true, DMARC: "fail", SPF: "pass", DKIM: "pass", Pass: false}},
		{"a comment glued to the result is still read (Yahoo)", authHeader("mx.example.net; dmarc=fail(p=REJECT) header.from=example.com"), "mx.example.net", "example.com", false,
			AuthVerdict{Checked: true, DMARC: "fail", Pass: false}},
		{"a forged pass from another authserv-id above the trusted fail is ignored", authHeader(
			"mx.example.net; dmarc=pass; spf=pass; dkim=pass", // forged: not our id
			"mx.example.org; dmarc=fail header.from=example.com; spf=fail; dkim=none"), "mx.example.org", "example.com", false,
			AuthVerdict{Checked: true, DMARC: "fail", SPF: "fail", DKIM: "none", Pass: false}},
		{"a forged fail from another authserv-id above the trusted pass is ignored", authHeader(
			"evil.example; dmarc=fail",
			"mx.example.org; dmarc=pass header.from=example.com; spf=pass"), "mx.example.org", "example.com", true,
			AuthVerdict{Checked: true, DMARC: "pass", SPF: "pass", Pass: true}},
		{"a forged dkim pass cannot satisfy the alignment requirement", authHeader(
			"mx.example.org.evil.example; dkim=pass header.d=example.com",
			"mx.example.org; spf=softfail smtp.mailfrom=example.com; dkim=none"), "mx.example.org", "example.com", true,
			AuthVerdict{Checked: true, SPF: "softfail", DKIM: "none", Pass: false}},
		// SPEC §4.3: only the topmost trusted field is read, even when one
		// server writes several (OpenDKIM above OpenDMARC above SPF).
		{"only the topmost of one server's fields is read", authHeader(
			"mail.example.net; dkim=pass (2048-bit key; unprotected) header.d=example.com header.i=@example.com",
			"mail.example.net; dmarc=pass (p=none dis=none) header.from=example.com",
			"mail.example.net; spf=softfail smtp.mailfrom=example.com"), "mail.example.net", "example.com", true,
			AuthVerdict{Checked: true, DKIM: "pass", Pass: true}},
		{"a failing DMARC in the topmost trusted field wins over a pass below", authHeader(
			"mail.example.net; dmarc=fail", "mail.example.net; dmarc=pass"), "mail.example.net", "example.com", false,
			AuthVerdict{Checked: true, DMARC: "fail", Pass: false}},
		{"a trusted field below the topmost one is not read", authHeader(
			"mail.example.net; dmarc=pass", "mail.example.net; dmarc=fail"), "mail.example.net", "example.com", false,
			AuthVerdict{Checked: true, DMARC: "pass", Pass: true}},
		{"a pass in a trusted field below the topmost one does not count", authHeader(
			"mail.example.net; spf=softfail smtp.mailfrom=example.com",
			"mail.example.net; dmarc=pass header.from=example.com"), "mail.example.net", "example.com", true,
			AuthVerdict{Checked: true, SPF: "softfail", Pass: false}},
		{"one passing DKIM signature among several is enough", authHeader(
			"mail.example.net; dkim=fail header.d=a.example; dkim=pass header.d=b.example; spf=fail"), "mail.example.net", "b.example", true,
			AuthVerdict{Checked: true, SPF: "fail", DKIM: "pass", Pass: true}},
		{"folded field with tabs", authHeader("mx.example.net;\r\n\tspf=pass\r\n\t smtp.mailfrom=example.com;\r\n\tdkim=pass\r\n\t header.d=example.com"), "mx.example.net", "example.com", true,
			AuthVerdict{Checked: true, SPF: "pass", DKIM: "pass", Pass: true}},
		{"semicolons inside comments and quoted strings do not split", authHeader(
			`mx.example.net (a (nested; dmarc=fail) \) here); spf=pass (x; dmarc=fail) smtp.mailfrom="a;dmarc=fail"@example.com; dmarc=pass`), "mx.example.net", "example.com", false,
			AuthVerdict{Checked: true, DMARC: "pass", SPF: "pass", Pass: true}},
		{"the authserv-id is compared ignoring case", authHeader("MX.Example.NET; DMARC=FAIL header.from=example.com"), "mx.example.net", "example.com", false,
			AuthVerdict{Checked: true, DMARC: "fail", Pass: false}},
		{"a quoted authserv-id is read", authHeader(`"mx.example.net"; spf=pass`), "mx.example.net", "example.com", false,
			AuthVerdict{Checked: true, SPF: "pass", Pass: true}},
		{"version 1 is accepted", authHeader("mx.example.net 1; dkim=pass header.d=example.com"), "mx.example.net", "example.com", true,
			AuthVerdict{Checked: true, DKIM: "pass", Pass: true}},
		{"an unknown version is ignored", authHeader("mx.example.net 2; dmarc=fail"), "mx.example.net", "example.com", false,
			AuthVerdict{Pass: true}},
		{"a method version is dropped", authHeader("mx.example.net; dkim/1 = pass header.d=example.com"), "mx.example.net", "example.com", true,
			AuthVerdict{Checked: true, DKIM: "pass", Pass: true}},
		{"Gmail's gateway.spf is not SPF", authHeader("mx.google.com; dkim=fail header.i=@sender.example; gateway.spf=pass (google.com: domain receiver.example configured 192.0.2.4 as internal address) smtp.mailfrom=mail@from.example"), "mx.google.com", "from.example", true,
			AuthVerdict{Checked: true, DKIM: "fail", Pass: false}},
		{"a trailing for clause is tolerated", authHeader("relay.example; dkim=pass header.d=mailfrom.example; spf=pass smtp.mailfrom=bounces@mailfrom.example for abc@another.example"), "relay.example", "mailfrom.example", true,
			AuthVerdict{Checked: true, SPF: "pass", DKIM: "pass", Pass: true}},
		{"no-result passes without the alignment requirement", authHeader("mx.example.net; none"), "mx.example.net", "example.com", false,
			AuthVerdict{Checked: true, Pass: true}},
		{"no-result is refused with the alignment requirement", authHeader("mx.example.net; none"), "mx.example.net", "example.com", true,
			AuthVerdict{Checked: true, Pass: false}},
		{"SPF and DKIM failing pass without the alignment requirement", authHeader("mx.example.net; spf=fail; dkim=fail; dmarc=none"), "mx.example.net", "example.com", false,
			AuthVerdict{Checked: true, DMARC: "none", SPF: "fail", DKIM: "fail", Pass: true}},
		{"SPF and DKIM failing are refused with the alignment requirement", authHeader("mx.example.net; spf=fail; dkim=fail; dmarc=none"), "mx.example.net", "example.com", true,
			AuthVerdict{Checked: true, DMARC: "none", SPF: "fail", DKIM: "fail", Pass: false}},
		{"SPF alone passing satisfies the alignment requirement", authHeader("mx.example.net; spf=pass smtp.mailfrom=example.com; dkim=fail"), "mx.example.net", "example.com", true,
			AuthVerdict{Checked: true, SPF: "pass", DKIM: "fail", Pass: true}},
		{"Microsoft's bestguesspass is not a DMARC fail", authHeader("mx.example.net; dmarc=bestguesspass action=none header.from=example.com; spf=pass smtp.mailfrom=example.com"), "mx.example.net", "example.com", true,
			AuthVerdict{Checked: true, DMARC: "bestguesspass", SPF: "pass", Pass: true}},
		{"no Authentication-Results at all is not checked", header("Subject", "x"), "mx.example.net", "example.com", true,
			AuthVerdict{Pass: true}},
		{"only other servers' fields is not checked", authHeader("mx.other.example; dmarc=fail"), "mx.example.net", "example.com", true,
			AuthVerdict{Pass: true}},
		{"an empty trusted id checks nothing", authHeader("mx.example.net; dmarc=fail", "spf=fail; ; dmarc=fail"), "", "example.com", true,
			AuthVerdict{Pass: true}},
		{"an empty field is ignored", authHeader(""), "mx.example.net", "example.com", true,
			AuthVerdict{Pass: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckAuth(tt.h, tt.trusted, tt.fromDomain, tt.requirePass)
			if got.Reason == "" {
				t.Errorf("Reason is empty; every verdict explains itself")
			}
			if !got.Pass && !strings.Contains(got.Reason, "dmarc=fail") && !strings.Contains(got.Reason, "no pass aligned") {
				t.Errorf("refusal reason %q names neither rule", got.Reason)
			}
			got.Reason, tt.want.Reason = "", ""
			if got != tt.want {
				t.Errorf("CheckAuth = %+v\nwant          %+v", got, tt.want)
			}
		})
	}
}

// SPEC §4.3: only a pass aligned with the From domain counts, a pass for
// another domain never does, and only a dmarc=fail that concerns the From
// domain refuses the message when no pass is required.
func TestCheckAuthCountsOnlyAPassAlignedWithTheFromDomain(t *testing.T) {
	const mx = "mx.desk.example"
	tests := []struct {
		name        string
		field       string // after "mx.desk.example; "
		fromDomain  string
		requirePass bool
		pass        bool
	}{
		// DMARC.
		{"dmarc=pass for the From domain passes", "dmarc=pass header.from=contoso.com", "contoso.com", true, true},
		{"dmarc=pass for another domain is no pass", "dmarc=pass header.from=evil.example", "contoso.com", true, false},
		{"dmarc=pass for a parent of the From domain is no pass", "dmarc=pass header.from=contoso.com", "mail.contoso.com", true, false},
		{"dmarc=pass for a subdomain of the From domain is no pass", "dmarc=pass header.from=mail.contoso.com", "contoso.com", true, false},
		{"dmarc=pass without header.from is no pass", "dmarc=pass", "contoso.com", true, false},
		{"dmarc=pass for another domain passes when no pass is required", "dmarc=pass header.from=evil.example", "contoso.com", false, true},
		{"dmarc=fail for the From domain is refused", "dmarc=fail header.from=contoso.com", "contoso.com", false, false},
		{"dmarc=fail without header.from is refused", "dmarc=fail", "contoso.com", false, false},
		{"dmarc=fail for another domain does not refuse when no pass is required", "dmarc=fail header.from=evil.example", "contoso.com", false, true},
		{"dmarc=fail for another domain beside an aligned pass passes", "dmarc=fail header.from=evil.example; dkim=pass header.d=contoso.com", "contoso.com", true, true},
		{"dmarc=fail wins over an aligned dkim pass", "dkim=pass header.d=contoso.com; dmarc=fail header.from=contoso.com", "contoso.com", true, false},
		{"dmarc=fail is refused when the From domain is unknown", "dmarc=fail header.from=contoso.com", "", false, false},
		{"domains are compared ignoring case and trailing dots", "DMARC=PASS HEADER.FROM=Contoso.COM.", "contoso.com.", true, true},
		{"a fail for the From domain in other case is refused", "dmarc=fail header.from=CONTOSO.com", "Contoso.Com", false, false},

		// DKIM.
		{"dkim=pass signed by the From domain passes", "dkim=pass header.d=contoso.com", "contoso.com", true, true},
		{"dkim=pass signed by a parent of the From domain passes", "dkim=pass header.d=contoso.com", "mail.contoso.com", true, true},
		{"dkim=pass signed by a subdomain of the From domain is no pass", "dkim=pass header.d=mail.contoso.com", "contoso.com", true, false},
		{"dkim=pass signed by another domain is no pass", "dkim=pass header.d=evil.example", "contoso.com", true, false},
		{"dkim=pass by a domain ending like the From domain is no pass", "dkim=pass header.d=notcontoso.com", "contoso.com", true, false},
		{"dkim=pass by a domain holding the From domain is no pass", "dkim=pass header.d=contoso.com.evil.example", "contoso.com", true, false},
		{"dkim=pass by a public suffix is no pass", "dkim=pass header.d=com", "contoso.com", true, false},
		{"dkim=pass by a two-label public suffix is no pass", "dkim=pass header.d=co.uk", "contoso.co.uk", true, false},
		{"dkim=pass with an identity in the From domain passes", "dkim=pass header.i=@contoso.com header.s=s1", "contoso.com", true, true},
		{"dkim=pass with an identity elsewhere is no pass", "dkim=pass header.i=it@evil.example", "contoso.com", true, false},
		{"dkim=fail by the From domain beside a pass by another is no pass", "dkim=fail header.d=contoso.com; dkim=pass header.d=evil.example", "contoso.com", true, false},
		{"the second of two signatures may be the aligned pass", "dkim=pass header.d=esp.example; dkim=pass header.d=contoso.com", "contoso.com", true, true},

		// SPF.
		{"spf=pass for an address in the From domain passes", "spf=pass smtp.mailfrom=bounce@contoso.com", "contoso.com", true, true},
		{"spf=pass for a subdomain of the From domain passes", "spf=pass smtp.mailfrom=bounces.contoso.com", "contoso.com", true, true},
		{"spf=pass for a parent of the From domain is no pass", "spf=pass smtp.mailfrom=contoso.com", "mail.contoso.com", true, false},
		{"spf=pass for another domain is no pass", "spf=pass smtp.mailfrom=bounce@evil.example", "contoso.com", true, false},
		{"spf=pass for a domain holding the From domain is no pass", "spf=pass smtp.mailfrom=contoso.com.evil.example", "contoso.com", true, false},
		{"spf=pass with a quoted local part naming the From domain is no pass", `spf=pass smtp.mailfrom="it@contoso.com"@evil.example`, "contoso.com", true, false},
		{"spf=pass without smtp.mailfrom is no pass", "spf=pass", "contoso.com", true, false},
		{"spf=pass on the HELO name is no pass", "spf=pass smtp.helo=mail.contoso.com", "contoso.com", true, false},
		{"spf=fail for the From domain is no pass", "spf=fail smtp.mailfrom=contoso.com", "contoso.com", true, false},

		// The From domain.
		{"no From domain gets no pass", "dmarc=pass header.from=contoso.com", "", true, false},
		{"an address is read as its domain", "dkim=pass header.d=contoso.com", "it@contoso.com", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := CheckAuth(authHeader(mx+"; "+tt.field), mx, tt.fromDomain, tt.requirePass)
			if !v.Checked || v.Pass != tt.pass {
				t.Errorf("CheckAuth = %+v, want Checked and Pass %v", v, tt.pass)
			}
		})
	}
}

// Microsoft 365 writes a result's properties after a semicolon; they still
// tie the result to its domain, and only the known property types do.
func TestCheckAuthReadsPropertiesAfterASemicolon(t *testing.T) {
	tests := []struct {
		name  string
		field string
		pass  bool
	}{
		{"header.d after a semicolon aligns the dkim pass",
			"spf=fail (sender IP is 192.0.2.1); smtp.mailfrom=evil.example; dkim=pass (signature was verified); header.d=contoso.com; contoso.com", true},
		{"header.from after a semicolon aligns the dmarc pass",
			"dmarc=pass action=none; header.from=contoso.com; contoso.com", true},
		{"a property after a semicolon does not replace the result's own",
			"dkim=pass header.d=evil.example; header.d=contoso.com; contoso.com", false},
		{"another method's properties are not borrowed",
			"dkim=fail header.d=contoso.com; spf=pass; gateway.spf=pass smtp.mailfrom=contoso.com; contoso.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := CheckAuth(authHeader(tt.field), "contoso.com", "contoso.com", true)
			if !v.Checked || v.Pass != tt.pass {
				t.Errorf("CheckAuth = %+v, want Checked and Pass %v", v, tt.pass)
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
