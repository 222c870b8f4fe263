// A buyer's cumulative spend at a shop, for member levels (docs/currencies.md, "Member levels
// across currencies"). A level's threshold (member_levels.spend_min_minor) is in the currency of
// the price it discounts, so the spend is summed in that currency: every paid or fulfilled order,
// whatever it was charged in, converted at the rate the order recorded.
import { queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { convertMinor, currencyDecimals, parseRate, rateScale } from "../../../core/money/fx.ts";

const cnyUnit = 10n ** BigInt(rateScale);

/** The platform's stablecoin when the caller does not say (the configuration's default, STABLECOIN_*). */
export type StablecoinSettings = { currency: string; decimals: number };

/**
 * Each group of orders sharing a charged currency, a price currency and a recorded rate adds:
 * - charged in `currency`: the amount charged;
 * - priced in `currency` and charged in another: the price the order recorded (price_amount_minor);
 * - otherwise: the amount charged converted to `currency` through CNY, at the charged currency's
 *   CNY rate the order recorded (orders.pricing->'fx'->>'toCnyRate'), or the platform's current
 *   rate for an order that recorded none (charged in its own product's currency); `currency`'s own
 *   rate is 1 for CNY, else the platform's current one. Half up, once per group.
 * A currency the platform has no rate for adds nothing (it cannot be compared).
 */
export async function memberSpendMinor(
  db: Drizzle,
  parameters: { shopId: bigint; accountId: bigint; currency: string; stablecoin: StablecoinSettings },
): Promise<bigint> {
  const { currency, stablecoin } = parameters;
  const groups = await queryRows<{
    currency: string;
    price_currency: string | null;
    charged_cny_rate: string | null;
    amount: string;
    price_amount: string | null;
  }>(
    db,
    sql`SELECT currency, price_currency, pricing->'fx'->>'toCnyRate' AS charged_cny_rate,
               sum(amount_minor)::text AS amount, sum(price_amount_minor)::text AS price_amount
        FROM orders WHERE buyer_account_id = ${parameters.accountId} AND shop_id = ${parameters.shopId} AND state IN ('paid', 'fulfilled')
        GROUP BY 1, 2, 3`,
  );
  if (groups.every((group) => group.currency === currency)) return groups.reduce((sum, group) => sum + BigInt(group.amount), 0n);
  const current = new Map(
    (await queryRows<{ currency: string; cny_per_unit: string }>(db, sql`SELECT currency, cny_per_unit::text FROM fx_rates`)).map((row) => [
      row.currency,
      parseRate(row.cny_per_unit),
    ]),
  );
  const cnyRateOf = (code: string) => (code === "CNY" ? cnyUnit : current.get(code));
  let spent = 0n;
  for (const group of groups) {
    if (group.currency === currency) spent += BigInt(group.amount);
    else if (group.price_currency === currency) spent += BigInt(group.price_amount!);
    else {
      const fromCnyRate = (group.charged_cny_rate === null ? undefined : parseRate(group.charged_cny_rate)) ?? cnyRateOf(group.currency);
      const toCnyRate = cnyRateOf(currency);
      const fromDecimals = currencyDecimals(group.currency, stablecoin);
      const toDecimals = currencyDecimals(currency, stablecoin);
      if (fromCnyRate === undefined || toCnyRate === undefined || fromDecimals === undefined || toDecimals === undefined) continue;
      spent += convertMinor(BigInt(group.amount), { from: group.currency, to: currency, fromCnyRate, toCnyRate, fromDecimals, toDecimals });
    }
  }
  return spent;
}
