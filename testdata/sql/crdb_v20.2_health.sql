-- Tables roachdog health reads on CockroachDB v20.2 to compute quorum over
-- SQL, beyond those of crdb_v20.2.sql (liveness and node tables) and
-- crdb_v20.2_liveness.sql (cluster_settings). Load those first. Columns,
-- order, nullability and types as SHOW CREATE TABLE printed them on the
-- real v20.2.0-beta.1 node, with the type mapping of crdb_v20.2.sql. IF NOT
-- EXISTS: other checks may load their own copy into the same database.

CREATE SCHEMA IF NOT EXISTS crdb_internal;

-- One row per range, read from the range descriptors. On v20.2, replicas
-- holds the store ids of the voters (learners are in learner_replicas);
-- there is no voting_replicas column yet.
CREATE TABLE IF NOT EXISTS crdb_internal.ranges_no_leases (
	range_id bigint NOT NULL,
	start_key bytea NOT NULL,
	start_pretty text NOT NULL,
	end_key bytea NOT NULL,
	end_pretty text NOT NULL,
	database_name text NOT NULL,
	table_name text NOT NULL,
	index_name text NOT NULL,
	replicas bigint[] NOT NULL,
	replica_localities text[] NOT NULL,
	learner_replicas bigint[] NOT NULL,
	split_enforced_until timestamp NULL
);

-- One row per store of every node (cluster-wide RPC on a real cluster):
-- maps the store ids of the replica arrays to nodes.
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
	metrics jsonb NOT NULL
);
