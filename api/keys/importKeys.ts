// Key import in two steps. `createImport` runs in the request: it parses and validates the
// upload (a bad upload is a 422 before anything is written), then stores it ENCRYPTED under
// the shop's data key and returns the import id for the caller to enqueue. `runImport` is the
// BullMQ job body: it turns the upload into a batch of encrypted, committed keys.
//
// runImport is idempotent under redelivery and crashes:
// - a finished import returns its result and writes nothing; a failed one throws its error;
// - every run claims the import with a fresh run token (import_uploads.run_token) under the
//   row lock, deletes keys a crashed earlier run left in the batch (the batch is not anchored
//   yet, so none was sold) and starts that batch over: fresh salts, a fresh tree;
// - every later write of a run checks its token in the same transaction, so a run superseded
//   by a newer one (a stalled job handed to a second worker) stops instead of mixing trees.
import { randomBytes } from "node:crypto";
import { toHex, type Hex } from "viem";
import { AppError } from "../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../core/store/database.ts";
import { recordAudit } from "../services/audit.ts";
import type { SQL } from "drizzle-orm";
import { copyBinary, copyClientOf, storeTakesCopy } from "../../core/store/copyRows.ts";
import { pgConstraint, pgErrorCode, pgErrorCodes } from "../../core/store/errors.ts";
import { batchLeafHashes, buildTreeNodes, commitmentBytes, standardTreeFromNodes } from "../../core/keys/batchMerkle.ts";
import { rememberBatchTree, type BatchTreeCache } from "./batchTree.ts";
import { keyColumns, keyCopyRows, type KeyRowsInput } from "./keyCopyRows.ts";
import { startKeyRowsWorker } from "./startKeyRowsWorker.ts";
import { dedupeHashes, deriveDedupeKey } from "./dedupe.ts";
import type { LeafValues } from "../../core/keys/leaf.ts";
import { decryptSecret, encryptSecret, importUploadAad, keyAad, secretEncrypter } from "./envelope.ts";
import type { MasterKeyRing } from "./masterKeys.ts";
import { ImportProblems, inspectImport, parseImport, type ImportFormat, type ParseImportLimits } from "./parseImport.ts";
import { addShopDuplicates } from "./shopDuplicates.ts";
import { loadShopDataKey } from "./shopDataKey.ts";

/** The defaults of config.imports (IMPORT_KEYS_MAX, KEY_LENGTH_MAX); callers pass config.imports. */
export const importLimitsDefault: ParseImportLimits = { keysMax: 100_000, keyLengthMax: 512 };

// 1,000 rows a transaction: as INSERT (PGlite) 9,000 bind parameters per statement (PostgreSQL
// allows 65,535), as COPY (a server) about 250 kB of binary rows; big enough that round trips do not
// dominate, small enough that progress moves every fraction of a second.
export const insertChunkRows = 1_000;

export type CreateImportParameters = {
  shopId: bigint;
  productId: bigint;
  accountId: bigint | null;
  format: ImportFormat;
  content: string;
  limits?: ParseImportLimits;
  /** Checked in the import's transaction before it is written (a merchant's per-day quotas): throws to refuse. */
  quota?: (tx: Drizzle, keys: number) => Promise<void>;
};

export type CreateImportReturnType = { importId: bigint; total: number };

export async function createImport(db: Drizzle, ring: MasterKeyRing, parameters: CreateImportParameters): Promise<CreateImportReturnType> {
  const { shopId, productId, accountId, format, content } = parameters;
  if (format !== "text" && format !== "csv") {
    throw new AppError("validation_failed", "format must be 'text' or 'csv'.");
  }
  const parsed = inspectImport(content, format, parameters.limits ?? importLimitsDefault);
  const product = await queryOne<{ shop_id: bigint; delivery_mode: string; supply_product_id: bigint | null }>(
    db,
    sql`SELECT shop_id, delivery_mode, supply_product_id FROM products WHERE id = ${productId}`,
  );
  if (!product || product.shop_id !== shopId) throw new AppError("not_found", `No product ${productId} in shop ${shopId}.`);
  // A docked listing sells its supplier's keys (docs/docking.md): keys imported into it would never be sold.
  if (product.supply_product_id !== null) {
    throw new AppError("docking_listing_has_no_keys", "This product is a docked listing: its keys are the supplier's. Import keys into a product of your own.");
  }
  if (product.delivery_mode !== "automatic") {
    throw new AppError("invalid_state", "Keys can be imported only for automatic-delivery products.");
  }
  const dataKey = await loadShopDataKey(db, ring, shopId);
  // Checked here too (the job checks again, for imports racing each other) so that the
  // common mistake, re-uploading a file, is a 422 before anything is written, in the same
  // answer as the upload's other problems.
  const dedupeKey = deriveDedupeKey(dataKey, shopId);
  await addShopDuplicates(db, shopId, { hashes: dedupeHashes(dedupeKey, parsed.keys), lines: parsed.lines }, parsed.problems);
  parsed.problems.throwIfAny();

  const total = parsed.keys.length;
  const importId = await db.transaction(async (tx) => {
    await parameters.quota?.(tx, total);
    const next = await queryOne<{ id: bigint }>(tx, sql`SELECT nextval(pg_get_serial_sequence('imports', 'id')) AS id`);
    const id = BigInt(next!.id);
    // The upload's AAD names its import, so it can only ever be read back as this import.
    const encrypted = encryptSecret(dataKey, content, importUploadAad({ shopId, importId: id }));
    await tx.execute(
      sql`INSERT INTO imports (id, shop_id, product_id, account_id, status, format, total)
          VALUES (${id}, ${shopId}, ${productId}, ${accountId}, 'queued', ${format}, ${total})`,
    );
    await tx.execute(sql`INSERT INTO import_uploads (import_id, shop_id, content_encrypted) VALUES (${id}, ${shopId}, ${encrypted})`);
    await recordAudit(tx, {
      accountId,
      action: "keys.import",
      subject: `import:${id}`,
      details: { shopId: String(shopId), productId: String(productId), format, total },
    });
    return id;
  });
  return { importId, total };
}

export type ImportChain = { chainId: bigint; registry: Hex };

export type RunImportReturnType = { batchId: bigint; keyCount: number };

export type ImportProgress = (processed: number, total: number) => void | Promise<void>;

type ClaimedImport =
  | { kind: "done"; result: RunImportReturnType }
  | { kind: "claimed"; shopId: bigint; productId: bigint; format: ImportFormat; batchId: bigint; content: Uint8Array };

export async function runImport(
  db: Drizzle,
  ring: MasterKeyRing,
  chain: ImportChain,
  importId: bigint,
  onProgress?: ImportProgress,
  treeCache?: BatchTreeCache,
): Promise<RunImportReturnType> {
  const runToken = randomBytes(16).toString("hex");
  const claimed = await claimImport(db, chain, importId, runToken);
  if (claimed.kind === "done") return claimed.result;
  const { shopId, productId, batchId } = claimed;

  const dataKey = await loadShopDataKey(db, ring, shopId);
  const content = decryptSecret(dataKey, claimed.content, importUploadAad({ shopId, importId }));
  // The upload was validated against the configured limits when it was accepted and is
  // authenticated by its AAD, so the job parses it without re-applying them.
  const { keys, lines } = parseImport(content, claimed.format, { keysMax: Number.MAX_SAFE_INTEGER, keyLengthMax: Number.MAX_SAFE_INTEGER });
  const dedupeKey = deriveDedupeKey(dataKey, shopId);
  const hashes = dedupeHashes(dedupeKey, keys);
  // No look-up of the shop's keys here: createImport answered the upload's duplicates, and a key
  // another import stored since then is refused by the unique index (shop_id, dedupe_hash) as
  // its chunk is written, which fails this import with those lines (insertChunkOrFail). Looking
  // them all up again first cost the database 100,000 index probes per 100,000 keys.

  const salts = randomBytes(32 * keys.length);
  // Views of one buffer, as the salts and leaf hashes are: no backing store per key.
  const packedCommitments = Buffer.allocUnsafe(32 * keys.length);
  const commitments = keys.map((key, index) => {
    const commitment = packedCommitments.subarray(32 * index, 32 * index + 32);
    commitment.set(commitmentBytes(salts.subarray(32 * index, 32 * index + 32), key));
    return commitment;
  });
  const leafHashes = batchLeafHashes({ chainId: chain.chainId, registry: chain.registry, shopId, batchId }, commitments);
  const run: ImportRun = { importId, runToken, shopId, productId, batchId };
  const prepared: PreparedKeys = { keys, hashes, salts, commitments, leafHashes };
  // The tree is built here (in slices) while the first chunks are encrypted in the worker thread
  // and written; it is needed only for the last transaction.
  const [nodes] = await Promise.all([buildTreeNodes(leafHashes), writeKeyChunks(db, run, prepared, lines, dataKey, packedCommitments, onProgress)]);

  await db.transaction(async (tx) => {
    await assertRunOwnsImport(tx, importId, runToken);
    // The batch is still in its first anchor state, 'pending': nothing anchors a batch without
    // a root, so there is no state to set here (core/store/batchStates.ts owns its moves).
    await tx.execute(sql`UPDATE batches SET root = ${nodes[0]!}, key_count = ${keys.length} WHERE id = ${batchId}`);
    // The tree once for the batch: each key's proof is read from it (key_proof, migration 0220).
    await tx.execute(sql`INSERT INTO batch_trees (batch_id, nodes) VALUES (${batchId}, ${Buffer.concat(nodes)})`);
    await tx.execute(sql`DELETE FROM import_uploads WHERE import_id = ${importId}`);
    await tx.execute(sql`UPDATE imports SET status = 'done', processed = ${keys.length}, finished_at = now() WHERE id = ${importId}`);
  });
  // The chain writer needs this very tree for the batch's issuances; rebuilding it from the
  // database there (20,000 rows read and hashed again) slowed the first sales of a fresh batch
  // in bench:sale (docs/decisions.md, "Sale path performance").
  if (treeCache) {
    const leafValues: LeafValues[] = commitments.map((commitment, leafIndex) => ({
      chainId: chain.chainId,
      registry: chain.registry,
      shopId,
      batchId,
      leafIndex,
      commitment: toHex(commitment),
    }));
    rememberBatchTree(treeCache, batchId, await standardTreeFromNodes(nodes, leafValues));
  }
  return { batchId, keyCount: keys.length };
}

type ImportRun = {
  importId: bigint;
  runToken: string;
  shopId: bigint;
  productId: bigint;
  batchId: bigint;
};

type PreparedKeys = {
  keys: string[];
  hashes: Uint8Array[];
  salts: Buffer;
  commitments: Uint8Array[];
  leafHashes: Uint8Array[];
};

// How many chunks the worker thread builds ahead of the one being written: two keep it busy
// across a chunk's commit, and bound what waits in memory to about 0.5 MB of rows.
const chunksAheadMax = 2;

/**
 * Writes the keys chunk by chunk (insertChunkOrFail). On a server each chunk's rows are built
 * in a worker thread (keyRowsWorker.ts) up to chunksAheadMax ahead, so the encryption runs on
 * the second core while the database writes; an import of one chunk builds it here (a thread
 * costs more than it would save). PGlite (`npm start`) takes INSERTs, built here.
 */
async function writeKeyChunks(
  db: Drizzle,
  run: ImportRun,
  prepared: PreparedKeys,
  lines: readonly number[],
  dataKey: Uint8Array,
  packedCommitments: Buffer,
  onProgress?: ImportProgress,
): Promise<void> {
  const { keys } = prepared;
  const ends: number[] = [];
  for (let end = insertChunkRows; end < keys.length + insertChunkRows; end += insertChunkRows) ends.push(Math.min(end, keys.length));
  let build: (start: number, end: number) => Promise<Buffer | SQL[]>;
  let close = async (): Promise<void> => {};
  if (!storeTakesCopy(db)) {
    const encrypt = secretEncrypter(dataKey);
    build = async (start, end) => keyInsertRows(run, prepared, encrypt, start, end);
  } else {
    const input: KeyRowsInput = {
      shopId: run.shopId,
      productId: run.productId,
      batchId: run.batchId,
      keys,
      hashes: Buffer.concat(prepared.hashes),
      salts: prepared.salts,
      commitments: packedCommitments,
      leafHashes: Buffer.concat(prepared.leafHashes),
    };
    if (ends.length > 1) {
      const worker = startKeyRowsWorker(dataKey, input);
      build = (start, end) => worker.rows(start, end);
      close = () => worker.close();
    } else {
      const encrypt = secretEncrypter(dataKey);
      build = async (start, end) => keyCopyRows(input, encrypt, start, end);
    }
  }
  try {
    const asked: Promise<Buffer | SQL[]>[] = [];
    let next = 0;
    const askAhead = (): void => {
      while (next < ends.length && asked.length < chunksAheadMax) {
        const chunk = build(next === 0 ? 0 : ends[next - 1]!, ends[next]!);
        // A chunk that fails while an earlier one is being written is thrown when its turn comes.
        chunk.catch(() => {});
        asked.push(chunk);
        next += 1;
      }
    };
    for (const end of ends) {
      askAhead();
      const rows = await asked.shift()!;
      askAhead();
      await insertChunkOrFail(db, run, prepared, lines, rows, end);
      await onProgress?.(end, keys.length);
    }
  } finally {
    await close();
  }
}

/** The rows of keys [start, end) for one multi-row INSERT (PGlite), the same values as keyCopyRows. */
function keyInsertRows(run: ImportRun, prepared: PreparedKeys, encrypt: (plaintext: string, aad: string) => Buffer, start: number, end: number): SQL[] {
  const { shopId, productId, batchId } = run;
  const rows: SQL[] = [];
  for (let leafIndex = start; leafIndex < end; leafIndex++) {
    rows.push(sql`(${shopId}, ${productId}, ${batchId}, ${leafIndex},
      ${encrypt(prepared.keys[leafIndex]!, keyAad({ shopId, batchId, leafIndex }))},
      ${prepared.hashes[leafIndex]!}, ${prepared.salts.subarray(32 * leafIndex, 32 * leafIndex + 32)}, ${prepared.commitments[leafIndex]!},
      ${prepared.leafHashes[leafIndex]!})`);
  }
  return rows;
}

/**
 * Writes one chunk of keys (COPY text or INSERT rows) and records the progress, in one
 * transaction fenced by the run token. A key another import of the shop inserted after our
 * check fails the import with the duplicates' lines.
 */
async function insertChunkOrFail(
  db: Drizzle,
  run: ImportRun,
  prepared: PreparedKeys,
  lines: readonly number[],
  rows: Buffer | SQL[],
  end: number,
): Promise<void> {
  try {
    await db.transaction(async (tx) => {
      await assertRunOwnsImport(tx, run.importId, run.runToken);
      if (Buffer.isBuffer(rows)) {
        const client = copyClientOf(tx);
        if (!client) throw new Error("Invariant: COPY rows for a store without COPY.");
        await copyBinary(client, `COPY keys (${keyColumns}) FROM STDIN (FORMAT binary)`, rows);
      } else {
        await tx.execute(sql`INSERT INTO keys (${sql.raw(keyColumns)}) VALUES ${sql.join(rows, sql`, `)}`);
      }
      await tx.execute(sql`UPDATE imports SET processed = ${end} WHERE id = ${run.importId}`);
    });
  } catch (error) {
    if (pgErrorCode(error) === pgErrorCodes.uniqueViolation && pgConstraint(error) === "keys_shop_dedupe_key") {
      const addedMeanwhile = new ImportProblems();
      await addShopDuplicates(db, run.shopId, { hashes: prepared.hashes, lines }, addedMeanwhile, run.batchId);
      const duplicate = addedMeanwhile.toError();
      if (!duplicate) throw error;
      await failImport(db, run.importId, run.batchId, run.runToken, duplicate);
      throw duplicate;
    }
    throw error;
  }
}

/** Claims the import for this run, creating its batch or clearing what a crashed run left. */
async function claimImport(db: Drizzle, chain: ImportChain, importId: bigint, runToken: string): Promise<ClaimedImport> {
  return db.transaction(async (tx) => {
    const row = await queryOne<{
      shop_id: bigint;
      product_id: bigint;
      status: string;
      format: ImportFormat;
      total: number;
      batch_id: bigint | null;
      error: { code: string; message: string; details: unknown } | null;
    }>(tx, sql`SELECT shop_id, product_id, status, format, total, batch_id, error FROM imports WHERE id = ${importId} FOR UPDATE`);
    if (!row) throw new AppError("not_found", `No import ${importId}.`);
    const shopId = BigInt(row.shop_id);
    const productId = BigInt(row.product_id);
    if (row.status === "done") {
      const batch = await queryOne<{ key_count: number }>(tx, sql`SELECT key_count FROM batches WHERE id = ${row.batch_id}`);
      return { kind: "done", result: { batchId: BigInt(row.batch_id!), keyCount: batch!.key_count } };
    }
    if (row.status === "failed") {
      const stored = row.error ?? { code: "internal", message: "The import failed.", details: undefined };
      throw new AppError(stored.code === "duplicate_keys" ? "duplicate_keys" : "invalid_keys", stored.message, { details: stored.details });
    }
    const upload = await queryOne<{ content_encrypted: Uint8Array }>(
      tx,
      sql`UPDATE import_uploads SET run_token = ${runToken}, run_started_at = now() WHERE import_id = ${importId}
          RETURNING content_encrypted`,
    );
    if (!upload) throw new Error(`Invariant: import ${importId} is ${row.status} but its upload is gone.`);
    let batchId: bigint;
    if (row.batch_id === null) {
      const batch = await queryOne<{ id: bigint }>(
        tx,
        sql`INSERT INTO batches (shop_id, product_id, key_count, chain_id, registry_address)
            VALUES (${shopId}, ${productId}, ${row.total}, ${chain.chainId}, ${chain.registry}) RETURNING id`,
      );
      batchId = BigInt(batch!.id);
    } else {
      batchId = BigInt(row.batch_id);
      // An earlier run crashed part-way: its keys were never sellable (the batch has no root,
      // so it cannot have been anchored). Start the batch over.
      const batch = await queryOne<{ root: Uint8Array | null }>(tx, sql`SELECT root FROM batches WHERE id = ${batchId}`);
      if (batch?.root) throw new Error(`Invariant: batch ${batchId} of unfinished import ${importId} already has a root.`);
      await tx.execute(sql`DELETE FROM keys WHERE batch_id = ${batchId}`);
    }
    await tx.execute(sql`UPDATE imports SET status = 'running', processed = 0, batch_id = ${batchId} WHERE id = ${importId}`);
    return { kind: "claimed", shopId, productId, format: row.format, batchId, content: upload.content_encrypted };
  });
}

async function assertRunOwnsImport(tx: Drizzle, importId: bigint, runToken: string): Promise<void> {
  const owned = await queryOne<{ import_id: bigint }>(
    tx,
    sql`SELECT import_id FROM import_uploads WHERE import_id = ${importId} AND run_token = ${runToken} FOR UPDATE`,
  );
  if (!owned) {
    throw new AppError("conflict", `Import ${importId} was claimed by a newer run; this run stops.`, { retryable: false });
  }
}

/** Records the failure (codes, line numbers and counts only), removes the batch and the upload. */
async function failImport(db: Drizzle, importId: bigint, batchId: bigint, runToken: string, error: AppError): Promise<void> {
  await db.transaction(async (tx) => {
    await assertRunOwnsImport(tx, importId, runToken);
    await tx.execute(sql`DELETE FROM keys WHERE batch_id = ${batchId}`);
    await tx.execute(
      sql`UPDATE imports SET status = 'failed', batch_id = NULL, finished_at = now(),
          error = ${JSON.stringify({ code: error.code, message: error.message, details: error.details })}::jsonb
          WHERE id = ${importId}`,
    );
    await tx.execute(sql`DELETE FROM batches WHERE id = ${batchId}`);
    await tx.execute(sql`DELETE FROM import_uploads WHERE import_id = ${importId}`);
  });
}
