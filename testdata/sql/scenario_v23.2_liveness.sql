-- Liveness scenario on the CockroachDB v23.2 schema (crdb_v23.2.sql, then
-- crdb_v23.2_liveness.sql): five nodes, four live and active, node 5 live
-- and decommissioning; server.time_until_store_dead = 1m15s (its minimum,
-- as set on the real v20.2 fixture cluster). Tests then move nodes through
-- states by updating crdb_internal.kv_node_liveness.
--
-- Expirations are relative to now() because the liveness check compares
-- them with the server's now(): test_hlc(offset) returns now() + offset as
-- CockroachDB prints an HLC timestamp, "<seconds>.<nanos>,<logical>". A
-- live node's record expires about 9 s ahead (the heartbeat interval is
-- 4.5 s).

CREATE FUNCTION public.test_hlc(offset_ interval) RETURNS text
	LANGUAGE sql STABLE
	AS $$ SELECT (extract(epoch FROM now() + offset_))::numeric(20, 9)::text || ',0' $$;

INSERT INTO crdb_internal.kv_node_liveness (node_id, epoch, expiration, draining, membership) VALUES
	(1, 1, public.test_hlc('9 seconds'), false, 'active'),
	(2, 1, public.test_hlc('8 seconds'), false, 'active'),
	(3, 2, public.test_hlc('7 seconds'), false, 'active'),
	(4, 1, public.test_hlc('9 seconds'), false, 'active'),
	(5, 1, public.test_hlc('6 seconds'), false, 'decommissioning');

INSERT INTO crdb_internal.cluster_settings (variable, value, type, public, description, default_value, origin) VALUES
	('server.time_until_store_dead', '1m15s', 'd', true,
	 'the time after which if there is no new gossiped information about a store, it is considered dead',
	 '5m0s', 'override');
