// An Idempotency-Key belongs to its caller and its parameters: a replay by someone else, or
// with other parameters, is a 409, never somebody else's order. Reproduces the audit's
// finding: a replay with the right product, quantity and contact but a wrong query password
// returned the other guest's order and its access token.
import { expect } from "chai";
import { createProduct, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { usePlatform } from "../support/platform.ts";

describe("idempotency keys are bound to their caller", function () {
  this.timeout(300_000);
  const suite = usePlatform();
  let setup: MerchantSetup;
  let productId: string;
  before(async () => {
    setup = await setupMerchant(suite.platform);
    productId = await createProduct(setup, { name: "Idempotent voucher", category: "service_voucher", deliveryMode: "manual", manualStock: 10 });
  });

  const checkout = (body: Record<string, unknown>, key: string, token?: string) =>
    suite.platform.http.as(token).post("/api/orders", { productId, quantity: 1, ...body }, { "idempotency-key": key });

  it("a guest replay with another query password is refused (409), the original guest's replay gets the same order", async () => {
    const guest = { contact: "guest-idem@example.com", queryPassword: "first-guest-pass" };
    const first = await checkout(guest, "idem-key-guest-0001");
    expect(first.status, first.text).to.equal(201);
    const stranger = await checkout({ ...guest, queryPassword: "guessed-pass" }, "idem-key-guest-0001");
    expect(stranger.status, stranger.text).to.equal(409);
    expect(stranger.body.code).to.equal("idempotency_conflict");
    expect(stranger.text).not.to.contain(first.body.accessToken);
    expect(stranger.text).not.to.contain(first.body.order.id);
    const again = await checkout(guest, "idem-key-guest-0001");
    expect(again.status, again.text).to.equal(201);
    expect(again.body.order.id).to.equal(first.body.order.id);
    expect((await suite.platform.http.get(`/api/orders/${first.body.order.id}?token=${again.body.accessToken}`)).status).to.equal(200);
  });

  it("a replay by another account, or with other parameters, is refused", async () => {
    const alice = await suite.platform.http.post("/api/auth/signup", { email: "alice-idem@example.com", password: "alice-password-1" });
    const bob = await suite.platform.http.post("/api/auth/signup", { email: "bob-idem@example.com", password: "bob-password-12" });
    const first = await checkout({}, "idem-key-account-01", alice.body.token);
    expect(first.status, first.text).to.equal(201);
    const byBob = await checkout({}, "idem-key-account-01", bob.body.token);
    expect(byBob.status).to.equal(409);
    expect(byBob.body.code).to.equal("idempotency_conflict");
    const asGuest = await checkout({ contact: "alice-idem@example.com", queryPassword: "guest-pass-1" }, "idem-key-account-01");
    expect(asGuest.status).to.equal(409);
    const otherQuantity = await checkout({ quantity: 2 }, "idem-key-account-01", alice.body.token);
    expect(otherQuantity.status).to.equal(409);
    const same = await checkout({}, "idem-key-account-01", alice.body.token);
    expect(same.status).to.equal(201);
    expect(same.body.order.id).to.equal(first.body.order.id);
  });
});
