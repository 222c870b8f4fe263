// Response schemas of the currency routes (api/http/routes/currencies.ts, docs/currencies.md).
import { z } from "zod";
import { decimalString, isoDateTime } from "./common.ts";

export const fxRateSchema = z.strictObject({
  currency: z.string(),
  cnyPerUnit: z.string().describe("CNY per major unit of the currency"),
  source: z.enum(["manual", "feed"]),
  updatedAt: isoDateTime,
});

export const fxRatesSchema = z.strictObject({
  rates: z.array(fxRateSchema).describe("Every currency the platform has a rate for (CNY is 1 and not listed)"),
  source: z.enum(["manual", "feed"]).describe("feed: FX_RATE_FEED_URL is set and stale feed rates are fetched again"),
  stablecoin: z.string().describe("The platform's on-chain stablecoin's currency code"),
  stablecoinDecimals: z.number().int().describe("Minor-unit digits of the stablecoin (its token's decimals), for writing its amounts"),
});

export const fxRefreshSchema = z.strictObject({ currencies: z.array(z.string()) });

export const acceptedCurrenciesSchema = z.strictObject({
  accepted: z.array(z.string()).describe("Currencies the shop's buyers may pay in besides each product's own"),
});

export const fxConversionSchema = z.strictObject({
  transactionId: decimalString,
  created: z.boolean().describe("false: this requestId was converted before; the first conversion is answered"),
  fromCurrency: z.string(),
  toCurrency: z.string(),
  fromMinor: decimalString,
  toMinor: decimalString,
  rate: z.string(),
});
