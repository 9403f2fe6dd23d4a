package suggest

import "testing"

func TestDistance(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"abc", "", 3},
		{"interval", "interval", 0},
		{"intervall", "interval", 1}, // deletion
		{"intrval", "interval", 1},   // insertion
		{"gage", "gauge", 1},
		{"guage", "gauge", 2}, // a transposition is two edits
		{"kitten", "sitting", 3},
		{"flaw", "lawn", 2},
		{"status_url", "status_urls", 1},
		{"abc", "xyz", 3},
		{"é", "e", 2}, // bytes, not runes
	} {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := Distance(tc.b, tc.a); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d (symmetric)", tc.b, tc.a, got, tc.want)
		}
	}
}

func TestClosest(t *testing.T) {
	t.Parallel()
	types := []string{"count", "gauge", "monotonic_count", "rate", "tag"}
	for _, tc := range []struct {
		name       string
		word       string
		candidates []string
		maxDist    int
		want       string
		wantOK     bool
	}{
		{"exact", "gauge", types, 0, "gauge", true},
		{"typo within reach", "gage", types, 2, "gauge", true},
		{"at the limit", "guage", types, 2, "gauge", true},
		{"beyond the limit", "guage", types, 1, "", false},
		{"nearest, not first near", "monotonic_coutn", types, 5, "monotonic_count", true},
		// "tap" is one edit from "tag", more from the others.
		{"nearest of several", "tap", types, 2, "tag", true},
		// "bat" is one edit from "bar" and "cat": the first listed wins.
		{"tie: first in order", "bat", []string{"cat", "bar"}, 1, "cat", true},
		{"tie: first in order, reversed", "bat", []string{"bar", "cat"}, 1, "bar", true},
		{"no candidates", "gauge", nil, 10, "", false},
		{"empty word", "", []string{"ab", "a"}, 1, "a", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Closest(tc.word, tc.candidates, tc.maxDist)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("Closest(%q, %q, %d) = %q, %v, want %q, %v", tc.word, tc.candidates, tc.maxDist, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}
