// Crash recovery shared by the chain writers that keep one row per queued item with a state
// and the hash of the transaction that carries it (resale records, royalties, withdrawals,
// revocations), and the test for "the contract refused" as opposed to an RPC fault.
import { BaseError, ContractFunctionRevertedError, type Hex } from "viem";
import { queryRows, sql, type Drizzle } from "../store/database.ts";
import type { ChainContext } from "./chainContext.ts";
import { submittedOutcome } from "./sendContractTransaction.ts";

/** True when a call failed because the contract reverted (not an RPC or network fault). */
export function isContractRevert(error: unknown): boolean {
  return error instanceof BaseError && error.walk((cause) => cause instanceof ContractFunctionRevertedError) !== null;
}

/**
 * Rows left 'submitted' by a crash: included if their transaction succeeded, back to pending if
 * it reverted or the chain never saw it; left alone while it is still in the mempool.
 */
export async function settleSubmitted(db: Drizzle, chain: ChainContext, table: "custodial_transfers" | "batch_royalties" | "wallet_movements" | "entitlement_revocations"): Promise<void> {
  const stuck = await queryRows<{ tx_hash: Hex }>(db, sql`SELECT DISTINCT tx_hash FROM ${sql.raw(table)} WHERE state = 'submitted' AND tx_hash IS NOT NULL LIMIT 20`);
  for (const { tx_hash: hash } of stuck) {
    const { outcome } = await submittedOutcome(chain, hash);
    if (outcome === "pending") continue;
    const included = outcome === "included";
    const stamp = table === "batch_royalties" ? sql`` : included ? sql`, included_at = now()` : sql``;
    await db.execute(
      sql`UPDATE ${sql.raw(table)} SET state = ${included ? "included" : "pending"}, tx_hash = ${included ? hash : null} ${stamp}
          WHERE tx_hash = ${hash} AND state = 'submitted'`,
    );
  }
}
