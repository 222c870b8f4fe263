// The platform's exchange rates (docs/currencies.md): a manual table an admin keeps, or an HTTP
// feed when FX_RATE_FEED_URL is set. A rate is CNY per major unit of the currency; CNY is 1.
import { AppError } from "../../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { currencyDecimals, formatRate, parseRate, rateScale, type Conversion } from "../../../core/money/fx.ts";
import { recordAudit } from "../audit.ts";

export type FxSettings = {
  /** Unset: the manual table only. */
  feedUrl?: string;
  feedMaxAgeSeconds: number;
  stablecoin: { currency: string; decimals: number };
};

export type FxRate = { currency: string; cnyPerUnit: string; source: "manual" | "feed"; updatedAt: string };

const cnyUnit = 10n ** BigInt(rateScale);

/** Whether the platform prices in this currency at all (fiat, ETH, its stablecoin). */
export function isSupportedCurrency(settings: FxSettings, currency: string): boolean {
  return currencyDecimals(currency, settings.stablecoin) !== undefined;
}

export async function listFxRates(db: Drizzle): Promise<FxRate[]> {
  const rows = await queryRows<{ currency: string; cny_per_unit: string; source: "manual" | "feed"; updated_at: Date | string }>(
    db,
    sql`SELECT currency, cny_per_unit::text, source, updated_at FROM fx_rates ORDER BY currency`,
  );
  return rows.map((row) => ({
    currency: row.currency,
    cnyPerUnit: formatRate(parseRate(row.cny_per_unit)!),
    source: row.source,
    updatedAt: new Date(row.updated_at).toISOString(),
  }));
}

/** An admin sets one currency's rate in the manual table (audited with before and after). */
export async function setManualRate(db: Drizzle, settings: FxSettings, input: { currency: string; cnyPerUnit: string; adminId: bigint }): Promise<FxRate> {
  if (input.currency === "CNY" || !isSupportedCurrency(settings, input.currency)) {
    throw new AppError("validation_failed", `No rate can be set for ${input.currency}: the platform's currencies are ${supportedList(settings)} (CNY is 1).`, {
      details: [{ path: "currency" }],
    });
  }
  const rate = parseRate(input.cnyPerUnit);
  if (rate === undefined) {
    throw new AppError("validation_failed", "cnyPerUnit must be a positive decimal with at most 12 decimal places.", { details: [{ path: "cnyPerUnit" }] });
  }
  return db.transaction(async (tx) => {
    const before = await queryOne<{ cny_per_unit: string; source: string }>(
      tx,
      sql`SELECT cny_per_unit::text, source FROM fx_rates WHERE currency = ${input.currency} FOR UPDATE`,
    );
    await writeRate(tx, input.currency, rate, "manual");
    await recordAudit(tx, {
      accountId: input.adminId,
      action: "fx.rate_set",
      subject: input.currency,
      details: { before: before ? { cnyPerUnit: formatRate(parseRate(before.cny_per_unit)!), source: before.source } : null, after: formatRate(rate) },
    });
    return (await listFxRates(tx)).find((row) => row.currency === input.currency)!;
  });
}

async function writeRate(db: Drizzle, currency: string, rate: bigint, source: "manual" | "feed"): Promise<void> {
  await db.execute(
    sql`INSERT INTO fx_rates (currency, cny_per_unit, source, updated_at) VALUES (${currency}, ${formatRate(rate)}::numeric, ${source}, now())
        ON CONFLICT (currency) DO UPDATE SET cny_per_unit = EXCLUDED.cny_per_unit, source = EXCLUDED.source, updated_at = now()`,
  );
}

const supportedList = (settings: FxSettings) => `CNY, USD, EUR, HKD, ETH, ${settings.stablecoin.currency}`;

/**
 * Fetches the feed and writes its rates. The feed answers JSON `{ "rates": { "USD": "7.1", ... } }`
 * (CNY per unit, as decimal strings or numbers); unknown currencies are ignored, and a feed whose
 * answer is not that shape writes nothing. Returns the currencies written.
 */
export async function refreshFeedRates(db: Drizzle, settings: FxSettings): Promise<string[]> {
  if (!settings.feedUrl) throw new AppError("invalid_state", "No rate feed is configured (FX_RATE_FEED_URL); the rates are the manual table.");
  let body: unknown;
  try {
    const response = await fetch(settings.feedUrl, { signal: AbortSignal.timeout(2000), headers: { accept: "application/json" } });
    if (!response.ok) throw new Error(`status ${response.status}`);
    body = await response.json();
  } catch {
    // The feed's URL may carry a token: it is not repeated in the error.
    throw new AppError("fx_rate_unavailable", "The exchange rate feed did not answer. Try again later.", { retryable: true });
  }
  const rates = (body as { rates?: unknown } | null)?.rates;
  if (typeof rates !== "object" || rates === null) throw new AppError("fx_rate_unavailable", "The exchange rate feed answered without a rates object.");
  const parsed: [string, bigint][] = [];
  for (const [currency, value] of Object.entries(rates)) {
    if (currency === "CNY" || !isSupportedCurrency(settings, currency)) continue;
    const rate = typeof value === "string" || typeof value === "number" ? parseRate(String(value)) : undefined;
    if (rate === undefined) throw new AppError("fx_rate_unavailable", `The exchange rate feed's rate for ${currency} is not a positive decimal.`);
    parsed.push([currency, rate]);
  }
  await db.transaction(async (tx) => {
    for (const [currency, rate] of parsed) await writeRate(tx, currency, rate, "feed");
  });
  return parsed.map(([currency]) => currency);
}

/** One refresh at a time per process: concurrent checkouts that find stale rates share it. */
let refreshing: Promise<string[]> | undefined;

/** CNY per unit (scaled by 10^12) of a currency, or undefined when the platform has no rate for it. */
async function cnyRate(db: Drizzle, settings: FxSettings, currency: string): Promise<bigint | undefined> {
  if (currency === "CNY") return cnyUnit;
  const read = () =>
    queryOne<{ cny_per_unit: string; source: string; age_seconds: string }>(
      db,
      sql`SELECT cny_per_unit::text, source, extract(epoch FROM now() - updated_at)::bigint::text AS age_seconds FROM fx_rates WHERE currency = ${currency}`,
    );
  let row = await read();
  if (settings.feedUrl && (!row || (row.source === "feed" && Number(row.age_seconds) > settings.feedMaxAgeSeconds))) {
    refreshing ??= refreshFeedRates(db, settings).finally(() => {
      refreshing = undefined;
    });
    await refreshing;
    row = await read();
    if (row?.source === "feed" && Number(row.age_seconds) > settings.feedMaxAgeSeconds) {
      throw new AppError("fx_rate_unavailable", `The rate for ${currency} is out of date and the feed did not renew it. Try again later.`, { retryable: true });
    }
  }
  return row ? parseRate(row.cny_per_unit) : undefined;
}

/** The conversion between two currencies at the platform's current rates (422 currency_not_accepted when one has none). */
export async function conversionOf(db: Drizzle, settings: FxSettings, from: string, to: string): Promise<Conversion> {
  const fromDecimals = currencyDecimals(from, settings.stablecoin);
  const toDecimals = currencyDecimals(to, settings.stablecoin);
  for (const [currency, decimals] of [
    [from, fromDecimals],
    [to, toDecimals],
  ] as const) {
    if (decimals === undefined) {
      throw new AppError("currency_not_accepted", `The platform does not convert ${currency}: its currencies are ${supportedList(settings)}.`, {
        details: { currency },
      });
    }
  }
  const [fromCnyRate, toCnyRate] = [await cnyRate(db, settings, from), await cnyRate(db, settings, to)];
  const missing = fromCnyRate === undefined ? from : toCnyRate === undefined ? to : undefined;
  if (missing !== undefined || fromCnyRate === undefined || toCnyRate === undefined) {
    throw new AppError("currency_not_accepted", `The platform has no exchange rate for ${missing}; prices cannot be shown or charged in it yet.`, {
      details: { currency: missing },
    });
  }
  return { from, to, fromCnyRate, toCnyRate, fromDecimals: fromDecimals!, toDecimals: toDecimals! };
}
