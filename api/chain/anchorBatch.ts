// Commits a batch's Merkle root on-chain through the registry. Once the transaction is in a
// block the batch is 'included' and its keys are released for sale (batch_release_keys,
// migration 1570: one row of batches, not a write per key), so every key sold was committed
// before its sale. Idempotent: if the root is on-chain already (a crash after the
// transaction was mined), the stored transaction's receipt completes the bookkeeping.
import { toHex, type Hex, type TransactionReceipt } from "viem";
import { AppError } from "../../core/errors.ts";
import { byteaHex } from "../../core/store/byteStrings.ts";
import { queryOne, sql, type Drizzle } from "../../core/store/database.ts";
import type { ChainContext } from "./chainContext.ts";
import { keyRegistryAbi } from "../../core/chain/abis.ts";
import { findReceipt, sendContractTransaction } from "./sendContractTransaction.ts";
import { batchAnchor } from "../../core/store/batchStates.ts";

export type AnchorOutcome = "included" | "already_included" | "not_ready";

export async function anchorBatch(db: Drizzle, chain: ChainContext, batchId: bigint): Promise<AnchorOutcome> {
  const batch = await queryOne<{ shop_id: bigint; root: Buffer | null; key_count: number; anchor_state: string; anchor_tx: string | null }>(
    db,
    sql`SELECT shop_id, root, key_count, anchor_state, anchor_tx FROM batches WHERE id = ${batchId}`,
  );
  if (!batch) throw new AppError("not_found", `No batch ${batchId}.`);
  if (batch.anchor_state === "included" || batch.anchor_state === "confirmed") {
    // The indexer may have recorded the inclusion first: the keys are released all the same
    // (a no-op when they were already).
    await releaseKeys(db, batchId);
    return "already_included";
  }
  if (!batch.root) return "not_ready";
  const root = byteaHex(batch.root);

  if (batch.anchor_tx) {
    const receipt = await findReceipt(chain, batch.anchor_tx as Hex);
    if (receipt?.status === "success") {
      await markIncluded(db, batchId, receipt);
      return "included";
    }
  }
  const onChainRoot = (await chain.publicClient.readContract({
    address: chain.addresses.registry,
    abi: keyRegistryAbi,
    functionName: "rootOf",
    args: [batchId],
  })) as Hex;
  if (onChainRoot !== toHex(new Uint8Array(32))) {
    if (onChainRoot !== root) throw new Error(`Batch ${batchId} is anchored on-chain with another root (${onChainRoot}); refusing to continue.`);
    // Anchored by a transaction whose hash we lost: the indexer confirms it and fills in the
    // transaction; the keys may be sold now because the root is on-chain.
    await db.execute(sql`UPDATE batches SET ${sql.raw(batchAnchor.set("include"))}, anchored_at = coalesce(anchored_at, now()) WHERE id = ${batchId}`);
    await releaseKeys(db, batchId);
    return "included";
  }
  const receipt = await sendContractTransaction(
    chain,
    { address: chain.addresses.registry, abi: keyRegistryAbi, functionName: "anchorBatch", args: [batchId, BigInt(batch.shop_id), root, batch.key_count] },
    async (hash) => {
      await db.execute(
        sql`UPDATE batches SET ${sql.raw(batchAnchor.set("submit"))}, anchor_tx = ${hash}, chain_id = ${chain.chainId}, registry_address = ${chain.addresses.registry}
            WHERE id = ${batchId}`,
      );
    },
  );
  await markIncluded(db, batchId, receipt);
  return "included";
}

async function markIncluded(db: Drizzle, batchId: bigint, receipt: TransactionReceipt): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(
      sql`UPDATE batches SET ${sql.raw(batchAnchor.advance("include"))},
            anchor_tx = ${receipt.transactionHash}, anchor_block = ${receipt.blockNumber}, anchored_at = coalesce(anchored_at, now())
          WHERE id = ${batchId}`,
    );
    await releaseKeys(tx, batchId);
  });
}

async function releaseKeys(db: Drizzle, batchId: bigint): Promise<void> {
  await db.execute(sql`SELECT batch_release_keys(${batchId})`);
}
