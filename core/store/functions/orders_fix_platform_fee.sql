-- orders_fix_platform_fee: its current definition (last written by migration 1400_saas.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
-- A new order's fee rate is its shop's plan's (NULL: the platform's PLATFORM_FEE_BPS), fixed at
-- creation so a plan change applies from the next sale (docs/saas.md, "Plans and fees").
CREATE OR REPLACE FUNCTION orders_fix_platform_fee() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.platform_fee_bps IS NULL THEN
    SELECT p.fee_bps INTO NEW.platform_fee_bps FROM shops s JOIN plans p ON p.code = s.plan_code WHERE s.id = NEW.shop_id;
  END IF;
  RETURN NEW;
END $$;
