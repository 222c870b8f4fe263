// The public redemption oracle and a token's provenance timeline, from indexed chain data only
// (key_commitments is used for one thing: turning a public key commitment into its batch and
// leaf, through its primary key; migration 0201). Every fact carries its transaction hash,
// block and time, and whether it is final.
import { AppError } from "../../../core/errors.ts";
import { queryRows, sql, type Drizzle } from "../../../core/store/database.ts";

export type ChainFact = { transactionHash: string; blockNumber: string; time: string | null; final: boolean };

export type OracleAnswer = {
  tokenId: string | null;
  batchId: string | null;
  leafIndex: number | null;
  anchored: (ChainFact & { root: string }) | null;
  issued: ChainFact | null;
  redeemed: ChainFact | null;
  revoked: ChainFact | null;
  status: "unknown" | "anchored" | "issued" | "redeemed" | "revoked";
};

type FactRow = { transaction_hash: string; block_number: string; timestamp: string | null; final: boolean };

const fact = (row: FactRow | undefined): ChainFact | null =>
  row
    ? {
        transactionHash: row.transaction_hash,
        blockNumber: String(row.block_number),
        time: row.timestamp === null ? null : new Date(Number(row.timestamp) * 1000).toISOString(),
        final: row.final,
      }
    : null;

// The finality test and block time shared by every fact query.
const factColumns = (alias: string) =>
  sql.raw(
    `${alias}.transaction_hash, ${alias}.block_number::text AS block_number, bl.timestamp::text AS timestamp,
   ${alias}.block_number <= coalesce((SELECT finalized_number FROM indexer_checkpoints c WHERE c.chain_id = ${alias}.chain_id), -1) AS final`,
  );

export async function lookUpRedemption(db: Drizzle, query: { chainId: number; commitment?: string; tokenId?: bigint }): Promise<OracleAnswer> {
  let batchId: string | null = null;
  let leafIndex: number | null = null;
  let tokenId: string | null = query.tokenId === undefined ? null : query.tokenId.toString();
  if (query.commitment) {
    const [key] = await queryRows<{ batch_id: string; leaf_index: number }>(
      db,
      sql`SELECT batch_id::text, leaf_index FROM key_commitments WHERE commitment = decode(${query.commitment.slice(2)}, 'hex')`,
    );
    if (key) {
      batchId = key.batch_id;
      leafIndex = key.leaf_index;
      const [token] = await queryRows<{ token_id: string }>(
        db,
        sql`SELECT token_id::text FROM chain_tokens WHERE chain_id = ${query.chainId} AND batch_id = ${batchId}::numeric AND leaf_index = ${leafIndex} ORDER BY block_number DESC LIMIT 1`,
      );
      tokenId = token?.token_id ?? null;
    }
  } else if (tokenId !== null) {
    const [token] = await queryRows<{ batch_id: string; leaf_index: number }>(
      db,
      sql`SELECT batch_id::text, leaf_index::int FROM chain_token(${query.chainId}, ${tokenId}::numeric)`,
    );
    batchId = token?.batch_id ?? null;
    leafIndex = token?.leaf_index ?? null;
  }
  const [anchor] =
    batchId === null
      ? []
      : await queryRows<FactRow & { root: string }>(
          db,
          sql`SELECT a.root, ${factColumns("a")} FROM chain_batch_anchors a LEFT JOIN chain_blocks bl ON bl.chain_id = a.chain_id AND bl.number = a.block_number WHERE a.chain_id = ${query.chainId} AND a.batch_id = ${batchId}::numeric ORDER BY a.block_number LIMIT 1`,
        );
  const [issued] =
    tokenId === null
      ? []
      : await queryRows<FactRow>(
          db,
          sql`SELECT ${factColumns("t")} FROM chain_token(${query.chainId}, ${tokenId}::numeric) t LEFT JOIN chain_blocks bl ON bl.chain_id = t.chain_id AND bl.number = t.block_number`,
        );
  const states =
    tokenId === null
      ? []
      : await queryRows<FactRow & { kind: string }>(
          db,
          sql`SELECT s.kind, ${factColumns("s")} FROM chain_token_states s LEFT JOIN chain_blocks bl ON bl.chain_id = s.chain_id AND bl.number = s.block_number WHERE s.chain_id = ${query.chainId} AND s.token_id = ${tokenId}::numeric ORDER BY s.block_number, s.log_index`,
        );
  const redeemed = fact(states.find((row) => row.kind === "locked"));
  const revoked = fact(states.find((row) => row.kind === "revoked"));
  const anchored = anchor ? { ...fact(anchor)!, root: anchor.root } : null;
  const issuedFact = issued ? fact(issued) : null;
  const status = revoked ? "revoked" : redeemed ? "redeemed" : issuedFact ? "issued" : anchored ? "anchored" : "unknown";
  return { tokenId, batchId, leafIndex, anchored, issued: issuedFact, redeemed, revoked, status };
}

export type TimelineEntry = ChainFact & {
  kind: "anchored" | "issued" | "transferred" | "custodial_transfer" | "redeemed" | "revoked";
  details: Record<string, unknown>;
};

/** A token's provenance for GET /chain/tokens/:tokenId/timeline: 404 when the indexer knows nothing of the token. */
export async function tokenProvenance(
  db: Drizzle,
  query: { chainId: number; tokenId: bigint; limit: number },
): Promise<{ tokenId: string; entries: TimelineEntry[] }> {
  const entries = await tokenTimeline(db, query);
  if (entries.length === 0) throw new AppError("not_found", `Token ${query.tokenId} has no indexed issuance on this chain.`);
  return { tokenId: query.tokenId.toString(), entries };
}

/** A token's history in chain order. Bounded: a token has one issuance and at most `limit` entries are returned. */
export async function tokenTimeline(db: Drizzle, query: { chainId: number; tokenId: bigint; limit: number }): Promise<TimelineEntry[]> {
  const tokenId = query.tokenId.toString();
  const rows = await queryRows<FactRow & { kind: TimelineEntry["kind"]; log_index: number; details: Record<string, unknown> }>(
    db,
    sql`WITH token AS (SELECT chain_id, batch_id FROM chain_token(${query.chainId}, ${tokenId}::numeric))
        SELECT * FROM (
          SELECT 'anchored' AS kind, a.log_index, jsonb_build_object('batchId', a.batch_id::text, 'root', a.root) AS details, ${factColumns("a")}
            FROM chain_batch_anchors a JOIN token ON token.chain_id = a.chain_id AND token.batch_id = a.batch_id
            LEFT JOIN chain_blocks bl ON bl.chain_id = a.chain_id AND bl.number = a.block_number
          UNION ALL
          SELECT 'issued', t.log_index, jsonb_build_object('batchId', t.batch_id::text, 'leafIndex', t.leaf_index), ${factColumns("t")}
            FROM chain_token(${query.chainId}, ${tokenId}::numeric) t LEFT JOIN chain_blocks bl ON bl.chain_id = t.chain_id AND bl.number = t.block_number
          UNION ALL
          SELECT 'transferred', x.log_index, jsonb_build_object('from', x.from_address, 'to', x.to_address), ${factColumns("x")}
            FROM chain_transfers x LEFT JOIN chain_blocks bl ON bl.chain_id = x.chain_id AND bl.number = x.block_number
            WHERE x.chain_id = ${query.chainId} AND x.token_id = ${tokenId}::numeric
          UNION ALL
          SELECT 'custodial_transfer', c.log_index, jsonb_build_object('fromHolder', c.from_holder, 'toHolder', c.to_holder), ${factColumns("c")}
            FROM chain_custodial_transfers c LEFT JOIN chain_blocks bl ON bl.chain_id = c.chain_id AND bl.number = c.block_number
            WHERE c.chain_id = ${query.chainId} AND c.token_id = ${tokenId}::numeric
          UNION ALL
          SELECT CASE s.kind WHEN 'locked' THEN 'redeemed' ELSE 'revoked' END, s.log_index, '{}'::jsonb, ${factColumns("s")}
            FROM chain_token_states s LEFT JOIN chain_blocks bl ON bl.chain_id = s.chain_id AND bl.number = s.block_number
            WHERE s.chain_id = ${query.chainId} AND s.token_id = ${tokenId}::numeric
        ) entries ORDER BY block_number::numeric, log_index LIMIT ${query.limit}`,
  );
  return rows.map((row) => ({ kind: row.kind, details: row.details, ...fact(row)! }));
}
