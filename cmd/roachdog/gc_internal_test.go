package main

import (
	"runtime/debug"
	"testing"
)

// Not parallel: the GC percentage is the process's.
func TestSetGC(t *testing.T) {
	old := debug.SetGCPercent(100)
	defer debug.SetGCPercent(old)

	unset := func(string) (string, bool) { return "", false }
	setGC(unset)
	if got := debug.SetGCPercent(100); got != defaultGCPercent {
		t.Errorf("GOGC unset: GC percent in force %d, want %d", got, defaultGCPercent)
	}

	// GOGC set: the runtime read it at start; setGC leaves it alone.
	set := func(k string) (string, bool) { return "80", k == "GOGC" }
	debug.SetGCPercent(80)
	setGC(set)
	if got := debug.SetGCPercent(100); got != 80 {
		t.Errorf("GOGC=80: GC percent in force %d, want 80", got)
	}

	// GOGC=off stays off.
	debug.SetGCPercent(-1)
	setGC(set)
	if got := debug.SetGCPercent(100); got != -1 {
		t.Errorf("GOGC=off: GC percent in force %d, want -1", got)
	}
}
