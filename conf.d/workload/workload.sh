#!/bin/sh
# Demo workload: a row-level TTL table that receives a steady stream of
# inserts (so TTL deletes have work to do) and an orders table with a
# foreign key, through HAProxy. Runs until stopped.
set -eu
HOST="${WORKLOAD_HOST:-haproxy:26257}"
RATE="${WORKLOAD_ROWS_PER_SECOND:-20}"
sql() { cockroach sql --insecure --host="$HOST" -e "$1"; }

until sql "SELECT 1" >/dev/null 2>&1; do echo "workload: waiting for $HOST"; sleep 2; done

sql "CREATE DATABASE IF NOT EXISTS demo;
CREATE TABLE IF NOT EXISTS demo.sessions (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id INT8 NOT NULL,
  payload STRING,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  INDEX sessions_created_at_idx (created_at)
) WITH (ttl_expire_after = '10 minutes', ttl_job_cron = '*/5 * * * *');
CREATE TABLE IF NOT EXISTS demo.customers (id INT8 PRIMARY KEY, name STRING NOT NULL);
CREATE TABLE IF NOT EXISTS demo.orders (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  customer_id INT8 NOT NULL REFERENCES demo.customers (id),
  amount DECIMAL(10,2) NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO demo.customers SELECT i, 'customer-' || i::STRING FROM generate_series(1, 1000) AS g(i) ON CONFLICT DO NOTHING;"

echo "workload: inserting ${RATE} rows/s into demo.sessions and demo.orders"
while true; do
  sql "INSERT INTO demo.sessions (user_id, payload) SELECT (random()*1000)::INT8, repeat('x', 200) FROM generate_series(1, ${RATE});
       INSERT INTO demo.orders (customer_id, amount) SELECT 1 + (random()*999)::INT8, (random()*100)::DECIMAL(10,2) FROM generate_series(1, 2);
       SELECT count(*) FROM demo.orders WHERE created_at > now() - INTERVAL '1 minute';" >/dev/null || echo "workload: batch failed (node down?), retrying"
  sleep 1
done
