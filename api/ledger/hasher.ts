// The tamper-evident chain, computed by one background loop (Formance's ASYNC log hashing):
// writers stay parallel because none of them touches a chain head. Each pass takes the
// oldest unhashed journal transactions (ledger_unhashed, filled by the writers in their own
// transactions), computes content hashes and chains them after the current head, appends them
// to ledger_chain and removes them from ledger_unhashed, all in one database transaction. A
// session-level advisory lock is not needed: the transaction-level lock taken first makes a
// second hasher (another process) skip its pass instead of forking the chain.
import { queryOne, queryRows, sql, type Drizzle } from "../../core/store/database.ts";
import { chainHash, entryContentHash, genesisChainHash, type StoredEntry } from "./canonical.ts";
import { readStoredEntries } from "./readEntries.ts";
import { hexArrayLiteral, integerArrayLiteral } from "../../core/store/sqlArrays.ts";
import { extendTreeNodes } from "./treeNodes.ts";

// Any fixed number shared by every hasher of one database.
const hasherLockId = 7_245_300;

export type HashPendingEntriesOptions = { batchSizeMax: number };

export type HashPendingEntriesReturnType = {
  hashed: number;
  /** The greatest (hashed_at - created_at) among the entries of this pass, in ms. */
  lagMsMax: number;
  headSeq: bigint;
};

export async function hashPendingEntries(db: Drizzle, options: HashPendingEntriesOptions): Promise<HashPendingEntriesReturnType> {
  return db.transaction(async (tx) => {
    const lock = await queryOne<{ locked: boolean }>(tx, sql`SELECT pg_try_advisory_xact_lock(${hasherLockId}) AS locked`);
    if (!lock?.locked) return { hashed: 0, lagMsMax: 0, headSeq: -1n };
    const pending = await queryRows<{ tx_id: bigint }>(tx, sql`SELECT tx_id FROM ledger_unhashed ORDER BY tx_id LIMIT ${options.batchSizeMax}`);
    const head = await queryOne<{ seq: bigint; chain_hash: Buffer }>(tx, sql`SELECT seq, chain_hash FROM ledger_chain ORDER BY seq DESC LIMIT 1`);
    let seq = head?.seq ?? 0n;
    // An idle pass still catches the stored subtrees up with a log chained before they existed.
    if (pending.length === 0) {
      await extendTreeNodes(tx, Number(seq));
      return { hashed: 0, lagMsMax: 0, headSeq: seq };
    }
    const ids = pending.map((row) => row.tx_id);
    const entries = await readStoredEntries(tx, { ids });
    let previous: Uint8Array = head?.chain_hash ?? genesisChainHash;
    const seqs: string[] = [];
    const txIds: string[] = [];
    const contents: Buffer[] = [];
    const chains: Buffer[] = [];
    let createdMicrosMin = Number.POSITIVE_INFINITY;
    for (const entry of entries) {
      const content = entryContentHash(entry);
      const link = chainHash(previous, content);
      seq += 1n;
      seqs.push(seq.toString());
      txIds.push(entry.id);
      contents.push(content);
      chains.push(link);
      previous = link;
      createdMicrosMin = Math.min(createdMicrosMin, Number(entry.createdAtMicros));
    }
    await tx.execute(sql`
      INSERT INTO ledger_chain (seq, tx_id, content_hash, chain_hash)
      SELECT s, t, decode(c, 'hex'), decode(h, 'hex')
      FROM unnest(${integerArrayLiteral(seqs)}::bigint[], ${integerArrayLiteral(txIds)}::bigint[],
                  ${hexArrayLiteral(contents)}::text[], ${hexArrayLiteral(chains)}::text[]) AS x(s, t, c, h)`);
    await tx.execute(sql`DELETE FROM ledger_unhashed WHERE tx_id = ANY(${integerArrayLiteral(ids)}::bigint[])`);
    // The subtrees these leaves complete, in the same transaction: a root or proof never sees
    // a chain without them (treeNodes.ts).
    await extendTreeNodes(tx, Number(seq));
    const lagMsMax = Math.max(0, Date.now() - createdMicrosMin / 1000);
    return { hashed: entries.length, lagMsMax, headSeq: seq };
  });
}

export type HasherLoop = { stop(): Promise<void>; lagMsMax(): number };

/**
 * Runs hashPendingEntries until stopped: back to back while there is work, every
 * `idleIntervalMs` when there is none. Errors are reported and the loop carries on.
 */
export function startHasherLoop(db: Drizzle, options: HashPendingEntriesOptions & { idleIntervalMs: number; onError?: (error: unknown) => void }): HasherLoop {
  let stopped = false;
  let lagMsMax = 0;
  const done = (async () => {
    while (!stopped) {
      try {
        const result = await hashPendingEntries(db, options);
        lagMsMax = Math.max(lagMsMax, result.lagMsMax);
        if (result.hashed === options.batchSizeMax) continue;
      } catch (error) {
        options.onError?.(error);
      }
      await new Promise((resolve) => setTimeout(resolve, options.idleIntervalMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await done;
    },
    lagMsMax: () => lagMsMax,
  };
}

export type { StoredEntry };
