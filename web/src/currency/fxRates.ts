// The platform's exchange rates (GET /api/fx-rates, public), fetched once per page load and
// shared by every price on the page. The answer also names the platform's stablecoin and its
// digits, which formatMoney needs to write its amounts (web/src/format.ts).
import { answer, createApiClient } from "../api/client.ts";
import type { Conversion } from "../../../core/money/fx.ts";
import { currencyDecimals, parseRate, rateScale } from "../../../core/money/fx.ts";
import { setStablecoin } from "../format.ts";

export type FxRates = {
  /** CNY per major unit, scaled by 10^12 (core/money/fx.ts), by currency; CNY is not listed (it is 1). */
  cnyRates: Map<string, bigint>;
  stablecoin: { currency: string; decimals: number };
};

let cached: Promise<FxRates | undefined> | undefined;

/** The rates, or undefined when they cannot be had (prices then stay in each product's own currency). */
export function fetchFxRates(): Promise<FxRates | undefined> {
  cached ??= answer(createApiClient({ baseUrl: "", token: () => undefined }).GET("/api/fx-rates"))
    .then((listed) => {
      const stablecoin = { currency: listed.stablecoin, decimals: listed.stablecoinDecimals };
      setStablecoin(stablecoin);
      const cnyRates = new Map<string, bigint>();
      for (const rate of listed.rates) {
        const parsed = parseRate(rate.cnyPerUnit);
        if (parsed !== undefined) cnyRates.set(rate.currency, parsed);
      }
      return { cnyRates, stablecoin };
    })
    .catch(() => {
      // A later page load tries again; this one shows each product's own currency.
      cached = undefined;
      return undefined;
    });
  return cached;
}

const cnyUnit = 10n ** BigInt(rateScale);

/**
 * The conversion the API applies between two currencies at these rates (the same inputs as its
 * conversionOf), or undefined when either has no rate or is not one of the platform's currencies.
 */
export function conversionBetween(rates: FxRates, from: string, to: string): Conversion | undefined {
  const rateOf = (currency: string) => (currency === "CNY" ? cnyUnit : rates.cnyRates.get(currency));
  const fromCnyRate = rateOf(from);
  const toCnyRate = rateOf(to);
  const fromDecimals = currencyDecimals(from, rates.stablecoin);
  const toDecimals = currencyDecimals(to, rates.stablecoin);
  if (fromCnyRate === undefined || toCnyRate === undefined || fromDecimals === undefined || toDecimals === undefined) return undefined;
  return { from, to, fromCnyRate, toCnyRate, fromDecimals, toDecimals };
}
