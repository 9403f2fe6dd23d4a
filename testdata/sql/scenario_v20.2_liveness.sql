-- Liveness scenario on the CockroachDB v20.2 schema (crdb_v20.2.sql, then
-- crdb_v20.2_liveness.sql), where liveness is only in the gateway's
-- crdb_internal.gossip_liveness: nodes 1-3 live and active as in the real
-- fixture cluster, node 4 stopped 10 minutes ago (dead), and the fixture's
-- server.time_until_store_dead row (1m15s), as captured.
--
-- Expirations are relative to now(): test_hlc(offset) returns now() +
-- offset as CockroachDB prints an HLC timestamp ("<seconds>.<nanos>,<logical>",
-- e.g. the fixture's "1795315514.749737273,0").

CREATE FUNCTION public.test_hlc(offset_ interval) RETURNS text
	LANGUAGE sql STABLE
	AS $$ SELECT (extract(epoch FROM now() + offset_))::numeric(20, 9)::text || ',0' $$;

INSERT INTO crdb_internal.gossip_liveness (node_id, epoch, expiration, draining, decommissioning, membership, updated_at) VALUES
	(1, 1, public.test_hlc('9 seconds'), false, false, 'active', now()::timestamp),
	(2, 1, public.test_hlc('8 seconds'), false, false, 'active', now()::timestamp),
	(3, 1, public.test_hlc('8 seconds'), false, false, 'active', now()::timestamp),
	(4, 1, public.test_hlc('-10 minutes'), false, false, 'active', (now() - interval '10 minutes')::timestamp);

INSERT INTO crdb_internal.cluster_settings (variable, value, type, public, description) VALUES
	('server.time_until_store_dead', '1m15s', 'd', true,
	 'the time after which if there is no new gossiped information about a store, it is considered dead');
