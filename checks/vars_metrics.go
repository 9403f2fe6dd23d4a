package checks

// The curated /_status/vars metric set: which Prometheus families roachdog
// reads, what it sends for each, and the catalog entries, all from one table
// so that the catalog can never drift from the code.
//
// Family names and types were checked against real payloads: a full v20.2
// capture (523 families) and v23.2 subsets (Datadog's integration fixtures),
// plus the CockroachDB docs for families present in neither. Default custom
// metrics cost users money, so the set stays small; Include adds more.

import (
	"math"
	"strconv"
	"strings"

	"github.com/roachdog/roachdog/emit"
)

// varsConv says how a family's samples become Datadog points.
type varsConv uint8

const (
	// varsGauge sends the value (times Scale).
	varsGauge varsConv = iota
	// varsCount sends the increase since the previous scrape as a count.
	// Used for counters and for gauges that only grow (storage_write_stalls
	// is TYPE gauge in v23.2 but cumulative).
	varsCount
	// varsHistogram sends the observations between two scrapes as a
	// distribution, and/or quantile, max and mean gauges plus a count of
	// them (HistogramMode); never per-bucket series.
	varsHistogram
	// varsNonZero sends the value only when it is not 0 (0 means "none");
	// negative values are sent (a licence expired that long ago).
	varsNonZero
	// varsExpiresIn turns a unix-seconds deadline into seconds from now,
	// only when the value is > 0 (0 means "no such certificate").
	varsExpiresIn
	// varsAge turns a unix-seconds timestamp into seconds since then, only
	// when the value is > 0 (0 means "never").
	varsAge
	// varsBuild sends 1 tagged with the build tag (crdb_version:<tag>).
	varsBuild
	// varsSparseGauge sends a series only once it has been non-zero since
	// roachdog started, then every cycle, zeros included: dozens of job
	// types exist, few ever run.
	varsSparseGauge
	// varsSparseCount sends a count only when the delta is non-zero.
	varsSparseCount
	// varsComputedGauge, varsComputedCount and varsServiceCheck are not read
	// from one family: the code derives them.
	varsComputedGauge
	varsComputedCount
	varsServiceCheck
)

// kind is the catalog kind of what this conversion sends (histograms expand
// to several entries, see varsCatalog).
func (c varsConv) kind() Kind {
	switch c {
	case varsCount, varsSparseCount, varsComputedCount:
		return KindCount
	case varsServiceCheck:
		return KindServiceCheck
	default:
		return KindGauge
	}
}

// varsMetric is one name roachdog sends from /_status/vars.
type varsMetric struct {
	Name string
	Conv varsConv
	Unit string
	// Scale multiplies values (1e-9 turns nanoseconds into seconds); 0 is 1.
	Scale float64
	// Store marks store-level families: their store label becomes store:<n>.
	Store bool
	// TagKey names the tag that tells the sources apart (kind, reason...).
	TagKey string
	// PerNode is the expected number of series per node (before histogram
	// expansion).
	PerNode int
	Desc    string
	// Sources are the families read. Exact sources give their TagValue;
	// Pattern sources (a regexp with one group) give the group.
	Sources []varsSource
	// Tags overrides the catalog tag keys (node.up carries instance).
	Tags []string
}

// varsSource is one family read for a varsMetric.
type varsSource struct {
	Family   string
	TagValue string
	Pattern  string
}

func (m *varsMetric) scale() float64 {
	if m.Scale == 0 {
		return 1
	}
	return m.Scale
}

const nanos = 1e-9

// Metrics the code refers to directly (identity, node health, computed and
// cluster inputs). They are part of varsMetrics like every other.
var (
	varsNodeUp = &varsMetric{Name: "node.up", Conv: varsComputedGauge, PerNode: 1,
		Tags: []string{"instance", "node_id", "locality"},
		Desc: "1 when the node's /_status/vars answered this cycle, 0 when it did not."}
	varsCanScrape = &varsMetric{Name: "node.can_scrape", Conv: varsServiceCheck, PerNode: 1,
		Tags: []string{"instance", "node_id", "locality"},
		Desc: "OK when the node's /_status/vars was scraped and parsed, CRITICAL with the reason otherwise."}
	varsLiveNodes = &varsMetric{Name: "liveness.live_nodes", Unit: "node", PerNode: 1,
		Desc:    "Live nodes in the cluster as this node sees them (0 when the node itself is not live).",
		Sources: []varsSource{{Family: "liveness_livenodes"}}}
	varsRanges = &varsMetric{Name: "ranges", Store: true, PerNode: 1,
		Desc:    "Ranges counted by this store (each range is counted once cluster-wide, by one replica).",
		Sources: []varsSource{{Family: "ranges"}}}
	varsRangesUnavailable = &varsMetric{Name: "ranges.unavailable", Store: true, PerNode: 1,
		Desc:    "Ranges with fewer live replicas than needed for quorum, counted once cluster-wide.",
		Sources: []varsSource{{Family: "ranges_unavailable"}}}
	varsRangesUnder = &varsMetric{Name: "ranges.underreplicated", Store: true, PerNode: 1,
		Desc:    "Ranges with fewer live replicas than the replication target, counted once cluster-wide.",
		Sources: []varsSource{{Family: "ranges_underreplicated"}}}
	varsRangesOver = &varsMetric{Name: "ranges.overreplicated", Store: true, PerNode: 1,
		Desc:    "Ranges with more live replicas than the replication target, counted once cluster-wide.",
		Sources: []varsSource{{Family: "ranges_overreplicated"}}}
	varsCapacity = &varsMetric{Name: "capacity.total", Unit: "byte", Store: true, PerNode: 1,
		Desc:    "Total storage capacity of the store.",
		Sources: []varsSource{{Family: "capacity"}}}
	varsCapacityAvailable = &varsMetric{Name: "capacity.available", Unit: "byte", Store: true, PerNode: 1,
		Desc:    "Storage capacity still available to the store.",
		Sources: []varsSource{{Family: "capacity_available"}}}
	varsUsedRatio = &varsMetric{Name: "capacity.used_ratio", Conv: varsComputedGauge, Unit: "fraction", Store: true, PerNode: 1,
		Desc: "(capacity - available) / capacity of the store: the disk-full signal."}
	varsUptime = &varsMetric{Name: "sys.uptime", Unit: "second", PerNode: 1,
		Desc:    "Seconds since the node's process started.",
		Sources: []varsSource{{Family: "sys_uptime"}}}
	varsRestarts = &varsMetric{Name: "node.restarts", Conv: varsComputedCount, PerNode: 1,
		Desc: "1 when sys_uptime shows the node restarted since the previous scrape, 0 otherwise."}
	varsBuildInfo = &varsMetric{Name: "node.build", Conv: varsBuild, TagKey: "crdb_version", PerNode: 1,
		Desc:    "1, tagged with the node's CockroachDB build tag (mixed versions show as several crdb_version values).",
		Sources: []varsSource{{Family: "build_timestamp"}}}
)

// varsFamilyNodeID is read only for the node's identity: before v23.1 the
// node id is this gauge's value (labels advertise_addr, http_addr, sql_addr);
// from v23.1 every sample carries a node_id label instead.
const varsFamilyNodeID = "node_id"

// varsUptimeFamily is read before every other family, for restarts.
var varsUptimeFamily = varsUptime.Sources[0].Family

// varsMetrics is the curated set, in catalog order.
var varsMetrics = []*varsMetric{
	varsNodeUp,
	varsCanScrape,
	varsBuildInfo,

	// Liveness (§2.4). All four exist in v20.2.
	varsLiveNodes,
	{Name: "liveness.heartbeat_latency", Conv: varsHistogram, Unit: "second", Scale: nanos, PerNode: 1,
		Desc:    "Latency of the node's liveness heartbeats.",
		Sources: []varsSource{{Family: "liveness_heartbeatlatency"}}},
	{Name: "liveness.heartbeat_failures", Conv: varsCount, Unit: "error", PerNode: 1,
		Desc:    "Failed liveness heartbeats of the node.",
		Sources: []varsSource{{Family: "liveness_heartbeatfailures"}}},
	{Name: "liveness.epoch_increments", Conv: varsCount, PerNode: 1,
		Desc:    "Times this node incremented another node's liveness epoch (declared it dead).",
		Sources: []varsSource{{Family: "liveness_epochincrements"}}},

	// Ranges, replicas and capacity per store (§3.1).
	varsRanges, varsRangesUnavailable, varsRangesUnder, varsRangesOver,
	{Name: "replicas", Store: true, PerNode: 1,
		Desc:    "Replicas held by the store.",
		Sources: []varsSource{{Family: "replicas"}}},
	{Name: "replicas.leaseholders", Store: true, PerNode: 1,
		Desc:    "Replicas of the store that hold their range's lease.",
		Sources: []varsSource{{Family: "replicas_leaseholders"}}},
	{Name: "replicas.leaders_not_leaseholders", Store: true, PerNode: 1,
		Desc:    "Raft leaders of the store that do not hold the lease (should be 0).",
		Sources: []varsSource{{Family: "replicas_leaders_not_leaseholders"}}},
	varsCapacity, varsCapacityAvailable,
	{Name: "capacity.used", Unit: "byte", Store: true, PerNode: 1,
		Desc:    "Storage used by CockroachDB data on the store.",
		Sources: []varsSource{{Family: "capacity_used"}}},
	varsUsedRatio,
	{Name: "storage.live_bytes", Unit: "byte", Store: true, PerNode: 1,
		Desc:    "Bytes of live data (keys plus values) on the store.",
		Sources: []varsSource{{Family: "livebytes"}}},
	// Not in v20.2 (Pebble's L0 sublevels were exported later); v23.2 has it.
	{Name: "storage.l0_sublevels", Store: true, PerNode: 1,
		Desc:    "Level 0 sublevels of the store's LSM; a high count means write overload.",
		Sources: []varsSource{{Family: "storage_l0_sublevels"}}},
	{Name: "storage.read_amplification", Store: true, PerNode: 1,
		Desc:    "Read amplification of the store's LSM.",
		Sources: []varsSource{{Family: "rocksdb_read_amplification"}}},
	// v23.2 declares it TYPE gauge but it only grows (a count of stalls), so
	// it is converted as a counter whatever the declared type. Absent from
	// v20.2 (which has engine_stalls, a different signal: disk stalls).
	{Name: "storage.write_stalls", Conv: varsCount, Store: true, PerNode: 1,
		Desc:    "Intentional write stalls of the store to back-pressure incoming writes.",
		Sources: []varsSource{{Family: "storage_write_stalls"}}},
	// v22.1+ (not in v20.2); store-level in v23.2.
	{Name: "admission.io_overload", Store: true, PerNode: 1,
		Desc:    "IO admission control's overload score of the store (1 or more: overloaded).",
		Sources: []varsSource{{Family: "admission_io_overload"}}},
	// v22.1+ (not in v20.2).
	{Name: "kv.circuit_breaker.tripped_replicas", Store: true, PerNode: 1,
		Desc:    "Replicas of the store whose circuit breaker is tripped (unavailable ranges).",
		Sources: []varsSource{{Family: "kv_replica_circuit_breaker_num_tripped_replicas"}}},
	// Store-level except distsender (node-level). All four in v20.2.
	{Name: "requests.slow", Unit: "request", Store: true, TagKey: "kind", PerNode: 4,
		Desc: "Requests stuck for longer than the slow-request threshold, by kind (raft, lease, latch, distsender).",
		Sources: []varsSource{
			{Family: "requests_slow_raft", TagValue: "raft"},
			{Family: "requests_slow_lease", TagValue: "lease"},
			{Family: "requests_slow_latch", TagValue: "latch"},
			{Family: "requests_slow_distsender", TagValue: "distsender"},
		}},

	// SQL.
	{Name: "sql.conns", Unit: "connection", PerNode: 1,
		Desc:    "Open SQL connections to the node.",
		Sources: []varsSource{{Family: "sql_conns"}}},
	{Name: "sql.new_conns", Conv: varsCount, Unit: "connection", PerNode: 1,
		Desc:    "New SQL connections to the node.",
		Sources: []varsSource{{Family: "sql_new_conns"}}},
	{Name: "sql.statements", Conv: varsCount, Unit: "query", TagKey: "statement_type", PerNode: 6,
		Desc: "SQL statements started by the node, by statement type.",
		Sources: []varsSource{
			{Family: "sql_select_count", TagValue: "select"},
			{Family: "sql_insert_count", TagValue: "insert"},
			{Family: "sql_update_count", TagValue: "update"},
			{Family: "sql_delete_count", TagValue: "delete"},
			{Family: "sql_ddl_count", TagValue: "ddl"},
			{Family: "sql_misc_count", TagValue: "misc"},
		}},
	{Name: "sql.failures", Conv: varsCount, Unit: "error", PerNode: 1,
		Desc:    "SQL statements that failed.",
		Sources: []varsSource{{Family: "sql_failure_count"}}},
	// Not in v20.2; v23.2 has it.
	{Name: "sql.full_scans", Conv: varsCount, Unit: "scan", PerNode: 1,
		Desc:    "SQL statements that did a full table or index scan.",
		Sources: []varsSource{{Family: "sql_full_scan_count"}}},
	{Name: "sql.txn.commits", Conv: varsCount, Unit: "transaction", PerNode: 1,
		Desc:    "SQL transactions committed.",
		Sources: []varsSource{{Family: "sql_txn_commit_count"}}},
	{Name: "sql.txn.aborts", Conv: varsCount, Unit: "transaction", PerNode: 1,
		Desc:    "SQL transactions aborted.",
		Sources: []varsSource{{Family: "sql_txn_abort_count"}}},
	{Name: "sql.txn.rollbacks", Conv: varsCount, Unit: "transaction", PerNode: 1,
		Desc:    "SQL transactions rolled back.",
		Sources: []varsSource{{Family: "sql_txn_rollback_count"}}},
	// Not in v20.2; v23.2 has it.
	{Name: "sql.contended_queries", Conv: varsCount, Unit: "query", PerNode: 1,
		Desc:    "SQL queries that met contention.",
		Sources: []varsSource{{Family: "sql_distsql_contended_queries_count"}}},
	{Name: "sql.service_latency", Conv: varsHistogram, Unit: "second", Scale: nanos, PerNode: 1,
		Desc:    "SQL statement service latency (parse to result), over the interval.",
		Sources: []varsSource{{Family: "sql_service_latency"}}},
	{Name: "sql.txn_latency", Conv: varsHistogram, Unit: "second", Scale: nanos, PerNode: 1,
		Desc:    "SQL transaction latency, over the interval.",
		Sources: []varsSource{{Family: "sql_txn_latency"}}},
	// Both in v20.2 and v23.2.
	{Name: "sql.exec_latency", Conv: varsHistogram, Unit: "second", Scale: nanos, PerNode: 1,
		Desc:    "SQL statement execution latency (without parsing and planning), over the interval.",
		Sources: []varsSource{{Family: "sql_exec_latency"}}},
	{Name: "kv.exec_latency", Conv: varsHistogram, Unit: "second", Scale: nanos, PerNode: 1,
		Desc:    "Latency of batch KV requests executed on this node, over the interval.",
		Sources: []varsSource{{Family: "exec_latency"}}},
	{Name: "raft.log_commit_latency", Conv: varsHistogram, Unit: "second", Scale: nanos, Store: true, PerNode: 1,
		Desc:    "Latency of durably committing Raft log entries on the store, over the interval.",
		Sources: []varsSource{{Family: "raft_process_logcommit_latency"}}},
	{Name: "raft.command_commit_latency", Conv: varsHistogram, Unit: "second", Scale: nanos, Store: true, PerNode: 1,
		Desc:    "Latency of applying committed Raft commands to the store's state machine, over the interval.",
		Sources: []varsSource{{Family: "raft_process_commandcommit_latency"}}},

	// KV transactions. txn_restarts itself is a histogram (restarts per
	// transaction) and is not matched: the pattern needs a suffix.
	// v20.2 has 8 reasons; v23.2 adds commitdeadlineexceeded.
	{Name: "txn.restarts", Conv: varsCount, TagKey: "reason", PerNode: 9,
		Desc:    "KV transaction restarts by reason (reason:serializable are RETRY_SERIALIZABLE errors).",
		Sources: []varsSource{{Pattern: `^txn_restarts_([a-z_]+)$`}}},
	{Name: "txn.commits", Conv: varsCount, Unit: "transaction", PerNode: 1,
		Desc:    "KV transactions committed.",
		Sources: []varsSource{{Family: "txn_commits"}}},
	{Name: "txn.aborts", Conv: varsCount, Unit: "transaction", PerNode: 1,
		Desc:    "KV transactions aborted.",
		Sources: []varsSource{{Family: "txn_aborts"}}},

	// Clock and network.
	{Name: "clock.offset.mean", Unit: "second", Scale: nanos, PerNode: 1,
		Desc:    "Mean clock offset of the node against the others.",
		Sources: []varsSource{{Family: "clock_offset_meannanos"}}},
	{Name: "clock.offset.stddev", Unit: "second", Scale: nanos, PerNode: 1,
		Desc:    "Standard deviation of the node's clock offset against the others.",
		Sources: []varsSource{{Family: "clock_offset_stddevnanos"}}},
	{Name: "rpc.round_trip_latency", Conv: varsHistogram, Unit: "second", Scale: nanos, PerNode: 1,
		Desc:    "Round-trip latency of the node's RPC heartbeats to other nodes, over the interval.",
		Sources: []varsSource{{Family: "round_trip_latency"}}},

	// Runtime.
	{Name: "sys.cpu.combined_percent_normalized", Unit: "fraction", PerNode: 1,
		Desc:    "User plus system CPU of the process, 0-1, normalised by the number of cores.",
		Sources: []varsSource{{Family: "sys_cpu_combined_percent_normalized"}}},
	{Name: "sys.rss", Unit: "byte", PerNode: 1,
		Desc:    "Resident memory of the process.",
		Sources: []varsSource{{Family: "sys_rss"}}},
	varsUptime,
	varsRestarts,
	{Name: "sys.goroutines", PerNode: 1,
		Desc:    "Goroutines of the process.",
		Sources: []varsSource{{Family: "sys_goroutines"}}},
	{Name: "sys.fd.open", Unit: "file", PerNode: 1,
		Desc:    "Open file descriptors of the process.",
		Sources: []varsSource{{Family: "sys_fd_open"}}},
	{Name: "sys.fd.softlimit", Unit: "file", PerNode: 1,
		Desc:    "Soft limit on the process's open file descriptors.",
		Sources: []varsSource{{Family: "sys_fd_softlimit"}}},

	// Storage latency: v23.2 (101 buckets, 0..1e10 ns); not in v20.2.
	{Name: "storage.wal_fsync_latency", Conv: varsHistogram, Unit: "second", Scale: nanos, Store: true, PerNode: 1,
		Desc:    "Latency of the store's write-ahead-log fsyncs, over the interval.",
		Sources: []varsSource{{Family: "storage_wal_fsync_latency"}}},

	// Admission control wait, v22.1+ (v23.2 names; the per-priority
	// variants such as admission_wait_durations_kv_normal_pri are left out).
	{Name: "admission.wait_duration", Conv: varsHistogram, Unit: "second", Scale: nanos, TagKey: "queue", PerNode: 2,
		Desc: "Time requests waited in admission control queues, over the interval.",
		Sources: []varsSource{
			{Family: "admission_wait_durations_kv", TagValue: "kv"},
			{Family: "admission_wait_durations_sql_kv_response", TagValue: "sql_kv_response"},
		}},

	// Changefeeds. v20.2 has emitted_messages, error_retries and
	// max_behind_nanos; running, failures and commit_latency appear later
	// (all in v23.2; error_retries and max_behind_nanos are not in the v23.2
	// subset but are in the docs' catalogue).
	{Name: "changefeed.running", PerNode: 1,
		Desc:    "Changefeeds running on the node.",
		Sources: []varsSource{{Family: "changefeed_running"}}},
	{Name: "changefeed.failures", Conv: varsCount, Unit: "error", PerNode: 1,
		Desc:    "Changefeed jobs that failed.",
		Sources: []varsSource{{Family: "changefeed_failures"}}},
	{Name: "changefeed.error_retries", Conv: varsCount, PerNode: 1,
		Desc:    "Retryable changefeed errors.",
		Sources: []varsSource{{Family: "changefeed_error_retries"}}},
	{Name: "changefeed.emitted_messages", Conv: varsCount, Unit: "message", PerNode: 1,
		Desc:    "Messages emitted by changefeeds.",
		Sources: []varsSource{{Family: "changefeed_emitted_messages"}}},
	{Name: "changefeed.max_behind", Unit: "second", Scale: nanos, PerNode: 1,
		Desc:    "How far the most lagging changefeed's checkpoint is behind the present.",
		Sources: []varsSource{{Family: "changefeed_max_behind_nanos"}}},
	{Name: "changefeed.commit_latency", Conv: varsHistogram, Unit: "second", Scale: nanos, PerNode: 1,
		Desc:    "Time from an event's MVCC timestamp to its acknowledgement by the sink, over the interval.",
		Sources: []varsSource{{Family: "changefeed_commit_latency"}}},

	// Jobs per type (v21.1+; v20.2 has none). Dozens of types exist and
	// few run, hence the sparse conversions. The auto jobs (span config
	// reconciliation, SQL stats...) run permanently on some node.
	{Name: "jobs.running", Conv: varsSparseGauge, Unit: "job", TagKey: "job_type", PerNode: 6,
		Desc:    "Jobs of a type currently running on the node (sent once the type has been non-zero).",
		Sources: []varsSource{{Pattern: `^jobs_([a-z0-9_]+)_currently_running$`}}},
	{Name: "jobs.paused", Conv: varsSparseGauge, Unit: "job", TagKey: "job_type", PerNode: 1,
		Desc:    "Jobs of a type currently paused (sent once the type has been non-zero).",
		Sources: []varsSource{{Pattern: `^jobs_([a-z0-9_]+)_currently_paused$`}}},
	{Name: "jobs.resume_failed", Conv: varsSparseCount, Unit: "job", TagKey: "job_type", PerNode: 1,
		Desc:    "Jobs of a type that failed with a non-retryable error (sent only when non-zero).",
		Sources: []varsSource{{Pattern: `^jobs_([a-z0-9_]+)_resume_failed$`}}},

	// Row-level TTL (v22.2+ names; v22.1 called active spans
	// num_active_ranges).
	{Name: "ttl.rows_selected", Conv: varsCount, Unit: "row", PerNode: 1,
		Desc:    "Rows selected for deletion by row-level TTL jobs.",
		Sources: []varsSource{{Family: "jobs_row_level_ttl_rows_selected"}}},
	{Name: "ttl.rows_deleted", Conv: varsCount, Unit: "row", PerNode: 1,
		Desc:    "Rows deleted by row-level TTL jobs.",
		Sources: []varsSource{{Family: "jobs_row_level_ttl_rows_deleted"}}},
	{Name: "ttl.total_rows", Unit: "row", PerNode: 1,
		Desc:    "Approximate rows of TTL tables (needs ttl_row_stats_poll_interval).",
		Sources: []varsSource{{Family: "jobs_row_level_ttl_total_rows"}}},
	{Name: "ttl.total_expired_rows", Unit: "row", PerNode: 1,
		Desc:    "Approximate expired rows not yet deleted from TTL tables (needs ttl_row_stats_poll_interval).",
		Sources: []varsSource{{Family: "jobs_row_level_ttl_total_expired_rows"}}},
	{Name: "ttl.active_spans", PerNode: 1,
		Desc: "Spans the TTL job is processing right now.",
		Sources: []varsSource{
			{Family: "jobs_row_level_ttl_num_active_spans"},
			{Family: "jobs_row_level_ttl_num_active_ranges"}, // v22.1
		}},
	{Name: "ttl.span_duration", Conv: varsHistogram, Unit: "second", Scale: nanos, PerNode: 1,
		Desc:    "Time TTL jobs took to process one span, over the interval.",
		Sources: []varsSource{{Family: "jobs_row_level_ttl_span_total_duration"}}},
	{Name: "ttl.schedule_failures", Conv: varsCount, PerNode: 1,
		Desc:    "Row-level TTL schedule executions that failed.",
		Sources: []varsSource{{Family: "schedules_scheduled_row_level_ttl_executor_failed"}}},

	// Backup schedules (v21.1+; v20.2 has none).
	{Name: "backup.schedule_failures", Conv: varsCount, PerNode: 1,
		Desc:    "Backup schedule executions that failed.",
		Sources: []varsSource{{Family: "schedules_BACKUP_failed"}}},
	// Only maintained for schedules created with
	// updates_cluster_last_backup_time_metric; 0 (never) sends nothing.
	{Name: "backup.last_completed_age", Conv: varsAge, Unit: "second", PerNode: 1,
		Desc:    "Seconds since the last backup of a schedule that updates the last-backup metric completed.",
		Sources: []varsSource{{Family: "schedules_BACKUP_last_completed_time"}}},

	// Certificates (secure clusters; v22.2.8 exports ca, node, client_ca,
	// node_client, ui, ui_ca, client_tenant, ca_client_tenant; 0 = none).
	{Name: "security.certificate.expires_in", Conv: varsExpiresIn, Unit: "second", TagKey: "certificate", PerNode: 3,
		Desc:    "Seconds until a certificate of the node expires (negative once expired), by certificate type.",
		Sources: []varsSource{{Pattern: `^security_certificate_expiration_([a-z0-9_]+)$`}}},
	// In the docs' catalogue; in neither fixture (0 or absent without an
	// enterprise licence).
	// Negative once expired, and still sent then: an expired licence is
	// exactly when the monitor must keep seeing it.
	{Name: "license.expires_in", Conv: varsNonZero, Unit: "second", PerNode: 1,
		Desc:    "Seconds until the enterprise licence expires (negative once expired; sent only while one is installed).",
		Sources: []varsSource{{Family: "seconds_until_enterprise_license_expiry"}}},
}

// varsQuantileSuffix names a quantile's gauge suffix.
func varsQuantileSuffix(q float64) string {
	// 0.5 → p50, 0.999 → p99_9; rounded to avoid 99.89999999999999.
	s := strconv.FormatFloat(math.Round(q*1e6)/1e4, 'f', -1, 64)
	return "p" + strings.ReplaceAll(s, ".", "_")
}

// varsDefaultQuantiles are used when none are configured, and by the catalog.
var varsDefaultQuantiles = []float64{0.5, 0.75, 0.9, 0.99}

// varsCatalog lists every per-node metric and service check of the vars
// check, derived from varsMetrics.
func varsCatalog() []Metric {
	var out []Metric
	for _, m := range varsMetrics {
		tags := m.Tags
		if tags == nil {
			tags = []string{"node_id", "locality"}
			if m.Store {
				tags = append(tags, "store")
			}
			if m.TagKey != "" {
				tags = append(tags, m.TagKey)
			}
		}
		base := Metric{Name: m.Name, Kind: m.Conv.kind(), Unit: m.Unit, Tags: tags,
			Description: m.Desc, Check: "vars", PerNode: m.PerNode}
		if m.Conv != varsHistogram {
			out = append(out, base)
			continue
		}
		d := base
		d.Kind = KindDistribution
		d.Description = m.Desc + " A distribution of the node's observations over the interval, merged across nodes by Datadog (p99:" +
			"<name>{cluster:x} is the cluster's p99 once percentiles are enabled). Off with histograms: gauges."
		out = append(out, d)
		// The per-node gauges are sent with histograms: gauges or both.
		base.Optional = true
		for _, q := range varsDefaultQuantiles {
			e := base
			e.Name = m.Name + "." + varsQuantileSuffix(q)
			e.Description = strconv.FormatFloat(q*100, 'f', -1, 64) + "th percentile over the interval: " + m.Desc
			out = append(out, e)
		}
		e := base
		e.Name, e.Description = m.Name+".max", "Upper bound of the highest bucket observed over the interval: "+m.Desc
		out = append(out, e)
		e.Name, e.Description = m.Name+".avg", "Mean over the interval: "+m.Desc
		out = append(out, e)
		e.Name, e.Kind, e.Unit = m.Name+".count", KindCount, ""
		e.Description = "Observations over the interval: " + m.Desc
		out = append(out, e)
	}
	return out
}

// The family table is the definition of the per-node metrics: their tag
// keys include the node's locality tiers, which no fixed list can name, and
// what is sent for a family is derived from its entry alone (see the
// emitting lines in vars.go). The cluster-level gauges are typed
// definitions (vars_cluster.go).
func init() { emit.Register(varsCatalog()...) }
