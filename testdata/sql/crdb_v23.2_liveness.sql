-- Tables the liveness check reads on CockroachDB v23.2, beyond those of
-- crdb_v23.2.sql (which has crdb_internal.kv_node_liveness and
-- gossip_liveness). Load crdb_v23.2.sql first. Same type mapping as
-- crdb_v20.2.sql.
--
-- crdb_internal.cluster_settings stands in for SHOW CLUSTER SETTING
-- server.time_until_store_dead, which PostgreSQL cannot run. Columns from
-- pkg/sql/crdb_internal.go as listed in the project's CockroachDB surfaces
-- reference (section 6.2) minus "key", which came later; the release that
-- added default_value and origin is not pinned there. roachdog selects only
-- variable and value, present in every version.

CREATE SCHEMA IF NOT EXISTS crdb_internal;
CREATE TABLE IF NOT EXISTS crdb_internal.cluster_settings (
	variable text NOT NULL,
	value text NOT NULL,
	type text NOT NULL,
	public boolean NOT NULL,
	description text NOT NULL,
	default_value text NOT NULL,
	origin text NOT NULL
);
