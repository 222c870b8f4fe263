// "A new key each period" (docs/subscriptions.md, delivery key_per_period) against the whole
// platform (HTTP, PostgreSQL, Redis, BullMQ workers, a local Hardhat chain). The chain's clock is
// moved with evm_setNextBlockTimestamp and the chain worker's own sweep renews; every expiry
// (read with viem), ledger leg and key is compared with figures computed here by hand.
import { expect } from "chai";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { chainClock, topUpBalance, waitSubscriptionStarted } from "./chainClock.ts";
import { sweepSubscriptions } from "../../api/services/subscriptions/sweepSubscriptions.ts";
import { startSmtpServer } from "../support/smtpServer.ts";
import { bodyText, mailsTo } from "../tickets/support/ticketFixtures.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { waitFor, type TestPlatform } from "../support/platform.ts";
import { balance, buyFromShop, ledgerImbalance, signUp, startResalePlatform, waitIssued, type Person } from "../resale/support.ts";

const day = 86_400;
const month = 30 * day;
const priceMinor = 2500n;

type PeriodKey = { periodIndex: number; entitlementId: string; tokenId: string | null; startsAt: string; endsAt: string; expiryOnChain: boolean };

describe("subscriptions: a new key each period", function () {
  this.timeout(300_000);
  let platform: TestPlatform;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let setup: MerchantSetup;
  // Each test has its own buyer, so that one test's subscriptions renewing later never touch another's balance.
  let buyer: Person;

  before(async () => {
    smtp = await startSmtpServer();
    platform = await startResalePlatform({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}` });
    setup = await setupMerchant(platform);
  });
  beforeEach(async () => {
    buyer = await signUp(platform, "course-subscriber");
  });
  after(async () => {
    await platform?.stopAll();
    await smtp?.stop();
  });

  const db = () => platform.ctx.database.db;
  const expiryOf = (tokenId: bigint) => chainClock(platform).expiryOf(tokenId);
  const chainNow = () => chainClock(platform).now();
  const moveChainTo = (timestamp: bigint) => chainClock(platform).moveTo(timestamp);
  const topUp = (person: Person, amountMinor: bigint, reference: string) => topUpBalance(db(), person.accountId, amountMinor, reference);
  /** A key-per-period plan product with these codes in stock. */
  const planProduct = async (name: string, codes: string[]) => {
    const productId = await createProduct(setup, { name, priceMinor: String(priceMinor), resaleAllowed: true });
    await importKeys(setup, productId, codes);
    const plan = await setup.merchant.put(`/api/products/${productId}/subscription-plan`, { period: "month", delivery: "key_per_period", graceDays: 3 });
    expect(plan.status, plan.text).to.equal(200);
    expect(plan.body).to.include({ delivery: "key_per_period", periodSeconds: month });
    return productId;
  };
  /** Buys the product and waits for its subscription to start with its first expiry on-chain. */
  const subscribe = async (productId: string) => {
    const { orderId, entitlementId } = await buyFromShop(platform, setup, buyer, productId);
    await waitIssued(platform, entitlementId);
    const { id, startsAt } = await waitSubscriptionStarted(buyer, entitlementId);
    return { orderId, entitlementId, id, startsAt };
  };
  /** Ends a test's subscription so that the later tests' clock moves renew nothing of it (the shop is shared). */
  const cancel = async (id: string) => expect((await buyer.client.post(`/api/subscriptions/${id}/cancel`)).status).to.equal(200);
  const periodKeys = async (id: string): Promise<PeriodKey[]> => (await buyer.client.get(`/api/subscriptions/${id}`)).body.periodKeys;
  /** The imported code of an entitlement: verify names the entitlement each code was sold as. */
  const codeOf = async (codes: string[], entitlementId: string) => {
    for (const code of codes) {
      if ((await platform.http.post("/api/verify", { key: code })).body.entitlementId === entitlementId) return code;
    }
    throw new Error(`no imported code is entitlement ${entitlementId}`);
  };
  const renewalLegs = (id: string, period: number) =>
    queryRows<{ owner_type: string; purpose: string; amount: string }>(
      db(),
      sql`SELECT a.owner_type, a.purpose, p.amount_minor::text AS amount FROM ledger_transactions t
          JOIN ledger_postings p ON p.tx_id = t.id JOIN ledger_accounts a ON a.id = p.account_id
          WHERE t.reference_type = 'subscription' AND t.reference_id = ${`${id}:${period}`} ORDER BY a.owner_type, a.purpose`,
    );
  const written = async (id: string, productId: string) =>
    queryOne<{ periods: string; entries: string; sold: string; entitlements: string }>(
      db(),
      sql`SELECT (SELECT count(*) FROM subscription_periods WHERE subscription_id = ${id})::text AS periods,
                 (SELECT count(*) FROM ledger_transactions WHERE reference_type = 'subscription' AND reference_id LIKE ${`${id}:%`})::text AS entries,
                 (SELECT count(*) FROM keys WHERE product_id = ${productId} AND status = 'sold')::text AS sold,
                 (SELECT count(*) FROM entitlements WHERE product_id = ${productId})::text AS entitlements`,
    );

  it("delivers three distinct keys over three periods, each entitlement on-chain with its own period's expiry; ledger legs by hand; earlier keys verify as expired", async () => {
    const codes = randomKeys(3, "COURSE");
    const productId = await planProduct("Course access (a code a month)", codes);
    const { orderId, entitlementId, id, startsAt } = await subscribe(productId);
    const endOf = (periods: number) => startsAt + BigInt(periods * month);
    const fee = (priceMinor * BigInt(platform.ctx.config.orders.platformFeeBps)) / 10_000n;
    await topUp(buyer, 2n * priceMinor, `kpp-${id}`);
    const shopPayableBefore = await balance(platform, "shop", BigInt(setup.shopId), "payable");

    for (let period = 1; period <= 2; period++) {
      // One second into the renewal window: the worker's sweep charges the period and delivers its key.
      await moveChainTo(endOf(period) - BigInt(day) + 1n);
      const keys = await waitFor(`period ${period}'s key issued with its expiry on-chain`, async () => {
        const list = await periodKeys(id);
        return list.length === period + 1 && list[period]!.expiryOnChain ? list : undefined;
      });
      expect(keys.map((key) => key.periodIndex)).to.deep.equal([...Array(period + 1).keys()]);
      // Each period's key has its own entitlement and token, valid to its own period's end (hand-computed).
      for (const key of keys) {
        expect(Date.parse(key.endsAt) / 1000).to.equal(Number(endOf(key.periodIndex + 1)));
        expect(await expiryOf(BigInt(key.tokenId!))).to.equal(endOf(key.periodIndex + 1));
      }
      expect(keys[0]!.entitlementId).to.equal(entitlementId);
      expect(new Set(keys.map((key) => key.entitlementId)).size).to.equal(period + 1);
      expect(new Set(keys.map((key) => key.tokenId)).size).to.equal(period + 1);
      const fee0 = fee > 0n ? [{ owner_type: "platform", purpose: "fees", amount: String(fee) }] : [];
      expect(await renewalLegs(id, period)).to.deep.equal([
        { owner_type: "buyer", purpose: "refunds", amount: String(-priceMinor) },
        ...fee0,
        { owner_type: "shop", purpose: "payable", amount: String(priceMinor - fee) },
      ]);
      expect(await balance(platform, "buyer", buyer.accountId, "refunds")).to.equal((2n - BigInt(period)) * priceMinor);
      expect(await balance(platform, "shop", BigInt(setup.shopId), "payable")).to.equal(shopPayableBefore + BigInt(period) * (priceMinor - fee));
    }
    expect(await written(id, productId)).to.deep.equal({ periods: "3", entries: "2", sold: "3", entitlements: "3" });
    // No subscription was started for a renewal's entitlement.
    expect((await queryOne<{ n: string }>(db(), sql`SELECT count(*)::text AS n FROM subscriptions WHERE product_id = ${productId}`))!.n).to.equal("1");

    // The buyer sees every period's key on the order too, and reveals the third one: one of the imported codes.
    const keys = await periodKeys(id);
    const order = await buyer.client.get(`/api/orders/${orderId}`);
    expect(order.body.items.map((item: { entitlementId: string }) => item.entitlementId).sort()).to.deep.equal(keys.map((key) => key.entitlementId).sort());
    const revealed = await buyer.client.post(`/api/entitlements/${keys[2]!.entitlementId}/reveal`);
    expect(revealed.status, revealed.text).to.equal(200);
    expect(revealed.body.code).to.equal(await codeOf(codes, keys[2]!.entitlementId));
    // Three distinct codes, each sold once.
    const sold = await Promise.all(keys.map((key) => codeOf(codes, key.entitlementId)));
    expect(new Set(sold).size).to.equal(3);

    // Past period 1's end: its key is expired, period 2's still genuine (each entitlement its own expiry).
    await moveChainTo(endOf(2) + 5n);
    const first = await platform.http.post("/api/verify", { key: sold[0] });
    expect(first.body.verdict).to.equal("expired");
    expect(Date.parse(first.body.entitlement.expiresAt) / 1000).to.equal(Number(endOf(1)));
    const second = await platform.http.post("/api/verify", { key: sold[1] });
    expect(second.body.verdict).to.equal("expired");
    expect(Date.parse(second.body.entitlement.expiresAt) / 1000).to.equal(Number(endOf(2)));
    const third = await platform.http.post("/api/verify", { key: sold[2] });
    expect(third.body.verdict, third.text).to.not.equal("expired");
    expect(Date.parse(third.body.entitlement.expiresAt) / 1000).to.equal(Number(endOf(3)));
    expect(await ledgerImbalance(platform)).to.deep.equal([]);
    await cancel(id);
  });

  it("races: sweeps run in parallel, replayed, and two renew clicks at once deliver one key and one charge for the period", async () => {
    const codes = randomKeys(4, "RACE");
    const productId = await planProduct("Course access (race)", codes);
    const { id, startsAt } = await subscribe(productId);
    await topUp(buyer, 3n * priceMinor, `kpp-race-${id}`);
    const balanceBefore = await balance(platform, "buyer", buyer.accountId, "refunds");
    // Inside period 1's renewal window by the sweeps' clock; the chain (the worker's clock) is left before it.
    const window = new Date(Number(startsAt + BigInt(month - day) + 60n) * 1000);
    expect((await chainNow()) < startsAt + BigInt(month - day)).to.equal(true);
    const settings = { platformFeeBps: platform.ctx.config.orders.platformFeeBps, publicUrl: "http://shop.test" };
    const [sweeps, clicks] = await Promise.all([
      Promise.all([1, 2, 3, 4].map(() => sweepSubscriptions(db(), window, settings))),
      Promise.all([1, 1].map((periodIndex) => buyer.client.post(`/api/subscriptions/${id}/renew`, { periodIndex }))),
    ]);
    expect(sweeps).to.have.length(4);
    expect(clicks.filter((answer) => answer.status === 200).length).to.be.at.most(1);
    for (const answer of clicks.filter((each) => each.status !== 200)) expect(answer.body.code).to.equal("invalid_state");
    // The job replayed afterwards: nothing more.
    await sweepSubscriptions(db(), window, settings);
    expect(await written(id, productId)).to.deep.equal({ periods: "2", entries: "1", sold: "2", entitlements: "2" });
    expect(await balance(platform, "buyer", buyer.accountId, "refunds")).to.equal(balanceBefore - priceMinor);
    const keys = await waitFor("period 1's key", async () => {
      const list = await periodKeys(id);
      return list.length === 2 && list[1]!.expiryOnChain ? list : undefined;
    });
    expect(await expiryOf(BigInt(keys[1]!.tokenId!))).to.equal(startsAt + 2n * BigInt(month));
    // An upgrade cannot change the delivery (the next keys come from the plan it is on): 400, nothing written.
    const credentialPlan = await createProduct(setup, { name: "Course (one account)", priceMinor: String(priceMinor * 2n), resaleAllowed: true });
    expect(
      (await setup.merchant.put(`/api/products/${credentialPlan}/subscription-plan`, { period: "month", delivery: "credential", graceDays: 3 })).status,
    ).to.equal(200);
    const upgrade = await buyer.client.post(`/api/subscriptions/${id}/upgrade`, { productId: credentialPlan });
    expect(upgrade.status, upgrade.text).to.equal(400);
    expect(upgrade.body.message).to.contain("delivery");
    expect((await queryOne<{ n: string }>(db(), sql`SELECT count(*)::text AS n FROM subscription_upgrades WHERE subscription_id = ${id}`))!.n).to.equal("0");
    expect(await balance(platform, "buyer", buyer.accountId, "refunds")).to.equal(balanceBefore - priceMinor);
    expect(await ledgerImbalance(platform)).to.deep.equal([]);
    await cancel(id);
  });

  it("out of stock at the third period: not charged, past due with out_of_stock, nothing half-done; a restock within the grace renews it", async () => {
    const codes = randomKeys(2, "SHORT");
    const productId = await planProduct("Course access (two codes)", codes);
    const { id, startsAt } = await subscribe(productId);
    const endOf = (periods: number) => startsAt + BigInt(periods * month);
    await topUp(buyer, 5n * priceMinor, `kpp-short-${id}`);
    await moveChainTo(endOf(1) - BigInt(day) + 1n);
    await waitFor("period 1 delivered", async () => ((await periodKeys(id)).length === 2 ? true : undefined));
    const balanceBefore = await balance(platform, "buyer", buyer.accountId, "refunds");
    const shopBefore = await balance(platform, "shop", BigInt(setup.shopId), "payable");
    // The third period: no key left. (The 7-day reminder first, before anything failed.)
    const outOfStockLine = "店铺暂无下一周期的卡密，本次续费未扣费";
    const reminderMails = () =>
      mailsTo(smtp.messages, buyer.email)
        .map(bodyText)
        .filter((text) => text.includes("提醒：距到期还有"));
    await moveChainTo(endOf(2) - 7n * BigInt(day) + 1n);
    await waitFor("the 7-day reminder", async () => (reminderMails().length === 1 ? true : undefined), 30_000);
    await moveChainTo(endOf(2) - BigInt(day) + 1n);
    const pastDue = await waitFor("renewal refused for lack of stock", async () => {
      const view = (await buyer.client.get(`/api/subscriptions/${id}`)).body;
      return view.state === "past_due" ? view : undefined;
    });
    expect(pastDue.lastFailure).to.equal("out_of_stock");
    expect(Date.parse(pastDue.paidUntil) / 1000).to.equal(Number(endOf(2)));
    const manual = await buyer.client.post(`/api/subscriptions/${id}/renew`, {});
    expect(manual.status, manual.text).to.equal(409);
    expect(manual.body.code).to.equal("out_of_stock");
    expect(manual.body.message).to.contain("nothing was charged");
    // The buyer is told once, in the 1-day reminder (in Chinese, the account's language); later sweeps retry without telling again.
    await waitFor("the 1-day reminder", async () => (reminderMails().length === 2 ? true : undefined), 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const told = reminderMails().filter((text) => text.includes(outOfStockLine));
    expect(told).to.have.length(1);
    expect(told[0]).to.contain("提醒：距到期还有 1 天。");
    expect(reminderMails()[0]).to.not.contain(outOfStockLine);
    // Nothing half-done: no period row, no entry, no key or entitlement, the balances as they were.
    expect(await written(id, productId)).to.deep.equal({ periods: "2", entries: "1", sold: "2", entitlements: "2" });
    expect(await balance(platform, "buyer", buyer.accountId, "refunds")).to.equal(balanceBefore);
    expect(await balance(platform, "shop", BigInt(setup.shopId), "payable")).to.equal(shopBefore);
    // The merchant restocks within the grace: the sweep renews, periods stay contiguous.
    const more = randomKeys(1, "RESTOCK");
    await importKeys(setup, productId, more);
    await moveChainTo(endOf(2) + BigInt(day));
    const keys = await waitFor("period 2 delivered after the restock", async () => {
      const list = await periodKeys(id);
      return list.length === 3 && list[2]!.expiryOnChain ? list : undefined;
    });
    expect(Date.parse(keys[2]!.endsAt) / 1000).to.equal(Number(endOf(3)));
    expect(await expiryOf(BigInt(keys[2]!.tokenId!))).to.equal(endOf(3));
    expect(await codeOf(more, keys[2]!.entitlementId)).to.equal(more[0]);
    expect(await balance(platform, "buyer", buyer.accountId, "refunds")).to.equal(balanceBefore - priceMinor);
    expect(await written(id, productId)).to.deep.equal({ periods: "3", entries: "2", sold: "3", entitlements: "3" });
    expect(await ledgerImbalance(platform)).to.deep.equal([]);
  });
});
