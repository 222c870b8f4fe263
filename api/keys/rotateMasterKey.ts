// Master key rotation: re-wraps every data key under the master key (each shop's, and each
// account's TOTP secret's: wrappedKeyTables) from whichever previous master key wrapped it to
// the ring's current one (MASTER_KEY / MASTER_KEY_ID). The data keys themselves
// do not change, so no secret is re-encrypted and caches of unwrapped data keys stay valid.
//
// One transaction with every shop row locked: either every shop moves to the current master
// key or none does (a shop wrapped under a key missing from PREVIOUS_MASTER_KEYS stops the
// whole rotation with its id). Running it again re-wraps nothing: it is idempotent. Each run
// writes one audit_log row with counts and key ids, never key material.
//
// The shops are locked FOR NO KEY UPDATE, not FOR UPDATE: an import's rows (imports, batches,
// keys) reference their shop, and PostgreSQL checks each such foreign key with FOR KEY SHARE on
// the shop row, held to the import's commit. FOR UPDATE conflicts with it, so a rotation under
// load waited for every import in flight while every import into a shop it had locked waited
// for the rotation (test/keys/rotateMasterKeyUnderLoad.test.ts); the rotation changes no key
// column, which is what FOR NO KEY UPDATE promises. The new wrappings are written in one
// statement, so the locks are held for one round trip, not one per shop.
import { AppError } from "../../core/errors.ts";
import { queryRows, sql, type Drizzle } from "../../core/store/database.ts";
import { byteaArrayLiteral, integerArrayLiteral, textArrayLiteral } from "../../core/store/sqlArrays.ts";
import { recordAudit } from "../services/audit.ts";
import { unwrapDataKey, wrapDataKey } from "./envelope.ts";
import type { MasterKeyRing } from "./masterKeys.ts";

/** The tables whose rows hold a data key wrapped under the master key, and their key column. */
const wrappedKeyTables = [
  { table: "shops", id: "id", idType: "bigint", what: "Shop data keys" },
  { table: "account_totp", id: "account_id", idType: "bigint", what: "TOTP secrets' data keys" },
  { table: "account_data_keys", id: "account_id", idType: "bigint", what: "Buyers' data keys" },
  { table: "order_data_keys", id: "order_id", idType: "text", what: "Guest orders' data keys" },
] as const;

type WrappedKeyTable = (typeof wrappedKeyTables)[number];

/** The rows' ids as a typed array parameter (orders are keyed by text, the rest by bigint). */
function rowIds(idType: WrappedKeyTable["idType"], moves: { id: bigint | string }[]) {
  return idType === "text"
    ? sql`${textArrayLiteral(moves.map((move) => String(move.id)))}::text[]`
    : sql`${integerArrayLiteral(moves.map((move) => BigInt(move.id)))}::bigint[]`;
}

export type RotateMasterKeyParameters = { accountId?: bigint | null; dryRun?: boolean };

export type RotateMasterKeyReturnType = {
  masterKeyId: string;
  /** Data keys re-wrapped and already current, over every table (byTable: per table). */
  rewrapped: number;
  alreadyCurrent: number;
  byTable: Record<WrappedKeyTable["table"], { rewrapped: number; alreadyCurrent: number }>;
  /** How many data keys each previous master key wrapped before this run. */
  fromMasterKeyIds: Record<string, number>;
  dryRun: boolean;
};

class DryRunRollback extends Error {}

export async function rotateMasterKey(db: Drizzle, ring: MasterKeyRing, parameters: RotateMasterKeyParameters = {}): Promise<RotateMasterKeyReturnType> {
  const current = ring.current.id;
  let result: RotateMasterKeyReturnType | undefined;
  try {
    await db.transaction(async (tx) => {
      const fromMasterKeyIds: Record<string, number> = {};
      const byTable = {} as RotateMasterKeyReturnType["byTable"];
      for (const table of wrappedKeyTables) byTable[table.table] = await rewrapTable(tx, ring, table, fromMasterKeyIds);
      const rewrapped = Object.values(byTable).reduce((sum, counts) => sum + counts.rewrapped, 0);
      const alreadyCurrent = Object.values(byTable).reduce((sum, counts) => sum + counts.alreadyCurrent, 0);
      result = {
        masterKeyId: current,
        rewrapped,
        alreadyCurrent,
        byTable,
        fromMasterKeyIds,
        dryRun: parameters.dryRun === true,
      };
      await recordAudit(tx, {
        accountId: parameters.accountId ?? null,
        action: "keys.rotate_master_key",
        subject: `master-key:${current}`,
        details: { to: current, rewrapped, alreadyCurrent, byTable, from: fromMasterKeyIds },
      });
      if (parameters.dryRun) throw new DryRunRollback();
    });
  } catch (error) {
    if (!(error instanceof DryRunRollback)) throw error;
  }
  return result!;
}

/** Re-wraps one table's data keys to the current master key; counts them into `fromMasterKeyIds`. */
async function rewrapTable(
  tx: Drizzle,
  ring: MasterKeyRing,
  { table, id, idType, what }: WrappedKeyTable,
  fromMasterKeyIds: Record<string, number>,
): Promise<{ rewrapped: number; alreadyCurrent: number }> {
  const current = ring.current.id;
  const rows = await queryRows<{ id: bigint | string; data_key_wrapped: Uint8Array; master_key_id: string }>(
    tx,
    sql`SELECT ${sql.raw(id)} AS id, data_key_wrapped, master_key_id FROM ${sql.raw(table)} ORDER BY ${sql.raw(id)} FOR NO KEY UPDATE`,
  );
  const missing = [...new Set(rows.map((row) => row.master_key_id).filter((keyId) => !ring.byId.has(keyId)))];
  if (missing.length > 0) {
    throw new AppError(
      "invalid_state",
      `${what} are wrapped under master key(s) ${missing.map((keyId) => `'${keyId}'`).join(", ")}, which are not configured: add them to PREVIOUS_MASTER_KEYS and run the rotation again.`,
      { details: { missingMasterKeyIds: missing } },
    );
  }
  const moves: { id: bigint | string; wrapped: Buffer; from: string }[] = [];
  for (const row of rows) {
    if (row.master_key_id === current) continue;
    const dataKey = unwrapDataKey(ring, row.data_key_wrapped, row.master_key_id);
    const wrapped = wrapDataKey(ring, dataKey);
    // Assert before the write: the new wrapping opens to the same data key.
    if (!unwrapDataKey(ring, wrapped.dataKeyWrapped, wrapped.masterKeyId).equals(dataKey)) {
      throw new Error(`Invariant: re-wrapping ${table} ${row.id}'s data key did not round-trip.`);
    }
    moves.push({ id: row.id, wrapped: wrapped.dataKeyWrapped, from: row.master_key_id });
    fromMasterKeyIds[row.master_key_id] = (fromMasterKeyIds[row.master_key_id] ?? 0) + 1;
  }
  if (moves.length > 0) {
    const updated = await queryRows<{ id: bigint | string }>(
      tx,
      sql`UPDATE ${sql.raw(table)} t SET data_key_wrapped = m.wrapped, master_key_id = ${current}
          FROM unnest(${rowIds(idType, moves)}, ${byteaArrayLiteral(moves.map((move) => move.wrapped))}::bytea[],
                      ${textArrayLiteral(moves.map((move) => move.from))}::text[]) AS m(id, wrapped, from_id)
          WHERE t.${sql.raw(id)} = m.id AND t.master_key_id = m.from_id RETURNING t.${sql.raw(id)} AS id`,
    );
    // The rows are locked, so each one is still under the key it was read with.
    if (updated.length !== moves.length) throw new Error(`Invariant: ${moves.length} ${table} rows to re-wrap, ${updated.length} re-wrapped.`);
  }
  return { rewrapped: moves.length, alreadyCurrent: rows.length - moves.length };
}
