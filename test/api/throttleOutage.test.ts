// The guessing throttles (login, guest look-up) and the verify budget count every attempt in
// Redis before the secret is checked. While Redis is away those requests used to hang on the
// queue connection's offline queue until it came back. They must answer within
// THROTTLE_REDIS_TIMEOUT_MS with 503 throttle_unavailable (fail closed: nothing is checked
// uncounted), and work again once Redis is back. Two outages: Redis killed (the connection knows
// it is down: refused at once) and Redis frozen with SIGSTOP (the connection still looks ready:
// refused when the bound runs out).
import { expect } from "chai";
import { startLocalRedis, type LocalRedis } from "../../scripts/lib/localRedis.ts";
import { createProduct, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { startTestPlatform, type HttpResponse, type TestPlatform } from "../support/platform.ts";

const boundMs = 400;
// Generous for a loaded 2-core machine; an unbounded request would not answer at all until Redis returns.
const answerWithinMs = 5_000;

describe("throttles while Redis is down: bounded, fail closed", function () {
  this.timeout(180_000);
  let redis: LocalRedis;
  let port: number;
  let platform: TestPlatform;
  let setup: MerchantSetup;
  let order: { id: string; contact: string; queryPassword: string };
  const account = { email: "outage-buyer@example.com", password: "outage-password-1" };

  before(async () => {
    redis = await startLocalRedis();
    port = Number(new URL(redis.url).port);
    // No workers or indexer: the throttles live in the API, and workers whose Redis was killed
    // and replaced can outlast the shutdown deadline on a loaded machine, leaving clients behind.
    platform = await startTestPlatform({ workers: false, indexer: false, env: { REDIS_URL: redis.url, THROTTLE_REDIS_TIMEOUT_MS: String(boundMs) } });
    setup = await setupMerchant(platform);
    const signup = await platform.http.post("/api/auth/signup", { ...account, roles: ["buyer"] });
    expect(signup.status, signup.text).to.equal(201);
    const productId = await createProduct(setup, { name: "Outage", category: "service_voucher", deliveryMode: "manual", manualStock: 3 });
    order = { id: "", contact: "outage@example.com", queryPassword: "outage-77301" };
    const checkout = await platform.http.post("/api/orders", { productId, quantity: 1, contact: order.contact, queryPassword: order.queryPassword });
    expect(checkout.status, checkout.text).to.equal(201);
    order.id = checkout.body.order.id;
  });
  after(async () => {
    redis?.process.kill("SIGCONT");
    await platform?.stopAll();
    await redis?.stop();
  });

  const attempts = {
    "login (wrong password)": () => platform.http.post("/api/auth/login", { email: account.email, password: "not-the-password-1" }),
    "guest look-up": () => platform.http.post("/api/orders/lookup", { orderId: order.id, contact: order.contact, queryPassword: "wrong-000000" }),
    "verify by key": () => platform.http.post("/api/verify", { key: "NOT-A-REAL-KEY-0001" }),
  };

  async function timed(send: () => Promise<HttpResponse>): Promise<{ response: HttpResponse; ms: number }> {
    const started = performance.now();
    const response = await Promise.race([
      send(),
      new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error(`no answer within ${answerWithinMs} ms`)), answerWithinMs)),
    ]);
    return { response, ms: performance.now() - started };
  }

  async function expectRefusedQuickly(label: string, atLeastMs: number) {
    for (const [name, send] of Object.entries(attempts)) {
      const { response, ms } = await timed(send);
      expect(response.status, `${label}, ${name}: ${response.text}`).to.equal(503);
      expect(response.body.code, name).to.equal("throttle_unavailable");
      expect(response.body.message, name).to.match(/Try again/);
      expect(response.headers.get("retry-after"), name).to.equal("5");
      expect(ms, `${label}, ${name}: answered after ${ms} ms`).to.be.at.least(atLeastMs);
    }
  }

  async function expectServedAgain() {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const login = await platform.http.post("/api/auth/login", account);
      if (login.status === 200) break;
      expect(login.body.code, login.text).to.equal("throttle_unavailable");
      if (Date.now() > deadline) throw new Error("login still refused 30 s after Redis came back");
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const lookup = await platform.http.post("/api/orders/lookup", { orderId: order.id, contact: order.contact, queryPassword: order.queryPassword });
    expect(lookup.status, lookup.text).to.equal(200);
    const verify = await platform.http.post("/api/verify", { key: "NOT-A-REAL-KEY-0001" });
    expect(verify.status, verify.text).to.equal(200);
  }

  it("answers while Redis is up (the baseline the outages are compared with)", async () => {
    await expectServedAgain();
  });

  it("Redis frozen (SIGSTOP, the connection still looks ready): each attempt is refused with 503 once the bound runs out, then served after SIGCONT", async () => {
    redis.process.kill("SIGSTOP");
    try {
      // The refusal comes from the timer, so no earlier than the bound.
      await expectRefusedQuickly("frozen", boundMs - 20);
    } finally {
      redis.process.kill("SIGCONT");
    }
    await expectServedAgain();
  });

  it("Redis killed: each attempt is refused with 503 at once, and served again when a Redis returns on the same port", async () => {
    await redis.stop();
    // Wait until the connection has noticed (it reconnects with backoff from then on).
    await new Promise((resolve) => setTimeout(resolve, 500));
    await expectRefusedQuickly("killed", 0);
    redis = await startLocalRedis(undefined, { port });
    await expectServedAgain();
  });
});
