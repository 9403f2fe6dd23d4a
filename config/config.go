package config

import (
	"fmt"
	"net"
	"os"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/roachdog/roachdog/deadline"
	"github.com/roachdog/roachdog/internal/loopback"
)

// Defaults applied by Parse.
const (
	DefaultNamespace             = "crdb"
	DefaultListenAddress         = "127.0.0.1:9464"
	DefaultDogStatsDAddr         = "localhost:8125"
	DefaultMinCollectionInterval = 15 * time.Second
	DefaultVarsTimeout           = 5 * time.Second
	DefaultMaxPayloadBytes       = 16 << 20
	// DefaultMaxConcurrentScrapes bounds the vars check's scrapes in flight.
	DefaultMaxConcurrentScrapes = 16
	DefaultDiscoveryScheme      = "http"
	DefaultDiscoveryHTTPPort    = 8080
	DefaultDiscoveryRefresh     = 30 * time.Second
)

// DefaultMaxSeriesPerFamily and DefaultMaxSeriesPerCycle cap the series the
// vars check reads from one family of one node, and from all nodes in one
// cycle: far above a real cluster (300 nodes of 100 to 400 series each), far
// below a runaway payload.
const (
	DefaultMaxSeriesPerFamily = 1000
	DefaultMaxSeriesPerCycle  = 250_000
)

// DefaultQuantiles returns the quantiles computed for histograms when the
// vars check's quantiles key is absent.
func DefaultQuantiles() []float64 { return []float64{0.5, 0.75, 0.9, 0.99} }

// Load reads and parses the configuration file at path, expanding ${VAR}
// from the process environment.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data, os.LookupEnv)
}

// Parse decodes a configuration file's content strictly: unknown keys, wrong
// types and invalid values are errors, each naming file (the name to show,
// e.g. the path), line and key path; all that can be found in one pass are
// returned together (errors.Join of *Error). env looks up environment
// variables for ${VAR} expansion and the DD_* conventions (os.LookupEnv in
// production); nil means an empty environment.
//
// Every string value may use ${VAR} and ${VAR:-default}, except the vars
// check's include and exclude patterns (where "$" belongs to regular
// expressions).
func Parse(file string, data []byte, env func(string) (string, bool)) (*Config, error) {
	if env == nil {
		env = noEnv
	}
	d := &decoder{file: file, env: env}
	root, err := d.document(data)
	if err != nil {
		return nil, err
	}
	cfg := &Config{File: file}
	d.config(root, cfg)
	if err := d.err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

func (d *decoder) config(root *yaml.Node, cfg *Config) {
	var initState initState
	got := d.object(root, "", map[string]func(*yaml.Node, string){
		"init_config": func(v *yaml.Node, p string) { d.initConfig(v, p, &cfg.Init, &initState) },
		"instances":   func(v *yaml.Node, p string) { cfg.Instances = d.instances(v, p) },
	})
	if root.Kind != yaml.MappingNode {
		return
	}
	d.finishInit(&cfg.Init, &initState)
	inst, ok := got["instances"]
	switch {
	case !ok:
		d.errorf(root, "instances", "missing: want a list with one entry per CockroachDB cluster")
	case isNull(inst.val) || inst.val.Kind == yaml.SequenceNode && len(inst.val.Content) == 0:
		d.errorf(inst.kNode, "instances", "empty: want at least one CockroachDB cluster")
	}
}

// initState remembers which init_config keys were given.
type initState struct {
	dogstatsdSet, listenSet bool
	pprofNode               *yaml.Node // where pprof: true was set
}

var namespaceRe = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_.]*$`)

func (d *decoder) initConfig(n *yaml.Node, path string, in *Init, st *initState) {
	d.object(n, path, map[string]func(*yaml.Node, string){
		"dogstatsd_url": func(v *yaml.Node, p string) {
			s, ok := d.str(v, p)
			if !ok {
				return
			}
			addr, err := dogstatsdAddr(s)
			if err != nil {
				d.valueError(v, p, err)
				return
			}
			in.DogStatsDAddr, st.dogstatsdSet = addr, true
		},
		"namespace": func(v *yaml.Node, p string) {
			s, ok := d.str(v, p)
			if !ok {
				return
			}
			if !namespaceRe.MatchString(s) || strings.HasSuffix(s, ".") || strings.Contains(s, "..") {
				d.errorf(v, p, "%s: want a name like \"crdb\" or \"crdb.prod\" (a letter, then letters, digits, _ and single dots)", d.show(v, s))
				return
			}
			in.Namespace = s
		},
		"tags": func(v *yaml.Node, p string) { in.Tags = d.tags(v, p) },
		"listen_address": func(v *yaml.Node, p string) {
			s, ok := d.str(v, p)
			if !ok {
				return
			}
			st.listenSet = true
			if s == "" || strings.EqualFold(s, "off") {
				in.ListenAddress = ""
				return
			}
			_, port, err := net.SplitHostPort(s)
			if err != nil || checkPort(port) != nil {
				d.errorf(v, p, `%s: want host:port like "127.0.0.1:9464" or ":9464", or "off"`, d.show(v, s))
				return
			}
			in.ListenAddress = s
		},
		"pprof": func(v *yaml.Node, p string) {
			if on, ok := d.boolean(v, p); ok {
				in.Pprof = on
				if on {
					st.pprofNode = v
				}
			}
		},
		"log_format": func(v *yaml.Node, p string) {
			s, ok := d.str(v, p)
			if !ok {
				return
			}
			switch s = strings.ToLower(s); s {
			case "text", "json":
				in.LogFormat = s
			default:
				d.errorf(v, p, "%s: want text or json", d.show(v, s))
			}
		},
		"log_level": func(v *yaml.Node, p string) {
			s, ok := d.str(v, p)
			if !ok {
				return
			}
			switch s = strings.ToLower(s); s {
			case "debug", "info", "warn", "error":
				in.LogLevel = s
			case "warning":
				in.LogLevel = "warn"
			default:
				d.errorf(v, p, "%s: want debug, info, warn or error", d.show(v, s))
			}
		},
	})
}

// finishInit applies defaults and the Datadog environment conventions.
func (d *decoder) finishInit(in *Init, st *initState) {
	if in.Namespace == "" {
		in.Namespace = DefaultNamespace
	}
	if !st.listenSet {
		in.ListenAddress = DefaultListenAddress
	}
	if st.pprofNode != nil && !LoopbackAddress(in.ListenAddress) {
		// Profiles show memory contents and cost CPU on demand: never to
		// other hosts.
		d.errorf(st.pprofNode, "init_config.pprof", "true needs a loopback listen_address (like 127.0.0.1:9464, [::1]:9464 or localhost:9464), not %q", in.ListenAddress)
	}
	if in.LogFormat == "" {
		in.LogFormat = "text"
	}
	if in.LogLevel == "" {
		in.LogLevel = "info"
	}
	if !st.dogstatsdSet {
		addr, name, err := dogstatsdFromEnv(d.env)
		if err != nil {
			d.errs = append(d.errs, &Error{File: d.file, Path: "environment " + name, Msg: err.Error()})
		}
		in.DogStatsDAddr = addr
	}
	// DD_ENV, DD_SERVICE, DD_VERSION: unified service tagging, as datadog-go
	// does it, unless the file already has a tag with that key.
	have := map[string]bool{}
	for _, t := range in.Tags {
		have[tagKey(t)] = true
	}
	for _, e := range []struct{ env, key string }{{"DD_ENV", "env"}, {"DD_SERVICE", "service"}, {"DD_VERSION", "version"}} {
		v, ok := d.env(e.env)
		v = strings.TrimSpace(v)
		if !ok || v == "" || have[e.key] {
			continue
		}
		tag := e.key + ":" + v
		if err := checkTag(tag); err != nil {
			d.errs = append(d.errs, &Error{File: d.file, Path: "environment " + e.env, Msg: err.Error()})
			continue
		}
		in.Tags = append(in.Tags, tag)
	}
}

// dogstatsdFromEnv resolves the Agent's address as datadog-go does when
// given none: DD_DOGSTATSD_URL, else DD_AGENT_HOST with DD_DOGSTATSD_PORT,
// else the local Agent. name is the variable an error is about.
func dogstatsdFromEnv(env func(string) (string, bool)) (addr, name string, err error) {
	if u, ok := env("DD_DOGSTATSD_URL"); ok && strings.TrimSpace(u) != "" {
		addr, err := dogstatsdAddr(strings.TrimSpace(u))
		return addr, "DD_DOGSTATSD_URL", err
	}
	if h, ok := env("DD_AGENT_HOST"); ok && strings.TrimSpace(h) != "" {
		port := defaultDogStatsDPort
		if p, ok := env("DD_DOGSTATSD_PORT"); ok && strings.TrimSpace(p) != "" {
			port = strings.TrimSpace(p)
			if err := checkPort(port); err != nil {
				return "", "DD_DOGSTATSD_PORT", fmt.Errorf("%q: %v", port, err)
			}
		}
		h = strings.Trim(strings.TrimSpace(h), "[]")
		if strings.ContainsAny(h, " /?#@") {
			return "", "DD_AGENT_HOST", fmt.Errorf("%q is not a host name or IP address", h)
		}
		return net.JoinHostPort(h, port), "", nil
	}
	return DefaultDogStatsDAddr, "", nil
}

func (d *decoder) instances(n *yaml.Node, path string) []Instance {
	items, ok := d.list(n, path)
	if !ok {
		return nil
	}
	out := make([]Instance, 0, len(items))
	firstLine := map[string]int{} // cluster name -> line of its first use
	firstPath := map[string]string{}
	for i, it := range items {
		p := indexPath(path, i)
		inst, clusterNode := d.instance(it, p)
		if inst.Cluster != "" {
			if line, dup := firstLine[inst.Cluster]; dup {
				d.errorf(clusterNode, keyPath(p, "cluster"), "cluster %s is already used by %s (line %d); cluster names must be unique", d.show(clusterNode, inst.Cluster), firstPath[inst.Cluster], line)
			} else {
				firstLine[inst.Cluster], firstPath[inst.Cluster] = clusterNode.Line, p
			}
		}
		out = append(out, inst)
	}
	return out
}

var clusterRe = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$`)

// instance decodes one cluster; it returns the cluster value's node for the
// duplicate check.
func (d *decoder) instance(n *yaml.Node, path string) (Instance, *yaml.Node) {
	var in Instance
	var clusterNode *yaml.Node
	urlsBad, sqlBad := false, false
	var vars varsState
	var sql sqlState
	got := d.object(n, path, map[string]func(*yaml.Node, string){
		"cluster": func(v *yaml.Node, p string) {
			s, ok := d.str(v, p)
			if !ok {
				return
			}
			if !clusterRe.MatchString(s) || len(s) > 100 {
				d.errorf(v, p, "%s: want letters, digits, - _ and . (at most 100; it becomes the cluster tag)", d.show(v, s))
				return
			}
			in.Cluster, clusterNode = s, v
		},
		"status_urls": func(v *yaml.Node, p string) {
			before := len(d.errs)
			in.StatusURLs = d.statusURLs(v, p)
			urlsBad = len(d.errs) > before
		},
		"discover": func(v *yaml.Node, p string) { in.Discover, _ = d.boolean(v, p) },
		"discovery": func(v *yaml.Node, p string) {
			d.discovery(v, p, &in.Discovery)
		},
		"sql_url": func(v *yaml.Node, p string) {
			sqlBad = true
			// Never quote this value: errors come from checkSQLURL only.
			s, ok := d.str(v, p)
			if !ok {
				return
			}
			red, err := checkSQLURL(s)
			if err != nil {
				d.valueError(v, p, err)
				return
			}
			in.SQLURL, in.RedactedSQLURL, sqlBad = s, red, false
		},
		"min_collection_interval": func(v *yaml.Node, p string) {
			in.MinCollectionInterval, _ = d.duration(v, p)
		},
		"tags": func(v *yaml.Node, p string) { in.Tags = d.tags(v, p) },
		"tls":  func(v *yaml.Node, p string) { d.tls(v, p, &in.TLS) },
		"checks": func(v *yaml.Node, p string) {
			d.object(v, p, map[string]func(*yaml.Node, string){
				"vars":     func(v *yaml.Node, p string) { d.vars(v, p, &in.Checks.Vars, &vars) },
				"liveness": func(v *yaml.Node, p string) { d.liveness(v, p, &in.Checks.Liveness, &sql.liveness) },
				"ranges": func(v *yaml.Node, p string) {
					d.sqlCheck(v, p, &in.Checks.Ranges.CheckCommon, &sql.ranges, nil)
				},
				"ttl":    func(v *yaml.Node, p string) { d.ttl(v, p, &in.Checks.TTL, &sql.ttl) },
				"jobs":   func(v *yaml.Node, p string) { d.jobs(v, p, &in.Checks.Jobs, &sql.jobs) },
				"schema": func(v *yaml.Node, p string) { d.schema(v, p, &in.Checks.Schema, &sql.schema) },
			})
		},
		"custom_queries": func(v *yaml.Node, p string) { in.CustomQueries = d.customQueries(v, p) },
		"status_api":     func(v *yaml.Node, p string) { d.statusAPI(v, p, &in, &sql.api) },
	})
	if cq, ok := got["custom_queries"]; ok && cq.val.Kind == yaml.SequenceNode && len(cq.val.Content) > 0 {
		sql.customQueries = cq.kNode
	}
	if n.Kind != yaml.MappingNode && !isNull(n) {
		return in, nil
	}
	if c, ok := got["cluster"]; !ok || isNull(c.val) {
		d.errorf(n, keyPath(path, "cluster"), "missing: every instance needs the cluster's name (sent as the cluster tag)")
	}
	if disc, ok := got["discover"]; ok && in.Discover && in.SQLURL == "" && !sqlBad {
		d.errorf(disc.val, keyPath(path, "discover"), "true needs sql_url, to read the node list from the cluster")
	}
	if !in.Discover && len(in.StatusURLs) == 0 && !urlsBad {
		d.errorf(n, path, "no nodes: give status_urls, or discover: true with sql_url")
	}

	if in.MinCollectionInterval == 0 {
		in.MinCollectionInterval = DefaultMinCollectionInterval
	}
	if in.Discovery.Scheme == "" {
		in.Discovery.Scheme = DefaultDiscoveryScheme
	}
	if in.Discovery.HTTPPort == 0 {
		in.Discovery.HTTPPort = DefaultDiscoveryHTTPPort
	}
	if in.Discovery.RefreshInterval == 0 {
		in.Discovery.RefreshInterval = DefaultDiscoveryRefresh
	}
	finishVars(&in.Checks.Vars, &vars, in.MinCollectionInterval)
	d.finishSQL(&in, &sql, path, sqlBad)
	return in, clusterNode
}

func (d *decoder) statusURLs(n *yaml.Node, path string) []string {
	if n.Kind == yaml.ScalarNode {
		d.errorf(n, path, `want a list of URLs, like ["http://roach1:8080", "http://roach2:8080"], got %s`, kindName(n))
		return nil
	}
	items, ok := d.list(n, path)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(items))
	seen := map[string]int{}
	for i, it := range items {
		p := indexPath(path, i)
		s, ok := d.str(it, p)
		if !ok {
			continue
		}
		u, err := statusURL(s)
		if err != nil {
			d.valueError(it, p, err)
			continue
		}
		if j, dup := seen[u]; dup {
			d.errorf(it, p, "%s is already listed as %s", d.show(it, u), indexPath(path, j))
			continue
		}
		seen[u] = i
		out = append(out, u)
	}
	return out
}

func (d *decoder) discovery(n *yaml.Node, path string, disc *Discovery) {
	d.object(n, path, map[string]func(*yaml.Node, string){
		"scheme": func(v *yaml.Node, p string) {
			s, ok := d.str(v, p)
			if !ok {
				return
			}
			switch s = strings.ToLower(s); s {
			case "http", "https":
				disc.Scheme = s
			default:
				d.errorf(v, p, "%s: want http or https", d.show(v, s))
			}
		},
		"http_port":        func(v *yaml.Node, p string) { disc.HTTPPort, _ = d.port(v, p) },
		"refresh_interval": func(v *yaml.Node, p string) { disc.RefreshInterval, _ = d.duration(v, p) },
	})
}

func (d *decoder) tls(n *yaml.Node, path string, t *TLS) {
	file := func(dst *string) func(*yaml.Node, string) {
		return func(v *yaml.Node, p string) {
			if s, ok := d.str(v, p); ok {
				*dst = s
			}
		}
	}
	d.object(n, path, map[string]func(*yaml.Node, string){
		"ca_file":              file(&t.CAFile),
		"cert_file":            file(&t.CertFile),
		"key_file":             file(&t.KeyFile),
		"server_name":          file(&t.ServerName),
		"insecure_skip_verify": func(v *yaml.Node, p string) { t.InsecureSkipVerify, _ = d.boolean(v, p) },
	})
	if (t.CertFile == "") != (t.KeyFile == "") {
		d.errorf(n, path, "cert_file and key_file go together: give both for a client certificate, or neither")
	}
}

// varsState remembers which vars keys were given.
type varsState struct {
	enabledSet, quantilesSet bool
}

func (d *decoder) vars(n *yaml.Node, path string, v *Vars, st *varsState) {
	d.object(n, path, map[string]func(*yaml.Node, string){
		"enabled": func(x *yaml.Node, p string) {
			if b, ok := d.boolean(x, p); ok {
				v.Enabled, st.enabledSet = b, true
			}
		},
		"interval":          func(x *yaml.Node, p string) { v.Interval, _ = d.duration(x, p) },
		"timeout":           func(x *yaml.Node, p string) { v.Timeout, _ = d.duration(x, p) },
		"max_payload_bytes": func(x *yaml.Node, p string) { v.MaxPayloadBytes, _ = d.size(x, p) },
		"max_concurrent_scrapes": func(x *yaml.Node, p string) {
			if n, ok := d.integer(x, p, 1, 1024); ok {
				v.MaxConcurrentScrapes = int(n)
			}
		},
		"max_series_per_family": func(x *yaml.Node, p string) {
			if n, ok := d.integer(x, p, 1, 1_000_000); ok {
				v.MaxSeriesPerFamily = int(n)
			}
		},
		"max_series_per_cycle": func(x *yaml.Node, p string) {
			if n, ok := d.integer(x, p, 1, 10_000_000); ok {
				v.MaxSeriesPerCycle = int(n)
			}
		},
		"include": func(x *yaml.Node, p string) { v.Include = d.patterns(x, p) },
		"exclude": func(x *yaml.Node, p string) { v.Exclude = d.patterns(x, p) },
		"quantiles": func(x *yaml.Node, p string) {
			v.Quantiles, st.quantilesSet = d.quantiles(x, p), true
		},
		"histograms": func(x *yaml.Node, p string) { v.Histograms, _ = d.histogramMode(x, p) },
		"histogram_overrides": func(x *yaml.Node, p string) {
			v.HistogramOverrides = map[string]string{}
			for _, kv := range d.pairs(x, p) {
				if m, ok := d.histogramMode(kv.val, keyPath(p, kv.key)); ok {
					v.HistogramOverrides[kv.key] = m
				}
			}
		},
	})
}

// finishVars applies the vars check's defaults. The per-node timeout is
// capped by the deadline rule (deadline.Cycle): a scrape started with the
// cycle times out within it, so a slow node never makes cycles overlap.
func finishVars(v *Vars, st *varsState, minInterval time.Duration) {
	if !st.enabledSet {
		v.Enabled = true
	}
	if v.Interval == 0 {
		v.Interval = minInterval
	}
	if v.Timeout == 0 {
		v.Timeout = DefaultVarsTimeout
	}
	v.Timeout = deadline.Cycle(v.Interval, v.Timeout)
	if v.MaxPayloadBytes == 0 {
		v.MaxPayloadBytes = DefaultMaxPayloadBytes
	}
	if v.MaxConcurrentScrapes == 0 {
		v.MaxConcurrentScrapes = DefaultMaxConcurrentScrapes
	}
	if v.MaxSeriesPerFamily == 0 {
		v.MaxSeriesPerFamily = DefaultMaxSeriesPerFamily
	}
	if v.MaxSeriesPerCycle == 0 {
		v.MaxSeriesPerCycle = DefaultMaxSeriesPerCycle
	}
	if !st.quantilesSet {
		v.Quantiles = DefaultQuantiles()
	} else if v.Quantiles == nil {
		v.Quantiles = []float64{} // "quantiles: []": none
	}
}

// LoopbackAddress reports whether a listen address (host:port) accepts
// connections from this host only: "localhost" or a loopback IP. ":9464"
// listens on every interface and is not.
func LoopbackAddress(addr string) bool { return loopback.Address(addr) }
