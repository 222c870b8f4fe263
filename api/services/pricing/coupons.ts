// A shop's coupons: created one at a time with a chosen code, or generated in bulk (up to
// 10,000 random codes in one call), listed, exported as CSV and disabled. Every change is
// audited in its own transaction. Generated codes are 16 characters of Crockford base32 from
// crypto.randomBytes (80 bits: unguessable, and nothing to confuse: no I, L, O, U).
import { randomBytes } from "node:crypto";
import { AppError } from "../../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { auditedChange } from "../audit.ts";
import { textArrayLiteral } from "../../../core/store/sqlArrays.ts";
import { validatePercent } from "../../pricing/validateRules.ts";

export const bulkCodesMax = 10_000;
const codeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const generatedCodeLength = 16;

export type CouponSpec = {
  kind: "fixed" | "percent";
  value: bigint;
  scope: "shop" | "product" | "category";
  scopeProductId?: bigint;
  scopeCategory?: string;
  minimumMinor: bigint;
  startsAt?: Date;
  endsAt?: Date;
  usesMax?: number;
  perBuyerMax?: number;
};

export type CouponView = {
  id: string;
  code: string;
  kind: "fixed" | "percent";
  value: string;
  scope: "shop" | "product" | "category";
  scopeProductId: string | null;
  scopeCategory: string | null;
  minimumMinor: string;
  startsAt: string | null;
  endsAt: string | null;
  usesMax: number | null;
  perBuyerMax: number | null;
  uses: number;
  batchId: string | null;
  disabled: boolean;
};

/** One random code: each of 16 characters from 5 random bits (10 bytes = 80 bits). */
export function generateCouponCode(): string {
  const bytes = randomBytes(10);
  let bits = 0n;
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
  let code = "";
  for (let i = 0; i < generatedCodeLength; i++) code += codeAlphabet[Number((bits >> BigInt(5 * (generatedCodeLength - 1 - i))) & 31n)];
  return code;
}

function validateSpec(spec: CouponSpec): void {
  const refuse = (path: string, message: string): never => {
    throw new AppError("validation_failed", message, { details: [{ path, message }] });
  };
  if (spec.kind === "percent") validatePercent("value", Number(spec.value), { allowZero: false });
  if (spec.kind === "fixed" && spec.value < 1n) refuse("value", "value must be at least 1 (minor units off the order).");
  if (spec.scope === "product" && spec.scopeProductId === undefined) refuse("scopeProductId", "A product coupon needs scopeProductId.");
  if (spec.scope === "category" && !spec.scopeCategory) refuse("scopeCategory", "A category coupon needs scopeCategory.");
  if (spec.scope !== "product" && spec.scopeProductId !== undefined) refuse("scopeProductId", "scopeProductId is only for scope 'product'.");
  if (spec.scope !== "category" && spec.scopeCategory !== undefined) refuse("scopeCategory", "scopeCategory is only for scope 'category'.");
  if (spec.startsAt && spec.endsAt && spec.endsAt <= spec.startsAt) refuse("endsAt", "endsAt must be after startsAt.");
}

export async function createCoupons(
  db: Drizzle,
  input: { shopId: bigint; accountId: bigint; spec: CouponSpec; code?: string; count?: number },
): Promise<{ batchId: string | null; created: number; codes: string[] }> {
  validateSpec(input.spec);
  const { spec } = input;
  if (spec.scopeProductId !== undefined) {
    const owned = await queryOne(db, sql`SELECT 1 FROM products WHERE id = ${spec.scopeProductId} AND shop_id = ${input.shopId}`);
    if (!owned) throw new AppError("validation_failed", `Product ${spec.scopeProductId} is not in this shop.`, { details: [{ path: "scopeProductId" }] });
  }
  const codes = input.code !== undefined ? [input.code.trim().toUpperCase()] : Array.from({ length: input.count ?? 1 }, generateCouponCode);
  const batchId = input.code !== undefined ? null : `B${randomBytes(6).toString("hex").toUpperCase()}`;
  return auditedChange(
    db,
    async (tx) => {
      // ON CONFLICT DO NOTHING counts what went in: a chosen code already taken creates nothing.
      const inserted = await queryRows<{ code: string }>(
        tx,
        sql`INSERT INTO coupons (shop_id, code, kind, value, scope, scope_product_id, scope_category, minimum_minor, starts_at, ends_at, uses_max, per_buyer_max, batch_id)
            SELECT ${input.shopId}, c.code, ${spec.kind}, ${spec.value}, ${spec.scope}, ${spec.scopeProductId ?? null}::bigint, ${spec.scopeCategory ?? null}::text,
                   ${spec.minimumMinor}, ${spec.startsAt ?? null}::timestamptz, ${spec.endsAt ?? null}::timestamptz, ${spec.usesMax ?? null}::int,
                   ${spec.perBuyerMax ?? null}::int, ${batchId}::text
            FROM unnest(${textArrayLiteral(codes)}::text[]) AS c(code)
            ON CONFLICT (shop_id, code) DO NOTHING RETURNING code`,
      );
      if (inserted.length !== codes.length) {
        // A chosen code taken, or (about 2^-60 per pair) a generated one: nothing is written.
        throw new AppError(
          "conflict",
          input.code !== undefined ? `This shop already has a coupon ${codes[0]}. Choose another code.` : "Generated codes collided; try again.",
          {
            retryable: input.code === undefined,
          },
        );
      }
      return { batchId, created: inserted.length, codes };
    },
    (result) => ({
      accountId: input.accountId,
      action: "coupons.create",
      subject: `shop:${input.shopId}`,
      details: { created: result.created, batchId: result.batchId, kind: spec.kind, value: String(spec.value), scope: spec.scope },
    }),
  );
}

type CouponDbRow = {
  id: string;
  code: string;
  kind: "fixed" | "percent";
  value: string;
  scope: "shop" | "product" | "category";
  scope_product_id: string | null;
  scope_category: string | null;
  minimum_minor: string;
  starts_at: Date | string | null;
  ends_at: Date | string | null;
  uses_max: number | null;
  per_buyer_max: number | null;
  uses: number;
  batch_id: string | null;
  disabled_at: Date | null;
};

function couponView(row: CouponDbRow): CouponView {
  return {
    id: String(row.id),
    code: row.code,
    kind: row.kind,
    value: String(row.value),
    scope: row.scope,
    scopeProductId: row.scope_product_id === null ? null : String(row.scope_product_id),
    scopeCategory: row.scope_category,
    minimumMinor: String(row.minimum_minor),
    startsAt: row.starts_at === null ? null : new Date(row.starts_at).toISOString(),
    endsAt: row.ends_at === null ? null : new Date(row.ends_at).toISOString(),
    usesMax: row.uses_max,
    perBuyerMax: row.per_buyer_max,
    uses: row.uses,
    batchId: row.batch_id,
    disabled: row.disabled_at !== null,
  };
}

export async function listCoupons(
  db: Drizzle,
  input: { shopId: bigint; batchId?: string; afterId?: bigint; limit: number },
): Promise<{ items: CouponView[]; nextCursor: string | null }> {
  const rows = await queryRows<CouponDbRow>(
    db,
    sql`SELECT * FROM coupons WHERE shop_id = ${input.shopId}
          ${input.batchId ? sql`AND batch_id = ${input.batchId}` : sql``}
          ${input.afterId !== undefined ? sql`AND id > ${input.afterId}` : sql``}
        ORDER BY id LIMIT ${input.limit + 1}`,
  );
  const items = rows.slice(0, input.limit).map(couponView);
  return { items, nextCursor: rows.length > input.limit ? (items.at(-1)?.id ?? null) : null };
}

const csvHeader = "code,kind,value,scope,minimum_minor,starts_at,ends_at,uses_max,per_buyer_max,uses,disabled\n";

/** The page as CSV: codes are base32 or merchant-chosen (checked by the route), so no field needs quoting. */
export function couponsCsv(items: readonly CouponView[]): string {
  return (
    csvHeader +
    items
      .map((c) =>
        [c.code, c.kind, c.value, c.scope, c.minimumMinor, c.startsAt ?? "", c.endsAt ?? "", c.usesMax ?? "", c.perBuyerMax ?? "", c.uses, c.disabled].join(
          ",",
        ),
      )
      .join("\n") +
    (items.length > 0 ? "\n" : "")
  );
}

export async function disableCoupon(db: Drizzle, input: { shopId: bigint; couponId: bigint; accountId: bigint }): Promise<CouponView> {
  return auditedChange(
    db,
    async (tx) => {
      const row = await queryOne<CouponDbRow>(
        tx,
        sql`UPDATE coupons SET disabled_at = coalesce(disabled_at, now()) WHERE id = ${input.couponId} AND shop_id = ${input.shopId} RETURNING *`,
      );
      if (!row) throw new AppError("not_found", `This shop has no coupon ${input.couponId}.`);
      return couponView(row);
    },
    (coupon) => ({ accountId: input.accountId, action: "coupons.disable", subject: `coupon:${coupon.id}`, details: { code: coupon.code } }),
  );
}
