-- Rows behind ../status/hot_ranges_v23.json for the hot_ranges check on the
-- v23.2 schema (load crdb_v23.2.sql, crdb_v23.2_health.sql for
-- ranges_no_leases, crdb_v23.2_ranges.sql for crdb_internal.tables and
-- crdb_v23.2_schema.sql for table_indexes first). Synthetic. Range 108 is
-- the one the endpoint leaves unnamed: its start key is /Table/300/2 (table
-- id 300 as CockroachDB encodes ids above 109, 0xf7 0x01 0x2c, then index
-- 2, 0x8a), which crdb_internal.tables names public.rides and
-- table_indexes rides_vehicle_idx. v23.2's ranges_no_leases has no name
-- columns, so the check learns (SQLSTATE 42703) to go by the start key. The
-- table is in the connected database: on PostgreSQL only that one can
-- qualify crdb_internal.table_indexes.

INSERT INTO crdb_internal.ranges_no_leases (range_id, start_key, start_pretty, end_key, end_pretty, replicas, replica_localities, voting_replicas, non_voting_replicas, learner_replicas, split_enforced_until) VALUES
	(108, '\xf7012c8a'::bytea, '/Table/300/2', '\xf7012c8b'::bytea, '/Table/300/3', '{1,2,3}', '{"region=us-east1,zone=a","region=us-east1,zone=b","region=us-east1,zone=c"}', '{1,2,3}', '{}', '{}', NULL);

INSERT INTO crdb_internal.tables (table_id, parent_id, name, database_name, version, mod_time, mod_time_logical, format_version, state, sc_lease_node_id, sc_lease_expiration_time, drop_time, audit_mode, schema_name, parent_schema_id, locality) VALUES
	(300, 104, 'rides', current_database(), 3, '2026-11-20 10:00:00', 1795000000000000000, 'InterleavedFormatVersion', 'PUBLIC', NULL, NULL, NULL, 'DISABLED', 'public', 105, 'REGIONAL BY ROW');

INSERT INTO crdb_internal.table_indexes (descriptor_id, descriptor_name, index_id, index_name, index_type, is_unique, is_inverted, is_sharded, is_visible, visibility, shard_bucket_count, created_at, create_statement) VALUES
	(300, 'rides', 1, 'rides_pkey', 'primary', true, false, false, true, 1, NULL, NULL, 'CREATE UNIQUE INDEX rides_pkey ON public.rides USING btree (id ASC)'),
	(300, 'rides', 2, 'rides_vehicle_idx', 'secondary', false, false, false, true, 1, NULL, NULL, 'CREATE INDEX rides_vehicle_idx ON public.rides USING btree (vehicle_id ASC)');
