package wire

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/DataDog/datadog-go/v5/statsd"
)

func TestPayloadLimit(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]int{
		"localhost:8125":                       LocalPayload,
		"127.0.0.1:8125":                       LocalPayload,
		"[::1]:8125":                           LocalPayload,
		"unix:///var/run/datadog/dsd.socket":   LocalPayload,
		"unixgram:///var/run/datadog/dsd.sock": LocalPayload,
		"datadog-agent:8125":                   RemotePayload,
		"10.0.0.7:8125":                        RemotePayload,
		"":                                     RemotePayload,
		`\\.\pipe\datadog`:                     RemotePayload,
	} {
		if got := PayloadLimit(addr); got != want {
			t.Errorf("PayloadLimit(%q) = %d, want %d", addr, got, want)
		}
	}
}

func TestSafeTag(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"node_id:1":              "node_id:1",
		"Zone:US-East1":          "zone:us-east1",
		"a|b,c#d e\n:x":          "a_b_c_d_e_:x",
		"région:été":             "région:été",
		"k:\xff\xfe":             "k:__",
		"path:/a/b.c-d":          "path:/a/b.c-d",
		strings.Repeat("é", 250): strings.Repeat("é", 200),
	} {
		if got := SafeTag(in); got != want {
			t.Errorf("SafeTag(%.30q) = %.30q, want %.30q", in, got, want)
		}
	}
}

func TestTagsSharesCleanInput(t *testing.T) {
	l := New(Config{})
	in := []string{"node_id:1", "store:2"}
	if out := l.Tags(in); &out[0] != &in[0] {
		t.Error("clean tags were copied")
	}
	if n := testing.AllocsPerRun(100, func() { l.Tags(in) }); n != 0 {
		t.Errorf("%v allocations for clean tags", n)
	}
	in = []string{"a:1", "", "host:x", "b:2"}
	out := l.Tags(in)
	if want := []string{"a:1", "crdb_host:x", "b:2"}; strings.Join(out, ",") != strings.Join(want, ",") {
		t.Errorf("Tags = %q, want %q", out, want)
	}
	if in[2] != "host:x" {
		t.Error("input modified")
	}
}

func TestTrustedReservedTags(t *testing.T) {
	t.Parallel()
	l := New(Config{GlobalTags: []string{"service:roachdog"}})
	l.Trust("env:prod", "cluster:main")
	got := l.Tags([]string{"env:prod", "cluster:main", "service:roachdog", "env:dev", "Host:X", "dd.x:1", "device:sda"})
	want := []string{"env:prod", "cluster:main", "service:roachdog", "crdb_env:dev", "crdb_host:x", "crdb_dd.x:1", "crdb_device:sda"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Tags = %q, want %q", got, want)
	}
}

func TestServiceCheckMessage(t *testing.T) {
	t.Parallel()
	l := New(Config{Namespace: "crdb."})
	sc, ok := l.ServiceCheck("x", 7, strings.Repeat("é", 600)+"|", nil)
	if !ok || sc.Name != "crdb.x" || sc.Status != statsd.Unknown {
		t.Fatalf("ServiceCheck = %+v, %v", sc, ok)
	}
	if n := utf8.RuneCountInString(sc.Message); n != MaxMessageChars || !strings.HasSuffix(sc.Message, "é…") {
		t.Errorf("message of %d characters, want %d ending with the marker", n, MaxMessageChars)
	}
	if _, ok := New(Config{}).ServiceCheck("9bad", 0, "", nil); ok {
		t.Error("a name not starting with a letter was accepted")
	}
}

func TestEventFitsOrIsRefused(t *testing.T) {
	t.Parallel()
	var dropped []string
	l := New(Config{MaxPayload: 300, Unsendable: func(k string) { dropped = append(dropped, k) }})
	e, ok := l.Event(&statsd.Event{Title: "t", Text: strings.Repeat("a\n", 500), Tags: []string{"a:b"}})
	if !ok {
		t.Fatal("event refused")
	}
	if n := len(AppendEvent(nil, e, nil, "")) + 1; n > 300 || !strings.HasSuffix(e.Text, textMarker) {
		t.Errorf("event of %d bytes (limit 300), text %q", n, e.Text)
	}
	if _, ok := l.Event(&statsd.Event{Title: "t", Tags: []string{strings.Repeat("k", 200), strings.Repeat("j", 200)}}); ok {
		t.Error("an event whose tags alone exceed the limit was accepted")
	}
	if _, ok := l.Event(&statsd.Event{Title: "\n\t", Text: "x"}); ok {
		t.Error("an event with a blank title was accepted")
	}
	if strings.Join(dropped, ",") != "event,event" {
		t.Errorf("counted %q", dropped)
	}
}

func TestFit(t *testing.T) {
	t.Parallel()
	measure := func(s string) int { return len(s) }
	for _, tt := range []struct {
		s, want string
		max     int
		ok      bool
	}{
		{"short", "short", 10, true},
		{"ééééé", "éé…", 7, true}, // 2+2+3 bytes
		{"abcdef", "", 2, true},   // the marker alone does not fit
	} {
		got, ok := fit(tt.s, "…", measure, tt.max)
		if got != tt.want || ok != tt.ok {
			t.Errorf("fit(%q, %d) = %q, %v; want %q, %v", tt.s, tt.max, got, ok, tt.want, tt.ok)
		}
	}
	if _, ok := fit("x", "…", func(s string) int { return 10 + len(s) }, 5); ok {
		t.Error("fit succeeded where even the empty text does not fit")
	}
}

// TestMaxGaugeLen: no float64 takes more than maxGaugeLen characters as
// the client writes a gauge.
func TestMaxGaugeLen(t *testing.T) {
	t.Parallel()
	longest := 0
	for _, v := range []float64{math.MaxFloat64, math.SmallestNonzeroFloat64, 0x1p-1022, math.Nextafter(0x1p-1022, 0),
		2.2250738585072014e-308, 1.2345678901234567e-300, 4.9406564584124654e-324 * 12345} {
		for _, x := range []float64{v, -v} {
			longest = max(longest, len(strconv.FormatFloat(x, 'f', -1, 64)))
			if n := gaugeLen(x); n > maxGaugeLen {
				t.Errorf("%v takes %d characters", x, n)
			}
		}
	}
	t.Logf("longest: %d characters", longest)
}

func TestReserved(t *testing.T) {
	t.Parallel()
	for tag, want := range map[string]bool{
		"host:a": true, "device:a": true, "source:a": true, "service:a": true, "env:a": true, "version:a": true,
		"cluster:a": true, "dd.internal.entity_id:x": true, "dd.x": true, "host": true, "env": true,
		"hostname:a": false, "store:1": false, "cluster_id:a": false, "d:a": false, "dd:a": false, "instance:a": false,
		"node_id:1": false, "": false, "e:a": false, "versions:a": false, "c": false,
	} {
		if got := reserved(tag); got != want {
			t.Errorf("reserved(%q) = %v, want %v", tag, got, want)
		}
	}
}

// BenchmarkLayerGauge measures what the layer adds to a gauge with the
// tags a vars sample carries (the cluster's among them).
func BenchmarkLayerGauge(b *testing.B) {
	l := New(Config{Namespace: "crdb.", GlobalTags: []string{"env:bench"}})
	l.Trust("cluster:bench")
	tags := []string{"cluster:bench", "instance:10.0.0.1:8080", "node_id:1", "region:us-east1", "zone:us-east1-b", "store:1"}
	b.ReportAllocs()
	for b.Loop() {
		l.Gauge("storage.family_001.value", 12345.5, tags)
	}
}
