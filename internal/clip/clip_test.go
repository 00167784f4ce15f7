package clip_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/licensedesk/licensedesk/internal/clip"
)

func TestTextCutsOnARuneBoundaryAndMarksTheCut(t *testing.T) {
	tests := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{"a text that fits is kept", "licences", 8, "licences"},
		{"a long text is cut and marked", "abcdefghij", 7, "abcd…"},
		{"a cut never splits a character", "éééé", 6, "é…"},
		{"a bound below the mark keeps only the mark", "abcdef", 2, "…"},
		{"the mark counts in the bound", "abcdefghij", 8, "abcde…"},
		{"two-byte characters stay whole", "ééééé", 7, "éé…"},
		{"three-byte characters stay whole", "日本語テキスト", 10, "日本…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := clip.Text(tt.in, tt.n)
			if got != tt.want {
				t.Errorf("Text(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
		})
	}
}

func FuzzText(f *testing.F) {
	f.Add("Réponse automatique", 10)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 0 || n > 1<<16 {
			return
		}
		got := clip.Text(s, n)
		if len(s) <= n && got != s {
			t.Fatalf("a text that fits was changed: %q → %q", s, got)
		}
		if len(s) > n {
			if !strings.HasSuffix(got, clip.Mark) || len(got) > max(n, len(clip.Mark)) {
				t.Fatalf("Text(%q, %d) = %q", s, n, got)
			}
			if utf8.ValidString(s) && !utf8.ValidString(got) {
				t.Fatalf("the cut split a character: %q", got)
			}
		}
	})
}
