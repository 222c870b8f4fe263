-- rental_pull_listing: its current definition (last written by migration 1000_rentals.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
-- Pulls an active rental offer when its entitlement is revealed, revoked, changes owner or
-- leaves custody (the events of resale_pull_listing).
CREATE OR REPLACE FUNCTION rental_pull_listing() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.state IS DISTINCT FROM OLD.state AND NEW.state IN ('revoked', 'redeemed'))
     OR NEW.owner_account_id IS DISTINCT FROM OLD.owner_account_id
     OR (NEW.owner_wallet IS DISTINCT FROM OLD.owner_wallet AND coalesce((
           SELECT w.direction FROM wallet_movements w WHERE w.entitlement_id = NEW.id AND w.state <> 'failed' ORDER BY w.id DESC LIMIT 1), 'deposit') = 'withdrawal') THEN
    UPDATE rental_listings SET state = 'pulled', closed_at = now() WHERE entitlement_id = NEW.id AND state = 'active';
  END IF;
  RETURN NEW;
END $$;
