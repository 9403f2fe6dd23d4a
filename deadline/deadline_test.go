package deadline

import (
	"testing"
	"time"
)

// TestCycle: a cycle may take its check's timeout, never more than 80% of
// the interval; no timeout takes the whole share; no interval leaves the
// timeout as it is.
func TestCycle(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		interval, timeout, want time.Duration
	}{
		{15 * time.Second, 5 * time.Second, 5 * time.Second},
		{15 * time.Second, 12 * time.Second, 12 * time.Second},
		{15 * time.Second, 15 * time.Second, 12 * time.Second},
		{15 * time.Second, 0, 12 * time.Second},
		{15 * time.Second, -time.Second, 12 * time.Second},
		{time.Hour, time.Minute, time.Minute},
		{10 * time.Second, time.Minute, 8 * time.Second},
		{2 * time.Second, 5 * time.Second, 1600 * time.Millisecond},
		{0, 5 * time.Second, 5 * time.Second},
		{0, 0, 0},
	} {
		got := Cycle(tc.interval, tc.timeout)
		if got != tc.want {
			t.Errorf("Cycle(%s, %s) = %s, want %s", tc.interval, tc.timeout, got, tc.want)
		}
		if again := Cycle(tc.interval, got); again != got {
			t.Errorf("Cycle(%s, Cycle(%s, %s)) = %s, want %s again", tc.interval, tc.interval, tc.timeout, again, got)
		}
	}
}

// TestStatement: the longest cycle, never below the floor.
func TestStatement(t *testing.T) {
	t.Parallel()
	const floor = 10 * time.Second
	for _, tc := range []struct {
		name   string
		cycles []time.Duration
		want   time.Duration
	}{
		{"no SQL check", nil, floor},
		{"short cycles keep the floor", []time.Duration{5 * time.Second, 8 * time.Second}, floor},
		{"the longest cycle", []time.Duration{10 * time.Second, time.Minute, 20 * time.Second}, time.Minute},
	} {
		if got := Statement(floor, tc.cycles...); got != tc.want {
			t.Errorf("%s: Statement = %s, want %s", tc.name, got, tc.want)
		}
	}
}
