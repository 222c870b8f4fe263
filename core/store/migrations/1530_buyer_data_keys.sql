-- Per-buyer data keys (docs/compliance.md, "Data rights"): a code delivered to a buyer with an
-- account is re-sealed at delivery under that buyer's own data key (wrapped under the master key,
-- like a shop's), so erasing the buyer destroys the key and with it every copy of their codes,
-- backups included (crypto-shredding). Guest orders keep the shop's key.

-- The row is the key: erasure deletes it. The foreign key puts the row (never the wrapped key:
-- the export leaves out every "wrapped" column) in the person's data export.
CREATE TABLE account_data_keys (
  account_id        bigint PRIMARY KEY REFERENCES accounts(id),
  data_key_wrapped  bytea NOT NULL,
  master_key_id     text NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now()
);

-- Whose data key seals keys.ciphertext: null, the shop's (in stock, a guest's, or not yet re-sealed).
-- No foreign key: the export would then scan keys for the person; the erasure finds them by the index.
ALTER TABLE keys ADD COLUMN sealed_for_account_id bigint;
CREATE INDEX keys_sealed_for_idx ON keys (sealed_for_account_id) WHERE sealed_for_account_id IS NOT NULL;
