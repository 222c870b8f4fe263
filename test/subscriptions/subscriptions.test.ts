// Subscriptions against the whole platform (HTTP, PostgreSQL, Redis, BullMQ workers, a local
// Hardhat chain, an SMTP sink). The chain's clock is the subscriptions' clock (as for rentals):
// the test moves it with evm_setNextBlockTimestamp and lets the chain worker's own sweep act.
// At every step the token's expiry (read with viem) and the ledger's entries (read with SQL) are
// compared with figures computed here by hand.
import { expect } from "chai";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { chainClock, topUpBalance, waitSubscriptionStarted } from "./chainClock.ts";
import { startSmtpServer } from "../support/smtpServer.ts";
import { bodyText, mailsTo } from "../tickets/support/ticketFixtures.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { waitFor, type TestPlatform } from "../support/platform.ts";
import { balance, buyFromShop, ledgerImbalance, signUp, startResalePlatform, waitIssued, type Person } from "../resale/support.ts";

const day = 86_400;

const month = 30 * day;
const priceMinor = 3000n;

describe("subscriptions (balance renewals, on-chain expiry)", function () {
  this.timeout(300_000);
  let platform: TestPlatform;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let setup: MerchantSetup;
  let productId: string;
  let keys: string[];
  let buyer: Person;

  before(async () => {
    smtp = await startSmtpServer();
    platform = await startResalePlatform({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}` });
    setup = await setupMerchant(platform);
    productId = await createProduct(setup, { name: "Streaming account (monthly)", priceMinor: String(priceMinor), resaleAllowed: true });
    keys = randomKeys(3, "SUB");
    await importKeys(setup, productId, keys);
    buyer = await signUp(platform, "subscriber");
  });
  after(async () => {
    await platform?.stopAll();
    await smtp?.stop();
  });

  const db = () => platform.ctx.database.db;
  const expiryOf = (tokenId: bigint) => chainClock(platform).expiryOf(tokenId);
  const isExpired = (tokenId: bigint) => chainClock(platform).isExpired(tokenId);
  const moveChainTo = (timestamp: bigint) => chainClock(platform).moveTo(timestamp);
  const subscriptionRow = (id: string) =>
    queryOne<{ state: string; periods_paid: number; paid_until: Date; starts_at: Date; last_failure: string | null }>(
      db(),
      sql`SELECT state, periods_paid, paid_until, starts_at, last_failure FROM subscriptions WHERE id = ${id}`,
    );
  const writtenCounts = async (id: string) =>
    queryOne<{ periods: string; entries: string }>(
      db(),
      sql`SELECT (SELECT count(*) FROM subscription_periods WHERE subscription_id = ${id})::text AS periods,
                 (SELECT count(*) FROM ledger_transactions WHERE reference_type = 'subscription')::text AS entries`,
    );
  const topUp = (person: Person, amountMinor: bigint, reference: string) => topUpBalance(db(), person.accountId, amountMinor, reference);

  it("refuses bad plans and plans of other shops; nothing is written", async () => {
    const stranger = await signUp(platform, "stranger", ["merchant"]);
    expect((await stranger.client.put(`/api/products/${productId}/subscription-plan`, { period: "month", delivery: "credential" })).status).to.equal(403);
    const badPeriod = await setup.merchant.put(`/api/products/${productId}/subscription-plan`, { period: "fortnight", delivery: "credential" });
    expect(badPeriod.status).to.equal(400);
    expect(badPeriod.body.code).to.equal("validation_failed");
    expect(
      (await setup.merchant.put(`/api/products/${productId}/subscription-plan`, { period: "month", delivery: "credential", graceDays: 31 })).status,
    ).to.equal(400);
    const noPlan = await platform.http.get(`/api/products/${productId}/subscription-plan`);
    expect(noPlan.status).to.equal(200);
    expect(noPlan.body).to.deep.equal({ plan: null });
    const count = await queryOne<{ n: string }>(db(), sql`SELECT count(*)::text AS n FROM subscription_plans`);
    expect(count!.n).to.equal("0");
  });

  it("renews three times from the balance, fails when the balance is short, runs out its grace and expires: chain and ledger agree at every step", async () => {
    const plan = await setup.merchant.put(`/api/products/${productId}/subscription-plan`, { period: "month", delivery: "credential", graceDays: 3 });
    expect(plan.status, plan.text).to.equal(200);
    expect(plan.body).to.include({ period: "month", periodSeconds: month, periodPriceMinor: "3000", graceDays: 3 });
    expect((await platform.http.get(`/api/products/${productId}/subscription-plan`)).body.plan.periodPriceMinor).to.equal("3000");

    const { entitlementId } = await buyFromShop(platform, setup, buyer, productId);
    const tokenId = await waitIssued(platform, entitlementId);
    // The first period: the subscription starts at the chain's time of the sweep that saw the entitlement.
    const started = await waitSubscriptionStarted(buyer, entitlementId);
    const { id, startsAt } = started;
    const endOf = (periods: number) => startsAt + BigInt(periods * month);
    expect(BigInt(Date.parse(started.paidUntil) / 1000)).to.equal(endOf(1));
    expect(await expiryOf(tokenId)).to.equal(endOf(1));
    expect(await isExpired(tokenId)).to.equal(false);

    const feeBps = BigInt(platform.ctx.config.orders.platformFeeBps);
    const fee = (priceMinor * feeBps) / 10_000n;
    await topUp(buyer, 3n * priceMinor, `sub-${id}`);
    const shopPayableBefore = await balance(platform, "shop", BigInt(setup.shopId), "payable");

    const reminded = (periodIndex: number, kind: string) =>
      waitFor(`reminder ${kind} of period ${periodIndex}`, async () => {
        const row = await queryOne<{ locale: string }>(
          db(),
          sql`SELECT locale FROM subscription_reminders WHERE subscription_id = ${id} AND period_index = ${periodIndex} AND kind = ${kind}`,
        );
        return row ?? undefined;
      });
    for (let period = 1; period <= 3; period++) {
      // Seven days before the end: the reminder, in the buyer's language (zh-CN, the default).
      await moveChainTo(endOf(period) - 7n * BigInt(day) + 1n);
      expect((await reminded(period - 1, "days_7")).locale).to.equal("zh-CN");
      // One second into the renewal window (a day before the paid period ends).
      await moveChainTo(endOf(period) - BigInt(day) + 1n);
      await waitFor(`period ${period} charged and on-chain`, async () => {
        const row = await queryOne<{ chain_state: string }>(
          db(),
          sql`SELECT chain_state FROM subscription_periods WHERE subscription_id = ${id} AND period_index = ${period}`,
        );
        return row?.chain_state === "included" ? row : undefined;
      });
      const row = (await subscriptionRow(id))!;
      expect(row.state).to.equal("active");
      expect(row.periods_paid).to.equal(period + 1);
      expect(BigInt(new Date(row.paid_until).getTime() / 1000)).to.equal(endOf(period + 1));
      expect(await expiryOf(tokenId)).to.equal(endOf(period + 1));
      const legs = await queryRows<{ owner_type: string; purpose: string; amount: string }>(
        db(),
        sql`SELECT a.owner_type, a.purpose, p.amount_minor::text AS amount FROM ledger_transactions t
            JOIN ledger_postings p ON p.tx_id = t.id JOIN ledger_accounts a ON a.id = p.account_id
            WHERE t.reference_type = 'subscription' AND t.reference_id = ${`${id}:${period}`} ORDER BY a.owner_type, a.purpose`,
      );
      expect(legs).to.deep.equal(
        [
          { owner_type: "buyer", purpose: "refunds", amount: String(-priceMinor) },
          ...(fee > 0n ? [{ owner_type: "platform", purpose: "fees", amount: String(fee) }] : []),
          { owner_type: "shop", purpose: "payable", amount: String(priceMinor - fee) },
        ].sort((a, b) => `${a.owner_type}${a.purpose}`.localeCompare(`${b.owner_type}${b.purpose}`)),
      );
      expect(await balance(platform, "buyer", buyer.accountId, "refunds")).to.equal(3n * priceMinor - BigInt(period) * priceMinor);
      expect(await balance(platform, "shop", BigInt(setup.shopId), "payable")).to.equal(shopPayableBefore + BigInt(period) * (priceMinor - fee));
    }
    // The fourth renewal: the balance is empty. Nothing is charged; the subscription is past due.
    await moveChainTo(endOf(4) - 7n * BigInt(day) + 1n);
    await reminded(3, "days_7");
    await moveChainTo(endOf(4) - BigInt(day) + 1n);
    const pastDue = await waitFor("renewal failed", async () => {
      const row = await subscriptionRow(id);
      return row?.state === "past_due" ? row : undefined;
    });
    expect(pastDue.last_failure).to.equal("insufficient_funds");
    expect(await writtenCounts(id)).to.deep.equal({ periods: "4", entries: "3" });
    expect(await expiryOf(tokenId)).to.equal(endOf(4));
    // The one-day reminder now goes out (the renewal did not happen). Each reminder was sent once:
    // four seven-day ones (one per period) and this one, all in Chinese.
    await reminded(3, "days_1");
    const reminderMails = () =>
      mailsTo(smtp.messages, buyer.email)
        .map(bodyText)
        .filter((text) => text.includes("提醒：距到期还有"));
    await waitFor("five reminder mails", async () => (reminderMails().length >= 5 ? true : undefined), 10_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const mails = reminderMails();
    expect(mails).to.have.length(5);
    expect(mails.filter((text) => text.includes("提醒：距到期还有 7 天。"))).to.have.length(4);
    expect(mails.filter((text) => text.includes("提醒：距到期还有 1 天。"))).to.have.length(1);
    // Renewing by hand with a short balance: 409 insufficient_funds, nothing written.
    const short = await buyer.client.post(`/api/subscriptions/${id}/renew`, {});
    expect(short.status, short.text).to.equal(409);
    expect(short.body.code).to.equal("insufficient_funds");
    expect(await writtenCounts(id)).to.deep.equal({ periods: "4", entries: "3" });

    // Past the paid end, inside the grace: the token has expired on-chain and verify says so.
    await moveChainTo(endOf(4) + 10n);
    expect(await isExpired(tokenId)).to.equal(true);
    const verified = await platform.http.post("/api/verify", { key: await soldKey(entitlementId) });
    expect(verified.status, verified.text).to.equal(200);
    expect(verified.body.verdict).to.equal("expired");
    expect(Date.parse(verified.body.entitlement.expiresAt) / 1000).to.equal(Number(endOf(4)));
    expect((await subscriptionRow(id))!.state).to.equal("past_due");

    // Past the grace: expired for good; renewing is refused and writes nothing.
    await moveChainTo(endOf(4) + 3n * BigInt(day));
    await waitFor("expired after grace", async () => ((await subscriptionRow(id))?.state === "expired" ? true : undefined));
    await topUp(buyer, priceMinor, `sub-${id}-late`);
    const late = await buyer.client.post(`/api/subscriptions/${id}/renew`, {});
    expect(late.status, late.text).to.equal(409);
    expect(late.body.code).to.equal("invalid_state");
    expect(await writtenCounts(id)).to.deep.equal({ periods: "4", entries: "3" });
    expect(await expiryOf(tokenId)).to.equal(endOf(4));
    expect((await platform.http.post("/api/verify", { key: await soldKey(entitlementId) })).body.verdict).to.equal("expired");
    expect(await ledgerImbalance(platform)).to.deep.equal([]);
  });

  it("bad input: a period renewed twice at once is charged once; a stale period, a cancelled subscription and a second cancel are refused; nothing is written", async () => {
    const { entitlementId } = await buyFromShop(platform, setup, buyer, productId);
    const subscription = await waitFor("second subscription", async () => {
      const page = await buyer.client.get("/api/subscriptions");
      return page.body.items.find((row: { entitlementId: string }) => row.entitlementId === entitlementId);
    });
    const id = subscription.id as string;
    await topUp(buyer, 2n * priceMinor, `sub-${id}-bad`);
    const balanceBefore = await balance(platform, "buyer", buyer.accountId, "refunds");
    // Two clicks on "renew" for period 1 at the same moment: one charge, the other 409.
    const both = await Promise.all([1, 1].map((periodIndex) => buyer.client.post(`/api/subscriptions/${id}/renew`, { periodIndex })));
    expect(both.map((answer) => answer.status).sort()).to.deep.equal([200, 409]);
    expect(both.find((answer) => answer.status === 409)!.body.code).to.equal("invalid_state");
    expect(await balance(platform, "buyer", buyer.accountId, "refunds")).to.equal(balanceBefore - priceMinor);
    const periods = async () =>
      (await queryOne<{ n: string }>(db(), sql`SELECT count(*)::text AS n FROM subscription_periods WHERE subscription_id = ${id}`))!.n;
    expect(await periods()).to.equal("2");
    // The same period again (a stale page): 409, nothing charged.
    const stale = await buyer.client.post(`/api/subscriptions/${id}/renew`, { periodIndex: 1 });
    expect(stale.status).to.equal(409);
    expect(stale.body.message).to.contain("already paid");
    // Someone else's subscription is not found; a bad id is a validation error.
    const other = await signUp(platform, "other-subscriber");
    expect((await other.client.post(`/api/subscriptions/${id}/renew`, {})).status).to.equal(404);
    expect((await buyer.client.post("/api/subscriptions/abc/renew", {})).status).to.equal(400);
    // Cancelled: renewing is refused, a second cancel too.
    const cancelled = await buyer.client.post(`/api/subscriptions/${id}/cancel`);
    expect(cancelled.status, cancelled.text).to.equal(200);
    expect(cancelled.body).to.include({ state: "cancelled", autoRenew: false });
    const renewCancelled = await buyer.client.post(`/api/subscriptions/${id}/renew`, {});
    expect(renewCancelled.status).to.equal(409);
    expect(renewCancelled.body.message).to.contain("cancelled");
    expect((await buyer.client.post(`/api/subscriptions/${id}/cancel`)).status).to.equal(409);
    expect(await periods()).to.equal("2");
    expect(await balance(platform, "buyer", buyer.accountId, "refunds")).to.equal(balanceBefore - priceMinor);
    expect(await ledgerImbalance(platform)).to.deep.equal([]);
  });

  /** The code of the entitlement's key: the test imported the codes, so it asks verify which one was sold as this entitlement. */
  async function soldKey(entitlementId: string): Promise<string> {
    for (const key of keys) {
      const answer = await platform.http.post("/api/verify", { key });
      if (answer.body.entitlementId === entitlementId) return key;
    }
    throw new Error(`no imported key is entitlement ${entitlementId}`);
  }
});
