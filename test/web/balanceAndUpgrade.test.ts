// "My balance" and upgrading a subscription in Chromium (docs/subscriptions.md), each checked
// against the database afterwards. In Chinese at 360 px a buyer tops up ¥25.00: the first
// request's answer is lost on the way back (the request reached the platform), the retry carries
// the same idempotency key and is answered with the same top-up, the sandbox cashier pays it and
// returns to the page, which shows it paid; one top-up row and one ledger transaction exist. In
// English at 1280 px the buyer upgrades a ¥30.00 monthly plan to the ¥50.00 one of the same shop
// (a quarterly plan of the shop is not offered): the amount charged is computed here by hand from
// the seconds left of the period (floor(2000 x seconds left / 2,592,000)) and matches the upgrade
// row, the balance the page shows and the ledger.
import { expect } from "chai";
import type { Page } from "playwright-core";
import { queryOne, sql } from "../../core/store/database.ts";
import { buyFromShop, signUp, startResalePlatform, waitIssued, type Person } from "../resale/support.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import type { TestPlatform } from "../support/platform.ts";
import { launchBrowser, signInThroughPage, viewports, watchPageErrors } from "./browser.ts";

const monthSeconds = 30 * 86_400;

describe("My balance (top-up) and subscription upgrade in Chromium (zh-CN, en)", function () {
  this.timeout(300_000);
  let platform: TestPlatform;
  let setup: MerchantSetup;
  let basic: string;
  let premium: string;
  let quarterly: string;
  let buyer: Person;

  before(async function () {
    this.timeout(300_000);
    platform = await startResalePlatform();
    setup = await setupMerchant(platform);
    basic = await createProduct(setup, { name: "Basic monthly", priceMinor: "3000", resaleAllowed: true });
    premium = await createProduct(setup, { name: "Premium monthly", priceMinor: "5000" });
    quarterly = await createProduct(setup, { name: "Premium quarterly", priceMinor: "9000" });
    await importKeys(setup, basic, randomKeys(2, "UPB"));
    for (const [productId, period] of [
      [basic, "month"],
      [premium, "month"],
      [quarterly, "quarter"],
    ] as const) {
      const plan = await setup.merchant.put(`/api/products/${productId}/subscription-plan`, { period, delivery: "credential", graceDays: 3 });
      expect(plan.status, plan.text).to.equal(200);
    }
    buyer = await signUp(platform, "web-upgrader");
    const { entitlementId } = await buyFromShop(platform, setup, buyer, basic);
    await waitIssued(platform, entitlementId);
  });
  after(async () => {
    await platform?.stopAll();
  });

  const db = () => platform.ctx.database.db;
  const one = <T>(query: ReturnType<typeof sql>) => queryOne<T>(db(), query);
  const shownBalance = (page: Page) => page.locator('[data-testid="balance-amount"][data-currency="CNY"]').getAttribute("data-minor");

  it("zh-CN at 360 px: a top-up whose first answer is lost is created once, paid in the sandbox and shown in the balance", async () => {
    const browser = await launchBrowser({ locale: "zh-CN", viewport: viewports.phone });
    try {
      const page = await browser.context.newPage();
      const errors = watchPageErrors(page);
      await signInThroughPage(page, platform.url, { email: buyer.email, password: "resale-password-1" }, "/me/subscriptions");
      const panel = page.getByTestId("my-balance");
      await panel.getByRole("heading", { name: "我的余额" }).waitFor();
      expect(await shownBalance(page)).to.equal("0");

      // The first request reaches the platform, its answer never reaches the page.
      const keys: string[] = [];
      let lost = false;
      await page.route("**/api/balance/topups", async (route) => {
        keys.push(JSON.parse(route.request().postData() ?? "{}").idempotencyKey);
        if (lost) return route.continue();
        lost = true;
        await route.fetch();
        await route.abort("connectionreset");
      });
      await panel.getByLabel("金额（CNY）").fill("25.00");
      await panel.getByRole("button", { name: "充值" }).click();
      await panel.locator('[data-testid="error-notice"][data-code="network_error"]').waitFor();
      await panel.getByRole("button", { name: "充值" }).click();
      await page.waitForURL(/sandbox\/epay/);
      expect(keys).to.have.length(2);
      expect(keys[1]).to.equal(keys[0]);
      const started = await one<{ n: string; amount: string; state: string }>(
        sql`SELECT count(*)::text AS n, max(amount_minor)::text AS amount, max(state) AS state FROM balance_topups WHERE account_id = ${buyer.accountId}`,
      );
      expect(started).to.deep.equal({ n: "1", amount: "2500", state: "awaiting_payment" });

      await page.getByTestId("sandbox-pay").click();
      await page.waitForURL(/\/me\/subscriptions$/);
      await page.locator('[data-testid="topup-state"][data-state="paid"]').waitFor();
      await page.locator('[data-testid="balance-amount"][data-minor="2500"]').waitFor();
      expect(await page.getByTestId("topup-status").textContent()).to.contain("充值的 ¥25.00 已到账");
      const paid = await one<{ topups: string; paid: string; entries: string }>(
        sql`SELECT (SELECT count(*) FROM balance_topups WHERE account_id = ${buyer.accountId})::text AS topups,
                   (SELECT count(*) FROM balance_topups WHERE account_id = ${buyer.accountId} AND state = 'paid')::text AS paid,
                   (SELECT count(*) FROM ledger_transactions WHERE kind = 'balance_topup')::text AS entries`,
      );
      expect(paid).to.deep.equal({ topups: "1", paid: "1", entries: "1" });
      const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
      expect(scrollWidth, `page is ${scrollWidth}px wide in a ${innerWidth}px viewport`).to.be.at.most(innerWidth);
      expect(errors.filter((error) => !/net::ERR_CONNECTION_RESET/.test(error))).to.deep.equal([]);
    } finally {
      await browser.close();
    }
  });

  it("en: the upgrade offers the dearer monthly plan only and charges the prorated difference computed by hand", async () => {
    const subscription = (await one<{ id: string; paid_until: Date }>(
      sql`SELECT id::text, paid_until FROM subscriptions WHERE account_id = ${buyer.accountId}`,
    ))!;
    const browser = await launchBrowser({ locale: "en-US" });
    try {
      const page = await browser.context.newPage();
      const errors = watchPageErrors(page);
      await signInThroughPage(page, platform.url, { email: buyer.email, password: "resale-password-1" }, "/me/subscriptions");
      const row = page.getByTestId("subscription");
      await row.getByRole("button", { name: "Upgrade" }).click();
      const choice = row.getByLabel("New plan");
      await choice.waitFor();
      expect(await choice.locator("option").allTextContents()).to.deep.equal(["Premium monthly: ¥50.00 per period"]);
      expect(await row.getByTestId("upgrade-terms").textContent()).to.contain("difference of ¥20.00 per period");
      // The subscriptions' clock is the chain's (its latest block), read here around the click.
      const chainSeconds = async () => Number((await platform.ctx.chain!.publicClient.getBlock()).timestamp);
      const before = await chainSeconds();
      await row.getByRole("button", { name: "Upgrade and pay the difference" }).click();
      await row.getByTestId("upgrade-done").waitFor();
      const after = await chainSeconds();

      const upgrade = (await one<{ n: string; remaining_seconds: number; amount_minor: string; to_product_id: string }>(
        sql`SELECT count(*) OVER ()::text AS n, remaining_seconds, amount_minor::text, to_product_id::text FROM subscription_upgrades WHERE subscription_id = ${BigInt(subscription.id)}`,
      ))!;
      expect(upgrade.n).to.equal("1");
      expect(upgrade.to_product_id).to.equal(premium);
      const paidUntil = Math.floor(new Date(subscription.paid_until).getTime() / 1000);
      expect(upgrade.remaining_seconds).to.be.within(paidUntil - after, paidUntil - before);
      // By hand: the ¥20.00 difference for the seconds left of a 30-day period, rounded down.
      const expected = (2000n * BigInt(upgrade.remaining_seconds)) / BigInt(monthSeconds);
      expect(upgrade.amount_minor).to.equal(String(expected));
      expect(expected > 0n).to.equal(true);
      expect(await row.getByTestId("upgrade-charged").getAttribute("data-minor")).to.equal(String(expected));
      await page.locator(`[data-testid="balance-amount"][data-minor="${2500n - expected}"]`).waitFor();
      const charged = await one<{ n: string }>(sql`SELECT count(*)::text AS n FROM ledger_transactions WHERE kind = 'subscription_upgrade'`);
      expect(charged!.n).to.equal("1");
      expect(await row.getByTestId("subscription-price").textContent()).to.contain("¥50.00");
      const current = await one<{ product_id: string; price_minor: string }>(
        sql`SELECT product_id::text, price_minor::text FROM subscriptions WHERE id = ${BigInt(subscription.id)}`,
      );
      expect(current).to.deep.equal({ product_id: premium, price_minor: "5000" });
      expect(errors).to.deep.equal([]);
    } finally {
      await browser.close();
    }
  });
});
