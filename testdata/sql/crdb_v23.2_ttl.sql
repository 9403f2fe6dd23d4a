-- Tables the ttl check reads on CockroachDB v23.2, beyond those of
-- crdb_v23.2.sql and crdb_v23.2_jobs.sql (crdb_internal.jobs,
-- system.scheduled_jobs). Load those two first. Same type mapping as
-- crdb_v20.2.sql.
--
-- The ttl check also reads pg_catalog.pg_index, pg_class, pg_namespace and
-- pg_attribute: on PostgreSQL those are the real catalogs of the tables the
-- scenario creates, so nothing is emulated for them.

CREATE SCHEMA IF NOT EXISTS crdb_internal;

-- SHOW CREATE TABLE text of every table, view and sequence. On CockroachDB
-- crdb_internal.create_statements lists the current database only, and
-- "".crdb_internal.create_statements (empty catalog name) lists every
-- database, which is what roachdog reads. PostgreSQL cannot query across
-- databases, so in tests this one table stands for the all-databases form:
-- it holds rows of several database_name values, and the check reads it
-- without the "" prefix when the server is not CockroachDB. Columns from
-- pkg/sql/crdb_internal.go (reference section 8) as of v23.2, without the
-- newer policy_statements.
CREATE TABLE IF NOT EXISTS crdb_internal.create_statements (
	database_id bigint NULL,
	database_name text NULL,
	schema_name text NOT NULL,
	descriptor_id bigint NULL,
	descriptor_type text NOT NULL,
	descriptor_name text NOT NULL,
	create_statement text NOT NULL,
	state text NOT NULL,
	create_nofks text NOT NULL,
	alter_statements text[] NOT NULL,
	validate_statements text[] NOT NULL,
	create_redactable text NOT NULL,
	has_partitions boolean NULL,
	is_multi_region boolean NULL,
	is_virtual boolean NULL,
	is_temporary boolean NULL
);

-- Latest automatic table statistics (estimated_row_count NULL for a table
-- without statistics). On CockroachDB it covers the current database and
-- the check reads "<db>".crdb_internal.table_row_statistics; here one table
-- stands for every database, keyed by the descriptor ids of
-- create_statements.
CREATE TABLE IF NOT EXISTS crdb_internal.table_row_statistics (
	table_id bigint NOT NULL,
	table_name text NOT NULL,
	estimated_row_count bigint NULL
);
