-- roachdog health quorum scenario on the CockroachDB v20.2 schema, loaded
-- on top of scenario_health_v20.2.sql: node 4 (localhost:26261, zone d)
-- joins with two stores, 4 and 5, and a table kept at num_replicas = 2
-- (shop.audit, table id 56) gets three ranges with two voters each:
--
--   range 42: stores {1, 4} = nodes {1, 4}
--   range 43: stores {1, 5} = nodes {1, 4}
--   range 44: stores {2, 5} = nodes {2, 4}, plus a learner on store 3
--
-- Every node is live. Two voters need both for a majority (2/2+1 = 2), so
-- stopping node 1 loses quorum for 2 ranges, node 2 for 1, node 4 for 3
-- (both of its stores count as node 4), node 3 for none: its learner does
-- not vote and its other replicas are in ranges of three voters.

INSERT INTO crdb_internal.gossip_nodes (node_id, network, address, advertise_address, sql_network, sql_address, advertise_sql_address, attrs, locality, cluster_name, server_version, build_tag, started_at, is_live, ranges, leases) VALUES
	(4, 'tcp', 'localhost:26261', 'localhost:26261', 'tcp', 'localhost:26261', 'localhost:26261', '[]'::jsonb, 'region=us-east,zone=d', '', '20.1-20', 'v20.2.0-beta.1-localbuild', '2026-11-22 03:50:02.118402+00:00', true, 3, 2);

INSERT INTO crdb_internal.gossip_liveness (node_id, epoch, expiration, draining, decommissioning, membership, updated_at) VALUES
	(4, 1, public.test_hlc('7 seconds'), false, false, 'active', now()::timestamp);

INSERT INTO crdb_internal.kv_store_status (node_id, store_id, attrs, capacity, available, used, logical_bytes, range_count, lease_count, writes_per_second, bytes_per_replica, writes_per_replica, metrics) VALUES
	(4, 4, '[]'::jsonb, 270553174016, 73811480576, 1048576, 262144, 1, 1, 3.5, '{}'::jsonb, '{}'::jsonb, '{"ranges": 1, "ranges.overreplicated": 0, "ranges.unavailable": 0, "ranges.underreplicated": 0, "replicas": 1, "replicas.leaseholders": 1}'::jsonb),
	(4, 5, '[]'::jsonb, 270553174016, 73811480576, 2097152, 524288, 2, 2, 5.25, '{}'::jsonb, '{}'::jsonb, '{"ranges": 2, "ranges.overreplicated": 0, "ranges.unavailable": 0, "ranges.underreplicated": 0, "replicas": 2, "replicas.leaseholders": 2}'::jsonb);

-- The former last range (38, /Table/55 to /Max) now ends where shop.audit
-- starts.
UPDATE crdb_internal.ranges_no_leases SET end_key = '\xc0'::bytea, end_pretty = '/Table/56' WHERE range_id = 38;

INSERT INTO crdb_internal.ranges_no_leases (range_id, start_key, start_pretty, end_key, end_pretty, database_name, table_name, index_name, replicas, replica_localities, learner_replicas, split_enforced_until) VALUES
	(42, '\xc0'::bytea, '/Table/56', '\xc08a'::bytea, '/Table/56/2', 'shop', 'audit', '', '{1,4}', '{"region=us-east,zone=a","region=us-east,zone=d"}', '{}', NULL),
	(43, '\xc08a'::bytea, '/Table/56/2', '\xc08b'::bytea, '/Table/56/3', 'shop', 'audit', 'audit_at_idx', '{1,5}', '{"region=us-east,zone=a","region=us-east,zone=d"}', '{}', NULL),
	(44, '\xc08b'::bytea, '/Table/56/3', '\xffff'::bytea, '/Max', 'shop', 'audit', '', '{2,5}', '{"region=us-east,zone=b","region=us-east,zone=d"}', '{3}', NULL);
