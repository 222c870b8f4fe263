// The current owner of an entitlement in custody reveals its code (redemption: recorded
// on-chain by the chain worker, which locks the token). Only the current owner: a seller, or
// any earlier owner, gets not_found. Asking again shows the code again to the same owner.
// While the on-chain record of the owner's purchase is still waiting to be sent, the reveal
// is refused (retryable): the contract refuses a resale record for a locked token, so the
// transfer must be on-chain before the redemption that locks it.
import { AppError } from "../../../core/errors.ts";
import type { MasterKeyRing } from "../../keys/masterKeys.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { inCustody } from "./custody.ts";
import { lockActiveListing } from "./lockActiveListing.ts";
import { readEntitlementCode } from "./readEntitlementCode.ts";
import { refuseWhileRented } from "../rentals/runningRental.ts";
import { revealAssignments } from "../../../core/store/entitlementStates.ts";

export type RevealedEntitlement = { entitlementId: string; state: "redeemed"; code: string; tokenId: string | null };

export async function revealOwnedEntitlement(
  db: Drizzle,
  ring: MasterKeyRing,
  settings: { custodian: string | undefined; now: Date },
  parameters: { accountId: bigint; entitlementId: bigint },
): Promise<RevealedEntitlement> {
  const tokenId = await db.transaction(async (tx) => {
    await lockActiveListing(tx, parameters.entitlementId);
    const entitlement = await queryOne<{
      state: string;
      owner_account_id: bigint | null;
      in_custody: boolean;
      token_id: string | null;
      transfer_pending: boolean;
    }>(
      tx,
      sql`SELECT e.state, e.owner_account_id, ${inCustody(settings.custodian)} AS in_custody, e.token_id::text AS token_id,
                 EXISTS (SELECT 1 FROM custodial_transfers c WHERE c.entitlement_id = e.id AND c.state IN ('pending','submitted')) AS transfer_pending
          FROM entitlements e WHERE e.id = ${parameters.entitlementId} FOR UPDATE`,
    );
    if (!entitlement || entitlement.owner_account_id === null || BigInt(entitlement.owner_account_id) !== parameters.accountId || !entitlement.in_custody) {
      throw new AppError(
        "not_found",
        `You hold no entitlement ${parameters.entitlementId} in custody (a token in your wallet is revealed with a wallet signature).`,
      );
    }
    if (entitlement.state === "revoked")
      throw new AppError("invalid_state", `Entitlement ${parameters.entitlementId} was revoked; its code is no longer available.`);
    if (entitlement.state === "sealed") {
      // A rented entitlement is the renter's to use until the term ends: the owner's reveal waits.
      await refuseWhileRented(tx, parameters.entitlementId, settings.now);
      if (entitlement.transfer_pending) {
        throw new AppError("invalid_state", "Your purchase is being recorded on-chain; reveal in a few seconds.", { retryable: true });
      }
      await tx.execute(sql`UPDATE entitlements SET ${sql.raw(revealAssignments)} WHERE id = ${parameters.entitlementId}`);
    }
    return entitlement.token_id;
  });
  return { entitlementId: String(parameters.entitlementId), state: "redeemed", code: await readEntitlementCode(db, ring, parameters.entitlementId), tokenId };
}
