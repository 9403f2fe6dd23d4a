package exporter

import (
	"bytes"
	"context"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/internal/dsdtest"
)

func TestTextLines(t *testing.T) {
	clearDDEnv(t)
	var buf bytes.Buffer
	s := NewText(&buf, "crdb", []string{"cluster:test"})
	s.Gauge("capacity.used", 42.5, []string{"node_id:1"})
	s.Gauge("ratio", 1e-7, nil)
	s.Gauge("big", 1e21, nil)
	s.Gauge("nan", math.NaN(), nil)
	s.Gauge("inf", math.Inf(1), nil)
	s.Count("sql.queries", 7, []string{"node_id:1"})
	s.Count("restarts", -2, nil)
	s.ServiceCheck("node.can_scrape", checks.Critical, "down: m:x\nretry", []string{"node_id:1"})
	s.ServiceCheck("node.ok", checks.OK, "", nil)
	s.Event(checks.Event{Title: "node restarted", Text: "node 1\nrestarted", AggregationKey: "node-1",
		AlertType: checks.WarningAlert, Timestamp: time.Unix(1700000000, 0), Tags: []string{"node_id:1"}})
	s.Event(checks.Event{Title: "t", Text: "x"})
	want := strings.Join([]string{
		"crdb.capacity.used:42.5|g|#cluster:test,node_id:1",
		"crdb.ratio:0.0000001|g|#cluster:test",
		"crdb.big:1000000000000000000000|g|#cluster:test",
		"crdb.sql.queries:7|c|#cluster:test,node_id:1",
		"crdb.restarts:-2|c|#cluster:test",
		`_sc|crdb.node.can_scrape|2|#cluster:test,node_id:1|m:down: m\:x\nretry`,
		"_sc|crdb.node.ok|0|#cluster:test",
		`_e{14,17}:node restarted|node 1\nrestarted|d:1700000000|k:node-1|t:warning|#cluster:test,node_id:1`,
		"_e{1,1}:t|x|#cluster:test",
	}, "\n") + "\n"
	if got := buf.String(); got != want {
		t.Errorf("Text wrote\n%s\nwant\n%s", got, want)
	}
	if s.Err() != nil {
		t.Errorf("Err = %v", s.Err())
	}
	// Every line must be valid DogStatsD.
	if _, err := dsdtest.Parse(buf.String()); err != nil {
		t.Errorf("Text output does not parse: %v", err)
	}
}

func TestTextNoNamespaceNoTags(t *testing.T) {
	clearDDEnv(t)
	var buf bytes.Buffer
	s := NewText(&buf, "", nil)
	s.Gauge("up", 1, nil)
	s.ServiceCheck("ok", checks.OK, "", nil)
	if want := "up:1|g\n_sc|ok|0\n"; buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
}

type failingWriter struct{ n int }

func (f *failingWriter) Write(p []byte) (int, error) {
	f.n++
	return 0, context.DeadlineExceeded
}

func TestTextWriteError(t *testing.T) {
	t.Parallel()
	w := &failingWriter{}
	s := NewText(w, "crdb", nil)
	s.Gauge("a", 1, nil)
	s.Gauge("b", 1, nil)
	if s.Err() == nil || w.n != 1 {
		t.Errorf("Err = %v after %d writes; want the first error and no more writes", s.Err(), w.n)
	}
}

func TestTextConcurrent(t *testing.T) {
	clearDDEnv(t)
	var buf bytes.Buffer
	s := NewText(&buf, "crdb", []string{"cluster:test"})
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			for range 50 {
				s.Gauge("g", 1.5, []string{"node_id:1"})
			}
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 1000 {
		t.Fatalf("%d lines, want 1000", len(lines))
	}
	for _, l := range lines {
		if l != "crdb.g:1.5|g|#cluster:test,node_id:1" {
			t.Fatalf("interleaved line %q", l)
		}
	}
}

// TestTextMatchesClient sends the same calls through the real datadog-go
// client (the DogStatsD sink) and the Text sink, and compares the lines
// byte for byte: the dry run must show exactly what goes on the wire.
func TestTextMatchesClient(t *testing.T) {
	clearDDEnv(t)
	t.Setenv("DD_ENV", "ci")        // the client adds env:ci itself...
	t.Setenv("DD_SERVICE", "roach") // ...and service:roach
	t.Setenv("DD_CARDINALITY", "low")
	global := []string{"cluster:test", "env:ci", "team:db"} // ...so env:ci must not be sent twice

	calls := func(s checks.Sink) {
		s.Gauge("capacity.used", 42.5, []string{"node_id:1"})
		s.Gauge("ratio", 0.1+0.2, []string{"node_id:1"})
		s.Gauge("tiny", 1e-7, nil)
		s.Gauge("big", 1e21, nil)
		s.Gauge("neg", -3, []string{"node_id:2"})
		s.Gauge("bad.tag", 1, []string{"a\nb:c"})
		s.Count("sql.queries", 7, []string{"node_id:1"})
		s.Count("restarts", -2, nil)
		s.Count("zero", 0, []string{"x:y"})
		s.ServiceCheck("node.can_scrape", checks.Critical, "down: m:x\nretry", []string{"node_id:1"})
		s.ServiceCheck("node.ok", checks.OK, "", nil)
		s.Event(checks.Event{Title: "node restarted", Text: "node 1\nrestarted", AggregationKey: "node-1",
			AlertType: checks.WarningAlert, Timestamp: time.Unix(1700000000, 0), Tags: []string{"node_id:1"}})
		s.Event(checks.Event{Title: "plain", Text: "text"})
	}
	const n = 13

	srv := dsdtest.Listen(t)
	d, err := NewDogStatsD(t.Context(), srv.Addr(), "crdb", global, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	calls(d)
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	snap := srv.WaitFor(t, 10*time.Second, func(s dsdtest.Snapshot) bool { return len(s.Lines) >= n })

	var buf bytes.Buffer
	calls(NewText(&buf, "crdb", global))
	text := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")

	wire := slices.Clone(snap.Lines)
	slices.Sort(wire)
	slices.Sort(text)
	if !slices.Equal(wire, text) {
		t.Errorf("Text differs from the wire\nwire:\n%s\ntext:\n%s", strings.Join(wire, "\n"), strings.Join(text, "\n"))
	}
	// Guard the test itself: the interesting features must be exercised.
	joined := strings.Join(wire, "\n")
	for _, want := range []string{"|#cluster:test,team:db,env:ci,service:roach,node_id:1|card:low", `m\:x\nretry`, "crdb.big:1000000000000000000000|g"} {
		if !strings.Contains(joined, want) {
			t.Errorf("wire lacks %q:\n%s", want, joined)
		}
	}
}
