package emit

import (
	"strings"
	"testing"
)

// TestTagAtMost200: Datadog allows 200 characters for the whole tag; the
// key and the value used to be cut at 200 each (401 in all).
func TestTagAtMost200(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ key, value, want string }{
		{"table", "Orders|X\n", "table:orders_x_"},
		{strings.Repeat("k", 300), strings.Repeat("v", 300), strings.Repeat("k", 100) + ":" + strings.Repeat("v", 99)},
		{"zone", strings.Repeat("z", 300), "zone:" + strings.Repeat("z", 195)},
	} {
		got := Tag(tt.key, tt.value)
		if got != tt.want || len(got) > 200 {
			t.Errorf("Tag(%.20q, %.20q) = %.60q (%d chars), want %.60q", tt.key, tt.value, got, len(got), tt.want)
		}
	}
}
