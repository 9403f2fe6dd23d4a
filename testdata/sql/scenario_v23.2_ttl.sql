-- Row-level TTL scenario on the CockroachDB v23.2 schema (crdb_v23.2.sql,
-- crdb_v23.2_jobs.sql, crdb_v23.2_ttl.sql, in that order). Times are
-- absolute: the test runs the ttl check with its clock at
-- 2026-01-10 12:00:00 UTC.
--
-- Two emulated databases (see crdb_v23.2_ttl.sql): "shop" (schema public)
-- and "analytics" (schema web). Their tables are real PostgreSQL tables in
-- schemas public and web, so pg_index and the row queries are real too.
--
--   shop.public.events     ttl_expire_after, index on crdb_internal_expiration;
--                          deletes fell behind: 3 rows expired up to 1 h ago are
--                          still there, the last TTL job succeeded 3 days ago
--                          (@daily): job age 259200 s, lag 3600 s.
--   shop.public.sessions   ttl_expiration_expression = 'expires_at', indexed,
--                          healthy: nothing expired, job 1 h ago (@hourly).
--   shop.public.audit_log  expiration column indexed only second: no row query;
--                          newest TTL job failed a day ago; schedule PAUSED.
--   shop.public.orders     no TTL (its text mentions ttl, and a hash-sharded
--                          index has its own WITH): not a TTL table.
--   analytics.web.page_views  no index on the expiration column: no row query
--                          unless enabled; 2 rows expired (oldest 3 h ago);
--                          its newest TTL job failed 30 min ago.
--   analytics.web.carts    expiration expression (not a plain column) and
--                          ttl_pause = true; last success (v22.2-style
--                          single-line description) 7.5 days ago.

CREATE SCHEMA web;

CREATE TABLE public.events (
	id bigint PRIMARY KEY,
	payload text,
	crdb_internal_expiration timestamptz NOT NULL
);
CREATE INDEX events_expiration_idx ON public.events (crdb_internal_expiration);
INSERT INTO public.events (id, payload, crdb_internal_expiration) VALUES
	(1, 'expired 1 h ago', '2026-01-10 11:00:00+00'),
	(2, 'expired 30 min ago', '2026-01-10 11:30:00+00'),
	(3, 'expired 10 min ago', '2026-01-10 11:50:00+00'),
	(4, 'live', '2026-04-10 11:00:00+00'),
	(5, 'live', '2026-04-10 12:00:00+00');

CREATE TABLE public.sessions (
	id bigint PRIMARY KEY,
	expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_expires_at_idx ON public.sessions (expires_at);
INSERT INTO public.sessions (id, expires_at) VALUES
	(1, '2026-01-10 12:30:00+00'),
	(2, '2026-01-10 13:00:00+00');

CREATE TABLE public.audit_log (
	id bigint PRIMARY KEY,
	user_id bigint NOT NULL,
	crdb_internal_expiration timestamptz NOT NULL
);
CREATE INDEX audit_log_user_expiration_idx ON public.audit_log (user_id, crdb_internal_expiration);
INSERT INTO public.audit_log (id, user_id, crdb_internal_expiration) VALUES
	(1, 7, '2026-01-01 00:00:00+00');

CREATE TABLE public.orders (
	id bigint PRIMARY KEY,
	ttl_days bigint,
	created_at timestamptz
);

CREATE TABLE web.page_views (
	id bigint PRIMARY KEY,
	url text,
	crdb_internal_expiration timestamptz NOT NULL
);
INSERT INTO web.page_views (id, url, crdb_internal_expiration) VALUES
	(1, '/a', '2026-01-10 09:00:00+00'),
	(2, '/b', '2026-01-10 10:00:00+00'),
	(3, '/c', '2026-01-17 10:00:00+00');

CREATE TABLE web.carts (
	id bigint PRIMARY KEY,
	updated_at timestamptz NOT NULL
);
CREATE INDEX carts_updated_at_idx ON web.carts (updated_at);
INSERT INTO web.carts (id, updated_at) VALUES
	(1, '2025-12-01 00:00:00+00'),
	(2, '2026-01-05 00:00:00+00');

-- SHOW CREATE TABLE text, as CockroachDB v23.2 prints it.
INSERT INTO crdb_internal.create_statements
	(database_id, database_name, schema_name, descriptor_id, descriptor_type, descriptor_name,
	 create_statement, state, create_nofks, alter_statements, validate_statements, create_redactable,
	 has_partitions, is_multi_region, is_virtual, is_temporary)
VALUES
	(100, 'shop', 'public', 110, 'table', 'events', $$CREATE TABLE public.events (
	id INT8 NOT NULL,
	payload STRING NULL,
	crdb_internal_expiration TIMESTAMPTZ NOT VISIBLE NOT NULL DEFAULT current_timestamp():::TIMESTAMPTZ + '3 mons':::INTERVAL ON UPDATE current_timestamp():::TIMESTAMPTZ + '3 mons':::INTERVAL,
	CONSTRAINT events_pkey PRIMARY KEY (id ASC),
	INDEX events_expiration_idx (crdb_internal_expiration ASC)
) WITH (ttl = 'on', ttl_expire_after = '3 mons':::INTERVAL, ttl_job_cron = '@daily')$$,
	 'PUBLIC', '', '{}', '{}', '', false, false, false, false),
	(100, 'shop', 'public', 111, 'table', 'sessions', $$CREATE TABLE public.sessions (
	id INT8 NOT NULL,
	expires_at TIMESTAMPTZ NOT NULL,
	CONSTRAINT sessions_pkey PRIMARY KEY (id ASC),
	INDEX sessions_expires_at_idx (expires_at ASC)
) WITH (ttl = 'on', ttl_expiration_expression = 'expires_at', ttl_job_cron = '@hourly')$$,
	 'PUBLIC', '', '{}', '{}', '', false, false, false, false),
	(100, 'shop', 'public', 112, 'table', 'audit_log', $$CREATE TABLE public.audit_log (
	id INT8 NOT NULL,
	user_id INT8 NOT NULL,
	crdb_internal_expiration TIMESTAMPTZ NOT VISIBLE NOT NULL DEFAULT current_timestamp():::TIMESTAMPTZ + '30 days':::INTERVAL ON UPDATE current_timestamp():::TIMESTAMPTZ + '30 days':::INTERVAL,
	CONSTRAINT audit_log_pkey PRIMARY KEY (id ASC),
	INDEX audit_log_user_expiration_idx (user_id ASC, crdb_internal_expiration ASC)
) WITH (ttl = 'on', ttl_expire_after = '30 days':::INTERVAL, ttl_job_cron = '@daily')$$,
	 'PUBLIC', '', '{}', '{}', '', false, false, false, false),
	(100, 'shop', 'public', 113, 'table', 'orders', $$CREATE TABLE public.orders (
	id INT8 NOT NULL,
	ttl_days INT8 NULL,
	created_at TIMESTAMPTZ NULL,
	crdb_internal_created_at_shard_8 INT8 NOT VISIBLE NOT NULL AS (mod(fnv32(crdb_internal.datums_to_bytes(created_at)), 8:::INT8)) VIRTUAL,
	CONSTRAINT orders_pkey PRIMARY KEY (id ASC),
	INDEX orders_created_at_idx (created_at ASC) USING HASH WITH (bucket_count = 8)
)$$,
	 'PUBLIC', '', '{}', '{}', '', false, false, false, false),
	(100, 'shop', 'public', 114, 'view', 'ttl_overview', $$CREATE VIEW public.ttl_overview (
	id
) AS SELECT id FROM shop.public.events WITH (ttl = 'on')$$,
	 'PUBLIC', '', '{}', '{}', '', false, false, false, false),
	(200, 'analytics', 'web', 210, 'table', 'page_views', $$CREATE TABLE web.page_views (
	id INT8 NOT NULL,
	url STRING NULL,
	crdb_internal_expiration TIMESTAMPTZ NOT VISIBLE NOT NULL DEFAULT current_timestamp():::TIMESTAMPTZ + '7 days':::INTERVAL ON UPDATE current_timestamp():::TIMESTAMPTZ + '7 days':::INTERVAL,
	CONSTRAINT page_views_pkey PRIMARY KEY (id ASC)
) WITH (ttl = 'on', ttl_expire_after = '7 days':::INTERVAL, ttl_job_cron = '@daily', schema_locked = true)$$,
	 'PUBLIC', '', '{}', '{}', '', false, false, false, false),
	(200, 'analytics', 'web', 211, 'table', 'carts', $$CREATE TABLE web.carts (
	id INT8 NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL,
	CONSTRAINT carts_pkey PRIMARY KEY (id ASC),
	INDEX carts_updated_at_idx (updated_at ASC)
) WITH (
	ttl = 'on',
	ttl_expiration_expression = e'(updated_at + INTERVAL \'30 days\')',
	ttl_job_cron = '@daily',
	ttl_pause = true
)$$,
	 'PUBLIC', '', '{}', '{}', '', false, false, false, false);

-- ROW LEVEL TTL jobs (and one other job, filtered out by type).
INSERT INTO crdb_internal.jobs
	(job_id, job_type, description, statement, user_name, descriptor_ids, status, running_status,
	 created, started, finished, modified, fraction_completed, high_water_timestamp, error, coordinator_id)
VALUES
	(2001, 'ROW LEVEL TTL', E'ttl for shop.public.events\n-- for each span, iterate to find rows:\nSELECT id FROM [110 AS tbl_name]\nAS OF SYSTEM TIME INTERVAL \'-30 seconds\'\nWHERE ((crdb_internal_expiration) <= $1) AND (id >= $2) AND (id < $3)\nORDER BY id\nLIMIT 500\n-- then delete with:\nDELETE FROM [110 AS tbl_name]\nWHERE ((crdb_internal_expiration) <= $1) AND (id) IN ($2)',
	 E'ttl for shop.public.events', 'node', NULL, 'succeeded', NULL,
	 '2026-01-07 00:00:00+00', '2026-01-07 00:00:01+00', '2026-01-07 12:00:00+00', '2026-01-07 12:00:00+00', 1, NULL, '', 1),
	(2002, 'ROW LEVEL TTL', E'ttl for shop.public.events\n-- for each span, iterate to find rows:\n...', '', 'node', NULL, 'succeeded', NULL,
	 '2026-01-06 00:00:00+00', '2026-01-06 00:00:01+00', '2026-01-06 12:00:00+00', '2026-01-06 12:00:00+00', 1, NULL, '', 1),
	(2003, 'ROW LEVEL TTL', E'ttl for shop.public.events\n-- for each span, iterate to find rows:\n...', '', 'node', NULL, 'failed', NULL,
	 '2026-01-05 00:00:00+00', '2026-01-05 00:00:01+00', '2026-01-05 12:00:00+00', '2026-01-05 12:00:00+00', 0, NULL, 'an old failure, since recovered', 1),
	(2004, 'ROW LEVEL TTL', E'ttl for shop.public.sessions\n-- for each span, iterate to find rows:\n...', '', 'node', NULL, 'succeeded', NULL,
	 '2026-01-10 11:00:00+00', '2026-01-10 11:00:01+00', '2026-01-10 11:00:05+00', '2026-01-10 11:00:05+00', 1, NULL, '', 2),
	(2005, 'ROW LEVEL TTL', E'ttl for shop.public.audit_log\n-- for each span, iterate to find rows:\n...', '', 'node', NULL, 'succeeded', NULL,
	 '2026-01-08 00:00:00+00', '2026-01-08 00:00:01+00', '2026-01-08 12:00:00+00', '2026-01-08 12:00:00+00', 1, NULL, '', 2),
	(2006, 'ROW LEVEL TTL', E'ttl for shop.public.audit_log\n-- for each span, iterate to find rows:\n...', '', 'node', NULL, 'failed', NULL,
	 '2026-01-09 00:00:00+00', '2026-01-09 00:00:01+00', '2026-01-09 12:00:00+00', '2026-01-09 12:00:00+00', 0, NULL,
	 'context deadline exceeded', 2),
	(2007, 'ROW LEVEL TTL', E'ttl for analytics.web.page_views\n-- for each span, iterate to find rows:\n...', '', 'node', NULL, 'succeeded', NULL,
	 '2026-01-09 00:00:00+00', '2026-01-09 00:00:01+00', '2026-01-09 00:00:10+00', '2026-01-09 00:00:10+00', 1, NULL, '', 3),
	(2008, 'ROW LEVEL TTL', E'ttl for analytics.web.page_views\n-- for each span, iterate to find rows:\n...', '', 'node', NULL, 'failed', NULL,
	 '2026-01-10 11:29:00+00', '2026-01-10 11:29:01+00', '2026-01-10 11:30:00+00', '2026-01-10 11:30:00+00', 0, NULL,
	 'found a recent schema change on the table at 2026-01-10T11:29:58Z, aborting', 3),
	(2009, 'ROW LEVEL TTL', 'ttl for analytics.web.carts', '', 'node', NULL, 'succeeded', NULL,
	 '2026-01-02 23:59:00+00', '2026-01-02 23:59:01+00', '2026-01-03 00:00:00+00', '2026-01-03 00:00:00+00', 1, NULL, '', 1),
	(2010, 'ROW LEVEL TTL', E'ttl for shop.public.sessions\n-- for each span, iterate to find rows:\n...', '', 'node', NULL, 'running', NULL,
	 '2026-01-10 12:00:00+00', '2026-01-10 12:00:00+00', NULL, '2026-01-10 12:00:00+00', 0, NULL, '', 2),
	(2011, 'ROW LEVEL TTL', E'ttl for shop.public.gone\n-- for each span, iterate to find rows:\n...', '', 'node', NULL, 'failed', NULL,
	 '2026-01-10 11:40:00+00', '2026-01-10 11:40:01+00', '2026-01-10 11:45:00+00', '2026-01-10 11:45:00+00', 0, NULL, 'table dropped', 1),
	(2012, 'ROW LEVEL TTL', 'ttl', '', 'node', NULL, 'failed', NULL,
	 '2026-01-10 11:40:00+00', '2026-01-10 11:40:01+00', '2026-01-10 11:45:00+00', '2026-01-10 11:45:00+00', 0, NULL, 'v22.1-style description', 1),
	(2013, 'IMPORT', 'ttl for shop.public.events', '', 'root', NULL, 'failed', NULL,
	 '2026-01-10 11:40:00+00', '2026-01-10 11:40:01+00', '2026-01-10 11:50:00+00', '2026-01-10 11:50:00+00', 0, NULL, 'not a TTL job', 1);

-- TTL schedules (plus a paused backup schedule, and a TTL schedule whose
-- table is gone). Labels: "row-level-ttl: <table> [<id>]" (v23.x) or
-- "row-level-ttl-<id>" (older).
INSERT INTO system.scheduled_jobs
	(schedule_id, schedule_name, created, owner, next_run, schedule_expr, executor_type, execution_args)
VALUES
	(501, 'row-level-ttl: events [110]', '2025-10-01 00:00:00+00', 'root', '2026-01-11 00:00:00+00', '@daily', 'scheduled-row-level-ttl-executor', '\x'),
	(502, 'row-level-ttl: sessions [111]', '2025-10-01 00:00:00+00', 'root', '2026-01-10 13:00:00+00', '@hourly', 'scheduled-row-level-ttl-executor', '\x'),
	(503, 'row-level-ttl: audit_log [112]', '2025-10-01 00:00:00+00', 'root', NULL, '@daily', 'scheduled-row-level-ttl-executor', '\x'),
	(504, 'row-level-ttl-210', '2025-10-01 00:00:00+00', 'root', '2026-01-11 00:00:00+00', '@daily', 'scheduled-row-level-ttl-executor', '\x'),
	(505, 'row-level-ttl: carts [211]', '2025-10-01 00:00:00+00', 'root', '2026-01-11 00:00:00+00', '@daily', 'scheduled-row-level-ttl-executor', '\x'),
	(506, 'BACKUP shop', '2025-10-01 00:00:00+00', 'root', NULL, '@hourly', 'scheduled-backup-executor', '\x'),
	(507, 'row-level-ttl: gone [999]', '2025-10-01 00:00:00+00', 'root', NULL, '@daily', 'scheduled-row-level-ttl-executor', '\x');
