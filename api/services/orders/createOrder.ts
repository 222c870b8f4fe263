// Checkout: one SQL statement creates the order and reserves its keys, or does neither.
// The candidate keys are locked with FOR UPDATE SKIP LOCKED, so concurrent checkouts never
// wait on each other and never take the same key; if fewer than `quantity` are free, nothing
// is updated and nothing inserted (out_of_stock), so a buyer is never charged for keys that
// are not there. One round trip instead of a transaction of four (measured: round trips are
// what PostgreSQL spends its CPU on here).
import { AppError } from "../../errors.ts";
import { queryOne, queryPreparedOne, sql, type Drizzle } from "../../store/database.ts";
import { pgConstraint, pgErrorCode, pgErrorCodes } from "../../store/errors.ts";
import { hashQueryPassword } from "./orderAccess.ts";
import { newOrderId } from "./orderId.ts";
import { checkoutProduct } from "./productCache.ts";
import { orderRecord, type OrderRecord, type OrderRow } from "./orderRecord.ts";

export type CreateOrderInput = {
  productId: bigint;
  quantity: number;
  buyerAccountId?: bigint;
  contact?: string;
  queryPassword?: string;
  idempotencyKey?: string;
  paymentMethod: "epay" | "chain";
};

export type CreateOrderSettings = { expirySeconds: number; quantityMax: number; queryPasswordPepper: string };

export async function createOrder(db: Drizzle, settings: CreateOrderSettings, input: CreateOrderInput): Promise<OrderRecord> {
  const product = await checkoutProduct(db, input.productId);
  if (product.status !== "active") throw new AppError("invalid_state", "This product is paused and cannot be ordered right now.");
  const quantityMax = Math.min(product.quantityMax, settings.quantityMax);
  if (input.quantity < product.quantityMin || input.quantity > quantityMax) {
    throw new AppError("validation_failed", `quantity must be between ${product.quantityMin} and ${quantityMax} for this product.`, {
      details: [{ path: "quantity", message: `between ${product.quantityMin} and ${quantityMax}` }],
    });
  }
  if (input.buyerAccountId === undefined && (!input.contact || !input.queryPassword)) {
    throw new AppError("validation_failed", "A guest order needs a contact (email) and a query password to find it again.", {
      details: [{ path: "contact" }, { path: "queryPassword" }],
    });
  }
  if (input.idempotencyKey) {
    const existing = await findByIdempotencyKey(db, product.shopId, input.idempotencyKey);
    if (existing) return sameRequestOrConflict(existing, input);
  }

  const orderId = newOrderId();
  const passwordHash = input.queryPassword ? hashQueryPassword(settings.queryPasswordPepper, orderId, input.queryPassword) : null;
  const expiresAt = new Date(Date.now() + settings.expirySeconds * 1000);
  try {
    const created =
      product.deliveryMode === "automatic"
        ? await insertWithKeys(db, { orderId, input, passwordHash, expiresAt })
        : await insertManual(db, { orderId, input, passwordHash, expiresAt });
    if (created) return orderRecord(created);
    throw new AppError("out_of_stock", `Not enough stock for ${input.quantity} of "${product.name}". Try a smaller quantity or come back later.`, {
      retryable: true,
    });
  } catch (error) {
    if (input.idempotencyKey && pgErrorCode(error) === pgErrorCodes.uniqueViolation && pgConstraint(error) === "orders_idempotency_key") {
      const existing = await findByIdempotencyKey(db, product.shopId, input.idempotencyKey);
      if (existing) return sameRequestOrConflict(existing, input);
    }
    throw error;
  }
}

type InsertArgs = { orderId: string; input: CreateOrderInput; passwordHash: Buffer | null; expiresAt: Date };

function orderValues({ orderId, input, passwordHash, expiresAt }: InsertArgs) {
  return sql`${orderId}, p.shop_id, p.id, ${input.buyerAccountId ?? null}, ${input.contact ?? null}, ${passwordHash},
    ${input.quantity}, p.price_minor, p.price_minor * ${input.quantity}, p.currency, ${input.paymentMethod},
    ${input.idempotencyKey ?? null}, ${expiresAt}`;
}

const orderColumns = sql.raw(`(id, shop_id, product_id, buyer_account_id, contact, query_password_hash, quantity,
  unit_price_minor, amount_minor, currency, payment_method, idempotency_key, expires_at)`);

// Both return the new order's row, or nothing when the stock was not there.
async function insertWithKeys(db: Drizzle, args: InsertArgs) {
  const { orderId, input, expiresAt } = args;
  return queryPreparedOne<OrderRow>(
    db,
    "checkout_with_keys",
    sql`WITH candidates AS (
          SELECT id FROM keys WHERE product_id = ${input.productId} AND status = 'available'
          ORDER BY id LIMIT ${input.quantity} FOR UPDATE SKIP LOCKED
        ),
        enough AS (SELECT count(*) = ${input.quantity} AS ok FROM candidates),
        reserved AS (
          UPDATE keys SET status = 'reserved', order_id = ${orderId}, reserved_until = ${expiresAt}
          WHERE id IN (SELECT id FROM candidates) AND (SELECT ok FROM enough)
          RETURNING id
        ),
        inserted AS (
          INSERT INTO orders ${orderColumns}
          SELECT ${orderValues(args)} FROM products p
          WHERE p.id = ${input.productId} AND p.status = 'active' AND (SELECT ok FROM enough)
          RETURNING *
        )
        SELECT * FROM inserted WHERE (SELECT count(*) FROM reserved) = ${input.quantity}`,
  );
}

async function insertManual(db: Drizzle, args: InsertArgs) {
  const { input } = args;
  return queryOne<OrderRow>(
    db,
    sql`WITH taken AS (
          UPDATE products SET manual_stock = manual_stock - ${input.quantity}
          WHERE id = ${input.productId} AND status = 'active' AND (manual_stock IS NULL OR manual_stock >= ${input.quantity})
          RETURNING id
        ),
        inserted AS (
          INSERT INTO orders ${orderColumns}
          SELECT ${orderValues(args)} FROM products p WHERE p.id IN (SELECT id FROM taken)
          RETURNING *
        )
        SELECT * FROM inserted`,
  );
}

async function findByIdempotencyKey(db: Drizzle, shopId: bigint, key: string): Promise<OrderRecord | undefined> {
  const row = await queryOne<OrderRow>(db, sql`SELECT * FROM orders WHERE shop_id = ${shopId} AND idempotency_key = ${key}`);
  return row ? orderRecord(row) : undefined;
}

function sameRequestOrConflict(existing: OrderRecord, input: CreateOrderInput): OrderRecord {
  const same =
    existing.productId === input.productId &&
    existing.quantity === input.quantity &&
    existing.buyerAccountId === (input.buyerAccountId ?? null) &&
    existing.contact === (input.contact ?? null);
  if (!same) {
    throw new AppError("idempotency_conflict", "This Idempotency-Key was used for a different order. Use a new key for a new order.");
  }
  return existing;
}
