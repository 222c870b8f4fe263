-- "A new key each period" (docs/subscriptions.md, delivery key_per_period): each renewal takes
-- the next key of the product's committed stock and issues a new entitlement for it, whose
-- on-chain expiry is that period's end. A subscription keeps the delivery it started with.
ALTER TABLE subscriptions ADD COLUMN delivery text NOT NULL DEFAULT 'credential',
  ADD CONSTRAINT subscriptions_delivery_known CHECK (delivery IN ('credential','key_per_period'));

-- The period's own entitlement (a key_per_period renewal); NULL: the subscription's entitlement
-- (period 0, and every period of a credential subscription). UNIQUE: one entitlement is never
-- two periods' key, and the sweep that starts subscriptions skips these entitlements.
ALTER TABLE subscription_periods ADD COLUMN entitlement_id bigint UNIQUE REFERENCES entitlements(id),
  ADD CONSTRAINT subscription_periods_own_key CHECK (entitlement_id IS NULL OR period_index > 0);
