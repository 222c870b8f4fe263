// Crafted ledger histories for the compliance suites: accounts, shops, products and paid orders
// written directly, and their sale entries posted through the real ledger (postOrderPayment).
import { randomBytes } from "node:crypto";
import { postOrderPayment } from "../../api/ledger/flows.ts";
import type { AmlSettings } from "../../api/services/compliance/amlRules.ts";
import { AppError } from "../../core/errors.ts";
import { queryOne, sql } from "../../core/store/database.ts";
import type { TestDatabase } from "../support/database.ts";

export const flaggedInConfig = `0x${"c0".repeat(20)}`;
export const testAmlSettings: AmlSettings = {
  payoutThresholdMinor: { CNY: 1_000_000n },
  payoutVelocityCount: 3,
  windowSeconds: 86_400,
  smallPaymentMinor: { CNY: 5_000n },
  structuringCount: 10,
  spikeFactor: 5,
  spikeFloorMinor: { CNY: 100_000n },
  flaggedWallets: [flaggedInConfig],
};

export const day = 86_400_000;
export type Payer = { accountId?: bigint; contact?: string; wallet?: string };

/** An account, a shop and a product, written directly: the rules read the ledger and the orders only. */
export async function craftShop(database: TestDatabase, label: string): Promise<{ shopId: bigint; productId: bigint; ownerId: bigint }> {
  const suffix = randomBytes(4).toString("hex");
  const owner = await queryOne<{ id: string }>(
    database.db,
    sql`INSERT INTO accounts (email, password_hash, roles) VALUES (${`${label}-${suffix}@example.com`}, 'x', ARRAY['merchant']) RETURNING id::text`,
  );
  const shop = await queryOne<{ id: string }>(
    database.db,
    sql`INSERT INTO shops (owner_account_id, slug, name, data_key_wrapped, master_key_id)
        VALUES (${BigInt(owner!.id)}, ${`${label}-${suffix}`}, ${`Shop ${label}`}, '\\x00'::bytea, 'test') RETURNING id::text`,
  );
  const product = await queryOne<{ id: string }>(
    database.db,
    sql`INSERT INTO products (shop_id, name, category, price_minor, currency) VALUES (${BigInt(shop!.id)}, 'Card', 'game_card', 100, 'CNY') RETURNING id::text`,
  );
  return { shopId: BigInt(shop!.id), productId: BigInt(product!.id), ownerId: BigInt(owner!.id) };
}

export async function craftBuyer(database: TestDatabase, label: string): Promise<bigint> {
  const row = await queryOne<{ id: string }>(
    database.db,
    sql`INSERT INTO accounts (email, password_hash) VALUES (${`${label}-${randomBytes(4).toString("hex")}@example.com`}, 'x') RETURNING id::text`,
  );
  return BigInt(row!.id);
}

let chainLog = 0;
/** A paid order of `amount` fen at `paidAt` and its sale entry, paid through the platform (chain). Answers the entry's id. */
export async function craftSale(
  database: TestDatabase,
  shop: { shopId: bigint; productId: bigint },
  amountMinor: bigint,
  paidAt: Date,
  payer: Payer,
): Promise<bigint> {
  const orderId = `aml-${randomBytes(8).toString("hex")}`;
  // A wallet payer checked out as a guest: each order has its own contact, so only the wallet ties them.
  const contact = payer.contact ?? (payer.accountId ? null : `${orderId}@example.com`);
  await database.db.execute(
    sql`INSERT INTO orders (id, shop_id, product_id, buyer_account_id, contact, query_password_hash, quantity, unit_price_minor, amount_minor,
                            currency, state, payment_method, expires_at, paid_at, created_at)
        VALUES (${orderId}, ${shop.shopId}, ${shop.productId}, ${payer.accountId ?? null}, ${contact},
                ${payer.accountId ? null : Buffer.alloc(32)}, 1, ${amountMinor}, ${amountMinor}, 'CNY', 'fulfilled', 'chain',
                ${paidAt.toISOString()}::timestamptz, ${paidAt.toISOString()}::timestamptz, ${paidAt.toISOString()}::timestamptz)`,
  );
  if (payer.wallet) {
    chainLog++;
    await database.db.execute(
      sql`INSERT INTO chain_payments (chain_id, block_number, log_index, transaction_hash, order_ref, order_id, payer, token, amount)
          VALUES (31337, ${chainLog}, 0, ${`0x${randomBytes(32).toString("hex")}`}, ${orderId}, ${orderId}, ${payer.wallet}, ${`0x${"00".repeat(20)}`}, ${amountMinor})`,
    );
  }
  const posted = await postOrderPayment(database.db, { orderId, shopId: shop.shopId, amountMinor, currency: "CNY", provider: "chain", platformFeeBps: 500 });
  return posted.transactionId;
}

/** The code a refused call answers ("ok" when it passes): races and refusals compare codes. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "ok";
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
}

/** The CNY balance of an owner's account of one purpose (0 when it has none yet). */
export async function balanceOf(database: TestDatabase, ownerType: string, ownerId: bigint, purpose: string): Promise<bigint> {
  const row = await queryOne<{ b: string }>(
    database.db,
    sql`SELECT coalesce(sum(balance_minor), 0)::text AS b FROM ledger_accounts WHERE owner_type = ${ownerType} AND owner_id = ${ownerId} AND purpose = ${purpose} AND currency = 'CNY'`,
  );
  return BigInt(row!.b);
}
