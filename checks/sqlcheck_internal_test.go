package checks

import (
	"errors"
	"strings"
	"testing"

	"github.com/roachdog/roachdog/internal/sinktest"
)

// TestReportQueryOneLine: sql.can_query's message, made of a server's error
// text or a check's warning, is one printable line of at most
// errorMessageMax bytes, whatever the text held.
func TestReportQueryOneLine(t *testing.T) {
	t.Parallel()
	hostile := "ERROR: boom\nDETAIL: \x1b[31mred\r\n" + strings.Repeat("é", 3000)
	for _, tc := range []struct {
		name string
		send func(*sinktest.Recorder)
	}{
		{"error", func(r *sinktest.Recorder) { reportQuery(r, "jobs", errors.New(hostile)) }},
		{"warning", func(r *sinktest.Recorder) { reportQueryWarning(r, "jobs", nil, hostile) }},
	} {
		rec := &sinktest.Recorder{}
		tc.send(rec)
		if len(rec.Points) != 1 {
			t.Fatalf("%s: %d points", tc.name, len(rec.Points))
		}
		m := rec.Points[0].Message
		if strings.ContainsAny(m, "\n\r\x1b") || len(m) > errorMessageMax {
			t.Errorf("%s: message not one bounded line (%d bytes): %.80q", tc.name, len(m), m)
		}
		if !strings.HasPrefix(m, "jobs: ERROR: boom DETAIL: [31mred é") {
			t.Errorf("%s: message %.60q", tc.name, m)
		}
	}
}
