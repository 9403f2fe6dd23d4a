-- Tables the ranges check reads on CockroachDB v20.2 (replication reports
-- and zone names). Load crdb_v20.2.sql first. Columns, order, nullability
-- and types as SHOW CREATE TABLE printed them on the real v20.2.0-beta.1
-- node, with the type mapping of crdb_v20.2.sql. The system.* tables live in
-- the system database's public schema on CockroachDB; here in schema
-- "system", so the same qualified names resolve.

CREATE SCHEMA IF NOT EXISTS crdb_internal;
CREATE SCHEMA IF NOT EXISTS system;

-- Admin only. Written by the replication-reports job every
-- kv.replication_reports.interval; report ids are in reports_meta.
CREATE TABLE system.replication_constraint_stats (
	zone_id bigint NOT NULL,
	subzone_id bigint NOT NULL,
	type text NOT NULL,
	config text NOT NULL,
	report_id bigint NOT NULL,
	violation_start timestamptz NULL,
	violating_ranges bigint NOT NULL,
	PRIMARY KEY (zone_id, subzone_id, type, config)
);

CREATE TABLE system.replication_critical_localities (
	zone_id bigint NOT NULL,
	subzone_id bigint NOT NULL,
	locality text NOT NULL,
	report_id bigint NOT NULL,
	at_risk_ranges bigint NOT NULL,
	PRIMARY KEY (zone_id, subzone_id, locality)
);

CREATE TABLE system.replication_stats (
	zone_id bigint NOT NULL,
	subzone_id bigint NOT NULL,
	report_id bigint NOT NULL,
	total_ranges bigint NOT NULL,
	unavailable_ranges bigint NOT NULL,
	under_replicated_ranges bigint NOT NULL,
	over_replicated_ranges bigint NOT NULL,
	PRIMARY KEY (zone_id, subzone_id)
);

CREATE TABLE system.reports_meta (
	id bigint NOT NULL PRIMARY KEY,
	"generated" timestamptz NOT NULL
);

-- One row per zone config and subzone; target names it ("TABLE
-- shop.public.customers", "RANGE default"). IF NOT EXISTS: other checks may
-- load their own copy into the same database.
CREATE TABLE IF NOT EXISTS crdb_internal.zones (
	zone_id bigint NOT NULL,
	subzone_id bigint NOT NULL,
	target text NULL,
	range_name text NULL,
	database_name text NULL,
	table_name text NULL,
	index_name text NULL,
	partition_name text NULL,
	raw_config_yaml text NOT NULL,
	raw_config_sql text NULL,
	raw_config_protobuf bytea NOT NULL,
	full_config_yaml text NOT NULL,
	full_config_sql text NULL
);
