// Shops: a merchant's storefront. Each shop gets its own data key at creation (envelope
// encryption: the data key encrypts the shop's keys and its EPay merchant key, a master key
// wraps the data key), and an issuer address that anchors its batches on-chain.
import { AppError } from "../../../core/errors.ts";
import type { AuthenticatedAccount } from "../accounts/sessions.ts";
import { createShopDataKey } from "../../keys/envelope.ts";
import type { MasterKeyRing } from "../../keys/masterKeys.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";

export type ShopView = {
  id: string;
  slug: string;
  name: string;
  description: string;
  issuerAddress: string | null;
  epayConfigured: boolean;
  createdAt: string;
};

type ShopRow = {
  id: bigint;
  slug: string;
  name: string;
  description: string;
  issuer_address: string | null;
  epay_gateway_url: string | null;
  owner_account_id: bigint;
  created_at: Date;
};

const shopColumns = sql.raw("id, slug, name, description, issuer_address, epay_gateway_url, owner_account_id, created_at");

export function shopView(row: ShopRow): ShopView {
  return {
    id: String(row.id),
    slug: row.slug,
    name: row.name,
    description: row.description,
    issuerAddress: row.issuer_address,
    epayConfigured: row.epay_gateway_url !== null,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

export async function createShop(
  db: Drizzle,
  ring: MasterKeyRing,
  input: { ownerAccountId: bigint; slug: string; name: string; description?: string; issuerAddress?: string },
): Promise<ShopView> {
  const { dataKeyWrapped, masterKeyId } = createShopDataKey(ring);
  const row = await queryOne<ShopRow>(
    db,
    sql`INSERT INTO shops (owner_account_id, slug, name, description, issuer_address, data_key_wrapped, master_key_id)
        VALUES (${input.ownerAccountId}, ${input.slug}, ${input.name}, ${input.description ?? ""}, ${input.issuerAddress ?? null},
                ${dataKeyWrapped}, ${masterKeyId})
        ON CONFLICT (slug) DO NOTHING
        RETURNING ${shopColumns}`,
  );
  if (!row) throw new AppError("conflict", `The shop address "${input.slug}" is taken. Choose another slug.`);
  return shopView(row);
}

export async function getShop(db: Drizzle, shopId: bigint): Promise<ShopView> {
  return shopView(await loadShopRow(db, shopId));
}

export async function getShopBySlug(db: Drizzle, slug: string): Promise<ShopView> {
  const row = await queryOne<ShopRow>(db, sql`SELECT ${shopColumns} FROM shops WHERE slug = ${slug}`);
  if (!row) throw new AppError("not_found", `No shop "${slug}".`);
  return shopView(row);
}

/** Shops by id, after `afterId` when given (keyset pagination). */
export async function listShops(db: Drizzle, options: { ownerAccountId?: bigint; afterId?: bigint; limit: number }): Promise<ShopView[]> {
  const rows = await queryRows<ShopRow>(
    db,
    sql`SELECT ${shopColumns} FROM shops WHERE true
        ${options.ownerAccountId === undefined ? sql`` : sql`AND owner_account_id = ${options.ownerAccountId}`}
        ${options.afterId === undefined ? sql`` : sql`AND id > ${options.afterId}`}
        ORDER BY id LIMIT ${options.limit}`,
  );
  return rows.map(shopView);
}

async function loadShopRow(db: Drizzle, shopId: bigint): Promise<ShopRow> {
  const row = await queryOne<ShopRow>(db, sql`SELECT ${shopColumns} FROM shops WHERE id = ${shopId}`);
  if (!row) throw new AppError("not_found", `No shop ${shopId}.`);
  return row;
}

/** The merchant who owns the shop, or an admin, may manage it; everyone else gets 403/404. */
export async function assertShopManager(db: Drizzle, shopId: bigint, account: AuthenticatedAccount): Promise<ShopView> {
  const row = await loadShopRow(db, shopId);
  if (!managedBy(row, account)) {
    throw new AppError("forbidden", "Only the shop's merchant can do this.");
  }
  return shopView(row);
}

/** Whether `account` (if any) may manage the shop: its merchant or an admin. */
export async function isShopManager(db: Drizzle, shopId: bigint, account: AuthenticatedAccount | undefined): Promise<boolean> {
  return account !== undefined && managedBy(await loadShopRow(db, shopId), account);
}

function managedBy(row: ShopRow, account: AuthenticatedAccount): boolean {
  return row.owner_account_id === account.id || account.roles.includes("admin");
}
