// Subscriptions and the rental market in Chromium (docs/subscriptions.md, docs/rentals.md): a
// buyer in Chinese sees the period price on the product page, finds the subscription on "我的订阅"
// with its on-chain expiry, renews it from the balance and cancels it; a renter in English finds
// the rental market beside the resale market, is held to the offer's term bounds by the term
// picker, sees the total, and is sent to the payment page for the rental.
import { expect } from "chai";
import type { Page } from "playwright-core";
import { postJournal } from "../../api/ledger/postJournal.ts";
import { queryOne, sql } from "../../core/store/database.ts";
import { buyFromShop, signUp, startResalePlatform, waitIssued, type Person } from "../resale/support.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { waitFor, type TestPlatform } from "../support/platform.ts";
import { axeViolations, launchBrowser, signInThroughPage, watchPageErrors, type Browser } from "./browser.ts";

describe("subscriptions and the rental market in Chromium (zh-CN and en)", function () {
  this.timeout(300_000);
  let platform: TestPlatform;
  let setup: MerchantSetup;
  let monthly: string;
  let shared: string;
  let zh: Browser;
  let en: Browser;
  let subscriber: Person;

  before(async function () {
    this.timeout(300_000);
    platform = await startResalePlatform();
    setup = await setupMerchant(platform);
    monthly = await createProduct(setup, { name: "月度会员", priceMinor: "3000", resaleAllowed: true });
    shared = await createProduct(setup, { name: "Shared family account", priceMinor: "5000", resaleAllowed: true, rentalAllowed: true });
    await Promise.all([importKeys(setup, monthly, randomKeys(2, "WSB")), importKeys(setup, shared, randomKeys(2, "WRT"))]);
    const plan = await setup.merchant.put(`/api/products/${monthly}/subscription-plan`, { period: "month", delivery: "credential", graceDays: 3 });
    expect(plan.status, plan.text).to.equal(200);
    subscriber = await signUp(platform, "web-subscriber");
    zh = await launchBrowser({ locale: "zh-CN" });
    en = await launchBrowser({ locale: "en-US" });
  });
  after(async () => {
    await zh?.close();
    await en?.close();
    await platform?.stopAll();
  });

  async function openPage(browser: Browser): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.context.newPage();
    return { page, errors: watchPageErrors(page) };
  }

  it("zh-CN: the period price on the product page; my subscription with its on-chain expiry; renew from the balance; cancel", async () => {
    const { entitlementId } = await buyFromShop(platform, setup, subscriber, monthly);
    await waitIssued(platform, entitlementId);
    await waitFor("the subscription's expiry on-chain", async () => {
      const row = await queryOne<{ n: string }>(
        platform.ctx.database.db,
        sql`SELECT count(*)::text AS n FROM subscription_periods sp JOIN subscriptions s ON s.id = sp.subscription_id
            WHERE s.entitlement_id = ${entitlementId} AND sp.chain_state = 'included'`,
      );
      return row?.n === "1" ? true : undefined;
    });
    await postJournal(platform.ctx.database.db, {
      idempotencyKey: "web-subscriber-topup",
      kind: "balance_topup",
      reference: { type: "topup", id: "web-subscriber" },
      postings: [
        { account: { ownerType: "platform", ownerId: 0n, purpose: "clearing_epay" }, amountMinor: -3000n, currency: "CNY" },
        { account: { ownerType: "buyer", ownerId: subscriber.accountId, purpose: "refunds" }, amountMinor: 3000n, currency: "CNY" },
      ],
    });

    const { page, errors } = await openPage(zh);
    await signInThroughPage(page, platform.url, { email: subscriber.email, password: "resale-password-1" }, `/product/${monthly}`);
    expect(await page.getByTestId("subscription-plan-price").textContent())
      .to.contain("每月（30 天）")
      .and.contain("30.00");
    await page.getByRole("link", { name: "我的订阅" }).first().click();
    await page.waitForURL(/\/me\/subscriptions$/);
    const row = page.getByTestId("subscription");
    await row.waitFor();
    expect(await row.getByTestId("subscription-state").textContent()).to.equal("生效中");
    expect(await row.getByTestId("subscription-chain-paid-until").textContent()).to.not.equal("正在写入链上");
    const paidUntilBefore = await row.getByTestId("subscription-paid-until").textContent();
    expect(paidUntilBefore).to.equal(await row.getByTestId("subscription-chain-paid-until").textContent());

    await row.getByRole("button", { name: "立即续费" }).click();
    await waitFor("renewed", async () => ((await row.getByTestId("subscription-paid-until").textContent()) !== paidUntilBefore ? true : undefined), 15_000);
    const charged = await queryOne<{ n: string }>(
      platform.ctx.database.db,
      sql`SELECT count(*)::text AS n FROM ledger_transactions WHERE reference_type = 'subscription' AND kind = 'subscription_renewal'`,
    );
    expect(charged!.n).to.equal("1");
    // A second click finds the balance empty: the error says so, nothing more is charged.
    await row.getByRole("button", { name: "立即续费" }).click();
    await row.getByRole("alert").waitFor();
    expect(
      (await queryOne<{ n: string }>(platform.ctx.database.db, sql`SELECT count(*)::text AS n FROM ledger_transactions WHERE reference_type = 'subscription'`))!
        .n,
    ).to.equal("1");

    await row.getByRole("button", { name: "取消订阅" }).click();
    await row.getByTestId("subscription-state").filter({ hasText: "已取消" }).waitFor();
    expect(await row.getByRole("button", { name: "立即续费" }).count()).to.equal(0);
    expect(errors).to.deep.equal([]);
  });

  it("en: the rental market beside the resale market; the term picker keeps to the bounds and shows the total; renting goes to payment", async () => {
    const owner = await signUp(platform, "web-owner");
    const { entitlementId } = await buyFromShop(platform, setup, owner, shared);
    await waitIssued(platform, entitlementId);
    const offer = await owner.client.post("/api/rentals/listings", { entitlementId, pricePerDayMinor: "250", currency: "CNY", minDays: 2, maxDays: 5 });
    expect(offer.status, offer.text).to.equal(201);
    const renter = await signUp(platform, "web-renter");

    const { page, errors } = await openPage(en);
    await signInThroughPage(page, platform.url, { email: renter.email, password: "resale-password-1" }, `/product/${shared}`);
    await page.getByRole("heading", { name: "Rent it" }).waitFor();
    await page.getByTestId("resale-market").waitFor();
    const row = page.getByTestId("rental-offer");
    expect(await row.textContent())
      .to.contain("per day")
      .and.contain("2 to 5 days");
    const days = row.getByLabel("Days");
    await days.fill("6");
    expect(await row.getByTestId("rental-total").textContent()).to.equal("Choose 2 to 5 days");
    expect(await row.getByRole("button", { name: "Rent" }).isDisabled()).to.equal(true);
    await days.fill("3");
    expect(await row.getByTestId("rental-total").textContent())
      .to.contain("Total")
      .and.contain("7.50");
    await row.getByRole("button", { name: "Rent" }).click();
    await page.waitForURL(/sandbox\/epay/);
    const rental = await queryOne<{ days: number; price_minor: string; state: string }>(
      platform.ctx.database.db,
      sql`SELECT days, price_minor::text AS price_minor, state FROM rentals WHERE listing_id = ${offer.body.id}`,
    );
    expect(rental).to.deep.equal({ days: 3, price_minor: "750", state: "awaiting_payment" });
    expect(errors).to.deep.equal([]);
  });

  it("en: a key-per-period subscription lists each period's key with its end and links to the order that holds them (axe clean)", async () => {
    const course = await createProduct(setup, { name: "Course codes", priceMinor: "2000", resaleAllowed: true });
    await importKeys(setup, course, randomKeys(2, "WKP"));
    const plan = await setup.merchant.put(`/api/products/${course}/subscription-plan`, { period: "month", delivery: "key_per_period", graceDays: 3 });
    expect(plan.status, plan.text).to.equal(200);
    const learner = await signUp(platform, "web-learner");
    const { orderId, entitlementId } = await buyFromShop(platform, setup, learner, course);
    await waitIssued(platform, entitlementId);
    const id = await waitFor("the course subscription", async () => {
      const item = (await learner.client.get("/api/subscriptions")).body.items[0];
      return item?.chainPaidUntil ? (item.id as string) : undefined;
    });
    await postJournal(platform.ctx.database.db, {
      idempotencyKey: "web-learner-topup",
      kind: "balance_topup",
      reference: { type: "topup", id: "web-learner" },
      postings: [
        { account: { ownerType: "platform", ownerId: 0n, purpose: "clearing_epay" }, amountMinor: -2000n, currency: "CNY" },
        { account: { ownerType: "buyer", ownerId: learner.accountId, purpose: "refunds" }, amountMinor: 2000n, currency: "CNY" },
      ],
    });
    expect((await learner.client.post(`/api/subscriptions/${id}/renew`, { periodIndex: 1 })).status).to.equal(200);
    await waitFor("the second key's expiry on-chain", async () => {
      const keys = (await learner.client.get(`/api/subscriptions/${id}`)).body.periodKeys;
      return keys.length === 2 && keys[1].expiryOnChain ? true : undefined;
    });

    const { page, errors } = await openPage(en);
    await signInThroughPage(page, platform.url, { email: learner.email, password: "resale-password-1" }, "/me/subscriptions");
    const keys = page.getByTestId("subscription-period-key");
    await keys.nth(1).waitFor();
    expect(await keys.count()).to.equal(2);
    expect(await keys.nth(0).textContent()).to.contain("Period 1: key valid until");
    expect(await keys.nth(1).textContent())
      .to.contain("Period 2: key valid until")
      .and.not.contain("Being written to the chain");
    expect(await axeViolations(page)).to.deep.equal([]);
    await page.getByRole("link", { name: "Reveal the keys on the order" }).click();
    await page.waitForURL(new RegExp(`/orders/${orderId}$`));
    const order = (await learner.client.get(`/api/orders/${orderId}`)).body;
    expect(order.items).to.have.length(2);
    expect(errors).to.deep.equal([]);
  });
});
