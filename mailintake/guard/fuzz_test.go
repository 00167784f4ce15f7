package guard

import "testing"

// FuzzCheckAuth feeds arbitrary Authentication-Results values to the parser
// and checks the verdict's invariants. Seeds: testdata/fuzz/FuzzCheckAuth.
func FuzzCheckAuth(f *testing.F) {
	f.Add("mx.example.net; dmarc=fail", "mx.example.net", false)
	f.Fuzz(func(t *testing.T, field, trusted string, requireAlign bool) {
		h := authHeader(field)
		v := CheckAuth(h, trusted, requireAlign)

		if !v.Checked && !v.Pass {
			t.Fatalf("unchecked message refused: %+v", v)
		}
		if v.DMARC == "fail" && v.Pass {
			t.Fatalf("dmarc=fail passed: %+v", v)
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
		// The alignment requirement only ever refuses more.
		if loose := CheckAuth(h, trusted, false); v.Pass && !loose.Pass {
			t.Fatalf("passes with requireAlign but not without: %+v vs %+v", v, loose)
		}
		// Fields from another authserv-id, wherever they sit, change nothing.
		if isPlainID(trusted) {
			forged := "forged-" + trusted + ".invalid; dmarc=fail; spf=pass; dkim=pass"
			w := CheckAuth(authHeader(forged, field, forged), trusted, requireAlign)
			if w != v {
				t.Fatalf("a forged field changed the verdict: %+v vs %+v", w, v)
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
		automated, reason := Automated(h, contentType, from, []string{deskAddress})
		if automated != (reason != ReasonNone) {
			t.Fatalf("Automated = %v with reason %q", automated, reason)
		}
		// An RFC 3834 marker always wins over whatever the rest says.
		h.Set("Auto-Submitted", "auto-replied")
		if automated, _ := Automated(h, contentType, from, []string{deskAddress}); !automated {
			t.Fatalf("Auto-Submitted: auto-replied not ignored (subject %q, from %q)", subject, from)
		}
	})
}
