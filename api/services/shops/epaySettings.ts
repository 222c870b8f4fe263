// A shop's EPay (易支付) gateway settings. The merchant key signs and verifies notifications,
// so it is a secret: stored encrypted under the shop's data key, never returned by the API,
// cached decrypted in memory (bounded) because every notification needs it.
import { AppError } from "../../../core/errors.ts";
import { decryptSecret, encryptSecret } from "../../keys/envelope.ts";
import { loadShopDataKey as shopDataKey } from "../../keys/shopDataKey.ts";
import type { MasterKeyRing } from "../../keys/masterKeys.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";

export type EpaySettings = { gatewayUrl: string; pid: string; key: string };

const cacheSizeMax = 1_000;
const cache = new Map<bigint, EpaySettings>();

function aad(shopId: bigint): string {
  return `keyledger:epay-key:v1:${shopId}`;
}

export async function setEpaySettings(db: Drizzle, ring: MasterKeyRing, shopId: bigint, settings: EpaySettings): Promise<void> {
  const dataKey = await shopDataKey(db, ring, shopId);
  const encrypted = encryptSecret(dataKey, settings.key, aad(shopId));
  await db.execute(
    sql`UPDATE shops SET epay_gateway_url = ${settings.gatewayUrl}, epay_pid = ${settings.pid}, epay_key_encrypted = ${encrypted}
        WHERE id = ${shopId}`,
  );
  cache.delete(shopId);
}

export async function getEpaySettings(db: Drizzle, ring: MasterKeyRing, shopId: bigint): Promise<EpaySettings> {
  const cached = cache.get(shopId);
  if (cached) return cached;
  const row = await queryOne<{ epay_gateway_url: string | null; epay_pid: string | null; epay_key_encrypted: Buffer | null }>(
    db,
    sql`SELECT epay_gateway_url, epay_pid, epay_key_encrypted FROM shops WHERE id = ${shopId}`,
  );
  if (!row) throw new AppError("not_found", `No shop ${shopId}.`);
  if (!row.epay_gateway_url || !row.epay_pid || !row.epay_key_encrypted) {
    throw new AppError("invalid_state", "This shop has not configured its EPay gateway yet (merchant console → payment settings).");
  }
  const dataKey = await shopDataKey(db, ring, shopId);
  const settings = {
    gatewayUrl: row.epay_gateway_url,
    pid: row.epay_pid,
    key: decryptSecret(dataKey, Buffer.from(row.epay_key_encrypted), aad(shopId)),
  };
  if (cache.size >= cacheSizeMax) cache.delete(cache.keys().next().value!);
  cache.set(shopId, settings);
  return settings;
}
