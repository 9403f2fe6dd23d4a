package checks

import (
	"errors"
	"slices"
	"testing"
	"time"
	"unicode/utf8"
)

func TestTTLFollowerReadRefused(t *testing.T) {
	t.Parallel()
	if !ttlFollowerReadRefused(errors.New(`ERROR: follower_read_timestamp(): use of follower reads requires an enterprise license (SQLSTATE XXC02)`)) {
		t.Error("enterprise refusal not recognised")
	}
	if ttlFollowerReadRefused(errors.New("timeout after 5s: canceling statement due to statement timeout")) {
		t.Error("a timeout taken for a refusal")
	}
}

func TestJobsParseHLCDecimal(t *testing.T) {
	t.Parallel()
	ts, ok := jobsParseHLCDecimal("1768046370000000000.0000000002")
	if !ok || ts.UTC().Format("2006-01-02 15:04:05") != "2026-01-10 11:59:30" {
		t.Errorf("got %v %v", ts, ok)
	}
	if ts, ok := jobsParseHLCDecimal("1795315406750677983"); !ok || ts.UnixNano() != 1795315406750677983 {
		t.Errorf("got %v %v", ts, ok)
	}
	for _, in := range []string{"", "0", "0.0000000000", "abc", "-5"} {
		if _, ok := jobsParseHLCDecimal(in); ok {
			t.Errorf("jobsParseHLCDecimal(%q) ok", in)
		}
	}
}

func TestJobsTruncate(t *testing.T) {
	t.Parallel()
	if got := truncateText("short", 10); got != "short" {
		t.Errorf("got %q", got)
	}
	got := truncateText("ééééééééé", 8) // 2 bytes each
	if !utf8.ValidString(got) || len(got) > 8 || got != "éé…" {
		t.Errorf("got %q (%d bytes)", got, len(got))
	}
	long := make([]byte, 10000)
	for i := range long {
		long[i] = 'x'
	}
	e := jobsFailureEvent(1, string(long[:200]), jobsFailed, string(long), string(long), time.Time{})
	if len(e.Title) > jobsEventTitleMax || len(e.Text) > jobsEventTextMax {
		t.Errorf("event title %d bytes, text %d bytes", len(e.Title), len(e.Text))
	}
}

// TestTTLTableMetrics: the sweep marks a listed table's series present by
// ttlTableMetrics; a per-table gauge missing from it would get a 0 at the
// next cycle although its table is still there.
func TestTTLTableMetrics(t *testing.T) {
	t.Parallel()
	var want []string
	for _, m := range Catalog() {
		if m.Check == ttlCheckName && m.Kind == KindGauge && slices.Equal(m.Tags, []string{"database", "table"}) {
			want = append(want, m.Name)
		}
	}
	var got []string
	for _, d := range ttlTableMetrics {
		got = append(got, d.Name())
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("ttlTableMetrics = %q, want the catalog's per-table gauges %q", got, want)
	}
}
