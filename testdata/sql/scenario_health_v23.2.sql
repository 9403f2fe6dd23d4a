-- roachdog health scenario on the CockroachDB v23.2 schema: a healthy
-- 5-node multi-region cluster (nodes 1-3 in us-east1, 4 in us-west1, 5 in
-- europe-west1; RPC addresses 10.0.0.N:26257 as in
-- ../status/critical_nodes_v23.json). Load crdb_v23.2.sql,
-- crdb_v23.2_liveness.sql and crdb_v23.2_health.sql first.
--
-- Store N is on node N. Eleven ranges (voters by store):
--   1-6   system ranges        voters {1,2,3}
--   71-72 movr.users (GLOBAL)  voters {1,2,3}, non-voters {4,5}
--   74-75 movr.vehicles        voters {2,3,4}
--   99    movr.rides           voters {3,4,5}
-- Every range has three voters, so with every node live no single node's
-- loss costs a majority. Tests kill nodes by moving their liveness
-- expiration into the past; with node 2 dead, stopping node 1 loses quorum
-- for ranges 1-6, 71 and 72 (8), and node 4 for 74 and 75 (2); counting the
-- non-voters of 71 and 72 as voters would hide those two.
--
-- Expirations are relative to now(): test_hlc(offset) returns now() +
-- offset as CockroachDB prints an HLC timestamp.

CREATE FUNCTION public.test_hlc(offset_ interval) RETURNS text
	LANGUAGE sql STABLE
	AS $$ SELECT (extract(epoch FROM now() + offset_))::numeric(20, 9)::text || ',0' $$;

INSERT INTO crdb_internal.gossip_nodes (node_id, network, address, advertise_address, sql_network, sql_address, advertise_sql_address, attrs, locality, cluster_name, server_version, build_tag, started_at, is_live, ranges, leases) VALUES
	(1, 'tcp', '10.0.0.1:26257', '10.0.0.1:26257', 'tcp', '10.0.0.1:26257', '10.0.0.1:26257', '[]'::jsonb, 'region=us-east1,az=a', '', '23.2', 'v23.2.0', '2024-01-12 22:31:39.112441', true, 0, 0),
	(2, 'tcp', '10.0.0.2:26257', '10.0.0.2:26257', 'tcp', '10.0.0.2:26257', '10.0.0.2:26257', '[]'::jsonb, 'region=us-east1,az=b', '', '23.2', 'v23.2.0', '2024-01-12 22:31:39.112441', true, 0, 0),
	(3, 'tcp', '10.0.0.3:26257', '10.0.0.3:26257', 'tcp', '10.0.0.3:26257', '10.0.0.3:26257', '[]'::jsonb, 'region=us-east1,az=c', '', '23.2', 'v23.2.0', '2024-01-12 22:31:39.112441', true, 0, 0),
	(4, 'tcp', '10.0.0.4:26257', '10.0.0.4:26257', 'tcp', '10.0.0.4:26257', '10.0.0.4:26257', '[]'::jsonb, 'region=us-west1,az=a', '', '23.2', 'v23.2.0', '2024-01-12 22:31:39.112441', true, 0, 0),
	(5, 'tcp', '10.0.0.5:26257', '10.0.0.5:26257', 'tcp', '10.0.0.5:26257', '10.0.0.5:26257', '[]'::jsonb, 'region=europe-west1,az=b', '', '23.2', 'v23.2.0', '2024-01-12 22:31:39.112441', true, 0, 0);

INSERT INTO crdb_internal.kv_node_liveness (node_id, epoch, expiration, draining, membership) VALUES
	(1, 1, public.test_hlc('9 seconds'), false, 'active'),
	(2, 1, public.test_hlc('8 seconds'), false, 'active'),
	(3, 1, public.test_hlc('7 seconds'), false, 'active'),
	(4, 1, public.test_hlc('6 seconds'), false, 'active'),
	(5, 1, public.test_hlc('5 seconds'), false, 'active');

INSERT INTO crdb_internal.cluster_settings (variable, value, type, public, description, default_value, origin) VALUES
	('server.time_until_store_dead', '1m15s', 'd', true,
	 'the time after which if there is no new gossiped information about a store, it is considered dead',
	 '5m0s', 'override');

INSERT INTO crdb_internal.kv_store_status (node_id, store_id, attrs, capacity, available, used, logical_bytes, range_count, lease_count, writes_per_second, bytes_per_replica, writes_per_replica, metrics, properties) VALUES
	(1, 1, '[]'::jsonb, 107374182400, 64424509440, 1073741824, 536870912, 8, 4, 12.5, '{}'::jsonb, '{}'::jsonb, '{"ranges": 4, "ranges.overreplicated": 0, "ranges.unavailable": 0, "ranges.underreplicated": 0, "replicas": 8, "replicas.leaseholders": 4}'::jsonb, '{}'::jsonb),
	(2, 2, '[]'::jsonb, 107374182400, 64424509440, 1073741824, 536870912, 10, 3, 12.5, '{}'::jsonb, '{}'::jsonb, '{"ranges": 3, "ranges.overreplicated": 0, "ranges.unavailable": 0, "ranges.underreplicated": 0, "replicas": 10, "replicas.leaseholders": 3}'::jsonb, '{}'::jsonb),
	(3, 3, '[]'::jsonb, 107374182400, 64424509440, 1073741824, 536870912, 11, 2, 12.5, '{}'::jsonb, '{}'::jsonb, '{"ranges": 2, "ranges.overreplicated": 0, "ranges.unavailable": 0, "ranges.underreplicated": 0, "replicas": 11, "replicas.leaseholders": 2}'::jsonb, '{}'::jsonb),
	(4, 4, '[]'::jsonb, 107374182400, 64424509440, 1073741824, 536870912, 5, 1, 12.5, '{}'::jsonb, '{}'::jsonb, '{"ranges": 1, "ranges.overreplicated": 0, "ranges.unavailable": 0, "ranges.underreplicated": 0, "replicas": 5, "replicas.leaseholders": 1}'::jsonb, '{}'::jsonb),
	(5, 5, '[]'::jsonb, 107374182400, 64424509440, 1073741824, 536870912, 3, 1, 12.5, '{}'::jsonb, '{}'::jsonb, '{"ranges": 1, "ranges.overreplicated": 0, "ranges.unavailable": 0, "ranges.underreplicated": 0, "replicas": 3, "replicas.leaseholders": 1}'::jsonb, '{}'::jsonb);

-- Keys are left empty: roachdog reads only range_id and voting_replicas.
INSERT INTO crdb_internal.ranges_no_leases (range_id, start_key, start_pretty, end_key, end_pretty, replicas, replica_localities, voting_replicas, non_voting_replicas, learner_replicas, split_enforced_until) VALUES
	(1, ''::bytea, '/Min', ''::bytea, '/System/NodeLiveness', '{1,2,3}', '{"region=us-east1,az=a","region=us-east1,az=b","region=us-east1,az=c"}', '{1,2,3}', '{}', '{}', NULL),
	(2, ''::bytea, '/System/NodeLiveness', ''::bytea, '/System/NodeLivenessMax', '{1,2,3}', '{"region=us-east1,az=a","region=us-east1,az=b","region=us-east1,az=c"}', '{1,2,3}', '{}', '{}', NULL),
	(3, ''::bytea, '/System/NodeLivenessMax', ''::bytea, '/System/tsd', '{1,2,3}', '{"region=us-east1,az=a","region=us-east1,az=b","region=us-east1,az=c"}', '{1,2,3}', '{}', '{}', NULL),
	(4, ''::bytea, '/System/tsd', ''::bytea, '/System/"tse"', '{1,2,3}', '{"region=us-east1,az=a","region=us-east1,az=b","region=us-east1,az=c"}', '{1,2,3}', '{}', '{}', NULL),
	(5, ''::bytea, '/System/"tse"', ''::bytea, '/Table/0', '{1,2,3}', '{"region=us-east1,az=a","region=us-east1,az=b","region=us-east1,az=c"}', '{1,2,3}', '{}', '{}', NULL),
	(6, ''::bytea, '/Table/0', ''::bytea, '/Table/11', '{1,2,3}', '{"region=us-east1,az=a","region=us-east1,az=b","region=us-east1,az=c"}', '{1,2,3}', '{}', '{}', NULL),
	(71, ''::bytea, '/Table/106', ''::bytea, '/Table/106/1/"amsterdam"', '{1,2,3,4,5}', '{"region=us-east1,az=a","region=us-east1,az=b","region=us-east1,az=c","region=us-west1,az=a","region=europe-west1,az=b"}', '{1,2,3}', '{4,5}', '{}', NULL),
	(72, ''::bytea, '/Table/106/1/"amsterdam"', ''::bytea, '/Table/107', '{1,2,3,4,5}', '{"region=us-east1,az=a","region=us-east1,az=b","region=us-east1,az=c","region=us-west1,az=a","region=europe-west1,az=b"}', '{1,2,3}', '{4,5}', '{}', NULL),
	(74, ''::bytea, '/Table/107', ''::bytea, '/Table/107/1/"boston"', '{2,3,4}', '{"region=us-east1,az=b","region=us-east1,az=c","region=us-west1,az=a"}', '{2,3,4}', '{}', '{}', NULL),
	(75, ''::bytea, '/Table/107/1/"boston"', ''::bytea, '/Table/108', '{2,3,4}', '{"region=us-east1,az=b","region=us-east1,az=c","region=us-west1,az=a"}', '{2,3,4}', '{}', '{}', NULL),
	(99, ''::bytea, '/Table/300', ''::bytea, '/Max', '{3,4,5}', '{"region=us-east1,az=c","region=us-west1,az=a","region=europe-west1,az=b"}', '{3,4,5}', '{}', '{}', NULL);
