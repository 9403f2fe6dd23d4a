package checks

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestOneLineText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in string
		n        int
		want     string
	}{
		{"plain", "GET node1/_status/hotranges: HTTP 502", 100, "GET node1/_status/hotranges: HTTP 502"},
		{"newlines and tabs fold", "a\r\n\tb\n\nc", 100, "a b c"},
		{"runs of spaces fold", "  a   b  ", 100, "a b"},
		{"escape and bidi override", "ok\x1b[31mred\u202egnp.exe", 100, "ok [31mred gnp.exe"},
		{"non-breaking and zero-width", "a\u00a0b\u200bc", 100, "a b c"},
		{"cut with ellipsis", strings.Repeat("x", 20), 10, strings.Repeat("x", 7) + "…"},
		{"cut not inside a rune", "aéééé", 7, "aé…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := oneLineText(tc.in, tc.n)
			if got != tc.want {
				t.Errorf("oneLineText(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
			}
			if len(got) > tc.n || !utf8.ValidString(got) {
				t.Errorf("oneLineText(%q, %d) = %q: longer than %d bytes or not UTF-8", tc.in, tc.n, got, tc.n)
			}
		})
	}
}
