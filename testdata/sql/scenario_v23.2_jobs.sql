-- Jobs scenario on the CockroachDB v23.2 schema (crdb_v23.2.sql, then
-- crdb_v23.2_jobs.sql). Times are absolute: the test runs the jobs check
-- with its clock at 2026-01-10 12:00:00 UTC and a 1h window, so "in the
-- window" means finished after 11:00:00.
--
-- What the check should see:
--   running/paused/pending/reverting jobs, counted whatever their age;
--   four failures in the window (an IMPORT, a BACKUP, a CHANGEFEED and a
--   revert-failed SCHEMA CHANGE), each announced once with its error;
--   an IMPORT failure and an AUTO CREATE STATS success from before the
--   window, not counted;
--   changefeeds 30 s and 2 h behind, one without a high-water mark yet;
--   a newest successful BACKUP 5 h ago (an older one and a failed one
--   besides);
--   a job type roachdog has never heard of, sent as an opaque tag.

INSERT INTO crdb_internal.jobs
	(job_id, job_type, description, statement, user_name, descriptor_ids, status, running_status,
	 created, started, finished, modified, fraction_completed, high_water_timestamp, error, coordinator_id)
VALUES
	(1001, 'SCHEMA CHANGE', 'CREATE INDEX orders_status_idx ON shop.public.orders (status)', '', 'root', '{104}', 'running', NULL,
	 '2026-01-10 11:50:00+00', '2026-01-10 11:50:01+00', NULL, '2026-01-10 11:59:00+00', 0.4, NULL, '', 1),
	(1002, 'IMPORT', 'IMPORT INTO shop.public.customers(id, name) CSV DATA (''nodelocal://1/missing/customers.csv'')', '', 'root', '{}', 'failed', NULL,
	 '2026-01-10 11:29:00+00', '2026-01-10 11:29:01+00', '2026-01-10 11:30:00+00', '2026-01-10 11:30:00+00', 0, NULL,
	 'nodelocal storage file does not exist: rpc error: code = NotFound desc = stat /var/lib/cockroach/n1/extern/missing/customers.csv: no such file or directory', 1),
	(1003, 'IMPORT', 'IMPORT INTO shop.public.orders CSV DATA (''nodelocal://1/old.csv'')', '', 'root', '{}', 'failed', NULL,
	 '2026-01-09 11:59:00+00', '2026-01-09 11:59:01+00', '2026-01-09 12:00:00+00', '2026-01-09 12:00:00+00', 0, NULL,
	 'old failure outside the window', 1),
	(1004, 'BACKUP', 'BACKUP INTO ''s3://backups/shop?AUTH=implicit'' AS OF SYSTEM TIME ''-10s''', '', 'node', '{}', 'succeeded', NULL,
	 '2026-01-10 06:55:00+00', '2026-01-10 06:55:01+00', '2026-01-10 07:00:00+00', '2026-01-10 07:00:00+00', 1, NULL, '', 2),
	(1005, 'BACKUP', 'BACKUP INTO ''s3://backups/shop?AUTH=implicit'' AS OF SYSTEM TIME ''-10s''', '', 'node', '{}', 'succeeded', NULL,
	 '2026-01-09 06:55:00+00', '2026-01-09 06:55:01+00', '2026-01-09 07:00:00+00', '2026-01-09 07:00:00+00', 1, NULL, '', 2),
	(1006, 'BACKUP', 'BACKUP INTO LATEST IN ''s3://backups/shop?AUTH=implicit''', '', 'node', '{}', 'failed', NULL,
	 '2026-01-10 11:44:00+00', '2026-01-10 11:44:01+00', '2026-01-10 11:45:00+00', '2026-01-10 11:45:00+00', 0, NULL,
	 'failed to write to s3://backups/shop: AccessDenied: Access Denied', 2),
	(1007, 'CHANGEFEED', 'CREATE CHANGEFEED FOR TABLE shop.public.orders INTO ''kafka://kafka:9092''', '', 'root', '{104}', 'running', 'running: resolved=1768046370.000000000,2',
	 '2026-01-01 00:00:00+00', '2026-01-01 00:00:01+00', NULL, '2026-01-10 11:59:30+00', NULL, 1768046370000000000.0000000002, '', 3),
	(1008, 'CHANGEFEED', 'CREATE CHANGEFEED FOR TABLE shop.public.customers INTO ''kafka://kafka:9092''', '', 'root', '{103}', 'paused', NULL,
	 '2026-01-02 00:00:00+00', '2026-01-02 00:00:01+00', NULL, '2026-01-10 10:00:00+00', NULL, 1768039200000000000.0000000000, '', NULL),
	(1009, 'CHANGEFEED', 'CREATE CHANGEFEED FOR TABLE shop.public.payments INTO ''kafka://kafka:9092''', '', 'root', '{105}', 'running', 'initial scan',
	 '2026-01-10 11:58:00+00', '2026-01-10 11:58:01+00', NULL, '2026-01-10 11:59:00+00', NULL, NULL, '', 1),
	(1010, 'CHANGEFEED', 'CREATE CHANGEFEED FOR TABLE shop.public.refunds INTO ''webhook-https://hooks.example/x''', '', 'root', '{106}', 'failed', NULL,
	 '2026-01-08 00:00:00+00', '2026-01-08 00:00:01+00', '2026-01-10 11:10:00+00', '2026-01-10 11:10:00+00', NULL, 1768042800000000000.0000000000,
	 'gc threshold 1768043000.000000000,0 is ahead of the changefeed''s high-water', 1),
	(1011, 'FANCY NEW JOB', 'a job type newer than roachdog', '', 'node', NULL, 'running', NULL,
	 '2026-01-10 11:00:00+00', '2026-01-10 11:00:01+00', NULL, '2026-01-10 11:59:00+00', 0.1, NULL, '', 1),
	(1012, 'SCHEMA CHANGE', 'ALTER TABLE shop.public.customers ADD CONSTRAINT customers_email_key UNIQUE (email)', '', 'root', '{103}', 'revert-failed', NULL,
	 '2026-01-10 11:15:00+00', '2026-01-10 11:15:01+00', '2026-01-10 11:20:00+00', '2026-01-10 11:20:00+00', 0, NULL,
	 'duplicate key value violates unique constraint "customers_email_key"', 1),
	(1013, 'AUTO CREATE STATS', 'Table statistics refresh for shop.public.orders', 'CREATE STATISTICS __auto__ FROM [104] WITH OPTIONS THROTTLING 0.9 AS OF SYSTEM TIME ''-30s''', 'root', '{}', 'succeeded', NULL,
	 '2026-01-10 11:54:00+00', '2026-01-10 11:54:01+00', '2026-01-10 11:55:00+00', '2026-01-10 11:55:00+00', 1, NULL, '', 1),
	(1014, 'AUTO CREATE STATS', 'Table statistics refresh for shop.public.customers', 'CREATE STATISTICS __auto__ FROM [103] WITH OPTIONS THROTTLING 0.9 AS OF SYSTEM TIME ''-30s''', 'root', '{}', 'succeeded', NULL,
	 '2026-01-10 08:59:00+00', '2026-01-10 08:59:01+00', '2026-01-10 09:00:00+00', '2026-01-10 09:00:00+00', 1, NULL, '', 1),
	(1015, 'RESTORE', 'RESTORE DATABASE archive FROM LATEST IN ''s3://backups/archive''', '', 'root', '{}', 'paused', NULL,
	 '2026-01-05 00:00:00+00', '2026-01-05 00:00:01+00', NULL, '2026-01-05 01:00:00+00', 0.5, NULL, '', NULL),
	(1016, 'SCHEMA CHANGE GC', 'GC for DROP TABLE shop.public.tmp', '', 'root', '{107}', 'pending', NULL,
	 '2026-01-10 11:57:00+00', NULL, NULL, '2026-01-10 11:57:00+00', 0, NULL, '', NULL),
	(1017, 'NEW SCHEMA CHANGE', 'ALTER TABLE shop.public.orders ADD COLUMN note STRING NOT NULL', '', 'root', '{104}', 'reverting', NULL,
	 '2026-01-10 11:56:00+00', '2026-01-10 11:56:01+00', NULL, '2026-01-10 11:58:00+00', 0.2, NULL, 'null value in column "note" violates not-null constraint', 1),
	(1018, 'CHANGEFEED', 'CREATE CHANGEFEED FOR TABLE shop.public.audit INTO ''null://''', '', 'root', '{108}', 'canceled', NULL,
	 '2026-01-10 11:00:00+00', '2026-01-10 11:00:01+00', '2026-01-10 11:40:00+00', '2026-01-10 11:40:00+00', NULL, NULL, '', NULL);
