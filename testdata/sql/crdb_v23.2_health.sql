-- Tables roachdog health reads on CockroachDB v23.2 when it computes quorum
-- over SQL (when POST /_status/critical_nodes cannot be used), beyond those
-- of crdb_v23.2.sql and crdb_v23.2_liveness.sql. Load those first. Columns
-- from pkg/sql/crdb_internal.go as listed in the project's CockroachDB
-- surfaces reference (sections 2.1 and 3.2): v23.2 has the "new" SHOW
-- RANGES shape, without table_id, database_name, schema_name, table_name
-- and index_name. Type mapping of crdb_v20.2.sql. IF NOT EXISTS: other
-- checks may load their own copy into the same database.

CREATE SCHEMA IF NOT EXISTS crdb_internal;

-- One row per range. The arrays hold store ids: replicas = voters and
-- non-voters, voting_replicas = voters only.
CREATE TABLE IF NOT EXISTS crdb_internal.ranges_no_leases (
	range_id bigint NOT NULL,
	start_key bytea NOT NULL,
	start_pretty text NOT NULL,
	end_key bytea NOT NULL,
	end_pretty text NOT NULL,
	replicas bigint[] NOT NULL,
	replica_localities text[] NOT NULL,
	voting_replicas bigint[] NOT NULL,
	non_voting_replicas bigint[] NOT NULL,
	learner_replicas bigint[] NOT NULL,
	split_enforced_until timestamp NULL
);

CREATE TABLE IF NOT EXISTS crdb_internal.kv_store_status (
	node_id bigint NOT NULL,
	store_id bigint NOT NULL,
	attrs jsonb NOT NULL,
	capacity bigint NOT NULL,
	available bigint NOT NULL,
	used bigint NOT NULL,
	logical_bytes bigint NOT NULL,
	range_count bigint NOT NULL,
	lease_count bigint NOT NULL,
	writes_per_second double precision NOT NULL,
	bytes_per_replica jsonb NOT NULL,
	writes_per_replica jsonb NOT NULL,
	metrics jsonb NOT NULL,
	properties jsonb NOT NULL
);
