// A merchant (of the entitlement's shop) or an admin revokes an entitlement with a reason
// (chargeback, fraud). In one transaction: the entitlement becomes revoked (the trigger pulls
// its listing), a redemption not yet sent is dropped (the contract would refuse to redeem a
// revoked token; revoke locks it anyway), the revocation is queued for the chain worker
// (revoke(ids, keccak256(reason))), the proceeds of the latest resale still inside the
// chargeback window go back to its buyer (chargebackResale voids the hold, so the seller never
// receives them), and the action is audit-logged.
import { keccak256, toBytes } from "viem";
import { AppError } from "../../../core/errors.ts";
import type { AuthenticatedAccount } from "../accounts/sessions.ts";
import { chargebackResale } from "../../ledger/flows.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { recordAudit } from "../audit.ts";
import { lockActiveListing } from "./lockActiveListing.ts";
import { revokeAssignments } from "../../../core/store/entitlementStates.ts";

export type RevocationResult = { entitlementId: string; state: "revoked"; listingPulled: boolean; heldProceedsReturned: boolean };

export async function revokeEntitlement(
  db: Drizzle,
  actor: AuthenticatedAccount,
  parameters: { entitlementId: bigint; reason: string },
): Promise<RevocationResult> {
  return db.transaction(async (tx) => {
    const activeListing = await lockActiveListing(tx, parameters.entitlementId);
    const entitlement = await queryOne<{ state: string; shop_owner: bigint }>(
      tx,
      sql`SELECT e.state, s.owner_account_id AS shop_owner FROM entitlements e JOIN shops s ON s.id = e.shop_id
          WHERE e.id = ${parameters.entitlementId} FOR UPDATE OF e`,
    );
    const allowed = entitlement && (actor.roles.includes("admin") || (actor.roles.includes("merchant") && BigInt(entitlement.shop_owner) === actor.id));
    if (!allowed) throw new AppError("not_found", `No entitlement ${parameters.entitlementId} of your shop.`);
    if (entitlement.state === "revoked") throw new AppError("invalid_state", `Entitlement ${parameters.entitlementId} is already revoked.`);
    const { reasonHash, heldSale } = await revokeLockedEntitlement(tx, actor.id, parameters);
    await recordAudit(tx, {
      accountId: actor.id,
      action: "entitlement.revoke",
      subject: `entitlement:${parameters.entitlementId}`,
      details: { reasonHash, listingPulled: activeListing !== undefined, chargebackListingId: heldSale?.listing_id ?? null },
    });
    return {
      entitlementId: String(parameters.entitlementId),
      state: "revoked" as const,
      listingPulled: activeListing !== undefined,
      heldProceedsReturned: heldSale !== undefined,
    };
  });
}

/**
 * The revocation itself, inside the caller's transaction, for an entitlement the caller has
 * locked and checked (not revoked, and the actor may revoke it): also used by a dispute's
 * replacement (api/services/disputes/decideDispute.ts), which audits it in its own terms.
 */
export async function revokeLockedEntitlement(
  tx: Drizzle,
  actorId: bigint,
  parameters: { entitlementId: bigint; reason: string },
): Promise<{ reasonHash: string; heldSale: { listing_id: string } | undefined }> {
  await tx.execute(sql`UPDATE entitlements SET ${sql.raw(revokeAssignments)} WHERE id = ${parameters.entitlementId}`);
  // Queued resale records can no longer be sent: the contract refuses revoked tokens.
  await tx.execute(sql`UPDATE custodial_transfers SET state = 'skipped' WHERE entitlement_id = ${parameters.entitlementId} AND state = 'pending'`);
  // A withdrawal not yet sent never happens: the token stays with the custodian.
  const cancelled = await queryOne<{ id: bigint }>(
    tx,
    sql`UPDATE wallet_movements SET state = 'failed' WHERE entitlement_id = ${parameters.entitlementId} AND state = 'pending' AND direction = 'withdrawal' RETURNING id`,
  );
  if (cancelled) await tx.execute(sql`UPDATE entitlements SET owner_wallet = NULL WHERE id = ${parameters.entitlementId}`);
  const reasonHash = keccak256(toBytes(parameters.reason));
  await tx.execute(
    sql`INSERT INTO entitlement_revocations (entitlement_id, actor_account_id, reason, reason_hash)
        VALUES (${parameters.entitlementId}, ${actorId}, ${parameters.reason}, ${Buffer.from(reasonHash.slice(2), "hex")})`,
  );
  const heldSale = await queryOne<{ listing_id: string }>(
    tx,
    sql`SELECT h.reference_id AS listing_id FROM ledger_holds h JOIN resale_listings l ON h.reference_type = 'resale' AND h.reference_id = l.id::text
        WHERE l.entitlement_id = ${parameters.entitlementId} AND l.state = 'sold' AND h.state = 'pending' AND h.expires_at > now()
        ORDER BY l.id DESC LIMIT 1`,
  );
  if (heldSale) await chargebackResale(tx, { listingId: heldSale.listing_id });
  return { reasonHash, heldSale };
}
