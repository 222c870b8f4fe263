-- The two recovery sweeps of the maintenance queue (every 30 s) read what they must, not whole
-- tables. They used to scan every paid order and every accepted payment ever recorded: at a
-- million orders, a full core's worth of index probes every 30 s to find nothing.
--
-- Lost fulfilment jobs: a paid order normally leaves 'paid' within milliseconds (fulfilled,
-- refund_pending), so the orders in 'paid' are a handful (in flight, or manual deliveries
-- waiting for their merchant). This index holds only them; the sale's payment update adds one
-- entry to it and the fulfilment update none (orders' updates are never HOT anyway: state is in
-- orders_expiring_idx's predicate).
CREATE INDEX orders_paid_idx ON orders (paid_at) WHERE state = 'paid';

-- Where a sweep over an append-only table got to: every row at or below `position` is settled
-- (api/services/orders/paymentEntryOutbox.ts). One row per sweep.
CREATE TABLE sweep_cursors (
  name     text PRIMARY KEY,
  position bigint NOT NULL DEFAULT 0
);
