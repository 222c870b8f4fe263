// Money in several currencies (docs/currencies.md): pure arithmetic, no database, no configuration,
// so the API (quotes, checkout, ledger, receipts) and the web app (the storefront's prices in the
// buyer's currency) count digits and convert with the same code. A rate is how many CNY one major
// unit of a currency is worth (the platform's table, fx_rates), so every pair converts through the
// same two figures and no two pairs can disagree. Amounts are bigint minor units end to end; a
// conversion rounds half up once per amount.

/** The fiat currencies a shop may price in, besides the chain's ETH and the platform's stablecoin (config). */
export const fiatCurrencies = ["CNY", "USD", "EUR", "HKD"] as const;

/** Minor units per major unit, as powers of ten. The stablecoin's come from its token (TestStablecoin: 6). */
export function currencyDecimals(currency: string, stablecoin: { currency: string; decimals: number }): number | undefined {
  if ((fiatCurrencies as readonly string[]).includes(currency)) return 2;
  if (currency === "ETH") return 18;
  if (currency === stablecoin.currency) return stablecoin.decimals;
  return undefined;
}

/** A rate's fixed-point scale: 12 decimal places (the fx_rates column is numeric(30,12)). */
export const rateScale = 12;
const rateUnit = 10n ** BigInt(rateScale);

/** "7.1" -> 7_100_000_000_000n (units of 10^-12); undefined when not a positive decimal with at most 12 places and 18 whole digits. */
export function parseRate(text: string): bigint | undefined {
  const match = /^(\d{1,18})(?:\.(\d{1,12}))?$/.exec(text.trim());
  if (!match) return undefined;
  const value = BigInt(match[1]!) * rateUnit + BigInt((match[2] ?? "").padEnd(rateScale, "0") || "0");
  return value > 0n ? value : undefined;
}

/** 7_100_000_000_000n -> "7.1" (trailing zeros dropped). */
export function formatRate(value: bigint): string {
  const whole = value / rateUnit;
  const fraction = (value % rateUnit).toString().padStart(rateScale, "0").replace(/0+$/, "");
  return fraction ? `${whole}.${fraction}` : String(whole);
}

/** A conversion from one currency to another: both currencies' CNY rates (scaled by 10^12) and decimals. */
export type Conversion = {
  from: string;
  to: string;
  fromCnyRate: bigint;
  toCnyRate: bigint;
  fromDecimals: number;
  toDecimals: number;
};

/**
 * amount (minor units of `from`) in minor units of `to`, rounded half up:
 * amount x fromCnyRate x 10^toDecimals / (toCnyRate x 10^fromDecimals).
 */
export function convertMinor(amountMinor: bigint, conversion: Conversion): bigint {
  if (amountMinor < 0n) return -convertMinor(-amountMinor, conversion);
  const numerator = amountMinor * conversion.fromCnyRate * 10n ** BigInt(conversion.toDecimals);
  const denominator = conversion.toCnyRate * 10n ** BigInt(conversion.fromDecimals);
  return (numerator * 2n + denominator) / (denominator * 2n);
}

/** The effective rate of the pair (major `to` per major `from`), to 12 places, as recorded on an order. */
export function pairRate(conversion: Pick<Conversion, "fromCnyRate" | "toCnyRate">): bigint {
  const numerator = conversion.fromCnyRate * rateUnit;
  return (numerator * 2n + conversion.toCnyRate) / (conversion.toCnyRate * 2n);
}

/**
 * Digits an amount is written with (moneyDecimals on receipts, formatMoney on the web): the
 * platform's currencies as currencyDecimals counts them, JPY 0, anything else 2. An amount in ETH
 * or the stablecoin must not be written as hundredths of its wei or base units.
 */
export function displayDecimals(currency: string, stablecoin: { currency: string; decimals: number }): number {
  return currencyDecimals(currency, stablecoin) ?? (currency === "JPY" ? 0 : 2);
}
