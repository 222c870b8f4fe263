// Quotas of self-service merchants (docs/abuse.md, "Merchant quotas"). Anyone can sign up as a
// merchant, so until the platform raises them a merchant may own a few shops and import a
// bounded number of keys a day. The per-day quotas also bound what the operator pays in gas:
// every import is one batch anchor on-chain and every key sold one issuance.
//
// Counted under a lock of the owner's account row (SELECT ... FOR NO KEY UPDATE in the
// transaction that creates the shop or the import), so concurrent requests of one merchant take
// turns and never both see room for one. NO KEY UPDATE, not UPDATE: an import then locks its
// shop (keys in stock), while a product or webhook creation holds the shop and writes an audit
// row referencing this account, a key-share lock that FOR UPDATE would make wait: a deadlock
// (test/saas/planLimits.test.ts plays it step by step).
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";

export type MerchantQuotas = { shopsMax: number; importsPerDayMax: number; keysPerDayMax: number };

export type MerchantQuotaView = MerchantQuotas & {
  accountId: string;
  /** Whether an admin set these (false: the self-service defaults). */
  raised: boolean;
  usage: { shops: number; importsToday: number; keysToday: number };
};

type QuotaRow = {
  shops_max: number | null;
  imports_per_day_max: number | null;
  keys_per_day_max: number | null;
  shops: string | number;
  imports_today: string | number;
  keys_today: string | number;
  first_import_at: Date | null;
  is_admin: boolean;
};

/** Locks the owner's account row (with `lock`) and reads their quotas and usage. */
async function readQuotaRow(db: Drizzle, accountId: bigint, lock: boolean): Promise<QuotaRow> {
  const locked = await queryOne<{ is_admin: boolean }>(
    db,
    lock
      ? sql`SELECT 'admin' = ANY(roles) AS is_admin FROM accounts WHERE id = ${accountId} FOR NO KEY UPDATE`
      : sql`SELECT 'admin' = ANY(roles) AS is_admin FROM accounts WHERE id = ${accountId}`,
  );
  if (!locked) throw new AppError("not_found", `No account ${accountId}.`);
  const row = await queryOne<Omit<QuotaRow, "is_admin">>(
    db,
    sql`SELECT q.shops_max, q.imports_per_day_max, q.keys_per_day_max,
               (SELECT count(*) FROM shops WHERE owner_account_id = ${accountId}) AS shops,
               day.imports AS imports_today, day.keys AS keys_today, day.first_at AS first_import_at
        FROM (SELECT count(*) AS imports, coalesce(sum(i.total), 0) AS keys, min(i.created_at) AS first_at
              FROM imports i JOIN shops s ON s.id = i.shop_id
              WHERE s.owner_account_id = ${accountId} AND i.created_at > now() - interval '1 day') day
        LEFT JOIN merchant_quotas q ON q.account_id = ${accountId}`,
  );
  return { ...row!, is_admin: locked.is_admin };
}

function quotasOf(row: QuotaRow, defaults: MerchantQuotas): MerchantQuotas {
  return {
    shopsMax: row.shops_max ?? defaults.shopsMax,
    importsPerDayMax: row.imports_per_day_max ?? defaults.importsPerDayMax,
    keysPerDayMax: row.keys_per_day_max ?? defaults.keysPerDayMax,
  };
}

export async function getMerchantQuotas(db: Drizzle, accountId: bigint, defaults: MerchantQuotas): Promise<MerchantQuotaView> {
  const row = await readQuotaRow(db, accountId, false);
  return {
    accountId: String(accountId),
    ...quotasOf(row, defaults),
    raised: row.shops_max !== null,
    usage: { shops: Number(row.shops), importsToday: Number(row.imports_today), keysToday: Number(row.keys_today) },
  };
}

/** In the shop's creating transaction: refuses a shop beyond the owner's quota (403 shop_quota_exceeded). Admins have none. */
export async function assertShopQuota(tx: Drizzle, ownerAccountId: bigint, defaults: MerchantQuotas): Promise<void> {
  const row = await readQuotaRow(tx, ownerAccountId, true);
  if (row.is_admin) return;
  const { shopsMax } = quotasOf(row, defaults);
  if (Number(row.shops) >= shopsMax) {
    throw new AppError("shop_quota_exceeded", `This account may own at most ${shopsMax} shop(s). Ask the platform to raise the quota.`, {
      details: { shopsMax, shops: Number(row.shops) },
    });
  }
}

/**
 * In the import's creating transaction: refuses an import of `keys` keys beyond the owner's
 * imports or keys of the last day (429 import_quota_exceeded, Retry-After: when the day's first
 * import leaves the window). Admin-owned shops have none.
 */
export async function assertImportQuota(tx: Drizzle, ownerAccountId: bigint, keys: number, defaults: MerchantQuotas): Promise<void> {
  const row = await readQuotaRow(tx, ownerAccountId, true);
  if (row.is_admin) return;
  const { importsPerDayMax, keysPerDayMax } = quotasOf(row, defaults);
  const importsToday = Number(row.imports_today);
  const keysToday = Number(row.keys_today);
  const over = importsToday + 1 > importsPerDayMax ? `${importsPerDayMax} imports` : keysToday + keys > keysPerDayMax ? `${keysPerDayMax} keys` : undefined;
  if (over === undefined) return;
  const dayMs = 24 * 3600 * 1000;
  const retryAfterSeconds = row.first_import_at ? Math.max(1, Math.ceil((new Date(row.first_import_at).getTime() + dayMs - Date.now()) / 1000)) : 24 * 3600;
  throw new AppError(
    "import_quota_exceeded",
    `This merchant may import at most ${over} a day (${importsToday} imports, ${keysToday} keys in the last 24 hours; this one has ${keys}). Try later or ask the platform to raise the quota.`,
    { details: { importsPerDayMax, keysPerDayMax, importsToday, keysToday, keys, retryAfterSeconds }, retryable: true },
  );
}

/** An admin sets a merchant's quotas (call it through auditedChange). */
export async function setMerchantQuotas(tx: Drizzle, accountId: bigint, quotas: MerchantQuotas, adminAccountId: bigint): Promise<void> {
  const account = await queryOne<{ id: bigint }>(tx, sql`SELECT id FROM accounts WHERE id = ${accountId} AND 'merchant' = ANY(roles)`);
  if (!account) throw new AppError("not_found", `No merchant account ${accountId}.`);
  await tx.execute(
    sql`INSERT INTO merchant_quotas (account_id, shops_max, imports_per_day_max, keys_per_day_max, raised_by)
        VALUES (${accountId}, ${quotas.shopsMax}, ${quotas.importsPerDayMax}, ${quotas.keysPerDayMax}, ${adminAccountId})
        ON CONFLICT (account_id) DO UPDATE SET shops_max = EXCLUDED.shops_max, imports_per_day_max = EXCLUDED.imports_per_day_max,
          keys_per_day_max = EXCLUDED.keys_per_day_max, raised_by = EXCLUDED.raised_by, updated_at = now()`,
  );
}

/** The owner of a shop, whose quotas an import into it counts against. */
export async function shopOwner(db: Drizzle, shopId: bigint): Promise<bigint> {
  const row = await queryOne<{ owner_account_id: bigint }>(db, sql`SELECT owner_account_id FROM shops WHERE id = ${shopId}`);
  if (!row) throw new AppError("not_found", `No shop ${shopId}.`);
  return BigInt(row.owner_account_id);
}
