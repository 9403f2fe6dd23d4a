package checks_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/internal/testenv"
)

// rangesReportsWant is what the real v20.2 replication reports
// (scenario_v20.2_reports.sql) must produce, at 02:45:10Z: 5.585835 s after
// the oldest report (02:45:04.414165Z).
var rangesReportsWant = map[string]float64{
	series("replication.constraint_violations", "zone:table_shop.public.customers", "constraint:_zone_a"): 4,
	series("replication.constraint_violations", "zone:table_shop.public.orders", "constraint:_zone_a:1"):  0,
	series("replication.ranges_at_risk", "zone:range_default", "locality:region_us-east"):                 2,
	series("replication.ranges_at_risk", "zone:database_system", "locality:region_us-east"):               30,
	series("replication.ranges_at_risk", "zone:range_meta", "locality:region_us-east"):                    1,
	series("replication.ranges_at_risk", "zone:range_system", "locality:region_us-east"):                  2,
	series("replication.ranges_at_risk", "zone:range_liveness", "locality:region_us-east"):                1,
	series("replication.ranges_at_risk", "zone:table_shop.public.customers", "locality:region_us-east"):   4,
	series("replication.ranges_at_risk", "zone:table_shop.public.orders", "locality:region_us-east"):      1,
	series("replication.ranges.underreplicated"):                                                          34,
	series("replication.ranges.unavailable"):                                                              0,
	series("replication.ranges.overreplicated"):                                                           0,
	series("replication.report_age"):                                                                      5.585835,
}

var rangesV20Now = time.Date(2026, 11, 22, 2, 45, 10, 0, time.UTC)

func newRangesV20(t *testing.T, opts ...cluster.Option) *sqlCluster {
	return newSQLCluster(t, "ranges_v20", opts, "crdb_v20.2.sql", "crdb_v20.2_ranges.sql", "scenario_v20.2_reports.sql")
}

// TestRangesReportsV20 runs the check on the real replication reports of
// the v20.2 fixture cluster.
func TestRangesReportsV20(t *testing.T) {
	t.Parallel()
	c := newRangesV20(t)
	clock := newTestClock(rangesV20Now)
	r, err := checks.NewRanges(checks.RangesOptions{Now: clock.Now, ForgetAfter: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := c.run(t, r)
	if err != nil {
		t.Fatal(err)
	}
	diffGauges(t, gauges(t, rec), rangesReportsWant)
	if q := canQuery(t, rec, "ranges"); q.Status != checks.OK {
		t.Errorf("sql.can_query = %s %q", q.Status, q.Message)
	}

	// The customers violation resolves and its row goes; the next report
	// is 10 s later. The vanished series is sent as 0 until ForgetAfter.
	c.exec(t, `DELETE FROM system.replication_constraint_stats WHERE zone_id = 53;
		UPDATE system.reports_meta SET "generated" = "generated" + interval '10 seconds'`)
	clock.Add(10 * time.Second)
	rec, err = c.run(t, r)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{}
	for k, v := range rangesReportsWant {
		want[k] = v
	}
	want[series("replication.constraint_violations", "zone:table_shop.public.customers", "constraint:_zone_a")] = 0
	diffGauges(t, gauges(t, rec), want)

	clock.Add(time.Hour)
	rec, err = c.run(t, r)
	if err != nil {
		t.Fatal(err)
	}
	if ps := rec.Find("replication.constraint_violations", "zone:table_shop.public.customers"); len(ps) != 0 {
		t.Errorf("series still sent after ForgetAfter: %v", ps)
	}
}

// TestRangesReportsScenarioIsTheFixture keeps scenario_v20.2_reports.sql
// equal to the captured CSVs it was written from.
func TestRangesReportsScenarioIsTheFixture(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(testenv.Fixtures(t), "cockroach-v20.2", "healthy", "sql")
	c := newRangesV20(t)
	for _, tc := range []struct{ csv, query string }{
		{"system.replication_constraint_stats.csv", `SELECT zone_id, subzone_id, type, config, report_id, COALESCE(to_char(violation_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00:00', 'NULL'), violating_ranges FROM system.replication_constraint_stats ORDER BY 1, 2, 3, 4`},
		{"system.replication_critical_localities.csv", `SELECT zone_id, subzone_id, locality, report_id, at_risk_ranges FROM system.replication_critical_localities ORDER BY 1, 2, 3`},
		{"system.replication_stats.csv", `SELECT zone_id, subzone_id, report_id, total_ranges, unavailable_ranges, under_replicated_ranges, over_replicated_ranges FROM system.replication_stats ORDER BY 1, 2`},
		{"system.reports_meta.csv", `SELECT id, to_char("generated" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00:00' FROM system.reports_meta ORDER BY 1`},
		{"crdb_internal.zones.csv", `SELECT zone_id, subzone_id, COALESCE(target, 'NULL') FROM crdb_internal.zones ORDER BY 1, 2`},
	} {
		f, err := os.Open(filepath.Join(dir, tc.csv))
		if err != nil {
			t.Fatal(err)
		}
		records, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", tc.csv, err)
		}
		rows, err := c.db.Query(t.Context(), tc.query)
		if err != nil {
			t.Fatalf("%s: %v", tc.query, err)
		}
		var got [][]string
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				t.Fatal(err)
			}
			row := make([]string, len(vals))
			for i, v := range vals {
				row[i] = fmt.Sprint(v)
			}
			got = append(got, row)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		var want [][]string
		for _, rec := range records[1:] {
			if tc.csv == "crdb_internal.zones.csv" {
				rec = rec[:3]
			}
			// The fixture trims trailing zeros of fractional seconds.
			for i, v := range rec {
				if strings.HasSuffix(v, "+00:00") && strings.Contains(v, ".") {
					rec[i] = rangesPadMicros(v)
				}
			}
			want = append(want, rec)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s differs from the scenario:\nscenario %v\nfixture  %v", tc.csv, got, want)
		}
	}
}

func rangesPadMicros(v string) string {
	ts, tz, _ := strings.Cut(v, "+")
	sec, frac, _ := strings.Cut(ts, ".")
	return sec + "." + (frac + "000000")[:6] + "+" + tz
}

func TestRangesReportsPartialFailure(t *testing.T) {
	t.Parallel()
	c := newRangesV20(t)
	c.exec(t, `DROP TABLE system.replication_critical_localities; DROP TABLE crdb_internal.zones`)
	r, err := checks.NewRanges(checks.RangesOptions{Now: func() time.Time { return rangesV20Now }})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := c.run(t, r)
	if err != nil {
		t.Fatalf("Run failed although most reports were read: %v", err)
	}
	diffGauges(t, gauges(t, rec), map[string]float64{
		// No zone names: both zones' rows fall into zone:unknown, summed.
		series("replication.constraint_violations", "zone:unknown", "constraint:_zone_a"):   4,
		series("replication.constraint_violations", "zone:unknown", "constraint:_zone_a:1"): 0,
		series("replication.ranges.underreplicated"):                                        34,
		series("replication.ranges.unavailable"):                                            0,
		series("replication.ranges.overreplicated"):                                         0,
		series("replication.report_age"):                                                    5.585835,
	})
	q := canQuery(t, rec, "ranges")
	if q.Status != checks.Critical || !strings.Contains(q.Message, "crdb_internal.zones") || !strings.Contains(q.Message, "system.replication_critical_localities") {
		t.Errorf("sql.can_query = %s %q", q.Status, q.Message)
	}

	c.exec(t, `DROP TABLE system.replication_constraint_stats; DROP TABLE system.replication_stats; DROP TABLE system.reports_meta`)
	rec, err = c.run(t, r)
	if err == nil {
		t.Fatal("Run succeeded with no report readable")
	}
	if q := canQuery(t, rec, "ranges"); q.Status != checks.Critical {
		t.Errorf("sql.can_query = %s", q.Status)
	}
	// The remembered per-zone series are not zeroed on a failed query.
	if g := gauges(t, rec); len(g) != 0 {
		t.Errorf("gauges sent with nothing read: %v", g)
	}
}

// rangesAPIFake is a secure v23.2 node's HTTP API: POST /api/v2/login/
// hands out a session that /_status/critical_nodes accepts in the session
// cookie, as CockroachDB's authenticationMux does.
type rangesAPIFake struct {
	*httptest.Server
	mu       sync.Mutex
	body     []byte
	sessions map[string]bool
	logins   int
	unauth   int // 401s answered
}

func newRangesAPIFake(t *testing.T, body []byte) *rangesAPIFake {
	f := &rangesAPIFake{body: body, sessions: map[string]bool{}}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		switch r.URL.Path {
		case "/api/v2/login/":
			if r.Method != http.MethodPost || r.ParseForm() != nil || r.Form.Get("username") != "roachdog" || r.Form.Get("password") != "s3cret" {
				http.Error(w, "the provided credentials did not match any account on the server", http.StatusUnauthorized)
				return
			}
			f.logins++
			s := fmt.Sprintf("c2Vzc2lvbg%d==", f.logins)
			f.sessions[s] = true
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"session": %q}`, s)
		case "/_status/critical_nodes":
			c, err := r.Cookie("session")
			if r.Method != http.MethodPost || err != nil || !f.sessions[c.Value] {
				f.unauth++
				http.Error(w, "a valid authentication cookie or JWT is required", http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write(f.body)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *rangesAPIFake) serve(body []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.body = body
}

func (f *rangesAPIFake) stats() (logins, unauth int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logins, f.unauth
}

func rangesStatus(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.Testdata(t), "status", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var rangesV23Want = map[string]float64{
	series("replication.ranges.underreplicated"): 3,
	series("replication.ranges.unavailable"):     1,
	series("replication.ranges.overreplicated"):  1,
	series("replication.critical_nodes"):         2,
	series("replication.constraint_violations", "zone:table_movr.public.users", "constraint:_region_europe-west1"): 2,
	series("replication.constraint_violations", "zone:database_movr",
		"constraint:_region_europe-west1:1__region_us-east1:1__region_us-west1:1_voters:_region_us-east1"): 1,
	series("replication.constraint_violations", "zone:table_movr.public.rides", "constraint:-region_us-west1"): 1,
	series("replication.constraint_violations", "zone:unknown", "constraint:_zone_a"):                          1,
}

// TestRangesCriticalNodesV23 reads /_status/critical_nodes on a secure
// v23.2 cluster whose first node is down: the request goes to the next
// node, which asks for a session (401), gets a login and answers the retry.
func TestRangesCriticalNodesV23(t *testing.T) {
	t.Parallel()
	c := newSQLCluster(t, "ranges_v23", nil, "crdb_v23.2.sql", "crdb_v23.2_ranges.sql", "scenario_v23.2_ranges.sql")
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "node is shutting down", http.StatusServiceUnavailable)
	}))
	t.Cleanup(down.Close)
	up := newRangesAPIFake(t, rangesStatus(t, "critical_nodes_v23.json"))
	c.target.API = cluster.NewAPI(nil, func() []string { return []string{down.URL, up.URL} }, "roachdog", "s3cret")

	clock := newTestClock(time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC))
	r, err := checks.NewRanges(checks.RangesOptions{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := c.run(t, r)
	if err != nil {
		t.Fatal(err)
	}
	diffGauges(t, gauges(t, rec), rangesV23Want)
	if q := canQuery(t, rec, "ranges"); q.Status != checks.OK {
		t.Errorf("sql.can_query = %s %q", q.Status, q.Message)
	}
	if logins, unauth := up.stats(); logins != 1 || unauth != 1 {
		t.Errorf("%d logins and %d 401s, want 1 and 1", logins, unauth)
	}

	// Healthy now: the four violation series go to 0; no new login.
	up.serve(rangesStatus(t, "critical_nodes_v23_healthy.json"))
	clock.Add(time.Minute)
	rec, err = c.run(t, r)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{}
	for k := range rangesV23Want {
		want[k] = 0
	}
	diffGauges(t, gauges(t, rec), want)
	if logins, _ := up.stats(); logins != 1 {
		t.Errorf("session not reused: %d logins", logins)
	}
}

// TestRangesCriticalNodesWithoutSQL: no SQL, no zone names.
func TestRangesCriticalNodesWithoutSQL(t *testing.T) {
	t.Parallel()
	up := newRangesAPIFake(t, rangesStatus(t, "critical_nodes_v23.json"))
	target := &checks.Target{Cluster: "test", API: cluster.NewAPI(nil, func() []string { return []string{up.URL} }, "roachdog", "s3cret")}
	r, err := checks.NewRanges(checks.RangesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := runCheck(t, r, target)
	if err != nil {
		t.Fatal(err)
	}
	g := gauges(t, rec)
	if v := g[series("replication.constraint_violations", "zone:unknown", "constraint:_region_europe-west1")]; v != 2 {
		t.Errorf("users' violations under zone:unknown = %g, want 2:\n%s", v, rec)
	}
	if v := g[series("replication.ranges.underreplicated")]; v != 3 {
		t.Errorf("underreplicated = %g", v)
	}
	if ps := rec.Find("sql.can_query"); len(ps) != 0 {
		t.Errorf("sql.can_query sent without SQL: %v", ps)
	}
}

// TestRangesUnknownVersionFallsBackOn404: before the version is known, a
// node without /_status/critical_nodes (v20.2 answers 404) sends the check
// to the replication reports.
func TestRangesUnknownVersionFallsBackOn404(t *testing.T) {
	t.Parallel()
	// No crdb_v20.2.sql: no node_build_info, so no version.
	c := newSQLCluster(t, "ranges_nover", nil, "crdb_v20.2_ranges.sql", "scenario_v20.2_reports.sql")
	if v := c.db.Server().Version; !v.IsZero() {
		t.Fatalf("version %v known", v)
	}
	old := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Not Found", http.StatusNotFound) // as the v20.2 fixture's node answered
	}))
	t.Cleanup(old.Close)
	c.target.API = cluster.NewAPI(nil, func() []string { return []string{old.URL} }, "", "")
	r, err := checks.NewRanges(checks.RangesOptions{Now: func() time.Time { return rangesV20Now }})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := c.run(t, r)
	if err != nil {
		t.Fatal(err)
	}
	diffGauges(t, gauges(t, rec), rangesReportsWant)
}

func TestRangesCriticalNodesFails(t *testing.T) {
	t.Parallel()
	c := newSQLCluster(t, "ranges_v23_fail", nil, "crdb_v23.2.sql", "crdb_v23.2_ranges.sql")
	r, err := checks.NewRanges(checks.RangesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// v23.2 without an API: nothing can be read, and sql.can_query says so.
	rec, err := c.run(t, r)
	if err == nil || !strings.Contains(err.Error(), "/_status/critical_nodes") || len(rec.Points) != 1 {
		t.Fatalf("Run = %v, points:\n%s", err, rec)
	}
	if q := canQuery(t, rec, "ranges"); q.Status != checks.Critical || !strings.Contains(q.Message, "needs the HTTP API") {
		t.Errorf("without an API: sql.can_query = %s %q", q.Status, q.Message)
	}
	bad := newRangesAPIFake(t, nil)
	c.target.API = cluster.NewAPI(nil, func() []string { return []string{bad.URL} }, "roachdog", "wrong")
	rec, err = c.run(t, r)
	if err == nil || !strings.Contains(err.Error(), "login as roachdog refused") {
		t.Fatalf("Run with a wrong password = %v", err)
	}
	// The response body is the server's text: the log has it, the
	// service check does not.
	q := canQuery(t, rec, "ranges")
	if q.Status != checks.Critical || !strings.Contains(q.Message, "HTTP 401: login as roachdog refused") ||
		strings.Contains(q.Message, "credentials did not match") {
		t.Errorf("wrong password: sql.can_query = %s %q", q.Status, q.Message)
	}
}

// TestRangesCriticalNodesFailureIsCritical: a failed critical_nodes call
// turns sql.can_query CRITICAL with a message that holds neither the error
// page nor anything on more than one line; the next good call turns it OK.
func TestRangesCriticalNodesFailureIsCritical(t *testing.T) {
	t.Parallel()
	c := newSQLCluster(t, "ranges_v23_crit", nil, "crdb_v23.2.sql", "crdb_v23.2_ranges.sql", "scenario_v23.2_ranges.sql")
	var failing atomic.Bool
	failing.Store(true)
	up := newRangesAPIFake(t, rangesStatus(t, "critical_nodes_v23.json"))
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			http.Error(w, "<html>\n<b>proxy error</b> token=hunter2\x1b[31m</html>", http.StatusBadGateway)
			return
		}
		up.Config.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(flaky.Close)
	refused := httptest.NewServer(http.NotFoundHandler())
	refused.Close() // nothing listens there any more
	c.target.API = cluster.NewAPI(nil, func() []string { return []string{refused.URL, flaky.URL} }, "roachdog", "s3cret")
	r, err := checks.NewRanges(checks.RangesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, probing := range []bool{false, true} {
		if probing {
			// Version unknown: the call is a probe (a 404 would mean
			// replication reports), and any other failure still counts.
			c2 := newSQLCluster(t, "ranges_nover_crit", nil, "crdb_v23.2_ranges.sql")
			if !c2.db.Server().Version.IsZero() {
				t.Fatal("version known")
			}
			c2.target.API = c.target.API
			c = c2
		}
		failing.Store(true)
		rec, err := c.run(t, r)
		if err == nil {
			t.Fatalf("probing=%v: Run succeeded while every node fails", probing)
		}
		q := canQuery(t, rec, "ranges")
		u, _ := url.Parse(flaky.URL)
		if q.Status != checks.Critical ||
			!strings.HasPrefix(q.Message, "ranges: POST /_status/critical_nodes failed: ") ||
			!strings.Contains(q.Message, "POST "+u.Host+"/_status/critical_nodes: HTTP 502: Bad Gateway") ||
			!strings.Contains(q.Message, "connection refused") {
			t.Errorf("probing=%v: sql.can_query = %s %q", probing, q.Status, q.Message)
		}
		for _, leak := range []string{"hunter2", "proxy error", "<html>", "\n", "\x1b"} {
			if strings.Contains(q.Message, leak) {
				t.Errorf("probing=%v: message carries %q: %q", probing, leak, q.Message)
			}
		}

		failing.Store(false)
		rec, err = c.run(t, r)
		if err != nil {
			t.Fatalf("probing=%v: recovered: %v", probing, err)
		}
		if q := canQuery(t, rec, "ranges"); q.Status != checks.OK {
			t.Errorf("probing=%v: recovered: sql.can_query = %s %q", probing, q.Status, q.Message)
		}
	}
}

func TestRangesWithoutSQLOrAPI(t *testing.T) {
	t.Parallel()
	r, err := checks.NewRanges(checks.RangesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := runCheck(t, r, &checks.Target{}); err == nil {
		t.Fatal("Run without SQL or API succeeded")
	}
	if _, err := checks.NewRanges(checks.RangesOptions{ForgetAfter: -1}); err == nil {
		t.Fatal("negative ForgetAfter accepted")
	}
	if r.Name() != "ranges" {
		t.Fatalf("Name = %q", r.Name())
	}
}
