-- Tables the ranges check reads on CockroachDB v23.2: only the zone names
-- (the range report itself comes from POST /_status/critical_nodes, because
-- the replication reports are documented as incorrect from v23.1). Load
-- crdb_v23.2.sql first. Columns from pkg/sql/crdb_internal.go as listed in
-- the project's CockroachDB surfaces reference (sections 3.3 and 8); type
-- mapping of crdb_v20.2.sql. IF NOT EXISTS: other checks may load their own
-- copy into the same database.

CREATE SCHEMA IF NOT EXISTS crdb_internal;
CREATE SCHEMA IF NOT EXISTS system;

-- On the allowlist of v26.1's allow_unsafe_internals gate.
CREATE TABLE IF NOT EXISTS crdb_internal.zones (
	zone_id bigint NOT NULL,
	subzone_id bigint NOT NULL,
	target text NULL,
	range_name text NULL,
	database_name text NULL,
	schema_name text NULL,
	table_name text NULL,
	index_name text NULL,
	partition_name text NULL,
	raw_config_yaml text NOT NULL,
	raw_config_sql text NULL,
	raw_config_protobuf bytea NOT NULL,
	full_config_yaml text NOT NULL,
	full_config_sql text NULL
);

-- Every table of every database; read only for tables of violating ranges
-- that have no zone config of their own (their database's zone applies).
CREATE TABLE IF NOT EXISTS crdb_internal.tables (
	table_id bigint NOT NULL,
	parent_id bigint NOT NULL,
	name text NOT NULL,
	database_name text NULL,
	version bigint NOT NULL,
	mod_time timestamp NOT NULL,
	mod_time_logical numeric NOT NULL,
	format_version text NOT NULL,
	state text NOT NULL,
	sc_lease_node_id bigint NULL,
	sc_lease_expiration_time timestamp NULL,
	drop_time timestamp NULL,
	audit_mode text NOT NULL,
	schema_name text NOT NULL,
	parent_schema_id bigint NOT NULL,
	locality text NULL
);
