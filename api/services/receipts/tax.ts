// The tax of an amount at a rate, computed in one place (docs/saas.md, "Receipts and tax").
// Integer minor units; rounding is half up (amounts are never negative):
// - exclusive: tax = round(amount × bps / 10000), added on top of the amount;
// - inclusive: net = round(amount × 10000 / (10000 + bps)), tax = amount − net, so net + tax is
//   exactly the amount charged.
// Pure (no database) so the rounding is tested by hand-computed cases and mutation-tested.

export type TaxRate = { country: string; rateBps: number; inclusive: boolean };
export type TaxLine = { country: string; rateBps: number; inclusive: boolean; netMinor: bigint; taxMinor: bigint; grossMinor: bigint };

/** round(numerator / denominator), half up, for numerator ≥ 0 and denominator > 0. */
function divideRoundHalfUp(numerator: bigint, denominator: bigint): bigint {
  return (numerator * 2n + denominator) / (denominator * 2n);
}

/** The tax line of `amountMinor` at `rate`: net, tax and gross, with net + tax = gross. */
export function taxOf(amountMinor: bigint, rate: TaxRate): TaxLine {
  if (amountMinor < 0n) throw new RangeError("taxOf: the amount is negative");
  if (!Number.isInteger(rate.rateBps) || rate.rateBps < 0 || rate.rateBps > 10000) throw new RangeError("taxOf: the rate is outside 0..10000 bps");
  const bps = BigInt(rate.rateBps);
  const base = { country: rate.country, rateBps: rate.rateBps, inclusive: rate.inclusive };
  if (rate.inclusive) {
    const netMinor = divideRoundHalfUp(amountMinor * 10000n, 10000n + bps);
    return { ...base, netMinor, taxMinor: amountMinor - netMinor, grossMinor: amountMinor };
  }
  const taxMinor = divideRoundHalfUp(amountMinor * bps, 10000n);
  return { ...base, netMinor: amountMinor, taxMinor, grossMinor: amountMinor + taxMinor };
}

// Codes ICU names as regions that are not assigned ISO 3166-1 alpha-2 countries: user-assigned
// (AA, QM-QZ, XA-XZ, ZZ) and exceptionally reserved or grouping codes (EU, EZ, UN, UK).
const notCountries = /^(AA|Q[M-Z]|X[A-Z]|ZZ|EU|EZ|UN|UK)$/;
const regionNames = new Intl.DisplayNames(["en"], { type: "region", fallback: "none" });

/** Whether `code` is an assigned ISO 3166-1 alpha-2 country code (upper case). */
export function isCountryCode(code: string): boolean {
  return /^[A-Z]{2}$/.test(code) && !notCountries.test(code) && regionNames.of(code) !== undefined;
}
