-- Tables the liveness check reads on CockroachDB v20.2, beyond those of
-- crdb_v20.2.sql (which has crdb_internal.gossip_liveness; v20.2 has no
-- crdb_internal.kv_node_liveness). Load crdb_v20.2.sql first. Same type
-- mapping as crdb_v20.2.sql.
--
-- crdb_internal.cluster_settings stands in for SHOW CLUSTER SETTING
-- server.time_until_store_dead, which PostgreSQL cannot run; the check reads
-- the table on PostgreSQL and falls back to it on CockroachDB. Columns as
-- SHOW CREATE TABLE printed them on the real v20.2.0-beta.1 node. IF NOT
-- EXISTS: other checks may load their own copy into the same database.

CREATE SCHEMA IF NOT EXISTS crdb_internal;
CREATE TABLE IF NOT EXISTS crdb_internal.cluster_settings (
	variable text NOT NULL,
	value text NOT NULL,
	type text NOT NULL,
	public boolean NOT NULL,
	description text NOT NULL
);
