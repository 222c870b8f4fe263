// A receipt as labelled lines, the one layout both renderers follow (HTML escapes them, the PDF
// sets them), so a figure cannot differ between the two formats.
import { formatRate, parseRate } from "../../../core/money/fx.ts";
import type { Receipt } from "./receipt.ts";
import { dateText, labelsOf, moneyText, percentText, type ReceiptLang } from "./receiptText.ts";

export type ReceiptLayout = {
  title: string;
  header: [string, string][];
  itemColumns: [string, string, string, string];
  itemRows: [string, string, string, string][];
  breakdown: [string, string][];
  total: [string, string];
  chainTitle: string;
  chain: [string, string][];
};

export function receiptLayout(receipt: Receipt, lang: ReceiptLang): ReceiptLayout {
  const t = labelsOf(lang);
  const money = (minor: bigint) => moneyText(minor, receipt.currency, receipt.decimalsOf);
  const b = receipt.breakdown;
  const breakdown: [string, string][] = [[t.listPrice, money(b.listUnitPriceMinor)]];
  if (b.levelName) breakdown.push([t.memberLevel, b.levelName]);
  if (b.couponCode) breakdown.push([t.coupon, b.couponCode]);
  breakdown.push([t.subtotal, money(b.subtotalMinor)]);
  if (b.discountMinor !== 0n) breakdown.push([t.discount, money(-b.discountMinor)]);
  if (receipt.tax) {
    breakdown.push([t.taxNet, money(receipt.tax.netMinor)]);
    breakdown.push([t.taxIncluded(percentText(receipt.tax.rateBps), receipt.tax.country), money(receipt.tax.taxMinor)]);
  } else breakdown.push([t.noTax, ""]);
  // Charged in another currency: the price in its own currency and the rate the order recorded
  // (major units charged per major unit of the price, as on the order), so the buyer can check the conversion.
  if (receipt.fx) {
    const rate = parseRate(receipt.fx.rate);
    breakdown.push([t.priceIn(receipt.fx.priceCurrency), moneyText(receipt.fx.priceTotalMinor, receipt.fx.priceCurrency, receipt.decimalsOf)]);
    breakdown.push([t.exchangeRate, `1 ${receipt.fx.priceCurrency} = ${rate === undefined ? receipt.fx.rate : formatRate(rate)} ${receipt.currency}`]);
  }
  const chain: [string, string][] = [];
  for (const ref of receipt.chain) {
    chain.push(
      [t.token, ref.tokenId ?? t.pending],
      [t.issueTx, ref.issueTx ?? t.pending],
      [`${t.batch} ${ref.batchId} · ${t.anchorTx}`, ref.anchorTx ?? t.pending],
    );
  }
  return {
    title: t.receipt,
    header: [
      [t.seller, receipt.sellerVerified ? `${receipt.sellerName} (${t.verified})` : receipt.sellerName],
      [t.shop, receipt.shopName],
      [t.order, receipt.orderId],
      [t.ordered, dateText(receipt.createdAt)],
      [t.paid, dateText(receipt.paidAt)],
      [t.paymentMethod, receipt.paymentMethod === "epay" ? t.epay : t.chain],
    ],
    itemColumns: [t.item, t.quantity, t.unitPrice, t.amount],
    itemRows: receipt.items.map((item) => [item.name, String(item.quantity), money(item.unitPriceMinor), money(item.amountMinor)]),
    breakdown,
    total: [t.total, money(receipt.totalMinor)],
    chainTitle: t.chainReferences,
    chain,
  };
}
