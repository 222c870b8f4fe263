-- webhook_entitlements_changed: its current definition (last written by migration 1120_webhooks.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
-- entitlement.issued (the token first seen minted: included or confirmed), .redeemed (revealed),
-- .revoked, .transferred (another owner account or wallet: resale, withdrawal, custody moves).
CREATE OR REPLACE FUNCTION webhook_entitlements_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_events jsonb;
BEGIN
  SELECT jsonb_agg(jsonb_build_object('shop', n.shop_id, 'type', t.type, 'payload', jsonb_build_object(
           'entitlementId', n.id::text, 'orderId', n.order_id, 'productId', n.product_id::text, 'batchId', n.batch_id::text,
           'tokenId', n.token_id::text, 'state', n.state, 'issueState', n.issue_state)) ORDER BY n.id, t.ord)
    INTO v_events
  FROM new_rows n JOIN old_rows o ON o.id = n.id
  CROSS JOIN LATERAL (VALUES
      (1, CASE WHEN n.issue_state IN ('included','confirmed') AND o.issue_state NOT IN ('included','confirmed') THEN 'entitlement.issued' END),
      (2, CASE WHEN (n.owner_account_id IS DISTINCT FROM o.owner_account_id OR n.owner_wallet IS DISTINCT FROM o.owner_wallet)
                 AND (o.owner_account_id IS NOT NULL OR o.owner_wallet IS NOT NULL) THEN 'entitlement.transferred' END),
      (3, CASE WHEN n.state = 'redeemed' AND o.state = 'sealed' THEN 'entitlement.redeemed' END),
      (4, CASE WHEN n.state = 'revoked' AND o.state <> 'revoked' THEN 'entitlement.revoked' END)
    ) AS t(ord, type)
  WHERE t.type IS NOT NULL
    AND EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.shop_id = n.shop_id AND w.active AND t.type = ANY(w.events));
  IF v_events IS NOT NULL THEN
    PERFORM webhook_record_events(v_events);
  END IF;
  RETURN NULL;
END
$$;
