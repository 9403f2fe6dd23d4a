-- The view the statements check reads on CockroachDB v23.2 (and, with the
-- same columns, v22.2 to v26.x), beyond those of crdb_v23.2.sql (load that
-- first). Same type mapping as crdb_v20.2.sql. Columns from the project's
-- CockroachDB surfaces reference (section 6.2); no real v23.2 capture backs
-- this file.
--
-- crdb_internal.statement_statistics merges every node's in-memory
-- statistics (cluster_statement_statistics) with the persisted
-- system.statement_statistics. One row per aggregation bucket
-- (aggregated_ts, hourly by default), fingerprint, transaction fingerprint,
-- plan hash and application; within a bucket the values are cumulative.
--
-- metadata (JSONB): {"db", "distsql", "fullScan", "implicitTxn", "query"
-- (the fingerprint: constants replaced by _), "querySummary", "stmtType",
-- "vec"}.
-- statistics (JSONB): {"statistics": {"cnt", "firstAttemptCnt",
-- "failureCount", "maxRetries", "lastExecAt", "lastErrorCode",
-- "latencyInfo": {"min", "max", "p50", "p90", "p99"} (percentiles 0 on
-- versions that no longer compute them), "svcLat", "parseLat", "planLat",
-- "runLat", "ovhLat", "idleLat", "numRows", "bytesRead", "rowsRead",
-- "rowsWritten" ({"mean", "sqDiff"}, seconds for latencies), "nodes",
-- "kvNodeIds", "regions", "planGists", "indexes", "sqlType",
-- "usedFollowerRead"}, "execution_statistics": {"cnt" (sampled executions),
-- "contentionTime", "cpuSQLNanos", "networkBytes", "networkMsgs",
-- "maxMemUsage", "maxDiskUsage", "mvccIteratorStats"},
-- "index_recommendations": [...]}.
-- index_recommendations (STRING[], v22.2+): "<type> : <DDL>", e.g.
-- "creation : CREATE INDEX ON db.public.t (a) STORING (b);".

CREATE SCHEMA IF NOT EXISTS crdb_internal;

CREATE TABLE crdb_internal.statement_statistics (
	aggregated_ts timestamptz NOT NULL,
	fingerprint_id bytea NOT NULL,
	transaction_fingerprint_id bytea NOT NULL,
	plan_hash bytea NOT NULL,
	app_name text NOT NULL,
	metadata jsonb NOT NULL,
	statistics jsonb NOT NULL,
	sampled_plan jsonb NOT NULL,
	aggregation_interval interval NOT NULL,
	index_recommendations text[] NULL,
	PRIMARY KEY (aggregated_ts, fingerprint_id, transaction_fingerprint_id, plan_hash, app_name)
);
