// Issue 14 item 3 over HTTP against the running platform: a merchant signs a notification for
// its own order with the EPay key it chose itself. That sale must credit nothing payable (the
// money is on the merchant's gateway, not the platform's), it makes the platform fee a
// receivable, a payout of it is refused, a top-up paid through the platform's own EPay merchant
// settles the receivable, and checkout on the shop's own gateway stops while unpaid fees exceed
// the prepaid balance by more than the credit. Expected figures are computed here by hand:
// a 1,000-fen product at the default 5% fee owes 50 fen per sale.
import { expect } from "chai";
import { resaleEpayMerchant } from "../../api/services/resale/resalePayments.ts";
import { notifyPath, signedNotification } from "../support/epayNotify.ts";
import { usePlatform, waitFor } from "../support/platform.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";

const priceMinor = 1_000n;
const feePerSaleMinor = (priceMinor * 500n) / 10_000n; // 50
// Two unpaid sales (100) exceed a credit of 60; one (50) does not.
const creditMinor = 60n;

describe("merchant-collected sales end to end (HTTP, PostgreSQL, Redis, local chain)", function () {
  this.timeout(300_000);
  const suite = usePlatform({ env: { PLATFORM_FEE_BPS: "500", LEDGER_MERCHANT_FEE_CREDIT_MINOR: String(creditMinor) } });
  let setup: MerchantSetup;
  let productId: string;
  before(async () => {
    setup = await setupMerchant(suite.platform);
    productId = await createProduct(setup, { name: "Own-gateway card", priceMinor: String(priceMinor) });
    await importKeys(setup, productId, randomKeys(6, "MC"));
  });

  const checkout = () =>
    suite.platform.http.post("/api/orders", { productId, quantity: 1, contact: "buyer@example.com", queryPassword: "buyer-pass-1", paymentMethod: "epay" });

  async function payOnOwnGateway(order: { id: string; amountMinor: string }, tradeNo: string): Promise<void> {
    // The merchant signs it with its own key: exactly what it can always do.
    const notified = await suite.platform.http.get(notifyPath(setup.shopId, signedNotification(setup.sandbox, order, tradeNo)));
    expect([notified.status, notified.text]).to.deep.equal([200, "success"]);
  }

  async function feesOwed(expectedOwedMinor: bigint, expectedPrepaidMinor: bigint) {
    // The sale's ledger entry is posted after the payment commits (group commit): wait for it.
    return waitFor("ledger fee position", async () => {
      const balance = await setup.merchant.get(`/api/ledger/shops/${setup.shopId}/balance`);
      expect(balance.status, balance.text).to.equal(200);
      const cny = balance.body.fees.find((fee: { currency: string }) => fee.currency === "CNY");
      return cny && BigInt(cny.owedMinor) === expectedOwedMinor && BigInt(cny.prepaidMinor) === expectedPrepaidMinor ? balance.body : undefined;
    });
  }

  it("credits nothing payable for a notification the merchant signed, makes the fee a receivable, and refuses a payout of it", async () => {
    const first = await checkout();
    expect(first.status, first.text).to.equal(201);
    await payOnOwnGateway(first.body.order, "MC-T-1");
    const balance = await feesOwed(feePerSaleMinor, 0n);
    const payable = balance.balances.find((row: { currency: string }) => row.currency === "CNY");
    expect(BigInt(payable?.availableMinor ?? "0")).to.equal(0n);
    expect(BigInt(balance.fees.find((fee: { currency: string }) => fee.currency === "CNY").collectedMinor)).to.equal(priceMinor);
    const payout = await setup.merchant.post(`/api/ledger/shops/${setup.shopId}/payouts`, {
      amountMinor: String(priceMinor - feePerSaleMinor),
      currency: "CNY",
    });
    expect([payout.status, payout.body.code]).to.deep.equal([409, "insufficient_funds"]);
  });

  it("stops checkout on the shop's own gateway beyond the fee credit, and a top-up through the platform's gateway settles it", async () => {
    // 50 owed is within the credit of 60: a second sale is allowed, and takes it to 100.
    const second = await checkout();
    expect(second.status, second.text).to.equal(201);
    await payOnOwnGateway(second.body.order, "MC-T-2");
    await feesOwed(2n * feePerSaleMinor, 0n);
    const refused = await checkout();
    expect([refused.status, refused.body.code]).to.deep.equal([409, "fee_balance_exhausted"]);
    // The refused checkout reserved nothing: the stock is the 6 imported minus 2 sold.
    expect((await suite.platform.http.get(`/api/products/${productId}`)).body.stock).to.equal(4);

    // Another merchant cannot top up (or see) this shop's balance.
    const other = await setupMerchant(suite.platform);
    expect((await other.merchant.post(`/api/ledger/shops/${setup.shopId}/topups`, { amountMinor: "80", currency: "CNY" })).status).to.equal(403);

    // A top-up of 80 paid through the platform's own EPay merchant (the sandbox pays it and
    // notifies the platform, signed with the platform's key): 80 of the 100 owed are settled.
    const topup = await setup.merchant.post(`/api/ledger/shops/${setup.shopId}/topups`, { amountMinor: "80", currency: "CNY" });
    expect(topup.status, topup.text).to.equal(201);
    expect(topup.body.state).to.equal("awaiting_payment");
    const paymentUrl = new URL(topup.body.paymentUrl);
    expect(paymentUrl.searchParams.get("notify_url")).to.equal(`${suite.platform.url}/api/ledger/topups/epay/notify`);
    expect(paymentUrl.searchParams.get("pid")).to.not.equal(setup.sandbox.pid);
    const paid = await fetch(`${suite.platform.url}/sandbox/epay/pay`, { method: "POST", body: paymentUrl.searchParams, redirect: "manual" });
    expect(paid.status).to.equal(303);
    expect((await setup.merchant.get(`/api/ledger/topups/${topup.body.id}`)).body.state).to.equal("paid");
    await feesOwed(2n * feePerSaleMinor - 80n, 0n);

    // A top-up notification for the platform's merchant id, signed with the merchant's own key, credits nothing.
    const forged = await suite.platform.http.get(
      `/api/ledger/topups/epay/notify?${new URLSearchParams(signedNotification({ pid: paymentUrl.searchParams.get("pid")!, key: setup.sandbox.key }, { id: topup.body.id, amountMinor: "80" }, "FORGED-1")).toString()}`,
    );
    expect([forged.status, forged.body.code]).to.deep.equal([400, "invalid_signature"]);

    // 20 owed is within the credit: sales on the own gateway resume.
    const resumed = await checkout();
    expect(resumed.status, resumed.text).to.equal(201);
  });

  it("credits a top-up once: a replayed notification changes nothing, and another trade number for it is refused", async () => {
    // Left by the test before: 20 owed, nothing prepaid. A top-up of 30 settles the 20 and leaves 10 prepaid.
    await feesOwed(20n, 0n);
    const topup = await setup.merchant.post(`/api/ledger/shops/${setup.shopId}/topups`, { amountMinor: "30", currency: "CNY" });
    expect(topup.status, topup.text).to.equal(201);
    // Signed as the platform's gateway signs it, with the platform's own merchant key.
    const platformMerchant = resaleEpayMerchant(suite.platform.ctx.config, suite.platform.url);
    const notify = (tradeNo: string) =>
      suite.platform.http.get(
        `/api/ledger/topups/epay/notify?${new URLSearchParams(signedNotification(platformMerchant, { id: topup.body.id, amountMinor: "30" }, tradeNo)).toString()}`,
      );
    // Gateways notify by GET or by a POSTed form: the first notification comes as a form.
    const notifyByForm = (tradeNo: string) =>
      suite.platform.http.request(
        "POST",
        "/api/ledger/topups/epay/notify",
        new URLSearchParams(signedNotification(platformMerchant, { id: topup.body.id, amountMinor: "30" }, tradeNo)).toString(),
        { "content-type": "application/x-www-form-urlencoded" },
      );
    expect((await notifyByForm("TU-REPLAY-1")).text).to.equal("success");
    await feesOwed(0n, 10n);
    expect((await notify("TU-REPLAY-1")).text).to.equal("success");
    expect((await notifyByForm("TU-REPLAY-1")).text).to.equal("success");
    const other = await notify("TU-REPLAY-2");
    expect([other.status, other.body.code]).to.deep.equal([409, "conflict"]);
    const balance = await feesOwed(0n, 10n);
    expect(balance.fees).to.have.length(1);
  });
});
