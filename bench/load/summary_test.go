package main

import (
	"strings"
	"testing"
)

func TestSummarize(t *testing.T) {
	t.Parallel()
	rows := []result{
		{name: "floor", cpu: 0.002, hwm: 1024},
		{name: "roachdog", cpu: 0.015, hwm: 30 * 1024},
		{name: "roachdog", cpu: 0.021, hwm: 34 * 1024},
		{name: "roachdog", cpu: 0.017, hwm: 32 * 1024},
		{name: "roachdog", cpu: 0.019, hwm: 33 * 1024},
	}
	var b strings.Builder
	summarize(&b, rows)
	want := "roachdog, 4 runs: % of a core median 1.80 (1.50-2.10), peak RSS MB median 32.5 (30.0-34.0)\n"
	if b.String() != want {
		t.Errorf("got %q, want %q (one run of floor: no line)", b.String(), want)
	}
	if m := median([]float64{3, 1, 2}); m != 2 {
		t.Errorf("median of 3 1 2 = %v", m)
	}
}
