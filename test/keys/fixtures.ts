// Shared set-up for the keys suites: a master key ring, and a merchant with a shop and a
// product in a real database.
import { randomBytes } from "node:crypto";
import { createShopDataKey } from "../../api/keys/envelope.ts";
import type { BatchTreeCache } from "../../api/keys/batchTree.ts";
import { createImport, runImport } from "../../api/keys/importKeys.ts";
import { createMasterKeyRing, type MasterKeyRing } from "../../api/keys/masterKeys.ts";
import { queryOne, sql, type Drizzle } from "../../core/store/database.ts";

export function testRing(id = "test-k1", key: Buffer = randomBytes(32), previous: { id: string; key: Buffer }[] = []): MasterKeyRing {
  return createMasterKeyRing({ id, key }, previous);
}

export type TestShop = { accountId: bigint; shopId: bigint; productId: bigint };

export async function createTestShop(db: Drizzle, ring: MasterKeyRing, issuer?: string): Promise<TestShop> {
  const suffix = randomBytes(4).toString("hex");
  const account = await queryOne<{ id: bigint }>(
    db,
    sql`INSERT INTO accounts (email, password_hash, roles) VALUES (${`merchant-${suffix}@example.test`}, 'x', ARRAY['merchant'])
        RETURNING id`,
  );
  const { dataKeyWrapped, masterKeyId } = createShopDataKey(ring);
  const shop = await queryOne<{ id: bigint }>(
    db,
    sql`INSERT INTO shops (owner_account_id, slug, name, data_key_wrapped, master_key_id, issuer_address)
        VALUES (${account!.id}, ${`shop-${suffix}`}, 'Test shop', ${dataKeyWrapped}, ${masterKeyId}, ${issuer ?? null}) RETURNING id`,
  );
  const product = await queryOne<{ id: bigint }>(
    db,
    sql`INSERT INTO products (shop_id, name, category, price_minor, currency)
        VALUES (${shop!.id}, 'Game card', 'game_card', 1000, 'CNY') RETURNING id`,
  );
  return { accountId: BigInt(account!.id), shopId: BigInt(shop!.id), productId: BigInt(product!.id) };
}

/** Distinct, recognisable secrets for scanning the database afterwards. */
export function makeSecrets(count: number, tag = randomBytes(3).toString("hex")): string[] {
  return Array.from({ length: count }, (_, index) => `KL-${tag}-${String(index).padStart(6, "0")}-${randomBytes(4).toString("hex")}`);
}

export const testChain = { chainId: 31337n, registry: "0x5FbDB2315678afecb367f032d93F642f64180aa3" as const };

/** Imports `secrets` as one text upload into the shop's product (or `productId`) and runs the job. */
export async function importTestKeys(
  db: Drizzle,
  ring: MasterKeyRing,
  shop: TestShop,
  secrets: readonly string[],
  options: { productId?: bigint; treeCache?: BatchTreeCache } = {},
): Promise<{ importId: bigint; batchId: bigint }> {
  const { importId } = await createImport(db, ring, { ...shop, productId: options.productId ?? shop.productId, format: "text", content: secrets.join("\n") });
  const { batchId } = await runImport(db, ring, testChain, importId, undefined, options.treeCache);
  return { importId, batchId };
}

/** `count` shops, each with `keysPerShop` new secrets imported as one batch. */
export async function createShopsWithKeys(
  db: Drizzle,
  ring: MasterKeyRing,
  count: number,
  keysPerShop: number,
): Promise<{ shop: TestShop; secrets: string[]; batchId: bigint }[]> {
  const shops = [];
  for (let index = 0; index < count; index++) {
    const shop = await createTestShop(db, ring);
    const secrets = makeSecrets(keysPerShop);
    shops.push({ shop, secrets, batchId: (await importTestKeys(db, ring, shop, secrets)).batchId });
  }
  return shops;
}
