-- Auto-restock of docked listings (issue 17 item 4, docs/docking.md "Auto-restock").
--
-- An allocation: an available key of a supplier's product set aside for one reseller listing
-- (keys.allocated_product_id = the listing). A listing with an enabled restock rule sells from
-- its allocation only; the supplier's own checkouts and the listings without a rule sell only
-- unallocated keys. The two sets are disjoint, so the checkout's one statement takes its
-- candidates from one pool (coalesce(allocated_product_id, product_id)) with SKIP LOCKED as before,
-- and a key is still reserved by one order only. The key's product, shop and batch do not change:
-- the certificate stays the supplier's.
--
-- No foreign key on allocated_product_id: its RI trigger would run for every key imported or sold
-- on the hot path; only docking_restock() (a listing it has just read) and releases write it.
ALTER TABLE keys ADD COLUMN allocated_product_id bigint;
-- The checkout's candidates per pool, in id order (the pool of a product without allocations is
-- the product itself, as in keys_available_idx).
CREATE INDEX keys_pool_available_idx ON keys ((coalesce(allocated_product_id, product_id)), id) WHERE status = 'available';
-- Releases (a rule disabled, a supply stopped) find the allocated keys not yet sold.
CREATE INDEX keys_allocated_idx ON keys (allocated_product_id) WHERE allocated_product_id IS NOT NULL AND status IN ('available', 'reserved');

-- product_stock counts, per product, its available keys (all of them, allocated or not) and, in
-- `allocated`, how many of those are allocated to listings; a listing's own row counts its
-- allocation's available keys. So the supplier's free stock is available - allocated, and
-- allocating or selling an allocated key changes the supplier's row and the listing's row in one
-- ordered upsert (keys_track_stock): the restock inside that statement's trigger locks no row
-- its transaction does not already hold.
ALTER TABLE product_stock ADD COLUMN allocated bigint NOT NULL DEFAULT 0;

CREATE TABLE docking_restock_rules (
  listing_product_id      bigint PRIMARY KEY REFERENCES products(id),
  shop_id                 bigint NOT NULL REFERENCES shops(id),
  -- Restock when the allocation's available keys fall below this.
  threshold               integer NOT NULL,
  -- N: the keys one restock allocates (fewer when the cap, the budget or the supplier's free stock say so).
  batch_keys              integer NOT NULL,
  -- Never more than this many available keys allocated at once.
  max_keys                integer NOT NULL,
  -- Wholesale value the rule may still allocate; each restock takes keys x the offer's wholesale.
  budget_remaining_minor  bigint NOT NULL,
  restocked_keys          bigint NOT NULL DEFAULT 0,
  enabled                 boolean NOT NULL DEFAULT true,
  created_at              timestamptz NOT NULL DEFAULT now(),
  updated_at              timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT docking_restock_rules_limits CHECK (threshold >= 1 AND batch_keys >= 1 AND max_keys >= batch_keys AND max_keys >= threshold AND max_keys <= 10000),
  -- The budget is never exceeded: a restock that would take it below zero fails its whole transaction.
  CONSTRAINT docking_restock_rules_budget CHECK (budget_remaining_minor >= 0)
);

-- One row per restock: the console's history and the tests' count of restocks.
CREATE TABLE docking_restocks (
  id                    bigserial PRIMARY KEY,
  listing_product_id    bigint NOT NULL REFERENCES products(id),
  supply_product_id     bigint NOT NULL REFERENCES products(id),
  keys                  integer NOT NULL CHECK (keys >= 1),
  wholesale_unit_minor  bigint NOT NULL,
  cost_minor            bigint NOT NULL,
  reason                text NOT NULL CHECK (reason IN ('threshold', 'rule_set', 'supply_resumed')),
  created_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX docking_restocks_listing_idx ON docking_restocks (listing_product_id, id);

-- A first version of the restock function for the trigger below; its definition lives in
-- core/store/functions/docking_restock.sql (and docking_restock_check.sql).
CREATE FUNCTION docking_restock(p_listing bigint, p_reason text) RETURNS integer LANGUAGE sql AS $$ SELECT 0 $$;
CREATE FUNCTION docking_restock_check() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;

-- Fires after product_stock_alerts (trigger names order them): the listing's low alert, if any,
-- is judged on the fall before the restock lifts it.
CREATE TRIGGER product_stock_restock AFTER UPDATE ON product_stock
  FOR EACH ROW WHEN (NEW.available < OLD.available) EXECUTE FUNCTION docking_restock_check();

-- The stock alerts judge a product by its free keys (available - allocated): allocating a
-- supplier's keys to a listing lowers what the supplier's own buyers can get.
DROP TRIGGER product_stock_alerts ON product_stock;
CREATE TRIGGER product_stock_alerts AFTER UPDATE ON product_stock
  FOR EACH ROW WHEN (NEW.available - NEW.allocated IS DISTINCT FROM OLD.available - OLD.allocated) EXECUTE FUNCTION stock_alert_check();
