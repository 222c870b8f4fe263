// Withdraw a sealed entitlement from custody to a wallet the account linked: the entitlement
// leaves custody at once (owner_wallet set, so its listing is pulled and custodial reveals stop)
// and the chain worker sends the ERC-721 transfer from the custodian. Refused (nothing written):
// not yours or not in custody, not sealed (a revealed token is locked and cannot move), not yet
// issued on-chain or a resale record still waiting to be sent (retryable), wallet not linked.
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { recordAudit } from "../audit.ts";
import { inCustody } from "../resale/custody.ts";
import { lockActiveListing } from "../resale/lockActiveListing.ts";
import { refuseWhileRented } from "../rentals/runningRental.ts";

export async function requestWithdrawal(
  db: Drizzle,
  settings: { custodian: string | undefined; now: Date },
  parameters: { accountId: bigint; entitlementId: bigint; wallet: string },
): Promise<{ withdrawalId: string; entitlementId: string; wallet: string; state: "pending" }> {
  const wallet = parameters.wallet.toLowerCase();
  return db.transaction(async (tx) => {
    const link = await queryOne<{ account_id: bigint }>(tx, sql`SELECT account_id FROM wallet_links WHERE address = ${wallet}`);
    if (!link || BigInt(link.account_id) !== parameters.accountId)
      throw new AppError("forbidden", "Link this wallet to your account (Sign-In With Ethereum) before withdrawing to it.");
    await lockActiveListing(tx, parameters.entitlementId);
    const entitlement = await queryOne<{ state: string; owner_account_id: bigint | null; in_custody: boolean; issued: boolean; transfer_pending: boolean }>(
      tx,
      sql`SELECT e.state, e.owner_account_id, ${inCustody(settings.custodian)} AS in_custody,
                 (e.token_id IS NOT NULL AND e.issue_state IN ('included','confirmed')) AS issued,
                 EXISTS (SELECT 1 FROM custodial_transfers c WHERE c.entitlement_id = e.id AND c.state IN ('pending','submitted')) AS transfer_pending
          FROM entitlements e WHERE e.id = ${parameters.entitlementId} FOR UPDATE`,
    );
    if (!entitlement || entitlement.owner_account_id === null || BigInt(entitlement.owner_account_id) !== parameters.accountId || !entitlement.in_custody) {
      throw new AppError("not_found", `You hold no entitlement ${parameters.entitlementId} in custody.`);
    }
    if (entitlement.state === "sealed") await refuseWhileRented(tx, parameters.entitlementId, settings.now);
    if (entitlement.state !== "sealed")
      throw new AppError(
        "invalid_state",
        `Entitlement ${parameters.entitlementId} is ${entitlement.state}: only sealed entitlements can be withdrawn (a revealed token is locked).`,
      );
    if (!entitlement.issued || entitlement.transfer_pending) {
      throw new AppError("invalid_state", "The token is still being issued or its last resale recorded on-chain; try again in a few seconds.", {
        retryable: true,
      });
    }
    // The movement first: the listing trigger reads it to tell a withdrawal from the indexer's
    // projection of a transfer into custody.
    const movement = await queryOne<{ id: bigint }>(
      tx,
      sql`INSERT INTO wallet_movements (entitlement_id, account_id, direction, wallet) VALUES (${parameters.entitlementId}, ${parameters.accountId}, 'withdrawal', ${wallet}) RETURNING id`,
    );
    await tx.execute(sql`UPDATE entitlements SET owner_wallet = ${wallet} WHERE id = ${parameters.entitlementId}`);
    await recordAudit(tx, {
      accountId: parameters.accountId,
      action: "wallet.withdraw",
      subject: `entitlement:${parameters.entitlementId}`,
      details: { wallet },
    });
    return { withdrawalId: String(movement!.id), entitlementId: String(parameters.entitlementId), wallet, state: "pending" as const };
  });
}
