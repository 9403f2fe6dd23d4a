-- The table the statements check reads on CockroachDB v20.2, beyond those of
-- crdb_v20.2.sql (load that first). Same type mapping. Columns, order,
-- nullability and types from the real v20.2.0-beta.1 SHOW CREATE TABLE
-- (../shared/fixtures/cockroach-v20.2/healthy/schemas/
-- crdb_internal.node_statement_statistics.txt).
--
-- On v20.2 the statistics are node-local and in memory: each node shows its
-- own, cumulative since it started or since diagnostics.sql_stat_reset.interval
-- (hourly) reset them. key is the fingerprint with constants replaced by _,
-- anonymized also hides names; flags is '+' for distributed and '!' for
-- failed executions. There is no cluster_statement_statistics, no
-- statement_statistics and no fingerprint ID in v20.2.

CREATE SCHEMA IF NOT EXISTS crdb_internal;

CREATE TABLE crdb_internal.node_statement_statistics (
	node_id bigint NOT NULL,
	application_name text NOT NULL,
	flags text NOT NULL,
	key text NOT NULL,
	anonymized text NULL,
	count bigint NOT NULL,
	first_attempt_count bigint NOT NULL,
	max_retries bigint NOT NULL,
	last_error text NULL,
	rows_avg double precision NOT NULL,
	rows_var double precision NOT NULL,
	parse_lat_avg double precision NOT NULL,
	parse_lat_var double precision NOT NULL,
	plan_lat_avg double precision NOT NULL,
	plan_lat_var double precision NOT NULL,
	run_lat_avg double precision NOT NULL,
	run_lat_var double precision NOT NULL,
	service_lat_avg double precision NOT NULL,
	service_lat_var double precision NOT NULL,
	overhead_lat_avg double precision NOT NULL,
	overhead_lat_var double precision NOT NULL,
	bytes_read_avg double precision NOT NULL,
	bytes_read_var double precision NOT NULL,
	rows_read_avg double precision NOT NULL,
	rows_read_var double precision NOT NULL,
	implicit_txn boolean NOT NULL
);
