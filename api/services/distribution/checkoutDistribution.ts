// What a checkout owes its distributors (docs/distribution.md), decided once and stored with the
// order: the sub-store agent's markup per unit (added to the merchant's unit price after
// pricing) and the buyer's referrers with the rates of their levels. The sale's ledger entry
// reads it back from the order (api/ledger/distributionLegs.ts).
import { AppError } from "../../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { collectionOf } from "../../ledger/flows.ts";
import type { DistributionShares } from "../../ledger/distributionLegs.ts";
import { commissionRatesSql } from "./commissions.ts";
import { referrerChainSql } from "./referrals.ts";

export type CheckoutDistributionInput = {
  productId: bigint;
  quantity: number;
  buyerAccountId?: bigint;
  paymentMethod: "epay" | "chain";
  /** The slug of the sub-store the buyer checks out in, if any. */
  substore?: string;
};

export type CheckoutDistribution = { unitMarkupMinor: bigint; shares: DistributionShares | null };

const none: CheckoutDistribution = { unitMarkupMinor: 0n, shares: null };

/**
 * `docked`: the product is a docked listing (docs/docking.md). Its sale pays the supplier its
 * wholesale out of the reseller's share, and commissions are a share of the reseller's net before
 * that: both together could exceed what the buyer paid, leaving the reseller's payable negative and
 * the platform paying distributors and supplier money it never received. So a docked sale is never
 * distributed: a sub-store checkout of it is refused, and it pays referrers no commission.
 */
export async function checkoutDistribution(db: Drizzle, shopId: bigint, input: CheckoutDistributionInput, docked = false): Promise<CheckoutDistribution> {
  if (docked) {
    if (input.substore) {
      throw new AppError("docking_not_distributed", "A docked product is not sold through sub-stores; buy it from the shop itself.", {
        details: [{ path: "substore" }],
      });
    }
    return none;
  }
  // Distributors are paid from money the platform holds: a sale on the merchant's own gateway
  // never reaches the platform, so it can carry no markup and pays no commission.
  const platformCollected = collectionOf(input.paymentMethod) === "platform";
  // A signed-in buyer's sub-store checkout (the common distributed sale) reads the agent and the
  // referrers in one round trip; the refusals below come in the same order either way.
  const both =
    input.substore && platformCollected && input.buyerAccountId !== undefined
      ? await agentAndReferrersOf(db, shopId, input.substore, input.productId, input.buyerAccountId)
      : undefined;
  const agent = both ? agentOf(both.agentRow, input.substore!) : input.substore ? await substoreAgent(db, shopId, input.substore, input.productId) : null;
  if (agent && !platformCollected) {
    throw new AppError(
      "distribution_needs_platform_payment",
      "Sub-store orders are paid through the platform (paymentMethod chain); the merchant's own gateway cannot pay the agent.",
      { details: [{ path: "paymentMethod" }] },
    );
  }
  if (!platformCollected) return none;
  const referrers = both ? both.referrers : input.buyerAccountId === undefined ? [] : await referrersOf(db, shopId, input.productId, input.buyerAccountId);
  if (!agent && referrers.length === 0) return none;
  return {
    unitMarkupMinor: agent?.unitMarkupMinor ?? 0n,
    shares: {
      agent: agent && { accountId: agent.accountId, substoreId: agent.substoreId, markupMinor: agent.unitMarkupMinor * BigInt(input.quantity) },
      referrers,
    },
  };
}

/**
 * A quote in a sub-store (the quote endpoint's `substore`): the agent's markup per unit and in
 * all, and the total checkout charges there, which is the pricing function's total plus the
 * markup on every unit (the order's unit price is the quote's plus the markup: pricedColumns in
 * createOrder). Refused as checkout refuses it: an unknown sub-store, a product it does not
 * carry within the current bounds, a docked product.
 */
export async function substoreQuote(
  db: Drizzle,
  parameters: { shopId: bigint; productId: bigint; slug: string; quantity: number; totalMinor: bigint; docked: boolean },
): Promise<{ slug: string; markupPerUnitMinor: string; markupMinor: string; totalMinor: string }> {
  const { unitMarkupMinor } = await checkoutDistribution(
    db,
    parameters.shopId,
    { productId: parameters.productId, quantity: parameters.quantity, paymentMethod: "chain", substore: parameters.slug },
    parameters.docked,
  );
  const markupMinor = unitMarkupMinor * BigInt(parameters.quantity);
  return {
    slug: parameters.slug,
    markupPerUnitMinor: String(unitMarkupMinor),
    markupMinor: String(markupMinor),
    totalMinor: String(parameters.totalMinor + markupMinor),
  };
}

type AgentRow = { id: bigint; agent_account_id: bigint; markup_minor: string | null; within: boolean | null };
type ReferrerRow = { referrer_account_id: string; depth: number; bps: number | null };

/** The sub-store's agent and markup, when it carries the product within the merchant's current bounds. */
async function substoreAgent(db: Drizzle, shopId: bigint, slug: string, productId: bigint) {
  const row = await queryOne<AgentRow>(
    db,
    sql`SELECT s.id, s.agent_account_id, sp.markup_minor::text AS markup_minor,
               (sp.markup_minor BETWEEN b.markup_min_minor AND b.markup_max_minor) AS within
        FROM substores s
        LEFT JOIN substore_products sp ON sp.substore_id = s.id AND sp.product_id = ${productId}
        LEFT JOIN agent_markup_bounds b ON b.product_id = ${productId}
        WHERE s.slug = ${slug} AND s.shop_id = ${shopId}`,
  );
  return agentOf(row, slug);
}

function agentOf(row: AgentRow | undefined, slug: string) {
  if (!row) throw new AppError("not_found", `No sub-store "${slug}" sells this shop's products.`);
  // Bounds the merchant narrowed or removed since the agent set its markup stop the sale there.
  if (row.markup_minor === null || row.within !== true) {
    throw new AppError("product_not_carried", `Sub-store "${slug}" does not sell this product. Buy it in the shop itself or choose another product.`);
  }
  return { substoreId: BigInt(row.id), accountId: BigInt(row.agent_account_id), unitMarkupMinor: BigInt(row.markup_minor) };
}

/** substoreAgent and referrersOf in one round trip: the agent's row (none: no such sub-store) and the referrers with their rates. */
async function agentAndReferrersOf(db: Drizzle, shopId: bigint, slug: string, productId: bigint, buyerAccountId: bigint) {
  const row = await queryOne<{ agent: AgentRow | null; referrers: ReferrerRow[] }>(
    db,
    sql`WITH RECURSIVE ${referrerChainSql(shopId, buyerAccountId)},
             rates AS (${commissionRatesSql(shopId, productId)})
        SELECT (SELECT json_build_object('id', s.id::text, 'agent_account_id', s.agent_account_id::text, 'markup_minor', sp.markup_minor::text,
                                         'within', (sp.markup_minor BETWEEN b.markup_min_minor AND b.markup_max_minor))
                FROM substores s
                LEFT JOIN substore_products sp ON sp.substore_id = s.id AND sp.product_id = ${productId}
                LEFT JOIN agent_markup_bounds b ON b.product_id = ${productId}
                WHERE s.slug = ${slug} AND s.shop_id = ${shopId}) AS agent,
               (SELECT coalesce(json_agg(json_build_object('referrer_account_id', up.referrer_account_id::text, 'depth', up.depth,
                                                          'bps', (SELECT CASE up.depth WHEN 1 THEN level1_bps WHEN 2 THEN level2_bps ELSE level3_bps END FROM rates))
                                         ORDER BY up.depth), '[]'::json)
                FROM up) AS referrers`,
  );
  return { agentRow: row!.agent ?? undefined, referrers: referrersFrom(row!.referrers, buyerAccountId) };
}

/** The buyer's referrers (up to three levels) with their levels' rates, in one round trip. */
async function referrersOf(db: Drizzle, shopId: bigint, productId: bigint, buyerAccountId: bigint): Promise<DistributionShares["referrers"]> {
  const chain = await queryRows<ReferrerRow>(
    db,
    sql`WITH RECURSIVE ${referrerChainSql(shopId, buyerAccountId)},
             rates AS (${commissionRatesSql(shopId, productId)})
        SELECT up.referrer_account_id::text, up.depth,
               (SELECT CASE up.depth WHEN 1 THEN level1_bps WHEN 2 THEN level2_bps ELSE level3_bps END FROM rates) AS bps
        FROM up ORDER BY up.depth`,
  );
  return referrersFrom(chain, buyerAccountId);
}

function referrersFrom(chain: readonly ReferrerRow[], buyerAccountId: bigint): DistributionShares["referrers"] {
  return chain
    .slice(0, 3)
    .map((row) => ({ accountId: BigInt(row.referrer_account_id), level: row.depth as 1 | 2 | 3, bps: row.bps ?? 0 }))
    .filter((referrer) => referrer.bps > 0 && referrer.accountId !== buyerAccountId);
}
