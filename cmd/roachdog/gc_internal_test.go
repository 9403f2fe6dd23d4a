package main

import (
	"io"
	"runtime"
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

// Not parallel: GOMAXPROCS is the process's.
func TestSetMaxProcs(t *testing.T) {
	old := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(old)
	unset := func(string) (string, bool) { return "", false }
	env := func(k string) (string, bool) { return "3", k == "GOMAXPROCS" }
	parse := func(args ...string) runFlags {
		t.Helper()
		f, err := parseRunFlags(args, io.Discard)
		if err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		return f
	}
	for _, tc := range []struct {
		name   string
		args   []string
		lookup func(string) (string, bool)
		before int
		want   int
	}{
		{"default", nil, unset, 3, defaultMaxProcs},
		{"flag", []string{"--gomaxprocs", "2"}, unset, 3, 2},
		// The runtime applied GOMAXPROCS=3 at start: left alone.
		{"environment", nil, env, 3, 3},
		{"flag over environment", []string{"--gomaxprocs", "2"}, env, 3, 2},
		{"flag 1 over environment", []string{"--gomaxprocs=1"}, env, 3, 1},
	} {
		runtime.GOMAXPROCS(tc.before)
		setMaxProcs(parse(tc.args...), tc.lookup)
		if got := runtime.GOMAXPROCS(0); got != tc.want {
			t.Errorf("%s: GOMAXPROCS %d, want %d", tc.name, got, tc.want)
		}
	}
	// 0: Go's own default, whatever the environment says.
	runtime.SetDefaultGOMAXPROCS()
	want := runtime.GOMAXPROCS(0)
	runtime.GOMAXPROCS(1)
	setMaxProcs(parse("--gomaxprocs", "0"), env)
	if got := runtime.GOMAXPROCS(0); got != want {
		t.Errorf("--gomaxprocs 0: GOMAXPROCS %d, want Go's default %d", got, want)
	}
	if _, err := parseRunFlags([]string{"--gomaxprocs", "-1"}, io.Discard); err == nil {
		t.Errorf("--gomaxprocs -1 accepted")
	}
}
