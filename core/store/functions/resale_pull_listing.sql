-- resale_pull_listing: its current definition (last written by migration 0501_resale_pull_listing.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
-- The listing trigger of 0500, refined: a change of owner_wallet pulls a listing only when the
-- entitlement really left custody (its latest movement is a withdrawal). The indexer projects
-- every final Transfer into owner_wallet, including the mint to the custodian (recorded as the
-- custodian's address when CUSTODIAN_ADDRESS is unset), which must not pull a listing.
CREATE OR REPLACE FUNCTION resale_pull_listing() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  reason text;
BEGIN
  IF NEW.state IS DISTINCT FROM OLD.state AND NEW.state = 'revoked' THEN
    reason := 'revoked';
  ELSIF NEW.state IS DISTINCT FROM OLD.state AND NEW.state = 'redeemed' THEN
    reason := 'revealed';
  ELSIF NEW.owner_account_id IS DISTINCT FROM OLD.owner_account_id THEN
    reason := 'owner_changed';
  ELSIF NEW.owner_wallet IS DISTINCT FROM OLD.owner_wallet AND coalesce((
      SELECT w.direction FROM wallet_movements w WHERE w.entitlement_id = NEW.id AND w.state <> 'failed' ORDER BY w.id DESC LIMIT 1), 'deposit') = 'withdrawal' THEN
    reason := 'left_custody';
  END IF;
  IF reason IS NOT NULL THEN
    UPDATE resale_listings SET state = 'pulled', closed_at = now(), closed_reason = reason
    WHERE entitlement_id = NEW.id AND state = 'active';
  END IF;
  RETURN NEW;
END $$;
