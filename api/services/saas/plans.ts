// Plans (docs/saas.md, "Plans and fees"): a fee rate per sale and limits on what a shop may hold.
// The fee is fixed on each order when it is created (migration 1400's orders_fix_platform_fee),
// so a plan change applies from the next sale. Limits are checked where things are created,
// under the shop row's lock, so concurrent creations of one shop take turns.
import { AppError } from "../../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";

export type PlanView = {
  code: string;
  name: string;
  /** null: the platform's PLATFORM_FEE_BPS. */
  feeBps: number | null;
  productsMax: number;
  keysMax: number;
  apiKeysMax: number;
  webhooksMax: number;
  substoresMax: number;
};

type PlanRow = {
  code: string;
  name: string;
  fee_bps: number | null;
  products_max: number;
  keys_max: number;
  api_keys_max: number;
  webhooks_max: number;
  substores_max: number;
};

const planView = (row: PlanRow): PlanView => ({
  code: row.code,
  name: row.name,
  feeBps: row.fee_bps === null ? null : Number(row.fee_bps),
  productsMax: Number(row.products_max),
  keysMax: Number(row.keys_max),
  apiKeysMax: Number(row.api_keys_max),
  webhooksMax: Number(row.webhooks_max),
  substoresMax: Number(row.substores_max),
});

export async function listPlans(db: Drizzle): Promise<PlanView[]> {
  return (await queryRows<PlanRow>(db, sql`SELECT * FROM plans ORDER BY code`)).map(planView);
}

/** An admin edits a plan (call it through auditedChange); answers the plan before and after. */
export async function updatePlan(tx: Drizzle, code: string, changes: Omit<PlanView, "code">): Promise<{ before: PlanView; after: PlanView }> {
  const before = await queryOne<PlanRow>(tx, sql`SELECT * FROM plans WHERE code = ${code} FOR UPDATE`);
  if (!before) throw new AppError("not_found", `No plan "${code}".`);
  const after = await queryOne<PlanRow>(
    tx,
    sql`UPDATE plans SET name = ${changes.name}, fee_bps = ${changes.feeBps}, products_max = ${changes.productsMax}, keys_max = ${changes.keysMax},
          api_keys_max = ${changes.apiKeysMax}, webhooks_max = ${changes.webhooksMax}, substores_max = ${changes.substoresMax}, updated_at = now()
        WHERE code = ${code} RETURNING *`,
  );
  return { before: planView(before), after: planView(after!) };
}

export type ShopUsage = { products: number; keysInStock: number; substores: number };

/** What the shop holds that plans and verification levels limit. Keys in stock: available + pending (not yet anchored). */
export async function shopUsage(db: Drizzle, shopId: bigint): Promise<ShopUsage> {
  const row = await queryOne<{ products: string; keys: string; substores: string }>(
    db,
    sql`SELECT (SELECT count(*) FROM products WHERE shop_id = ${shopId}) AS products,
               (SELECT coalesce(sum(s.available + s.pending), 0) FROM product_stock s JOIN products p ON p.id = s.product_id WHERE p.shop_id = ${shopId}) AS keys,
               (SELECT count(*) FROM substores WHERE shop_id = ${shopId}) AS substores`,
  );
  return { products: Number(row!.products), keysInStock: Number(row!.keys), substores: Number(row!.substores) };
}

/** Locks the shop row (creations of one shop take turns) and reads its plan. */
export async function lockShopPlan(tx: Drizzle, shopId: bigint): Promise<PlanView & { verificationLevel: VerificationLevel }> {
  const row = await queryOne<PlanRow & { verification_level: VerificationLevel }>(
    tx,
    sql`SELECT p.*, s.verification_level FROM shops s JOIN plans p ON p.code = s.plan_code WHERE s.id = ${shopId} FOR UPDATE OF s`,
  );
  if (!row) throw new AppError("not_found", `No shop ${shopId}.`);
  return { ...planView(row), verificationLevel: row.verification_level };
}

export type VerificationLevel = "unverified" | "verified" | "business";
export type PlanLimit = "products" | "keys" | "substores";

/** Refuses one more product or sub-store, or `adding` more keys, beyond the shop's plan (409 plan_limit_exceeded). Call under lockShopPlan. */
export function assertPlanRoom(plan: PlanView, usage: ShopUsage, limit: PlanLimit, adding: number): void {
  const [used, max] =
    limit === "products" ? [usage.products, plan.productsMax] : limit === "keys" ? [usage.keysInStock, plan.keysMax] : [usage.substores, plan.substoresMax];
  if (used + adding <= max) return;
  throw new AppError(
    "plan_limit_exceeded",
    `The ${plan.name} plan allows at most ${max} ${limit === "keys" ? "keys in stock" : limit === "products" ? "products" : "sub-stores"} (the shop has ${used}, this adds ${adding}). Upgrade the plan or remove some first.`,
    { details: { limit, max, used, adding, plan: plan.code } },
  );
}

/** Checks a new product against the shop's plan, in the creating transaction. */
export async function assertProductRoom(tx: Drizzle, shopId: bigint): Promise<void> {
  const plan = await lockShopPlan(tx, shopId);
  assertPlanRoom(plan, await shopUsage(tx, shopId), "products", 1);
}

/** Checks a new sub-store against the shop's plan, in the creating transaction. */
export async function assertSubstoreRoom(tx: Drizzle, shopId: bigint): Promise<void> {
  const plan = await lockShopPlan(tx, shopId);
  assertPlanRoom(plan, await shopUsage(tx, shopId), "substores", 1);
}

/**
 * Moves a shop to another plan (call through auditedChange). A plan whose limits are below what
 * the shop holds is refused (409 plan_downgrade_below_usage, nothing changes); the fee applies to
 * orders created from now on.
 */
export async function changeShopPlan(tx: Drizzle, shopId: bigint, code: string): Promise<{ from: string; to: string }> {
  const current = await lockShopPlan(tx, shopId);
  const target = await queryOne<PlanRow>(tx, sql`SELECT * FROM plans WHERE code = ${code}`);
  if (!target) throw new AppError("not_found", `No plan "${code}". GET /api/plans lists them.`);
  const usage = await shopUsage(tx, shopId);
  const plan = planView(target);
  const over = (
    [
      ["products", usage.products, plan.productsMax],
      ["keys", usage.keysInStock, plan.keysMax],
      ["substores", usage.substores, plan.substoresMax],
    ] as const
  ).filter(([, used, max]) => used > max);
  if (over.length > 0) {
    throw new AppError(
      "plan_downgrade_below_usage",
      `The shop holds more than the ${plan.name} plan allows (${over.map(([name, used, max]) => `${name}: ${used} > ${max}`).join(", ")}). Remove some first, then change the plan.`,
      { details: { plan: plan.code, over: over.map(([limit, used, max]) => ({ limit, used, max })) } },
    );
  }
  await tx.execute(sql`UPDATE shops SET plan_code = ${code} WHERE id = ${shopId}`);
  return { from: current.code, to: code };
}
