-- Tables the jobs check reads on CockroachDB v20.2, beyond those of
-- crdb_v20.2.sql. Load crdb_v20.2.sql first. Same type mapping as
-- crdb_v20.2.sql (STRING -> text, INT8 -> bigint, TIMESTAMP -> timestamp,
-- BYTES -> bytea, DECIMAL -> numeric, FLOAT8 -> double precision,
-- INT8[] -> bigint[]).
--
-- Columns, order, types and nullability copied from SHOW CREATE TABLE on the
-- real v20.2.0-beta.1 node (the project's v20.2 fixture schemas
-- crdb_internal.jobs.txt and system.jobs.txt).

CREATE SCHEMA IF NOT EXISTS crdb_internal;
CREATE SCHEMA IF NOT EXISTS system;

-- Decoded job records: a virtual table CockroachDB builds from system.jobs
-- (payload and progress protobufs) on every read. v20.2 timestamps are
-- TIMESTAMP (UTC wall clock); error is '' (not NULL) for jobs without one,
-- as in the real capture.
CREATE TABLE IF NOT EXISTS crdb_internal.jobs (
	job_id bigint NULL,
	job_type text NULL,
	description text NULL,
	statement text NULL,
	user_name text NULL,
	descriptor_ids bigint[] NULL,
	status text NULL,
	running_status text NULL,
	created timestamp NULL,
	started timestamp NULL,
	finished timestamp NULL,
	modified timestamp NULL,
	fraction_completed double precision NULL,
	high_water_timestamp numeric NULL,
	error text NULL,
	coordinator_id bigint NULL
);

-- The raw job records (v20.2 layout: no job_type, num_runs or last_run
-- columns yet). roachdog does not query it; the debug-zip dump test loads a
-- real v20.2-era dump here and reads it back through an emulated
-- crdb_internal.jobs.
CREATE TABLE IF NOT EXISTS system.jobs (
	id bigint NOT NULL,
	status text NOT NULL,
	created timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
	payload bytea NOT NULL,
	progress bytea NULL,
	created_by_type text NULL,
	created_by_id bigint NULL,
	claim_session_id bytea NULL,
	claim_instance_id bigint NULL,
	CONSTRAINT "primary" PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS jobs_status_created_idx ON system.jobs (status, created);
CREATE INDEX IF NOT EXISTS jobs_created_by_type_created_by_id_idx ON system.jobs (created_by_type, created_by_id) INCLUDE (status);

-- crdb_internal.is_admin(): whether the current user has the admin role.
-- TEST EMULATION: a PostgreSQL superuser stands for an admin, so the
-- tests' own user (postgres) is one and a role they create is not.
CREATE OR REPLACE FUNCTION crdb_internal.is_admin() RETURNS boolean
	LANGUAGE sql STABLE AS $$ SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user $$;
