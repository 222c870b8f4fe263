// Commission rates (三级分销), docs/distribution.md: up to three levels in basis points per shop,
// with per-product overrides. Rates are whole basis points, none negative, summing to at most
// 10000 (100% of the merchant's net); anything else is commission_rates_invalid and writes nothing.
import type { SQL } from "drizzle-orm";
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { recordAudit } from "../audit.ts";

export const commissionLevelsMax = 3;

/** The rule, pure: what is wrong with a list of rates, or undefined. */
export function commissionRatesProblem(levelsBps: readonly number[]): string | undefined {
  if (levelsBps.length > commissionLevelsMax) return `At most ${commissionLevelsMax} levels are paid; remove level ${levelsBps.length}.`;
  const bad = levelsBps.findIndex((bps) => !Number.isInteger(bps) || bps < 0);
  if (bad >= 0) return `Level ${bad + 1}'s rate must be a whole number of basis points, 0 or more.`;
  const total = levelsBps.reduce((sum, bps) => sum + bps, 0);
  if (total > 10_000) return `The rates sum to ${total} basis points (${total / 100}%); lower them to 10000 (100%) or less in total.`;
  return undefined;
}

/** Sets a shop's rates (productId undefined) or a product's override; null clears the override. */
export async function setCommissionRates(
  db: Drizzle,
  parameters: { shopId: bigint; productId?: bigint; accountId: bigint; levelsBps: number[] | null },
): Promise<{ shopId: string; productId: string | null; levelsBps: number[] | null }> {
  const { shopId, levelsBps } = parameters;
  const productId = parameters.productId ?? 0n;
  if (levelsBps !== null) {
    const problem = commissionRatesProblem(levelsBps);
    if (problem) throw new AppError("commission_rates_invalid", problem, { details: [{ path: "levelsBps" }] });
  }
  if (parameters.productId !== undefined) {
    const product = await queryOne<{ shop_id: bigint }>(db, sql`SELECT shop_id FROM products WHERE id = ${productId}`);
    if (!product || BigInt(product.shop_id) !== shopId) throw new AppError("not_found", `The shop has no product ${productId}.`);
  }
  const [l1, l2, l3] = [levelsBps?.[0] ?? 0, levelsBps?.[1] ?? 0, levelsBps?.[2] ?? 0];
  return db.transaction(async (tx) => {
    if (levelsBps === null) {
      await tx.execute(sql`DELETE FROM commission_rates WHERE shop_id = ${shopId} AND product_id = ${productId}`);
    } else {
      await tx.execute(
        sql`INSERT INTO commission_rates (shop_id, product_id, level1_bps, level2_bps, level3_bps) VALUES (${shopId}, ${productId}, ${l1}, ${l2}, ${l3})
            ON CONFLICT (shop_id, product_id) DO UPDATE SET level1_bps = EXCLUDED.level1_bps, level2_bps = EXCLUDED.level2_bps,
              level3_bps = EXCLUDED.level3_bps, updated_at = now()`,
      );
    }
    await recordAudit(tx, {
      accountId: parameters.accountId,
      action: "distribution.commission_rates_set",
      subject: parameters.productId === undefined ? `shop:${shopId}` : `product:${productId}`,
      details: { levelsBps },
    });
    return { shopId: String(shopId), productId: parameters.productId === undefined ? null : String(productId), levelsBps };
  });
}

/** The rates a sale of the product pays: the product's override, else the shop's, else none. */
export async function commissionRatesFor(db: Drizzle, shopId: bigint, productId: bigint): Promise<[number, number, number]> {
  const row = await queryOne<{ level1_bps: number; level2_bps: number; level3_bps: number }>(db, commissionRatesSql(shopId, productId));
  return row ? [row.level1_bps, row.level2_bps, row.level3_bps] : [0, 0, 0];
}

/** The statement behind commissionRatesFor: one row (level1_bps, level2_bps, level3_bps) or none. */
export function commissionRatesSql(shopId: bigint, productId: bigint): SQL {
  return sql`SELECT level1_bps, level2_bps, level3_bps FROM commission_rates
             WHERE shop_id = ${shopId} AND product_id IN (0, ${productId}) ORDER BY product_id DESC LIMIT 1`;
}

/**
 * Share-to-earn (docs/distribution.md): what a buyer sharing the product's link would be paid at
 * the first level, read with the same rule a sale applies (commissionRatesFor: the product's
 * override, else the shop's). A docked listing pays no commission (checkoutDistribution), so its
 * rate is 0 whatever the rates say.
 */
export async function shareCommissionOf(db: Drizzle, product: { id: bigint; shopId: bigint; supplyProductId: bigint | null }) {
  const docked = product.supplyProductId !== null;
  const [level1Bps] = docked ? [0] : await commissionRatesFor(db, product.shopId, product.id);
  return { productId: String(product.id), shopId: String(product.shopId), level1Bps, docked };
}
