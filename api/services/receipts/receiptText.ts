// The words and figures of receipts and statements, in zh-CN and en: one source for the HTML and
// the PDF, so both say the same. Money is integer minor units written with bigint arithmetic
// (never a float): "19.99 CNY". The web app formats money itself (web/src/format.ts), which the
// API may not import (test/architecture/boundaries.test.ts).

import { displayDecimals } from "../../../core/money/fx.ts";

export type ReceiptLang = "zh-CN" | "en";
export const receiptLangs = ["zh-CN", "en"] as const;

/** Minor-unit digits of a currency: the platform's own rule (moneyDecimals), for receipts and statements. */
export type DecimalsOf = (currency: string) => number;

/** The platform's digits per currency (core/money/fx.ts displayDecimals, which the web app's formatMoney uses too). */
export function moneyDecimals(stablecoin: { currency: string; decimals: number }): DecimalsOf {
  return (currency) => displayDecimals(currency, stablecoin);
}

export function moneyText(minor: bigint, currency: string, decimalsOf: DecimalsOf): string {
  const decimals = decimalsOf(currency);
  const negative = minor < 0n;
  const value = negative ? -minor : minor;
  const scale = 10n ** BigInt(decimals);
  const fraction = decimals ? `.${(value % scale).toString().padStart(decimals, "0")}` : "";
  return `${negative ? "-" : ""}${value / scale}${fraction} ${currency}`;
}

/** Basis points as a percent: 1300 → "13%", 1950 → "19.5%", 5 → "0.05%". */
export function percentText(bps: number): string {
  const whole = Math.trunc(bps / 100);
  const fraction = (bps % 100).toString().padStart(2, "0").replace(/0+$/, "");
  return `${whole}${fraction ? `.${fraction}` : ""}%`;
}

/** An instant as UTC "2026-12-07 13:05 UTC", the same in both languages. */
export function dateText(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

const labels = {
  en: {
    receipt: "Receipt",
    seller: "Seller",
    verified: "verified",
    shop: "Shop",
    order: "Order",
    ordered: "Ordered",
    paid: "Paid",
    item: "Item",
    quantity: "Qty",
    unitPrice: "Unit price",
    amount: "Amount",
    listPrice: "List unit price",
    memberLevel: "Member level",
    coupon: "Coupon",
    subtotal: "Subtotal",
    discount: "Discount",
    taxIncluded: (rate: string, country: string) => `Tax included (${rate}, ${country})`,
    taxNet: "Net of tax",
    noTax: "No tax line: no rate for the buyer's country",
    total: "Total",
    priceIn: (currency: string) => `Price in ${currency}`,
    exchangeRate: "Exchange rate",
    paymentMethod: "Payment method",
    epay: "EPay",
    chain: "On-chain payment",
    chainReferences: "Chain references",
    token: "Entitlement token",
    issueTx: "Issuance tx",
    batch: "Batch",
    anchorTx: "Anchor tx",
    pending: "pending",
    statement: "Monthly statement",
    month: "Month",
    currency: "Currency",
    opening: "Opening balance",
    closing: "Closing balance",
    credits: "Credits",
    debits: "Debits",
    date: "Date",
    kind: "Kind",
    reference: "Reference",
    balance: "Balance",
  },
  "zh-CN": {
    receipt: "收据",
    seller: "卖家",
    verified: "已认证",
    shop: "店铺",
    order: "订单",
    ordered: "下单时间",
    paid: "支付时间",
    item: "商品",
    quantity: "数量",
    unitPrice: "单价",
    amount: "金额",
    listPrice: "标价",
    memberLevel: "会员等级",
    coupon: "优惠券",
    subtotal: "小计",
    discount: "优惠",
    taxIncluded: (rate: string, country: string) => `含税（${rate}，${country}）`,
    taxNet: "不含税金额",
    noTax: "无税额：买家所在国家未设税率",
    total: "合计",
    priceIn: (currency: string) => `${currency} 标价`,
    exchangeRate: "汇率",
    paymentMethod: "支付方式",
    epay: "易支付",
    chain: "链上支付",
    chainReferences: "链上凭证",
    token: "权益凭证编号",
    issueTx: "发放交易",
    batch: "批次",
    anchorTx: "锚定交易",
    pending: "待确认",
    statement: "月度对账单",
    month: "月份",
    currency: "币种",
    opening: "期初余额",
    closing: "期末余额",
    credits: "收入",
    debits: "支出",
    date: "日期",
    kind: "类型",
    reference: "参考",
    balance: "余额",
  },
} as const;

export type ReceiptLabels = (typeof labels)["en"];
export function labelsOf(lang: ReceiptLang): ReceiptLabels {
  return labels[lang] as ReceiptLabels;
}
