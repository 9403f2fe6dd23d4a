-- Tables the contention check reads on CockroachDB v23.2 (load
-- crdb_v23.2.sql first). Columns from pkg/sql/crdb_internal.go as listed in
-- the project's CockroachDB surfaces reference (section 6.2, latest
-- schemas), with the type mapping of crdb_v20.2.sql (INTERVAL -> interval,
-- UUID -> uuid). On CockroachDB the cluster_contended_* relations are views
-- over cluster_contention_events (an RPC fan-out to every node's contention
-- registry); here they are plain tables a scenario fills. All four are on
-- the allowlist of v26.1's allow_unsafe_internals gate. v20.2 has none of
-- them (its crdb_internal lists 40 tables, none about contention).

CREATE SCHEMA IF NOT EXISTS crdb_internal;

CREATE TABLE crdb_internal.cluster_contention_events (
	table_id bigint NULL,
	index_id bigint NULL,
	num_contention_events bigint NOT NULL,
	cumulative_contention_time interval NOT NULL,
	key bytea NOT NULL,
	txn_id uuid NOT NULL,
	count bigint NOT NULL
);

CREATE TABLE crdb_internal.cluster_contended_tables (
	database_name text NOT NULL,
	schema_name text NOT NULL,
	table_name text NOT NULL,
	num_contention_events bigint NOT NULL
);

CREATE TABLE crdb_internal.cluster_contended_indexes (
	database_name text NOT NULL,
	schema_name text NOT NULL,
	table_name text NOT NULL,
	index_name text NOT NULL,
	num_contention_events bigint NOT NULL
);

CREATE TABLE crdb_internal.transaction_contention_events (
	collection_ts timestamptz NOT NULL,
	blocking_txn_id uuid NOT NULL,
	blocking_txn_fingerprint_id bytea NOT NULL,
	waiting_txn_id uuid NOT NULL,
	waiting_txn_fingerprint_id bytea NOT NULL,
	contention_duration interval NOT NULL,
	contending_key bytea NOT NULL,
	contending_pretty_key text NOT NULL,
	waiting_stmt_id text NOT NULL,
	waiting_stmt_fingerprint_id bytea NOT NULL,
	database_name text NOT NULL,
	schema_name text NOT NULL,
	table_name text NOT NULL,
	index_name text NOT NULL,
	contention_type text NOT NULL
);
