// Reconciliation of issuances: every confirmed entitlement against its token on-chain (batch and
// leaf), and its sold key checked cryptographically: the leaf recomputed from the key row's
// values must be the stored leaf, and the stored proof (the key's own, or since migration 0220
// the path read from its batch's stored tree) must take it to the root anchored on-chain.
//
// A page of sold keys at a time (walk.ts), each checked on its own: one keccak for the leaf and
// one per level of its proof (about 19 at 100,000 keys a batch; keccak is JavaScript here).
// Checking a whole batch against its rebuilt tree cost fewer hashes per key, but only when a run
// checks the whole batch at once, which is what froze the process: a run now checks the keys
// sold since the previous run and one slice of the history (reconcile.ts), and the tree of a
// 100,000-key batch would be rebuilt for a few hundred of its keys.
import { setImmediate as nextTurnOfEventLoop } from "node:timers/promises";
import { toHex, type Hex } from "viem";
import { leafHashBytes, proofRoot } from "../../core/keys/batchMerkle.ts";
import type { SqlSession } from "../store/session.ts";
import { sql } from "../store/sql.ts";
import type { Finding } from "./reconcile.ts";
import { walkIds, type IdSelection } from "./walk.ts";

/**
 * Sold keys checked per page: bounds memory (each row carries its proof) and the time the event
 * loop waits for one page's hashing: about 20 keccaks a key, 3 µs each on a quiet core here and
 * up to 24 µs on this 2-core machine shared by eight engineers (load average 18), so 5 to 25 ms
 * a page. Pages of 200 blocked for 85-105 ms of CPU at that load.
 */
export const issuedPageSize = 50;
const hashedRowsPerTurn = 5;

type IssuedRow = {
  id: bigint;
  token_id: string;
  key_id: bigint;
  batch_id: bigint;
  shop_id: bigint;
  leaf_index: number;
  commitment: Buffer;
  leaf_hash: Buffer;
  proof_text: string | null;
  chain_root: string | null;
  chain_batch: string | null;
  chain_leaf: string | null;
};

export type CheckIssuedKeysParameters = { chainId: number; registryAddress: Hex; finalized: bigint };

/** Checks the confirmed entitlements `selection` names (every one by default); returns how many. */
export async function checkIssuedKeys(
  session: SqlSession,
  parameters: CheckIssuedKeysParameters,
  add: (finding: Finding) => void,
  pageSize = issuedPageSize,
  selection?: IdSelection,
): Promise<number> {
  const { chainId, finalized } = parameters;
  return walkIds(selection ?? (await everyEntitlement(session)), sql`e.id`, pageSize, async (where, limit) => {
    // The key row's own batch id (not the entitlement's copy), so a key row moved to another
    // batch is checked against that batch and found.
    const { rows } = await session.query<IssuedRow>(
      // The proof comes as text (`\xhex,\xhex`, PostgreSQL's bytea output): a bytea[] is parsed
      // node by node in JavaScript on this thread, several times slower. A key imported since
      // migration 0220 has no proof of its own: key_proof reads it from its batch's stored tree.
      sql`SELECT e.id, e.token_id::text, e.key_id, k.batch_id, k.shop_id, k.leaf_index, k.commitment, k.leaf_hash, array_to_string(coalesce(k.proof, key_proof(k.batch_id, k.leaf_index)), ',') AS proof_text,
              a.root AS chain_root, t.batch_id::text AS chain_batch, t.leaf_index::text AS chain_leaf
       FROM entitlements e JOIN keys k ON k.id = e.key_id
         LEFT JOIN LATERAL chain_token(${chainId}, e.token_id) t ON t.block_number <= ${finalized}
         LEFT JOIN LATERAL (SELECT a.root FROM chain_batch_anchors a
                            WHERE a.chain_id = ${chainId} AND a.batch_id = k.batch_id AND a.block_number <= ${finalized}
                            ORDER BY a.block_number, a.log_index LIMIT 1) a ON true
       WHERE e.issue_state = 'confirmed' AND ${where}
       ORDER BY e.id LIMIT ${limit}`,
    );
    // The statement and the hashing are separate turns of the event loop (PGlite runs the
    // statement on this thread), and so is each tenth of the page's hashing: a page is about
    // 1,000 keccaks, and the first pages of a run also pay for compiling the hashing code (a
    // 105 ms turn seen on a loaded machine with the page hashed in one go).
    for (let start = 0; start < rows.length; start += hashedRowsPerTurn) {
      await nextTurnOfEventLoop();
      for (const row of rows.slice(start, start + hashedRowsPerTurn)) checkRow(row, parameters, add);
    }
    return { count: rows.length };
  });
}

/** Every entitlement: ids up to the highest (walkIds goes through windows of ids, so it needs an end). */
async function everyEntitlement(session: SqlSession): Promise<IdSelection> {
  const { rows } = await session.query<{ newest: string }>(sql`SELECT coalesce(max(id), 0)::text AS newest FROM entitlements`);
  return { afterId: 0n, upToId: BigInt(rows[0]!.newest) };
}

function checkRow(row: IssuedRow, parameters: { chainId: number; registryAddress: Hex }, add: (finding: Finding) => void): void {
  const id = String(row.id);
  const batchId = BigInt(row.batch_id);
  if (row.chain_batch === null) {
    add({ kind: "missing_on_chain", subject: "issuance", subjectId: id, details: { tokenId: row.token_id } });
    return;
  }
  if (row.chain_batch !== String(batchId) || row.chain_leaf !== String(row.leaf_index)) {
    add({
      kind: "mismatch",
      subject: "issuance",
      subjectId: id,
      details: {
        tokenId: row.token_id,
        database: { batchId: String(batchId), leafIndex: row.leaf_index },
        chain: { batchId: row.chain_batch, leafIndex: row.chain_leaf },
      },
    });
  }
  const recomputed = leafHashBytes({
    chainId: BigInt(parameters.chainId),
    registry: parameters.registryAddress,
    shopId: BigInt(row.shop_id),
    batchId,
    leafIndex: row.leaf_index,
    commitment: toHex(row.commitment),
  });
  const leafMatchesValues = Buffer.compare(recomputed, row.leaf_hash) === 0;
  const nodes = proofNodes(row.proof_text);
  const reached = nodes === undefined ? undefined : proofRoot(row.leaf_hash, nodes);
  const proofMatchesAnchoredRoot = row.chain_root !== null && reached !== undefined && toHex(reached) === row.chain_root;
  if (!leafMatchesValues || !proofMatchesAnchoredRoot) {
    add({ kind: "mismatch", subject: "key", subjectId: String(row.key_id), details: { tokenId: row.token_id, leafMatchesValues, proofMatchesAnchoredRoot } });
  }
}

/** The proof's nodes, or undefined when one is not 32 bytes (no bytes32[] proof could hold it). */
function proofNodes(text: string | null): Uint8Array[] | undefined {
  // NULL: neither the key nor its batch holds a proof, which no root can be reached from.
  if (text === null) return undefined;
  if (text === "") return [];
  const nodes = text.split(",");
  return nodes.every((node) => proofNodePattern.test(node)) ? nodes.map((node) => Buffer.from(node.slice(2), "hex")) : undefined;
}

const proofNodePattern = /^\\x[0-9a-f]{64}$/;
