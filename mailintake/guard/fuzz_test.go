package guard

import (
	"strings"
	"testing"
)

// FuzzCheckAuth feeds arbitrary Authentication-Results values and From
// domains to the parser and checks the verdict's invariants (SPEC §4.3).
// Seeds: testdata/fuzz/FuzzCheckAuth.
func FuzzCheckAuth(f *testing.F) {
	f.Add("mx.example.net; dmarc=fail", "mx.example.net", "example.com", false)
	f.Add("mx.example.net; dmarc=pass header.from=evil.example", "mx.example.net", "contoso.com", true)
	f.Fuzz(func(t *testing.T, field, trusted, fromDomain string, requirePass bool) {
		h := authHeader(field)
		v := CheckAuth(h, trusted, fromDomain, requirePass)

		if !v.Checked && !v.Pass {
			t.Fatalf("unchecked message refused: %+v", v)
		}
		if v.Reason == "" {
			t.Fatalf("verdict without a reason: %+v", v)
		}
		for _, r := range []string{v.DMARC, v.SPF, v.DKIM} {
			for i := 0; i < len(r); i++ {
				if !isKeywordByte(r[i]) || r[i] >= 'A' && r[i] <= 'Z' {
					t.Fatalf("result %q is not a lower-case keyword: %+v", r, v)
				}
			}
		}
		if v != CheckAuth(h, trusted, fromDomain, requirePass) {
			t.Fatal("CheckAuth is not deterministic")
		}
		// Without a From domain every dmarc=fail is about it.
		if normDomain(fromDomain) == "" && v.DMARC == "fail" && v.Pass {
			t.Fatalf("dmarc=fail passed with no From domain: %+v", v)
		}
		// With requirePass, nothing passes that cannot be tied to a domain.
		if requirePass && v.Checked && v.Pass && normDomain(fromDomain) == "" {
			t.Fatalf("a pass without a From domain to align with: %+v", v)
		}
		// The pass requirement only ever refuses more.
		if loose := CheckAuth(h, trusted, fromDomain, false); v.Pass && !loose.Pass {
			t.Fatalf("passes with requirePass but not without: %+v vs %+v", v, loose)
		}
		// A domain the field never names cannot be aligned with.
		const unrelated = "unrelated-z9q.example"
		if w := CheckAuth(h, trusted, unrelated, true); w.Checked && w.Pass && !strings.Contains(strings.ToLower(field), "z9q") {
			t.Fatalf("a pass aligned with a domain the field never names: %+v", w)
		}
		if !isPlainID(trusted) {
			return
		}
		// Fields from another authserv-id, wherever they sit, change nothing.
		forged := "forged-" + trusted + ".invalid; dmarc=fail; spf=pass smtp.mailfrom=" + fromDomain + "; dkim=pass header.d=" + fromDomain
		if w := CheckAuth(authHeader(forged, field, forged), trusted, fromDomain, requirePass); w != v {
			t.Fatalf("a forged field changed the verdict: %+v vs %+v", w, v)
		}
		// Only the topmost trusted field is read: one written on top
		// decides, whatever the field below says.
		if d := normDomain(fromDomain); isPlainID(d) {
			top := trusted + "; dmarc=pass header.from=" + d
			if w := CheckAuth(authHeader(top, field), trusted, fromDomain, true); !w.Pass {
				t.Fatalf("an aligned dmarc=pass on top was refused: %+v", w)
			}
			top = trusted + "; dmarc=fail header.from=" + d + "; dkim=pass header.d=" + d
			if w := CheckAuth(authHeader(top, field), trusted, fromDomain, false); w.Pass {
				t.Fatalf("a dmarc=fail for the From domain on top passed: %+v", w)
			}
		}
	})
}

// isPlainID reports a trusted id made of host-name characters, for which a
// distinct forged id is easy to build.
func isPlainID(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// FuzzAutomated feeds arbitrary subjects, senders and content types to the
// classifier. Seeds: testdata/fuzz/FuzzAutomated.
func FuzzAutomated(f *testing.F) {
	f.Add("Automatic reply: x", "alice@contoso.example", "text/plain", "All")
	f.Fuzz(func(t *testing.T, subject, from, contentType, suppress string) {
		h := header("Subject", subject, "X-Auto-Response-Suppress", suppress)
		automated, reason := Automated(h, contentType, from, false, []string{deskAddress})
		if automated != (reason != ReasonNone) {
			t.Fatalf("Automated = %v with reason %q", automated, reason)
		}
		// A report anywhere in the tree is always ignored (SPEC §4.4).
		if automated, _ := Automated(h, contentType, from, true, []string{deskAddress}); !automated {
			t.Fatalf("a nested multipart/report not ignored (subject %q, from %q)", subject, from)
		}
		// So is any X-Autoreply, whatever its value.
		withAutoreply := header("Subject", subject, "X-Auto-Response-Suppress", suppress, "X-Autoreply", suppress)
		if automated, _ := Automated(withAutoreply, contentType, from, false, []string{deskAddress}); !automated {
			t.Fatalf("X-Autoreply: %q not ignored (subject %q, from %q)", suppress, subject, from)
		}
		// An RFC 3834 marker always wins over whatever the rest says.
		h.Set("Auto-Submitted", "auto-replied")
		if automated, _ := Automated(h, contentType, from, false, []string{deskAddress}); !automated {
			t.Fatalf("Auto-Submitted: auto-replied not ignored (subject %q, from %q)", subject, from)
		}
	})
}
