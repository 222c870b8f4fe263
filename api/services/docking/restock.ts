// Auto-restock of a docked listing (docs/docking.md, "Auto-restock"; issue 17 item 4): the
// reseller sets a rule; while it is enabled the listing sells only keys allocated to it, and when
// the allocation's available keys fall below the threshold the next keys of the supplier's product
// are allocated to it (docking_restock(), in the transaction of the sale that lowered them),
// within a cap of keys held at once and a budget of wholesale value. Disabling the rule (or the
// supplier stopping) gives the allocated keys back to the supplier's free stock.
import { AppError } from "../../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { recordAudit } from "../audit.ts";

export type RestockRuleInput = { threshold: number; batchKeys: number; maxKeys: number; budgetMinor: bigint; enabled: boolean };

export type RestockView = {
  listingProductId: string;
  supplyProductId: string;
  enabled: boolean;
  threshold: number;
  batchKeys: number;
  maxKeys: number;
  budgetRemainingMinor: string;
  restockedKeys: string;
  /** The allocation's available keys now (what the listing can sell). */
  allocatedAvailable: number;
  /** The newest restocks, newest first. */
  restocks: { keys: number; wholesaleUnitMinor: string; costMinor: string; reason: string; createdAt: string }[];
};

export const restockLimits = { keysMax: 10_000 } as const;

/** The rule's numbers, each refusal naming the field to change (nothing is written). */
export function assertRestockRule(rule: RestockRuleInput): void {
  const refuse = (path: string, message: string) => {
    throw new AppError("validation_failed", message, { details: [{ path, message }] });
  };
  if (rule.threshold < 1) refuse("threshold", "threshold must be at least 1 key.");
  if (rule.batchKeys < 1) refuse("batchKeys", "batchKeys must be at least 1 key.");
  if (rule.maxKeys > restockLimits.keysMax) refuse("maxKeys", `maxKeys must be at most ${restockLimits.keysMax} keys.`);
  if (rule.maxKeys < rule.batchKeys) refuse("maxKeys", "maxKeys (the most keys held at once) must be at least batchKeys.");
  if (rule.maxKeys < rule.threshold) refuse("maxKeys", "maxKeys must be at least the threshold, or the allocation could never reach it.");
  if (rule.budgetMinor < 0n) refuse("budgetMinor", "budgetMinor must not be negative.");
}

type ListingRow = { shop_id: bigint; supply_product_id: bigint | null };

async function lockedListing(tx: Drizzle, shopId: bigint, listingId: bigint): Promise<bigint> {
  const listing = await queryOne<ListingRow>(tx, sql`SELECT shop_id, supply_product_id FROM products WHERE id = ${listingId}`);
  if (!listing || BigInt(listing.shop_id) !== shopId) throw new AppError("not_found", `No product ${listingId} in shop ${shopId}.`);
  if (listing.supply_product_id === null) {
    throw new AppError("invalid_state", `Product ${listingId} is not a docked listing: auto-restock allocates a supplier's keys to a listing.`);
  }
  const supplyProductId = BigInt(listing.supply_product_id);
  await lockStockRows(tx, [supplyProductId, listingId]);
  return supplyProductId;
}

/**
 * Locks the product_stock rows of these products (created when missing), in id order: the order
 * every statement changing keys takes them in, then the rule rows. A sale's restock runs holding
 * the supplier's and the listing's rows, so everything that touches a rule takes those first.
 */
async function lockStockRows(tx: Drizzle, productIds: bigint[]): Promise<void> {
  const ids = [...new Set(productIds)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const id of ids) await tx.execute(sql`INSERT INTO product_stock (product_id) VALUES (${id}) ON CONFLICT (product_id) DO NOTHING`);
  await tx.execute(sql`SELECT 1 FROM product_stock WHERE product_id = ANY(${`{${ids.join(",")}}`}::bigint[]) ORDER BY product_id FOR UPDATE`);
}

/** Gives the keys allocated to these listings (not yet sold) back to their supplier's free stock. */
async function releaseAllocations(tx: Drizzle, where: ReturnType<typeof sql>): Promise<void> {
  await tx.execute(
    sql`UPDATE keys SET allocated_product_id = NULL WHERE allocated_product_id IS NOT NULL AND status IN ('available', 'reserved') AND ${where}`,
  );
}

/**
 * Sets (creates or replaces) a listing's restock rule. `budgetMinor` is the wholesale value the
 * rule may still allocate from now on. Enabled: the allocation is topped up at once when it is
 * below the threshold. Disabled: the allocation goes back to the supplier's free stock and the
 * listing sells from it again.
 */
export async function setRestockRule(
  db: Drizzle,
  parameters: { shopId: bigint; listingId: bigint; accountId: bigint; rule: RestockRuleInput },
): Promise<RestockView> {
  const { shopId, listingId, rule } = parameters;
  assertRestockRule(rule);
  return db.transaction(async (tx) => {
    await lockedListing(tx, shopId, listingId);
    await tx.execute(
      sql`INSERT INTO docking_restock_rules (listing_product_id, shop_id, threshold, batch_keys, max_keys, budget_remaining_minor, enabled)
          VALUES (${listingId}, ${shopId}, ${rule.threshold}, ${rule.batchKeys}, ${rule.maxKeys}, ${rule.budgetMinor}, ${rule.enabled})
          ON CONFLICT (listing_product_id) DO UPDATE SET threshold = excluded.threshold, batch_keys = excluded.batch_keys,
            max_keys = excluded.max_keys, budget_remaining_minor = excluded.budget_remaining_minor, enabled = excluded.enabled, updated_at = now()`,
    );
    if (rule.enabled) await tx.execute(sql`SELECT docking_restock(${listingId}, 'rule_set')`);
    else await releaseAllocations(tx, sql`allocated_product_id = ${listingId}`);
    await recordAudit(tx, {
      accountId: parameters.accountId,
      action: "docking.restock_rule",
      subject: `product:${listingId}`,
      details: { shopId: String(shopId), ...rule, budgetMinor: String(rule.budgetMinor) },
    });
    return readRestock(tx, listingId);
  });
}

/** The listing's rule, allocation and newest restocks; a listing without a rule answers 404. */
export async function getRestock(db: Drizzle, shopId: bigint, listingId: bigint): Promise<RestockView> {
  const owner = await queryOne<{ shop_id: bigint }>(db, sql`SELECT shop_id FROM docking_restock_rules WHERE listing_product_id = ${listingId}`);
  if (!owner || BigInt(owner.shop_id) !== shopId) throw new AppError("not_found", `Product ${listingId} of shop ${shopId} has no restock rule.`);
  return readRestock(db, listingId);
}

async function readRestock(db: Drizzle, listingId: bigint): Promise<RestockView> {
  const rule = (await queryOne<{
    supply_product_id: bigint;
    enabled: boolean;
    threshold: number;
    batch_keys: number;
    max_keys: number;
    budget_remaining_minor: bigint;
    restocked_keys: bigint;
    allocated: number | string | null;
  }>(
    db,
    sql`SELECT p.supply_product_id, r.enabled, r.threshold, r.batch_keys, r.max_keys, r.budget_remaining_minor, r.restocked_keys,
               (SELECT available FROM product_stock WHERE product_id = r.listing_product_id) AS allocated
        FROM docking_restock_rules r JOIN products p ON p.id = r.listing_product_id WHERE r.listing_product_id = ${listingId}`,
  ))!;
  const restocks = await queryRows<{ keys: number; wholesale_unit_minor: bigint; cost_minor: bigint; reason: string; created_at: Date }>(
    db,
    sql`SELECT keys, wholesale_unit_minor, cost_minor, reason, created_at FROM docking_restocks WHERE listing_product_id = ${listingId} ORDER BY id DESC LIMIT 20`,
  );
  return {
    listingProductId: String(listingId),
    supplyProductId: String(rule.supply_product_id),
    enabled: rule.enabled,
    threshold: rule.threshold,
    batchKeys: rule.batch_keys,
    maxKeys: rule.max_keys,
    budgetRemainingMinor: String(rule.budget_remaining_minor),
    restockedKeys: String(rule.restocked_keys),
    allocatedAvailable: rule.enabled ? Number(rule.allocated ?? 0) : 0,
    restocks: restocks.map((row) => ({
      keys: row.keys,
      wholesaleUnitMinor: String(row.wholesale_unit_minor),
      costMinor: String(row.cost_minor),
      reason: row.reason,
      createdAt: new Date(row.created_at).toISOString(),
    })),
  };
}

/** A supply stopped: every listing's allocation of the product goes back to the supplier (in the stop's transaction). */
export async function releaseSupplyAllocations(tx: Drizzle, supplyProductId: bigint): Promise<void> {
  const listings = await listingsWithRules(tx, supplyProductId);
  if (listings.length === 0) return;
  await lockStockRows(tx, [supplyProductId, ...listings]);
  await releaseAllocations(tx, sql`product_id = ${supplyProductId}`);
}

/** A supply (re)offered: each restocking listing below its threshold is topped up at once (in the offer's transaction). */
export async function restockSupplyListings(tx: Drizzle, supplyProductId: bigint): Promise<void> {
  const listings = await listingsWithRules(tx, supplyProductId);
  if (listings.length === 0) return;
  await lockStockRows(tx, [supplyProductId, ...listings]);
  for (const listing of listings) await tx.execute(sql`SELECT docking_restock(${listing}, 'supply_resumed')`);
}

async function listingsWithRules(tx: Drizzle, supplyProductId: bigint): Promise<bigint[]> {
  const rows = await queryRows<{ id: bigint }>(
    tx,
    sql`SELECT p.id FROM products p JOIN docking_restock_rules r ON r.listing_product_id = p.id AND r.enabled
        WHERE p.supply_product_id = ${supplyProductId} ORDER BY p.id`,
  );
  return rows.map((row) => BigInt(row.id));
}
