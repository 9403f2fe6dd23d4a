-- CockroachDB-side rows for scenario_schema_shop.sql on v23.2: load after
-- crdb_v23.2.sql, crdb_v23.2_schema.sql and scenario_schema_shop.sql.
-- Same row estimates as the v20.2 scenario; table_indexes now says which
-- indexes are hash sharded.

INSERT INTO crdb_internal.table_row_statistics (table_id, table_name, estimated_row_count) VALUES
	('public.customers'::regclass::oid::bigint, 'customers', 1000),
	('public.orders'::regclass::oid::bigint, 'orders', 3000),
	('public.order_items'::regclass::oid::bigint, 'order_items', 6000),
	('public.order_notes'::regclass::oid::bigint, 'order_notes', 10),
	('public.events'::regclass::oid::bigint, 'events', 50),
	('public.sessions'::regclass::oid::bigint, 'sessions', 7),
	('public.carriers'::regclass::oid::bigint, 'carriers', 12),
	('public.shipments'::regclass::oid::bigint, 'shipments', 20000),
	('public.refunds'::regclass::oid::bigint, 'refunds', NULL),
	('public.readings'::regclass::oid::bigint, 'readings', 100000),
	('public.audit_log'::regclass::oid::bigint, 'audit_log', 5);

INSERT INTO crdb_internal.table_indexes (descriptor_id, descriptor_name, index_id, index_name, index_type, is_unique, is_inverted, is_sharded, is_visible, visibility, shard_bucket_count, created_at, create_statement) VALUES
	('public.orders'::regclass::oid::bigint, 'orders', 1, 'orders_pkey', 'primary', true, false, false, true, 1, NULL, NULL,
		'CREATE UNIQUE INDEX orders_pkey ON shop.public.orders USING btree (id ASC)'),
	('public.orders'::regclass::oid::bigint, 'orders', 2, 'orders_created_at_idx', 'secondary', false, false, false, true, 1, NULL, '2026-11-22 02:41:45',
		'CREATE INDEX orders_created_at_idx ON shop.public.orders USING btree (created_at ASC)'),
	('public.readings'::regclass::oid::bigint, 'readings', 1, 'readings_pkey', 'primary', true, false, true, true, 1, 8, NULL,
		'CREATE UNIQUE INDEX readings_pkey ON shop.public.readings USING btree (ts ASC, device ASC) USING HASH WITH (bucket_count=8)'),
	('public.audit_log'::regclass::oid::bigint, 'audit_log', 1, 'audit_log_pkey', 'primary', true, false, false, true, 1, NULL, NULL,
		'CREATE UNIQUE INDEX audit_log_pkey ON shop.public.audit_log USING btree (id ASC)'),
	('public.audit_log'::regclass::oid::bigint, 'audit_log', 2, 'audit_log_at_idx', 'secondary', false, false, true, true, 1, 16, '2026-11-22 02:41:46',
		'CREATE INDEX audit_log_at_idx ON shop.public.audit_log USING btree (at ASC) USING HASH WITH (bucket_count=16)');
