// A price as the web app shows it ("¥1,234.50", "12.00 USDK"). Money is a decimal string of
// integer minor units; it is formatted with bigint arithmetic, never through a float, so
// ¥19,999,999.99 stays exact. Shared by the web app and the server, which writes a product's
// price into the page's first paint (api/http/firstPaint.ts): both must write the same text.

/** Decimals per currency; unknown currencies show 2, which is what most of them use. */
export const currencyDecimals: Record<string, number> = { CNY: 2, USD: 2, EUR: 2, HKD: 2, JPY: 0, USDK: 2 };
const currencySymbols: Record<string, string> = { CNY: "¥", USD: "$", EUR: "€", HKD: "HK$", JPY: "¥" };

export function formatMoney(minor: string | bigint, currency: string): string {
  const decimals = currencyDecimals[currency] ?? 2;
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
