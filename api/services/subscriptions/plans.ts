// A product's subscription plan (docs/subscriptions.md): the merchant sells the product per
// period and chooses the delivery. The product's price is the price of one period.
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import type { AuthenticatedAccount } from "../accounts/sessions.ts";
import { getProduct } from "../products/products.ts";
import { assertShopManager } from "../shops/shops.ts";
import { periodSeconds, type SubscriptionDelivery, type SubscriptionPeriod } from "./subscriptionRules.ts";

export type SubscriptionPlanView = {
  productId: string;
  period: SubscriptionPeriod;
  periodSeconds: number;
  delivery: SubscriptionDelivery;
  graceDays: number;
  periodPriceMinor: string;
  currency: string;
};

type PlanRow = {
  product_id: bigint;
  period: SubscriptionPeriod;
  period_seconds: number;
  delivery: SubscriptionDelivery;
  grace_days: number;
  price_minor: bigint;
  currency: string;
};

function planView(row: PlanRow): SubscriptionPlanView {
  return {
    productId: String(row.product_id),
    period: row.period,
    periodSeconds: row.period_seconds,
    delivery: row.delivery,
    graceDays: row.grace_days,
    periodPriceMinor: String(row.price_minor),
    currency: row.currency,
  };
}

export async function findPlan(db: Drizzle, productId: bigint): Promise<SubscriptionPlanView | undefined> {
  const row = await queryOne<PlanRow>(
    db,
    sql`SELECT s.product_id, s.period, s.period_seconds, s.delivery, s.grace_days, p.price_minor, p.currency
        FROM subscription_plans s JOIN products p ON p.id = s.product_id WHERE s.product_id = ${productId}`,
  );
  return row ? planView(row) : undefined;
}

export async function getPlan(db: Drizzle, productId: bigint): Promise<SubscriptionPlanView> {
  const plan = await findPlan(db, productId);
  if (!plan) throw new AppError("not_found", `Product ${productId} is not sold by subscription.`);
  return plan;
}

/**
 * Sets (or changes) a product's plan. Every entitlement an order of the product issues to an
 * account starts one subscription. Changes apply to subscriptions started afterwards; running
 * ones keep their period, price and grace.
 */
export async function setPlan(
  db: Drizzle,
  account: AuthenticatedAccount,
  productId: bigint,
  input: { period: SubscriptionPeriod; delivery: SubscriptionDelivery; graceDays: number },
): Promise<SubscriptionPlanView> {
  const product = await getProduct(db, productId);
  await assertShopManager(db, BigInt(product.shopId), account);
  if (product.deliveryMode !== "automatic") {
    throw new AppError("validation_failed", "A subscription product needs automatic delivery: each period's entitlement is issued by the platform.");
  }
  if (input.delivery === "key_per_period") {
    // Each renewal sells the product's own next key (deliverPeriod.ts); a docked listing's keys are its
    // supplier's, and a renewal posts no wholesale legs, so it is not offered there.
    const docked = await queryOne<{ id: bigint }>(db, sql`SELECT id FROM products WHERE id = ${productId} AND supply_product_id IS NOT NULL`);
    if (docked) {
      throw new AppError(
        "validation_failed",
        "Delivery 'key_per_period' needs the product's own keys; this product is a docked listing of another shop's keys. Choose 'credential'.",
      );
    }
  }
  await db.execute(
    sql`INSERT INTO subscription_plans (product_id, period, period_seconds, delivery, grace_days)
        VALUES (${productId}, ${input.period}, ${periodSeconds[input.period]}, ${input.delivery}, ${input.graceDays})
        ON CONFLICT (product_id) DO UPDATE SET period = EXCLUDED.period, period_seconds = EXCLUDED.period_seconds,
          delivery = EXCLUDED.delivery, grace_days = EXCLUDED.grace_days, updated_at = now()`,
  );
  return getPlan(db, productId);
}
