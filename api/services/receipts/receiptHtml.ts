// A receipt as a standalone HTML page. Every text that comes from data (product and shop names,
// the seller's legal name, coupon codes) goes through escapeHtml, so markup in a product name is
// shown as text, never run. The page has no script; the route serves it with a CSP that allows none.
import { escapeHtml } from "../../../core/escapeHtml.ts";
import type { Receipt } from "./receipt.ts";
import { receiptLayout } from "./receiptLines.ts";
import type { ReceiptLang } from "./receiptText.ts";

const rows = (pairs: [string, string][]) =>
  pairs.map(([label, value]) => `<tr><th scope="row">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`).join("");

export function receiptHtml(receipt: Receipt, lang: ReceiptLang): string {
  const layout = receiptLayout(receipt, lang);
  const itemHead = layout.itemColumns.map((column) => `<th scope="col">${escapeHtml(column)}</th>`).join("");
  const itemBody = layout.itemRows.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join("")}</tr>`).join("");
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`${layout.title} ${receipt.orderId}`)}</title>
<style>body{font-family:system-ui,"Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#111}
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #ddd;overflow-wrap:anywhere}
.total td,.total th{font-weight:700;font-size:1.1rem}</style></head>
<body><main><h1>${escapeHtml(layout.title)}</h1>
<table aria-label="${escapeHtml(layout.title)}"><tbody>${rows(layout.header)}</tbody></table>
<table><thead><tr>${itemHead}</tr></thead><tbody>${itemBody}</tbody></table>
<table><tbody>${rows(layout.breakdown)}<tr class="total"><th scope="row">${escapeHtml(layout.total[0])}</th><td data-testid="receipt-total">${escapeHtml(layout.total[1])}</td></tr></tbody></table>
${layout.chain.length ? `<h2>${escapeHtml(layout.chainTitle)}</h2><table><tbody>${rows(layout.chain)}</tbody></table>` : ""}
</main></body></html>
`;
}
