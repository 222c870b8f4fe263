// A shop's tax rates per buyer country (docs/saas.md, "Receipts and tax"). Validation of the
// country code and the range is here, so a bad value is a 4xx before anything is written.
import { AppError } from "../../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { isCountryCode, type TaxRate } from "./tax.ts";

type TaxRateRow = { country: string; rate_bps: number; inclusive: boolean };
const rateOf = (row: TaxRateRow): TaxRate => ({ country: row.country, rateBps: Number(row.rate_bps), inclusive: row.inclusive });

export function assertCountryCode(country: string): void {
  if (!isCountryCode(country)) {
    throw new AppError(
      "validation_failed",
      `${JSON.stringify(country)} is not an ISO 3166-1 alpha-2 country code (two upper-case letters, such as CN or DE).`,
      {
        details: { country },
      },
    );
  }
}

export async function listTaxRates(db: Drizzle, shopId: bigint): Promise<TaxRate[]> {
  const rows = await queryRows<TaxRateRow>(db, sql`SELECT country, rate_bps, inclusive FROM shop_tax_rates WHERE shop_id = ${shopId} ORDER BY country`);
  return rows.map(rateOf);
}

export async function taxRateFor(db: Drizzle, shopId: bigint, country: string): Promise<TaxRate | undefined> {
  const row = await queryOne<TaxRateRow>(db, sql`SELECT country, rate_bps, inclusive FROM shop_tax_rates WHERE shop_id = ${shopId} AND country = ${country}`);
  return row ? rateOf(row) : undefined;
}

export async function setTaxRate(db: Drizzle, shopId: bigint, rate: TaxRate): Promise<TaxRate> {
  assertCountryCode(rate.country);
  if (!Number.isInteger(rate.rateBps) || rate.rateBps < 0 || rate.rateBps > 10000) {
    throw new AppError("validation_failed", "rateBps must be a whole number of basis points from 0 to 10000 (100%).", { details: { rateBps: rate.rateBps } });
  }
  const row = await queryOne<TaxRateRow>(
    db,
    sql`INSERT INTO shop_tax_rates (shop_id, country, rate_bps, inclusive) VALUES (${shopId}, ${rate.country}, ${rate.rateBps}, ${rate.inclusive})
        ON CONFLICT (shop_id, country) DO UPDATE SET rate_bps = EXCLUDED.rate_bps, inclusive = EXCLUDED.inclusive, updated_at = now()
        RETURNING country, rate_bps, inclusive`,
  );
  return rateOf(row!);
}

export async function removeTaxRate(db: Drizzle, shopId: bigint, country: string): Promise<boolean> {
  assertCountryCode(country);
  const row = await queryOne<{ country: string }>(db, sql`DELETE FROM shop_tax_rates WHERE shop_id = ${shopId} AND country = ${country} RETURNING country`);
  return row !== undefined;
}
