// Invariant 7: bad input gets a clear 4xx with a code and a message, and writes nothing.
// Every case runs against the real app; row counts of every table are compared before and
// after the whole batch of bad requests.
import { expect } from "chai";
import { queryRows, sql } from "../../core/store/database.ts";
import { sandboxMerchantKey } from "../../api/payments/epaySandbox.ts";
import { notifyPath, signedNotification } from "../support/epayNotify.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { startTestPlatform, type HttpResponse, type TestPlatform } from "../support/platform.ts";

// Tables only background loops write (the indexer following new blocks, the ledger hasher
// chaining entries); they move with time, not with requests.
const backgroundTables = /^(chain_|indexer_|reconciliation_)|^ledger_(chain|unhashed)$/;

async function tableCounts(platform: TestPlatform): Promise<Record<string, number>> {
  const all = await queryRows<{ table_name: string }>(
    platform.database.db,
    sql`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  const tables = all.filter(({ table_name: table }) => !backgroundTables.test(table));
  const counts: Record<string, number> = {};
  for (const { table_name: table } of tables) {
    const [row] = await queryRows<{ n: bigint }>(platform.database.db, sql`SELECT count(*) AS n FROM ${sql.identifier(table)}`);
    counts[table] = Number(row!.n);
  }
  return counts;
}

function expectClientError(response: HttpResponse, status: number, code: string) {
  expect(response.status, response.text).to.equal(status);
  expect(response.body.code, response.text).to.equal(code);
  expect(response.body.message).to.be.a("string").and.not.equal("");
  expect(response.body).to.have.property("details");
}

describe("bad input: clear 4xx errors that write nothing", function () {
  this.timeout(300_000);
  let platform: TestPlatform;
  let setup: MerchantSetup;
  let productId: string;
  let order: { id: string; amountMinor: string };

  before(async () => {
    platform = await startTestPlatform();
    setup = await setupMerchant(platform);
    productId = await createProduct(setup, { name: "Bad input target", quantityMax: 5 });
    await importKeys(setup, productId, randomKeys(3, "BAD"));
    const checkout = await platform.http.post("/api/orders", { productId, quantity: 1, contact: "bad@example.com", queryPassword: "pass-1234" });
    order = checkout.body.order;
    // The one legitimate payment, so that its replay below must change nothing.
    const paid = await platform.http.get(notifyPath(setup.shopId, signedNotification(setup.sandbox, order, "T-BAD-1")));
    expect(paid.text).to.equal("success");
  });
  after(async () => {
    await platform?.stopAll();
  });

  it("refuses every malformed request with its code and changes no table", async () => {
    // Let fulfilment and issuance of the legitimate order settle before counting.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const before = await tableCounts(platform);
    const http = platform.http;
    const guest = { productId, quantity: 1, contact: "g@example.com", queryPassword: "pass-1234" };

    expectClientError(await http.request("POST", "/api/orders", "{not json", { "content-type": "application/json" }), 400, "invalid_json");
    expectClientError(await http.post("/api/orders", { ...guest, surprise: true }), 400, "validation_failed");
    expectClientError(await http.post("/api/orders", { ...guest, quantity: -1 }), 400, "validation_failed");
    expectClientError(await http.post("/api/orders", { ...guest, quantity: 1e9 }), 400, "validation_failed");
    expectClientError(await http.post("/api/orders", { ...guest, quantity: 6 }), 400, "validation_failed");
    expectClientError(await http.post("/api/orders", { ...guest, quantity: "1" }), 400, "validation_failed");
    expectClientError(await http.post("/api/orders", { ...guest, productId: "12abc" }), 400, "validation_failed");
    expectClientError(await http.post("/api/orders", { ...guest, productId: "999999" }), 404, "not_found");
    expectClientError(await http.post("/api/orders", { productId, quantity: 1 }), 400, "validation_failed");
    expectClientError(await http.post("/api/orders", { ...guest, contact: "not-an-email" }), 400, "validation_failed");
    expectClientError(await http.post("/api/orders", { ...guest, padding: "x".repeat(300 * 1024) }), 413, "payload_too_large");
    expectClientError(await http.post("/api/auth/signup", { email: "x@example.com", password: "short" }), 400, "validation_failed");
    expectClientError(
      await http.post("/api/auth/signup", { email: "x@example.com", password: "long-enough-password", roles: ["admin"] }),
      400,
      "validation_failed",
    );
    expectClientError(await http.post("/api/auth/login", { email: "nobody@example.com", password: "whatever-password" }), 401, "invalid_credentials");
    expectClientError(await http.post(`/api/shops/${setup.shopId}/products`, { name: "x" }), 401, "unauthorized");
    expectClientError(
      await setup.merchant.post(`/api/shops/${setup.shopId}/products`, { name: "x", category: "weapons", priceMinor: "1", currency: "CNY" }),
      400,
      "validation_failed",
    );
    expectClientError(
      await setup.merchant.post(`/api/shops/${setup.shopId}/products`, { name: "x", category: "game_card", priceMinor: "-5", currency: "CNY" }),
      400,
      "validation_failed",
    );
    expectClientError(
      await setup.merchant.post(`/api/shops/${setup.shopId}/products`, { name: "x", category: "game_card", priceMinor: 1.5, currency: "CNY" }),
      400,
      "validation_failed",
    );
    expectClientError(
      await setup.merchant.request("POST", `/api/products/${productId}/imports`, "GOOD-1\n\nGOOD-2\n", { "content-type": "text/plain" }),
      422,
      "invalid_keys",
    );
    expectClientError(
      await setup.merchant.request("POST", `/api/products/${productId}/imports`, "DUP-1\nDUP-1\n", { "content-type": "text/plain" }),
      422,
      "duplicate_keys",
    );
    // Another page of the gateway than its base or submit.php would give links the cashier cannot answer.
    const wrongGateway = await setup.merchant.put(`/api/shops/${setup.shopId}/payment-settings/epay`, {
      gatewayUrl: `${platform.url}/sandbox/epay/mapi.php`,
      ...setup.sandbox,
    });
    expectClientError(wrongGateway, 400, "validation_failed");
    expect(wrongGateway.text).to.include("names the page mapi.php");

    // EPay notifications: bad signature, wrong amount, wrong pid, not TRADE_SUCCESS.
    const good = signedNotification(setup.sandbox, order, "T-BAD-2");
    expectClientError(await http.get(notifyPath(setup.shopId, { ...good, sign: "0".repeat(32) })), 400, "invalid_signature");
    expectClientError(
      await http.get(notifyPath(setup.shopId, signedNotification(setup.sandbox, { ...order, amountMinor: "1" }, "T-BAD-3"))),
      400,
      "amount_mismatch",
    );
    expectClientError(await http.get(notifyPath(setup.shopId, signedNotification({ ...setup.sandbox, pid: "1" }, order, "T-BAD-4"))), 400, "invalid_signature");
    expectClientError(
      await http.get(notifyPath(setup.shopId, signedNotification(setup.sandbox, order, "T-BAD-5", { trade_status: "WAIT_BUYER_PAY" }))),
      400,
      "bad_request",
    );
    // The legitimate notification replayed: accepted as "success", nothing new recorded.
    const replay = await http.get(notifyPath(setup.shopId, signedNotification(setup.sandbox, order, "T-BAD-1")));
    expect(replay.text).to.equal("success");
    // Prepaid top-ups: bad amounts and currencies, another merchant's shop, forged or mismatched notifications.
    const topups = `/api/ledger/shops/${setup.shopId}/topups`;
    expectClientError(await setup.merchant.post(topups, { amountMinor: "0", currency: "CNY" }), 400, "validation_failed");
    expectClientError(await setup.merchant.post(topups, { amountMinor: "1000000000001", currency: "CNY" }), 400, "validation_failed");
    expectClientError(await setup.merchant.post(topups, { amountMinor: "100", currency: "USD" }), 400, "validation_failed");
    expectClientError(await http.post(topups, { amountMinor: "100", currency: "CNY" }), 401, "unauthorized");
    const platformMerchant = {
      pid: platform.ctx.config.resale.epayPid,
      key: sandboxMerchantKey(platform.ctx.config.payments.epaySandboxSecret!, platform.ctx.config.resale.epayPid),
    };
    const topupNotify = (params: Record<string, string>) => http.get(`/api/ledger/topups/epay/notify?${new URLSearchParams(params).toString()}`);
    expectClientError(
      await topupNotify(signedNotification({ ...setup.sandbox, pid: platformMerchant.pid }, { id: "TU0000000000", amountMinor: "100" }, "T-TOPUP-1")),
      400,
      "invalid_signature",
    );
    expectClientError(await topupNotify(signedNotification(platformMerchant, { id: "TU0000000000", amountMinor: "100" }, "T-TOPUP-2")), 404, "not_found");
    expectClientError(await setup.merchant.get(`/api/entitlements/999999/certificate`), 404, "not_found");
    // Guest look-up with a wrong password.
    expectClientError(await http.post("/api/orders/lookup", { orderId: order.id, contact: "bad@example.com", queryPassword: "wrong" }), 404, "not_found");
    expectClientError(await http.get("/api/no-such-route"), 404, "not_found");

    const after = await tableCounts(platform);
    // Failed look-ups are throttled in Redis, not the database; nothing else may move.
    expect(after).to.deep.equal(before);
  });
});
