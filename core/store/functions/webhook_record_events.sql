-- webhook_record_events: its current definition (last written by migration 1120_webhooks.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
-- Records events [{shop, type, payload}] in the outbox for the shops with an active endpoint
-- that chose the type. Shops are taken in id order, so two statements that record events of
-- the same shops lock their sequence rows in the same order; each shop's counter moves once
-- per statement, by the number of its events, and its row stays locked to the commit.
CREATE OR REPLACE FUNCTION webhook_record_events(p_events jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_shop record;
  v_last bigint;
BEGIN
  FOR v_shop IN
    SELECT (e->>'shop')::bigint AS shop_id, count(*) AS n
    FROM jsonb_array_elements(p_events) e
    WHERE EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.shop_id = (e->>'shop')::bigint AND w.active AND (e->>'type') = ANY(w.events))
    GROUP BY 1 ORDER BY 1
  LOOP
    INSERT INTO webhook_shop_sequences AS s (shop_id, last_sequence) VALUES (v_shop.shop_id, v_shop.n)
      ON CONFLICT (shop_id) DO UPDATE SET last_sequence = s.last_sequence + EXCLUDED.last_sequence
      RETURNING last_sequence INTO v_last;
    INSERT INTO webhook_events (shop_id, sequence, type, payload)
    SELECT v_shop.shop_id, v_last - v_shop.n + row_number() OVER (ORDER BY ord), e->>'type', e->'payload'
    FROM jsonb_array_elements(p_events) WITH ORDINALITY AS x(e, ord)
    WHERE (e->>'shop')::bigint = v_shop.shop_id
      AND EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.shop_id = v_shop.shop_id AND w.active AND (e->>'type') = ANY(w.events))
    ORDER BY ord;
  END LOOP;
END
$$;
