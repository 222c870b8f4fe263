// The renter uses what it rented: the code (a shared account credential) is shown to the renter
// for the term, without revealing it in the owner's sense (no redemption: the token stays sealed,
// so the owner may rent it out again or sell it after the term). Only while the term runs on the
// chain's clock and once the chain names the renter as the token's user (setUser included):
// before that, retry (the chain worker is sending it); after the end, the right is gone.
import { AppError } from "../../../core/errors.ts";
import type { MasterKeyRing } from "../../keys/masterKeys.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { readEntitlementCode } from "../resale/readEntitlementCode.ts";
import { recordAudit } from "../audit.ts";

export type RentedEntitlementUse = { entitlementId: string; rentalId: string; code: string; endsAt: string };

export async function useRentedEntitlement(
  db: Drizzle,
  ring: MasterKeyRing,
  settings: { now: Date },
  parameters: { accountId: bigint; entitlementId: bigint },
): Promise<RentedEntitlementUse> {
  const rental = await queryOne<{ id: string; ends_at: Date; chain_state: string | null; entitlement_state: string }>(
    db,
    sql`SELECT r.id, r.ends_at, r.chain_state, e.state AS entitlement_state
        FROM rentals r JOIN entitlements e ON e.id = r.entitlement_id
        WHERE r.entitlement_id = ${parameters.entitlementId} AND r.renter_account_id = ${parameters.accountId} AND r.state = 'settled'
          AND r.starts_at <= ${settings.now} AND r.ends_at > ${settings.now}
        ORDER BY r.ends_at DESC LIMIT 1`,
  );
  if (!rental) throw new AppError("not_found", `You rent no entitlement ${parameters.entitlementId} right now.`);
  if (rental.entitlement_state === "revoked")
    throw new AppError("invalid_state", `Entitlement ${parameters.entitlementId} was revoked; its content is no longer available.`);
  if (rental.chain_state !== "included") {
    throw new AppError("invalid_state", "Your rental is being recorded on-chain; use it in a few seconds.", { retryable: true });
  }
  await recordAudit(db, {
    accountId: parameters.accountId,
    action: "rental.use",
    subject: `entitlement:${parameters.entitlementId}`,
    details: { rentalId: rental.id },
  });
  return {
    entitlementId: String(parameters.entitlementId),
    rentalId: rental.id,
    code: await readEntitlementCode(db, ring, parameters.entitlementId),
    endsAt: new Date(rental.ends_at).toISOString(),
  };
}
