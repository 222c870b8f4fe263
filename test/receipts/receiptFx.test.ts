// A receipt of an order charged in another currency than its price's (docs/currencies.md,
// "Receipts"): the HTML and the PDF (read back with pdfjs-dist) show the price in its own currency
// and the rate the order recorded, in both languages; a receipt charged in the price's currency
// shows no rate. Figures by hand: a $30.00 product charged ¥213.00 at 7.1.
import { expect } from "chai";
import type { Receipt } from "../../api/services/receipts/receipt.ts";
import { receiptHtml } from "../../api/services/receipts/receiptHtml.ts";
import { receiptPdf } from "../../api/services/receipts/receiptPdf.ts";
import { moneyDecimals } from "../../api/services/receipts/receiptText.ts";
import { pdfText } from "./pdfText.ts";

const charged: Receipt = {
  orderId: "ord-fx-1",
  sellerName: "Maple Cards",
  sellerVerified: false,
  shopName: "Maple Cards",
  createdAt: new Date("2026-12-01T10:00:00Z"),
  paidAt: new Date("2026-12-01T10:01:00Z"),
  currency: "CNY",
  items: [{ name: "Game card", quantity: 2, unitPriceMinor: 10_650n, amountMinor: 21_300n }],
  breakdown: {
    listUnitPriceMinor: 10_650n,
    unitPriceMinor: 10_650n,
    quantity: 2,
    subtotalMinor: 21_300n,
    discountMinor: 0n,
    levelName: null,
    couponCode: null,
  },
  tax: null,
  totalMinor: 21_300n,
  // As the orders row records it: numeric(30,12) text.
  fx: { priceCurrency: "USD", priceTotalMinor: 3_000n, rate: "7.100000000000" },
  paymentMethod: "epay",
  decimalsOf: moneyDecimals({ currency: "USDK", decimals: 6 }),
  chain: [],
};

describe("receipts of orders charged in another currency (HTML and PDF)", function () {
  this.timeout(60_000);

  it("the PDF in English and in Chinese shows the price in USD and the recorded rate beside the CNY total", async () => {
    const en = await pdfText(new Uint8Array(await receiptPdf(charged, "en")));
    expect(en).to.include("Total: 213.00 CNY");
    expect(en).to.include("Price in USD: 30.00 USD");
    expect(en).to.include("Exchange rate: 1 USD = 7.1 CNY");
    const zh = await pdfText(new Uint8Array(await receiptPdf(charged, "zh-CN")));
    expect(zh).to.include("合计: 213.00 CNY");
    expect(zh).to.include("USD 标价: 30.00 USD");
    expect(zh).to.include("汇率: 1 USD = 7.1 CNY");
  });

  it("the HTML shows the same lines; a receipt charged in its price's currency shows no rate", async () => {
    const html = receiptHtml(charged, "en");
    expect(html).to.include("Price in USD");
    expect(html).to.include("1 USD = 7.1 CNY");
    const plain = receiptHtml({ ...charged, fx: null }, "en");
    expect(plain).to.not.include("Exchange rate");
    const pdf = await pdfText(new Uint8Array(await receiptPdf({ ...charged, fx: null }, "en")));
    expect(pdf).to.include("Total: 213.00 CNY");
    expect(pdf).to.not.include("Exchange rate");
  });

  it("prints a stablecoin charge in its token's units and an ETH charge in wei's, not as hundredths", async () => {
    // 25 USDK is 25,000,000 base units (6 decimals); 0.0125 ETH is 12,500,000,000,000,000 wei.
    const usdk = { ...charged, currency: "USDK", totalMinor: 25_000_000n, fx: null, paymentMethod: "chain" as const };
    const usdkText = await pdfText(new Uint8Array(await receiptPdf(usdk, "en")));
    expect(usdkText).to.include("25.000000 USDK");
    expect(usdkText).not.to.include("250000.00 USDK");
    const eth = { ...charged, currency: "ETH", totalMinor: 12_500_000_000_000_000n, fx: null, paymentMethod: "chain" as const };
    expect(receiptHtml(eth, "en")).to.include("0.012500000000000000 ETH");
  });
});
