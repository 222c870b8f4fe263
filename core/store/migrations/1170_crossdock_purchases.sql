-- Docking across instances, the downstream half (docs/docking.md, "Across instances"): a
-- listing that sells a remote supplier's product, and the purchase that buys each paid order's
-- keys upstream, verifies them on-chain and only then delivers them.
--
-- The listing is a manual-delivery product of the reseller's shop (no keys of its own, its
-- stock the merchant's number as for any manual product) naming the remote supplier and the
-- upstream product; the purchase job, not the merchant, delivers its paid orders.
ALTER TABLE products ADD COLUMN remote_supplier_id bigint REFERENCES remote_suppliers(id);
ALTER TABLE products ADD COLUMN remote_product_id text;
ALTER TABLE products ADD CONSTRAINT products_remote_listing_whole CHECK (
  (remote_supplier_id IS NULL) = (remote_product_id IS NULL)
  AND (remote_supplier_id IS NULL OR (delivery_mode = 'manual' AND supply_product_id IS NULL AND remote_product_id ~ '^[1-9][0-9]{0,18}$'))
);

-- One purchase per downstream order. `attempt` numbers the upstream orders (the Idempotency-Key
-- is crossdock:<order>:<attempt>, so a retried or doubled job buys once per attempt); it moves
-- on only when a key failed the gate (its upstream order disputed). `state` ends delivered or
-- refunded, each set by the one transaction that also moved the order.
CREATE TABLE crossdock_purchases (
  order_id           text PRIMARY KEY REFERENCES orders(id),
  attempt            integer NOT NULL DEFAULT 1,
  state              text NOT NULL DEFAULT 'buying',
  upstream_order_id  text,
  -- The upstream orders refused by the gate, each with the failed checks: [{ attempt, upstreamOrderId, failures }].
  refused            jsonb NOT NULL DEFAULT '[]',
  -- The supplier's certificates (keyledger-certificate/2, with the salt), one per delivered key.
  certificates       jsonb,
  last_error         text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT crossdock_purchases_state_known CHECK (state IN ('buying', 'delivered', 'refunded')),
  CONSTRAINT crossdock_purchases_attempt_range CHECK (attempt BETWEEN 1 AND 100)
);

-- A balance payment (POST /api/orders/{id}/pay-from-balance): the buyer's platform balance
-- (buyer/refunds) pays a platform-collected order, booked through platform/clearing_balance.
ALTER TABLE payments DROP CONSTRAINT payments_provider_known;
ALTER TABLE payments ADD CONSTRAINT payments_provider_known CHECK (provider IN ('epay', 'chain', 'balance'));
DO $$
DECLARE
  definition text := pg_get_constraintdef((SELECT oid FROM pg_constraint WHERE conname = 'ledger_accounts_purpose_known'));
BEGIN
  IF position('''clearing_balance''' IN definition) = 0 THEN
    EXECUTE 'ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_purpose_known';
    EXECUTE 'ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_purpose_known '
      || regexp_replace(definition, '\]', ', ''clearing_balance''::text]');
  END IF;
END $$;

-- The sealed certificates of the current upstream order that passed the gate's first step: the
-- reveal that follows redeems them on-chain, so a run that resumes after the reveal (a crash, a
-- retry) checks the revealed code against these instead of the chain's now-redeemed state.
ALTER TABLE crossdock_purchases ADD COLUMN sealed_certificates jsonb;
