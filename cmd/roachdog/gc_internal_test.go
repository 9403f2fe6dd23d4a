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
	if got := setGC(unset); got != defaultGCPercent {
		t.Errorf("GOGC unset: setGC = %d, want %d", got, defaultGCPercent)
	}
	if got := debug.SetGCPercent(100); got != defaultGCPercent {
		t.Errorf("GOGC unset: GC percent in force %d, want %d", got, defaultGCPercent)
	}

	// GOGC set: the runtime read it at start; setGC leaves it alone.
	debug.SetGCPercent(80)
	set := func(k string) (string, bool) { return "80", k == "GOGC" }
	if got := setGC(set); got != 80 {
		t.Errorf("GOGC=80: setGC = %d, want 80", got)
	}
	if got := debug.SetGCPercent(100); got != 80 {
		t.Errorf("GOGC=80: GC percent in force %d, want 80", got)
	}

	// GOGC=off: read as -1, as debug.SetGCPercent reports it, and left off.
	debug.SetGCPercent(-1)
	if got := setGC(set); got != -1 {
		t.Errorf("GOGC=off: setGC = %d, want -1", got)
	}
	if got := debug.SetGCPercent(100); got != -1 {
		t.Errorf("GOGC=off: GC percent in force %d, want -1", got)
	}
}
