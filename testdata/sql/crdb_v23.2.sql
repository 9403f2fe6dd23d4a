-- CockroachDB v23.2 as roachdog sees it over SQL, emulated on PostgreSQL for
-- tests. Same conventions and type mapping as crdb_v20.2.sql. Columns follow
-- pkg/sql/crdb_internal.go (see the project's CockroachDB surfaces
-- reference, section 2.1); no real v23.2 capture backs this file, so the
-- node_build_info rows below are a plausible, synthetic v23.2.0 build.
--
-- Differences from v20.2 that matter to roachdog's queries:
--   crdb_internal.kv_node_liveness exists (authoritative liveness from KV).
-- gossip_nodes, gossip_liveness and kv_node_status have the same columns as
-- in v20.2.

CREATE SCHEMA IF NOT EXISTS crdb_internal;
CREATE SCHEMA IF NOT EXISTS system;

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

CREATE TABLE crdb_internal.gossip_liveness (
	node_id bigint NOT NULL,
	epoch bigint NOT NULL,
	expiration text NOT NULL,
	draining boolean NOT NULL,
	decommissioning boolean NOT NULL,
	membership text NOT NULL,
	updated_at timestamp NULL
);

-- Read from KV: authoritative, includes decommissioned nodes.
CREATE TABLE crdb_internal.kv_node_liveness (
	node_id bigint NOT NULL,
	epoch bigint NOT NULL,
	expiration text NOT NULL,
	draining boolean NOT NULL,
	membership text NOT NULL
);

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

CREATE TABLE crdb_internal.node_build_info (
	node_id bigint NOT NULL,
	field text NOT NULL,
	value text NOT NULL
);

-- Synthetic v23.2.0 identity of the gateway (node 1).
INSERT INTO crdb_internal.node_build_info (node_id, field, value) VALUES
	(1, 'Build', 'CockroachDB CCL v23.2.0 (x86_64-pc-linux-gnu, built 2024/01/16 00:00:00, go1.21.5)'),
	(1, 'Version', 'v23.2.0'),
	(1, 'Channel', 'official-binary'),
	(1, 'Name', 'CockroachDB'),
	(1, 'VirtualClusterName', 'system');
