-- The shop database of the shared v20.2 fixtures (cockroach-v20.2/SOURCES.md:
-- customers, orders, order_items with the same foreign keys and indexes), as
-- REAL PostgreSQL tables in schema public, so that the schema check's
-- pg_catalog queries read a genuine catalog, plus tables for the cases the
-- fixture does not cover. Types mapped as in crdb_v20.2.sql (STRING -> text,
-- INT8 -> bigint, DECIMAL -> numeric). Loads alone (plain PostgreSQL) or after
-- crdb_<version>.sql and crdb_<version>_schema.sql (emulated CockroachDB).
--
-- What the schema check must find (database tag = the test database):
--   public.orders     fk_without_index 1 (customer_id, as in the fixture)
--                     sequential_key_indexes 1 (orders_created_at_idx)
--   public.events     sequential_key_indexes 1 (primary key, unique_rowid())
--   public.shipments  fk_without_index 1 (order_id: its index is led by shipped_at)
--                     sequential_key_indexes 1 (shipments_shipped_at_order_id_idx)
--   public.refunds    fk_without_index 1 (order_id: only a partial index)
--   public.audit_log  sequential_key_indexes 1 (audit_log_at_idx), except where
--                     crdb_internal.table_indexes says it is hash sharded (v23.2)
-- and nothing on customers, order_items, order_notes, carriers, readings,
-- sessions.

-- CockroachDB's builtins, so that column defaults read as on CockroachDB
-- (pg_get_expr prints "unique_rowid()").
CREATE FUNCTION unique_rowid() RETURNS bigint LANGUAGE sql VOLATILE
	AS $$ SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint $$;
CREATE FUNCTION unordered_unique_rowid() RETURNS bigint LANGUAGE sql VOLATILE
	AS $$ SELECT (random() * 9000000000000000000)::bigint $$;

-- Fixture DDL. orders.customer_id has NO index; order_items.order_id has one.
CREATE TABLE customers (
	id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
	name text NOT NULL,
	region text NOT NULL,
	email text NULL,
	created_at timestamptz NOT NULL DEFAULT now()
);
-- Added by the fixture's first (successful) schema-change job.
CREATE INDEX customers_region_idx ON customers (region);

CREATE TABLE orders (
	id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
	customer_id uuid NOT NULL,
	amount numeric(10,2) NOT NULL,
	status text NOT NULL DEFAULT 'new',
	created_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT fk_customer_id_ref_customers FOREIGN KEY (customer_id) REFERENCES customers (id)
);
CREATE INDEX orders_created_at_idx ON orders (created_at);

CREATE TABLE order_items (
	id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
	order_id uuid NOT NULL,
	sku text NOT NULL,
	qty bigint NOT NULL,
	price numeric(10,2) NOT NULL,
	CONSTRAINT fk_order_id_ref_orders FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE
);
CREATE INDEX order_items_order_id_idx ON order_items (order_id);

-- A foreign key served by the primary key's leading column.
CREATE TABLE order_notes (
	order_id uuid NOT NULL,
	line bigint NOT NULL,
	note text NOT NULL,
	PRIMARY KEY (order_id, line),
	CONSTRAINT fk_order_id_ref_orders FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE
);

-- An INT8 key from unique_rowid(), as SERIAL (and the hidden rowid of a table
-- without a primary key) gives on CockroachDB: sequential.
CREATE TABLE events (
	id bigint NOT NULL DEFAULT unique_rowid() PRIMARY KEY,
	kind text NOT NULL,
	payload jsonb NULL
);

-- unordered_unique_rowid() is not sequential.
CREATE TABLE sessions (
	id bigint NOT NULL DEFAULT unordered_unique_rowid() PRIMARY KEY,
	customer_id uuid NULL
);

-- A two-column foreign key, served by an index with the same columns first
-- in the other order.
CREATE TABLE carriers (
	id bigint NOT NULL,
	region text NOT NULL,
	name text NOT NULL,
	PRIMARY KEY (id, region)
);
CREATE TABLE shipments (
	id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
	order_id uuid NULL,
	carrier_id bigint NOT NULL,
	carrier_region text NOT NULL,
	shipped_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT fk_order_id_ref_orders FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE SET NULL,
	CONSTRAINT fk_carrier_ref_carriers FOREIGN KEY (carrier_id, carrier_region) REFERENCES carriers (id, region)
);
CREATE INDEX shipments_carrier_idx ON shipments (carrier_region, carrier_id, shipped_at);
-- Holds order_id, but not first: no help to the foreign key; led by a
-- timestamp: sequential.
CREATE INDEX shipments_shipped_at_order_id_idx ON shipments (shipped_at, order_id);

-- A partial index does not serve every foreign key lookup.
CREATE TABLE refunds (
	id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
	order_id uuid NULL,
	amount numeric(10,2) NOT NULL,
	CONSTRAINT fk_order_id_ref_orders FOREIGN KEY (order_id) REFERENCES orders (id)
);
CREATE INDEX refunds_order_id_idx ON refunds (order_id) WHERE amount > 100;

-- The layout of a hash-sharded primary key on CockroachDB: a computed shard
-- column leads, then the timestamp. Not sequential.
CREATE TABLE readings (
	device text NOT NULL,
	ts timestamptz NOT NULL,
	value double precision NOT NULL,
	crdb_internal_device_shard_8 integer NOT NULL GENERATED ALWAYS AS (mod(abs(hashtext(device)), 8)) STORED,
	PRIMARY KEY (crdb_internal_device_shard_8, ts, device)
);

-- Led by a timestamp. The v23.2 scenario marks this index is_sharded in
-- crdb_internal.table_indexes (a state real CockroachDB would show with the
-- shard column first; here it isolates the is_sharded rule).
CREATE TABLE audit_log (
	id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
	at timestamptz NOT NULL DEFAULT now(),
	action text NOT NULL
);
CREATE INDEX audit_log_at_idx ON audit_log (at);

-- Rows for the custom_queries tests: 4 customers, 10 orders.
INSERT INTO customers (id, name, region, email, created_at) VALUES
	('00000000-0000-0000-0000-000000000001', 'customer-1', 'us-east', 'c1@example.com', '2026-11-22 01:00:00+00'),
	('00000000-0000-0000-0000-000000000002', 'customer-2', 'us-west', 'dup@example.com', '2026-11-22 01:01:00+00'),
	('00000000-0000-0000-0000-000000000003', 'customer-3', 'eu-central', NULL, '2026-11-22 01:02:00+00'),
	('00000000-0000-0000-0000-000000000004', 'customer-4', 'ap-south', 'dup@example.com', '2026-11-22 01:03:00+00');

INSERT INTO orders (customer_id, amount, status, created_at) VALUES
	('00000000-0000-0000-0000-000000000001', 10.00, 'new', '2026-11-22 02:00:00+00'),
	('00000000-0000-0000-0000-000000000002', 20.00, 'new', '2026-11-22 02:01:00+00'),
	('00000000-0000-0000-0000-000000000003', 30.50, 'new', '2026-11-22 02:02:00+00'),
	('00000000-0000-0000-0000-000000000001', 100.00, 'paid', '2026-11-22 02:03:00+00'),
	('00000000-0000-0000-0000-000000000002', 200.00, 'paid', '2026-11-22 02:04:00+00'),
	('00000000-0000-0000-0000-000000000003', 300.00, 'paid', '2026-11-22 02:05:00+00'),
	('00000000-0000-0000-0000-000000000004', 400.25, 'paid', '2026-11-22 02:06:00+00'),
	('00000000-0000-0000-0000-000000000001', 5.00, 'shipped', '2026-11-22 02:07:00+00'),
	('00000000-0000-0000-0000-000000000004', 6.00, 'shipped', '2026-11-22 02:08:00+00'),
	('00000000-0000-0000-0000-000000000002', 7.00, 'cancelled', '2026-11-22 02:09:00+00');
