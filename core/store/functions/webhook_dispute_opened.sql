-- webhook_dispute_opened: its current definition (last written by migration 1120_webhooks.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
CREATE OR REPLACE FUNCTION webhook_dispute_opened() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM webhook_record_events(jsonb_build_array(jsonb_build_object('shop', NEW.shop_id, 'type', 'dispute.opened', 'payload', jsonb_build_object(
    'disputeId', NEW.id::text, 'orderId', NEW.order_id, 'category', NEW.category,
    'entitlementId', NEW.entitlement_id::text))));
  RETURN NULL;
END
$$;
