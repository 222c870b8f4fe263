// Issues entitlement tokens for sold keys, many per transaction: the oldest pending
// entitlements of one anchored batch (the contract proves them with one multiproof), up to
// ISSUE_BATCH_SIZE_MAX. The transaction hash is stored before broadcast; rows left
// 'submitted' by a crash are settled from their receipt, or put back to 'pending' if the
// chain never saw the transaction. Token ids come from the EntitlementsIssued event.
import { decodeEventLog, type Hex, type TransactionReceipt } from "viem";
import { unpackLeafIndexes } from "../../core/keys/leaf.ts";
import { queryRows, sql, type Drizzle } from "../../core/store/database.ts";
import { loadBatchTree, type BatchTreeCache } from "../keys/batchTree.ts";
import type { ChainContext } from "./chainContext.ts";
import { entitlementTokenAbi } from "../../core/chain/abis.ts";
import { buildIssueCall, issueArgs } from "./issuanceCall.ts";
import { sendContractTransaction, submittedOutcome } from "./sendContractTransaction.ts";
import { integerArrayLiteral } from "../../core/store/sqlArrays.ts";
import { entitlementIssuance } from "../../core/store/entitlementStates.ts";

/** batchId: the batch issued from (when issued > 0). */
export type IssueResult = { issued: number; settled: number; batchId?: bigint };

export type IssueOptions = {
  batchSizeMax: number;
  treeCache?: BatchTreeCache;
  /** Batches not to issue from this time (a sweep's batches already drained once). */
  skipBatchIds?: readonly bigint[];
};

export async function issuePending(db: Drizzle, chain: ChainContext, options: IssueOptions): Promise<IssueResult> {
  const settled = await settleSubmittedIssuances(db, chain);
  const skipped = integerArrayLiteral((options.skipBatchIds ?? []).map(String));
  const rows = await queryRows<{ id: bigint; batch_id: bigint; leaf_index: number }>(
    db,
    sql`WITH next_batch AS (
          SELECT e.batch_id FROM entitlements e JOIN batches b ON b.id = e.batch_id
          WHERE e.issue_state = 'pending' AND b.anchor_state IN ('included', 'confirmed')
            AND e.batch_id <> ALL(${skipped}::bigint[])
          ORDER BY e.id LIMIT 1
        )
        SELECT e.id, e.batch_id, k.leaf_index FROM entitlements e JOIN keys k ON k.id = e.key_id
        WHERE e.issue_state = 'pending' AND e.batch_id = (SELECT batch_id FROM next_batch)
        ORDER BY k.leaf_index LIMIT ${options.batchSizeMax}`,
  );
  if (rows.length === 0) return { issued: 0, settled };
  const batchId = BigInt(rows[0]!.batch_id);
  const custodian = chain.custodian;
  if (!custodian) throw new Error("No custodian address: set CUSTODIAN_ADDRESS or CHAIN_OPERATOR_KEY.");
  const tree = await loadBatchTree(db, batchId, options.treeCache);
  const call = buildIssueCall(
    tree,
    rows.map((row) => row.leaf_index),
  );
  const ids = rows.map((row) => String(row.id));
  const receipt = await sendContractTransaction(
    chain,
    {
      address: chain.addresses.entitlement,
      abi: entitlementTokenAbi,
      functionName: "issue",
      args: issueArgs(call, custodian),
    },
    async (hash) => {
      await db.execute(
        sql`UPDATE entitlements SET ${sql.raw(entitlementIssuance.set("submit"))}, issue_tx = ${hash} WHERE id = ANY(${integerArrayLiteral(ids)}::bigint[])`,
      );
    },
  );
  await recordIssuance(db, batchId, receipt);
  return { issued: rows.length, settled, batchId };
}

/**
 * Writes token ids from the receipt's EntitlementsIssued event onto the entitlements. The event
 * itself says which leaf each token belongs to (token firstTokenId + i is leafIndexes[i]), so
 * the same code serves a fresh receipt and one found after a crash.
 */
function decodeTokenLog(log: TransactionReceipt["logs"][number]) {
  return decodeEventLog({ abi: entitlementTokenAbi, data: log.data, topics: log.topics });
}

export async function recordIssuance(db: Drizzle, batchId: bigint, receipt: TransactionReceipt): Promise<void> {
  for (const log of receipt.logs) {
    let event: ReturnType<typeof decodeTokenLog>;
    try {
      event = decodeTokenLog(log);
    } catch {
      continue;
    }
    if (event.eventName !== "EntitlementsIssued") continue;
    const { firstTokenId, count, leafIndexes: packed } = event.args as unknown as { firstTokenId: bigint; count: bigint; leafIndexes: Hex };
    const leafIndexes = unpackLeafIndexes(packed);
    if (BigInt(leafIndexes.length) !== count) throw new Error(`Issuance ${receipt.transactionHash} minted ${count} tokens for ${leafIndexes.length} leaves.`);
    const tokenIds = leafIndexes.map((_, index) => String(firstTokenId + BigInt(index)));
    await db.execute(
      sql`UPDATE entitlements e SET token_id = m.token_id, ${sql.raw(entitlementIssuance.advance("include", "e"))},
            issue_tx = ${receipt.transactionHash}, issue_block = ${receipt.blockNumber}, issued_at = coalesce(e.issued_at, now())
          FROM (SELECT unnest(${integerArrayLiteral(leafIndexes)}::int[]) AS leaf_index, unnest(${integerArrayLiteral(tokenIds)}::numeric[]) AS token_id) m, keys k
          WHERE k.batch_id = ${batchId} AND k.leaf_index = m.leaf_index AND e.key_id = k.id`,
    );
    return;
  }
  throw new Error(`Issuance ${receipt.transactionHash} emitted no EntitlementsIssued event.`);
}

async function settleSubmittedIssuances(db: Drizzle, chain: ChainContext): Promise<number> {
  const stuck = await queryRows<{ issue_tx: Hex; batch_id: bigint }>(
    db,
    sql`SELECT DISTINCT issue_tx, batch_id FROM entitlements WHERE issue_state = 'submitted' AND issue_tx IS NOT NULL LIMIT 20`,
  );
  for (const group of stuck) {
    const { outcome, receipt } = await submittedOutcome(chain, group.issue_tx);
    if (outcome === "included") await recordIssuance(db, BigInt(group.batch_id), receipt!);
    else if (outcome === "failed") {
      await db.execute(sql`UPDATE entitlements SET ${sql.raw(entitlementIssuance.set("requeue"))}, issue_tx = NULL
            WHERE issue_tx = ${group.issue_tx} AND ${sql.raw(entitlementIssuance.from("requeue", undefined, ["submitted"]))}`);
    }
  }
  return stuck.length;
}
