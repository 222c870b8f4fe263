// A price as the web app shows it ("¥1,234.50", "12.000000 USDK"). Money is a decimal string of
// integer minor units; it is formatted with bigint arithmetic, never through a float, so
// ¥19,999,999.99 stays exact. Each currency is written with its own digits, by the platform's one
// rule (displayDecimals, which receipts use too). Shared by the web app and the server, which
// writes a product's price into the page's first paint (api/http/firstPaint.ts): both must write
// the same text.
import { displayDecimals } from "./fx.ts";

/** The configuration's default stablecoin (USDK, 6 decimals, as USDT and USDC). */
export const defaultStablecoin = { currency: "USDK", decimals: 6 };

const currencySymbols: Record<string, string> = { CNY: "¥", USD: "$", EUR: "€", HKD: "HK$", JPY: "¥" };

export function formatMoney(minor: string | bigint, currency: string, stablecoin = defaultStablecoin): string {
  const decimals = displayDecimals(currency, stablecoin);
  let value = BigInt(minor);
  const negative = value < 0n;
  if (negative) value = -value;
  const scale = 10n ** BigInt(decimals);
  const whole = (value / scale).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const fraction = decimals ? `.${(value % scale).toString().padStart(decimals, "0")}` : "";
  const symbol = currencySymbols[currency];
  const amount = `${whole}${fraction}`;
  return `${negative ? "-" : ""}${symbol ? `${symbol}${amount}` : `${amount} ${currency}`}`;
}
