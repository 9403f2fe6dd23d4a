-- roachdog health scenario on the CockroachDB v20.2 schema: the healthy
-- 3-node cluster of the shared fixtures (cockroach-v20.2/healthy), as its
-- captures show it, with liveness made current. Load crdb_v20.2.sql,
-- crdb_v20.2_liveness.sql and crdb_v20.2_health.sql first.
--
-- Generated from that capture's CSV output on node 1: gossip_nodes,
-- kv_store_status (metrics cut down to the range and replica counts) and
-- ranges_no_leases (41 ranges, every one with voters on stores 1, 2 and 3;
-- store N is on node N). The capture printed start and end keys only for
-- the shop ranges; the others' keys are left empty (roachdog reads only
-- range_id and the replica arrays). Liveness expirations are relative to
-- now(), like the liveness check's scenarios: test_hlc(offset) returns
-- now() + offset as CockroachDB prints an HLC timestamp; a live node's
-- record expires about 9 s ahead. server.time_until_store_dead is the
-- fixture's 1m15s.

CREATE FUNCTION public.test_hlc(offset_ interval) RETURNS text
	LANGUAGE sql STABLE
	AS $$ SELECT (extract(epoch FROM now() + offset_))::numeric(20, 9)::text || ',0' $$;

INSERT INTO crdb_internal.gossip_nodes (node_id, network, address, advertise_address, sql_network, sql_address, advertise_sql_address, attrs, locality, cluster_name, server_version, build_tag, started_at, is_live, ranges, leases) VALUES
	(1, 'tcp', 'localhost:26258', 'localhost:26258', 'tcp', 'localhost:26258', 'localhost:26258', '[]'::jsonb, 'region=us-east,zone=a', '', '20.1-20', 'v20.2.0-beta.1-localbuild', '2026-11-22 02:41:38.74001+00:00', true, 41, 16),
	(2, 'tcp', 'localhost:26259', 'localhost:26259', 'tcp', 'localhost:26259', 'localhost:26259', '[]'::jsonb, 'region=us-east,zone=b', '', '20.1-20', 'v20.2.0-beta.1-localbuild', '2026-11-22 02:41:39.941712+00:00', true, 41, 12),
	(3, 'tcp', 'localhost:26260', 'localhost:26260', 'tcp', 'localhost:26260', 'localhost:26260', '[]'::jsonb, 'region=us-east,zone=c', '', '20.1-20', 'v20.2.0-beta.1-localbuild', '2026-11-22 02:41:39.942178+00:00', true, 41, 13);

INSERT INTO crdb_internal.gossip_liveness (node_id, epoch, expiration, draining, decommissioning, membership, updated_at) VALUES
	(1, 1, public.test_hlc('9 seconds'), false, false, 'active', now()::timestamp),
	(2, 1, public.test_hlc('8 seconds'), false, false, 'active', now()::timestamp),
	(3, 1, public.test_hlc('8 seconds'), false, false, 'active', now()::timestamp);

INSERT INTO crdb_internal.cluster_settings (variable, value, type, public, description) VALUES
	('server.time_until_store_dead', '1m15s', 'd', true,
	 'the time after which if there is no new gossiped information about a store, it is considered dead');

INSERT INTO crdb_internal.kv_store_status (node_id, store_id, attrs, capacity, available, used, logical_bytes, range_count, lease_count, writes_per_second, bytes_per_replica, writes_per_replica, metrics) VALUES
	(1, 1, '[]'::jsonb, 270553174016, 73811480576, 34349288, 4287949, 41, 16, 630.7530573205369, '{"P10": 0, "P25": 0, "P50": 285, "P75": 28827, "P90": 100452, "PMax": 2387253}'::jsonb, '{"P10": 0.10495426363133312, "P25": 0.11494982801294544, "P50": 0.2498904478739694, "P75": 2.6338256550489763, "P90": 11.150078573914765, "PMax": 240.56844591196398}'::jsonb, '{"ranges": 41, "ranges.overreplicated": 0, "ranges.unavailable": 0, "ranges.underreplicated": 0, "replicas": 41, "replicas.leaseholders": 16}'::jsonb),
	(2, 2, '[]'::jsonb, 270553174016, 73811480576, 29400313, 4287983, 41, 12, 613.0248610745623, '{"P10": 0, "P25": 0, "P50": 285, "P75": 28827, "P90": 100453, "PMax": 2387253}'::jsonb, '{"P10": 0.05158435544669282, "P25": 0.0901810622465225, "P50": 0.1804588000946334, "P75": 1.546765518988719, "P90": 7.8045799942144765, "PMax": 229.80618095546498}'::jsonb, '{"ranges": 0, "ranges.overreplicated": 0, "ranges.unavailable": 0, "ranges.underreplicated": 0, "replicas": 41, "replicas.leaseholders": 12}'::jsonb),
	(3, 3, '[]'::jsonb, 270553174016, 73811480576, 29524390, 4287983, 41, 13, 612.274168026938, '{"P10": 0, "P25": 0, "P50": 285, "P75": 28827, "P90": 100453, "PMax": 2387253}'::jsonb, '{"P10": 0.050112612237617336, "P25": 0.059816601176241546, "P50": 0.17838535939858655, "P75": 1.589560433220719, "P90": 7.590440711092253, "PMax": 229.798335856482}'::jsonb, '{"ranges": 0, "ranges.overreplicated": 0, "ranges.unavailable": 0, "ranges.underreplicated": 0, "replicas": 41, "replicas.leaseholders": 13}'::jsonb);

INSERT INTO crdb_internal.ranges_no_leases (range_id, start_key, start_pretty, end_key, end_pretty, database_name, table_name, index_name, replicas, replica_localities, learner_replicas, split_enforced_until) VALUES
	(1, ''::bytea, '/Min', ''::bytea, '/System/NodeLiveness', '', '', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(2, ''::bytea, '/System/NodeLiveness', ''::bytea, '/System/NodeLivenessMax', '', '', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(3, ''::bytea, '/System/NodeLivenessMax', ''::bytea, '/System/tsd', '', '', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(4, ''::bytea, '/System/tsd', ''::bytea, '/System/"tse"', '', '', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(5, ''::bytea, '/System/"tse"', ''::bytea, '/Table/SystemConfigSpan/Start', '', '', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(6, ''::bytea, '/Table/SystemConfigSpan/Start', ''::bytea, '/Table/11', '', '', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(7, ''::bytea, '/Table/11', ''::bytea, '/Table/12', 'system', 'lease', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(8, ''::bytea, '/Table/12', ''::bytea, '/Table/13', 'system', 'eventlog', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(9, ''::bytea, '/Table/13', ''::bytea, '/Table/14', 'system', 'rangelog', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(10, ''::bytea, '/Table/14', ''::bytea, '/Table/15', 'system', 'ui', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(11, ''::bytea, '/Table/15', ''::bytea, '/Table/16', 'system', 'jobs', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(12, ''::bytea, '/Table/16', ''::bytea, '/Table/17', '', '', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(13, ''::bytea, '/Table/17', ''::bytea, '/Table/18', '', '', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(14, ''::bytea, '/Table/18', ''::bytea, '/Table/19', '', '', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(15, ''::bytea, '/Table/19', ''::bytea, '/Table/20', 'system', 'web_sessions', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(16, ''::bytea, '/Table/20', ''::bytea, '/Table/21', 'system', 'table_statistics', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(17, ''::bytea, '/Table/21', ''::bytea, '/Table/22', 'system', 'locations', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(18, ''::bytea, '/Table/22', ''::bytea, '/Table/23', '', '', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(19, ''::bytea, '/Table/23', ''::bytea, '/Table/24', 'system', 'role_members', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(20, ''::bytea, '/Table/24', ''::bytea, '/Table/25', 'system', 'comments', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(21, ''::bytea, '/Table/25', ''::bytea, '/Table/26', 'system', 'replication_constraint_stats', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(22, ''::bytea, '/Table/26', ''::bytea, '/Table/27', 'system', 'replication_critical_localities', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(23, ''::bytea, '/Table/27', ''::bytea, '/Table/28', 'system', 'replication_stats', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(24, ''::bytea, '/Table/28', ''::bytea, '/Table/29', 'system', 'reports_meta', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(25, ''::bytea, '/Table/29', ''::bytea, '/NamespaceTable/30', '', '', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(26, ''::bytea, '/NamespaceTable/30', ''::bytea, '/NamespaceTable/Max', 'system', 'namespace2', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(27, ''::bytea, '/NamespaceTable/Max', ''::bytea, '/Table/32', 'system', 'protected_ts_meta', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(28, ''::bytea, '/Table/32', ''::bytea, '/Table/33', 'system', 'protected_ts_records', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(29, ''::bytea, '/Table/33', ''::bytea, '/Table/34', 'system', 'role_options', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(30, ''::bytea, '/Table/34', ''::bytea, '/Table/35', 'system', 'statement_bundle_chunks', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(31, ''::bytea, '/Table/35', ''::bytea, '/Table/36', 'system', 'statement_diagnostics_requests', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(32, ''::bytea, '/Table/36', ''::bytea, '/Table/37', 'system', 'statement_diagnostics', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(33, ''::bytea, '/Table/37', ''::bytea, '/Table/38', 'system', 'scheduled_jobs', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(34, ''::bytea, '/Table/38', ''::bytea, '/Table/39', '', '', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(35, ''::bytea, '/Table/39', ''::bytea, '/Table/53', 'system', 'sqlliveness', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(36, '\xbd'::bytea, '/Table/53', '\xbd89'::bytea, '/Table/53/1', 'shop', 'customers', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(37, '\xbe'::bytea, '/Table/54', '\xbf'::bytea, '/Table/55', 'shop', 'orders', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(38, '\xbf'::bytea, '/Table/55', '\xffff'::bytea, '/Max', 'shop', 'order_items', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', NULL),
	(39, '\xbd8a'::bytea, '/Table/53/2', '\xbd8b'::bytea, '/Table/53/3', 'shop', 'customers', 'customers_region_idx', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', '2026-11-22 03:42:15.388855'),
	(40, '\xbd8b'::bytea, '/Table/53/3', '\xbe'::bytea, '/Table/54', 'shop', 'customers', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', '2026-11-22 03:42:14.890571'),
	(41, '\xbd89'::bytea, '/Table/53/1', '\xbd8a'::bytea, '/Table/53/2', 'shop', 'customers', '', '{1,2,3}', '{"region=us-east,zone=a","region=us-east,zone=b","region=us-east,zone=c"}', '{}', '2026-11-22 03:42:15.388855');
