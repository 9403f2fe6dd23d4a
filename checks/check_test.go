package checks_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/roachdog/roachdog/checks"
)

// TestTargetLog: a check logs through Target.Log whether or not the runner
// set a logger, even on a nil Target.
func TestTargetLog(t *testing.T) {
	t.Parallel()
	logger := slog.New(slog.NewTextHandler(&syncBuffer{}, nil))
	if got := (&checks.Target{Logger: logger}).Log(); got != logger {
		t.Errorf("Log() = %p, want the Target's logger %p", got, logger)
	}
	for name, tg := range map[string]*checks.Target{"unset": {}, "nil Target": nil} {
		l := tg.Log()
		if l == nil {
			t.Fatalf("%s: Log() = nil", name)
		}
		if l.Enabled(context.Background(), slog.LevelError) {
			t.Errorf("%s: Log() is enabled, want a logger that discards", name)
		}
		l.Error("dropped") // must not panic
	}
}
