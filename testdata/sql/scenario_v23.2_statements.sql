-- Statement statistics of a v23.2 cluster, for the statements check's tests
-- (load crdb_v23.2.sql and crdb_v23.2_statements.sql first). The shop
-- workload of the v20.2 fixtures' cluster, in the JSON shapes of v23.2.
--
-- stmt_test.put writes one row of crdb_internal.statement_statistics with
-- the full real shape (every key CockroachDB writes); the tests call it
-- again to move the cumulative values between cycles. sampled_plan and
-- lastErrorCode hold literal values on purpose (a card number): the check
-- must never read them.

CREATE SCHEMA IF NOT EXISTS stmt_test;

CREATE FUNCTION stmt_test.put(
	bucket timestamptz, fp text, plan text, app text, db text, query text,
	cnt bigint, first_attempt bigint, svc_mean double precision,
	cont_mean double precision, p99 double precision, full_scan boolean, recs text[]
) RETURNS void LANGUAGE sql AS $$
INSERT INTO crdb_internal.statement_statistics VALUES (
	bucket, decode(fp, 'hex'), decode('1c0d24389254fc7a', 'hex'), decode(plan, 'hex'), app,
	jsonb_build_object('db', db, 'distsql', false, 'fullScan', full_scan, 'implicitTxn', true,
		'query', query, 'querySummary', left(query, 30), 'stmtType', 'TypeDML', 'vec', true),
	jsonb_build_object(
		'execution_statistics', jsonb_build_object('cnt', greatest(cnt / 10, 1),
			'contentionTime', jsonb_build_object('mean', cont_mean, 'sqDiff', 0),
			'cpuSQLNanos', jsonb_build_object('mean', 70672.5, 'sqDiff', 6865387277.7),
			'maxDiskUsage', jsonb_build_object('mean', 0, 'sqDiff', 0),
			'maxMemUsage', jsonb_build_object('mean', 35108.5, 'sqDiff', 599186285.7),
			'networkBytes', jsonb_build_object('mean', 355.4, 'sqDiff', 353773.7),
			'networkMsgs', jsonb_build_object('mean', 2.1, 'sqDiff', 12.8)),
		'index_recommendations', to_jsonb(coalesce(recs, ARRAY[]::text[])),
		'statistics', jsonb_build_object('cnt', cnt, 'firstAttemptCnt', first_attempt,
			'failureCount', 1, 'maxRetries', CASE WHEN cnt > first_attempt THEN 3 ELSE 0 END,
			'lastErrorCode', '23505 duplicate key value (card)=(4111-1111-1111-1111)',
			'lastExecAt', '2026-01-10T12:19:59.1Z',
			'latencyInfo', jsonb_build_object('max', svc_mean * 4, 'min', svc_mean / 4, 'p50', 0, 'p90', 0, 'p99', p99),
			'svcLat', jsonb_build_object('mean', svc_mean, 'sqDiff', 0.0004),
			'parseLat', jsonb_build_object('mean', 0.000006, 'sqDiff', 0),
			'planLat', jsonb_build_object('mean', 0.0002, 'sqDiff', 0),
			'runLat', jsonb_build_object('mean', svc_mean * 0.8, 'sqDiff', 0),
			'ovhLat', jsonb_build_object('mean', 0.000004, 'sqDiff', 0),
			'idleLat', jsonb_build_object('mean', 0.001, 'sqDiff', 0),
			'numRows', jsonb_build_object('mean', 1, 'sqDiff', 0),
			'bytesRead', jsonb_build_object('mean', 1639.1, 'sqDiff', 102.9),
			'rowsRead', jsonb_build_object('mean', 20, 'sqDiff', 0),
			'rowsWritten', jsonb_build_object('mean', 0, 'sqDiff', 0),
			'nodes', jsonb_build_array(1, 2, 3), 'kvNodeIds', jsonb_build_array(3),
			'regions', jsonb_build_array('us-east'), 'planGists', jsonb_build_array('AgH6AQIAHwAAAAMGCg=='),
			'indexes', jsonb_build_array('125@1'), 'sqlType', 'TypeDML', 'usedFollowerRead', false)),
	jsonb_build_object('Name', 'scan', 'Children', jsonb_build_array(),
		'Attrs', jsonb_build_array(jsonb_build_object('Key', 'spans', 'Value', '/4111-1111-1111-1111'))),
	interval '1 hour', recs)
ON CONFLICT (aggregated_ts, fingerprint_id, transaction_fingerprint_id, plan_hash, app_name)
DO UPDATE SET metadata = excluded.metadata, statistics = excluded.statistics,
	index_recommendations = excluded.index_recommendations
$$;

-- The 12:00 bucket (in progress at the tests' first cycle, 12:20) and the
-- 11:00 one (closed, outside the window the check reads).
SELECT stmt_test.put('2026-01-10 12:00:00+00', '2ab0c15b7b14e792', '025144e18ceb2338', 'shop-workload', 'shop',
	'SELECT id, amount FROM orders WHERE created_at > _ ORDER BY created_at DESC LIMIT _',
	1000, 1000, 0.050, 0, 0.400, true,
	ARRAY['creation : CREATE INDEX ON shop.public.orders (created_at DESC) STORING (amount);']);
SELECT stmt_test.put('2026-01-10 12:00:00+00', '67a10dfb99638ead', 'fc4bcd4933e6c787', 'shop-workload', 'shop',
	'UPDATE orders SET amount = amount + _, status = _ WHERE id = _',
	5000, 4800, 0.010, 0.004, 0.090, false, NULL);
-- Same fingerprint, a second plan: both rows count.
SELECT stmt_test.put('2026-01-10 12:00:00+00', '67a10dfb99638ead', '0000000000000002', 'shop-workload', 'shop',
	'UPDATE orders SET amount = amount + _, status = _ WHERE id = _',
	100, 100, 0.020, 0, 0.050, false, NULL);
SELECT stmt_test.put('2026-01-10 12:00:00+00', '51b1f5ad1cb4d3a0', '0000000000000003', 'shop-bgload', 'shop',
	'SELECT o.id, o.amount, o.status FROM orders AS o WHERE o.customer_id = _',
	300, 300, 0.012, 0, 0.030, true,
	ARRAY['creation : CREATE INDEX ON shop.public.orders (customer_id) STORING (amount, status);']);
SELECT stmt_test.put('2026-01-10 12:00:00+00', '0c3a6bbd9fd3e1c2', '0000000000000004', '$ internal-update-session', 'system',
	'UPDATE sqlliveness SET expiration = $1 WHERE session_id = $2 RETURNING session_id',
	90000, 90000, 0.003, 0, 0.010, false, NULL);
SELECT stmt_test.put('2026-01-10 11:00:00+00', '2ab0c15b7b14e792', '025144e18ceb2338', 'shop-workload', 'shop',
	'SELECT id, amount FROM orders WHERE created_at > _ ORDER BY created_at DESC LIMIT _',
	9000, 9000, 0.050, 0, 0.400, true,
	ARRAY['creation : CREATE INDEX ON shop.public.orders (created_at DESC) STORING (amount);']);
