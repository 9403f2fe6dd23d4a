package checks

import "testing"

func TestTopNOption(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n, want int
		err     string
	}{
		{n: 0, want: 20},
		{n: 1, want: 1},
		{n: 50, want: 50},
		{n: -1, err: "x: top_n must be between 1 and 50, got -1"},
		{n: 51, err: "x: top_n must be between 1 and 50, got 51"},
	} {
		got, err := topNOption("x", tc.n, 20, 50)
		switch {
		case tc.err != "" && (err == nil || err.Error() != tc.err):
			t.Errorf("topNOption(%d) = %d, %v; want error %q", tc.n, got, err, tc.err)
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("topNOption(%d) = %d, %v; want %d", tc.n, got, err, tc.want)
		}
	}
}
