package checks_test

import (
	"context"
	"crypto/md5"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/internal/sinktest"
	"github.com/roachdog/roachdog/internal/testenv"
)

const (
	stA = "2ab0c15b7b14e792" // SELECT ... ORDER BY created_at: full scan, p99 0.4s, 1 recommendation
	stB = "67a10dfb99638ead" // UPDATE orders: two plans, retries, contention
	stC = "51b1f5ad1cb4d3a0" // SELECT by customer_id (shop-bgload): full scan, 1 recommendation
)

var stT0 = time.Date(2026, 1, 10, 12, 20, 0, 0, time.UTC)

func newStatements(t *testing.T, o checks.StatementsOptions) *checks.Statements {
	t.Helper()
	s, err := checks.NewStatements(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func stCluster(t *testing.T, name string) *sqlCluster {
	t.Helper()
	return newSQLCluster(t, name, nil, "crdb_v23.2.sql", "crdb_v23.2_statements.sql", "scenario_v23.2_statements.sql")
}

// stPut moves one row of the v23.2 scenario (stmt_test.put).
func stPut(t *testing.T, c *sqlCluster, bucket, fp, plan, app, db, query string, cnt, first int64, svc, cont, p99 float64, fullScan bool, recs string) {
	t.Helper()
	if recs == "" {
		recs = "NULL"
	}
	c.exec(t, fmt.Sprintf(`SELECT stmt_test.put('%s', '%s', '%s', %s, %s, %s, %d, %d, %g, %g, %g, %t, %s)`,
		bucket, fp, plan, pgLiteral(app), pgLiteral(db), pgLiteral(query), cnt, first, svc, cont, p99, fullScan, recs))
}

func pgLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

const (
	stQueryA = "SELECT id, amount FROM orders WHERE created_at > _ ORDER BY created_at DESC LIMIT _"
	stQueryB = "UPDATE orders SET amount = amount + _, status = _ WHERE id = _"
	stQueryC = "SELECT o.id, o.amount, o.status FROM orders AS o WHERE o.customer_id = _"
	stRecA   = "ARRAY['creation : CREATE INDEX ON shop.public.orders (created_at DESC) STORING (amount);']"
	stRecC   = "ARRAY['creation : CREATE INDEX ON shop.public.orders (customer_id) STORING (amount, status);']"
	stBucket = "2026-01-10 12:00:00+00"
)

// stAdvance is one minute of the shop workload after the scenario's
// values: A +600, B +600 (+100 retries) and +60 on its second plan, C +60,
// the internal statement +9000.
func stAdvance(t *testing.T, c *sqlCluster) {
	t.Helper()
	stPut(t, c, stBucket, stA, "025144e18ceb2338", "shop-workload", "shop", stQueryA, 1600, 1600, 0.05, 0, 0.4, true, stRecA)
	stPut(t, c, stBucket, stB, "fc4bcd4933e6c787", "shop-workload", "shop", stQueryB, 5600, 5300, 0.01, 0.004, 0.09, false, "")
	stPut(t, c, stBucket, stB, "0000000000000002", "shop-workload", "shop", stQueryB, 160, 160, 0.02, 0, 0.05, false, "")
	stPut(t, c, stBucket, stC, "0000000000000003", "shop-bgload", "shop", stQueryC, 360, 360, 0.012, 0, 0.03, true, stRecC)
	stPut(t, c, stBucket, "0c3a6bbd9fd3e1c2", "0000000000000004", "$ internal-update-session", "system",
		"UPDATE sqlliveness SET expiration = $1 WHERE session_id = $2 RETURNING session_id", 99000, 99000, 0.003, 0, 0.01, false, "")
}

func stTags(sig, db, app string) []string {
	return []string{"query_signature:" + sig, "database:" + db, "app:" + app}
}

// stGauges is the gauges of rec, rounded to 9 significant digits (the
// rates are divisions).
func stGauges(t *testing.T, rec *sinktest.Recorder) map[string]float64 {
	t.Helper()
	g := gauges(t, rec)
	for k, v := range g {
		g[k], _ = strconv.ParseFloat(strconv.FormatFloat(v, 'g', 9, 64), 64)
	}
	return g
}

func round9(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 9, 64), 64)
	return r
}

// stWantSig is the eight gauges of one signature.
func stWantSig(want map[string]float64, tags []string, exec, svc, mean, p99, retries, cont, full, recs float64) {
	set := func(name string, v float64) { want[series(name, tags...)] = round9(v) }
	set("statements.executions", exec)
	set("statements.service_time", svc)
	set("statements.latency.mean", mean)
	set("statements.latency.p99", p99)
	set("statements.retries", retries)
	set("statements.contention_time", cont)
	set("statements.full_scans", full)
	set("statements.index_recommendations", recs)
}

// The first cycle only sets the baselines; the second reports the minute's
// deltas of the top signatures, without "$ internal" applications, and an
// event for each signature entering the top, with its fingerprint text and
// index recommendations, and nothing else read from the statistics.
func TestStatementsV23_2(t *testing.T) {
	t.Parallel()
	c := stCluster(t, "stmt_v232")
	clock := newTestClock(stT0)
	st := newStatements(t, checks.StatementsOptions{Now: clock.Now})

	rec, err := c.runCataloged(t, st)
	if err != nil {
		t.Fatal(err)
	}
	if g := gauges(t, rec); len(g) != 0 || len(rec.Events) != 0 {
		t.Errorf("first cycle sent %d gauges and %d events, want none (baselines only):\n%s", len(g), len(rec.Events), rec)
	}
	if p := canQuery(t, rec, "statements"); p.Status != checks.OK {
		t.Errorf("sql.can_query %v: %s", p.Status, p.Message)
	}

	stAdvance(t, c)
	clock.Add(time.Minute)
	rec, err = c.runCataloged(t, st)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{}
	stWantSig(want, stTags(stA, "shop", "shop-workload"), 10, 600*0.05/60, 0.05, 0.4, 0, 0, 10, 1)
	dSvcB := 600*0.01 + 60*0.02
	stWantSig(want, stTags(stB, "shop", "shop-workload"), 11, dSvcB/60, dSvcB/660, 0.09, 100.0/60,
		660*(5600*0.004/5760)/60, 0, 0)
	stWantSig(want, stTags(stC, "shop", "shop-bgload"), 1, 60*0.012/60, 0.012, 0.03, 0, 0, 1, 1)
	diffGauges(t, stGauges(t, rec), want)
	if p := canQuery(t, rec, "statements"); p.Status != checks.OK {
		t.Errorf("sql.can_query %v: %s", p.Status, p.Message)
	}

	if len(rec.Events) != 3 {
		t.Fatalf("got %d events, want 3 (A, B, C entering the top)", len(rec.Events))
	}
	ev := stEventFor(t, rec, stA)
	for _, s := range []string{stQueryA, "creation : CREATE INDEX ON shop.public.orders (created_at DESC) STORING (amount);",
		"service time #1", "latency #1", "full scans #1", "shop-workload"} {
		if !strings.Contains(ev.Text, s) {
			t.Errorf("event of A lacks %q:\n%s", s, ev.Text)
		}
	}
	if want := "Top statement: " + stQueryA[:57] + "…"; ev.Title != want {
		t.Errorf("title %q, want %q", ev.Title, want)
	}
	if evB := stEventFor(t, rec, stB); !strings.Contains(evB.Text, "contention time #1") || !strings.Contains(evB.Text, "retries #1") ||
		strings.Contains(evB.Text, "Index recommendations") {
		t.Errorf("event of B:\n%s", evB.Text)
	}
	stNoLiterals(t, rec, c.logs.String())

	// Nothing new: no event again, the same series.
	stAdvance(t, c) // same values: every delta 0, every signature leaves the top
	clock.Add(time.Minute)
	rec, err = c.runCataloged(t, st)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Events) != 0 {
		t.Errorf("%d events for signatures already announced", len(rec.Events))
	}
	zeroes := map[string]float64{}
	for k := range want {
		zeroes[k] = 0
	}
	diffGauges(t, stGauges(t, rec), zeroes)
	// Zeroed once only.
	clock.Add(time.Minute)
	if rec, _ = c.run(t, st); len(gauges(t, rec)) != 0 {
		t.Errorf("the left signatures were sent again:\n%s", rec)
	}
}

func stEventFor(t *testing.T, rec *sinktest.Recorder, sig string) checks.Event {
	t.Helper()
	for _, e := range rec.Events {
		for _, tg := range e.Tags {
			if tg == "query_signature:"+sig {
				return e
			}
		}
	}
	t.Fatalf("no event for %s", sig)
	return checks.Event{}
}

// stNoLiterals fails when the literal values the scenario hides in
// sampled_plan and lastErrorCode reached anything sent or logged.
func stNoLiterals(t *testing.T, rec *sinktest.Recorder, logs string) {
	t.Helper()
	all := rec.String() + logs
	for _, e := range rec.Events {
		all += e.Title + e.Text + strings.Join(e.Tags, ",")
	}
	for _, lit := range []string{"4111", "duplicate key", "spans"} {
		if strings.Contains(all, lit) {
			t.Errorf("%q from sampled_plan or lastErrorCode was sent or logged", lit)
		}
	}
}

// With N = 1 the union holds A (service time, latency, full scans) and B
// (contention, retries), not C; when only C runs, A and B get one last 0
// and C enters with its event.
func TestStatementsTopNLeaving(t *testing.T) {
	t.Parallel()
	c := stCluster(t, "stmt_leave")
	clock := newTestClock(stT0)
	st := newStatements(t, checks.StatementsOptions{TopN: 1, Now: clock.Now})
	if _, err := c.run(t, st); err != nil {
		t.Fatal(err)
	}
	stAdvance(t, c)
	clock.Add(time.Minute)
	rec, err := c.runCataloged(t, st)
	if err != nil {
		t.Fatal(err)
	}
	if got := stSignatures(rec); strings.Join(got, ",") != stA+","+stB {
		t.Errorf("signatures %v, want A and B", got)
	}
	stPut(t, c, stBucket, stC, "0000000000000003", "shop-bgload", "shop", stQueryC, 480, 480, 0.012, 0, 0.03, true, stRecC)
	clock.Add(time.Minute)
	rec, err = c.runCataloged(t, st)
	if err != nil {
		t.Fatal(err)
	}
	g := stGauges(t, rec)
	for _, sig := range []string{stA, stB} {
		if v, ok := g[series("statements.executions", stTags(sig, "shop", "shop-workload")...)]; !ok || v != 0 {
			t.Errorf("%s left the top: executions %v (sent %t), want one last 0", sig, v, ok)
		}
	}
	if v := g[series("statements.executions", stTags(stC, "shop", "shop-bgload")...)]; v != 2 {
		t.Errorf("C executions %v, want 2/s", v)
	}
	if len(rec.Events) != 1 || rec.Events[0].Tags[0] != "query_signature:"+stC {
		t.Errorf("events %+v, want C's only", rec.Events)
	}
}

// stSignatures is the sorted signatures of the executions gauges with a
// value.
func stSignatures(rec *sinktest.Recorder) []string {
	seen := map[string]bool{}
	for _, p := range rec.Points {
		if p.Name == "statements.executions" {
			seen[strings.TrimPrefix(p.Tags[0], "query_signature:")] = true
		}
	}
	var out []string
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// At the hour, a new bucket starts: its values count from 0 (it began after
// the previous cycle), the old bucket's from its baseline.
func TestStatementsBucketRollover(t *testing.T) {
	t.Parallel()
	c := stCluster(t, "stmt_roll")
	clock := newTestClock(time.Date(2026, 1, 10, 12, 59, 30, 0, time.UTC))
	st := newStatements(t, checks.StatementsOptions{Now: clock.Now})
	if _, err := c.run(t, st); err != nil {
		t.Fatal(err)
	}
	stPut(t, c, stBucket, stA, "025144e18ceb2338", "shop-workload", "shop", stQueryA, 1030, 1030, 0.05, 0, 0.4, true, stRecA)
	stPut(t, c, "2026-01-10 13:00:00+00", stA, "025144e18ceb2338", "shop-workload", "shop", stQueryA, 30, 30, 0.05, 0, 0.2, true, stRecA)
	clock.Add(time.Minute)
	rec, err := c.runCataloged(t, st)
	if err != nil {
		t.Fatal(err)
	}
	g := stGauges(t, rec)
	tags := stTags(stA, "shop", "shop-workload")
	if v := g[series("statements.executions", tags...)]; v != 1 {
		t.Errorf("executions %v, want 1/s (30 in each bucket over 60s)", v)
	}
	if v := g[series("statements.latency.p99", tags...)]; v != 0.2 {
		t.Errorf("p99 %v, want 0.2 (the newest bucket's)", v)
	}
}

// A cumulative value that goes down in the cluster view (a node restarted
// before flushing its statistics) is baselined again, not reported.
func TestStatementsCounterDownCluster(t *testing.T) {
	t.Parallel()
	c := stCluster(t, "stmt_down")
	clock := newTestClock(stT0)
	st := newStatements(t, checks.StatementsOptions{Now: clock.Now})
	if _, err := c.run(t, st); err != nil {
		t.Fatal(err)
	}
	stPut(t, c, stBucket, stA, "025144e18ceb2338", "shop-workload", "shop", stQueryA, 400, 400, 0.05, 0, 0.4, true, stRecA)
	clock.Add(time.Minute)
	rec, err := c.run(t, st)
	if err != nil {
		t.Fatal(err)
	}
	if len(stSignatures(rec)) != 0 {
		t.Errorf("a counter that went down was reported:\n%s", rec)
	}
	stPut(t, c, stBucket, stA, "025144e18ceb2338", "shop-workload", "shop", stQueryA, 460, 460, 0.05, 0, 0.4, true, stRecA)
	clock.Add(time.Minute)
	rec, _ = c.run(t, st)
	if v := stGauges(t, rec)[series("statements.executions", stTags(stA, "shop", "shop-workload")...)]; v != 1 {
		t.Errorf("executions after the reset %v, want 1/s", v)
	}
}

// IncludeInternal counts CockroachDB's own statements.
func TestStatementsIncludeInternal(t *testing.T) {
	t.Parallel()
	c := stCluster(t, "stmt_internal")
	clock := newTestClock(stT0)
	st := newStatements(t, checks.StatementsOptions{Now: clock.Now, IncludeInternal: true})
	if _, err := c.run(t, st); err != nil {
		t.Fatal(err)
	}
	stAdvance(t, c)
	clock.Add(time.Minute)
	rec, _ := c.runCataloged(t, st)
	tags := stTags("0c3a6bbd9fd3e1c2", "system", "__internal-update-session")
	if v := stGauges(t, rec)[series("statements.executions", tags...)]; v != 150 {
		t.Errorf("internal statement executions %v, want 150/s:\n%s", v, rec)
	}
}

// 10,000 distinct fingerprints: the SQL returns a bounded set of
// candidates, the check sends at most 5N signatures, and the series count
// per cycle is exactly 8 per signature sent (plus the zeroes of those that
// left).
func TestStatementsTenThousandFingerprints(t *testing.T) {
	t.Parallel()
	c := newSQLCluster(t, "stmt_10k", nil, "crdb_v23.2.sql", "crdb_v23.2_statements.sql", "scenario_v23.2_statements.sql")
	c.exec(t, `DELETE FROM crdb_internal.statement_statistics;
SELECT stmt_test.put('2026-01-10 12:00:00+00', lpad(to_hex(i), 16, '0'), '0000000000000001',
	'app' || (i % 7), 'db' || (i % 3), 'SELECT * FROM t' || i || ' WHERE a = _',
	i, i - (i % 5), 0.001 * (1 + i % 13), 0.0001 * (i % 11), 0.01 * (1 + i % 17), i % 4 = 0, NULL)
FROM generate_series(1, 10000) AS i;`)
	clock := newTestClock(stT0)
	const n = 20
	st := newStatements(t, checks.StatementsOptions{TopN: n, Now: clock.Now})
	if _, err := c.run(t, st); err != nil {
		t.Fatal(err)
	}
	c.exec(t, `UPDATE crdb_internal.statement_statistics SET statistics = jsonb_set(jsonb_set(statistics,
	'{statistics,cnt}', to_jsonb((statistics->'statistics'->>'cnt')::bigint * 2)),
	'{statistics,firstAttemptCnt}', to_jsonb((statistics->'statistics'->>'firstAttemptCnt')::bigint * 2))`)
	clock.Add(time.Minute)
	c.logs.Reset()
	start := time.Now()
	rec, err := c.runCataloged(t, st)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cycle over 10,000 fingerprints took %s", time.Since(start))
	sigs := stSignatures(rec)
	if len(sigs) == 0 || len(sigs) > 5*n {
		t.Fatalf("%d signatures sent, want 1 to %d", len(sigs), 5*n)
	}
	if g := gauges(t, rec); len(g) != 8*len(sigs) {
		t.Errorf("%d series for %d signatures, want 8 each", len(g), len(sigs))
	}
	if len(rec.Events) != len(sigs) {
		t.Errorf("%d events for %d signatures entering", len(rec.Events), len(sigs))
	}
	m := regexp.MustCompile(`candidate_rows=(\d+)`).FindStringSubmatch(c.logs.String())
	if m == nil {
		t.Fatalf("no candidate count logged:\n%s", c.logs)
	}
	if rows, _ := strconv.Atoi(m[1]); rows == 0 || rows > 5*3*n {
		t.Errorf("the query returned %d candidate rows, want 1 to %d (ranked and limited in SQL)", rows, 5*3*n)
	}
	// The top by service time: svc = cnt x mean, highest for the largest
	// i with i % 13 == 12: 9996.
	top := lpadHex(9996)
	if _, ok := gauges(t, rec)[series("statements.service_time", stTags(top, "db0", "app0")...)]; !ok {
		t.Errorf("the top fingerprint by service time (%s) was not sent", top)
	}
}

func lpadHex(i int) string { return fmt.Sprintf("%016x", i) }

// A SQL user without VIEWACTIVITY: sql.can_query CRITICAL naming the grant,
// one error logged, then debug only; Run fails (the cycle got nothing).
func TestStatementsWithoutViewActivity(t *testing.T) {
	t.Parallel()
	c := stCluster(t, "stmt_priv")
	target, role := jtUserTarget(t, c, "")
	st := newStatements(t, checks.StatementsOptions{Now: newTestClock(stT0).Now})
	for i := range 2 {
		rec, err := runCheck(t, st, target)
		if err == nil {
			t.Fatal("Run succeeded without privilege")
		}
		p := canQuery(t, rec, "statements")
		if p.Status != checks.Critical || !strings.Contains(p.Message, "VIEWACTIVITY or VIEWACTIVITYREDACTED") ||
			!strings.Contains(p.Message, `GRANT SYSTEM VIEWACTIVITY TO "`+role+`"`) {
			t.Errorf("cycle %d: sql.can_query %v %q, want CRITICAL naming the grant", i, p.Status, p.Message)
		}
	}
	logs := c.logs.String()
	if n := strings.Count(logs, "level=ERROR msg=\"statements query failed\""); n != 1 {
		t.Errorf("%d error lines, want 1:\n%s", n, logs)
	}
}

// Names and texts from the cluster are hostile: tags are sanitised, the
// event's title is one bounded line, its text bounded, the logs one line
// per record.
func TestStatementsHostileStrings(t *testing.T) {
	t.Parallel()
	c := stCluster(t, "stmt_hostile")
	clock := newTestClock(stT0)
	st := newStatements(t, checks.StatementsOptions{Now: clock.Now})
	app := "evil,app:x\nlevel=ERROR msg=forged|#tags"
	db := "db\r\nname," + strings.Repeat("d", 300)
	query := "SELECT\n\x1b[31m" + strings.Repeat("é", 3000) + " FROM t"
	recs := "ARRAY['creation : CREATE INDEX ON t (a);\nforged line', " + pgLiteral(strings.Repeat("r", 1000)) + "]"
	stPut(t, c, stBucket, "00000000000000ff", "0000000000000009", app, db, query, 10, 10, 0.5, 0, 0.9, false, recs)
	if _, err := c.run(t, st); err != nil {
		t.Fatal(err)
	}
	stPut(t, c, stBucket, "00000000000000ff", "0000000000000009", app, db, query, 70, 70, 0.5, 0, 0.9, false, recs)
	clock.Add(time.Minute)
	rec, err := c.runCataloged(t, st)
	if err != nil {
		t.Fatal(err)
	}
	ev := stEventFor(t, rec, "00000000000000ff")
	if strings.ContainsAny(ev.Title, "\n\r\x1b") || len(ev.Title) > 100 {
		t.Errorf("title %q: not one bounded line", ev.Title)
	}
	if len(ev.Text) > 4000 || strings.Contains(ev.Text, "\x1b") || strings.Contains(ev.Text, "\nforged line") {
		t.Errorf("text (%d bytes) not bounded or keeps control characters / forged lines:\n%q", len(ev.Text), ev.Text)
	}
	for _, p := range rec.Points {
		for _, tg := range p.Tags {
			if len(tg) > 200 || strings.ContainsAny(tg, ",\n\r|# ") {
				t.Errorf("unsafe tag %q", tg)
			}
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(c.logs.String()), "\n") {
		if !strings.HasPrefix(line, "time=") {
			t.Errorf("log record split over lines: %q", line)
		}
	}
}

func TestNewStatementsOptions(t *testing.T) {
	t.Parallel()
	for _, n := range []int{-1, checks.MaxStatementsTopN + 1} {
		if _, err := checks.NewStatements(checks.StatementsOptions{TopN: n}); err == nil {
			t.Errorf("TopN %d accepted", n)
		}
	}
	if _, err := checks.NewStatements(checks.StatementsOptions{TopN: checks.MaxStatementsTopN}); err != nil {
		t.Error(err)
	}
}

// v20.2: the real node_statement_statistics of node 2 of the fixtures'
// cluster. The first cycle baselines; the second reports what ran since
// (every count doubled), by md5 signature, without database and without
// "$ internal" applications.
func TestStatementsV20_2(t *testing.T) {
	t.Parallel()
	c := newSQLCluster(t, "stmt_v202", nil, "crdb_v20.2.sql", "crdb_v20.2_statements.sql")
	rows := stLoadV20_2(t, c)
	clock := newTestClock(stT0)
	const n = 3
	st := newStatements(t, checks.StatementsOptions{TopN: n, Now: clock.Now})
	rec, err := c.runCataloged(t, st)
	if err != nil || len(gauges(t, rec)) != 0 {
		t.Fatalf("first cycle: %v\n%s", err, rec)
	}
	c.exec(t, `UPDATE crdb_internal.node_statement_statistics SET count = count * 2, first_attempt_count = first_attempt_count * 2`)
	clock.Add(time.Minute)
	rec, err = c.runCataloged(t, st)
	if err != nil {
		t.Fatal(err)
	}

	// What the check must have computed, from the CSV.
	type agg struct {
		key, app   string
		cnt, retry float64
		svc        float64
	}
	byID := map[string]*agg{}
	for _, r := range rows {
		if strings.HasPrefix(r.app, "$ internal") {
			continue
		}
		id := stMD5(r.key) + "|" + r.app
		a := byID[id]
		if a == nil {
			a = &agg{key: r.key, app: r.app}
			byID[id] = a
		}
		a.cnt += float64(r.count)
		a.retry += float64(r.count - r.first)
		a.svc += r.svcAvg * float64(r.count)
	}
	var list []*agg
	for _, a := range byID {
		list = append(list, a)
	}
	top := map[string]bool{}
	for _, value := range []func(*agg) float64{
		func(a *agg) float64 { return a.svc },
		func(a *agg) float64 { return a.svc / a.cnt },
		func(a *agg) float64 { return a.retry },
	} {
		sort.Slice(list, func(i, j int) bool {
			if value(list[i]) != value(list[j]) {
				return value(list[i]) > value(list[j])
			}
			return stMD5(list[i].key) < stMD5(list[j].key)
		})
		for i, a := range list {
			if i == n || value(a) <= 0 {
				break
			}
			top[stMD5(a.key)+"|"+a.app] = true
		}
	}
	want := map[string]float64{}
	for id := range top {
		a := byID[id]
		tags := stTags(stMD5(a.key), "unknown", checks.Tag("app", a.app)[4:])
		want[series("statements.executions", tags...)] = round9(a.cnt / 60)
		want[series("statements.service_time", tags...)] = round9(a.svc / 60)
		want[series("statements.latency.mean", tags...)] = round9(a.svc / a.cnt)
		want[series("statements.retries", tags...)] = round9(a.retry / 60)
	}
	if len(top) == 0 || len(top) > 3*n {
		t.Fatalf("expected top of %d signatures", len(top))
	}
	diffGauges(t, stGauges(t, rec), want)
	if len(rec.Events) != len(top) {
		t.Fatalf("%d events, want %d", len(rec.Events), len(top))
	}
	for _, e := range rec.Events {
		sig := strings.TrimPrefix(e.Tags[0], "query_signature:")
		var key string
		for _, a := range byID {
			if stMD5(a.key) == sig {
				key = a.key
			}
		}
		if key == "" || !strings.Contains(e.Text, key) {
			t.Errorf("event for %s lacks its fingerprint %q:\n%s", sig, key, e.Text)
		}
		if strings.Contains(e.Text, "Index recommendations") {
			t.Errorf("v20.2 has no index recommendations:\n%s", e.Text)
		}
	}

	// The hourly reset (or a restart): counts start again from 0; what ran
	// since the reset is reported.
	c.exec(t, `UPDATE crdb_internal.node_statement_statistics SET count = 1, first_attempt_count = 1`)
	clock.Add(time.Minute)
	rec, err = c.run(t, st)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range stGauges(t, rec) {
		if strings.HasPrefix(k, "statements.executions|") && v != 0 && math.Abs(v*60-math.Round(v*60)) > 1e-6 {
			t.Errorf("%s = %v after the reset, want whole executions per minute", k, v)
		}
	}
	if len(stSignatures(rec)) == 0 {
		t.Errorf("nothing reported after the reset:\n%s", rec)
	}
}

func stMD5(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])[:16]
}

type stV20Row struct {
	app, key     string
	count, first int64
	svcAvg       float64
}

// stLoadV20_2 copies the fixture's node 2 statement statistics into the
// emulated table and returns the columns the test recomputes.
func stLoadV20_2(t *testing.T, c *sqlCluster) []stV20Row {
	t.Helper()
	f, err := os.Open(filepath.Join(testenv.Fixtures(t), "cockroach-v20.2", "healthy", "sql", "node2_crdb_internal.node_statement_statistics.csv"))
	if err != nil {
		testenv.SkipOrFail(t, "v20.2 fixture: "+err.Error())
		return nil
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := recs[0]
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.srv.URL(c.dbName))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var out []stV20Row
	var data [][]any
	for _, r := range recs[1:] {
		vals := make([]any, len(r))
		row := stV20Row{}
		for i, v := range r {
			switch header[i] {
			case "application_name", "flags", "key", "anonymized", "last_error":
				if v == "NULL" && (header[i] == "anonymized" || header[i] == "last_error") {
					vals[i] = nil
				} else {
					vals[i] = v
				}
			case "node_id", "count", "first_attempt_count", "max_retries":
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					t.Fatalf("%s: %v", header[i], err)
				}
				vals[i] = n
			case "implicit_txn":
				vals[i] = v == "true"
			default:
				x, err := strconv.ParseFloat(v, 64)
				if err != nil {
					t.Fatalf("%s: %v", header[i], err)
				}
				vals[i] = x
			}
			switch header[i] {
			case "application_name":
				row.app = v
			case "key":
				row.key = v
			case "count":
				row.count = vals[i].(int64)
			case "first_attempt_count":
				row.first = vals[i].(int64)
			case "service_lat_avg":
				row.svcAvg = vals[i].(float64)
			}
		}
		data = append(data, vals)
		out = append(out, row)
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"crdb_internal", "node_statement_statistics"}, header, pgx.CopyFromRows(data)); err != nil {
		t.Fatal(err)
	}
	return out
}

// v21.2 and v22.1: the same view without index_recommendations. The check
// neither reads the column (renamed away here before the second cycle) nor
// sends the recommendations gauge.
func TestStatementsV22_1(t *testing.T) {
	t.Parallel()
	c := newSQLCluster(t, "stmt_v221", []cluster.Option{cluster.WithAssumedVersion("v22.1.0")},
		"crdb_v23.2.sql", "crdb_v23.2_statements.sql", "scenario_v23.2_statements.sql")
	clock := newTestClock(stT0)
	st := newStatements(t, checks.StatementsOptions{Now: clock.Now})
	if _, err := c.run(t, st); err != nil {
		t.Fatal(err)
	}
	stAdvance(t, c)
	c.exec(t, `ALTER TABLE crdb_internal.statement_statistics RENAME COLUMN index_recommendations TO not_in_v22_1`)
	clock.Add(time.Minute)
	rec, err := c.runCataloged(t, st)
	if err != nil {
		t.Fatal(err)
	}
	if got := stSignatures(rec); strings.Join(got, ",") != strings.Join([]string{stA, stC, stB}, ",") {
		t.Errorf("signatures %v", got)
	}
	g := gauges(t, rec)
	if len(g) != 3*7 {
		t.Errorf("%d series, want 7 for each of 3 signatures (no index_recommendations):\n%s", len(g), rec)
	}
	for k := range g {
		if strings.HasPrefix(k, "statements.index_recommendations|") {
			t.Errorf("%s sent on v22.1", k)
		}
	}
	if len(rec.Events) != 3 {
		t.Fatalf("%d events, want 3", len(rec.Events))
	}
	for _, e := range rec.Events {
		if strings.Contains(e.Text, "Index recommendations") {
			t.Errorf("recommendations in a v22.1 event:\n%s", e.Text)
		}
	}
	if ev := stEventFor(t, rec, stA); !strings.Contains(ev.Text, stQueryA) {
		t.Errorf("event of A lacks its fingerprint:\n%s", ev.Text)
	}
}
