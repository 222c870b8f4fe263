// Plans (docs/saas.md, "Plans and fees"): a fee rate per sale and limits on what a shop may hold.
// The fee is fixed on each order when it is created (migration 1400's orders_fix_platform_fee),
// so a plan change applies from the next sale. Limits are checked where things are created,
// under the shop row's lock, so concurrent creations of one shop take turns.
import { AppError } from "../../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { liveApiKeyCount } from "../apiKeys/liveApiKeys.ts";

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

/** An admin adds a plan (call it through auditedChange); a code already used: 409 conflict, nothing written. */
export async function createPlan(tx: Drizzle, plan: PlanView): Promise<PlanView> {
  const created = await queryOne<PlanRow>(
    tx,
    sql`INSERT INTO plans (code, name, fee_bps, products_max, keys_max, api_keys_max, webhooks_max, substores_max)
        VALUES (${plan.code}, ${plan.name}, ${plan.feeBps}, ${plan.productsMax}, ${plan.keysMax}, ${plan.apiKeysMax}, ${plan.webhooksMax}, ${plan.substoresMax})
        ON CONFLICT (code) DO NOTHING RETURNING *`,
  );
  if (!created) throw new AppError("conflict", `A plan "${plan.code}" already exists: edit it instead (PUT /api/admin/plans/${plan.code}).`);
  return planView(created);
}

export type ShopUsage = { products: number; keysInStock: number; substores: number; webhooks: number };

/** What the shop holds that plans and verification levels limit. Keys in stock: available + pending (not yet anchored). */
export async function shopUsage(db: Drizzle, shopId: bigint): Promise<ShopUsage> {
  const row = await queryOne<{ products: string; keys: string; substores: string; webhooks: string }>(
    db,
    sql`SELECT (SELECT count(*) FROM products WHERE shop_id = ${shopId}) AS products,
               (SELECT coalesce(sum(s.available + s.pending), 0) FROM product_stock s JOIN products p ON p.id = s.product_id WHERE p.shop_id = ${shopId} AND p.supply_product_id IS NULL) AS keys,
               (SELECT count(*) FROM substores WHERE shop_id = ${shopId}) AS substores,
               (SELECT count(*) FROM webhook_endpoints WHERE shop_id = ${shopId} AND active) AS webhooks`,
  );
  return { products: Number(row!.products), keysInStock: Number(row!.keys), substores: Number(row!.substores), webhooks: Number(row!.webhooks) };
}

/**
 * The live API keys of the shop's owner: the usage the plan's API keys limit is held against on
 * the usage screen (the limit is the account's, docs/saas.md "API keys"; agents' keys are theirs).
 */
export async function ownerLiveApiKeys(db: Drizzle, shopId: bigint): Promise<number> {
  const row = await queryOne<{ used: number }>(db, sql`SELECT ${liveApiKeyCount(sql`s.owner_account_id`)} AS used FROM shops s WHERE s.id = ${shopId}`);
  return Number(row?.used ?? 0);
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
export type PlanLimit = "products" | "keys" | "substores" | "webhooks";

/** Each shop limit: what it counts in ShopUsage, its maximum in the plan, and how messages name it. */
const shopLimits: Record<PlanLimit, { used: (usage: ShopUsage) => number; max: (plan: PlanView) => number; noun: string; makeRoom: string }> = {
  products: { used: (usage) => usage.products, max: (plan) => plan.productsMax, noun: "products", makeRoom: "remove some first" },
  keys: { used: (usage) => usage.keysInStock, max: (plan) => plan.keysMax, noun: "keys in stock", makeRoom: "remove some first" },
  substores: { used: (usage) => usage.substores, max: (plan) => plan.substoresMax, noun: "sub-stores", makeRoom: "remove some first" },
  // Paused endpoints get no deliveries, and there is no deletion: pausing one makes room.
  webhooks: { used: (usage) => usage.webhooks, max: (plan) => plan.webhooksMax, noun: "active webhook endpoints", makeRoom: "pause one first (active: false)" },
};

/** The one 409 plan_limit_exceeded of every plan limit, the shop's and the account's API keys alike. */
function planLimitExceeded(
  plan: PlanView,
  limit: PlanLimit | "apiKeys",
  noun: string,
  holder: string,
  figures: { max: number; used: number; adding: number },
  makeRoom: string,
): AppError {
  const { max, used, adding } = figures;
  return new AppError(
    "plan_limit_exceeded",
    `The ${plan.name} plan allows at most ${max} ${noun} (${holder} has ${used}, this adds ${adding}). Upgrade the plan or ${makeRoom}.`,
    { details: { limit, max, used, adding, plan: plan.code } },
  );
}

/** Refuses one more product, sub-store or active webhook endpoint, or `adding` more keys, beyond the shop's plan (409 plan_limit_exceeded). Call under lockShopPlan. */
export function assertPlanRoom(plan: PlanView, usage: ShopUsage, limit: PlanLimit, adding: number): void {
  const { used, max, noun, makeRoom } = shopLimits[limit];
  if (used(usage) + adding <= max(plan)) return;
  throw planLimitExceeded(plan, limit, noun, "the shop", { max: max(plan), used: used(usage), adding }, makeRoom);
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

/** Checks a new (or resumed) webhook endpoint against the shop's plan, in the creating transaction. */
export async function assertWebhookRoom(tx: Drizzle, shopId: bigint): Promise<void> {
  const plan = await lockShopPlan(tx, shopId);
  assertPlanRoom(plan, await shopUsage(tx, shopId), "webhooks", 1);
}

/** The plan a new shop starts on (shops.plan_code's default): the API keys allowance of an account tied to no shop. */
const startingPlanCode = "free";

/** The shops an account is tied to: those it owns (merchant) and those it sells for through a sub-store (agent). */
const shopsOfAccount = (accountId: ReturnType<typeof sql> | bigint) =>
  sql`SELECT id FROM shops WHERE owner_account_id = ${accountId} UNION SELECT shop_id FROM substores WHERE agent_account_id = ${accountId}`;

/**
 * The plan that sets an account's API keys allowance (docs/saas.md, "API keys"): the most generous
 * (highest api_keys_max) among the shops it is tied to, or the starting plan when it has none.
 * Call under the account row's lock (createApiKey). It share-locks those shops so that a plan
 * change (lockShopPlan's FOR UPDATE) and a key creation take turns: the change then counts the
 * new key, or the creation reads the new plan. The plans are read in a second statement, after
 * the lock, so it sees a plan_code changed meanwhile.
 */
export async function lockAccountKeyPlan(tx: Drizzle, accountId: bigint): Promise<PlanView> {
  await tx.execute(sql`SELECT id FROM shops WHERE id IN (${shopsOfAccount(accountId)}) ORDER BY id FOR SHARE OF shops`);
  const row = await queryOne<PlanRow>(
    tx,
    sql`SELECT p.* FROM plans p
        WHERE p.code IN (SELECT plan_code FROM shops WHERE id IN (${shopsOfAccount(accountId)}))
           OR (p.code = ${startingPlanCode} AND NOT EXISTS (SELECT 1 FROM shops WHERE id IN (${shopsOfAccount(accountId)})))
        ORDER BY p.api_keys_max DESC, p.code LIMIT 1`,
  );
  if (!row) throw new AppError("not_found", `No plan "${startingPlanCode}".`);
  return planView(row);
}

/** Refuses one more live API key beyond the account's plan (409 plan_limit_exceeded). Call under lockAccountKeyPlan. */
export function assertApiKeyRoom(plan: PlanView, liveKeys: number): void {
  if (liveKeys + 1 <= plan.apiKeysMax) return;
  throw planLimitExceeded(
    plan,
    "apiKeys",
    "live API keys per account",
    "this account",
    { max: plan.apiKeysMax, used: liveKeys, adding: 1 },
    "revoke one first",
  );
}

/**
 * The accounts tied to `shopId` (its owner, its agents) whose live API keys would exceed their
 * allowance if the shop were on `target`: the shop's plan taken as `target`, their other shops' as they are.
 */
async function apiKeysOverAfterChange(tx: Drizzle, shopId: bigint, target: PlanView): Promise<{ accountId: string; used: number; max: number }[]> {
  const rows = await queryRows<{ account_id: string; used: number; max: number }>(
    tx,
    sql`WITH tied AS (SELECT owner_account_id AS account_id FROM shops WHERE id = ${shopId} UNION SELECT agent_account_id FROM substores WHERE shop_id = ${shopId})
        SELECT t.account_id::text, ${liveApiKeyCount(sql`t.account_id`)} AS used,
               (SELECT max(CASE WHEN s.id = ${shopId} THEN ${target.apiKeysMax} ELSE p.api_keys_max END)::int
                FROM shops s JOIN plans p ON p.code = s.plan_code WHERE s.id IN (${shopsOfAccount(sql`t.account_id`)})) AS max
        FROM tied t ORDER BY t.account_id`,
  );
  return rows.filter((row) => Number(row.used) > Number(row.max)).map((row) => ({ accountId: row.account_id, used: Number(row.used), max: Number(row.max) }));
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
  const over: { limit: PlanLimit | "apiKeys"; used: number; max: number; account?: string }[] = (Object.keys(shopLimits) as PlanLimit[])
    .map((limit) => ({ limit, used: shopLimits[limit].used(usage), max: shopLimits[limit].max(plan) }))
    .filter(({ used, max }) => used > max);
  for (const account of await apiKeysOverAfterChange(tx, shopId, plan))
    over.push({ limit: "apiKeys", used: account.used, max: account.max, account: account.accountId });
  if (over.length > 0) {
    throw new AppError(
      "plan_downgrade_below_usage",
      `The shop holds more than the ${plan.name} plan allows (${over.map(({ limit, used, max, account }) => `${limit}${account ? ` of account ${account}` : ""}: ${used} > ${max}`).join(", ")}). Remove some first, then change the plan.`,
      { details: { plan: plan.code, over } },
    );
  }
  await tx.execute(sql`UPDATE shops SET plan_code = ${code} WHERE id = ${shopId}`);
  return { from: current.code, to: code };
}
