-- CockroachDB v20.2 as roachdog sees it over SQL, emulated on PostgreSQL for
-- tests: the crdb_internal tables roachdog queries, with the columns, order,
-- nullability and types of a real v20.2.0-beta.1 node (SHOW CREATE TABLE),
-- mapped to PostgreSQL types:
--   STRING -> text, INT8 -> bigint, BOOL -> boolean, JSONB -> jsonb,
--   TIMESTAMP -> timestamp, TIMESTAMPTZ -> timestamptz, BYTES -> bytea,
--   FLOAT8 -> double precision, DECIMAL -> numeric, INT8[] -> bigint[].
--
-- Deliberately absent (as on v20.2, where selecting them fails with SQLSTATE
-- 42P01, exactly like here):
--   crdb_internal.kv_node_liveness  (added later; v20.2 has gossip_liveness)
--
-- This file holds structure plus the version identity of the gateway node
-- (crdb_internal.node_build_info, which roachdog reads to learn the emulated
-- version when the server sends no crdb_version). Cluster state goes in
-- seed_*.sql files. Add tables here as checks start to query them, one
-- section per table, columns copied from the version's SHOW CREATE TABLE.

CREATE SCHEMA IF NOT EXISTS crdb_internal;
CREATE SCHEMA IF NOT EXISTS system;

-- Gateway-local: this node's gossip view of every node. Keeps decommissioned
-- and dead nodes for a while.
CREATE TABLE crdb_internal.gossip_nodes (
	node_id bigint NOT NULL,
	network text NOT NULL,
	address text NOT NULL,
	advertise_address text NOT NULL,
	sql_network text NOT NULL,
	sql_address text NOT NULL,
	advertise_sql_address text NOT NULL,
	attrs jsonb NOT NULL,
	locality text NOT NULL,
	cluster_name text NOT NULL,
	server_version text NOT NULL,
	build_tag text NOT NULL,
	started_at timestamp NOT NULL,
	is_live boolean NOT NULL,
	ranges bigint NOT NULL,
	leases bigint NOT NULL
);

-- Gateway-local gossip view of liveness records. expiration is an HLC
-- timestamp string "<seconds>.<nanos>,<logical>".
CREATE TABLE crdb_internal.gossip_liveness (
	node_id bigint NOT NULL,
	epoch bigint NOT NULL,
	expiration text NOT NULL,
	draining boolean NOT NULL,
	decommissioning boolean NOT NULL,
	membership text NOT NULL,
	updated_at timestamp NULL
);

-- Cluster-wide RPC on a real cluster (may fail or time out when the cluster
-- is unhealthy). args is the node's command line as a JSON array.
CREATE TABLE crdb_internal.kv_node_status (
	node_id bigint NOT NULL,
	network text NOT NULL,
	address text NOT NULL,
	attrs jsonb NOT NULL,
	locality text NOT NULL,
	server_version text NOT NULL,
	go_version text NOT NULL,
	tag text NOT NULL,
	"time" text NOT NULL,
	revision text NOT NULL,
	cgo_compiler text NOT NULL,
	platform text NOT NULL,
	distribution text NOT NULL,
	type text NOT NULL,
	dependencies text NOT NULL,
	started_at timestamp NOT NULL,
	updated_at timestamp NOT NULL,
	metrics jsonb NOT NULL,
	args jsonb NOT NULL,
	env jsonb NOT NULL,
	activity jsonb NOT NULL
);

-- Gateway-local build facts, one row per field.
CREATE TABLE crdb_internal.node_build_info (
	node_id bigint NOT NULL,
	field text NOT NULL,
	value text NOT NULL
);

-- Version identity of the gateway (node 1), as the real v20.2 fixture
-- reports it. ClusterID and Organization rows come with the seed.
INSERT INTO crdb_internal.node_build_info (node_id, field, value) VALUES
	(1, 'Build', 'CockroachDB CCL v20.2.0-beta.1-localbuild (x86_64-pc-linux-gnu, built 2026/11/22 02:27:23, go1.15.15)'),
	(1, 'Version', 'v20.2.0-beta.1-localbuild'),
	(1, 'Channel', 'unknown'),
	(1, 'Name', 'CockroachDB');
