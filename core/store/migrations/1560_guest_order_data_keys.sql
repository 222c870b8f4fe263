-- Per-order data keys for guest orders (docs/compliance.md, "Data rights"): a code delivered to a
-- guest (no account) is re-sealed after fulfilment under its order's own data key, wrapped under
-- the master key like a shop's or an account's (1530_buyer_data_keys.sql). The guest's erasure
-- (by the order's access: POST /api/orders/:id/erasure) deletes the row, and with it every copy of
-- the order's codes, backups included (crypto-shredding). One key per order, not per contact: a
-- guest proves access to an order, never to an email address.

-- The row is the key: erasure deletes it.
CREATE TABLE order_data_keys (
  order_id          text PRIMARY KEY REFERENCES orders(id),
  data_key_wrapped  bytea NOT NULL,
  master_key_id     text NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now()
);

-- Whose data key seals keys.ciphertext, besides sealed_for_account_id: the guest order's. At most
-- one of the two is set.
ALTER TABLE keys ADD COLUMN sealed_for_order_id text;
ALTER TABLE keys ADD CONSTRAINT keys_sealed_for_one_holder CHECK (sealed_for_account_id IS NULL OR sealed_for_order_id IS NULL);
CREATE INDEX keys_sealed_for_order_idx ON keys (sealed_for_order_id) WHERE sealed_for_order_id IS NOT NULL;
