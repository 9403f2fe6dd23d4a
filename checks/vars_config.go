package checks

import (
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/roachdog/roachdog/internal/yamlx"
)

func init() {
	Register(Registration[VarsOptions]{
		// No Interval: every min_collection_interval.
		Name: "vars", Timeout: varsDefaultTimeout, NodeTimeout: true,
		Doc: "every node's `/_status/vars`: the curated metrics, and the families you include",
		Defaults: func() VarsOptions {
			return VarsOptions{
				MaxPayloadBytes: varsDefaultMaxBytes, MaxConcurrent: varsDefaultMaxConcurrent,
				MaxSeriesPerFamily: varsDefaultMaxSeriesPerFamily, MaxSeriesPerCycle: varsDefaultMaxSeriesPerCycle,
				Quantiles: slices.Clone(varsDefaultQuantiles),
			}
		},
		Keys: varsKeys,
		New: func(o VarsOptions, s Schedule) (Check, error) {
			// A node's scrape started with the cycle must be able to time
			// out within it.
			o.Timeout = s.Timeout
			if s.Cycle > 0 {
				o.Timeout = min(o.Timeout, s.Cycle)
			}
			return NewVars(o)
		},
		Log: func(o VarsOptions) []slog.Attr {
			return []slog.Attr{slog.Int("include", len(o.Include)), slog.Int("exclude", len(o.Exclude))}
		},
	})
}

// varsKeys are the vars check's options; its timeout bounds each node's
// scrape (connect, response, body).
var varsKeys = []yamlx.Key[VarsOptions]{{
	Name: "max_payload_bytes", Default: "16MiB",
	Doc: "the largest payload read from one node, decompressed: a number of bytes or a size (`800kB`, `16MiB`); a larger one fails that node's scrape",
	Decode: func(d *yamlx.Decoder, v *yaml.Node, p string, o *VarsOptions) {
		o.MaxPayloadBytes, _ = d.Size(v, p)
	},
}, {
	Name: "max_concurrent_scrapes", Default: strconv.Itoa(varsDefaultMaxConcurrent),
	Doc: "nodes scraped at the same time (1 to 1024): bounds memory on large clusters; a slow node holds one slot for at most the timeout",
	Decode: func(d *yamlx.Decoder, v *yaml.Node, p string, o *VarsOptions) {
		d.IntIn(v, p, 1, 1024, &o.MaxConcurrent)
	},
}, {
	Name: "compression", DefaultText: "auto",
	Doc: "whether scrapes ask for gzip: `auto` asks every node except those on a loopback address (127.0.0.0/8, ::1, localhost), where plain text costs both sides less CPU; `gzip` always (traffic about 8 times smaller); `none` never",
	Decode: func(d *yamlx.Decoder, v *yaml.Node, p string, o *VarsOptions) {
		s, ok := d.Str(v, p)
		if !ok {
			return
		}
		switch s {
		case "auto":
			o.Compression = VarsCompressionAuto
		case string(VarsCompressionGzip), string(VarsCompressionNone):
			o.Compression = VarsCompression(s)
		default:
			d.Errorf(v, p, "want auto, gzip or none, got %s", d.Show(v, s))
		}
	},
}, {
	Name: "max_series_per_family", Default: strconv.Itoa(varsDefaultMaxSeriesPerFamily),
	Doc: "series read from one family of one node's payload (1 to 1000000); the first in label order are kept, the rest counted in `roachdog_series_dropped_total`",
	Decode: func(d *yamlx.Decoder, v *yaml.Node, p string, o *VarsOptions) {
		d.IntIn(v, p, 1, 1_000_000, &o.MaxSeriesPerFamily)
	},
}, {
	Name: "max_series_per_cycle", Default: strconv.Itoa(varsDefaultMaxSeriesPerCycle),
	Doc: "series read from all nodes in one cycle (1 to 10000000), an even share per node; it also bounds the state kept between cycles",
	Decode: func(d *yamlx.Decoder, v *yaml.Node, p string, o *VarsOptions) {
		d.IntIn(v, p, 1, 10_000_000, &o.MaxSeriesPerCycle)
	},
}, {
	Name: "include", DefaultText: "none",
	Doc:    "families sent on top of the curated set: exact names as `/_status/vars` spells them, or Go regular expressions between slashes (`/^sql_mem_.*_current$/`); not `${VAR}`-expanded",
	Decode: func(d *yamlx.Decoder, v *yaml.Node, p string, o *VarsOptions) { o.Include = decodePatterns(d, v, p) },
}, {
	Name: "exclude", DefaultText: "none",
	Doc:    "families not sent, curated or included; same forms as `include`",
	Decode: func(d *yamlx.Decoder, v *yaml.Node, p string, o *VarsOptions) { o.Exclude = decodePatterns(d, v, p) },
}, {
	Name: "quantiles", Default: "[0.5, 0.75, 0.9, 0.99]",
	Doc:    "quantiles computed from histograms sent as gauges, each between 0 and 1 (exclusive); `[]` sends none",
	Decode: func(d *yamlx.Decoder, v *yaml.Node, p string, o *VarsOptions) { o.Quantiles = decodeQuantiles(d, v, p) },
}, {
	Name: "histograms", DefaultText: string(HistogramDistribution),
	Doc: "how latency histograms are sent: `distribution` (merged across nodes by Datadog), `gauges` (per-node quantile, max, avg gauges and a count) or `both`",
	Decode: func(d *yamlx.Decoder, v *yaml.Node, p string, o *VarsOptions) {
		o.Histograms, _ = decodeHistogramMode(d, v, p)
	},
}, {
	Name: "histogram_overrides", DefaultText: "none",
	Doc: "`histograms` per curated histogram, by the name sent without namespace: `{sql.service_latency: both}`",
	Decode: func(d *yamlx.Decoder, v *yaml.Node, p string, o *VarsOptions) {
		o.HistogramOverrides = map[string]HistogramMode{}
		for _, kv := range d.Pairs(v, p) {
			if m, ok := decodeHistogramMode(d, kv.Value, yamlx.KeyPath(p, kv.Key)); ok {
				o.HistogramOverrides[kv.Key] = m
			}
		}
	},
}}

// ParsePattern reads one include/exclude entry: a regular expression
// written between slashes ("/^sql_mem_.*_current$/", Go RE2 syntax, matched
// anywhere in the name unless anchored), or else an exact Prometheus family
// name as /_status/vars spells it ("rocksdb_block_cache_hits"). Exactly one
// of exact and re is set when err is nil.
func ParsePattern(s string) (exact string, re *regexp.Regexp, err error) {
	if strings.HasPrefix(s, "/") {
		if len(s) < 2 || !strings.HasSuffix(s, "/") {
			return "", nil, fmt.Errorf("%q: a regular expression is written between slashes, like \"/^sql_mem_.*_current$/\"", s)
		}
		expr := s[1 : len(s)-1]
		if expr == "" {
			return "", nil, fmt.Errorf("%q: empty regular expression (write \"/.*/\" to match every family)", s)
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return "", nil, fmt.Errorf("%q: bad regular expression: %v", s, err)
		}
		return "", re, nil
	}
	if !familyNameRe.MatchString(s) {
		hint := ""
		if dotted := strings.ReplaceAll(s, ".", "_"); dotted != s && familyNameRe.MatchString(dotted) {
			hint = fmt.Sprintf(" (did you mean %q? Families are named as /_status/vars spells them)", dotted)
		}
		return "", nil, fmt.Errorf("%q is not a metric family name nor a /regular expression/%s", s, hint)
	}
	return s, nil, nil
}

var familyNameRe = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)

// decodePatterns decodes include/exclude. They are not ${VAR}-expanded: "$" means
// end of text in a regular expression.
func decodePatterns(d *yamlx.Decoder, n *yaml.Node, path string) []string {
	items, ok := d.List(n, path)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(items))
	seen := map[string]bool{}
	for i, it := range items {
		p := yamlx.IndexPath(path, i)
		s, ok := d.Scalar(it, p, false)
		if !ok {
			continue
		}
		s = strings.TrimSpace(s)
		if _, _, err := ParsePattern(s); err != nil {
			d.Errorf(it, p, "%v", err)
			continue
		}
		if seen[s] {
			d.Errorf(it, p, "%q is listed twice", s)
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}

// decodeHistogramMode decodes how a histogram is sent.
func decodeHistogramMode(d *yamlx.Decoder, n *yaml.Node, path string) (HistogramMode, bool) {
	s, ok := d.Str(n, path)
	if !ok {
		return "", false
	}
	if m := HistogramMode(s); slices.Contains(HistogramModes, m) {
		return m, true
	}
	d.Errorf(n, path, "want distribution, gauges or both, got %s", d.Show(n, s))
	return "", false
}

// decodeQuantiles decodes a list of numbers in (0,1), without repeats.
func decodeQuantiles(d *yamlx.Decoder, n *yaml.Node, path string) []float64 {
	items, ok := d.List(n, path)
	if !ok {
		return nil
	}
	out := make([]float64, 0, len(items))
	for i, it := range items {
		p := yamlx.IndexPath(path, i)
		if it.Kind != yaml.ScalarNode || (it.ShortTag() != "!!float" && it.ShortTag() != "!!int" && it.ShortTag() != "!!str") {
			d.Errorf(it, p, "want a number between 0 and 1, got %s", yamlx.KindName(it))
			continue
		}
		s, ok := d.Str(it, p)
		if !ok {
			continue
		}
		q, err := strconv.ParseFloat(s, 64)
		if err != nil || !(q > 0 && q < 1) {
			d.Errorf(it, p, "want a number between 0 and 1 (exclusive), like 0.99, got %s", d.Show(it, s))
			continue
		}
		for _, prev := range out {
			if prev == q {
				shown := strconv.FormatFloat(q, 'g', -1, 64)
				if d.FromEnv(it) {
					shown = d.Show(it, s)
				}
				d.Errorf(it, p, "quantile %s is listed twice", shown)
			}
		}
		out = append(out, q)
	}
	return out
}
