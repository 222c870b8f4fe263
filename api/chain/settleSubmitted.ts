// Crash recovery shared by the chain writers that keep one row per queued item with a state
// and the hash of the transaction that carries it (redemptions, resale records, royalties,
// withdrawals, revocations), and the test for "the contract refused" as opposed to an RPC
// fault. (Issuance settles through recordIssuance: its receipt also assigns token ids.)
import { BaseError, ContractFunctionRevertedError, type Hex } from "viem";
import { queryRows, sql, type Drizzle } from "../../core/store/database.ts";
import type { ChainContext } from "./chainContext.ts";
import { submittedOutcome } from "./sendContractTransaction.ts";
import { entitlementRedemption } from "../../core/store/entitlementStates.ts";

/** True when a call failed because the contract reverted (not an RPC or network fault). */
export function isContractRevert(error: unknown): boolean {
  return error instanceof BaseError && error.walk((cause) => cause instanceof ContractFunctionRevertedError) !== null;
}

/**
 * Rows left 'submitted' by a crash: included if their transaction succeeded, back to pending if
 * it reverted or the chain never saw it; left alone while it is still in the mempool.
 */
export async function settleSubmitted(db: Drizzle, chain: ChainContext, queue: keyof typeof submittedQueues): Promise<void> {
  const { table, state, tx, stampsIncludedAt, moves } = submittedQueues[queue];
  const [from, stateColumn, txColumn] = [sql.raw(table), sql.raw(state), sql.raw(tx)];
  const stuck = await queryRows<{ hash: Hex }>(
    db,
    sql`SELECT DISTINCT ${txColumn} AS hash FROM ${from} WHERE ${stateColumn} = 'submitted' AND ${txColumn} IS NOT NULL LIMIT 20`,
  );
  for (const { hash } of stuck) {
    const { outcome } = await submittedOutcome(chain, hash);
    if (outcome === "pending") continue;
    const included = outcome === "included";
    const stamp = stampsIncludedAt && included ? sql`, included_at = now()` : sql``;
    await db.execute(
      sql`UPDATE ${from} SET ${sql.raw(included ? moves.include : moves.requeue)}, ${txColumn} = ${included ? hash : null} ${stamp}
          WHERE ${txColumn} = ${hash} AND ${sql.raw(moves.submitted)}`,
    );
  }
}

type SettleMoves = { submitted: string; include: string; requeue: string };

/** The moves of a queue whose state column has no machine of its own in core/store. */
function plainMoves(column: string): SettleMoves {
  return { submitted: `${column} = 'submitted'`, include: `${column} = 'included'`, requeue: `${column} = 'pending'` };
}

/** Where each queue keeps its items' state and transaction hash, and how settling moves them. */
const submittedQueues = {
  redemptions: {
    table: "entitlements",
    state: "redeem_state",
    tx: "redeem_tx",
    stampsIncludedAt: false,
    moves: {
      submitted: entitlementRedemption.from("include", undefined, ["submitted"]),
      include: entitlementRedemption.set("include"),
      requeue: entitlementRedemption.set("requeue"),
    },
  },
  custodial_transfers: { table: "custodial_transfers", state: "state", tx: "tx_hash", stampsIncludedAt: true, moves: plainMoves("state") },
  batch_royalties: { table: "batch_royalties", state: "state", tx: "tx_hash", stampsIncludedAt: false, moves: plainMoves("state") },
  wallet_movements: { table: "wallet_movements", state: "state", tx: "tx_hash", stampsIncludedAt: true, moves: plainMoves("state") },
  entitlement_revocations: { table: "entitlement_revocations", state: "state", tx: "tx_hash", stampsIncludedAt: true, moves: plainMoves("state") },
  rental_enables: {
    table: "entitlements",
    state: "rental_chain_state",
    tx: "rental_chain_tx",
    stampsIncludedAt: false,
    moves: plainMoves("rental_chain_state"),
  },
  rental_users: { table: "rentals", state: "chain_state", tx: "tx_hash", stampsIncludedAt: false, moves: plainMoves("chain_state") },
  subscription_periods: { table: "subscription_periods", state: "chain_state", tx: "chain_tx", stampsIncludedAt: false, moves: plainMoves("chain_state") },
  subscription_pulls: { table: "subscription_pulls", state: "state", tx: "tx_hash", stampsIncludedAt: false, moves: plainMoves("state") },
} as const satisfies Record<string, { table: string; state: string; tx: string; stampsIncludedAt: boolean; moves: SettleMoves }>;
