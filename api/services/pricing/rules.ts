// The merchant's pricing rules: a product's wholesale tiers and daily purchase limit, a shop's
// member levels. Each is replaced whole (the table the merchant sees is the table stored),
// validated before anything is written, and audited in the same transaction.
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { auditedChange } from "../audit.ts";
import type { MemberLevel, PriceTier } from "../../pricing/price.ts";
import { validateLevels, validateTiers } from "../../pricing/validateRules.ts";

export async function setPriceTiers(db: Drizzle, input: { productId: bigint; accountId: bigint; tiers: PriceTier[] }): Promise<PriceTier[]> {
  validateTiers(input.tiers);
  return auditedChange(
    db,
    async (tx) => {
      await tx.execute(sql`DELETE FROM price_tiers WHERE product_id = ${input.productId}`);
      for (const tier of input.tiers) {
        await tx.execute(
          sql`INSERT INTO price_tiers (product_id, quantity_min, quantity_max, unit_price_minor) VALUES (${input.productId}, ${tier.quantityMin}, ${tier.quantityMax}, ${tier.unitPriceMinor})`,
        );
      }
      return input.tiers;
    },
    (tiers) => ({
      accountId: input.accountId,
      action: "pricing.tiers.set",
      subject: `product:${input.productId}`,
      details: { tiers: tiers.map((t) => ({ quantityMin: t.quantityMin, quantityMax: t.quantityMax, unitPriceMinor: String(t.unitPriceMinor) })) },
    }),
  );
}

export async function setMemberLevels(db: Drizzle, input: { shopId: bigint; accountId: bigint; levels: MemberLevel[] }): Promise<MemberLevel[]> {
  validateLevels(input.levels);
  return auditedChange(
    db,
    async (tx) => {
      await tx.execute(sql`DELETE FROM member_levels WHERE shop_id = ${input.shopId}`);
      for (const level of input.levels) {
        await tx.execute(
          sql`INSERT INTO member_levels (shop_id, spend_min_minor, name, discount_percent) VALUES (${input.shopId}, ${level.spendMinMinor}, ${level.name}, ${level.discountPercent})`,
        );
      }
      return input.levels;
    },
    (levels) => ({
      accountId: input.accountId,
      action: "pricing.levels.set",
      subject: `shop:${input.shopId}`,
      details: { levels: levels.map((l) => ({ name: l.name, spendMinMinor: String(l.spendMinMinor), discountPercent: l.discountPercent })) },
    }),
  );
}

export async function setDailyPurchaseLimit(
  db: Drizzle,
  input: { productId: bigint; accountId: bigint; perBuyerDailyMax: number | null },
): Promise<{ perBuyerDailyMax: number | null }> {
  return auditedChange(
    db,
    async (tx) => {
      const row = await queryOne<{ limit: number | null }>(
        tx,
        sql`UPDATE products SET daily_buyer_quantity_max = ${input.perBuyerDailyMax} WHERE id = ${input.productId} RETURNING daily_buyer_quantity_max AS limit`,
      );
      if (!row) throw new AppError("not_found", `No product ${input.productId}.`);
      return { perBuyerDailyMax: row.limit };
    },
    (result) => ({ accountId: input.accountId, action: "pricing.daily_limit.set", subject: `product:${input.productId}`, details: result }),
  );
}

/** The rules a product page shows: its tiers and its shop's levels. */
/** A shop's member levels, by ascending threshold (the console's levels editor reads them here). */
export async function readMemberLevels(db: Drizzle, shopId: bigint) {
  const row = await queryOne<{ levels: { name: string; spendMinMinor: string; discountPercent: number }[] }>(
    db,
    sql`SELECT coalesce(json_agg(json_build_object('name', name, 'spendMinMinor', spend_min_minor::text, 'discountPercent', discount_percent) ORDER BY spend_min_minor), '[]') AS levels
        FROM member_levels WHERE shop_id = ${shopId}`,
  );
  return { levels: row?.levels ?? [] };
}

export async function readPricingRules(db: Drizzle, productId: bigint) {
  const row = await queryOne<{
    tiers: { quantityMin: number; quantityMax: number | null; unitPriceMinor: string }[];
    levels: { name: string; spendMinMinor: string; discountPercent: number }[];
    limit: number | null;
  }>(
    db,
    sql`SELECT coalesce((SELECT json_agg(json_build_object('quantityMin', quantity_min, 'quantityMax', quantity_max, 'unitPriceMinor', unit_price_minor::text) ORDER BY quantity_min)
                        FROM price_tiers WHERE product_id = p.id), '[]') AS tiers,
               coalesce((SELECT json_agg(json_build_object('name', name, 'spendMinMinor', spend_min_minor::text, 'discountPercent', discount_percent) ORDER BY spend_min_minor)
                        FROM member_levels WHERE shop_id = p.shop_id), '[]') AS levels,
               p.daily_buyer_quantity_max AS limit
        FROM products p WHERE p.id = ${productId}`,
  );
  if (!row) throw new AppError("not_found", `No product ${productId}.`);
  return { tiers: row.tiers, levels: row.levels, perBuyerDailyMax: row.limit };
}
