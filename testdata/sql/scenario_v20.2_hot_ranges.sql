-- Names for the hot_ranges check on the real v20.2 capture
-- (cockroach-v20.2/healthy/http/status_hotranges.json in the shared fixtures):
-- load crdb_v20.2.sql, crdb_v20.2_liveness.sql, crdb_v20.2_health.sql,
-- crdb_v20.2_schema.sql and scenario_health_v20.2.sql first; the last holds
-- ranges_no_leases as captured (names of all 41 ranges).
--
-- On PostgreSQL a table can only be qualified with the connected database,
-- so the capture's database "shop" is renamed to it here; and the shop
-- indexes of crdb_internal.table_indexes (table_indexes_shop.csv) are added,
-- with the capture's descriptor ids (53 customers, 54 orders, 55
-- order_items).

UPDATE crdb_internal.ranges_no_leases SET database_name = current_database() WHERE database_name = 'shop';

INSERT INTO crdb_internal.table_indexes (descriptor_id, descriptor_name, index_id, index_name, index_type, is_unique, is_inverted) VALUES
	(53, 'customers', 1, 'primary', 'primary', true, false),
	(53, 'customers', 2, 'customers_region_idx', 'secondary', false, false),
	(54, 'orders', 1, 'primary', 'primary', true, false),
	(54, 'orders', 2, 'orders_created_at_idx', 'secondary', false, false),
	(55, 'order_items', 1, 'primary', 'primary', true, false),
	(55, 'order_items', 2, 'order_items_order_id_idx', 'secondary', false, false);
