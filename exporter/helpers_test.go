package exporter

import (
	"io"
	"log/slog"

	"github.com/roachdog/roachdog/internal/testenv"
)

func newTextLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// syncBuffer collects the output of concurrent writers.
type syncBuffer = testenv.SyncBuffer
