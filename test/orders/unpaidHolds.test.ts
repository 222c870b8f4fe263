// Unpaid reservations are limited per contact, per client address and per product, with a
// shorter expiry under pressure (issue 14: two unpaid guest checkouts of 10 held a 20-key
// product's whole stock for 15 minutes). Real HTTP against the running platform; the expected
// counts are worked out by hand from the settings below.
import { expect } from "chai";
import { queryOne, sql } from "../../core/store/database.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { usePlatform } from "../support/platform.ts";

const settings = {
  ORDER_UNPAID_PER_CONTACT_MAX: "3",
  ORDER_UNPAID_PER_CLIENT_MAX: "5",
  ORDER_HOLD_SHARE_BPS: "2000",
  ORDER_PRESSURE_BPS: "5000",
  ORDER_PRESSURE_EXPIRY_SECONDS: "60",
  ORDER_EXPIRY_SECONDS: "900",
};

describe("unpaid reservations are limited", function () {
  this.timeout(300_000);
  const suite = usePlatform({ env: settings });
  let setup: MerchantSetup;
  let plenty: string;
  before(async () => {
    setup = await setupMerchant(suite.platform);
    plenty = await createProduct(setup, { name: "Plenty", quantityMax: 100 });
    await importKeys(setup, plenty, randomKeys(200, "PLENTY"));
  });

  let address = 0;
  const nextAddress = () => `198.51.100.${++address}`;
  const checkout = (productId: string, quantity: number, contact: string, clientAddress: string) =>
    suite.platform.http.post(
      "/api/orders",
      { productId, quantity, contact, queryPassword: "guest-pass-1" },
      // The test runs on the loopback address, the one proxy the platform trusts to name the client.
      { "x-forwarded-for": clientAddress },
    );
  const stockOf = async (productId: string) => Number((await suite.platform.http.get(`/api/products/${productId}`)).body.stock);
  const unpaidOf = async (column: "contact" | "client_address", value: string) =>
    Number(
      (await queryOne<{ n: string }>(
        suite.platform.database.db,
        sql`SELECT count(*) AS n FROM orders WHERE state = 'awaiting_payment' AND ${sql.identifier(column)} = ${value}`,
      ))!.n,
    );

  it("the audit's case: a guest checkout of 10 of a 20-key product is refused (409 reservation_share_exceeded) and holds nothing", async () => {
    const product = await createProduct(setup, { name: "Twenty keys" });
    await importKeys(setup, product, randomKeys(20, "TWENTY"));
    const refused = await checkout(product, 10, "hoarder@example.com", nextAddress());
    expect(refused.status, refused.text).to.equal(409);
    expect(refused.body.code).to.equal("reservation_share_exceeded");
    // 20% of 20 available keys.
    expect(refused.body.details.quantityMax).to.equal(4);
    expect(await stockOf(product)).to.equal(20);
    const allowed = await checkout(product, 4, "hoarder@example.com", nextAddress());
    expect(allowed.status, allowed.text).to.equal(201);
    expect(await stockOf(product)).to.equal(16);
    // 20% of the 16 left is 3.
    const second = await checkout(product, 4, "other@example.com", nextAddress());
    expect(second.status).to.equal(409);
    expect(second.body.details.quantityMax).to.equal(3);
  });

  it("20 concurrent unpaid checkouts from one contact: exactly 3 succeed, the others get 429 too_many_unpaid_orders with Retry-After", async () => {
    const contact = "one-contact@example.com";
    const answers = await Promise.all(Array.from({ length: 20 }, () => checkout(plenty, 1, contact, nextAddress())));
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses.filter((status) => status === 201)).to.have.length(3);
    expect(statuses.filter((status) => status === 429)).to.have.length(17);
    const refused = answers.find((answer) => answer.status === 429)!;
    expect(refused.body.code).to.equal("too_many_unpaid_orders");
    expect(refused.body.details.limit).to.equal("contact");
    // The first unpaid order expires in 900 s: that is when to come back.
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).to.be.within(880, 900);
    expect(await unpaidOf("contact", contact)).to.equal(3);
  });

  it("20 concurrent unpaid checkouts from one address (different contacts): exactly 5 succeed", async () => {
    const clientAddress = "203.0.113.77";
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => checkout(plenty, 1, `same-address-${i}@example.com`, clientAddress)));
    expect(answers.filter((answer) => answer.status === 201)).to.have.length(5);
    const refused = answers.filter((answer) => answer.status === 429);
    expect(refused).to.have.length(15);
    expect(refused.every((answer) => answer.body.code === "too_many_unpaid_orders" && answer.body.details.limit === "client")).to.equal(true);
    expect(await unpaidOf("client_address", clientAddress)).to.equal(5);
  });

  it("a signed-in buyer is counted by account, whatever contact or address", async () => {
    const signup = await suite.platform.http.post("/api/auth/signup", { email: "holder@example.com", password: "holder-password-1" });
    const buyer = suite.platform.http.as(signup.body.token);
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => buyer.post("/api/orders", { productId: plenty, quantity: 1 }, { "x-forwarded-for": nextAddress() })),
    );
    expect(answers.filter((answer) => answer.status === 201)).to.have.length(3);
    expect(answers.filter((answer) => answer.status === 429 && answer.body.code === "too_many_unpaid_orders")).to.have.length(5);
  });

  it("an order that leaves awaiting payment (expired) frees its place", async () => {
    const contact = "comes-back@example.com";
    for (let i = 0; i < 3; i++) expect((await checkout(plenty, 1, contact, nextAddress())).status).to.equal(201);
    expect((await checkout(plenty, 1, contact, nextAddress())).status).to.equal(429);
    const db = suite.platform.database.db;
    await db.execute(sql`UPDATE orders SET expires_at = now() - interval '1 second' WHERE contact = ${contact}`);
    const { expireOrders } = await import("../../api/services/orders/expireOrders.ts");
    await expireOrders(db);
    expect(await unpaidOf("contact", contact)).to.equal(0);
    expect((await checkout(plenty, 1, contact, nextAddress())).status).to.equal(201);
  });

  it("under pressure (unpaid holds beyond 50% of the stock) a new order expires after 60 s instead of 900 s", async () => {
    const product = await createProduct(setup, { name: "Pressure" });
    await importKeys(setup, product, randomKeys(20, "PRESS"));
    const expiryOf = (answer: { body: { order: { expiresAt: string; createdAt: string } } }) =>
      (Date.parse(answer.body.order.expiresAt) - Date.parse(answer.body.order.createdAt)) / 1000;
    // Held after each order, of a stock of 20 (half is 10): 4, 7, 9 (normal), then 11 (pressure).
    const plan = [4, 3, 2, 2];
    const expiries: number[] = [];
    for (const [i, quantity] of plan.entries()) {
      const answer = await checkout(product, quantity, `pressure-${i}@example.com`, nextAddress());
      expect(answer.status, answer.text).to.equal(201);
      expiries.push(expiryOf(answer));
    }
    expect(expiries.slice(0, 3).every((seconds) => seconds > 890 && seconds <= 901)).to.equal(true, String(expiries));
    expect(expiries[3]).to.be.within(55, 61);
  });
});
