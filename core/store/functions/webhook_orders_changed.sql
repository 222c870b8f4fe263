-- webhook_orders_changed: its current definition (last written by migration 1120_webhooks.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
-- order.paid, order.fulfilled and order.refunded (an order entering refund_pending or
-- refunded: the refund's ledger entry is posted in the same transaction).
CREATE OR REPLACE FUNCTION webhook_orders_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_events jsonb;
BEGIN
  SELECT jsonb_agg(jsonb_build_object('shop', n.shop_id, 'type', t.type, 'payload', jsonb_build_object(
           'orderId', n.id, 'productId', n.product_id::text, 'quantity', n.quantity,
           'amountMinor', n.amount_minor::text, 'currency', n.currency, 'state', n.state)) ORDER BY n.id)
    INTO v_events
  FROM new_rows n JOIN old_rows o ON o.id = n.id
  CROSS JOIN LATERAL (SELECT CASE
      WHEN n.state = 'paid' THEN 'order.paid'
      WHEN n.state = 'fulfilled' THEN 'order.fulfilled'
      WHEN n.state IN ('refund_pending','refunded') AND o.state NOT IN ('refund_pending','refunded') THEN 'order.refunded'
    END AS type) t
  WHERE n.state IS DISTINCT FROM o.state AND t.type IS NOT NULL
    AND EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.shop_id = n.shop_id AND w.active AND t.type = ANY(w.events));
  IF v_events IS NOT NULL THEN
    PERFORM webhook_record_events(v_events);
  END IF;
  RETURN NULL;
END
$$;
