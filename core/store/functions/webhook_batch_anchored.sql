-- webhook_batch_anchored: its current definition (last written by migration 1120_webhooks.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
-- batch.anchored: the batch's root first seen on-chain (included or confirmed).
CREATE OR REPLACE FUNCTION webhook_batch_anchored() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM webhook_record_events(jsonb_build_array(jsonb_build_object('shop', NEW.shop_id, 'type', 'batch.anchored', 'payload', jsonb_build_object(
    'batchId', NEW.id::text, 'productId', NEW.product_id::text, 'keyCount', NEW.key_count,
    'root', CASE WHEN NEW.root IS NULL THEN NULL ELSE '0x' || encode(NEW.root, 'hex') END, 'anchorTx', NEW.anchor_tx))));
  RETURN NULL;
END
$$;
