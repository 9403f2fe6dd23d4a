-- Tables the jobs and ttl checks read on CockroachDB v23.2, beyond those of
-- crdb_v23.2.sql. Load crdb_v23.2.sql first. Same type mapping as
-- crdb_v20.2.sql (STRING -> text, INT8 -> bigint, TIMESTAMPTZ ->
-- timestamptz, BYTES -> bytea, DECIMAL -> numeric, JSONB -> jsonb).
--
-- No real v23.2 capture backs this file: columns follow pkg/sql/
-- crdb_internal.go and the system schema as summarised in the project's
-- CockroachDB surfaces reference (sections 4.1, 5.1 and 8).

CREATE SCHEMA IF NOT EXISTS crdb_internal;
CREATE SCHEMA IF NOT EXISTS system;

-- Decoded job records. Differences from v20.2: timestamps are TIMESTAMPTZ
-- (v23.2), and trace_id, last_run, next_run, num_runs, execution_errors and
-- execution_events were added (last_run, next_run and num_runs are gone
-- again in v24.1; their position here is v22.2's). CockroachDB indexes it
-- on job_id, status and job_type (virtual indexes).
CREATE TABLE IF NOT EXISTS crdb_internal.jobs (
	job_id bigint NULL,
	job_type text NULL,
	description text NULL,
	statement text NULL,
	user_name text NULL,
	descriptor_ids bigint[] NULL,
	status text NULL,
	running_status text NULL,
	created timestamptz NULL,
	started timestamptz NULL,
	finished timestamptz NULL,
	modified timestamptz NULL,
	fraction_completed double precision NULL,
	high_water_timestamp numeric NULL,
	error text NULL,
	coordinator_id bigint NULL,
	trace_id bigint NULL,
	last_run timestamptz NULL,
	next_run timestamptz NULL,
	num_runs bigint NULL,
	execution_errors text[] NULL,
	execution_events jsonb NULL
);

-- The raw job records as crdb_internal.system_jobs shows them (v23.1+;
-- reference section 5.1). roachdog does not query it; the debug-zip dump
-- test loads a real v23.1-era dump here. payload is declared NOT NULL in
-- CockroachDB, but that dump holds NULL payloads (v23.1 moved payloads to
-- system.job_info), so NULL is allowed here to load it unchanged.
CREATE TABLE IF NOT EXISTS crdb_internal.system_jobs (
	id bigint NOT NULL,
	status text NOT NULL,
	created timestamp NOT NULL,
	payload bytea NULL,
	progress bytea NULL,
	created_by_type text NULL,
	created_by_id bigint NULL,
	claim_session_id bytea NULL,
	claim_instance_id bigint NULL,
	num_runs bigint NULL,
	last_run timestamp NULL,
	job_type text NULL
);

-- Schedules (SHOW SCHEDULES reads this table). Row-level TTL schedules have
-- executor_type 'scheduled-row-level-ttl-executor' and a label ending in the
-- table ID; next_run IS NULL means PAUSED. Newer versions add columns
-- roachdog does not read (owner_id); they are left out.
CREATE TABLE IF NOT EXISTS system.scheduled_jobs (
	schedule_id bigint NOT NULL,
	schedule_name text NOT NULL,
	created timestamptz NOT NULL DEFAULT now(),
	owner text NOT NULL,
	next_run timestamptz NULL,
	schedule_state bytea NULL,
	schedule_expr text NULL,
	schedule_details bytea NULL,
	executor_type text NOT NULL,
	execution_args bytea NOT NULL,
	CONSTRAINT "primary" PRIMARY KEY (schedule_id)
);
CREATE INDEX IF NOT EXISTS next_run_idx ON system.scheduled_jobs (next_run);

-- crdb_internal.is_admin(): whether the current user has the admin role.
-- TEST EMULATION: a PostgreSQL superuser stands for an admin, so the
-- tests' own user (postgres) is one and a role they create is not.
CREATE OR REPLACE FUNCTION crdb_internal.is_admin() RETURNS boolean
	LANGUAGE sql STABLE AS $$ SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user $$;
