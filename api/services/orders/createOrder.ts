// Checkout: one SQL statement creates the order and reserves its keys, or does neither.
// The candidate keys are locked with FOR UPDATE SKIP LOCKED, so concurrent checkouts never
// wait on each other and never take the same key; if fewer than `quantity` are free, nothing
// is updated and nothing inserted (out_of_stock), so a buyer is never charged for keys that
// are not there. One round trip instead of a transaction of four (measured: round trips are
// what PostgreSQL spends its CPU on here). In the API the checkouts in flight go together
// (insertBatchWithKeys, through the group commit), one statement and commit for many.
import { AppError } from "../../../core/errors.ts";
import { collectionOf } from "../../ledger/flows.ts";
import { claimDailySales, releaseDailySales } from "../saas/verificationLimits.ts";
import { currencyConversion, type CurrencyRequest } from "../fx/checkoutCurrency.ts";
import type { FxSettings } from "../fx/rates.ts";
import type { StablecoinSettings } from "../pricing/memberSpend.ts";
import { formatRate, pairRate, type Conversion } from "../../../core/money/fx.ts";
import { convertBreakdown, fxJson } from "../../pricing/fx.ts";
import { assertFeeCreditAvailable } from "../../ledger/merchantFees.ts";
import { queryOne, queryPreparedRows, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { createGroupCommit, type GroupCommit, type GroupCommitOptions } from "../../../core/store/groupCommit.ts";
import { byteaArrayLiteral, integerArrayLiteral, textArrayLiteral } from "../../../core/store/sqlArrays.ts";
import { pgConstraint, pgErrorCode, pgErrorCodes } from "../../../core/store/errors.ts";
import { checkQueryPassword, hashQueryPassword } from "./orderAccess.ts";
import { newOrderId } from "./orderId.ts";
import { checkoutProduct } from "./productCache.ts";
import { breakdownJson, buyerKeyOf, quoteOrder, type Quote } from "../pricing/quoteOrder.ts";
import { claimCoupon, releaseCoupon } from "../pricing/couponClaims.ts";
import { claimDailyPurchase, releaseDailyPurchase } from "../pricing/purchaseLimits.ts";
import { orderRecord, type OrderRecord, type OrderRow } from "./orderRecord.ts";
import { checkoutDistribution, type CheckoutDistribution } from "../distribution/checkoutDistribution.ts";
import { sharesToJson } from "../../ledger/distributionLegs.ts";
import { assessCheckoutRisk, type CheckoutRisk, type CheckoutRiskSettings } from "../risk/assessCheckoutRisk.ts";
import { dockingAtCheckout, dockingShareOf, type CheckoutDocking } from "../docking/checkoutDocking.ts";
import type { DockingShare } from "../../ledger/dockingLegs.ts";
import { countOpenHolds, holdRefusals, lockHoldSubjects, productHoldExpirySeconds, readProductHold, type UnpaidHoldLimits } from "./unpaidHolds.ts";
import { keyBatchReleased } from "../../../core/store/keyOnSale.ts";

export type CreateOrderInput = {
  productId: bigint;
  quantity: number;
  buyerAccountId?: bigint;
  contact?: string;
  queryPassword?: string;
  idempotencyKey?: string;
  paymentMethod: "epay" | "chain";
  /** The client's address (counted for the per-address limit of unpaid orders). */
  clientAddress?: string;
  /** The signed-in buyer's email (risk: blacklists), the browser's device id and the paying wallet (risk: velocity). */
  buyerEmail?: string;
  deviceId?: string;
  walletAddress?: string;
  /** A solved proof-of-work captcha, needed when the risk score is raised. */
  captchaPayload?: string;
  /** One coupon per order (docs/pricing.md). */
  couponCode?: string;
  /** The sub-store (its slug) the buyer checks out in (docs/distribution.md). */
  substore?: string;
  /** A group order (docs/groupbuy.md): priced at the group's price, recorded in orders.pricing (orders.group_id). */
  group?: { id: string; unitPriceMinor: bigint };
  /** The currency to charge in, when not the product's own: one the shop accepts, at the platform's rate (docs/currencies.md). */
  currency?: string;
};

export type CreateOrderSettings = {
  expirySeconds: number;
  quantityMax: number;
  queryPasswordPepper: string;
  /** Unpaid platform fees beyond the prepaid balance at which a merchant-collected checkout is refused. */
  merchantFeeCreditMinor: bigint;
  /** Limits of unpaid reservations (api/services/orders/unpaidHolds.ts). */
  unpaidHolds: UnpaidHoldLimits;
  /** Risk rules (api/services/risk); without them every checkout is allowed (seed, tools). */
  risk?: CheckoutRiskSettings;
  /** The API's group commit of checkouts (automatic products); without it, one statement per order. */
  checkouts?: CheckoutBatcher;
  /** The verification level's daily sales volume (docs/saas.md); off for load from one machine. */
  saleLimits?: boolean;
  /** The platform's exchange rates (docs/currencies.md); without them every order is charged in its product's currency. */
  fx?: FxSettings;
};

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
    if (existing) return sameRequestOrConflict(existing, input, settings.queryPasswordPepper);
  }
  // Another currency than the product's: one the shop accepts and the payment method takes, at
  // the platform's rate, decided before anything is claimed (docs/currencies.md).
  const conversion = await currencyConversion(db, settings.fx, {
    shopId: product.shopId,
    productCurrency: product.currency,
    asked: input.currency,
    paymentMethod: input.paymentMethod,
    shared: sharedCheckout(input, product.supplyProductId !== null),
  });
  const currency = conversion?.to ?? product.currency;
  // A docked listing sells its supplier's keys (docs/docking.md); null for the shop's own products.
  const docking = await dockingAtCheckout(db, product, input.paymentMethod);
  // The shop's own gateway pays the merchant, who owes the platform its fee: no more such sales
  // while those fees are unpaid beyond the credit (docs/ledger.md, "Who holds the money").
  if (collectionOf(input.paymentMethod) === "merchant") {
    await assertFeeCreditAvailable(db, { shopId: product.shopId, currency, creditLimitMinor: settings.merchantFeeCreditMinor });
  }

  const risk = settings.risk
    ? await assessCheckoutRisk(db, settings.risk, product, {
        shopId: product.shopId,
        buyerAccountId: input.buyerAccountId,
        email: input.contact ?? input.buyerEmail,
        clientAddress: input.clientAddress,
        deviceId: input.deviceId,
        walletAddress: input.walletAddress,
        captchaPayload: input.captchaPayload,
      })
    : undefined;
  // A share of the available keys per order, and a shorter expiry when the product's unpaid
  // holds are many (automatic products: a manual product's stock is the merchant's promise).
  const expirySeconds =
    product.deliveryMode === "automatic"
      ? productHoldExpirySeconds(await readProductHold(db, docking?.poolProductId ?? product.id), input.quantity, settings.unpaidHolds, settings.expirySeconds)
      : settings.expirySeconds;

  // Before the coupon is claimed: a refused sub-store checkout holds no coupon use.
  const distribution = await checkoutDistribution(db, product.shopId, input, docking !== null && docking !== undefined);
  const orderId = newOrderId();
  // The stablecoin's decimals count a member's spend in it (memberSpend.ts), as the quote endpoint does.
  const { quote, dailyClaimed, share } = await priceCheckout(db, { ...input, stablecoin: settings.fx?.stablecoin }, orderId, docking);
  const passwordHash = input.queryPassword ? hashQueryPassword(settings.queryPasswordPepper, orderId, input.queryPassword) : null;
  const expiresAt = new Date(Date.now() + expirySeconds * 1000);
  const priced = pricedColumns(quote, distribution, input.group, conversion);
  let salesClaimed = false;
  try {
    // Priced first (the amount is the quote's), refused before anything is inserted; the claims
    // above are released by the catch below, the sales volume's in the finally (once the order
    // exists it counts by itself).
    // The quote read the product afresh: a currency changed since the cached read is not charged in the old one.
    if (quote.currency !== product.currency) {
      throw new AppError("invalid_state", "This product's currency changed while you were checking out. Quote it again.", { retryable: true });
    }
    if (settings.saleLimits) {
      salesClaimed = await claimDailySales(db, { shopId: product.shopId, currency, amountMinor: amountOf(priced, input.quantity), orderId });
    }
    const args: InsertArgs = {
      orderId,
      input,
      passwordHash,
      expiresAt,
      currency,
      limits: settings.unpaidHolds,
      risk,
      priced,
      ...(docking && share ? { docking: { stockProductId: docking.stockProductId, poolProductId: docking.poolProductId, share } } : {}),
    };
    // A checkout the batch did not serve (not enough keys free when it ran, or the batch's
    // statement failed) asks once more on its own before it is called out of stock.
    const created =
      product.deliveryMode === "automatic" ? ((await settings.checkouts?.submit(args)) ?? (await insertWithKeys(db, args))) : await insertManual(db, args);
    if (created instanceof AppError) throw created;
    if (created) return orderRecord(created);
    throw new AppError("out_of_stock", `Not enough stock for ${input.quantity} of "${product.name}". Try a smaller quantity or come back later.`, {
      retryable: true,
    });
  } catch (error) {
    // The coupon use and the daily allowance belong to this order only: no order, no use (the
    // claims' compensation).
    if (quote.couponId !== null) await releaseCoupon(db, orderId);
    if (dailyClaimed) await releaseDailyPurchase(db, orderId);
    if (input.idempotencyKey && pgErrorCode(error) === pgErrorCodes.uniqueViolation && pgConstraint(error) === "orders_idempotency_key") {
      const existing = await findByIdempotencyKey(db, product.shopId, input.idempotencyKey);
      if (existing) return sameRequestOrConflict(existing, input, settings.queryPasswordPepper);
    }
    throw error;
  } finally {
    if (salesClaimed) await releaseDailySales(db, orderId);
  }
}

/**
 * Pricing at checkout (docs/pricing.md): the daily purchase allowance claimed for this order, the
 * quote from the one pricing function (the same as the quote endpoint's), and the coupon's use
 * claimed for this order. If the quote or the coupon is refused, the allowance is given back.
 */
async function priceCheckout(
  db: Drizzle,
  input: CreateOrderInput & { stablecoin?: StablecoinSettings },
  orderId: string,
  docking: CheckoutDocking | undefined,
): Promise<{ quote: Quote; dailyClaimed: boolean; share: DockingShare | undefined }> {
  const dailyClaimed = await claimDailyPurchase(db, { productId: input.productId, quantity: input.quantity, orderId, buyerKey: buyerKeyOf(input) });
  try {
    const quote = await quoteOrder(db, input);
    // Before the coupon is claimed: a docked total at or below the wholesale is refused with nothing claimed.
    const share = docking ? dockingShareOf(docking, input.quantity, quote.breakdown.totalMinor) : undefined;
    if (quote.couponId !== null && quote.buyerKey !== null) await claimCoupon(db, { couponId: quote.couponId, orderId, buyerKey: quote.buyerKey });
    return { quote, dailyClaimed, share };
  } catch (error) {
    if (dailyClaimed) await releaseDailyPurchase(db, orderId);
    throw error;
  }
}

/** A checkout whose shares are in the product's currency (no conversion offered), or undefined. */
function sharedCheckout(input: CreateOrderInput, docked: boolean): CurrencyRequest["shared"] {
  if (input.substore !== undefined) return "a sub-store";
  if (docked) return "a docked listing";
  if (input.group !== undefined) return "a group buy";
  return undefined;
}

/**
 * The order's price columns: exactly the quote's unit price, discount and breakdown, plus a
 * sub-store's markup per unit on the unit price and what the sale owes its distributors. In
 * another currency, the breakdown converted (the quote endpoint converts it the same way) and
 * the conversion recorded: the price in the product's currency and the rates.
 */
function pricedColumns(quote: Quote, distribution: CheckoutDistribution, group: CreateOrderInput["group"], conversion: Conversion | null): PricedColumns {
  if (conversion) {
    const converted = convertBreakdown(quote.breakdown, conversion);
    return {
      unitPriceMinor: converted.unitPriceMinor,
      discountMinor: converted.discountMinor,
      pricing: JSON.stringify({ ...breakdownJson(converted), fx: fxJson(conversion, quote.breakdown) }),
      fx: { priceCurrency: conversion.from, priceAmountMinor: quote.breakdown.totalMinor, rate: formatRate(pairRate(conversion)) },
    };
  }
  const priced = breakdownJson(quote.breakdown);
  // A group order's pricing names its group: orders.group_id is generated from it, so the order
  // and its membership of the group are written by the one insert.
  const breakdown = group ? { ...priced, group: { ...priced.group, groupId: group.id } } : priced;
  return {
    unitPriceMinor: quote.breakdown.unitPriceMinor + distribution.unitMarkupMinor,
    discountMinor: quote.breakdown.discountMinor,
    pricing: JSON.stringify(
      distribution.shares
        ? { ...breakdown, markupPerUnitMinor: String(distribution.unitMarkupMinor), distribution: sharesToJson(distribution.shares) }
        : breakdown,
    ),
  };
}

type PricedColumns = {
  unitPriceMinor: bigint;
  discountMinor: bigint;
  pricing: string;
  /** Charged in another currency than the product's: the orders columns that record the conversion. */
  fx?: { priceCurrency: string; priceAmountMinor: bigint; rate: string };
};

/** The order's amount_minor, as the insert computes it (a sub-store's markup included). */
const amountOf = (priced: PricedColumns, quantity: number) => priced.unitPriceMinor * BigInt(quantity) - priced.discountMinor;

export type InsertArgs = {
  orderId: string;
  input: CreateOrderInput;
  passwordHash: Buffer | null;
  expiresAt: Date;
  /** The currency charged: the product's, or the one the buyer asked for (docs/currencies.md). */
  currency: string;
  limits: UnpaidHoldLimits;
  /** The price columns, exactly the checkout's quote. */
  priced: PricedColumns;
  /** The checkout's risk score and reasons, and whether the order is held for review before delivery. */
  risk?: CheckoutRisk;
  /**
   * A docked listing: the supplier's product whose keys are reserved, the pool they come from (the
   * listing's own allocation when it restocks automatically, else the supplier's unallocated keys)
   * and the order's docking columns.
   */
  docking?: { stockProductId: bigint; poolProductId: bigint; share: DockingShare };
};

/** A checkout's answer: its new order row, or why its caller may not hold more unpaid orders. */
export type Checkout = OrderRow | AppError;

/** The API's group commit of checkouts: the checkouts in flight share a statement and its commit. */
export type CheckoutBatcher = GroupCommit<InsertArgs, Checkout>;

export function createCheckoutBatcher(db: Drizzle, options?: GroupCommitOptions): CheckoutBatcher {
  return createGroupCommit(
    (batch: InsertArgs[]) => insertBatchWithKeys(db, batch),
    (args) => args.orderId,
    options,
  );
}

function orderValues({ orderId, input, passwordHash, expiresAt, currency, risk, priced, docking }: InsertArgs) {
  return sql`${orderId}, p.shop_id, p.id, ${input.buyerAccountId ?? null}, ${input.contact ?? null}, ${passwordHash},
    ${input.quantity}, ${priced.unitPriceMinor}::bigint, ${priced.unitPriceMinor}::bigint * ${input.quantity} - ${priced.discountMinor}::bigint,
    ${currency}, ${input.paymentMethod}, ${input.idempotencyKey ?? null}, ${expiresAt}, ${input.clientAddress ?? null}, ${risk?.score ?? null},
    ${riskReasonsJson(risk)}::jsonb, ${input.deviceId ?? null}, ${walletOf(input)}, ${riskReviewOf(risk)}, ${priced.discountMinor}::bigint, ${priced.pricing}::jsonb,
    ${docking?.share.supplierShopId ?? null}::bigint, ${docking?.share.wholesaleMinor ?? null}::bigint,
    ${priced.fx?.priceCurrency ?? null}, ${priced.fx?.priceAmountMinor ?? null}::bigint, ${priced.fx?.rate ?? null}::numeric`;
}

const orderColumns = sql.raw(`(id, shop_id, product_id, buyer_account_id, contact, query_password_hash, quantity,
  unit_price_minor, amount_minor, currency, payment_method, idempotency_key, expires_at, client_address,
  risk_score, risk_reasons, device_id, wallet_address, risk_review, discount_minor, pricing, supplier_shop_id, wholesale_minor,
  price_currency, price_amount_minor, fx_rate)`);

const riskReasonsJson = (risk: CheckoutRisk | undefined) => (risk ? JSON.stringify(risk.reasons) : null);
const riskReviewOf = (risk: CheckoutRisk | undefined) => (risk?.review ? "pending" : null);
const walletOf = (input: CreateOrderInput) => input.walletAddress?.toLowerCase() ?? null;

/** One checkout alone (a batch of one): its new order row, its refusal, or nothing when the stock was not there. */
export async function insertWithKeys(db: Drizzle, args: InsertArgs): Promise<Checkout | undefined> {
  return (await insertBatchWithKeys(db, [args]))[0];
}

/**
 * Runs `insert` for the checkouts that fit under the unpaid-order limits, in one transaction that
 * first locks their subjects and counts their open unpaid orders (api/services/orders/unpaidHolds.ts).
 * Answers each checkout in order: its row, its refusal, or undefined when it was not served.
 */
async function withinHoldLimits(
  db: Drizzle,
  batch: readonly InsertArgs[],
  insert: (tx: Drizzle, admitted: InsertArgs[]) => Promise<OrderRow[]>,
): Promise<(Checkout | undefined)[]> {
  return db.transaction(async (tx) => {
    const callers = batch.map((args) => args.input);
    await lockHoldSubjects(tx, callers);
    // All of a batch's checkouts come from one configuration: the first one's limits are everyone's.
    const refusals = holdRefusals(callers, await countOpenHolds(tx, callers), batch[0]!.limits);
    const admitted = batch.filter((_, index) => refusals[index] === undefined);
    const created = new Map((admitted.length === 0 ? [] : await insert(tx, admitted)).map((row) => [row.id, row]));
    return batch.map((args, index) => refusals[index] ?? created.get(args.orderId));
  });
}

/**
 * Checkouts of automatic products in one statement (any number, one alone included). Each product's
 * candidate keys are locked at once (as many as its checkouts ask for, SKIP LOCKED) and
 * handed out in the order the checkouts arrived; a checkout is served only when its whole
 * quantity is there, and the order row of one that is not is never inserted. Answers each
 * checkout in order: its new order row, or undefined when it was not served. A product paused
 * since the checkout read it (a cached read) serves nothing and reserves nothing.
 */
async function insertBatchWithKeys(db: Drizzle, batch: readonly InsertArgs[]): Promise<(Checkout | undefined)[]> {
  return withinHoldLimits(db, batch, insertAdmittedWithKeys);
}

async function insertAdmittedWithKeys(db: Drizzle, batch: readonly InsertArgs[]): Promise<OrderRow[]> {
  const column = <T>(pick: (args: InsertArgs) => T) => batch.map(pick);
  return queryPreparedRows<OrderRow>(
    db,
    "checkout_batch_with_keys",
    sql`WITH req AS (
          SELECT * FROM unnest(${textArrayLiteral(column((args) => args.orderId))}::text[],
                               ${integerArrayLiteral(column((args) => args.input.productId))}::bigint[],
                               ${integerArrayLiteral(column((args) => args.input.quantity))}::int[],
                               ${textArrayLiteral(column((args) => (args.input.buyerAccountId === undefined ? null : String(args.input.buyerAccountId))))}::bigint[],
                               ${textArrayLiteral(column((args) => args.input.contact ?? null))}::text[],
                               ${byteaArrayLiteral(column((args) => args.passwordHash))}::bytea[],
                               ${textArrayLiteral(column((args) => args.input.paymentMethod))}::text[],
                               ${textArrayLiteral(column((args) => args.input.idempotencyKey ?? null))}::text[],
                               ${textArrayLiteral(column((args) => args.expiresAt.toISOString()))}::timestamptz[],
                               ${textArrayLiteral(column((args) => args.input.clientAddress ?? null))}::text[],
                               ${integerArrayLiteralOrNull(column((args) => args.risk?.score ?? null))}::int[],
                               ${textArrayLiteral(column((args) => riskReasonsJson(args.risk)))}::jsonb[],
                               ${textArrayLiteral(column((args) => args.input.deviceId ?? null))}::text[],
                               ${textArrayLiteral(column((args) => walletOf(args.input)))}::text[],
                               ${textArrayLiteral(column((args) => riskReviewOf(args.risk)))}::text[],
                               ${integerArrayLiteral(column((args) => args.priced.unitPriceMinor))}::bigint[],
                               ${integerArrayLiteral(column((args) => args.priced.discountMinor))}::bigint[],
                               ${textArrayLiteral(column((args) => args.priced.pricing))}::jsonb[],
                               ${integerArrayLiteral(column((args) => args.docking?.stockProductId ?? args.input.productId))}::bigint[],
                               ${textArrayLiteral(column((args) => nullableText(args.docking?.share.supplierShopId)))}::bigint[],
                               ${textArrayLiteral(column((args) => nullableText(args.docking?.share.wholesaleMinor)))}::bigint[],
                               ${integerArrayLiteral(column((args) => args.docking?.poolProductId ?? args.input.productId))}::bigint[],
                               ${textArrayLiteral(column((args) => args.currency))}::text[],
                               ${textArrayLiteral(column((args) => args.priced.fx?.priceCurrency ?? null))}::text[],
                               ${textArrayLiteral(column((args) => nullableText(args.priced.fx?.priceAmountMinor)))}::bigint[],
                               ${textArrayLiteral(column((args) => args.priced.fx?.rate ?? null))}::numeric[])
                 WITH ORDINALITY AS r(order_id, product_id, quantity, buyer_account_id, contact, query_password_hash,
                                      payment_method, idempotency_key, expires_at, client_address,
                                      risk_score, risk_reasons, device_id, wallet_address, risk_review,
                                      unit_price_minor, discount_minor, pricing, stock_product_id, supplier_shop_id, wholesale_minor, pool_id,
                                      currency, price_currency, price_amount_minor, fx_rate, arrival)
        ),
        -- Keys are taken from the stock product: the product itself, or for a docked listing its
        -- supplier's product (docs/docking.md), so a reseller's and the supplier's checkouts
        -- contend for the same key rows and never take one twice. Within it, from one pool
        -- (coalesce(allocated_product_id, product_id)): a listing that restocks automatically
        -- takes only the keys allocated to it, everyone else only unallocated ones. Pools are
        -- disjoint, so no key is a candidate of two pools in this statement.
        candidates AS (
          SELECT k.id, need.pool_id, row_number() OVER (PARTITION BY need.pool_id ORDER BY k.id) AS position
          FROM (SELECT pool_id, stock_product_id, sum(quantity) AS wanted FROM req GROUP BY pool_id, stock_product_id) need
          CROSS JOIN LATERAL (
            SELECT id FROM keys WHERE coalesce(keys.allocated_product_id, keys.product_id) = need.pool_id AND status = 'available'
              AND ${keyBatchReleased("keys")}
            ORDER BY id LIMIT need.wanted FOR UPDATE SKIP LOCKED
          ) k
        ),
        served AS (
          SELECT req.*, p.shop_id FROM (
            SELECT req.*, sum(quantity) OVER (PARTITION BY pool_id ORDER BY arrival) - quantity AS taken_before FROM req
          ) req JOIN products p ON p.id = req.product_id AND p.status = 'active'
          WHERE req.taken_before + req.quantity <= (SELECT count(*) FROM candidates c WHERE c.pool_id = req.pool_id)
            -- A supplier that stopped supplying (or paused its product) since the checkout read the offer serves no docked order.
            AND (req.supplier_shop_id IS NULL OR EXISTS (
              SELECT 1 FROM docking_offers d JOIN products sp ON sp.id = d.product_id
              WHERE d.product_id = req.stock_product_id AND d.state = 'active' AND sp.status = 'active'))
        ),
        reserved AS (
          UPDATE keys SET status = 'reserved', order_id = s.order_id, reserved_until = s.expires_at
          FROM candidates c JOIN served s ON s.pool_id = c.pool_id
            AND c.position > s.taken_before AND c.position <= s.taken_before + s.quantity
          WHERE keys.id = c.id
          RETURNING keys.order_id
        ),
        inserted AS (
          INSERT INTO orders ${orderColumns}
          SELECT order_id, shop_id, product_id, buyer_account_id, contact, query_password_hash, quantity,
                 unit_price_minor, unit_price_minor * quantity - discount_minor, currency, payment_method, idempotency_key, expires_at,
                 client_address, risk_score, risk_reasons, device_id, wallet_address, risk_review, discount_minor, pricing,
                 supplier_shop_id, wholesale_minor, price_currency, price_amount_minor, fx_rate
          FROM served
          RETURNING *
        )
        SELECT * FROM inserted WHERE (SELECT count(*) FROM reserved r WHERE r.order_id = inserted.id) = inserted.quantity`,
  );
}

const nullableText = (value: bigint | undefined) => (value === undefined ? null : String(value));

/** int[] with NULLs (the risk score of a checkout assessed without risk rules). */
function integerArrayLiteralOrNull(values: readonly (number | null)[]): string {
  return textArrayLiteral(values.map((value) => (value === null ? null : String(Math.trunc(value)))));
}

async function insertManual(db: Drizzle, args: InsertArgs): Promise<Checkout | undefined> {
  return (await withinHoldLimits(db, [args], async (tx, [admitted]) => (admitted ? await insertAdmittedManual(tx, admitted) : [])))[0];
}

async function insertAdmittedManual(db: Drizzle, args: InsertArgs): Promise<OrderRow[]> {
  const { input } = args;
  return queryRows<OrderRow>(
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

/** The order under an idempotency key, with the code of the coupon its price used (none: null). */
async function findByIdempotencyKey(db: Drizzle, shopId: bigint, key: string): Promise<ReplayedOrder | undefined> {
  const row = await queryOne<OrderRow & { pricing: { coupon: { code: string } | null } | null }>(
    db,
    sql`SELECT * FROM orders WHERE shop_id = ${shopId} AND idempotency_key = ${key}`,
  );
  return row ? { order: orderRecord(row), couponCode: row.pricing?.coupon?.code ?? null } : undefined;
}

type ReplayedOrder = { order: OrderRecord; couponCode: string | null };

/**
 * A replay gets the original order only when it comes from the same caller with the same
 * parameters: the same account, or for a guest the same contact AND query password (checked
 * against the order's hash, as the look-up does). Anything else is a conflict that reveals
 * nothing of the order, never somebody else's order and access token.
 */
function sameRequestOrConflict(replayed: ReplayedOrder, input: CreateOrderInput, pepper: string): OrderRecord {
  const existing = replayed.order;
  const sameCaller =
    existing.buyerAccountId === (input.buyerAccountId ?? null) &&
    existing.contact === (input.contact ?? null) &&
    (existing.queryPasswordHash === null
      ? input.queryPassword === undefined
      : input.queryPassword !== undefined && checkQueryPassword(pepper, existing.id, input.queryPassword, existing.queryPasswordHash));
  // The currency asked is a parameter: a replay asking another (or none, for a converted order) is not the same request.
  const sameCurrency = input.currency === undefined ? existing.priceCurrency === null : input.currency === existing.currency;
  const sameParameters =
    existing.productId === input.productId && existing.quantity === input.quantity && existing.paymentMethod === input.paymentMethod && sameCurrency;
  if (!sameCaller || !sameParameters) {
    throw new AppError("idempotency_conflict", "This Idempotency-Key was used by another caller or for a different order. Use a new key for a new order.");
  }
  // The coupon is a parameter too: a replay must not pass for an order priced with another
  // coupon (or none), whose answer would show a price the buyer did not ask for. Codes compare
  // as the coupon look-up does (trimmed, upper-case).
  const couponAsked = input.couponCode ? input.couponCode.trim().toUpperCase() : null;
  if (couponAsked !== replayed.couponCode) {
    throw new AppError(
      "idempotency_conflict",
      `This Idempotency-Key was used for an order ${replayed.couponCode === null ? "without a coupon" : "with another coupon"}. Send the same coupon as the first request, or use a new key for a new order.`,
      { details: [{ path: "couponCode" }] },
    );
  }
  return existing;
}
