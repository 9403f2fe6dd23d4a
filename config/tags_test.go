package config

import (
	"slices"
	"strings"
	"testing"

	"github.com/roachdog/roachdog/internal/wire"
	"github.com/roachdog/roachdog/internal/yamlx"
)

// TestMetadataTagKeys: a custom query's tag column may not be named with a
// key Datadog reads as metadata (its values come from the cluster: the
// wire layer would send them renamed crdb_<key>); configured tags may use
// env, service, version, host, device and source on purpose, not dd.*.
func TestMetadataTagKeys(t *testing.T) {
	t.Parallel()
	column := func(name, typ string) string {
		return withSQL + "    custom_queries:\n      - metric_prefix: shop\n        query: SELECT 1, 2\n        columns:\n" +
			"          - {name: " + name + ", type: " + typ + "}\n          - {name: orders, type: gauge}\n"
	}
	const at = "conf.yaml:10: instances[0].custom_queries[0].columns[0].name: "
	for _, tt := range []struct{ name, typ, want string }{
		{"host", "tag", at + `"host": the Agent takes a host tag as the metric's host name; with values read from the cluster roachdog sends the key as crdb_host instead; name the tag column otherwise (did you mean "crdb_host"? This name is the tag key; the SQL column's own name does not matter)`},
		{"device", "tag_not_null", at + `"device": Datadog reads a device tag as the metric's device; with values read from the cluster roachdog sends the key as crdb_device instead; name the tag column otherwise (did you mean "crdb_device"? This name is the tag key; the SQL column's own name does not matter)`},
		{"source", "tag_list", at + `"source": Datadog reads a source tag as the integration that sent the data; with values read from the cluster roachdog sends the key as crdb_source instead; name the tag column otherwise (did you mean "crdb_source"? This name is the tag key; the SQL column's own name does not matter)`},
		{"service", "tag", at + `"service": service is one of Datadog's unified service tags, which roachdog takes from the configuration only; with values read from the cluster roachdog sends the key as crdb_service instead; name the tag column otherwise (did you mean "crdb_service"? This name is the tag key; the SQL column's own name does not matter)`},
		{"env", "tag", at + `"env": env is one of Datadog's unified service tags, which roachdog takes from the configuration only; with values read from the cluster roachdog sends the key as crdb_env instead; name the tag column otherwise (did you mean "crdb_env"? This name is the tag key; the SQL column's own name does not matter)`},
		{"version", "tag", at + `"version": version is one of Datadog's unified service tags, which roachdog takes from the configuration only; with values read from the cluster roachdog sends the key as crdb_version instead; name the tag column otherwise (did you mean "crdb_version"? This name is the tag key; the SQL column's own name does not matter)`},
		{"dd.internal.entity_id", "tag", at + `"dd.internal.entity_id": dd.* tags are the Agent's own (origin detection, cardinality); with values read from the cluster roachdog sends the key as crdb_dd.internal.entity_id instead; name the tag column otherwise (did you mean "crdb_dd.internal.entity_id"? This name is the tag key; the SQL column's own name does not matter)`},
	} {
		t.Run("column "+tt.name, func(t *testing.T) {
			t.Parallel()
			if got := errLines(t, column(tt.name, tt.typ), nil); !slices.Equal(got, []string{tt.want}) {
				t.Errorf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), tt.want)
			}
		})
	}
	// Near names are fine: only the exact keys are metadata.
	for _, name := range []string{"crdb_host", "node_host", "hostname", "environment", "sources", "dd", "ddx.y"} {
		mustParse(t, column(name, "tag"), nil)
	}
	// A metric column named host is a metric name, not a tag.
	mustParse(t, column("host", "gauge"), nil)

	// Configured tags: env, service... kept; dd.* refused, in each place.
	cfg := mustParse(t, `init_config:
  tags: [env:prod, service:shop, version:1.2, host:db-vip, device:sda, source:crdb]
`+withSQL+`    tags: [env:staging, service:orders]
    custom_queries:
      - {metric_prefix: shop, query: SELECT 1, columns: [{name: n, type: gauge}], tags: [service:payments, env:prod]}
`, nil)
	if got := cfg.Init.Tags; !slices.Equal(got, []string{"env:prod", "service:shop", "version:1.2", "host:db-vip", "device:sda", "source:crdb"}) {
		t.Errorf("init tags %q", got)
	}
	if got := viewInstance(cfg.Instances[0]).CustomQueries[0].Tags; !slices.Equal(got, []string{"service:payments", "env:prod"}) {
		t.Errorf("query tags %q", got)
	}
	got := errLines(t, `init_config:
  tags: [dd.internal.card:high]
`+withSQL+`    tags: [dd.internal.entity_id:x]
    custom_queries:
      - {metric_prefix: shop, query: SELECT 1, columns: [{name: n, type: gauge}], tags: ["dd.x:y"]}
`, nil)
	want := []string{
		`conf.yaml:2: init_config.tags[0]: "dd.internal.card:high": dd.* tags are the Agent's own (origin detection, cardinality); remove it`,
		`conf.yaml:8: instances[0].tags[0]: "dd.internal.entity_id:x": dd.* tags are the Agent's own (origin detection, cardinality); remove it`,
		`conf.yaml:10: instances[0].custom_queries[0].tags[0]: "dd.x:y": dd.* tags are the Agent's own (origin detection, cardinality); remove it`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestMetadataTagKeysMatchWire: the keys config refuses for tag columns
// are exactly those the wire layer renames when they do not come from the
// configuration (plus cluster, refused with its own message), so that the
// two lists cannot drift apart.
func TestMetadataTagKeysMatchWire(t *testing.T) {
	t.Parallel()
	layer := wire.New(wire.Config{})
	for _, k := range []string{"host", "device", "source", "service", "env", "version", "cluster",
		"dd.internal.entity_id", "dd.internal.card", "dd.x", "dd", "ddx", "hostname", "host_name", "environment",
		"services", "versions", "devices", "node_id", "crdb_host", "team", "region", "zone", "rack"} {
		renamed := layer.Tags([]string{k + ":v"})[0] != k+":v"
		if refused := yamlx.MetadataTagKey(k) || k == "cluster"; refused != renamed {
			t.Errorf("key %q: config refuses it as a tag column: %v; wire renames it: %v", k, refused, renamed)
		}
	}
}
