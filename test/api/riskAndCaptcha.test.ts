// Risk rules and the proof-of-work captcha over real HTTP: a blacklisted email is blocked (403,
// nothing written); a raised score needs a solved captcha (428), whose solution is single-use;
// login needs it after failed attempts. Solutions come from altcha-lib's own solver (not the
// code under test: the server's verification and single use are).
import { expect } from "chai";
import { solveChallenge } from "altcha-lib/v1";
import { queryOne, sql } from "../../core/store/database.ts";
import { scoreOrderRisk } from "../../api/services/risk/scoreOrderRisk.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { usePlatform } from "../support/platform.ts";
import { notifyPath, signedNotification } from "../support/epayNotify.ts";

describe("risk rules and captcha", function () {
  this.timeout(300_000);
  const suite = usePlatform({
    env: {
      RISK_REVIEW_SCORE: "50",
      RISK_BLOCK_SCORE: "80",
      RISK_CAPTCHA_SCORE: "30",
      ALTCHA_MAX_NUMBER: "5000",
      LOGIN_CAPTCHA_AFTER_FAILURES: "3",
      SIGNUP_CAPTCHA_AFTER_PER_CLIENT: "1000",
    },
  });
  let setup: MerchantSetup;
  let productId: string;
  before(async () => {
    setup = await setupMerchant(suite.platform);
    productId = await createProduct(setup, { name: "Risky" });
    await importKeys(setup, productId, randomKeys(50, "RISK"));
  });

  async function solved(): Promise<string> {
    const challenge = (await suite.platform.http.get("/api/captcha/challenge")).body;
    const solution = await solveChallenge(challenge.challenge, challenge.salt, challenge.algorithm, challenge.maxnumber).promise;
    return Buffer.from(JSON.stringify({ ...challenge, number: solution!.number })).toString("base64");
  }

  it("scores by the documented weights (worked by hand)", () => {
    const none = { contact: 0, client: 0, device: 0, wallet: 0 };
    expect(
      scoreOrderRisk({ emailBlacklisted: true, clientBlacklisted: false, walletBlacklisted: false, ordersLastHour: none, deviceKnown: true }).score,
    ).to.equal(100);
    // contact 5 orders: (5-3)*10 = 20; no device: 10.
    expect(
      scoreOrderRisk({
        emailBlacklisted: false,
        clientBlacklisted: false,
        walletBlacklisted: false,
        ordersLastHour: { ...none, contact: 5 },
        deviceKnown: false,
      }).score,
    ).to.equal(30);
    // address velocity capped at 30.
    expect(
      scoreOrderRisk({
        emailBlacklisted: false,
        clientBlacklisted: false,
        walletBlacklisted: false,
        ordersLastHour: { ...none, client: 100 },
        deviceKnown: true,
      }).score,
    ).to.equal(30);
  });

  it("a blacklisted email is blocked with 403 risk_blocked and nothing is written; another shop is not affected", async () => {
    const added = await setup.merchant.post(`/api/shops/${setup.shopId}/blacklist`, { kind: "email", value: "Fraud@Example.com", reason: "chargebacks" });
    expect(added.status, added.text).to.equal(201);
    const blocked = await suite.platform.http.post(
      "/api/orders",
      { productId, quantity: 1, contact: "fraud@example.com", queryPassword: "guest-pass-1" },
      { "x-device-id": "device-fraud-1" },
    );
    expect(blocked.status, blocked.text).to.equal(403);
    expect(blocked.body.code).to.equal("risk_blocked");
    const written = await queryOne<{ n: string }>(suite.platform.database.db, sql`SELECT count(*) AS n FROM orders WHERE contact = 'fraud@example.com'`);
    expect(Number(written!.n)).to.equal(0);
    const audit = await queryOne<{ n: string }>(suite.platform.database.db, sql`SELECT count(*) AS n FROM audit_log WHERE action = 'blacklist.added'`);
    expect(Number(audit!.n)).to.equal(1);
  });

  it("a raised score needs a solved captcha (428), and a solution works once", async () => {
    const order = (captcha?: string, i = 0) =>
      suite.platform.http.post(
        "/api/orders",
        { productId, quantity: 1, contact: "busy@example.com", queryPassword: "guest-pass-1" },
        { "x-device-id": `device-busy-${i}`, "x-forwarded-for": `198.51.100.${i + 1}`, ...(captcha ? { "x-captcha": captcha } : {}) },
      );
    // Another device and address each time: only the contact counts. Prior orders 0..5: scores 0,0,0,0,10,20 (below 30); then 30.
    for (let i = 0; i < 6; i++) expect((await order(undefined, i)).status).to.equal(201);
    const needs = await order(undefined, 6);
    expect(needs.status, needs.text).to.equal(428);
    expect(needs.body.code).to.equal("captcha_required");
    const payload = await solved();
    expect((await order(payload, 7)).status).to.equal(201);
    const replay = await order(payload, 8);
    expect(replay.status).to.equal(428);
    expect((await order("bm90LWEtc29sdXRpb24=", 9)).status).to.equal(428);
  });

  it("a manual-delivery order held for review cannot be delivered by hand until approved", async () => {
    const manual = await createProduct(setup, { name: "Held by hand", deliveryMode: "manual", manualStock: 3 });
    const threshold = await setup.merchant.put(`/api/products/${manual}/risk-thresholds`, { reviewScore: 0, blockScore: null });
    expect(threshold.status, threshold.text).to.equal(204);
    const checkout = await suite.platform.http.post(
      "/api/orders",
      { productId: manual, quantity: 1, contact: "held-by-hand@example.com", queryPassword: "held-pass-1" },
      { "x-device-id": "device-held-by-hand" },
    );
    expect(checkout.status, checkout.text).to.equal(201);
    const order = checkout.body.order;
    await suite.platform.http.get(notifyPath(setup.shopId, signedNotification(setup.sandbox, order, "T-HELD-1")));
    const stored = () =>
      queryOne<{ state: string; risk_review: string | null }>(suite.platform.database.db, sql`SELECT state, risk_review FROM orders WHERE id = ${order.id}`);
    expect(await stored()).to.deep.equal({ state: "paid", risk_review: "pending" });

    const early = await setup.merchant.post(`/api/orders/${order.id}/deliver`, { content: "account: held / pass" });
    expect([early.status, early.body.code], early.text).to.deep.equal([409, "invalid_state"]);
    expect(early.body.message).to.include("risk review");
    expect(await stored()).to.deep.equal({ state: "paid", risk_review: "pending" });

    const approved = await setup.merchant.post(`/api/shops/${setup.shopId}/reviews/${order.id}`, { decision: "approve" });
    expect(approved.status, approved.text).to.equal(200);
    const delivered = await setup.merchant.post(`/api/orders/${order.id}/deliver`, { content: "account: held / pass" });
    expect(delivered.status, delivered.text).to.equal(200);
    expect(await stored()).to.deep.equal({ state: "fulfilled", risk_review: "approved" });
  });

  it("login needs the captcha after 3 failed attempts", async () => {
    await suite.platform.http.post("/api/auth/signup", { email: "login-risk@example.com", password: "login-risk-pass" });
    for (let i = 0; i < 3; i++)
      expect((await suite.platform.http.post("/api/auth/login", { email: "login-risk@example.com", password: "wrong-password" })).status).to.equal(401);
    const needs = await suite.platform.http.post("/api/auth/login", { email: "login-risk@example.com", password: "login-risk-pass" });
    expect(needs.status).to.equal(428);
    const ok = await suite.platform.http.post(
      "/api/auth/login",
      { email: "login-risk@example.com", password: "login-risk-pass" },
      { "x-captcha": await solved() },
    );
    expect(ok.status, ok.text).to.equal(200);
  });
});
