// Consequences of chain facts in the platform's own tables (0100_core.sql). Three moments:
// - tentative (a block was indexed, not yet final): an anchored batch or issued entitlement
//   becomes 'included' with its transaction, so the shop sees it at once;
// - final (the block is at least the finality depth deep): 'confirmed', token ids, redemption,
//   revocation and owner wallets; only final facts drive state that others rely on;
// - reverted (a reorg orphaned blocks above the common ancestor): every batch or entitlement
//   whose inclusion was in an orphaned block goes back to 'pending', so the chain writer sends
//   it again.
// Every statement is set-based over a block range and idempotent: running it twice changes
// nothing, which is what lets a crashed indexer repeat the last range safely.
import type { SqlSession } from "../store/session.ts";
import { sql } from "../store/sql.ts";
// Each state move is one of the named transitions of core/store (docs/states.md).
import { batchAnchor } from "../../core/store/batchStates.ts";
import { entitlementIssuance, entitlementLifecycle, entitlementRedemption } from "../../core/store/entitlementStates.ts";

export type PlatformParameters = {
  chainId: number;
  /** Lowercase address holding custodial tokens: a transfer to it clears owner_wallet. */
  custodianAddress?: string;
  registryAddress?: string;
};

export async function applyTentative(session: SqlSession, parameters: PlatformParameters, fromBlock: bigint, toBlock: bigint): Promise<void> {
  // The root must match: a batch whose on-chain root differs is left for reconciliation to
  // report as a mismatch, never marked as anchored.
  await session.query(
    sql`UPDATE batches b SET ${sql.raw(batchAnchor.set("include"))}, anchor_tx = a.transaction_hash, anchor_block = a.block_number
     FROM chain_batch_anchors a
     WHERE a.chain_id = ${parameters.chainId} AND a.block_number BETWEEN ${fromBlock} AND ${toBlock} AND b.id = a.batch_id
       AND ${sql.raw(batchAnchor.from("include", "b"))} AND b.root = decode(substr(a.root, 3), 'hex')`,
  );
  await session.query(
    sql`UPDATE entitlements e SET ${sql.raw(entitlementIssuance.set("include"))}, token_id = t.token_id, issue_tx = t.transaction_hash, issue_block = t.block_number
     FROM chain_tokens t JOIN keys k ON k.batch_id = t.key_batch_id AND k.leaf_index = t.leaf_index
     WHERE t.chain_id = ${parameters.chainId} AND t.block_number BETWEEN ${fromBlock} AND ${toBlock} AND e.key_id = k.id
       AND ${sql.raw(entitlementIssuance.from("include", "e"))}`,
  );
}

export async function applyFinal(session: SqlSession, parameters: PlatformParameters, fromBlock: bigint, toBlock: bigint): Promise<void> {
  await session.query(
    sql`UPDATE batches b SET ${sql.raw(batchAnchor.set("confirm"))}, anchor_tx = a.transaction_hash, anchor_block = a.block_number,
       anchored_at = coalesce(b.anchored_at, to_timestamp(bl.timestamp)), chain_id = ${parameters.chainId},
       registry_address = coalesce(b.registry_address, ${parameters.registryAddress ?? null})
     FROM chain_batch_anchors a LEFT JOIN chain_blocks bl ON bl.chain_id = a.chain_id AND bl.number = a.block_number
     WHERE a.chain_id = ${parameters.chainId} AND a.block_number BETWEEN ${fromBlock} AND ${toBlock} AND b.id = a.batch_id
       AND ${sql.raw(batchAnchor.from("confirm", "b"))} AND b.root = decode(substr(a.root, 3), 'hex')`,
  );
  await session.query(
    sql`UPDATE entitlements e SET ${sql.raw(entitlementIssuance.set("confirm"))}, token_id = t.token_id, issue_tx = t.transaction_hash,
       issue_block = t.block_number, issued_at = coalesce(e.issued_at, to_timestamp(bl.timestamp))
     FROM chain_tokens t JOIN keys k ON k.batch_id = t.key_batch_id AND k.leaf_index = t.leaf_index
       LEFT JOIN chain_blocks bl ON bl.chain_id = t.chain_id AND bl.number = t.block_number
     WHERE t.chain_id = ${parameters.chainId} AND t.block_number BETWEEN ${fromBlock} AND ${toBlock} AND e.key_id = k.id AND ${sql.raw(entitlementIssuance.from("confirm", "e"))}`,
  );
  // Locked (the code was revealed) confirms the redemption the API recorded, or records one
  // the API never saw; a revocation revokes a sealed token. ERC-5192 makes a revocation emit
  // Locked too (docs/contracts.md), in the same transaction: a token with both in the range is
  // revoked, never redeemed, so the revocation is picked first. Locked moves a sealed
  // entitlement by reveal (or keeps it redeemed) and its redemption by confirm; a revocation
  // moves a sealed one by revoke.
  await session.query(
    sql`UPDATE entitlements e SET state = CASE WHEN s.kind = 'locked' THEN ${sql.raw(entitlementLifecycle.target("reveal"))} ELSE ${sql.raw(entitlementLifecycle.target("revoke"))} END,
       redeem_state = CASE WHEN s.kind = 'locked' THEN ${sql.raw(entitlementRedemption.target("confirm"))} ELSE e.redeem_state END,
       redeem_tx = CASE WHEN s.kind = 'locked' THEN s.transaction_hash ELSE e.redeem_tx END,
       revealed_at = CASE WHEN s.kind = 'locked' THEN coalesce(e.revealed_at, to_timestamp(bl.timestamp)) ELSE e.revealed_at END
     FROM (SELECT DISTINCT ON (token_id) token_id, kind, block_number, transaction_hash
           FROM chain_token_states WHERE chain_id = ${parameters.chainId} AND block_number BETWEEN ${fromBlock} AND ${toBlock}
           ORDER BY token_id, (kind = 'revoked') DESC, block_number, log_index) s
       LEFT JOIN chain_blocks bl ON bl.chain_id = ${parameters.chainId} AND bl.number = s.block_number
     WHERE e.token_id = s.token_id
       AND (${sql.raw(entitlementLifecycle.from("reveal", "e"))}
            OR (s.kind = 'locked' AND e.state = ${sql.raw(entitlementLifecycle.target("reveal"))} AND ${sql.raw(entitlementRedemption.from("confirm", "e"))}))`,
  );
  // Owner wallets follow the latest final transfer of each token; a transfer into custody
  // clears the wallet (the custodial account is the owner then).
  await session.query(
    sql`UPDATE entitlements e SET owner_wallet = CASE WHEN last.to_address = ${parameters.custodianAddress ?? ""} THEN NULL ELSE last.to_address END
     FROM (SELECT DISTINCT ON (token_id) token_id, to_address FROM chain_transfers
           WHERE chain_id = ${parameters.chainId} AND block_number BETWEEN ${fromBlock} AND ${toBlock}
           ORDER BY token_id, block_number DESC, log_index DESC) last
     WHERE e.token_id = last.token_id AND e.owner_wallet IS DISTINCT FROM (CASE WHEN last.to_address = ${parameters.custodianAddress ?? ""} THEN NULL ELSE last.to_address END)`,
  );
  // An inclusion the chain writer saw whose block is now final but holds no such event was
  // orphaned before the indexer ever saw it: send it again.
  await session.query(
    sql`UPDATE batches b SET ${sql.raw(batchAnchor.set("requeue"))}, anchor_tx = NULL, anchor_block = NULL
     WHERE ${sql.raw(batchAnchor.from("requeue", "b", ["included"]))} AND b.anchor_block <= ${toBlock}
       AND NOT EXISTS (SELECT 1 FROM chain_batch_anchors a WHERE a.chain_id = ${parameters.chainId} AND a.batch_id = b.id)`,
  );
  await session.query(
    sql`UPDATE entitlements e SET ${sql.raw(entitlementIssuance.set("requeue"))}, token_id = NULL, issue_tx = NULL, issue_block = NULL
     WHERE ${sql.raw(entitlementIssuance.from("requeue", "e", ["included"]))} AND e.issue_block <= ${toBlock}
       AND NOT EXISTS (SELECT 1 FROM chain_token(${parameters.chainId}, e.token_id) t WHERE t.block_number = e.issue_block)`,
  );
}

export async function revertTentative(
  session: SqlSession,
  _parameters: PlatformParameters,
  ancestor: bigint,
): Promise<{ batches: number; entitlements: number }> {
  const batches = await session.query(
    sql`UPDATE batches SET ${sql.raw(batchAnchor.set("requeue"))}, anchor_tx = NULL, anchor_block = NULL
     WHERE ${sql.raw(batchAnchor.from("requeue"))} AND anchor_block > ${ancestor} RETURNING id`,
  );
  const entitlements = await session.query(
    sql`UPDATE entitlements SET ${sql.raw(entitlementIssuance.set("requeue"))}, token_id = NULL, issue_tx = NULL, issue_block = NULL
     WHERE ${sql.raw(entitlementIssuance.from("requeue"))} AND issue_block > ${ancestor} RETURNING id`,
  );
  return { batches: batches.rows.length, entitlements: entitlements.rows.length };
}
