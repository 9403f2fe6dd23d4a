package checks_test

// Helpers shared by the checks' tests: an emulated cluster on the shared
// PostgreSQL server, one check cycle into a recorder, and ways to compare
// what was recorded.

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/internal/pgtest"
	"github.com/roachdog/roachdog/internal/sinktest"
	"github.com/roachdog/roachdog/internal/testenv"
)

// testTimeout bounds opening an emulated cluster and each check cycle.
const testTimeout = 30 * time.Second

// syncBuffer collects the output of concurrent writers.
type syncBuffer = testenv.SyncBuffer

// testClock is a settable clock for the checks' Now option (intervals,
// rates, ages, forgetting).
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock(t0 time.Time) *testClock { return &testClock{t: t0} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// sqlCluster is an emulated cluster: a database of the shared PostgreSQL
// server loaded with testdata/sql files, and a check target on it whose
// logger writes everything, debug included, to logs.
type sqlCluster struct {
	srv    *pgtest.Server
	dbName string
	db     *cluster.DB
	logs   *syncBuffer
	target *checks.Target
}

// newSQLCluster loads files (from testdata/sql, in order) into a new
// database named after prefix (a copy of a template, see pgtest.Fixture)
// and connects to it with opts. The logs are
// shown when the test fails.
func newSQLCluster(t *testing.T, prefix string, opts []cluster.Option, files ...string) *sqlCluster {
	t.Helper()
	srv := pgtest.Shared(t)
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = filepath.Join(testenv.Testdata(t), "sql", f)
	}
	name := srv.Fixture(t, prefix, paths...)
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log output:\n%s", logs)
		}
	})
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	db, err := cluster.OpenDB(ctx, srv.URL(name), logger, opts...)
	if err != nil {
		t.Fatalf("OpenDB: %v", err)
	}
	t.Cleanup(db.Close)
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
	return &sqlCluster{srv: srv, dbName: name, db: db, logs: logs,
		target: &checks.Target{Cluster: "test", SQL: db, Logger: logger}}
}

// exec runs sql (several statements allowed) in the cluster's database.
func (c *sqlCluster) exec(t *testing.T, sql string) {
	t.Helper()
	c.srv.Exec(t, c.dbName, sql)
}

// run is one cycle of ch on the cluster.
func (c *sqlCluster) run(t *testing.T, ch checks.Check) (*sinktest.Recorder, error) {
	t.Helper()
	return runCheck(t, ch, c.target)
}

// runCataloged is run, failing on anything sent that the catalog does not
// describe.
func (c *sqlCluster) runCataloged(t *testing.T, ch checks.Check) (*sinktest.Recorder, error) {
	t.Helper()
	rec, err := c.run(t, ch)
	checkCatalog(t, rec, ch.Name())
	return rec, err
}

// runCheck is one cycle of ch on target, bounded by testTimeout.
func runCheck(t *testing.T, ch checks.Check, target *checks.Target) (*sinktest.Recorder, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	rec := &sinktest.Recorder{}
	err := ch.Run(ctx, target, rec)
	return rec, err
}

// checkCatalog fails when check sent something its catalog does not
// describe: unknown name, other kind, other tag keys, an event that matches
// none of check's catalog events.
func checkCatalog(t *testing.T, rec *sinktest.Recorder, check string) {
	t.Helper()
	for _, p := range rec.Points {
		m, ok := checks.Lookup(p.Name)
		if !ok {
			t.Errorf("%s %s is not in the catalog", p.Kind, p.Name)
			continue
		}
		if m.Kind != p.Kind {
			t.Errorf("%s sent as %s, catalog says %s", p.Name, p.Kind, m.Kind)
		}
		if got, want := tagKeys(p.Tags), strings.Join(m.Tags, ","); got != want {
			t.Errorf("%s tag keys %q, catalog says %q", p.Name, got, want)
		}
	}
	for _, e := range rec.Events {
		found := false
		for _, m := range checks.Catalog() {
			if m.Kind == checks.KindEvent && m.Check == check && tagKeys(e.Tags) == strings.Join(m.Tags, ",") {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("event %q with tags %v matches no catalog event of %s", e.Title, e.Tags, check)
		}
	}
}

// tagKeys is "k1,k2" for tags "k1:v1", "k2:v2", in their order.
func tagKeys(tags []string) string {
	keys := make([]string, 0, len(tags))
	for _, tg := range tags {
		k, _, _ := strings.Cut(tg, ":")
		keys = append(keys, k)
	}
	return strings.Join(keys, ",")
}

// series is a series' identity as gauges keys it: "name|sorted,tags".
func series(name string, tags ...string) string {
	return sinktest.Point{Name: name, Tags: tags}.Key()
}

// gauges returns every gauge recorded as series → value, failing on a
// series sent twice in one cycle.
func gauges(t *testing.T, rec *sinktest.Recorder) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, p := range rec.Points {
		if p.Kind != checks.KindGauge {
			continue
		}
		if _, dup := out[p.Key()]; dup {
			t.Errorf("series %s sent twice in one cycle", p.Key())
		}
		out[p.Key()] = p.Value
	}
	return out
}

// diffGauges fails unless got has exactly want's series and values.
func diffGauges(t *testing.T, got, want map[string]float64) {
	t.Helper()
	var lines []string
	for k, w := range want {
		if g, ok := got[k]; !ok {
			lines = append(lines, fmt.Sprintf("missing %s (want %g)", k, w))
		} else if g != w {
			lines = append(lines, fmt.Sprintf("%s = %g, want %g", k, g, w))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			lines = append(lines, fmt.Sprintf("unexpected %s = %g", k, g))
		}
	}
	sort.Strings(lines)
	if len(lines) > 0 {
		t.Errorf("gauges differ:\n%s", strings.Join(lines, "\n"))
	}
}

// metricLines renders the recorded gauges and counts, one per line, sorted:
// "gauge name tag1,tag2 = value" (tags sorted).
func metricLines(rec *sinktest.Recorder) []string {
	var out []string
	for _, p := range rec.Points {
		if p.Kind == checks.KindServiceCheck {
			continue
		}
		tags := append([]string(nil), p.Tags...)
		sort.Strings(tags)
		out = append(out, fmt.Sprintf("%s %s %s = %g", p.Kind, p.Name, strings.Join(tags, ","), p.Value))
	}
	sort.Strings(out)
	return out
}

// diffMetricLines fails unless got (from metricLines) is want in any order.
func diffMetricLines(t *testing.T, got, want []string) {
	t.Helper()
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("metrics:\n got:\n  %s\n want:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// serviceCheck returns the single service check name with tags.
func serviceCheck(t *testing.T, rec *sinktest.Recorder, name string, tags ...string) sinktest.Point {
	t.Helper()
	p := rec.One(t, name, tags...)
	if p.Kind != checks.KindServiceCheck {
		t.Fatalf("%s is a %s, want a service check", name, p.Kind)
	}
	return p
}

// canQuery returns the single sql.can_query service check of check.
func canQuery(t *testing.T, rec *sinktest.Recorder, check string) sinktest.Point {
	t.Helper()
	return serviceCheck(t, rec, "sql.can_query", "check:"+check)
}
