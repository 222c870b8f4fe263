// The guessing throttles (guest order look-up and login) take each attempt's point before the
// secret is checked, atomically in Redis. Reproduces the audit's finding: 400 parallel guesses
// against one order were all checked, because the old throttle read the failure count, checked
// the password and only then added a penalty. The number of answers that are not 429 is the
// number of attempts that reached the password check.
import { expect } from "chai";
import { createProduct, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { startTestPlatform, type HttpResponse, type TestPlatform } from "../support/platform.ts";

const windowSeconds = 15;
const perOrderAndClient = 5;
const perOrder = 12;
const perAccountAndClient = 5;
const guesses = 400;

describe("guessing throttles: guest look-up and login", function () {
  this.timeout(300_000);
  let platform: TestPlatform;
  let setup: MerchantSetup;

  before(async () => {
    platform = await startTestPlatform({
      env: {
        LOOKUP_ATTEMPTS_MAX: String(perOrderAndClient),
        LOOKUP_ORDER_ATTEMPTS_MAX: String(perOrder),
        LOOKUP_CLIENT_ATTEMPTS_MAX: "100000",
        LOOKUP_WINDOW_SECONDS: String(windowSeconds),
        LOGIN_ATTEMPTS_MAX: String(perAccountAndClient),
        LOGIN_ACCOUNT_ATTEMPTS_MAX: "100000",
        LOGIN_CLIENT_ATTEMPTS_MAX: "100000",
        LOGIN_WINDOW_SECONDS: String(windowSeconds),
      },
    });
    setup = await setupMerchant(platform);
  });
  after(async () => {
    await platform?.stopAll();
  });

  async function guestOrder(contact: string, queryPassword: string): Promise<{ id: string; accessToken: string }> {
    const productId = await createProduct(setup, { name: `Throttled ${contact}`, category: "service_voucher", deliveryMode: "manual", manualStock: 5 });
    const checkout = await platform.http.post("/api/orders", { productId, quantity: 1, contact, queryPassword });
    expect(checkout.status, checkout.text).to.equal(201);
    return { id: checkout.body.order.id, accessToken: checkout.body.accessToken };
  }

  function lookup(orderId: string, contact: string, queryPassword: string, client?: string): Promise<HttpResponse> {
    return platform.http.post("/api/orders/lookup", { orderId, contact, queryPassword }, client ? { "x-forwarded-for": client } : {});
  }

  function expectThrottled(response: HttpResponse) {
    expect(response.status, response.text).to.equal(429);
    expect(response.body.code).to.equal("rate_limited");
    expect(response.body.message).to.match(/Try again in \d+ s/);
    const retryAfter = Number(response.headers.get("retry-after"));
    expect(retryAfter).to.be.within(1, windowSeconds);
    return retryAfter;
  }

  // Opens as many kept-alive connections as there will be guesses, so the guesses arrive
  // together instead of behind one connection set-up each (the audit's 400 at once).
  async function openConnections() {
    await Promise.all(Array.from({ length: guesses }, async () => (await fetch(`${platform.url}/healthz`)).text()));
  }

  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it("refuses query passwords shorter than 6 characters at checkout", async () => {
    const productId = await createProduct(setup, { name: "Short password", category: "service_voucher", deliveryMode: "manual", manualStock: 1 });
    const short = await platform.http.post("/api/orders", { productId, quantity: 1, contact: "short@example.com", queryPassword: "12345" });
    expect(short.status).to.equal(400);
    expect(short.body.code).to.equal("validation_failed");
    expect(short.body.message).to.contain("at least 6 characters");
  });

  it("400 parallel guesses at one order: at most the allowed number reach the check; the right password waits for the window; the access token and other clients are not locked out", async () => {
    const target = await guestOrder("target@example.com", "right-923184");
    const spread = await guestOrder("spread@example.com", "right-551902");

    // One client, 400 guesses at once: only perOrderAndClient reach the password check.
    await openConnections();
    const burst = await Promise.all(Array.from({ length: guesses }, (_, i) => lookup(target.id, "target@example.com", `guess-${i}`)));
    const checked = burst.filter((response) => response.status !== 429);
    expect(checked.length, "guesses that reached the password check").to.be.at.most(perOrderAndClient);
    for (const response of checked) expect(response.status).to.equal(404);
    for (const response of burst.filter((response) => response.status === 429)) expectThrottled(response);
    // The right password from that client is refused until the window passes ...
    const locked = await lookup(target.id, "target@example.com", "right-923184");
    const retryAfter = expectThrottled(locked);
    // ... but the real guest elsewhere is not locked out by someone else's wrong guesses.
    const elsewhere = await lookup(target.id, "target@example.com", "right-923184", "10.20.30.40");
    expect(elsewhere.status, elsewhere.text).to.equal(200);
    expect(elsewhere.body.order.id).to.equal(target.id);
    expect((await platform.http.get(`/api/orders/${target.id}?token=${elsewhere.body.accessToken}`)).status).to.equal(200);

    // 400 guesses from 400 addresses: the per-order ceiling holds them to perOrder checks.
    await openConnections();
    const spreadBurst = await Promise.all(
      Array.from({ length: guesses }, (_, i) => lookup(spread.id, "spread@example.com", `guess-${i}`, `10.9.${i >> 8}.${i & 255}`)),
    );
    expect(spreadBurst.filter((response) => response.status !== 429).length, "spread guesses checked").to.be.at.most(perOrder);
    const ceiling = await lookup(spread.id, "spread@example.com", "right-551902", "10.77.0.1");
    expectThrottled(ceiling);
    // The guest's remedy: the order's access token (its mail link) opens the order without the look-up.
    const page = await platform.http.get(`/api/orders/${spread.id}?token=${spread.accessToken}`);
    expect(page.status, page.text).to.equal(200);
    expect(page.body.id).to.equal(spread.id);

    await pause((Math.max(retryAfter, Number(ceiling.headers.get("retry-after"))) + 1) * 1000);
    const afterWindow = await lookup(target.id, "target@example.com", "right-923184");
    expect(afterWindow.status, afterWindow.text).to.equal(200);
    const spreadAfter = await lookup(spread.id, "spread@example.com", "right-551902", "10.77.0.1");
    expect(spreadAfter.status, spreadAfter.text).to.equal(200);
    // A right answer gives its point back: the guest may look the order up again and again.
    for (let i = 0; i < perOrderAndClient + 2; i++) expect((await lookup(target.id, "target@example.com", "right-923184")).status).to.equal(200);
  });

  it("400 parallel wrong passwords for one account: at most the allowed number are checked; the right one waits for the window", async () => {
    const signup = await platform.http.post("/api/auth/signup", { email: "victim@example.com", password: "victim-password-1" });
    expect(signup.status, signup.text).to.equal(201);
    const login = (password: string, client?: string) =>
      platform.http.post("/api/auth/login", { email: "Victim@Example.com", password }, client ? { "x-forwarded-for": client } : {});
    await openConnections();
    const burst = await Promise.all(Array.from({ length: guesses }, (_, i) => login(`wrong-password-${i}`)));
    const checked = burst.filter((response) => response.status !== 429);
    expect(checked.length, "passwords that reached the check").to.be.at.most(perAccountAndClient);
    for (const response of checked) expect(response.body.code).to.equal("invalid_credentials");
    const locked = await login("victim-password-1");
    const retryAfter = expectThrottled(locked);
    expect(locked.body).not.to.have.property("token");
    const elsewhere = await login("victim-password-1", "10.20.30.41");
    expect(elsewhere.status, elsewhere.text).to.equal(200);
    await pause((retryAfter + 1) * 1000);
    const afterWindow = await login("victim-password-1");
    expect(afterWindow.status, afterWindow.text).to.equal(200);
    expect(afterWindow.body.token).to.be.a("string");
  });
});
