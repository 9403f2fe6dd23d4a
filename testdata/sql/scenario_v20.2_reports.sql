-- The replication reports and zone configs of the healthy 3-node
-- CockroachDB v20.2.0-beta.1 cluster of the shared fixtures
-- (cockroach-v20.2/healthy/sql: system.replication_*.csv,
-- system.reports_meta.csv, crdb_internal.zones.csv), as rows for the tables
-- of crdb_v20.2_ranges.sql: every row and value as captured (bytes columns
-- decoded from CockroachDB's escaped form to bytea). Load crdb_v20.2.sql and
-- crdb_v20.2_ranges.sql first.
--
-- The cluster: shop.customers (zone 53) is constrained to [+zone=a] with 3
-- replicas and one node in zone a, so its 4 ranges violate it; shop.orders
-- (zone 54) asks for one replica in zone a ({+zone=a: 1}), which holds. The
-- system zones ask for 5 replicas on 3 nodes, hence 34 under-replicated
-- ranges in the report (the ranges_underreplicated metric says 0: it caps
-- the target at the node count). All nodes are in region us-east, which is
-- therefore critical for every zone.

INSERT INTO system.replication_constraint_stats (zone_id, subzone_id, type, config, report_id, violation_start, violating_ranges) VALUES
	(53, 0, 'constraint', '+zone=a', 1, '2026-11-22 02:42:13.064581+00:00', 4),
	(54, 0, 'constraint', '+zone=a:1', 1, NULL, 0);

INSERT INTO system.replication_critical_localities (zone_id, subzone_id, locality, report_id, at_risk_ranges) VALUES
	(0, 0, 'region=us-east', 2, 2),
	(1, 0, 'region=us-east', 2, 30),
	(16, 0, 'region=us-east', 2, 1),
	(17, 0, 'region=us-east', 2, 2),
	(22, 0, 'region=us-east', 2, 1),
	(53, 0, 'region=us-east', 2, 4),
	(54, 0, 'region=us-east', 2, 1);

INSERT INTO system.replication_stats (zone_id, subzone_id, report_id, total_ranges, unavailable_ranges, under_replicated_ranges, over_replicated_ranges) VALUES
	(0, 0, 3, 2, 0, 0, 0),
	(1, 0, 3, 30, 0, 30, 0),
	(16, 0, 3, 1, 0, 1, 0),
	(17, 0, 3, 2, 0, 2, 0),
	(22, 0, 3, 1, 0, 1, 0),
	(53, 0, 3, 4, 0, 0, 0),
	(54, 0, 3, 1, 0, 0, 0);

INSERT INTO system.reports_meta (id, "generated") VALUES
	(1, '2026-11-22 02:45:04.414165+00:00'),
	(2, '2026-11-22 02:45:04.446964+00:00'),
	(3, '2026-11-22 02:45:04.469907+00:00');

INSERT INTO crdb_internal.zones (zone_id, subzone_id, target, range_name, database_name, table_name, index_name, partition_name, raw_config_yaml, raw_config_sql, raw_config_protobuf, full_config_yaml, full_config_sql) VALUES
	(0, 0, 'RANGE default', 'default', NULL, NULL, NULL, NULL, 'range_min_bytes: 134217728
range_max_bytes: 536870912
gc:
  ttlseconds: 90000
num_replicas: 3
constraints: []
lease_preferences: []
', 'ALTER RANGE default CONFIGURE ZONE USING
	range_min_bytes = 134217728,
	range_max_bytes = 536870912,
	gc.ttlseconds = 90000,
	num_replicas = 3,
	constraints = ''[]'',
	lease_preferences = ''[]''', '\x108080804018808080800222040890bf05280350005800'::bytea, 'range_min_bytes: 134217728
range_max_bytes: 536870912
gc:
  ttlseconds: 90000
num_replicas: 3
constraints: []
lease_preferences: []
', 'ALTER RANGE default CONFIGURE ZONE USING
	range_min_bytes = 134217728,
	range_max_bytes = 536870912,
	gc.ttlseconds = 90000,
	num_replicas = 3,
	constraints = ''[]'',
	lease_preferences = ''[]'''),
	(1, 0, 'DATABASE system', NULL, 'system', NULL, NULL, NULL, 'range_min_bytes: 134217728
range_max_bytes: 536870912
gc:
  ttlseconds: 90000
num_replicas: 5
constraints: []
lease_preferences: []
', 'ALTER DATABASE system CONFIGURE ZONE USING
	range_min_bytes = 134217728,
	range_max_bytes = 536870912,
	gc.ttlseconds = 90000,
	num_replicas = 5,
	constraints = ''[]'',
	lease_preferences = ''[]''', '\x108080804018808080800222040890bf05280550005800'::bytea, 'range_min_bytes: 134217728
range_max_bytes: 536870912
gc:
  ttlseconds: 90000
num_replicas: 5
constraints: []
lease_preferences: []
', 'ALTER DATABASE system CONFIGURE ZONE USING
	range_min_bytes = 134217728,
	range_max_bytes = 536870912,
	gc.ttlseconds = 90000,
	num_replicas = 5,
	constraints = ''[]'',
	lease_preferences = ''[]'''),
	(16, 0, 'RANGE meta', 'meta', NULL, NULL, NULL, NULL, 'range_min_bytes: 134217728
range_max_bytes: 536870912
gc:
  ttlseconds: 3600
num_replicas: 5
constraints: []
lease_preferences: []
', 'ALTER RANGE meta CONFIGURE ZONE USING
	range_min_bytes = 134217728,
	range_max_bytes = 536870912,
	gc.ttlseconds = 3600,
	num_replicas = 5,
	constraints = ''[]'',
	lease_preferences = ''[]''', '\x1080808040188080808002220308901c280550005800'::bytea, 'range_min_bytes: 134217728
range_max_bytes: 536870912
gc:
  ttlseconds: 3600
num_replicas: 5
constraints: []
lease_preferences: []
', 'ALTER RANGE meta CONFIGURE ZONE USING
	range_min_bytes = 134217728,
	range_max_bytes = 536870912,
	gc.ttlseconds = 3600,
	num_replicas = 5,
	constraints = ''[]'',
	lease_preferences = ''[]'''),
	(17, 0, 'RANGE system', 'system', NULL, NULL, NULL, NULL, 'range_min_bytes: 134217728
range_max_bytes: 536870912
gc:
  ttlseconds: 90000
num_replicas: 5
constraints: []
lease_preferences: []
', 'ALTER RANGE system CONFIGURE ZONE USING
	range_min_bytes = 134217728,
	range_max_bytes = 536870912,
	gc.ttlseconds = 90000,
	num_replicas = 5,
	constraints = ''[]'',
	lease_preferences = ''[]''', '\x108080804018808080800222040890bf05280550005800'::bytea, 'range_min_bytes: 134217728
range_max_bytes: 536870912
gc:
  ttlseconds: 90000
num_replicas: 5
constraints: []
lease_preferences: []
', 'ALTER RANGE system CONFIGURE ZONE USING
	range_min_bytes = 134217728,
	range_max_bytes = 536870912,
	gc.ttlseconds = 90000,
	num_replicas = 5,
	constraints = ''[]'',
	lease_preferences = ''[]'''),
	(22, 0, 'RANGE liveness', 'liveness', NULL, NULL, NULL, NULL, 'range_min_bytes: 134217728
range_max_bytes: 536870912
gc:
  ttlseconds: 600
num_replicas: 5
constraints: []
lease_preferences: []
', 'ALTER RANGE liveness CONFIGURE ZONE USING
	range_min_bytes = 134217728,
	range_max_bytes = 536870912,
	gc.ttlseconds = 600,
	num_replicas = 5,
	constraints = ''[]'',
	lease_preferences = ''[]''', '\x1080808040188080808002220308d804280550005800'::bytea, 'range_min_bytes: 134217728
range_max_bytes: 536870912
gc:
  ttlseconds: 600
num_replicas: 5
constraints: []
lease_preferences: []
', 'ALTER RANGE liveness CONFIGURE ZONE USING
	range_min_bytes = 134217728,
	range_max_bytes = 536870912,
	gc.ttlseconds = 600,
	num_replicas = 5,
	constraints = ''[]'',
	lease_preferences = ''[]'''),
	(25, 0, 'TABLE system.public.replication_constraint_stats', NULL, 'system', 'replication_constraint_stats', NULL, NULL, 'range_min_bytes: null
range_max_bytes: null
gc:
  ttlseconds: 600
num_replicas: null
constraints: []
lease_preferences: []
', 'ALTER TABLE system.public.replication_constraint_stats CONFIGURE ZONE USING
	gc.ttlseconds = 600,
	constraints = ''[]'',
	lease_preferences = ''[]''', '\x220308d80450005800'::bytea, 'range_min_bytes: 134217728
range_max_bytes: 536870912
gc:
  ttlseconds: 600
num_replicas: 5
constraints: []
lease_preferences: []
', 'ALTER TABLE system.public.replication_constraint_stats CONFIGURE ZONE USING
	range_min_bytes = 134217728,
	range_max_bytes = 536870912,
	gc.ttlseconds = 600,
	num_replicas = 5,
	constraints = ''[]'',
	lease_preferences = ''[]'''),
	(27, 0, 'TABLE system.public.replication_stats', NULL, 'system', 'replication_stats', NULL, NULL, 'range_min_bytes: null
range_max_bytes: null
gc:
  ttlseconds: 600
num_replicas: null
constraints: []
lease_preferences: []
', 'ALTER TABLE system.public.replication_stats CONFIGURE ZONE USING
	gc.ttlseconds = 600,
	constraints = ''[]'',
	lease_preferences = ''[]''', '\x220308d80450005800'::bytea, 'range_min_bytes: 134217728
range_max_bytes: 536870912
gc:
  ttlseconds: 600
num_replicas: 5
constraints: []
lease_preferences: []
', 'ALTER TABLE system.public.replication_stats CONFIGURE ZONE USING
	range_min_bytes = 134217728,
	range_max_bytes = 536870912,
	gc.ttlseconds = 600,
	num_replicas = 5,
	constraints = ''[]'',
	lease_preferences = ''[]'''),
	(53, 0, 'TABLE shop.public.customers', NULL, 'shop', 'customers', NULL, NULL, 'range_min_bytes: null
range_max_bytes: null
gc: null
num_replicas: null
constraints: [+zone=a]
lease_preferences: []
', 'ALTER TABLE shop.public.customers CONFIGURE ZONE USING
	constraints = ''[+zone=a]''', '\x320f320b080112047a6f6e651a0161380050005801'::bytea, 'range_min_bytes: 134217728
range_max_bytes: 536870912
gc:
  ttlseconds: 90000
num_replicas: 3
constraints: [+zone=a]
lease_preferences: []
', 'ALTER TABLE shop.public.customers CONFIGURE ZONE USING
	range_min_bytes = 134217728,
	range_max_bytes = 536870912,
	gc.ttlseconds = 90000,
	num_replicas = 3,
	constraints = ''[+zone=a]'',
	lease_preferences = ''[]'''),
	(54, 0, 'TABLE shop.public.orders', NULL, 'shop', 'orders', NULL, NULL, 'range_min_bytes: null
range_max_bytes: null
gc: null
num_replicas: 3
constraints: {+zone=a: 1}
lease_preferences: [[+zone=a]]
', 'ALTER TABLE shop.public.orders CONFIGURE ZONE USING
	num_replicas = 3,
	constraints = ''{+zone=a: 1}'',
	lease_preferences = ''[[+zone=a]]''', '\x2803320f320b080112047a6f6e651a016138014a0d0a0b080112047a6f6e651a016150005800'::bytea, 'range_min_bytes: 134217728
range_max_bytes: 536870912
gc:
  ttlseconds: 90000
num_replicas: 3
constraints: {+zone=a: 1}
lease_preferences: [[+zone=a]]
', 'ALTER TABLE shop.public.orders CONFIGURE ZONE USING
	range_min_bytes = 134217728,
	range_max_bytes = 536870912,
	gc.ttlseconds = 90000,
	num_replicas = 3,
	constraints = ''{+zone=a: 1}'',
	lease_preferences = ''[[+zone=a]]''');
