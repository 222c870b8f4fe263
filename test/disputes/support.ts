// Fixtures of the disputes suites that work below HTTP: a merchant's shop with a product of one
// category, and orders paid through the platform (an order row and its order_payment entry
// posted by the ledger's own flow, provider "chain": platform-collected) at a chosen time.
import { postOrderPayment } from "../../api/ledger/flows.ts";
import { queryOne, sql, type Drizzle } from "../../core/store/database.ts";

let shops = 0;

export async function newShop(db: Drizzle, category = "game_card"): Promise<{ shopId: bigint; productId: bigint; ownerId: bigint }> {
  shops++;
  const label = `disputes-${shops}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  const account = await queryOne<{ id: bigint }>(
    db,
    sql`INSERT INTO accounts (email, password_hash, roles) VALUES (${`${label}@example.com`}, 'x', ARRAY['merchant','admin']) RETURNING id`,
  );
  const shop = await queryOne<{ id: bigint }>(
    db,
    sql`INSERT INTO shops (owner_account_id, slug, name, data_key_wrapped, master_key_id)
        VALUES (${account!.id}, ${label}, 'Disputes', '\\x00'::bytea, 'test') RETURNING id`,
  );
  const product = await queryOne<{ id: bigint }>(
    db,
    sql`INSERT INTO products (shop_id, name, category, price_minor, currency) VALUES (${shop!.id}, 'Card', ${category}, 1, 'CNY') RETURNING id`,
  );
  return { shopId: BigInt(shop!.id), productId: BigInt(product!.id), ownerId: BigInt(account!.id) };
}

let orders = 0;

/** An order paid at `paidAt` through the platform; a buyer account when given, else a guest contact. */
export async function paidOrder(
  db: Drizzle,
  shop: { shopId: bigint; productId: bigint },
  parameters: { amountMinor: bigint; paidAt: Date; feeBps: number; buyerAccountId?: bigint },
): Promise<string> {
  orders++;
  const id = `KLD${String(orders).padStart(6, "0")}${Math.floor(Math.random() * 1e6)
    .toString(36)
    .toUpperCase()
    .padStart(4, "0")}`;
  const at = parameters.paidAt.toISOString();
  await db.execute(
    sql`INSERT INTO orders (id, shop_id, product_id, buyer_account_id, contact, query_password_hash, quantity, unit_price_minor, amount_minor, currency, state,
                            expires_at, paid_at, fulfilled_at)
        VALUES (${id}, ${shop.shopId}, ${shop.productId}, ${parameters.buyerAccountId ?? null},
                ${parameters.buyerAccountId ? null : "buyer@example.com"}, ${parameters.buyerAccountId ? null : Buffer.from([0])},
                1, ${parameters.amountMinor}, ${parameters.amountMinor}, 'CNY', 'fulfilled', ${at}::timestamptz, ${at}::timestamptz, ${at}::timestamptz)`,
  );
  await postOrderPayment(db, {
    orderId: id,
    shopId: shop.shopId,
    amountMinor: parameters.amountMinor,
    currency: "CNY",
    provider: "chain",
    platformFeeBps: parameters.feeBps,
  });
  return id;
}
