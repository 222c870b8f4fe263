// Every order, key and certificate route asked by every kind of visitor, over HTTP against the
// running platform: the order's buyer, a guest holding its token, the shop's merchant, another
// shop's merchant, a stranger buyer, a reseller, an auditor, an admin and nobody signed in.
// Refusals must be the documented ones (404 for an order you cannot see, so order numbers
// cannot be probed; 403 for a route your role or shop does not allow; 401 when signed out),
// and only the buyer ever sees a code.
import { expect } from "chai";
import { notifyPath, signedNotification } from "../support/epayNotify.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { startTestPlatform, waitFor, type HttpClient, type HttpResponse, type TestPlatform } from "../support/platform.ts";
import { createStaffAccount } from "../support/staff.ts";

type Visitor = { name: string; http: HttpClient };

describe("access by role on order, key and certificate routes", function () {
  this.timeout(300_000);
  let platform: TestPlatform;
  let shop: MerchantSetup;
  let otherShop: MerchantSetup;
  let buyer: HttpClient;
  let visitors: Record<"ownMerchant" | "otherMerchant" | "stranger" | "reseller" | "auditor" | "admin" | "anonymous", Visitor>;
  let orderId: string;
  let guestOrderId: string;
  let guestToken: string;
  let keyId: string;
  let productId: string;
  let importId: string;
  let manualOrderId: string;
  let keys: string[];

  async function signUp(label: string, roles: string[] = ["buyer"]): Promise<{ http: HttpClient; id: string }> {
    const response = await platform.http.post("/api/auth/signup", { email: `${label}-${Date.now()}@example.com`, password: `${label}-password-1`, roles });
    expect(response.status, response.text).to.equal(201);
    return { http: platform.http.as(response.body.token), id: response.body.account.id };
  }

  async function staff(label: string, role: "admin" | "auditor"): Promise<HttpClient> {
    // The first admin can only be made in the database; staff roles count in a session opened
    // with a second factor (test/support/staff.ts enrols TOTP over HTTP).
    return (await createStaffAccount(platform, label, [role])).http;
  }

  function expectRefused(response: HttpResponse, status: number, code: string, who: string): void {
    expect([response.status, response.body?.code], `${who}: ${response.text}`).to.deep.equal([status, code]);
    expect(response.text, who).not.to.match(/ROLE-[0-9A-F]{16}/);
  }

  before(async () => {
    platform = await startTestPlatform();
    [shop, otherShop] = await Promise.all([setupMerchant(platform), setupMerchant(platform)]);
    visitors = {
      ownMerchant: { name: "the shop's merchant", http: shop.merchant },
      otherMerchant: { name: "another shop's merchant", http: otherShop.merchant },
      stranger: { name: "a stranger buyer", http: (await signUp("stranger")).http },
      reseller: { name: "a reseller", http: (await signUp("reseller", ["reseller"])).http },
      auditor: { name: "an auditor", http: await staff("auditor", "auditor") },
      admin: { name: "an admin", http: await staff("admin", "admin") },
      anonymous: { name: "nobody signed in", http: platform.http },
    };
    buyer = (await signUp("buyer")).http;

    productId = await createProduct(shop, { name: "Role test card" });
    keys = randomKeys(3, "ROLE");
    ({ importId } = await importKeys(shop, productId, keys));
    const checkout = await buyer.post("/api/orders", { productId, quantity: 1 });
    expect(checkout.status, checkout.text).to.equal(201);
    orderId = checkout.body.order.id;
    const guest = await platform.http.post("/api/orders", { productId, quantity: 1, contact: "guest@example.com", queryPassword: "guest-pass-1" });
    guestOrderId = guest.body.order.id;
    guestToken = guest.body.accessToken;
    await platform.http.get(notifyPath(shop.shopId, signedNotification(shop.sandbox, checkout.body.order, "T-ROLE-1")));
    await platform.http.get(notifyPath(shop.shopId, signedNotification(shop.sandbox, guest.body.order, "T-ROLE-2")));
    const view = await waitFor("fulfilment", async () => {
      const response = await buyer.get(`/api/orders/${orderId}`);
      return response.body.state === "fulfilled" ? response.body : undefined;
    });
    keyId = view.items[0].keyId;
    await waitFor("guest fulfilment", async () => (await platform.http.get(`/api/orders/${guestOrderId}?token=${guestToken}`)).body.state === "fulfilled");

    const manualProduct = await createProduct(shop, { name: "Role manual", category: "service_voucher", deliveryMode: "manual", manualStock: 5 });
    const manual = await platform.http.post("/api/orders", { productId: manualProduct, quantity: 1, contact: "hand@example.com", queryPassword: "pass-1234" });
    manualOrderId = manual.body.order.id;
    await platform.http.get(notifyPath(shop.shopId, signedNotification(shop.sandbox, manual.body.order, "T-ROLE-3")));
    await waitFor(
      "manual order paid",
      async () => (await platform.http.get(`/api/orders/${manualOrderId}?token=${manual.body.accessToken}`)).body.state === "paid",
    );
  });
  after(async () => {
    await platform?.stopAll();
  });

  it("the order page: the buyer and the token holder see codes; merchant and staff see the order without them; everyone else gets 404", async () => {
    const own = await buyer.get(`/api/orders/${orderId}`);
    expect(own.status).to.equal(200);
    expect(keys).to.include(own.body.items[0].code);
    const guest = await platform.http.get(`/api/orders/${guestOrderId}?token=${guestToken}`);
    expect(keys).to.include(guest.body.items[0].code);
    for (const visitor of [visitors.ownMerchant, visitors.auditor, visitors.admin]) {
      for (const id of [orderId, guestOrderId]) {
        const response = await visitor.http.get(`/api/orders/${id}`);
        expect(response.status, `${visitor.name}: ${response.text}`).to.equal(200);
        expect(response.body.id).to.equal(id);
        expect(
          response.body.items.map((item: { code: string | null }) => item.code),
          visitor.name,
        ).to.deep.equal([null]);
        expect(response.text, visitor.name).not.to.match(/ROLE-[0-9A-F]{16}/);
      }
    }
    for (const visitor of [visitors.otherMerchant, visitors.stranger, visitors.reseller, visitors.anonymous]) {
      for (const id of [orderId, guestOrderId]) expectRefused(await visitor.http.get(`/api/orders/${id}`), 404, "not_found", visitor.name);
    }
    // Another order's token opens nothing.
    expectRefused(await platform.http.get(`/api/orders/${orderId}?token=${guestToken}`), 404, "not_found", "another order's token");
  });

  it("revealing codes: only the buyer; merchant and staff are refused, everyone else does not see the order", async () => {
    for (const visitor of [visitors.ownMerchant, visitors.auditor, visitors.admin]) {
      expectRefused(await visitor.http.post(`/api/orders/${orderId}/reveal`, {}), 403, "forbidden", visitor.name);
    }
    for (const visitor of [visitors.otherMerchant, visitors.stranger, visitors.reseller, visitors.anonymous]) {
      expectRefused(await visitor.http.post(`/api/orders/${orderId}/reveal`, {}), 404, "not_found", visitor.name);
      expectRefused(await visitor.http.post(`/api/orders/${guestOrderId}/reveal`, { token: "x".repeat(43) }), 404, "not_found", visitor.name);
    }
  });

  it("a key's certificate: whoever sees the order gets it (it holds no code, and staff no salt); everyone else gets 404", async () => {
    const path = `/api/orders/${orderId}/keys/${keyId}/certificate`;
    const own = await buyer.get(path);
    expect(own.status, own.text).to.equal(200);
    expect(own.body.version).to.equal("keyledger-certificate/2");
    for (const visitor of [visitors.ownMerchant, visitors.auditor, visitors.admin]) {
      const response = await visitor.http.get(path);
      expect(response.status, `${visitor.name}: ${response.text}`).to.equal(200);
      // Staff get the same certificate without the salt, whatever the entitlement's state.
      expect(response.body).to.deep.equal({ ...own.body, commitment: { ...own.body.commitment, salt: null } });
      expect(response.text).not.to.match(/ROLE-[0-9A-F]{16}/);
    }
    for (const visitor of [visitors.otherMerchant, visitors.stranger, visitors.reseller, visitors.anonymous]) {
      expectRefused(await visitor.http.get(path), 404, "not_found", visitor.name);
    }
    // The guest's token opens its own order's keys only.
    expectRefused(await platform.http.get(`${path}?token=${guestToken}`), 404, "not_found", "another order's token");
  });

  it("the shop's key and order routes: its merchant and admins; another merchant, auditors, buyers and resellers are refused", async () => {
    const routes: { what: string; call: (http: HttpClient) => Promise<HttpResponse> }[] = [
      { what: "import keys", call: (http) => http.request("POST", `/api/products/${productId}/imports`, "ROLE-IMPORT-1\n", { "content-type": "text/plain" }) },
      { what: "import progress", call: (http) => http.get(`/api/imports/${importId}`) },
      { what: "batches", call: (http) => http.get(`/api/shops/${shop.shopId}/batches`) },
      { what: "orders", call: (http) => http.get(`/api/shops/${shop.shopId}/orders`) },
      { what: "sales", call: (http) => http.get(`/api/shops/${shop.shopId}/sales`) },
    ];
    for (const route of routes) {
      for (const visitor of [visitors.otherMerchant, visitors.stranger, visitors.reseller, visitors.auditor]) {
        const response = await route.call(visitor.http);
        expectRefused(response, 403, "forbidden", `${route.what}, ${visitor.name}`);
      }
      expectRefused(await route.call(visitors.anonymous.http), 401, "unauthorized", `${route.what}, nobody signed in`);
      for (const visitor of [visitors.ownMerchant, visitors.admin]) {
        const response = await route.call(visitor.http);
        expect(response.status, `${route.what}, ${visitor.name}: ${response.text}`).to.be.oneOf([200, 202]);
      }
    }
  });

  it("manual delivery: the shop's merchant delivers; another merchant, auditors, buyers and resellers cannot", async () => {
    const deliver = (http: HttpClient) => http.post(`/api/orders/${manualOrderId}/deliver`, { content: "Account: role / Password: test" });
    for (const visitor of [visitors.otherMerchant, visitors.stranger, visitors.reseller, visitors.auditor]) {
      expectRefused(await deliver(visitor.http), 403, "forbidden", visitor.name);
    }
    expectRefused(await deliver(visitors.anonymous.http), 401, "unauthorized", "nobody signed in");
    const delivered = await deliver(visitors.ownMerchant.http);
    expect(delivered.status, delivered.text).to.equal(200);
  });

  it("granting roles: admins only", async () => {
    const target = await signUp("target");
    for (const visitor of [visitors.ownMerchant, visitors.stranger, visitors.reseller, visitors.auditor]) {
      expectRefused(await visitor.http.post(`/api/admin/accounts/${target.id}/roles`, { roles: ["admin"] }), 403, "forbidden", visitor.name);
    }
    expectRefused(await platform.http.post(`/api/admin/accounts/${target.id}/roles`, { roles: ["admin"] }), 401, "unauthorized", "nobody signed in");
    const granted = await visitors.admin.http.post(`/api/admin/accounts/${target.id}/roles`, { roles: ["auditor"] });
    expect(granted.status, granted.text).to.equal(200);
    expect((await target.http.get("/api/me")).body.roles).to.include("auditor");
  });
});
