// Blacklists (docs/abuse.md, "Risk rules"): emails, IP ranges (CIDR) and wallets, private to a
// shop (managed by its merchant) or shared by the platform (shopId null, managed by admins).
// A hit adds the blacklist weight to a checkout's risk score (scoreOrderRisk.ts), which reaches
// the default block threshold. Writes are audited by the routes, in the same transaction.
import { isIP } from "node:net";
import { AppError } from "../../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";

export type BlacklistKind = "email" | "ip_range" | "wallet";

export type BlacklistEntry = { id: string; shopId: string | null; kind: BlacklistKind; value: string; reason: string; createdAt: string };

type EntryRow = { id: bigint; shop_id: bigint | null; kind: BlacklistKind; value: string; reason: string; created_at: Date };

function entryView(row: EntryRow): BlacklistEntry {
  return {
    id: String(row.id),
    shopId: row.shop_id === null ? null : String(row.shop_id),
    kind: row.kind,
    value: row.value,
    reason: row.reason,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/** The value as stored: emails and wallets in lower case, IP ranges in CIDR form (a lone address is a /32 or /128). */
export function normaliseBlacklistValue(kind: BlacklistKind, value: string): string {
  const trimmed = value.trim();
  if (kind === "email") return trimmed.toLowerCase();
  if (kind === "wallet") {
    if (!/^0x[0-9a-fA-F]{40}$/.test(trimmed)) throw new AppError("validation_failed", "A wallet must be a 0x-prefixed 20-byte hex address.");
    return trimmed.toLowerCase();
  }
  const [address, bits, extra] = trimmed.split("/");
  const family = isIP(address ?? "");
  const bitsMax = family === 4 ? 32 : 128;
  const prefix = bits === undefined ? bitsMax : Number(bits);
  if (family === 0 || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > bitsMax || (bits !== undefined && !/^\d+$/.test(bits))) {
    throw new AppError("validation_failed", "An IP range must be an address or CIDR such as 203.0.113.0/24 or 2001:db8::/32.");
  }
  return `${address}/${prefix}`;
}

export async function addBlacklistEntry(
  tx: Drizzle,
  entry: { shopId: bigint | null; kind: BlacklistKind; value: string; reason: string; accountId: bigint },
): Promise<BlacklistEntry> {
  const value = normaliseBlacklistValue(entry.kind, entry.value);
  const row = await queryOne<EntryRow>(
    tx,
    sql`INSERT INTO blacklist_entries (shop_id, kind, value, ip_range, reason, created_by)
        VALUES (${entry.shopId}, ${entry.kind}, ${value}, ${entry.kind === "ip_range" ? value : null}::cidr, ${entry.reason}, ${entry.accountId})
        ON CONFLICT DO NOTHING
        RETURNING id, shop_id, kind, value, reason, created_at`,
  );
  if (!row) throw new AppError("conflict", `"${value}" is on this blacklist already.`);
  return entryView(row);
}

export async function listBlacklist(db: Drizzle, shopId: bigint | null, limit: number): Promise<BlacklistEntry[]> {
  const rows = await queryRows<EntryRow>(
    db,
    sql`SELECT id, shop_id, kind, value, reason, created_at FROM blacklist_entries
        WHERE shop_id IS NOT DISTINCT FROM ${shopId}::bigint ORDER BY id DESC LIMIT ${limit}`,
  );
  return rows.map(entryView);
}

export async function removeBlacklistEntry(tx: Drizzle, shopId: bigint | null, entryId: bigint): Promise<BlacklistEntry> {
  const row = await queryOne<EntryRow>(
    tx,
    sql`DELETE FROM blacklist_entries WHERE id = ${entryId} AND shop_id IS NOT DISTINCT FROM ${shopId}::bigint
        RETURNING id, shop_id, kind, value, reason, created_at`,
  );
  if (!row) throw new AppError("not_found", `No blacklist entry ${entryId} here.`);
  return entryView(row);
}

export async function setRiskThresholds(tx: Drizzle, productId: bigint, thresholds: { reviewScore: number | null; blockScore: number | null }): Promise<void> {
  await tx.execute(
    sql`UPDATE products SET risk_review_score = ${thresholds.reviewScore}, risk_block_score = ${thresholds.blockScore}, updated_at = now() WHERE id = ${productId}`,
  );
}
