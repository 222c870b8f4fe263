// Receipts through the HTTP API (docs/saas.md, "Receipts and tax"): a paid order's PDF receipt,
// read back with a PDF text extractor, in zh-CN and en, whose items, tax and total equal figures
// worked out by hand here; the HTML receipt escapes a product name with markup; who may not see
// the order gets 404; bad format, language or country is 400.
import { expect } from "chai";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { notifyPath, signedNotification } from "../support/epayNotify.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { usePlatform, waitFor } from "../support/platform.ts";
import { pdfText } from "./pdfText.ts";

type Paid = { id: string; accessToken: string };

describe("receipts: HTML and PDF through the HTTP API (PostgreSQL, Redis, chain)", function () {
  this.timeout(300_000);
  const suite = usePlatform();
  let shop: MerchantSetup;
  let buyerToken: string;
  let order: Paid;
  const productName = `Game card <b onmouseover="alert(1)">X</b> & "co"`;

  before(async () => {
    shop = await setupMerchant(suite.platform);
    // 1,999 fen a unit, three units: 5,997 fen charged.
    const productId = await createProduct(shop, { name: productName, priceMinor: "1999", quantityMax: 5 });
    await importKeys(shop, productId, randomKeys(4, "RCPT"));
    const signup = await suite.platform.http.post("/api/auth/signup", { email: `receipt-buyer-${Date.now()}@example.com`, password: "buyer-password-1" });
    expect(signup.status, signup.text).to.equal(201);
    buyerToken = signup.body.token;
    const created = await suite.platform.http.as(buyerToken).post("/api/orders", { productId, quantity: 3 });
    expect(created.status, created.text).to.equal(201);
    expect(created.body.order.amountMinor).to.equal("5997");
    order = { id: created.body.order.id, accessToken: created.body.accessToken };
    const paid = await suite.platform.http.get(notifyPath(shop.shopId, signedNotification(shop.sandbox, created.body.order, `RCPT-${Date.now()}`)));
    expect(paid.text).to.equal("success");
    await waitFor(
      "the order's entitlements issued on-chain",
      async () => {
        const rows = await queryRows<{ issue_tx: string | null }>(
          suite.platform.database.db,
          sql`SELECT issue_tx FROM entitlements WHERE order_id = ${order.id}`,
        );
        return rows.length === 3 && rows.every((row) => row.issue_tx !== null);
      },
      120_000,
      250,
    );
    // China 13% (inclusive); Germany 19% configured exclusive, shown as contained in the charge.
    expect((await shop.merchant.put(`/api/shops/${shop.shopId}/tax-rates/CN`, { rateBps: 1300, inclusive: true })).status).to.equal(200);
    expect((await shop.merchant.put(`/api/shops/${shop.shopId}/tax-rates/DE`, { rateBps: 1900, inclusive: false })).status).to.equal(200);
  });

  const receiptUrl = (query: Record<string, string>) => `/api/orders/${order.id}/receipt?${new URLSearchParams(query)}`;
  async function download(query: Record<string, string>, token?: string) {
    const response = await fetch(suite.platform.url + receiptUrl(query), { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: response.status, type: response.headers.get("content-type"), bytes: new Uint8Array(await response.arrayBuffer()) };
  }

  it("renders a PDF in English whose items, tax and total are the hand-computed ones", async () => {
    const pdf = await download({ format: "pdf", lang: "en", country: "CN" }, buyerToken);
    expect(pdf.status).to.equal(200);
    expect(pdf.type).to.equal("application/pdf");
    const text = await pdfText(pdf.bytes);
    // Inclusive 13% of 5,997: net = round(5997 × 10000 / 11300) = round(5307.08) = 5307, tax = 690.
    expect(text).to.include("Receipt");
    expect(text).to.include(order.id);
    expect(text).to.include("Total: 59.97 CNY");
    expect(text).to.include("Tax included (13%, CN): 6.90 CNY");
    expect(text).to.include("Net of tax: 53.07 CNY");
    expect(text).to.include("| 3 | 19.99 CNY | 59.97 CNY");
    expect(text).to.include("Game card");
    const shopName = (await queryOne<{ name: string }>(suite.platform.database.db, sql`SELECT name FROM shops WHERE id = ${BigInt(shop.shopId)}`))!.name;
    expect(text).to.include(`Seller: ${shopName}`);
    // The chain references: three token ids and the batch's anchor transaction.
    const refs = await queryRows<{ token_id: string; anchor_tx: string }>(
      suite.platform.database.db,
      sql`SELECT e.token_id::text AS token_id, b.anchor_tx FROM entitlements e JOIN keys k ON k.id = e.key_id JOIN batches b ON b.id = k.batch_id WHERE e.order_id = ${order.id}`,
    );
    for (const ref of refs) {
      expect(text).to.include(`Entitlement token: ${ref.token_id}`);
      expect(text.replace(/\s+/g, "")).to.include(ref.anchor_tx);
    }
  });

  it("renders a PDF in Chinese with the same figures", async () => {
    // Germany 19% configured exclusive, shown as contained in the 5,997 charged:
    // net = round(59,970,000 / 11,900) = round(5039.496) = 5039, tax = 5997 − 5039 = 958.
    const pdf = await download({ format: "pdf", lang: "zh-CN", country: "DE" }, buyerToken);
    expect(pdf.status).to.equal(200);
    const text = await pdfText(pdf.bytes);
    expect(text).to.include("收据");
    expect(text).to.include("合计: 59.97 CNY");
    expect(text).to.include("含税（19%，DE）: 9.58 CNY");
    expect(text).to.include("不含税金额: 50.39 CNY");
    expect(text).to.include("支付方式: 易支付");
  });

  it("has no tax line without a country, or for a country without a rate", async () => {
    const queries: Record<string, string>[] = [
      { format: "pdf", lang: "en" },
      { format: "pdf", lang: "en", country: "US" },
    ];
    for (const query of queries) {
      const text = await pdfText((await download(query, buyerToken)).bytes);
      expect(text).to.include("No tax line");
      expect(text).to.include("Total: 59.97 CNY");
    }
  });

  it("escapes a product name with markup in the HTML receipt", async () => {
    const html = await download({ format: "html", lang: "en" }, buyerToken);
    expect(html.status).to.equal(200);
    expect(html.type).to.match(/^text\/html/);
    const text = new TextDecoder().decode(html.bytes);
    expect(text).to.include("Game card &lt;b onmouseover=&quot;alert(1)&quot;&gt;X&lt;/b&gt; &amp; &quot;co&quot;");
    expect(text).not.to.include("<b onmouseover");
    expect(text).not.to.include("<script");
  });

  it("opens to the order's access token (guest), its merchant; refuses another buyer and a guest without the token", async () => {
    expect((await download({ format: "html", lang: "en", token: order.accessToken })).status).to.equal(200);
    expect((await download({ format: "html", lang: "en" }, shop.merchant.token)).status).to.equal(200);
    const other = await suite.platform.http.post("/api/auth/signup", { email: `other-buyer-${Date.now()}@example.com`, password: "buyer-password-1" });
    expect((await download({ format: "html", lang: "en" }, other.body.token)).status).to.equal(404);
    expect((await download({ format: "html", lang: "en" })).status).to.equal(404);
    expect((await download({ format: "html", lang: "en", token: "not-a-token" })).status).to.equal(404);
    const otherShop = await setupMerchant(suite.platform);
    expect((await download({ format: "html", lang: "en" }, otherShop.merchant.token)).status).to.equal(404);
  });

  it("refuses a bad format, language or country with 400", async () => {
    const queries: Record<string, string>[] = [{ format: "docx" }, { lang: "fr" }, { country: "XX" }, { country: "cn" }];
    for (const query of queries) {
      const response = await download(query, buyerToken);
      expect(response.status, JSON.stringify(query)).to.equal(400);
    }
  });
});
