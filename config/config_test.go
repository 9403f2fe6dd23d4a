package config

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/internal/testenv"
)

// envMap returns a lookup over m, for Parse's env argument.
func envMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func mustParse(t *testing.T, src string, env map[string]string) *Config {
	t.Helper()
	cfg, err := Parse("conf.yaml", []byte(src), envMap(env))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return cfg
}

// errLines parses src, requires an error, and returns its lines.
func errLines(t *testing.T, src string, env map[string]string) []string {
	t.Helper()
	cfg, err := Parse("conf.yaml", []byte(src), envMap(env))
	if err == nil {
		t.Fatalf("Parse succeeded, want an error; got %+v", cfg)
	}
	if cfg != nil {
		t.Errorf("Parse returned a config along with the error")
	}
	return strings.Split(err.Error(), "\n")
}

const minimal = `
instances:
  - cluster: prod
    status_urls: [http://roach1:8080]
`

func TestDefaults(t *testing.T) {
	cfg := mustParse(t, minimal, nil)
	want := &view{
		File: "conf.yaml",
		Init: Init{
			DogStatsDAddr: "localhost:8125",
			Namespace:     "crdb",
			ListenAddress: "127.0.0.1:9464",
			LogFormat:     "text",
			LogLevel:      "info",
		},
		Instances: []instanceView{{
			Cluster:               "prod",
			StatusURLs:            []string{"http://roach1:8080"},
			MinCollectionInterval: 15 * time.Second,
			Discovery:             Discovery{Scheme: "http", HTTPPort: 8080, RefreshInterval: 30 * time.Second},
			Checks: Checks{
				Vars: Vars{
					Enabled:         true,
					Interval:        15 * time.Second,
					Timeout:         5 * time.Second,
					MaxPayloadBytes: 16 << 20, MaxConcurrentScrapes: 16,
					MaxSeriesPerFamily: 1000, MaxSeriesPerCycle: 250_000,
					Quantiles: []float64{0.5, 0.75, 0.9, 0.99},
				},
				// No sql_url: every SQL check is off, with its defaults.
				Liveness: Liveness{CheckCommon: CheckCommon{Interval: 15 * time.Second, Timeout: 10 * time.Second}},
				Ranges:   Ranges{CheckCommon{Interval: time.Minute, Timeout: 20 * time.Second}},
				TTL: TTL{CheckCommon: CheckCommon{Interval: 5 * time.Minute, Timeout: 30 * time.Second}, RowLimit: 100_000, RowQueries: map[string]bool{},
					RowQueryTimeout: 5 * time.Second, Schedules: true, RediscoverInterval: 30 * time.Minute},
				Jobs: Jobs{CheckCommon: CheckCommon{Interval: time.Minute, Timeout: 20 * time.Second}, Window: time.Hour,
					EventExcludeTypes: []string{"AUTO CREATE STATS", "AUTO CREATE PARTIAL STATS", "ROW LEVEL TTL"}},
				Schema: Schema{CheckCommon: CheckCommon{Interval: time.Hour, Timeout: time.Minute}, MaxEvents: 20},
				HotRanges: HotRanges{CheckCommon: CheckCommon{Interval: time.Minute, Timeout: 20 * time.Second},
					TopN: 10, MinQPS: 1, MaxEvents: 5},
				Contention: Contention{CheckCommon: CheckCommon{Interval: time.Minute, Timeout: 20 * time.Second}, TopN: 10},
				Statements: Statements{CheckCommon: CheckCommon{Interval: time.Minute, Timeout: 30 * time.Second}, TopN: 20},
			},
		}},
	}
	if got := viewOf(cfg); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", cfg, want)
	}
}

// full is the example of the brief, every key set.
const full = `init_config:
  dogstatsd_url: udp://agent:8125
  namespace: crdb.prod
  tags: [" env:prod ", team:db]
  listen_address: off
  log_format: JSON
  log_level: warning
instances:
  - cluster: prod-eu
    status_urls: [http://roach1:8080, "https://roach2:8443/"]
    discover: true
    discovery: {scheme: https, http_port: 8443, refresh_interval: 1m}
    sql_url: postgresql://roachdog:${CRDB_PASSWORD}@haproxy:26257/defaultdb?sslmode=verify-full&sslrootcert=/certs/ca.crt
    min_collection_interval: 10
    tags: [region:eu]
    tls: {ca_file: "${CERTS}/ca.crt", cert_file: /c/client.crt, key_file: /c/client.key, insecure_skip_verify: false, server_name: node}
    checks:
      vars:
        enabled: true
        interval: 20s
        timeout: 2.5
        max_payload_bytes: "800kB"
        max_series_per_family: 50
        max_series_per_cycle: 20_000
        include: [rocksdb_block_cache_hits, "/^sql_mem_.*_current$/"]
        exclude: [sys_uptime]
        quantiles: [0.5, 0.99]
      liveness: {enabled: true, interval: 15, timeout: 10, expected_nodes: 3}
      ranges:   {enabled: true, interval: 60, timeout: 20}
      ttl:      {enabled: true, interval: 300, timeout: 30, row_limit: 5000, row_queries: {"shop.public.sessions": true, shop.public.events: off},
                 row_query_timeout: 2s, schedules: false, rediscover_interval: 1h}
      jobs:     {enabled: false, interval: 2m, timeout: 20, window: 2h, event_exclude_types: [AUTO CREATE STATS, " IMPORT "]}
      schema:   {interval: 1h, timeout: 90s}
    custom_queries:
      - metric_prefix: shop
        query: SELECT status, count(*) FROM shop.orders GROUP BY status
        columns: [{name: status, type: tag}, {name: orders, type: gauge}]
        tags: [team:shop]
        collection_interval: 60
      - metric_prefix: shop.carts.
        query: |
          SELECT count(*), sum(total), 'x', 1.5
          FROM shop.carts
        columns:
          - name: open
            type: Count
          - name: value.total
            type: monotonic_count
          - {}
          - name: load
            type: rate
    status_api: {username: roachdog_api, password: "${CRDB_API_PASSWORD}"}
`

// fullEnv is the environment full needs.
var fullEnv = map[string]string{"CRDB_PASSWORD": "hunter2", "CERTS": "/certs", "CRDB_API_PASSWORD": "api-Pw-7781"}

func TestFull(t *testing.T) {
	cfg := mustParse(t, full, fullEnv)
	want := &view{
		File: "conf.yaml",
		Init: Init{
			DogStatsDAddr: "agent:8125",
			Namespace:     "crdb.prod",
			Tags:          []string{"env:prod", "team:db"},
			ListenAddress: "",
			LogFormat:     "json",
			LogLevel:      "warn",
		},
		Instances: []instanceView{{
			Cluster:               "prod-eu",
			StatusURLs:            []string{"http://roach1:8080", "https://roach2:8443"},
			Discover:              true,
			Discovery:             Discovery{Scheme: "https", HTTPPort: 8443, RefreshInterval: time.Minute},
			SQLURL:                "postgresql://roachdog:hunter2@haproxy:26257/defaultdb?sslmode=verify-full&sslrootcert=/certs/ca.crt",
			RedactedSQLURL:        "postgresql://roachdog:xxxxx@haproxy:26257/defaultdb?sslmode=verify-full&sslrootcert=/certs/ca.crt",
			MinCollectionInterval: 10 * time.Second,
			Tags:                  []string{"region:eu"},
			TLS:                   TLS{CAFile: "/certs/ca.crt", CertFile: "/c/client.crt", KeyFile: "/c/client.key", ServerName: "node"},
			Checks: Checks{
				Vars: Vars{
					Enabled:         true,
					Interval:        20 * time.Second,
					Timeout:         2500 * time.Millisecond,
					MaxPayloadBytes: 800_000, MaxConcurrentScrapes: 16,
					MaxSeriesPerFamily: 50, MaxSeriesPerCycle: 20_000,
					Include:   []string{"rocksdb_block_cache_hits", "/^sql_mem_.*_current$/"},
					Exclude:   []string{"sys_uptime"},
					Quantiles: []float64{0.5, 0.99},
				},
				Liveness: Liveness{CheckCommon: CheckCommon{Enabled: true, Interval: 15 * time.Second, Timeout: 10 * time.Second}, ExpectedNodes: 3},
				Ranges:   Ranges{CheckCommon{Enabled: true, Interval: time.Minute, Timeout: 20 * time.Second}},
				TTL: TTL{
					CheckCommon:     CheckCommon{Enabled: true, Interval: 5 * time.Minute, Timeout: 30 * time.Second},
					RowLimit:        5000,
					RowQueries:      map[string]bool{"shop.public.sessions": true, "shop.public.events": false},
					RowQueryTimeout: 2 * time.Second, Schedules: false, RediscoverInterval: time.Hour,
				},
				Jobs: Jobs{CheckCommon: CheckCommon{Enabled: false, Interval: 2 * time.Minute, Timeout: 20 * time.Second}, Window: 2 * time.Hour,
					EventExcludeTypes: []string{"AUTO CREATE STATS", "IMPORT"}},
				Schema: Schema{CheckCommon: CheckCommon{Enabled: true, Interval: time.Hour, Timeout: 90 * time.Second}, MaxEvents: 20},
				HotRanges: HotRanges{CheckCommon: CheckCommon{Enabled: true, Interval: time.Minute, Timeout: 20 * time.Second},
					TopN: 10, MinQPS: 1, MaxEvents: 5},
				Contention: Contention{CheckCommon: CheckCommon{Enabled: true, Interval: time.Minute, Timeout: 20 * time.Second}, TopN: 10},
				Statements: Statements{CheckCommon: CheckCommon{Interval: time.Minute, Timeout: 30 * time.Second}, TopN: 20},
			},
			CustomQueries: []CustomQuery{
				{
					MetricPrefix:       "shop",
					Query:              "SELECT status, count(*) FROM shop.orders GROUP BY status",
					Columns:            []CustomColumn{{Name: "status", Type: "tag"}, {Name: "orders", Type: "gauge"}},
					Tags:               []string{"team:shop"},
					CollectionInterval: time.Minute, MaxRows: 1000,
				},
				{
					MetricPrefix:       "shop.carts",
					Query:              "SELECT count(*), sum(total), 'x', 1.5\nFROM shop.carts",
					Columns:            []CustomColumn{{Name: "open", Type: "count"}, {Name: "value.total", Type: "monotonic_count"}, {}, {Name: "load", Type: "rate"}},
					CollectionInterval: 10 * time.Second, MaxRows: 1000,
				},
			},
			APIUser:     "roachdog_api",
			APIPassword: "api-Pw-7781",
		}},
	}
	if got := viewOf(cfg); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", cfg, want)
	}
}

// TestUnknownKeyExactText pins the whole message format: file:line, key
// path, problem, suggestion.
func TestUnknownKeyExactText(t *testing.T) {
	src := `init_config:
instances:
  - cluster: prod
    status_urls:
      - http://roach1:8080
    checks:
      vars:
        timout: 5
`
	_, err := Parse("conf.yaml", []byte(src), nil)
	const want = `conf.yaml:8: instances[0].checks.vars.timout: unknown key (did you mean "timeout"?)`
	if err == nil || err.Error() != want {
		t.Fatalf("got  %v\nwant %s", err, want)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error is not a *config.Error: %T", err)
	}
	if e.File != "conf.yaml" || e.Line != 8 || e.Column != 9 || e.Path != "instances[0].checks.vars.timout" {
		t.Errorf("got %+v", e)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		env  map[string]string
		want []string // every line of the error, in order
	}{
		{
			name: "brief examples, several at once",
			src: `instances:
  - cluster: prod-eu
    min_collection_interval: fast
    status_urls: [http://roach1:8080, roach2:8080]
`,
			want: []string{
				`conf.yaml:3: instances[0].min_collection_interval: want a number of seconds or a duration like "15s", got "fast"`,
				`conf.yaml:4: instances[0].status_urls[1]: "roach2:8080" is not a URL with scheme http or https (did you mean "http://roach2:8080"?)`,
			},
		},
		{
			name: "unknown top-level key",
			src:  "init_config:\ninstance:\n  - cluster: a\n",
			want: []string{
				`conf.yaml:1: instances: missing: want a list with one entry per CockroachDB cluster`,
				`conf.yaml:2: instance: unknown key (did you mean "instances"?)`,
			},
		},
		{
			name: "unknown key far from any",
			src:  "instances:\n  - cluster: a\n    status_urls: [http://a:1]\n    zzzzzzzz: 1\n",
			want: []string{`conf.yaml:4: instances[0].zzzzzzzz: unknown key; known keys: checks, cluster, custom_queries, discover, discovery, min_collection_interval, sql_url, status_api, status_urls, tags, tls`},
		},
		{
			name: "openmetrics habit",
			src:  "instances:\n  - cluster: a\n    openmetrics_endpoint: http://localhost:8080/_status/vars\n",
			want: []string{
				`conf.yaml:2: instances[0]: no nodes: give status_urls, or discover: true with sql_url`,
				`conf.yaml:3: instances[0].openmetrics_endpoint: unknown key (roachdog reads /_status/vars itself: list the nodes' base URLs in status_urls, e.g. "http://roach1:8080")`,
			},
		},
		{
			name: "duplicate key",
			src:  "instances:\n  - cluster: a\n    cluster: b\n    status_urls: [http://a:1]\n",
			want: []string{`conf.yaml:3: instances[0].cluster: duplicate key (first at line 2)`},
		},
		{
			name: "wrong types",
			src: `init_config:
  tags: env:prod
  namespace: [a]
instances:
  - cluster: a
    status_urls: http://roach1:8080
    discover: maybe
    tls: true
`,
			want: []string{
				`conf.yaml:2: init_config.tags: want a list, got a string`,
				`conf.yaml:3: init_config.namespace: want a string, got a list`,
				`conf.yaml:6: instances[0].status_urls: want a list of URLs, like ["http://roach1:8080", "http://roach2:8080"], got a string`,
				`conf.yaml:7: instances[0].discover: want true or false, got "maybe"`,
				`conf.yaml:8: instances[0].tls: want a mapping of keys, got a boolean`,
			},
		},
		{
			name: "bad status urls",
			src: `instances:
  - cluster: a
    status_urls:
      - ftp://roach1:8080
      - http://roach2:8080/_status/vars
      - http://roach3:8080?x=1
      - http://:8080
      - http://roach1:8080/
      - http://roach4:99999
`,
			want: []string{
				`conf.yaml:4: instances[0].status_urls[0]: "ftp://roach1:8080" is not a URL with scheme http or https`,
				`conf.yaml:5: instances[0].status_urls[1]: "http://roach2:8080/_status/vars" has a path; give the node's base URL (roachdog adds /_status/vars itself), like "http://roach2:8080"`,
				`conf.yaml:6: instances[0].status_urls[2]: "http://roach3:8080?x=1" must not have a query (?...)`,
				`conf.yaml:7: instances[0].status_urls[3]: "http://:8080" has no host`,
				`conf.yaml:9: instances[0].status_urls[5]: "http://roach4:99999": port must be from 1 to 65535`,
			},
		},
		{
			name: "duplicate status url after normalising",
			src:  "instances:\n  - cluster: a\n    status_urls: [http://r:1, http://r:1/]\n",
			want: []string{`conf.yaml:3: instances[0].status_urls[1]: "http://r:1" is already listed as instances[0].status_urls[0]`},
		},
		{
			name: "bad sql url scheme",
			src:  "instances:\n  - cluster: a\n    discover: true\n    sql_url: mysql://root@h:3306/db\n",
			want: []string{`conf.yaml:4: instances[0].sql_url: "mysql://root@h:3306/db": want a URL with scheme postgres:// or postgresql://`},
		},
		{
			name: "bad sslmode",
			src:  "instances:\n  - cluster: a\n    discover: true\n    sql_url: postgres://root@h:26257/db?sslmode=on\n",
			want: []string{`conf.yaml:4: instances[0].sql_url: "postgres://root@h:26257/db?sslmode=on": sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full`},
		},
		{
			name: "bad sql url port",
			src:  "instances:\n  - cluster: a\n    discover: true\n    sql_url: postgres://root:pw@h1:26257,h2:70000/db\n",
			want: []string{`conf.yaml:4: instances[0].sql_url: "postgres://root:xxxxx@h1:26257,h2:70000/db": port must be a number from 1 to 65535`},
		},
		{
			name: "zero and negative intervals",
			src: `instances:
  - cluster: a
    status_urls: [http://a:1]
    min_collection_interval: 0
    discovery: {refresh_interval: -5}
    checks: {vars: {interval: 0s, timeout: "-1s"}}
`,
			want: []string{
				`conf.yaml:4: instances[0].min_collection_interval: must be more than zero, got "0"`,
				`conf.yaml:5: instances[0].discovery.refresh_interval: must be more than zero, got "-5"`,
				`conf.yaml:6: instances[0].checks.vars.interval: must be more than zero, got "0s"`,
				`conf.yaml:6: instances[0].checks.vars.timeout: must be more than zero, got "-1s"`,
			},
		},
		{
			name: "quantiles",
			src:  "instances:\n  - cluster: a\n    status_urls: [http://a:1]\n    checks: {vars: {quantiles: [0, 1, 0.5, 0.5, x]}}\n",
			want: []string{
				`conf.yaml:4: instances[0].checks.vars.quantiles[0]: want a number between 0 and 1 (exclusive), like 0.99, got "0"`,
				`conf.yaml:4: instances[0].checks.vars.quantiles[1]: want a number between 0 and 1 (exclusive), like 0.99, got "1"`,
				`conf.yaml:4: instances[0].checks.vars.quantiles[3]: quantile 0.5 is listed twice`,
				`conf.yaml:4: instances[0].checks.vars.quantiles[4]: want a number between 0 and 1 (exclusive), like 0.99, got "x"`,
			},
		},
		{
			name: "include and exclude patterns",
			src: `instances:
  - cluster: a
    status_urls: [http://a:1]
    checks:
      vars:
        include: ["/(/", "/abc", rocksdb.block.cache.hits, "//"]
        exclude: [ok_name, ok_name]
`,
			want: []string{
				"conf.yaml:6: instances[0].checks.vars.include[0]: \"/(/\": bad regular expression: error parsing regexp: missing closing ): `(`",
				`conf.yaml:6: instances[0].checks.vars.include[1]: "/abc": a regular expression is written between slashes, like "/^sql_mem_.*_current$/"`,
				`conf.yaml:6: instances[0].checks.vars.include[2]: "rocksdb.block.cache.hits" is not a metric family name nor a /regular expression/ (did you mean "rocksdb_block_cache_hits"? Families are named as /_status/vars spells them)`,
				`conf.yaml:6: instances[0].checks.vars.include[3]: "//": empty regular expression (write "/.*/" to match every family)`,
				`conf.yaml:7: instances[0].checks.vars.exclude[1]: "ok_name" is listed twice`,
			},
		},
		{
			name: "sizes",
			src:  "instances:\n  - cluster: a\n    status_urls: [http://a:1]\n    checks: {vars: {max_payload_bytes: lots}}\n",
			want: []string{`conf.yaml:4: instances[0].checks.vars.max_payload_bytes: want a number of bytes or a size like "16MiB", got "lots"`},
		},
		{
			name: "series caps",
			src:  "instances:\n  - cluster: a\n    status_urls: [http://a:1]\n    checks: {vars: {max_series_per_family: 0, max_series_per_cycle: 20000000}}\n",
			want: []string{
				`conf.yaml:4: instances[0].checks.vars.max_series_per_family: want a whole number from 1 to 1000000, got "0"`,
				`conf.yaml:4: instances[0].checks.vars.max_series_per_cycle: want a whole number from 1 to 10000000, got "20000000"`,
			},
		},
		{
			name: "duplicate cluster names",
			src: `instances:
  - cluster: prod
    status_urls: [http://a:1]
  - cluster: prod
    status_urls: [http://b:1]
`,
			want: []string{`conf.yaml:4: instances[1].cluster: cluster "prod" is already used by instances[0] (line 2); cluster names must be unique`},
		},
		{
			name: "missing and bad cluster",
			src:  "instances:\n  - status_urls: [http://a:1]\n  - cluster: \"my cluster\"\n    status_urls: [http://b:1]\n",
			want: []string{
				`conf.yaml:2: instances[0].cluster: missing: every instance needs the cluster's name (sent as the cluster tag)`,
				`conf.yaml:3: instances[1].cluster: "my cluster": want letters, digits, - _ and . (at most 100; it becomes the cluster tag)`,
			},
		},
		{
			name: "empty instances",
			src:  "init_config: {}\ninstances: []\n",
			want: []string{`conf.yaml:2: instances: empty: want at least one CockroachDB cluster`},
		},
		{
			name: "null instances",
			src:  "instances:\n",
			want: []string{`conf.yaml:1: instances: empty: want at least one CockroachDB cluster`},
		},
		{
			name: "discover without sql_url",
			src:  "instances:\n  - cluster: a\n    discover: true\n",
			want: []string{`conf.yaml:3: instances[0].discover: true needs sql_url, to read the node list from the cluster`},
		},
		{
			name: "neither status_urls nor discover",
			src:  "instances:\n  - cluster: a\n    discover: false\n",
			want: []string{`conf.yaml:2: instances[0]: no nodes: give status_urls, or discover: true with sql_url`},
		},
		{
			name: "undefined variable",
			src:  "instances:\n  - cluster: a\n    discover: true\n    sql_url: postgresql://u:${CRDB_PASSWORD}@h/db\n",
			want: []string{`conf.yaml:4: instances[0].sql_url: environment variable CRDB_PASSWORD is not set (write ${CRDB_PASSWORD:-default} to give a default)`},
		},
		{
			name: "unterminated variable",
			src:  "init_config:\n  tags: [\"env:${ENV\"]\ninstances:\n  - cluster: a\n    status_urls: [http://a:1]\n",
			want: []string{`conf.yaml:2: init_config.tags[0]: "${" without a closing "}" (write "$${" for a literal "${")`},
		},
		{
			name: "tags",
			src: `init_config:
  tags: [noval, "Env:prod", "1x:y", "team:a b", "k:a,b", dup:x, dup:x, cluster:x]
instances:
  - cluster: a
    status_urls: [http://a:1]
`,
			want: []string{
				`conf.yaml:2: init_config.tags[0]: tag "noval": want key:value`,
				`conf.yaml:2: init_config.tags[1]: tag "Env:prod": key must be lower case (did you mean "env:prod"?)`,
				`conf.yaml:2: init_config.tags[2]: tag "1x:y": key must start with a letter and hold only a-z, 0-9, _ . - /`,
				`conf.yaml:2: init_config.tags[3]: tag "team:a b": value must not hold spaces, commas or |`,
				`conf.yaml:2: init_config.tags[4]: tag "k:a,b": value must not hold spaces, commas or |`,
				`conf.yaml:2: init_config.tags[6]: duplicate tag "dup:x"`,
				`conf.yaml:2: init_config.tags[7]: the cluster tag comes from the instance's cluster key; remove "cluster:x"`,
			},
		},
		{
			name: "init_config values",
			src: `init_config:
  namespace: 9crdb
  dogstatsd_url: tcp://agent:8125
  listen_address: "9464"
  log_format: xml
  log_level: trace
instances:
  - cluster: a
    status_urls: [http://a:1]
`,
			want: []string{
				`conf.yaml:2: init_config.namespace: "9crdb": want a name like "crdb" or "crdb.prod" (a letter, then letters, digits, _ and single dots)`,
				`conf.yaml:3: init_config.dogstatsd_url: "tcp://agent:8125": scheme must be udp or unix; want udp://host:port, unix:///path/to/dsd.socket or host:port`,
				`conf.yaml:4: init_config.listen_address: "9464": want host:port like "127.0.0.1:9464" or ":9464", or "off"`,
				`conf.yaml:5: init_config.log_format: "xml": want text or json`,
				`conf.yaml:6: init_config.log_level: "trace": want debug, info, warn or error`,
			},
		},
		{
			name: "tls halves and discovery",
			src: `instances:
  - cluster: a
    status_urls: [https://a:1]
    tls:
      cert_file: /c.crt
    discovery: {scheme: ftp, http_port: 0, refresh: 3}
`,
			want: []string{
				`conf.yaml:5: instances[0].tls: cert_file and key_file go together: give both for a client certificate, or neither`,
				`conf.yaml:6: instances[0].discovery.scheme: "ftp": want http or https`,
				`conf.yaml:6: instances[0].discovery.http_port: want a port number from 1 to 65535, got "0"`,
				`conf.yaml:6: instances[0].discovery.refresh: unknown key (did you mean "refresh_interval"?)`,
			},
		},
		{
			name: "unknown check",
			src:  "instances:\n  - cluster: a\n    status_urls: [http://a:1]\n    checks: {varz: {}}\n",
			want: []string{`conf.yaml:4: instances[0].checks.varz: unknown key (did you mean "vars"?)`},
		},
		{
			name: "min_collection_interval inside a check",
			src:  "instances:\n  - cluster: a\n    status_urls: [http://a:1]\n    checks: {vars: {min_collection_interval: 3}}\n",
			want: []string{`conf.yaml:4: instances[0].checks.vars.min_collection_interval: unknown key (a check's own interval is "interval"; min_collection_interval belongs to the instance)`},
		},
		{
			name: "syntax error",
			src:  "instances:\n  - cluster: a\n   status_urls: [http://a:1]\n",
			want: []string{`conf.yaml:3: invalid YAML: did not find expected '-' indicator`},
		},
		{
			name: "syntax error yaml.v3 gives no line for",
			src:  "init_config:\n  namespace: a: b\ninstances: []\n",
			want: []string{`conf.yaml:2: invalid YAML: mapping values are not allowed in this context`},
		},
		{
			name: "unclosed flow list",
			src:  "instances:\n  - cluster: a\n    status_urls: [http://a:1\n    discover: true\n",
			want: []string{`conf.yaml:3: invalid YAML: did not find expected ',' or ']'`},
		},
		{
			name: "control character",
			src:  "instances:\n  - cluster: a\n    status_urls: [\"http://a:1\x01\"]\n",
			want: []string{`conf.yaml:3: invalid YAML: control characters are not allowed`},
		},
		{
			name: "not a mapping",
			src:  "- a\n- b\n",
			want: []string{`conf.yaml:1: want a mapping of keys, got a list`},
		},
		{
			name: "empty file",
			src:  "# nothing\n",
			want: []string{`conf.yaml:1: empty file; want init_config and instances`},
		},
		{
			name: "null document",
			src:  "~\n",
			want: []string{`conf.yaml:1: empty file; want init_config and instances`},
		},
		{
			name: "two documents",
			src:  minimal + "---\n" + minimal,
			want: []string{`conf.yaml:5: a second YAML document (---) is not supported`},
		},
		{
			name: "bad DD_DOGSTATSD_URL",
			src:  minimal,
			env:  map[string]string{"DD_DOGSTATSD_URL": "http://agent:8125"},
			want: []string{`conf.yaml: environment DD_DOGSTATSD_URL: "http://agent:8125": scheme must be udp or unix; want udp://host:port, unix:///path/to/dsd.socket or host:port`},
		},
		{
			name: "bad DD_DOGSTATSD_PORT",
			src:  minimal,
			env:  map[string]string{"DD_AGENT_HOST": "agent", "DD_DOGSTATSD_PORT": "udp"},
			want: []string{`conf.yaml: environment DD_DOGSTATSD_PORT: "udp": port must be a number from 1 to 65535`},
		},
		{
			name: "bad DD_ENV",
			src:  minimal,
			env:  map[string]string{"DD_ENV": "my env"},
			want: []string{`conf.yaml: environment DD_ENV: tag "env:my env": value must not hold spaces, commas or |`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := errLines(t, tt.src, tt.env)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

func TestDurations(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"15", 15 * time.Second, false},
		{"0.5", 500 * time.Millisecond, false},
		{"2.25", 2250 * time.Millisecond, false},
		{`"30"`, 30 * time.Second, false},
		{`"1m30s"`, 90 * time.Second, false},
		{"500ms", 500 * time.Millisecond, false},
		{"1h", time.Hour, false},
		{`"${INTERVAL}"`, 42 * time.Second, false},
		{`"${NOPE:-20s}"`, 20 * time.Second, false},
		{"fast", 0, true},
		{"15 s", 0, true},
		{"0", 0, true},
		{"-1", 0, true},
		{".inf", 0, true},
		{"1e300", 0, true},
		{"[1]", 0, true},
		{"true", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			src := minimal + "    min_collection_interval: " + tt.in + "\n"
			cfg, err := Parse("conf.yaml", []byte(src), envMap(map[string]string{"INTERVAL": "42"}))
			if tt.err {
				if err == nil {
					t.Fatalf("want an error, got %v", cfg.Instances[0].MinCollectionInterval)
				}
				if !strings.HasPrefix(err.Error(), "conf.yaml:5: instances[0].min_collection_interval: ") {
					t.Errorf("error without position or path: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			in := cfg.Instances[0]
			if in.MinCollectionInterval != tt.want {
				t.Errorf("got %v, want %v", in.MinCollectionInterval, tt.want)
			}
			// The vars check's interval follows min_collection_interval.
			if viewInstance(in).Checks.Vars.Interval != tt.want {
				t.Errorf("vars interval %v, want %v", viewInstance(in).Checks.Vars.Interval, tt.want)
			}
		})
	}
}

func TestTimeoutCappedToInterval(t *testing.T) {
	tests := []struct {
		vars                  string
		interval, wantTimeout time.Duration
	}{
		{"{}", 15 * time.Second, 5 * time.Second},
		{"{interval: 2}", 2 * time.Second, 1600 * time.Millisecond},        // default 5s capped to 80%
		{"{interval: 10, timeout: 30}", 10 * time.Second, 8 * time.Second}, // explicit capped to 80%
		{"{interval: 10, timeout: 1.5}", 10 * time.Second, 1500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.vars, func(t *testing.T) {
			cfg := mustParse(t, minimal+"    checks: {vars: "+tt.vars+"}\n", nil)
			v := viewInstance(cfg.Instances[0]).Checks.Vars
			if v.Interval != tt.interval || v.Timeout != tt.wantTimeout {
				t.Errorf("interval %v timeout %v, want %v %v", v.Interval, v.Timeout, tt.interval, tt.wantTimeout)
			}
		})
	}
}

func TestSizes(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"16777216", 16 << 20},
		{"16MiB", 16 << 20},
		{`"16 MiB"`, 16 << 20},
		{"800kB", 800_000},
		{"800KB", 800_000},
		{"1GiB", 1 << 30},
		{"2mb", 2_000_000},
		{"512KiB", 512 << 10},
		{"1.5MiB", 3 << 19},
		{"1024B", 1024},
		{"1e6", 1_000_000},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			cfg := mustParse(t, minimal+"    checks: {vars: {max_payload_bytes: "+tt.in+"}}\n", nil)
			if got := viewInstance(cfg.Instances[0]).Checks.Vars.MaxPayloadBytes; got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
	for _, bad := range []string{"0", "-1", "1.5B", "16 MeB", "lots", "[1]", "0.1"} {
		t.Run("bad "+bad, func(t *testing.T) {
			lines := errLines(t, minimal+"    checks: {vars: {max_payload_bytes: "+bad+"}}\n", nil)
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "conf.yaml:5: instances[0].checks.vars.max_payload_bytes: ") {
				t.Errorf("got %q", lines)
			}
		})
	}
}

func TestQuantilesEmptyMeansNone(t *testing.T) {
	cfg := mustParse(t, minimal+"    checks: {vars: {quantiles: []}}\n", nil)
	q := viewInstance(cfg.Instances[0]).Checks.Vars.Quantiles
	if q == nil || len(q) != 0 {
		t.Errorf("quantiles: [] gave %#v, want an empty non-nil slice", q)
	}
	cfg = mustParse(t, minimal+"    checks: {vars: {enabled: false}}\n", nil)
	v := viewInstance(cfg.Instances[0]).Checks.Vars
	if v.Enabled || !slices.Equal(v.Quantiles, []float64{0.5, 0.75, 0.9, 0.99}) {
		t.Errorf("got %+v", v)
	}
}

// TestEnvEverywhere checks expansion in every kind of string value the brief
// names, and that include/exclude are left alone.
func TestEnvEverywhere(t *testing.T) {
	src := `init_config:
  dogstatsd_url: ${DSD}
  tags: ["env:${ENV}"]
instances:
  - cluster: ${CLUSTER:-c1}
    status_urls: ["http://${HOST}:8080"]
    discover: ${DISCOVER}
    sql_url: postgresql://u:${PW}@${HOST}:26257/db
    tls: {ca_file: "${CERTS}/ca.crt"}
    checks: {vars: {include: ["/^x_${y}$/"]}}
`
	cfg := mustParse(t, src, map[string]string{
		"DSD": "unix:///var/run/datadog/dsd.socket", "ENV": "prod", "HOST": "r1",
		"DISCOVER": "yes", "PW": "pw", "CERTS": "/certs",
	})
	in := cfg.Instances[0]
	got := []string{cfg.Init.DogStatsDAddr, cfg.Init.Tags[0], in.Cluster, in.StatusURLs[0], in.SQLURL, in.TLS.CAFile, viewInstance(in).Checks.Vars.Include[0]}
	want := []string{"unix:///var/run/datadog/dsd.socket", "env:prod", "c1", "http://r1:8080", "postgresql://u:pw@r1:26257/db", "/certs/ca.crt", "/^x_${y}$/"}
	if !slices.Equal(got, want) || !in.Discover {
		t.Errorf("got %q discover=%v\nwant %q", got, in.Discover, want)
	}
}

// TestSecretsNeverInErrors feeds bad SQL URLs holding a password, from the
// file and from the environment, and requires that no error message holds
// the password or a piece of it.
func TestSecretsNeverInErrors(t *testing.T) {
	const pw = "Zq9Xw7Vt4Kp2"
	pieces := []string{pw, pw[:6], pw[6:], pw[3:9]}
	urls := []string{
		"mysql://roachdog:" + pw + "@h:3306/db",
		"postgresql://roachdog:" + pw + "@h:26257/db?sslmode=bogus",
		"postgresql://roachdog:" + pw + "@h:abc/db",
		"postgresql://roachdog:" + pw + "@:26257/db",
		"postgresql://roachdog:" + pw + "@/db",
		"postgresql://roachdog:" + pw + "@h:99999/db",
		"postgresql://roachdog:" + pw + "@h/db#frag",
		"postgresql://roachdog:" + pw[:6] + "/" + pw[6:] + "@h:26257/db",
		"postgresql://roachdog:" + pw[:6] + "?" + pw[6:] + "@h:26257/db",
		"postgresql://roachdog:" + pw[:6] + "#" + pw[6:] + "@h:26257/db",
		"postgresql://roachdog:" + pw[:6] + "@" + pw[6:] + "@h:26257/db#x",
		"postgresql://roachdog:" + pw[:6] + "%zz" + pw[6:] + "@h:26257/db",
		"postgresql://roachdog:" + pw + "\x7f@h:26257/db",
		"postgresql://roachdog:" + pw + "@h\x01:26257/db",
		"postgresql://roachdog:" + pw + "@h%zz:26257/db",
		"postgresql://roachdog@h:26257/db?password=" + pw + "&sslmode=bad",
		"postgresql://roachdog@h:26257/db?sslpassword=" + pw + "#x",
		"postgresql://123:" + pw[:4] + "/" + pw[4:] + "@h/db",
		"roachdog:" + pw + "@h:26257",
		"host=h user=roachdog password=" + pw,
		"postgresql://roachdog:${BAD NAME " + pw + "}@h/db",
	}
	// A numeric password before a "/" parses as the host's port.
	_, err := Parse("conf.yaml", []byte("instances:\n  - cluster: a\n    discover: true\n    sql_url: postgresql://u:48151623/42@h/db\n"), nil)
	if err == nil || strings.Contains(err.Error(), "48151623") || strings.Contains(err.Error(), "42@") {
		t.Errorf("numeric password: got %v", err)
	}
	for _, u := range urls {
		for _, viaEnv := range []bool{false, true} {
			env := map[string]string{}
			val := u
			if viaEnv {
				env["CRDB_SQL_URL"] = u
				val = "${CRDB_SQL_URL}"
			}
			src := "instances:\n  - cluster: a\n    discover: true\n    sql_url: '" + strings.ReplaceAll(val, "'", "''") + "'\n"
			_, err := Parse("conf.yaml", []byte(src), envMap(env))
			if err == nil {
				t.Errorf("%q (env %v): no error", u, viaEnv)
				continue
			}
			msg := err.Error()
			for _, p := range pieces {
				if strings.Contains(msg, p) {
					t.Errorf("error for %q (env %v) holds %q: %s", u, viaEnv, p, msg)
				}
			}
			// Control characters written in the file are a YAML error on
			// that line; every other case names the key.
			if !strings.HasPrefix(msg, "conf.yaml:4: instances[0].sql_url: ") && !strings.HasPrefix(msg, "conf.yaml:4: invalid YAML: ") {
				t.Errorf("error without position: %s", msg)
			}
		}
	}
}

func TestRedactedSQLURL(t *testing.T) {
	tests := []struct{ in, redacted string }{
		{"postgresql://root@haproxy:26257/defaultdb?sslmode=disable", "postgresql://root@haproxy:26257/defaultdb?sslmode=disable"},
		{"postgres://u:p%40ss@h:26257/db", "postgres://u:xxxxx@h:26257/db"},
		{"postgresql://u:secret@h1:26257,h2:26257/db?sslmode=require", "postgresql://u:xxxxx@h1:26257,h2:26257/db?sslmode=require"},
		{"postgresql://u@h/db?password=secret&sslmode=require", "postgresql://u@h/db?password=xxxxx&sslmode=require"},
		{"postgresql:///db?host=/var/run/crdb", "postgresql:///db?host=/var/run/crdb"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			cfg := mustParse(t, "instances:\n  - cluster: a\n    discover: true\n    sql_url: '"+tt.in+"'\n", nil)
			in := cfg.Instances[0]
			if in.SQLURL != tt.in || in.RedactedSQLURL != tt.redacted {
				t.Errorf("got %q / %q, want %q", in.SQLURL, in.RedactedSQLURL, tt.redacted)
			}
		})
	}
}

func TestLogValueHasNoSecrets(t *testing.T) {
	cfg := mustParse(t, full, fullEnv)
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "config", cfg)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "config", cfg, "instance", cfg.Instances[0])
	out := buf.String()
	for _, secret := range []string{"hunter2", "api-Pw-7781"} {
		if strings.Contains(out, secret) {
			t.Errorf("log holds the password %q: %s", secret, out)
		}
	}
	for _, want := range []string{"roachdog:xxxxx@haproxy", "prod-eu", "http://roach1:8080", "status_api_user=roachdog_api",
		"instance.0.liveness.enabled=true", "instance.0.liveness.expected_nodes=3", "instance.0.jobs.window=2h0m0s", "instance.0.custom_queries=2"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q: %s", want, out)
		}
	}
}

func TestDogStatsDAddr(t *testing.T) {
	tests := []struct {
		name string
		file string // init_config.dogstatsd_url, "" for none
		env  map[string]string
		want string
	}{
		{"default", "", nil, "localhost:8125"},
		{"udp url", "udp://agent:9125", nil, "agent:9125"},
		{"udp url default port", "udp://agent", nil, "agent:8125"},
		{"udp ipv6", "udp://[::1]:8125", nil, "[::1]:8125"},
		{"host:port", "agent:8125", nil, "agent:8125"},
		{"bare host", "agent", nil, "agent:8125"},
		{"unix socket", "unix:///var/run/datadog/dsd.socket", nil, "unix:///var/run/datadog/dsd.socket"},
		{"unixgram socket", "unixgram:///tmp/dsd.socket", nil, "unixgram:///tmp/dsd.socket"},
		{"file wins over env", "udp://file:8125", map[string]string{"DD_DOGSTATSD_URL": "udp://env:8125", "DD_AGENT_HOST": "h"}, "file:8125"},
		{"DD_DOGSTATSD_URL", "", map[string]string{"DD_DOGSTATSD_URL": "udp://env:9999", "DD_AGENT_HOST": "h"}, "env:9999"},
		{"DD_DOGSTATSD_URL unix", "", map[string]string{"DD_DOGSTATSD_URL": "unix:///s.sock"}, "unix:///s.sock"},
		{"DD_AGENT_HOST", "", map[string]string{"DD_AGENT_HOST": "10.0.0.1"}, "10.0.0.1:8125"},
		{"DD_AGENT_HOST and port", "", map[string]string{"DD_AGENT_HOST": "agent", "DD_DOGSTATSD_PORT": "8200"}, "agent:8200"},
		{"DD_AGENT_HOST ipv6", "", map[string]string{"DD_AGENT_HOST": "fe80::1"}, "[fe80::1]:8125"},
		{"empty env ignored", "", map[string]string{"DD_DOGSTATSD_URL": "", "DD_AGENT_HOST": " "}, "localhost:8125"},
		{"port alone ignored", "", map[string]string{"DD_DOGSTATSD_PORT": "9000"}, "localhost:8125"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := minimal
			if tt.file != "" {
				src = "init_config:\n  dogstatsd_url: " + tt.file + "\n" + minimal
			}
			cfg := mustParse(t, src, tt.env)
			if cfg.Init.DogStatsDAddr != tt.want {
				t.Errorf("got %q, want %q", cfg.Init.DogStatsDAddr, tt.want)
			}
		})
	}
	for _, bad := range []string{"unix://relative.sock", "udp://", "http://a:1", "a:b", "a:0", "udp://a:70000"} {
		t.Run("bad "+bad, func(t *testing.T) {
			lines := errLines(t, "init_config:\n  dogstatsd_url: "+bad+"\n"+minimal, nil)
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "conf.yaml:2: init_config.dogstatsd_url: ") {
				t.Errorf("got %q", lines)
			}
		})
	}
}

func TestUnifiedServiceTags(t *testing.T) {
	dd := map[string]string{"DD_ENV": "prod", "DD_SERVICE": " roachdog ", "DD_VERSION": "1.2.3"}
	tests := []struct {
		name string
		tags string
		env  map[string]string
		want []string
	}{
		{"none", "", nil, nil},
		{"all from env", "", dd, []string{"env:prod", "service:roachdog", "version:1.2.3"}},
		{"configured wins", "[env:staging, team:db]", dd, []string{"env:staging", "team:db", "service:roachdog", "version:1.2.3"}},
		{"empty ignored", "[team:db]", map[string]string{"DD_ENV": ""}, []string{"team:db"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := minimal
			if tt.tags != "" {
				src = "init_config:\n  tags: " + tt.tags + "\n" + minimal
			}
			cfg := mustParse(t, src, tt.env)
			if !slices.Equal(cfg.Init.Tags, tt.want) {
				t.Errorf("got %q, want %q", cfg.Init.Tags, tt.want)
			}
		})
	}
}

func TestListenAddress(t *testing.T) {
	for in, want := range map[string]string{`off`: "", `"OFF"`: "", `""`: "", `":9464"`: ":9464", `0.0.0.0:9000`: "0.0.0.0:9000", `"[::1]:9464"`: "[::1]:9464"} {
		cfg := mustParse(t, "init_config:\n  listen_address: "+in+"\n"+minimal, nil)
		if cfg.Init.ListenAddress != want {
			t.Errorf("listen_address %s: got %q, want %q", in, cfg.Init.ListenAddress, want)
		}
	}
}

// TestPprof: profiles are off by default, on when asked on a loopback
// listen address, and refused (with the key and line) on any other.
func TestPprof(t *testing.T) {
	t.Parallel()
	if cfg := mustParse(t, minimal, nil); cfg.Init.Pprof {
		t.Error("pprof on by default")
	}
	for _, addr := range []string{``, `127.0.0.1:9464`, `"[::1]:9464"`, `localhost:9464`} {
		src := "init_config:\n  pprof: true\n"
		if addr != "" {
			src += "  listen_address: " + addr + "\n"
		}
		if cfg := mustParse(t, src+minimal, nil); !cfg.Init.Pprof {
			t.Errorf("listen_address %q: pprof: true not kept", addr)
		}
	}
	for _, addr := range []string{`":9464"`, `0.0.0.0:9464`, `10.1.2.3:9464`, `"[::]:9464"`, `off`, `db.example.com:9464`} {
		lines := errLines(t, "init_config:\n  listen_address: "+addr+"\n  pprof: true\n"+minimal, nil)
		if len(lines) != 1 || !strings.Contains(lines[0], "conf.yaml:3") || !strings.Contains(lines[0], "init_config.pprof: true needs a loopback listen_address") {
			t.Errorf("listen_address %s: got %q", addr, lines)
		}
	}
	if cfg := mustParse(t, "init_config:\n  listen_address: \":9464\"\n  pprof: false\n"+minimal, nil); cfg.Init.Pprof {
		t.Error("pprof: false read as true")
	}
	if lines := errLines(t, "init_config:\n  pprof: maybe\n"+minimal, nil); !strings.Contains(lines[0], "init_config.pprof") {
		t.Errorf("pprof: maybe: got %q", lines)
	}
}

// TestMergeKeys: YAML anchors and merge keys share settings between
// instances; own keys win, and positions still point at the right lines.
func TestMergeKeys(t *testing.T) {
	src := `x-common: &common
  min_collection_interval: 30
  tags: [team:db]
  status_urls: [http://r1:8080]
instances:
  - <<: *common
    cluster: a
  - <<: *common
    cluster: b
    min_collection_interval: 5
`
	// x-common is not a known key: anchors must live in a known place.
	lines := errLines(t, src, nil)
	if want := `conf.yaml:1: x-common: unknown key; known keys: init_config, instances`; !slices.Equal(lines, []string{want}) {
		t.Fatalf("got %q", lines)
	}
	src = `instances:
  - &common
    cluster: a
    min_collection_interval: 30
    tags: [team:db]
    status_urls: [http://r1:8080]
  - <<: *common
    cluster: b
    min_collection_interval: 5
`
	cfg := mustParse(t, src, nil)
	a, b := cfg.Instances[0], cfg.Instances[1]
	if a.MinCollectionInterval != 30*time.Second || b.MinCollectionInterval != 5*time.Second ||
		!slices.Equal(b.Tags, []string{"team:db"}) || !slices.Equal(b.StatusURLs, a.StatusURLs) || b.Cluster != "b" {
		t.Errorf("got %+v\n%+v", a, b)
	}
	bad := strings.Replace(src, "status_urls: [http://r1:8080]", "status_urls: [r1:8080]", 1)
	lines = errLines(t, bad, nil)
	want := []string{
		`conf.yaml:6: instances[0].status_urls[0]: "r1:8080" is not a URL with scheme http or https (did you mean "http://r1:8080"?)`,
		`conf.yaml:6: instances[1].status_urls[0]: "r1:8080" is not a URL with scheme http or https (did you mean "http://r1:8080"?)`,
	}
	if !slices.Equal(lines, want) {
		t.Errorf("got %q", lines)
	}
}

// TestAliasBomb: merge keys over nested aliases would make a naive walk
// visit 10^10 mappings; the node budget stops it with an error.
func TestAliasBomb(t *testing.T) {
	m := "&m0 {tags: [a:b]}"
	for i := 1; i <= 10; i++ {
		prev := "*m" + strconv.Itoa(i-1)
		m = "&m" + strconv.Itoa(i) + " {<<: [" + m + strings.Repeat(", "+prev, 9) + "]}"
	}
	src := "instances:\n  - cluster: a\n    status_urls: [http://a:1]\n    <<: " + m + "\n"
	_, err := Parse("conf.yaml", []byte(src), nil)
	if err == nil || !strings.Contains(err.Error(), "too many aliases") {
		t.Fatalf("want the node budget to stop the walk, got %v", err)
	}
}

// TestShippedFiles: the demo config and the example parse, and the demo
// config says what the docker-compose demo needs.
func TestShippedFiles(t *testing.T) {
	dir := filepath.Join(testenv.RepoRoot(t), "conf.d", "roachdog.d")
	for _, name := range []string{"conf.yaml", "conf.yaml.example", "local.yaml"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := Parse(name, data, nil)
			if err != nil {
				t.Fatalf("shipped %s does not parse:\n%v", name, err)
			}
			if len(cfg.Instances) == 0 {
				t.Fatal("no instances")
			}
		})
	}
	cfg, err := Load(filepath.Join(dir, "conf.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// Without DD_DOGSTATSD_URL in the environment, the demo's Agent.
	if _, set := os.LookupEnv("DD_DOGSTATSD_URL"); !set && cfg.Init.DogStatsDAddr != "datadog-agent:8125" {
		t.Errorf("dogstatsd: got %q", cfg.Init.DogStatsDAddr)
	}
	in := cfg.Instances[0]
	if in.Cluster != "demo" || !in.Discover || in.SQLURL != "postgresql://root@haproxy:26257/defaultdb?sslmode=disable" ||
		!slices.Equal(in.StatusURLs, []string{"http://roach1:8080", "http://roach2:8080", "http://roach3:8080"}) {
		t.Errorf("demo instance: %+v", in)
	}
}

// TestExampleDocumentsEveryKey: every key the decoder knows appears in
// conf.yaml.example, so the example cannot fall behind the code.
func TestExampleDocumentsEveryKey(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "conf.d", "roachdog.d", "conf.yaml.example"))
	if err != nil {
		t.Fatal(err)
	}
	// Every key accepted anywhere, found by feeding each to the decoder.
	keys := []string{
		"init_config", "instances", "dogstatsd_url", "namespace", "tags", "listen_address", "pprof", "log_format", "log_level",
		"cluster", "status_urls", "discover", "discovery", "scheme", "http_port", "refresh_interval", "sql_url",
		"min_collection_interval", "tls", "ca_file", "cert_file", "key_file", "insecure_skip_verify", "server_name",
		"checks", "status_api", "username", "password",
		"name", "type", // a custom query's columns
	}
	// The levels where keys are decoded; every registered check adds its
	// own, and its keys.
	levels := []string{
		"zzzzzzzzzzzz: 1\n",
		"init_config: {zzzzzzzzzzzz: 1}\n",
		"instances: [{zzzzzzzzzzzz: 1}]\n",
		"instances: [{discovery: {zzzzzzzzzzzz: 1}}]\n",
		"instances: [{tls: {zzzzzzzzzzzz: 1}}]\n",
		"instances: [{checks: {zzzzzzzzzzzz: 1}}]\n",
		"instances: [{custom_queries: [{columns: [{zzzzzzzzzzzz: 1}]}]}]\n",
		"instances: [{status_api: {zzzzzzzzzzzz: 1}}]\n",
	}
	for _, e := range checks.Registered() {
		keys = append(keys, e.Name)
		if e.InstanceKey {
			levels = append(levels, "instances: [{"+e.Name+": [{zzzzzzzzzzzz: 1}]}]\n")
		} else {
			keys = append(keys, "enabled", "interval", "timeout")
			levels = append(levels, "instances: [{checks: {"+e.Name+": {zzzzzzzzzzzz: 1}}}]\n")
		}
		for _, k := range append(e.Keys, e.ItemKeys...) {
			keys = append(keys, k.Name)
		}
	}
	for _, k := range keys {
		// As a key of its own line, commented out or not ("server_name:"
		// does not show "name").
		if !regexp.MustCompile(`(?m)^[ #\-]*` + regexp.QuoteMeta(k) + `:`).Match(data) {
			t.Errorf("conf.yaml.example does not show %q", k)
		}
	}
	// And the list above is complete: an unknown key's error lists the known
	// ones at each level.
	known := map[string]bool{}
	for _, k := range keys {
		known[k] = true
	}
	for _, src := range levels {
		_, err := Parse("c", []byte(src), nil)
		if err == nil {
			t.Fatalf("%s: no error", src)
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			_, list, ok := strings.Cut(line, "known keys: ")
			if !ok {
				continue
			}
			for _, k := range strings.Split(list, ", ") {
				if !known[k] {
					t.Errorf("key %q is accepted but not in this test's list (document it in conf.yaml.example)", k)
				}
			}
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !strings.Contains(err.Error(), "nope.yaml") || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("got %v", err)
	}
}

func TestHistogramModes(t *testing.T) {
	cfg := mustParse(t, minimal+"    checks: {vars: {histograms: both, histogram_overrides: {sql.txn_latency: gauges}}}\n", nil)
	v := viewInstance(cfg.Instances[0]).Checks.Vars
	if v.Histograms != "both" || v.HistogramOverrides["sql.txn_latency"] != "gauges" || len(v.HistogramOverrides) != 1 {
		t.Errorf("got %q %v", v.Histograms, v.HistogramOverrides)
	}
	if v := viewInstance(mustParse(t, minimal, nil).Instances[0]).Checks.Vars; v.Histograms != "" || v.HistogramOverrides != nil {
		t.Errorf("default: %q %v", v.Histograms, v.HistogramOverrides)
	}
	_, err := Parse("conf.yaml", []byte(minimal+"    checks: {vars: {histograms: sketch, histogram_overrides: {sql.txn_latency: all}}}\n"), nil)
	for _, want := range []string{
		`instances[0].checks.vars.histograms: want distribution, gauges or both, got "sketch"`,
		`instances[0].checks.vars.histogram_overrides.sql.txn_latency: want distribution, gauges or both, got "all"`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}
