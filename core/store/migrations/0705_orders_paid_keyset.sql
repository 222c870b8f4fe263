-- The recovery sweep pages through paid orders by (paid_at, id) (api/jobs/recovery/
-- requeuePaidOrders.ts): after a Redis outage the backlog is thousands of orders, drained in one
-- run, each page starting after the last one. With id in the index a page is one range scan,
-- also for orders paid in the same microsecond; the index still holds only orders in 'paid'.
CREATE INDEX orders_paid_keyset_idx ON orders (paid_at, id) WHERE state = 'paid';
DROP INDEX orders_paid_idx;
