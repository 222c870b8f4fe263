// Two currencies in one shop over HTTP (docs/currencies.md): an admin sets the rates, the shop
// accepts CNY and the stablecoin (USDK), a USD product is charged in CNY through EPay and a CNY
// product in USDK on-chain; each order records the rate, and the quote's total in that currency is
// exactly the amount charged (figures worked by hand). A currency the shop does not accept, or
// one the payment method cannot take, is a 422 that writes no order. Conversions of the shop's
// payable race: with room for 3, exactly 3 of 8 pass.
import { expect } from "chai";
import { postOrderPayment } from "../../api/ledger/flows.ts";
import { checkLedgerInvariants } from "../../api/ledger/invariants.ts";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { notifyPath, signedNotification } from "../support/epayNotify.ts";
import { createProduct, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { usePlatform, waitFor } from "../support/platform.ts";
import { createStaffAccount, type StaffAccount } from "../support/staff.ts";

describe("currencies: two currencies in one shop (HTTP, PostgreSQL, Redis)", function () {
  this.timeout(300_000);
  const suite = usePlatform();
  let shop: MerchantSetup;
  let admin: StaffAccount;
  let usdProduct: string;
  let cnyProduct: string;
  const orderCount = async () => Number((await queryOne<{ n: string }>(suite.platform.database.db, sql`SELECT count(*) AS n FROM orders`))!.n);

  before(async () => {
    shop = await setupMerchant(suite.platform);
    admin = await createStaffAccount(suite.platform, "fx-admin", ["admin"]);
    for (const [currency, rate] of [
      ["USD", "7.1"],
      ["USDK", "7.2"],
    ]) {
      const set = await admin.http.put(`/api/admin/fx-rates/${currency}`, { cnyPerUnit: rate });
      expect(set.status, set.text).to.equal(200);
    }
    usdProduct = await createProduct(shop, { name: "USD card", currency: "USD", priceMinor: "1500", deliveryMode: "manual" });
    cnyProduct = await createProduct(shop, { name: "CNY card", currency: "CNY", priceMinor: "10000", deliveryMode: "manual" });
  });

  it("refuses a currency the shop does not accept, or the payment method cannot take, and writes nothing", async () => {
    const before = await orderCount();
    const buy = (body: Record<string, unknown>) =>
      suite.platform.http.post("/api/orders", { quantity: 1, contact: "fx@example.com", queryPassword: "fx-password", ...body });
    const notAccepted = await buy({ productId: usdProduct, currency: "CNY" });
    expect([notAccepted.status, notAccepted.body.code]).to.deep.equal([422, "currency_not_accepted"]);
    const quote = await suite.platform.http.post(`/api/products/${usdProduct}/quote`, { quantity: 1, currency: "CNY" });
    expect([quote.status, quote.body.code]).to.deep.equal([422, "currency_not_accepted"]);
    const accepted = await shop.merchant.put(`/api/shops/${shop.shopId}/currencies`, { accepted: ["CNY", "USDK"] });
    expect(accepted.status, accepted.text).to.equal(200);
    const unknown = await shop.merchant.put(`/api/shops/${shop.shopId}/currencies`, { accepted: ["XYZ"] });
    expect([unknown.status, unknown.body.code]).to.deep.equal([400, "validation_failed"]);
    const eur = await buy({ productId: usdProduct, currency: "EUR" });
    expect([eur.status, eur.body.code]).to.deep.equal([422, "currency_not_accepted"]);
    // EPay takes CNY only.
    const epayUsdk = await buy({ productId: cnyProduct, currency: "USDK", paymentMethod: "epay" });
    expect([epayUsdk.status, epayUsdk.body.code]).to.deep.equal([422, "currency_not_accepted"]);
    expect(await orderCount()).to.equal(before);
    expect((await suite.platform.http.get(`/api/shops/${shop.shopId}/currencies`)).body).to.deep.equal({ accepted: ["CNY", "USDK"] });
  });

  it("a USD product charged in CNY through EPay: the quote's total is the charge, the order records the rate, the ledger posts CNY only", async () => {
    // By hand: 2 x $15.00 = $30.00; the unit 1,500 x 7.1 = 10,650 fen, x2 = 21,300 fen.
    const quote = await suite.platform.http.post(`/api/products/${usdProduct}/quote`, { quantity: 2, currency: "CNY" });
    expect(quote.status, quote.text).to.equal(200);
    expect([quote.body.currency, quote.body.breakdown.unitPriceMinor, quote.body.breakdown.totalMinor]).to.deep.equal(["CNY", "10650", "21300"]);
    expect([quote.body.fx.rate, quote.body.fx.priceTotalMinor]).to.deep.equal(["7.1", "3000"]);
    const placed = await suite.platform.http.post("/api/orders", {
      productId: usdProduct,
      quantity: 2,
      contact: "fx-cny@example.com",
      queryPassword: "fx-password",
      currency: "CNY",
    });
    expect(placed.status, placed.text).to.equal(201);
    const order = placed.body.order;
    expect([order.currency, order.amountMinor]).to.deep.equal(["CNY", quote.body.breakdown.totalMinor]);
    expect(order.fx).to.deep.equal({ priceCurrency: "USD", priceAmountMinor: "3000", rate: "7.1" });
    const stored = await queryOne<{ currency: string; amount_minor: string; price_currency: string; price_amount_minor: string; fx_rate: string }>(
      suite.platform.database.db,
      sql`SELECT currency, amount_minor::text, price_currency, price_amount_minor::text, fx_rate::text FROM orders WHERE id = ${order.id}`,
    );
    expect(stored).to.deep.equal({ currency: "CNY", amount_minor: "21300", price_currency: "USD", price_amount_minor: "3000", fx_rate: "7.100000000000" });
    expect((await suite.platform.http.get(notifyPath(shop.shopId, signedNotification(shop.sandbox, order, `T${order.id}`)))).text).to.equal("success");
    // The sale's entry is posted after the notification's answer (the journal's group commit).
    const currencies = await waitFor("the sale's journal entry", async () => {
      const rows = await queryRows<{ currency: string }>(
        suite.platform.database.db,
        sql`SELECT DISTINCT p.currency FROM ledger_postings p JOIN ledger_transactions t ON t.id = p.tx_id
            WHERE t.reference_id = ${order.id} OR t.idempotency_key LIKE ${`%${order.id}%`} OR t.metadata->>'orderId' = ${order.id}`,
      );
      return rows.length > 0 ? rows : undefined;
    });
    expect(currencies.map((row) => row.currency)).to.deep.equal(["CNY"]);
  });

  it("a CNY product charged in the stablecoin on-chain: 13,888,889 base units for ¥100 at 7.2", async () => {
    // By hand: 10,000 fen = ¥100 / 7.2 = 13.8888888... USDK, 6 decimals: 13,888,889 (half up).
    const quote = await suite.platform.http.post(`/api/products/${cnyProduct}/quote`, { quantity: 1, currency: "USDK" });
    expect(quote.status, quote.text).to.equal(200);
    expect(quote.body.breakdown.totalMinor).to.equal("13888889");
    const placed = await suite.platform.http.post("/api/orders", {
      productId: cnyProduct,
      quantity: 1,
      contact: "fx-usdk@example.com",
      queryPassword: "fx-password",
      paymentMethod: "chain",
      currency: "USDK",
    });
    expect(placed.status, placed.text).to.equal(201);
    expect([placed.body.order.currency, placed.body.order.amountMinor]).to.deep.equal(["USDK", quote.body.breakdown.totalMinor]);
    expect([placed.body.payment.currency, placed.body.payment.amountMinor]).to.deep.equal(["USDK", "13888889"]);
    // 1 / 7.2 = 0.138888888889 (12 places, half up).
    expect(placed.body.order.fx).to.deep.equal({ priceCurrency: "CNY", priceAmountMinor: "10000", rate: "0.138888888889" });
  });

  it("8 conversions of 1,000,000 USDK base units at once with 3,000,000 payable: exactly 3 pass, each through the FX account", async () => {
    const shopId = BigInt(shop.shopId);
    // A platform-collected sale puts USDK in the shop's payable: 3,157,895 less the 5% fee (157,894 by floor) = 3,000,001.
    await postOrderPayment(suite.platform.database.db, {
      orderId: "fx-race-sale",
      shopId,
      amountMinor: 3_157_895n,
      currency: "USDK",
      provider: "chain",
      platformFeeBps: 500,
    });
    const convert = (i: number) =>
      shop.merchant.post(`/api/ledger/shops/${shop.shopId}/conversions`, {
        fromCurrency: "USDK",
        toCurrency: "CNY",
        amountMinor: "1000000",
        requestId: `race-${i}`,
      });
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => convert(i)));
    expect(answers.filter((answer) => answer.status === 201).length, answers.map((answer) => answer.status).join()).to.equal(3);
    expect(answers.filter((answer) => answer.status !== 201).map((answer) => answer.body.code)).to.deep.equal(Array(5).fill("insufficient_funds"));
    // By hand: 1 USDK (1,000,000 base units) x 7.2 = ¥7.20 = 720 fen.
    expect(answers.filter((answer) => answer.status === 201).map((answer) => answer.body.toMinor)).to.deep.equal(["720", "720", "720"]);
    const retried = await convert(answers.findIndex((answer) => answer.status === 201));
    expect([retried.status, retried.body.created]).to.deep.equal([201, false]);
    const balances = await queryRows<{ owner_type: string; purpose: string; currency: string; balance: string }>(
      suite.platform.database.db,
      sql`SELECT owner_type, purpose, currency, balance_minor::text AS balance FROM ledger_accounts
          WHERE (owner_type = 'shop' AND owner_id = ${shopId} AND purpose = 'payable') OR purpose = 'fx' ORDER BY owner_type, currency`,
    );
    expect(balances.map((row) => `${row.owner_type}/${row.purpose}/${row.currency}=${row.balance}`)).to.deep.equal([
      "platform/fx/CNY=-2160",
      "platform/fx/USDK=3000000",
      "shop/payable/CNY=2160",
      "shop/payable/USDK=1",
    ]);
    const invariants = await checkLedgerInvariants(suite.platform.database.db);
    expect([invariants.unbalancedTransactions, invariants.currenciesNotZero]).to.deep.equal([[], []]);
  });
});
