package config

import (
	"strings"
	"testing"
)

// envSecret is what the variable S holds in TestEnvValuesNeverInErrors,
// around whatever makes the value invalid.
const envSecret = "Zq9Xw7Vt4Kp2"

// secretPieces are parts of envSecret no message may hold, in any case.
var secretPieces = []string{envSecret, envSecret[:6], envSecret[6:], envSecret[3:9]}

// TestEnvValuesNeverInErrors: for every kind of key, an invalid value that
// came from ${S} is reported (file, line, key) without what S holds, in
// any case or piece: the message shows the value as written in the file.
func TestEnvValuesNeverInErrors(t *testing.T) {
	t.Parallel()
	const inst = "instances:\n  - cluster: a\n    status_urls: [http://a:1]\n"
	const sqlInst = "instances:\n  - cluster: a\n    status_urls: [http://a:1]\n    sql_url: postgresql://u@h/db\n"
	lower := strings.ToLower(envSecret)
	tests := []struct {
		name, src, s string // s: what S holds
		// shown is the value as the message must show it ("" when the
		// message quotes no value).
		shown string
	}{
		{"dogstatsd_url", "init_config:\n  dogstatsd_url: tcp://${S}:8125\n" + inst, envSecret, `"tcp://${S}:8125"`},
		{"namespace", "init_config:\n  namespace: ${S}\n" + inst, "9" + envSecret, `"${S}"`},
		{"listen_address", "init_config:\n  listen_address: ${S}\n" + inst, envSecret, `"${S}"`},
		{"log_format", "init_config:\n  log_format: ${S}\n" + inst, envSecret, `"${S}"`},
		{"log_level", "init_config:\n  log_level: ${S}\n" + inst, envSecret, `"${S}"`},
		{"tag value", "init_config:\n  tags: [\"team:${S}\"]\n" + inst, envSecret + " x", `tag "team:${S}"`},
		{"tag without value", "init_config:\n  tags: [\"${S}\"]\n" + inst, envSecret, `tag "${S}"`},
		{"tag key case", "init_config:\n  tags: [\"${S}:v\"]\n" + inst, "k" + envSecret, `tag "${S}:v"`},
		{"tag too long", "init_config:\n  tags: [\"k:${S}\"]\n" + inst, envSecret + strings.Repeat("x", 200), `tag "k:${S}"`},
		{"duplicate tag", "init_config:\n  tags: [\"k:${S}\", \"k:${S}\"]\n" + inst, lower, `"k:${S}"`},
		{"cluster tag", "init_config:\n  tags: [\"cluster:${S}\"]\n" + inst, lower, `"cluster:${S}"`},
		{"dd tag", "init_config:\n  tags: [\"dd.${S}:x\"]\n" + inst, lower, `"dd.${S}:x"`},
		{"instance tag", inst + "    tags: [\"a:${S}\"]\n", envSecret + "|x", `tag "a:${S}"`},
		{"cluster", "instances:\n  - cluster: ${S}\n    status_urls: [http://a:1]\n", envSecret + " x", `"${S}"`},
		{"duplicate cluster", "instances:\n  - cluster: ${S}\n    status_urls: [http://a:1]\n  - cluster: ${S}\n    status_urls: [http://a:1]\n", envSecret, `"${S}"`},
		{"status URL password", "instances:\n  - cluster: a\n    status_urls: [\"http://${S}@h:8080\"]\n", "u:" + envSecret, `"http://${S}@h:8080"`},
		{"status URL user", "instances:\n  - cluster: a\n    status_urls: [\"http://${S}@h:8080\"]\n", envSecret, `"http://${S}@h:8080"`},
		{"status URL without scheme", "instances:\n  - cluster: a\n    status_urls: [\"${S}:8080\"]\n", envSecret, `"${S}:8080"`},
		{"status URL path", "instances:\n  - cluster: a\n    status_urls: [\"http://${S}:8080/x\"]\n", envSecret, `"http://${S}:8080/x"`},
		{"status URL port", "instances:\n  - cluster: a\n    status_urls: [\"http://h:${S}\"]\n", envSecret, `"http://h:${S}"`},
		{"duplicate status URL", "instances:\n  - cluster: a\n    status_urls: [\"http://${S}:1\", \"http://${S}:1/\"]\n", envSecret, `"http://${S}:1/"`},
		{"discover", inst + "    discover: ${S}\n", envSecret, `"${S}"`},
		{"discovery scheme", inst + "    discovery: {scheme: \"${S}\"}\n", envSecret, `"${S}"`},
		{"discovery port", inst + "    discovery: {http_port: \"${S}\"}\n", envSecret, `"${S}"`},
		{"duration", inst + "    min_collection_interval: ${S}\n", envSecret, `"${S}"`},
		{"negative duration", inst + "    min_collection_interval: \"-${S}\"\n", "5", `"-${S}"`},
		{"size", inst + "    checks: {vars: {max_payload_bytes: \"${S}\"}}\n", envSecret, `"${S}"`},
		{"integer", inst + "    checks: {vars: {max_concurrent_scrapes: \"${S}\"}}\n", envSecret, `"${S}"`},
		{"compression", inst + "    checks: {vars: {compression: \"${S}\"}}\n", envSecret, `"${S}"`},
		{"histograms", inst + "    checks: {vars: {histograms: \"${S}\"}}\n", envSecret, `"${S}"`},
		{"histogram override", inst + "    checks: {vars: {histogram_overrides: {sql.txn_latency: \"${S}\"}}}\n", envSecret, `"${S}"`},
		{"quantile", inst + "    checks: {vars: {quantiles: [\"${S}\"]}}\n", envSecret, `"${S}"`},
		{"duplicate quantile", inst + "    checks: {vars: {quantiles: [0.5, \"${S}\"]}}\n", "0.5", `"${S}"`},
		{"sql_url", "instances:\n  - cluster: a\n    discover: true\n    sql_url: \"postgresql://u@${S}:26257/db?sslmode=on\"\n", envSecret, `"postgresql://u@${S}:26257/db?sslmode=on"`},
		{"sql_url whole", "instances:\n  - cluster: a\n    discover: true\n    sql_url: ${S}\n", "postgresql://u:" + envSecret + "@h:26257/db?sslmode=on", `"${S}"`},
		{"sql_url password written in the file", "instances:\n  - cluster: a\n    discover: true\n    sql_url: \"postgresql://u:" + envSecret + "@${S}:26257/db?sslmode=on\"\n", "h", `"postgresql://u:xxxxx@${S}:26257/db?sslmode=on"`},
		{"check enabled", sqlInst + "    checks: {ranges: {enabled: \"${S}\"}}\n", envSecret, `"${S}"`},
		{"expected_nodes", sqlInst + "    checks: {liveness: {expected_nodes: \"${S}\"}}\n", envSecret, `"${S}"`},
		{"schema databases", sqlInst + "    checks: {schema: {databases: [\"${S}.x\"]}}\n", envSecret, `"${S}.x"`},
		{"schema tables", sqlInst + "    checks: {schema: {tables: [\"${S}\"]}}\n", envSecret, `"${S}"`},
		{"jobs window", sqlInst + "    checks: {jobs: {window: \"${S}\"}}\n", envSecret, `"${S}"`},
		{"metric_prefix", sqlInst + "    custom_queries: [{metric_prefix: \"${S}\", query: q, columns: [{name: a, type: gauge}]}]\n", "9" + envSecret, `"${S}"`},
		{"max_rows", sqlInst + "    custom_queries: [{metric_prefix: p, query: q, max_rows: \"${S}\", columns: [{name: a, type: gauge}]}]\n", envSecret, `"${S}"`},
		{"query name", sqlInst + "    custom_queries:\n      - {name: \"${S}\", metric_prefix: p, query: q, columns: [{name: a, type: gauge}]}\n      - {name: \"${S}\", metric_prefix: p, query: q, columns: [{name: a, type: gauge}]}\n", envSecret, `"${S}"`},
		{"column type", sqlInst + "    custom_queries: [{metric_prefix: p, query: q, columns: [{name: a, type: \"${S}\"}]}]\n", lower, `"${S}"`},
		{"column type near a known one", sqlInst + "    custom_queries: [{metric_prefix: p, query: q, columns: [{name: a, type: \"${S}\"}]}]\n", "gauge" + lower[:1], `"${S}"`},
		{"metric column name", sqlInst + "    custom_queries: [{metric_prefix: p, query: q, columns: [{name: \"${S}\", type: gauge}]}]\n", "9" + envSecret, `"${S}"`},
		{"tag column name", sqlInst + "    custom_queries: [{metric_prefix: p, query: q, columns: [{name: \"${S}\", type: tag}, {name: a, type: gauge}]}]\n", "k" + envSecret, `"${S}"`},
		{"duplicate column name", sqlInst + "    custom_queries: [{metric_prefix: p, query: q, columns: [{name: \"${S}\", type: gauge}, {name: \"${S}\", type: count}]}]\n", lower, `"${S}"`},
		{"metric name too long", sqlInst + "    custom_queries: [{metric_prefix: \"${S}\", query: q, columns: [{name: a, type: gauge}]}]\n", lower + strings.Repeat(".x", 100), `"${S}"`},
		{"query tag", sqlInst + "    custom_queries: [{metric_prefix: p, query: q, tags: [\"k:${S}\"], columns: [{name: a, type: gauge}]}]\n", envSecret + ",x", `tag "k:${S}"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Parse("conf.yaml", []byte(tt.src), envMap(map[string]string{"S": tt.s}))
			if err == nil {
				t.Fatalf("no error; config %+v", cfg)
			}
			msg := err.Error()
			t.Log(msg)
			for _, p := range secretPieces {
				if strings.Contains(strings.ToLower(msg), strings.ToLower(p)) {
					t.Errorf("error holds %q from ${S}:\n%s", p, msg)
				}
			}
			if want := tt.shown + " (value from ${S} not shown)"; !strings.Contains(msg, want) {
				t.Errorf("error does not show %s:\n%s", want, msg)
			}
			if !strings.HasPrefix(msg, "conf.yaml:") {
				t.Errorf("error without position: %s", msg)
			}
		})
	}
}

// TestEnvValuesWrittenInFileStillShown: a value without ${VAR} is quoted as
// before, so that the messages stay useful.
func TestEnvValuesWrittenInFileStillShown(t *testing.T) {
	t.Parallel()
	src := "init_config:\n  listen_address: \"${EMPTY}9464\"\n  log_level: loud\ninstances:\n  - cluster: a\n    status_urls: [http://a:1]\n"
	got := errLines(t, src, map[string]string{"EMPTY": ""})
	want := []string{
		`conf.yaml:2: init_config.listen_address: "${EMPTY}9464" (value from ${EMPTY} not shown): want host:port like "127.0.0.1:9464" or ":9464", or "off"`,
		`conf.yaml:3: init_config.log_level: "loud": want debug, info, warn or error`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
