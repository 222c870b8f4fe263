-- Redemption on-chain: revealing a code is redemption, recorded on-chain in batches by the
-- chain worker. redeem_state is null while sealed; pending -> submitted -> included ->
-- confirmed (final, set by the indexer) once revealed.
ALTER TABLE entitlements
  ADD COLUMN redeem_state text,
  ADD COLUMN redeem_tx text,
  ADD CONSTRAINT entitlements_redeem_state_known CHECK (redeem_state IS NULL OR redeem_state IN ('pending','submitted','included','confirmed','failed')),
  ADD CONSTRAINT entitlements_redeemed_has_state CHECK ((state = 'redeemed') = (redeem_state IS NOT NULL) OR state = 'revoked');
CREATE INDEX entitlements_redeem_pending_idx ON entitlements (id) WHERE redeem_state = 'pending';

-- Manual delivery: the merchant's delivered text, encrypted under the shop's data key.
ALTER TABLE orders ADD COLUMN delivery_encrypted bytea, ADD COLUMN delivered_by bigint REFERENCES accounts(id);
