package ledger

import (
	"regexp"
	"testing"
	"time"
)

// The hand-written checks accept exactly the language of the regular
// expressions they replaced.
func TestIDChecksAcceptWhatTheirPatternsAccept(t *testing.T) {
	tenant := regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	request := regexp.MustCompile(`^LD-[0-9A-HJKMNP-TV-Z]{26}$`)
	long := "a123456789b123456789c123456789d123456789e123456789f123456789abc"
	tenants := []string{"", "a", "-", "-a", "a-", "contoso", "Contoso", "con toso", "con_toso", "é", "a\n", "\na",
		long, long + "d", long[:62], "0", "9-9", "a.b", "ab\x00"}
	for _, s := range tenants {
		if got, want := ValidTenantID(s), tenant.MatchString(s); got != want {
			t.Errorf("ValidTenantID(%q) = %v, want %v", s, got, want)
		}
	}
	id := NewRequestID(time.Now())
	requests := []string{"", id, id + "\n", id[:28], id + "0", "ld" + id[2:], "LD_" + id[3:], "LD-0123456789ABCDEFGHJKMNPQRS",
		"LD-0123456789ABCDEFGHJKMNPQRI", "LD-0123456789ABCDEFGHJKMNPQRL", "LD-0123456789ABCDEFGHJKMNPQRO", "LD-0123456789ABCDEFGHJKMNPQRU",
		"LD-0123456789abcdefghjkmnpqrs", "LD-0123456789ABCDEFGHJKMNPQRZ"}
	for _, s := range requests {
		if got, want := ValidRequestID(s), request.MatchString(s); got != want {
			t.Errorf("ValidRequestID(%q) = %v, want %v", s, got, want)
		}
	}
	for c := 0; c < 256; c++ {
		s := "LD-0123456789ABCDEFGHJKMNPQR" + string(rune(c))
		if got, want := ValidRequestID(s), request.MatchString(s); got != want {
			t.Errorf("ValidRequestID(%q) = %v, want %v", s, got, want)
		}
		s = "a" + string(rune(c))
		if got, want := ValidTenantID(s), tenant.MatchString(s); got != want {
			t.Errorf("ValidTenantID(%q) = %v, want %v", s, got, want)
		}
	}
}
