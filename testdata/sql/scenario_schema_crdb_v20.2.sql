-- CockroachDB-side rows for scenario_schema_shop.sql on v20.2: load after
-- crdb_v20.2.sql, crdb_v20.2_schema.sql and scenario_schema_shop.sql.
-- table_id is the table's pg_class oid, as on CockroachDB (descriptor id).
-- Row estimates as automatic statistics would have them; refunds has no
-- statistics yet (NULL).

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

-- v20.2 has no is_sharded column; a few rows for realism (the check does
-- not read them on v20.2).
INSERT INTO crdb_internal.table_indexes (descriptor_id, descriptor_name, index_id, index_name, index_type, is_unique, is_inverted) VALUES
	('public.orders'::regclass::oid::bigint, 'orders', 1, 'orders_pkey', 'primary', true, false),
	('public.orders'::regclass::oid::bigint, 'orders', 2, 'orders_created_at_idx', 'secondary', false, false),
	('public.audit_log'::regclass::oid::bigint, 'audit_log', 1, 'audit_log_pkey', 'primary', true, false),
	('public.audit_log'::regclass::oid::bigint, 'audit_log', 2, 'audit_log_at_idx', 'secondary', false, false);
