-- CockroachDB v23.2 tables read by the schema check (checks/schema.go),
-- emulated on PostgreSQL for tests. Load crdb_v23.2.sql first. Same
-- conventions as crdb_v20.2_schema.sql. No real v23.2 capture backs this file:
-- columns follow pkg/sql/crdb_internal.go (the project's CockroachDB surfaces
-- reference, section 8); the check reads descriptor_id, index_name and
-- is_sharded only, so the exact set of the other columns does not matter.

-- Indexes of the current database; is_sharded marks hash-sharded indexes.
CREATE TABLE crdb_internal.table_indexes (
	descriptor_id bigint NULL,
	descriptor_name text NOT NULL,
	index_id bigint NOT NULL,
	index_name text NOT NULL,
	index_type text NOT NULL,
	is_unique boolean NOT NULL,
	is_inverted boolean NOT NULL,
	is_sharded boolean NOT NULL,
	is_visible boolean NOT NULL,
	visibility double precision NOT NULL,
	shard_bucket_count bigint NULL,
	created_at timestamp NULL,
	create_statement text NOT NULL
);

-- Latest automatic table statistics of the current database.
CREATE TABLE crdb_internal.table_row_statistics (
	table_id bigint NOT NULL,
	table_name text NOT NULL,
	estimated_row_count bigint NULL
);
