package exporter

import (
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/emit"
	"github.com/roachdog/roachdog/internal/sinktest"
)

// clearDDEnv pins the DD_* variables datadog-go reads, so tests do not
// depend on the machine's environment.
func clearDDEnv(t testing.TB) {
	t.Helper()
	for _, k := range []string{"DD_ENTITY_ID", "DD_ENV", "DD_SERVICE", "DD_VERSION",
		"DD_CARDINALITY", "DATADOG_CARDINALITY", "DD_EXTERNAL_ENV", "DD_ORIGIN_DETECTION_ENABLED"} {
		t.Setenv(k, "")
	}
}

func TestWithTags(t *testing.T) {
	t.Parallel()
	rec := &sinktest.Recorder{}
	s := WithTags(rec, "cluster:prod", "team:db")

	callerTags := []string{"node_id:1"}
	s.Gauge("g", 1, callerTags)
	s.Count("c", 2, callerTags)
	s.ServiceCheck("sc", checks.Warning, "slow", callerTags)
	s.Gauge("untagged", 3, nil)
	ts := time.Unix(1700000000, 0)
	s.Event(checks.Event{Title: "t", Text: "x", Tags: callerTags, Timestamp: ts, AlertType: checks.Error, AggregationKey: "k"})

	want := []string{"cluster:prod", "team:db", "node_id:1"}
	for _, name := range []string{"g", "c", "sc"} {
		if got := rec.One(t, name).Tags; !reflect.DeepEqual(got, want) {
			t.Errorf("%s tags = %q, want %q", name, got, want)
		}
	}
	if got := rec.One(t, "untagged").Tags; !reflect.DeepEqual(got, []string{"cluster:prod", "team:db"}) {
		t.Errorf("untagged tags = %q", got)
	}
	if p := rec.One(t, "sc"); p.Status != checks.Warning || p.Message != "slow" {
		t.Errorf("service check lost status or message: %+v", p)
	}
	wantEvent := checks.Event{Title: "t", Text: "x", Tags: want, Timestamp: ts, AlertType: checks.Error, AggregationKey: "k"}
	if len(rec.Events) != 1 || !reflect.DeepEqual(rec.Events[0], wantEvent) {
		t.Errorf("events = %+v, want %+v", rec.Events, wantEvent)
	}
	if !reflect.DeepEqual(callerTags, []string{"node_id:1"}) {
		t.Errorf("caller's tags modified: %q", callerTags)
	}
	if WithTags(rec) != checks.Sink(rec) {
		t.Error("WithTags without tags should return the sink itself")
	}
}

// checkingSink keeps no tag slice (it only checks each call's tags while
// the call runs), so WithTags reuses its slices for it.
type checkingSink struct {
	sinktest.Recorder
	bad atomic.Int64
}

func (c *checkingSink) keepsNoTags() {}

func (c *checkingSink) Gauge(name string, v float64, tags []string) {
	if len(tags) != 2 || tags[0] != "cluster:prod" || tags[1] != "i:"+strconv.Itoa(int(v)) {
		c.bad.Add(1)
	}
}

// TestWithTagsReusesSlices: for a sink that keeps no tag slice, WithTags
// allocates nothing per call, and concurrent calls still each see their
// own tags while they run (run with -race).
func TestWithTagsReusesSlices(t *testing.T) {
	t.Parallel()
	c := &checkingSink{}
	s := WithTags(c, "cluster:prod")
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			tag := []string{"i:" + strconv.Itoa(i)}
			for range 500 {
				s.Gauge("g", float64(i), tag)
			}
		})
	}
	wg.Wait()
	if n := c.bad.Load(); n > 0 {
		t.Errorf("%d calls saw another call's tags", n)
	}
}

// TestWithTagsAllocations: for a sink that keeps no tag slice, WithTags
// allocates nothing per call; for one that may keep them, one slice.
func TestWithTagsAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	tags := []string{"i:7"}
	for _, tc := range []struct {
		sink emit.Sink
		want float64
	}{{&checkingSink{}, 0}, {struct{ emit.Sink }{&checkingSink{}}, 1}} {
		s := WithTags(tc.sink, "cluster:prod")
		if n := testing.AllocsPerRun(100, func() { s.Gauge("g", 7, tags) }); n != tc.want {
			t.Errorf("%T: %v allocations per call, want %v", tc.sink, n, tc.want)
		}
	}
	if tags[0] != "i:7" {
		t.Errorf("caller's tags modified: %q", tags)
	}
}

// TestWithTagsConcurrent guards against sharing spare capacity between
// calls (run with -race; the tags of each call must stay its own).
func TestWithTagsConcurrent(t *testing.T) {
	t.Parallel()
	instance := make([]string, 1, 8) // spare capacity invites aliasing bugs
	instance[0] = "cluster:prod"
	rec := &sinktest.Recorder{}
	s := WithTags(rec, instance...)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			tag := []string{"i:" + string(rune('a'+i%26))}
			s.Gauge("g", float64(i), tag)
		})
	}
	wg.Wait()
	for _, p := range rec.Find("g") {
		if len(p.Tags) != 2 || p.Tags[0] != "cluster:prod" || p.Tags[1] != "i:"+string(rune('a'+int(p.Value)%26)) {
			t.Fatalf("tags mixed up between calls: value %v tags %q", p.Value, p.Tags)
		}
	}
}

func TestClientTags(t *testing.T) {
	clearDDEnv(t)
	t.Setenv("DD_ENV", "prod")
	t.Setenv("DD_VERSION", "1.2")
	configured, env := clientTags([]string{"env:prod", "team:db", "version:other", "owner:A|h:x"})
	if want := []string{"team:db", "version:other", "owner:a_h:x"}; !reflect.DeepEqual(configured, want) {
		t.Errorf("configured = %q, want %q (env:prod dropped: the client adds it)", configured, want)
	}
	if want := []string{"env:prod", "version:1.2"}; !reflect.DeepEqual(env, want) {
		t.Errorf("env = %q, want %q", env, want)
	}
}

func TestNormalizeNamespace(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"crdb": "crdb.", "crdb.": "crdb.", "": "", "a.b": "a.b."} {
		if got := normalizeNamespace(in); got != want {
			t.Errorf("normalizeNamespace(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDogStatsDKeepsNoTags holds DogStatsD to its keepsNoTags mark, which
// lets WithTags reuse its tag slices: once a call returns, the client must
// have written the message, so overwriting the tags it was given changes
// nothing on the wire (a client that queues messages, such as datadog-go's
// channel mode, would send the overwritten tags; -race reports it too).
func TestDogStatsDKeepsNoTags(t *testing.T) {
	clearDDEnv(t)
	u := listenCycle(t, true)
	d, err := NewDogStatsD(t.Context(), u.addr(), "crdb", nil, NewSelfMetrics("test", "abc"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	var _ keepsNoTags = d
	calls := []func(tags []string){
		func(tags []string) { d.Gauge("g", 1, tags) },
		func(tags []string) { d.Count("c", 1, tags) },
		func(tags []string) { d.Distribution("d", []emit.Sample{{Value: 1, Weight: 1}}, tags) },
		func(tags []string) { d.ServiceCheck("sc", emit.OK, "", tags) },
		func(tags []string) { d.Event(emit.Event{Title: "e", Text: "t", Tags: tags}) },
	}
	for _, call := range calls {
		tags := []string{"node_id:1"}
		call(tags)
		tags[0] = "node_id:overwritten"
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(u.received()) < len(calls) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	got := u.received()
	if len(got) != len(calls) {
		t.Fatalf("received %d lines, want %d: %q", len(got), len(calls), got)
	}
	for _, l := range got {
		if !strings.Contains(l, "node_id:1") || strings.Contains(l, "overwritten") {
			t.Errorf("line %q does not carry the tags as they were during the call", l)
		}
	}
}

// TestDogStatsDDistributionWithoutTags: Distribution hands the client its
// tags joined into one; no tags must still send no tag section (or, with
// global tags, no empty tag after them).
func TestDogStatsDDistributionWithoutTags(t *testing.T) {
	clearDDEnv(t)
	for _, tc := range []struct {
		global []string
		want   string
	}{{nil, "crdb.d:1|d"}, {[]string{"env:ci"}, "crdb.d:1|d|#env:ci"}} {
		u := listenCycle(t, true)
		d, err := NewDogStatsD(t.Context(), u.addr(), "crdb", tc.global, NewSelfMetrics("test", "abc"), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		d.Distribution("d", []emit.Sample{{Value: 1, Weight: 1}}, nil)
		if err := d.Flush(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for len(u.received()) == 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if got := u.received(); len(got) != 1 || got[0] != tc.want {
			t.Errorf("global tags %q: got %q, want [%q]", tc.global, got, tc.want)
		}
	}
}
