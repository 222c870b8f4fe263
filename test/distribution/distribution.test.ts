// Agents, sub-stores and three-level commissions over real HTTP, PostgreSQL and the ledger
// (docs/distribution.md). Every amount below is worked out by hand in the comments, never with
// the code under test: a sub-store sale's one journal transaction, a referral chain of four of
// which three levels are paid, a partial and then a full refund reversing every share exactly,
// the release after the chargeback window and a payout, and each bad input writing nothing.
import { expect } from "chai";
import { queryOne, queryRows, sql, type Drizzle } from "../../core/store/database.ts";
import { acceptCarefully } from "../../api/services/orders/acceptPayment.ts";
import { postOrderRefund } from "../../api/ledger/flows.ts";
import { releaseDistributionEarnings } from "../../api/ledger/distributionEarnings.ts";
import { checkLedgerInvariants } from "../../api/ledger/invariants.ts";
import { createProduct, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { usePlatform, type HttpClient } from "../support/platform.ts";
import { createStaffAccount } from "../support/staff.ts";

type Member = { http: HttpClient; id: string; code: string };

describe("distribution: agents, sub-stores and three-level commissions", function () {
  this.timeout(180_000);
  const suite = usePlatform({ env: { PLATFORM_FEE_BPS: "500" } });
  let shop: MerchantSetup;
  let productId: string;
  let otherProductId: string;
  let agent: Member;
  let substoreId: string;
  const referrers: Member[] = [];
  let buyer: Member;
  const db = () => suite.platform.database.db as Drizzle;

  async function member(label: string): Promise<Member> {
    const signup = await suite.platform.http.post("/api/auth/signup", { email: `${label}-${Date.now()}@example.com`, password: `${label}-password-1` });
    expect(signup.status, signup.text).to.equal(201);
    const http = suite.platform.http.as(signup.body.token);
    const overview = await http.get("/api/agent/overview");
    expect(overview.status, overview.text).to.equal(200);
    return { http, id: signup.body.account.id, code: overview.body.referralCode };
  }

  /** Balances of a distributor's accounts, by purpose. */
  async function distributorBalances(accountId: string): Promise<Record<string, string>> {
    const rows = await queryRows<{ purpose: string; balance: string }>(
      db(),
      sql`SELECT purpose, balance_minor::text AS balance FROM ledger_accounts WHERE owner_type = 'distributor' AND owner_id = ${accountId} ORDER BY purpose`,
    );
    return Object.fromEntries(rows.map((row) => [row.purpose, row.balance]));
  }

  /** One journal transaction's postings, as "owner:id:purpose" -> amount. */
  async function postingsOf(idempotencyKey: string): Promise<Record<string, string>> {
    const rows = await queryRows<{ owner: string; amount: string }>(
      db(),
      sql`SELECT a.owner_type || ':' || a.owner_id || ':' || a.purpose AS owner, p.amount_minor::text AS amount
          FROM ledger_transactions t JOIN ledger_postings p ON p.tx_id = t.id JOIN ledger_accounts a ON a.id = p.account_id
          WHERE t.idempotency_key = ${idempotencyKey}`,
    );
    return Object.fromEntries(rows.map((row) => [row.owner, row.amount]));
  }

  async function pay(order: { id: string; amountMinor: string }, reference: string): Promise<void> {
    const { outcome } = await acceptCarefully(
      db(),
      { platformFeeBps: 500 },
      { orderId: order.id, provider: "chain", providerRef: reference, amountMinor: BigInt(order.amountMinor), currency: "CNY" },
    );
    expect(outcome).to.equal("accepted");
  }

  async function expectBooksBalance(): Promise<void> {
    const findings = await checkLedgerInvariants(db());
    expect(
      Object.values(findings).every((list) => Array.isArray(list) && list.length === 0),
      JSON.stringify(findings, (_k, v) => (typeof v === "bigint" ? String(v) : v)),
    ).to.equal(true);
  }

  before(async () => {
    shop = await setupMerchant(suite.platform);
    // Manual delivery: the sale's money is what is under test, not the keys.
    productId = await createProduct(shop, { name: "Agent card", deliveryMode: "manual", priceMinor: "1000" });
    otherProductId = await createProduct(shop, { name: "Not for agents", deliveryMode: "manual", priceMinor: "500" });
    const bounds = await shop.merchant.put(`/api/products/${productId}/agent-markup`, { bounds: { markupMinMinor: "50", markupMaxMinor: "300" } });
    expect(bounds.status, bounds.text).to.equal(200);
    const rates = await shop.merchant.put(`/api/shops/${shop.shopId}/commission-rates`, { levelsBps: [1250, 333, 177] });
    expect(rates.status, rates.text).to.equal(200);

    agent = await member("agent");
    const invitation = await shop.merchant.post(`/api/shops/${shop.shopId}/agent-invitations`);
    expect(invitation.status, invitation.text).to.equal(201);
    const accepted = await agent.http.post("/api/agent-invitations/accept", {
      token: invitation.body.token,
      slug: "lucky-agent",
      name: "Lucky",
      colour: "#1A7F5A",
    });
    expect(accepted.status, accepted.text).to.equal(201);
    substoreId = accepted.body.id;
    const carried = await agent.http.post(`/api/substores/${substoreId}/products`, { productId, markupMinor: "133" });
    expect(carried.status, carried.text).to.equal(201);

    // A chain of four: R1 refers R2 refers R3 refers R4 refers the buyer.
    for (let level = 1; level <= 4; level++) {
      const next = await member(`referrer${level}`);
      if (level > 1) {
        const attached = await next.http.post(`/api/shops/${shop.shopId}/referrals`, { code: referrers[level - 2]!.code });
        expect([attached.status, attached.body.attached], attached.text).to.deep.equal([200, true]);
      }
      referrers.push(next);
    }
    buyer = await member("buyer");
    const attached = await buyer.http.post(`/api/shops/${shop.shopId}/referrals`, { code: referrers[3]!.code });
    expect([attached.status, attached.body.attached], attached.text).to.deep.equal([200, true]);
  });

  it("the storefront shows the sub-store's name and colour and the merchant's price plus the markup", async () => {
    const page = await suite.platform.http.get("/api/substores/lucky-agent");
    expect(page.status, page.text).to.equal(200);
    expect([page.body.name, page.body.colour]).to.deep.equal(["Lucky", "#1a7f5a"]);
    // 10.00 + 1.33 = 11.33 per unit.
    expect(page.body.products.map((product: { productId: string; priceMinor: string }) => [product.productId, product.priceMinor])).to.deep.equal([
      [productId, "1133"],
    ]);
    // The quote in the sub-store charges what checkout charges there: 3 x 10.00 + 3 x 1.33 = 33.99.
    const quoted = await suite.platform.http.post(`/api/products/${productId}/quote`, { quantity: 3, substore: "lucky-agent" });
    expect(quoted.status, quoted.text).to.equal(200);
    expect([quoted.body.breakdown.totalMinor, quoted.body.substore]).to.deep.equal([
      "3000",
      { slug: "lucky-agent", markupPerUnitMinor: "133", markupMinor: "399", totalMinor: "3399" },
    ]);
    expect((await suite.platform.http.post(`/api/products/${productId}/quote`, { quantity: 1 })).body.substore).to.equal(undefined);
    const notCarried = await suite.platform.http.post(`/api/products/${otherProductId}/quote`, { quantity: 1, substore: "lucky-agent" });
    expect([notCarried.status, notCarried.body.code]).to.deep.equal([409, "product_not_carried"]);
    const unknown = await suite.platform.http.post(`/api/products/${productId}/quote`, { quantity: 1, substore: "no-such-store" });
    expect([unknown.status, unknown.body.code]).to.deep.equal([404, "not_found"]);
  });

  let saleId: string;

  it("a sub-store sale to a referred buyer posts every share in the sale's one balanced transaction; the fourth referrer gets nothing", async () => {
    const placed = await buyer.http.post("/api/orders", { productId, quantity: 3, paymentMethod: "chain", substore: "lucky-agent" });
    expect(placed.status, placed.text).to.equal(201);
    // 3 x (10.00 + 1.33) = 33.99.
    expect(placed.body.order.amountMinor).to.equal("3399");
    saleId = placed.body.order.id;
    await pay(placed.body.order, "0xsale1");
    // By hand (fee 5%): F = floor(3399 x 0.05) = 169. Agent: fee share floor(169 x 399 / 3399) = 19, credit 399 - 19 = 380.
    // Merchant's net N = 3399 - 399 - 150 = 2850. Level 1 (R4) floor(2850 x 12.50%) = 356; level 2 (R3) floor(2850 x 3.33%) = 94;
    // level 3 (R2) floor(2850 x 1.77%) = 50; R1 is the fourth level: nothing. Shop: 2850 - 500 = 2350.
    const [r1, r2, r3, r4] = referrers.map((referrer) => referrer.id);
    expect(await postingsOf(`order:${saleId}:payment`)).to.deep.equal({
      "platform:0:clearing_chain": "-3399",
      "platform:0:fees": "169",
      [`shop:${shop.shopId}:payable`]: "2350",
      [`distributor:${agent.id}:holds`]: "380",
      [`distributor:${r4}:holds`]: "356",
      [`distributor:${r3}:holds`]: "94",
      [`distributor:${r2}:holds`]: "50",
    });
    expect(await distributorBalances(r1!)).to.deep.equal({});
    await expectBooksBalance();

    const overview = await referrers[3]!.http.get("/api/agent/overview");
    expect(overview.status, overview.text).to.equal(200);
    expect(overview.body.balances).to.deep.equal([{ currency: "CNY", heldMinor: "356", payableMinor: "0", payoutPendingMinor: "0" }]);
    // The buyer's email is masked: first and last letter of the local part only.
    expect(overview.body.referredBuyers).to.have.length(1);
    expect(overview.body.referredBuyers[0].buyer).to.match(/^b\*\*\*\d@example\.com$/);
  });

  it("a partial refund and then the rest reverse every share exactly, in proportion with cumulative rounding", async () => {
    const shopId = BigInt(shop.shopId);
    await postOrderRefund(db(), { orderId: saleId, shopId, amountMinor: 1000n, currency: "CNY", reason: "dispute", refundId: "part1" });
    const [, r2, r3, r4] = referrers.map((referrer) => referrer.id);
    // Refund 1000 of 3399. Distributors: agent floor(380000 / 3399) = 111, R4 floor(356000 / 3399) = 104,
    // R3 floor(94000 / 3399) = 27, R2 floor(50000 / 3399) = 14. Shop (credit 2350): floor(2350000 / 3399) = 691.
    // Fee: the rest, 1000 - 691 - 256 = 53 (its own part 49.7: the platform absorbs the rounding).
    expect(await postingsOf(`order:${saleId}:refund:part1`)).to.deep.equal({
      "platform:0:refunds": "1000",
      "platform:0:fees": "-53",
      [`shop:${shop.shopId}:payable`]: "-691",
      [`distributor:${agent.id}:holds`]: "-111",
      [`distributor:${r4}:holds`]: "-104",
      [`distributor:${r3}:holds`]: "-27",
      [`distributor:${r2}:holds`]: "-14",
    });
    // A retry of the same partial refund is the same entry, not a second reversal.
    const retried = await postOrderRefund(db(), { orderId: saleId, shopId, amountMinor: 1000n, currency: "CNY", reason: "dispute", refundId: "part1" });
    expect(retried.created).to.equal(false);
    await postOrderRefund(db(), { orderId: saleId, shopId, amountMinor: 2399n, currency: "CNY", reason: "dispute", refundId: "part2" });
    // The rest: everything left. Agent 380 - 111 = 269; R4 356 - 104 = 252; R3 94 - 27 = 67; R2 50 - 14 = 36;
    // shop 2350 - 691 = 1659 (exactly its credit); fee 2399 - 1659 - 624 = 116 (with 53 before: 169, exactly the fee).
    expect(await postingsOf(`order:${saleId}:refund:part2`)).to.deep.equal({
      "platform:0:refunds": "2399",
      "platform:0:fees": "-116",
      [`shop:${shop.shopId}:payable`]: "-1659",
      [`distributor:${agent.id}:holds`]: "-269",
      [`distributor:${r4}:holds`]: "-252",
      [`distributor:${r3}:holds`]: "-67",
      [`distributor:${r2}:holds`]: "-36",
    });
    for (const id of [agent.id, r2!, r3!, r4!]) expect(await distributorBalances(id)).to.deep.equal({ holds: "0" });
    const payable = await queryOne<{ balance: string }>(
      db(),
      sql`SELECT balance_minor::text AS balance FROM ledger_accounts WHERE owner_type = 'shop' AND owner_id = ${shop.shopId} AND purpose = 'payable'`,
    );
    expect(payable?.balance).to.equal("0");
    await expectBooksBalance();
  });

  it("earnings become payable after the chargeback window and are paid out through the payout path", async () => {
    const placed = await buyer.http.post("/api/orders", { productId, quantity: 1, paymentMethod: "chain", substore: "lucky-agent" });
    expect(placed.status, placed.text).to.equal(201);
    await pay(placed.body.order, "0xsale2");
    // A = 1133, F = floor(56.65) = 56; agent fee share floor(56 x 133 / 1133) = 6, credit 127.
    expect(await distributorBalances(agent.id)).to.deep.equal({ holds: "127" });
    // Inside the window (the default 14 days): nothing moves.
    expect(await releaseDistributionEarnings(db(), { windowSeconds: 14 * 24 * 3600, limit: 10 })).to.deep.equal([]);
    expect(await releaseDistributionEarnings(db(), { windowSeconds: 0, limit: 10 })).to.deep.equal([placed.body.order.id]);
    expect(await distributorBalances(agent.id)).to.deep.equal({ holds: "0", proceeds: "127" });
    // Released once: a second sweep finds nothing.
    expect(await releaseDistributionEarnings(db(), { windowSeconds: 0, limit: 10 })).to.deep.equal([]);

    const tooMuch = await agent.http.post("/api/agent/payouts", { amountMinor: "128", currency: "CNY", requestId: "big" });
    expect([tooMuch.status, tooMuch.body.code]).to.deep.equal([409, "insufficient_funds"]);
    // A payout to a flagged wallet is held by the AML rules (docs/compliance.md): refused approval until cleared.
    const admin = await createStaffAccount(suite.platform, "admin", ["admin"]);
    const flagged = `0x${"f1".repeat(20)}`;
    expect((await admin.http.put(`/api/admin/aml/flagged-wallets/${flagged}`, { reason: "listed" })).status).to.be.oneOf([200, 204]);
    const toFlagged = await agent.http.post("/api/agent/payouts", { amountMinor: "27", currency: "CNY", requestId: "flagged", wallet: flagged });
    expect([toFlagged.status, toFlagged.body.amlReview], toFlagged.text).to.deep.equal([201, ["flagged_wallet"]]);
    const refused = await admin.http.post(`/api/ledger/payouts/${toFlagged.body.payoutId}/approve`);
    expect([refused.status, refused.body.code]).to.deep.equal([409, "aml_review_pending"]);
    const alerts = await admin.http.get("/api/admin/aml/alerts?state=open");
    const alert = alerts.body.items.find((item: { payoutId: string }) => item.payoutId === toFlagged.body.payoutId);
    expect([alert.distributorAccountId, alert.shopId, alert.entries.map((entry: { transactionId: string }) => entry.transactionId)]).to.deep.equal([
      String(agent.id),
      null,
      [toFlagged.body.transactionId],
    ]);
    expect((await admin.http.post(`/api/admin/aml/alerts/${alert.id}/decision`, { decision: "clear", reason: "known wallet" })).status).to.equal(200);
    expect((await admin.http.post(`/api/ledger/payouts/${toFlagged.body.payoutId}/approve`)).status).to.equal(200);

    const payout = await agent.http.post("/api/agent/payouts", { amountMinor: "100", currency: "CNY", requestId: "first" });
    expect([payout.status, payout.body.amlReview], payout.text).to.deep.equal([201, []]);
    expect(await distributorBalances(agent.id)).to.deep.equal({ holds: "0", payout_holds: "100", proceeds: "0" });
    const approved = await admin.http.post(`/api/ledger/payouts/${payout.body.payoutId}/approve`);
    expect(approved.status, approved.text).to.equal(200);
    expect(await distributorBalances(agent.id)).to.deep.equal({ holds: "0", payout_holds: "0", proceeds: "0" });
    await expectBooksBalance();
  });

  describe("races", () => {
    it("one invitation accepted by eight accounts at once opens exactly one sub-store", async () => {
      const invitation = await shop.merchant.post(`/api/shops/${shop.shopId}/agent-invitations`);
      const candidates = await Promise.all(Array.from({ length: 8 }, (_, i) => member(`racer${i}`)));
      const answers = await Promise.all(
        candidates.map((candidate, i) =>
          candidate.http.post("/api/agent-invitations/accept", {
            token: invitation.body.token,
            slug: `racer-${i}-${Date.now()}`,
            name: "Racer",
            colour: "#000000",
          }),
        ),
      );
      expect(answers.filter((answer) => answer.status === 201)).to.have.length(1);
      expect(answers.filter((answer) => answer.status !== 201).map((answer) => answer.body.code)).to.deep.equal(Array(7).fill("invitation_invalid"));
      const opened = await queryOne<{ n: string }>(db(), sql`SELECT count(*)::text AS n FROM substores WHERE slug LIKE 'racer-%'`);
      expect(opened?.n).to.equal("1");
    });

    it("two members following each other's links at once: one is attached, the other refused as a loop", async () => {
      const [a, b] = [await member("mutual-a"), await member("mutual-b")];
      const answers = await Promise.all([
        a.http.post(`/api/shops/${shop.shopId}/referrals`, { code: b.code }),
        b.http.post(`/api/shops/${shop.shopId}/referrals`, { code: a.code }),
      ]);
      expect(answers.map((answer) => answer.status).sort()).to.deep.equal([200, 422]);
      expect(answers.find((answer) => answer.status === 422)?.body.code).to.equal("referral_loop");
      const attached = await queryOne<{ n: string }>(
        db(),
        sql`SELECT count(*)::text AS n FROM referral_attachments WHERE buyer_account_id IN (${a.id}, ${b.id})`,
      );
      expect(attached?.n).to.equal("1");
    });
  });

  describe("bad input gets a 4xx with a code and writes nothing", () => {
    const tables = ["substore_products", "commission_rates", "referral_attachments", "orders", "ledger_transactions", "agent_markup_bounds", "substores"];
    async function counts(): Promise<Record<string, string>> {
      const entries = await Promise.all(
        tables.map(async (table) => {
          const row = await queryOne<{ n: string }>(db(), sql`SELECT count(*)::text AS n FROM ${sql.identifier(table)}`);
          return [table, row!.n] as const;
        }),
      );
      return Object.fromEntries(entries);
    }

    it("refuses each and leaves every table as it was", async () => {
      const before = await counts();
      const refusals: [string, Promise<{ status: number; body: { code: string; message: string } }>, number, string][] = [
        ["markup above the bounds", agent.http.put(`/api/substores/${substoreId}/products/${productId}`, { markupMinor: "301" }), 422, "markup_out_of_bounds"],
        ["markup below the bounds", agent.http.post(`/api/substores/${substoreId}/products`, { productId, markupMinor: "49" }), 422, "markup_out_of_bounds"],
        [
          "pricing a product it does not carry",
          agent.http.put(`/api/substores/${substoreId}/products/${otherProductId}`, { markupMinor: "100" }),
          409,
          "product_not_carried",
        ],
        [
          "carrying a product not offered to agents",
          agent.http.post(`/api/substores/${substoreId}/products`, { productId: otherProductId, markupMinor: "100" }),
          422,
          "product_not_offered_to_agents",
        ],
        ["another agent's sub-store", buyer.http.put(`/api/substores/${substoreId}/products/${productId}`, { markupMinor: "100" }), 403, "forbidden"],
        [
          "rates summing over 100%",
          shop.merchant.put(`/api/shops/${shop.shopId}/commission-rates`, { levelsBps: [6000, 4000, 1] }),
          422,
          "commission_rates_invalid",
        ],
        [
          "a negative rate",
          shop.merchant.put(`/api/shops/${shop.shopId}/commission-rates`, { productId, levelsBps: [1000, -1] }),
          422,
          "commission_rates_invalid",
        ],
        // R1 is at the top of the buyer's chain: following the buyer's link would close a loop.
        ["a referral loop", referrers[0]!.http.post(`/api/shops/${shop.shopId}/referrals`, { code: buyer.code }), 422, "referral_loop"],
        ["referring oneself", agent.http.post(`/api/shops/${shop.shopId}/referrals`, { code: agent.code }), 422, "referral_loop"],
        [
          "a sub-store order on the merchant's own gateway",
          buyer.http.post("/api/orders", { productId, quantity: 1, paymentMethod: "epay", substore: "lucky-agent" }),
          422,
          "distribution_needs_platform_payment",
        ],
        [
          "a sub-store order of a product it does not carry",
          buyer.http.post("/api/orders", { productId: otherProductId, quantity: 1, paymentMethod: "chain", substore: "lucky-agent" }),
          409,
          "product_not_carried",
        ],
      ];
      for (const [what, answer, status, code] of refusals) {
        const { status: got, body } = await answer;
        expect([got, body.code], what).to.deep.equal([status, code]);
        expect(body.message, what).to.be.a("string").and.not.equal("");
      }
      // The first touch stays: a buyer with a referrer is not moved by another link.
      const second = await buyer.http.post(`/api/shops/${shop.shopId}/referrals`, { code: agent.code });
      expect([second.status, second.body.attached, second.body.referrerAccountId]).to.deep.equal([200, false, referrers[3]!.id]);
      expect(await counts()).to.deep.equal(before);
    });
  });
});
