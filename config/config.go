package config

import (
	"fmt"
	"maps"
	"net"
	"os"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/internal/loopback"
	"github.com/roachdog/roachdog/internal/yamlx"
)

// Defaults applied by Parse.
const (
	DefaultNamespace             = "crdb"
	DefaultListenAddress         = "127.0.0.1:9464"
	DefaultDogStatsDAddr         = "localhost:8125"
	DefaultMinCollectionInterval = 15 * time.Second
	DefaultDiscoveryScheme       = "http"
	DefaultDiscoveryHTTPPort     = 8080
	DefaultDiscoveryRefresh      = 30 * time.Second
)

// The checks' own defaults are declared with each check (checks.Register).

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
	d := &decoder{yamlx.NewDecoder(file, env)}
	root, err := d.Document(data)
	if err != nil {
		return nil, err
	}
	cfg := &Config{File: file}
	d.config(root, cfg)
	if err := d.Err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// Error is one problem in the configuration, with where it is. Parse returns
// every Error it found joined (errors.Join); use errors.As to get at one.
type Error = yamlx.Error

// decoder is the strict YAML decoder (file:line errors, ${VAR} expansion,
// suggestions for unknown keys) with the configuration's own parts.
type decoder struct{ *yamlx.Decoder }

func (d *decoder) config(root *yaml.Node, cfg *Config) {
	var initState initState
	got := d.Object(root, "", yamlx.Fields{
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
		d.Errorf(root, "instances", "missing: want a list with one entry per CockroachDB cluster")
	case yamlx.IsNull(inst.Value) || inst.Value.Kind == yaml.SequenceNode && len(inst.Value.Content) == 0:
		d.Errorf(inst.KeyNode, "instances", "empty: want at least one CockroachDB cluster")
	}
}

// initState remembers which init_config keys were given.
type initState struct {
	dogstatsdSet, listenSet bool
	pprofNode               *yaml.Node // where pprof: true was set
}

func (d *decoder) initConfig(n *yaml.Node, path string, in *Init, st *initState) {
	d.Object(n, path, yamlx.Fields{
		"dogstatsd_url": func(v *yaml.Node, p string) {
			s, ok := d.Str(v, p)
			if !ok {
				return
			}
			addr, err := dogstatsdAddr(s)
			if err != nil {
				d.ValueError(v, p, err)
				return
			}
			in.DogStatsDAddr, st.dogstatsdSet = addr, true
		},
		"namespace": func(v *yaml.Node, p string) {
			s, ok := d.Str(v, p)
			if !ok {
				return
			}
			if !yamlx.ValidMetricName(s) {
				d.Errorf(v, p, "%s: want a name like \"crdb\" or \"crdb.prod\" (a letter, then letters, digits, _ and single dots)", d.Show(v, s))
				return
			}
			in.Namespace = s
		},
		"tags": func(v *yaml.Node, p string) { in.Tags = d.Tags(v, p) },
		"listen_address": func(v *yaml.Node, p string) {
			s, ok := d.Str(v, p)
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
				d.Errorf(v, p, `%s: want host:port like "127.0.0.1:9464" or ":9464", or "off"`, d.Show(v, s))
				return
			}
			in.ListenAddress = s
		},
		"pprof": func(v *yaml.Node, p string) {
			if on, ok := d.Boolean(v, p); ok {
				in.Pprof = on
				if on {
					st.pprofNode = v
				}
			}
		},
		"log_format": func(v *yaml.Node, p string) {
			s, ok := d.Str(v, p)
			if !ok {
				return
			}
			switch s = strings.ToLower(s); s {
			case "text", "json":
				in.LogFormat = s
			default:
				d.Errorf(v, p, "%s: want text or json", d.Show(v, s))
			}
		},
		"log_level": func(v *yaml.Node, p string) {
			s, ok := d.Str(v, p)
			if !ok {
				return
			}
			switch s = strings.ToLower(s); s {
			case "debug", "info", "warn", "error":
				in.LogLevel = s
			case "warning":
				in.LogLevel = "warn"
			default:
				d.Errorf(v, p, "%s: want debug, info, warn or error", d.Show(v, s))
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
		d.Errorf(st.pprofNode, "init_config.pprof", "true needs a loopback listen_address (like 127.0.0.1:9464, [::1]:9464 or localhost:9464), not %q", in.ListenAddress)
	}
	if in.LogFormat == "" {
		in.LogFormat = "text"
	}
	if in.LogLevel == "" {
		in.LogLevel = "info"
	}
	if !st.dogstatsdSet {
		addr, name, err := dogstatsdFromEnv(d.Env)
		if err != nil {
			d.AddError("environment "+name, err.Error())
		}
		in.DogStatsDAddr = addr
	}
	// DD_ENV, DD_SERVICE, DD_VERSION: unified service tagging, as datadog-go
	// does it, unless the file already has a tag with that key.
	have := map[string]bool{}
	for _, t := range in.Tags {
		have[yamlx.TagKey(t)] = true
	}
	for _, e := range []struct{ env, key string }{{"DD_ENV", "env"}, {"DD_SERVICE", "service"}, {"DD_VERSION", "version"}} {
		v, ok := d.Env(e.env)
		v = strings.TrimSpace(v)
		if !ok || v == "" || have[e.key] {
			continue
		}
		tag := e.key + ":" + v
		if err := yamlx.CheckTag(tag); err != nil {
			d.AddError("environment "+e.env, err.Error())
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
	items, ok := d.List(n, path)
	if !ok {
		return nil
	}
	out := make([]Instance, 0, len(items))
	firstLine := map[string]int{} // cluster name -> line of its first use
	firstPath := map[string]string{}
	for i, it := range items {
		p := yamlx.IndexPath(path, i)
		inst, clusterNode := d.instance(it, p)
		if inst.Cluster != "" {
			if line, dup := firstLine[inst.Cluster]; dup {
				d.Errorf(clusterNode, yamlx.KeyPath(p, "cluster"), "cluster %s is already used by %s (line %d); cluster names must be unique", d.Show(clusterNode, inst.Cluster), firstPath[inst.Cluster], line)
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
	var api apiState
	cd := checks.NewConfigDecoder(d.Decoder)
	fields := yamlx.Fields{
		"cluster": func(v *yaml.Node, p string) {
			s, ok := d.Str(v, p)
			if !ok {
				return
			}
			if !clusterRe.MatchString(s) || len(s) > 100 {
				d.Errorf(v, p, "%s: want letters, digits, - _ and . (at most 100; it becomes the cluster tag)", d.Show(v, s))
				return
			}
			in.Cluster, clusterNode = s, v
		},
		"status_urls": func(v *yaml.Node, p string) {
			before := d.ErrCount()
			in.StatusURLs = d.statusURLs(v, p)
			urlsBad = d.ErrCount() > before
		},
		"discover": func(v *yaml.Node, p string) { in.Discover, _ = d.Boolean(v, p) },
		"discovery": func(v *yaml.Node, p string) {
			d.discovery(v, p, &in.Discovery)
		},
		"sql_url": func(v *yaml.Node, p string) {
			sqlBad = true
			// Never quote this value: errors come from checkSQLURL only.
			s, ok := d.Str(v, p)
			if !ok {
				return
			}
			red, err := checkSQLURL(s)
			if err != nil {
				d.ValueError(v, p, err)
				return
			}
			in.SQLURL, in.RedactedSQLURL, sqlBad = s, red, false
		},
		"min_collection_interval": func(v *yaml.Node, p string) {
			in.MinCollectionInterval, _ = d.Duration(v, p)
		},
		"tags": func(v *yaml.Node, p string) { in.Tags = d.Tags(v, p) },
		"tls":  func(v *yaml.Node, p string) { d.tls(v, p, &in.TLS) },
		// Every registered check's options, each decoded by its check.
		"checks":     cd.Checks,
		"status_api": func(v *yaml.Node, p string) { d.statusAPI(v, p, &in, &api) },
	}
	maps.Copy(fields, cd.InstanceKeys()) // custom_queries
	got := d.Object(n, path, fields)
	if n.Kind != yaml.MappingNode && !yamlx.IsNull(n) {
		return in, nil
	}
	if c, ok := got["cluster"]; !ok || yamlx.IsNull(c.Value) {
		d.Errorf(n, yamlx.KeyPath(path, "cluster"), "missing: every instance needs the cluster's name (sent as the cluster tag)")
	}
	if disc, ok := got["discover"]; ok && in.Discover && in.SQLURL == "" && !sqlBad {
		d.Errorf(disc.Value, yamlx.KeyPath(path, "discover"), "true needs sql_url, to read the node list from the cluster")
	}
	if !in.Discover && len(in.StatusURLs) == 0 && !urlsBad {
		d.Errorf(n, path, "no nodes: give status_urls, or discover: true with sql_url")
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
	in.Checks = cd.Finish(checks.InstanceScope{
		Path: path, HasSQL: in.SQLURL != "", SQLInvalid: sqlBad, MinInterval: in.MinCollectionInterval,
	}, got)
	d.finishAPI(&in, &api, path)
	return in, clusterNode
}

func (d *decoder) statusURLs(n *yaml.Node, path string) []string {
	if n.Kind == yaml.ScalarNode {
		d.Errorf(n, path, `want a list of URLs, like ["http://roach1:8080", "http://roach2:8080"], got %s`, yamlx.KindName(n))
		return nil
	}
	items, ok := d.List(n, path)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(items))
	seen := map[string]int{}
	for i, it := range items {
		p := yamlx.IndexPath(path, i)
		s, ok := d.Str(it, p)
		if !ok {
			continue
		}
		u, err := statusURL(s)
		if err != nil {
			d.ValueError(it, p, err)
			continue
		}
		if j, dup := seen[u]; dup {
			d.Errorf(it, p, "%s is already listed as %s", d.Show(it, u), yamlx.IndexPath(path, j))
			continue
		}
		seen[u] = i
		out = append(out, u)
	}
	return out
}

func (d *decoder) discovery(n *yaml.Node, path string, disc *Discovery) {
	d.Object(n, path, yamlx.Fields{
		"scheme": func(v *yaml.Node, p string) {
			s, ok := d.Str(v, p)
			if !ok {
				return
			}
			switch s = strings.ToLower(s); s {
			case "http", "https":
				disc.Scheme = s
			default:
				d.Errorf(v, p, "%s: want http or https", d.Show(v, s))
			}
		},
		"http_port":        func(v *yaml.Node, p string) { disc.HTTPPort, _ = d.Port(v, p) },
		"refresh_interval": func(v *yaml.Node, p string) { disc.RefreshInterval, _ = d.Duration(v, p) },
	})
}

func (d *decoder) tls(n *yaml.Node, path string, t *TLS) {
	file := func(dst *string) func(*yaml.Node, string) {
		return func(v *yaml.Node, p string) {
			if s, ok := d.Str(v, p); ok {
				*dst = s
			}
		}
	}
	d.Object(n, path, yamlx.Fields{
		"ca_file":              file(&t.CAFile),
		"cert_file":            file(&t.CertFile),
		"key_file":             file(&t.KeyFile),
		"server_name":          file(&t.ServerName),
		"insecure_skip_verify": func(v *yaml.Node, p string) { t.InsecureSkipVerify, _ = d.Boolean(v, p) },
	})
	if (t.CertFile == "") != (t.KeyFile == "") {
		d.Errorf(n, path, "cert_file and key_file go together: give both for a client certificate, or neither")
	}
}

// LoopbackAddress reports whether a listen address (host:port) accepts
// connections from this host only: "localhost" or a loopback IP. ":9464"
// listens on every interface and is not.
func LoopbackAddress(addr string) bool { return loopback.Address(addr) }
