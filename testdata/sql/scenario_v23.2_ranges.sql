-- Zone configs and tables of the v23.2 multi-region cluster behind
-- ../status/critical_nodes_v23.json, as rows for crdb_v23.2_ranges.sql
-- (load crdb_v23.2.sql and crdb_v23.2_ranges.sql first). Synthetic, in the
-- shape of a movr database (id 104) after ALTER DATABASE ... SET PRIMARY
-- REGION / ADD REGION, with users (106) moved to REGIONAL BY TABLE IN
-- "europe-west1" and rides (300) constrained away from us-west1; vehicles
-- (107) has no zone of its own, so DATABASE movr's applies.

INSERT INTO crdb_internal.zones (zone_id, subzone_id, target, range_name, database_name, schema_name, table_name, index_name, partition_name, raw_config_yaml, raw_config_sql, raw_config_protobuf, full_config_yaml, full_config_sql) VALUES
	(0, 0, 'RANGE default', 'default', NULL, NULL, NULL, NULL, NULL,
	 E'range_min_bytes: 134217728\nrange_max_bytes: 536870912\ngc:\n  ttlseconds: 14400\nnum_replicas: 3\nconstraints: []\nlease_preferences: []\n',
	 E'ALTER RANGE default CONFIGURE ZONE USING\n\trange_min_bytes = 134217728,\n\trange_max_bytes = 536870912,\n\tgc.ttlseconds = 14400,\n\tnum_replicas = 3,\n\tconstraints = ''[]'',\n\tlease_preferences = ''[]''',
	 '\x'::bytea,
	 E'range_min_bytes: 134217728\nrange_max_bytes: 536870912\ngc:\n  ttlseconds: 14400\nnum_replicas: 3\nconstraints: []\nlease_preferences: []\n',
	 NULL),
	(104, 0, 'DATABASE movr', NULL, 'movr', NULL, NULL, NULL, NULL,
	 E'num_replicas: 5\nnum_voters: 3\nconstraints: {+region=europe-west1: 1, +region=us-east1: 1, +region=us-west1: 1}\nvoter_constraints: [+region=us-east1]\nlease_preferences: [[+region=us-east1]]\n',
	 E'ALTER DATABASE movr CONFIGURE ZONE USING\n\tnum_replicas = 5,\n\tnum_voters = 3,\n\tconstraints = ''{+region=europe-west1: 1, +region=us-east1: 1, +region=us-west1: 1}'',\n\tvoter_constraints = ''[+region=us-east1]'',\n\tlease_preferences = ''[[+region=us-east1]]''',
	 '\x'::bytea,
	 E'num_replicas: 5\nnum_voters: 3\nconstraints: {+region=europe-west1: 1, +region=us-east1: 1, +region=us-west1: 1}\nvoter_constraints: [+region=us-east1]\nlease_preferences: [[+region=us-east1]]\n',
	 NULL),
	(106, 0, 'TABLE movr.public.users', NULL, 'movr', 'public', 'users', NULL, NULL,
	 E'constraints: [+region=europe-west1]\n',
	 E'ALTER TABLE movr.public.users CONFIGURE ZONE USING\n\tconstraints = ''[+region=europe-west1]''',
	 '\x'::bytea,
	 E'num_replicas: 3\nconstraints: [+region=europe-west1]\n',
	 NULL),
	(300, 0, 'TABLE movr.public.rides', NULL, 'movr', 'public', 'rides', NULL, NULL,
	 E'constraints: [-region=us-west1]\n',
	 E'ALTER TABLE movr.public.rides CONFIGURE ZONE USING\n\tconstraints = ''[-region=us-west1]''',
	 '\x'::bytea,
	 E'num_replicas: 3\nconstraints: [-region=us-west1]\n',
	 NULL);

INSERT INTO crdb_internal.tables (table_id, parent_id, name, database_name, version, mod_time, mod_time_logical, format_version, state, sc_lease_node_id, sc_lease_expiration_time, drop_time, audit_mode, schema_name, parent_schema_id, locality) VALUES
	(106, 104, 'users', 'movr', 4, '2026-11-22 02:00:00', 1795312800000000000.0000000000, 'InterleavedFormatVersion', 'PUBLIC', NULL, NULL, NULL, 'DISABLED', 'public', 105, 'REGIONAL BY TABLE IN "europe-west1"'),
	(107, 104, 'vehicles', 'movr', 2, '2026-11-22 02:00:00', 1795312800000000000.0000000000, 'InterleavedFormatVersion', 'PUBLIC', NULL, NULL, NULL, 'DISABLED', 'public', 105, 'REGIONAL BY TABLE IN PRIMARY REGION'),
	(300, 104, 'rides', 'movr', 3, '2026-11-22 02:00:00', 1795312800000000000.0000000000, 'InterleavedFormatVersion', 'PUBLIC', NULL, NULL, NULL, 'DISABLED', 'public', 105, 'REGIONAL BY TABLE IN PRIMARY REGION');
