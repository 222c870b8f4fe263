// Accounts, the OpenAPI document, guest look-up with throttling, signed-in buyers, manual
// delivery, and expiry with a late payment, all over HTTP against the running platform.
import { expect } from "chai";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { expireOrders } from "../../api/services/orders/expireOrders.ts";
import { notifyPath, signedNotification } from "../support/epayNotify.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { startTestPlatform, waitFor, type HttpResponse, type TestPlatform } from "../support/platform.ts";

describe("accounts, order access, manual delivery and expiry", function () {
  this.timeout(300_000);
  let platform: TestPlatform;
  let setup: MerchantSetup;

  before(async () => {
    platform = await startTestPlatform({ env: { LOOKUP_ATTEMPTS_MAX: "3" } });
    setup = await setupMerchant(platform);
  });
  after(async () => {
    await platform?.stopAll();
  });

  it("signs up, signs in, reads /me, signs out (the token stops working)", async () => {
    const signup = await platform.http.post("/api/auth/signup", { email: "Alice@Example.com", password: "alice-password-1", displayName: "Alice" });
    expect(signup.status, signup.text).to.equal(201);
    expect(signup.body.account).to.include({ email: "alice@example.com" });
    expect(signup.body.account.roles).to.deep.equal(["buyer"]);
    const again = await platform.http.post("/api/auth/signup", { email: "alice@example.com", password: "alice-password-2" });
    expect(again.status).to.equal(409);
    expect(again.body.code).to.equal("email_taken");
    const login = await platform.http.post("/api/auth/login", { email: "alice@example.com", password: "alice-password-1" });
    expect(login.status).to.equal(200);
    const alice = platform.http.as(login.body.token);
    expect((await alice.get("/api/me")).body.email).to.equal("alice@example.com");
    expect((await alice.post("/api/auth/logout")).status).to.equal(204);
    const after = await alice.get("/api/me");
    expect(after.status).to.equal(401);
    expect(after.body.code).to.equal("unauthorized");
    expect((await alice.post(`/api/shops`, { slug: "nope", name: "Nope" })).status).to.equal(401);
    const buyer = platform.http.as(signup.body.token);
    const forbidden = await buyer.post("/api/shops", { slug: "nope", name: "Nope" });
    expect(forbidden.status).to.equal(403);
    expect(forbidden.body.code).to.equal("forbidden");
  });

  it("serves an OpenAPI 3.1 document generated from the route schemas, and a docs page", async () => {
    const document = await platform.http.get("/api/openapi.json");
    expect(document.status).to.equal(200);
    expect(document.body.openapi).to.equal("3.1.0");
    const checkout = document.body.paths["/api/orders"].post;
    expect(checkout.requestBody.content["application/json"].schema.properties).to.have.keys(
      "productId",
      "quantity",
      "contact",
      "queryPassword",
      "paymentMethod",
      "idempotencyKey",
      "walletAddress",
      "couponCode",
      "substore",
      "currency",
    );
    expect(checkout.requestBody.content["application/json"].schema.additionalProperties).to.equal(false);
    expect(document.body.paths["/api/orders/{orderId}"].get.parameters.map((parameter: { name: string }) => parameter.name)).to.include("orderId");
    const docs = await fetch(`${platform.url}/api/docs`);
    expect(docs.headers.get("content-type")).to.contain("text/html");
  });

  it("pages a list by an opaque cursor: { items, nextCursor } until nextCursor is null, every row once, in order", async () => {
    for (const slug of ["page-one", "page-two", "page-three"]) expect((await setup.merchant.post("/api/shops", { slug, name: slug })).status).to.equal(201);
    const expected = (await queryRows<{ id: string }>(platform.database.db, sql`SELECT id::text AS id FROM shops ORDER BY id`)).map((row) => row.id);
    expect(expected.length).to.be.greaterThan(3);
    const seen: string[] = [];
    const cursors: string[] = [];
    let cursor: string | null = null;
    for (let pageNumber = 0; pageNumber <= expected.length; pageNumber++) {
      const page: HttpResponse<{ items: { id: string }[]; nextCursor: string | null }> = await platform.http.get(
        `/api/shops?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      expect(page.status, page.text).to.equal(200);
      expect(page.body).to.have.keys("items", "nextCursor");
      seen.push(...page.body.items.map((shop) => shop.id));
      cursor = page.body.nextCursor;
      if (cursor === null) break;
      cursors.push(cursor);
    }
    expect(seen).to.deep.equal(expected);
    // Opaque: base64url of the last sort key (the id here), not the id itself.
    expect(cursors[0]).to.equal(Buffer.from(expected[1]!, "utf8").toString("base64url"));
    expect(cursors[0]).not.to.equal(expected[1]);
    // A cursor the server never gave is bad input, with a message saying what to send.
    for (const bad of ["12", "not a cursor", Buffer.from("'; DROP", "utf8").toString("base64url")]) {
      const refused = await platform.http.get(`/api/shops?cursor=${encodeURIComponent(bad)}`);
      expect(refused.status, bad).to.equal(400);
      expect(refused.body.code).to.equal("validation_failed");
      expect(refused.body.message).to.contain("nextCursor of a previous page");
    }
  });

  it("pages a buyer's orders newest first without losing or repeating orders made in the same instant", async () => {
    const productId = await createProduct(setup, { name: "Same instant" });
    await importKeys(setup, productId, randomKeys(3, "TIE"));
    const signup = await platform.http.post("/api/auth/signup", { email: "carol@example.com", password: "carol-password-1" });
    const carol = platform.http.as(signup.body.token);
    for (let order = 0; order < 3; order++) expect((await carol.post("/api/orders", { productId, quantity: 1 })).status).to.equal(201);
    // Three orders in one instant, to the microsecond (a busy shop's checkouts share a statement).
    await queryRows(
      platform.database.db,
      sql`UPDATE orders SET created_at = '2026-01-01T00:00:00.000123Z' WHERE buyer_account_id = ${BigInt(signup.body.account.id)} RETURNING id`,
    );
    const expected = (
      await queryRows<{ id: string }>(
        platform.database.db,
        sql`SELECT id FROM orders WHERE buyer_account_id = ${BigInt(signup.body.account.id)} ORDER BY created_at DESC, id DESC`,
      )
    ).map((row) => row.id);
    expect(expected).to.have.length(3);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pageNumber = 0; pageNumber < 5; pageNumber++) {
      const page: HttpResponse<{ items: { id: string }[]; nextCursor: string | null }> = await carol.get(
        `/api/me/orders?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      expect(page.status, page.text).to.equal(200);
      seen.push(...page.body.items.map((order) => order.id));
      cursor = page.body.nextCursor;
      if (cursor === null) break;
    }
    expect(seen).to.deep.equal(expected);
  });

  it("finds a guest order by number + contact + query password and throttles wrong guesses", async () => {
    const productId = await createProduct(setup, { name: "Lookup target" });
    await importKeys(setup, productId, randomKeys(2, "LKP"));
    const checkout = await platform.http.post("/api/orders", { productId, quantity: 1, contact: "guest@example.com", queryPassword: "right-pass" });
    const orderId = checkout.body.order.id;
    const found = await platform.http.post("/api/orders/lookup", { orderId, contact: "guest@example.com", queryPassword: "right-pass" });
    expect(found.status).to.equal(200);
    // A fresh access token (its own expiry) that opens the order, as the checkout's does.
    expect(found.body.order.id).to.equal(orderId);
    expect((await platform.http.get(`/api/orders/${orderId}?token=${found.body.accessToken}`)).status).to.equal(200);
    expect((await platform.http.get(`/api/orders/${orderId}`)).status).to.equal(404);
    expect((await platform.http.get(`/api/orders/${orderId}?token=${"x".repeat(43)}`)).status).to.equal(404);
    for (let attempt = 0; attempt < 3; attempt++) {
      const wrong = await platform.http.post("/api/orders/lookup", { orderId, contact: "guest@example.com", queryPassword: "wrong-pass" });
      expect(wrong.status).to.equal(404);
    }
    const throttled = await platform.http.post("/api/orders/lookup", { orderId, contact: "guest@example.com", queryPassword: "right-pass" });
    expect(throttled.status).to.equal(429);
    expect(throttled.body.code).to.equal("rate_limited");
  });

  it("a signed-in buyer sees their order and codes without an access token", async () => {
    const productId = await createProduct(setup, { name: "Account purchase" });
    const keys = randomKeys(2, "ACC");
    await importKeys(setup, productId, keys);
    const signup = await platform.http.post("/api/auth/signup", { email: "bob@example.com", password: "bob-password-1" });
    const bob = platform.http.as(signup.body.token);
    const checkout = await bob.post("/api/orders", { productId, quantity: 1 });
    expect(checkout.status, checkout.text).to.equal(201);
    await platform.http.get(notifyPath(setup.shopId, signedNotification(setup.sandbox, checkout.body.order, "T-BOB-1")));
    const view = await waitFor("fulfilment", async () => {
      const response = await bob.get(`/api/orders/${checkout.body.order.id}`);
      return response.body.state === "fulfilled" ? response.body : undefined;
    });
    expect(keys).to.include(view.items[0].code);
    const mine = await bob.get("/api/me/orders");
    expect(mine.body.items.map((order: { id: string }) => order.id)).to.deep.equal([checkout.body.order.id]);
    // The merchant sees the order, never the code.
    const merchantView = await setup.merchant.get(`/api/orders/${checkout.body.order.id}`);
    expect(merchantView.status).to.equal(200);
    expect(merchantView.body.items[0].code).to.equal(null);
  });

  it("an order page can wait for delivery in one request (long poll) and is woken by the payment", async () => {
    const productId = await createProduct(setup, { name: "Long poll" });
    await importKeys(setup, productId, randomKeys(1, "LPL"));
    const checkout = await platform.http.post("/api/orders", { productId, quantity: 1, contact: "wait@example.com", queryPassword: "pass-1234" });
    const orderPath = `/api/orders/${checkout.body.order.id}?token=${checkout.body.accessToken}`;
    const started = Date.now();
    const waiting = platform.http.get(`${orderPath}&waitSeconds=20`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await platform.http.get(notifyPath(setup.shopId, signedNotification(setup.sandbox, checkout.body.order, "T-WAIT-1")));
    const woken = await waiting;
    expect(Date.now() - started).to.be.lessThan(10_000);
    expect(["paid", "fulfilled"]).to.include(woken.body.state);
    const delivered = await platform.http.get(`${orderPath}&waitSeconds=20`);
    expect(delivered.body.state).to.equal("fulfilled");
    expect(delivered.body.items).to.have.length(1);
    // Woken by the fulfilment or not, the page carries the code (one read when woken).
    expect(delivered.body.items[0].code).to.match(/^LPL-/);
    const bad = await platform.http.get(`${orderPath}&waitSeconds=99`);
    expect(bad.status).to.equal(400);
  });

  it("manual delivery: the paid order waits in the merchant's queue; the delivery reaches the buyer", async () => {
    const productId = await createProduct(setup, { name: "Hand delivered", category: "service_voucher", deliveryMode: "manual", manualStock: 2 });
    const checkout = await platform.http.post("/api/orders", { productId, quantity: 1, contact: "hand@example.com", queryPassword: "pass-1234" });
    expect(checkout.status, checkout.text).to.equal(201);
    expect((await platform.http.get(`/api/products/${productId}`)).body.stock).to.equal(1);
    await platform.http.get(notifyPath(setup.shopId, signedNotification(setup.sandbox, checkout.body.order, "T-HAND-1")));
    const queue = await waitFor("manual queue", async () => {
      const response = await setup.merchant.get(`/api/shops/${setup.shopId}/orders?state=paid&deliveryMode=manual`);
      return response.body.items.length ? response.body.items : undefined;
    });
    expect(queue.map((order: { id: string }) => order.id)).to.deep.equal([checkout.body.order.id]);
    const delivered = await setup.merchant.post(`/api/orders/${checkout.body.order.id}/deliver`, { content: "Account: demo / Password: hunter2" });
    expect(delivered.status, delivered.text).to.equal(200);
    const again = await setup.merchant.post(`/api/orders/${checkout.body.order.id}/deliver`, { content: "twice" });
    expect(again.status).to.equal(409);
    // An order id that names no order: 404 from the service, before any shop is looked at.
    const unknown = await setup.merchant.post("/api/orders/KL00000000NOPE/deliver", { content: "nobody" });
    expect([unknown.status, unknown.body.code, unknown.body.message]).to.deep.equal([404, "not_found", "No order KL00000000NOPE."]);
    const view = await platform.http.get(`/api/orders/${checkout.body.order.id}?token=${checkout.body.accessToken}`);
    expect(view.body.state).to.equal("fulfilled");
    expect(view.body.manualDelivery).to.equal("Account: demo / Password: hunter2");
    const stored = await queryOne<{ delivery_encrypted: Buffer }>(
      platform.database.db,
      sql`SELECT delivery_encrypted FROM orders WHERE id = ${checkout.body.order.id}`,
    );
    expect(Buffer.from(stored!.delivery_encrypted).toString("latin1")).not.to.contain("hunter2");
  });

  it("an unpaid order expires and releases its keys; a late payment is recorded for refund and changes nothing else", async () => {
    const productId = await createProduct(setup, { name: "Expiring" });
    await importKeys(setup, productId, randomKeys(1, "EXP"));
    const checkout = await platform.http.post("/api/orders", { productId, quantity: 1, contact: "late@example.com", queryPassword: "pass-1234" });
    expect((await platform.http.get(`/api/products/${productId}`)).body.stock).to.equal(0);
    const db = platform.database.db;
    await db.execute(sql`UPDATE orders SET expires_at = now() - interval '1 second' WHERE id = ${checkout.body.order.id}`);
    expect(await expireOrders(db)).to.be.at.least(1);
    expect((await platform.http.get(`/api/products/${productId}`)).body.stock).to.equal(1);
    const late = await platform.http.get(notifyPath(setup.shopId, signedNotification(setup.sandbox, checkout.body.order, "T-LATE-1")));
    expect(late.text).to.equal("success");
    const row = await queryOne<{ state: string; status: string; journal: bigint }>(
      db,
      sql`SELECT o.state, p.status,
                 (SELECT count(*) FROM ledger_transactions t WHERE t.kind = 'unmatched_payment' AND t.reference_id = p.id::text) AS journal
          FROM orders o JOIN payments p ON p.order_id = o.id WHERE o.id = ${checkout.body.order.id}`,
    );
    expect(row).to.deep.include({ state: "expired", status: "late" });
    expect(Number(row!.journal)).to.equal(1);
    expect((await platform.http.get(`/api/products/${productId}`)).body.stock).to.equal(1);
  });
});
