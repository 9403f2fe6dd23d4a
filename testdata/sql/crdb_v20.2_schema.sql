-- CockroachDB v20.2 tables read by the schema check (checks/schema.go),
-- emulated on PostgreSQL for tests. Load crdb_v20.2.sql first (it creates the
-- crdb_internal schema and the node_build_info row that gives the version).
-- Same type mapping as crdb_v20.2.sql.
--
-- The check's main queries read pg_catalog, which the test server has for
-- real: the user tables of a scenario (scenario_schema_shop.sql) are real
-- PostgreSQL tables. Only the CockroachDB-specific tables are emulated here.
-- Their descriptor_id/table_id equal the table's pg_class oid, as on
-- CockroachDB (where a table's oid is its descriptor id).

-- Indexes of the current database. Columns from SHOW CREATE TABLE on a real
-- v20.2.0-beta.1 node: no is_sharded yet (the check then learns, from
-- SQLSTATE 42703, to recognise hash-sharded indexes by their shard column).
CREATE TABLE crdb_internal.table_indexes (
	descriptor_id bigint NULL,
	descriptor_name text NOT NULL,
	index_id bigint NOT NULL,
	index_name text NOT NULL,
	index_type text NOT NULL,
	is_unique boolean NOT NULL,
	is_inverted boolean NOT NULL
);

-- Latest automatic table statistics of the current database. No schema was
-- captured from v20.2 (the table exists there: information_schema.tables
-- lists it); columns from pkg/sql/crdb_internal.go, unchanged since.
-- estimated_row_count is NULL for a table without statistics.
CREATE TABLE crdb_internal.table_row_statistics (
	table_id bigint NOT NULL,
	table_name text NOT NULL,
	estimated_row_count bigint NULL
);
