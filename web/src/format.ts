// Money is a decimal string of integer minor units; it is formatted with bigint arithmetic,
// never through a float, so ¥19,999,999.99 stays exact. Each currency is written with its own
// digits, by the platform's one rule (core/money/fx.ts displayDecimals, which receipts use too):
// fiat 2, ETH 18, the stablecoin its token's decimals.
import { displayDecimals } from "../../core/money/fx.ts";
import { defaultStablecoin, formatMoney as formatMoneyWith } from "../../core/money/formatMoney.ts";
import type { Lang } from "./i18n/i18n.tsx";

/**
 * The platform's stablecoin: the configuration's default (USDK, 6 decimals, as USDT and USDC)
 * until GET /api/fx-rates says otherwise (web/src/currency/fxRates.ts calls setStablecoin).
 */
let stablecoin = defaultStablecoin;

export function setStablecoin(setting: { currency: string; decimals: number }): void {
  stablecoin = setting;
}

export function stablecoinCurrency(): string {
  return stablecoin.currency;
}

const decimalsOf = (currency: string) => displayDecimals(currency, stablecoin);

/** Shared with the server, which writes a product's price into the page's first paint. */
export function formatMoney(minor: string | bigint, currency: string): string {
  return formatMoneyWith(minor, currency, stablecoin);
}

/** "48.00" -> 4800n for CNY; undefined when the text is not an amount with at most the currency's decimals. */
export function parseMoney(text: string, currency: string): bigint | undefined {
  const decimals = decimalsOf(currency);
  const match = /^\s*(\d{1,15})(?:\.(\d+))?\s*$/.exec(text);
  if (!match) return undefined;
  const fraction = match[2] ?? "";
  if (fraction.length > decimals) return undefined;
  return BigInt(match[1]!) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, "0") || "0");
}

/** 850n CNY -> "8.50": an amount as a merchant types it back into a field (no symbol, no separators). */
export function moneyInputText(minor: string | bigint, currency: string): string {
  const decimals = decimalsOf(currency);
  const value = BigInt(minor);
  if (decimals === 0) return String(value);
  const scale = 10n ** BigInt(decimals);
  return `${value / scale}.${String(value % scale).padStart(decimals, "0")}`;
}

// One formatter per language, made on first use: Date.toLocaleString with options builds a new
// Intl.DateTimeFormat on every call (about 10 ms each on Lighthouse's 4x-slowed CPU), and the
// order page formats three dates on every render, its polls included. Same output.
const dateTimeFormats = new Map<Lang, Intl.DateTimeFormat>();

export function formatDateTime(iso: string | null | undefined, lang: Lang): string {
  if (!iso) return "—";
  let format = dateTimeFormats.get(lang);
  if (!format) {
    format = new Intl.DateTimeFormat(lang === "zh" ? "zh-CN" : "en-GB", { dateStyle: "medium", timeStyle: "short" });
    dateTimeFormats.set(lang, format);
  }
  return format.format(new Date(iso));
}

export function shortHash(hash: string, keep = 6): string {
  return hash.length > keep * 2 + 4 ? `${hash.slice(0, keep + 2)}…${hash.slice(-keep)}` : hash;
}
