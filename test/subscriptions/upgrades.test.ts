// Upgrades of a running subscription (HTTP, PostgreSQL, Redis, workers, a local Hardhat chain
// whose clock the test moves). Prices are chosen so the prorated amounts are whole figures worked
// out here by hand and do not change with the few seconds the chain may move between the test's
// block and the request: a difference of 2,592 fen over a 2,592,000-second month is one fen per
// 1,000 seconds left.
import { expect } from "chai";
import { chainClock, topUpBalance } from "./chainClock.ts";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { waitFor, type TestPlatform } from "../support/platform.ts";
import { balance, buyFromShop, ledgerImbalance, signUp, startResalePlatform, waitIssued, type Person } from "../resale/support.ts";

describe("subscription upgrades (prorated difference from the balance, in the ledger)", function () {
  this.timeout(300_000);
  let platform: TestPlatform;
  let setup: MerchantSetup;
  let buyer: Person;
  const products: Record<"basic" | "plus" | "max" | "cheap" | "weekly" | "unplanned", string> = {} as never;

  before(async () => {
    platform = await startResalePlatform();
    setup = await setupMerchant(platform);
    const make = async (name: string, priceMinor: string, period?: string) => {
      const id = await createProduct(setup, { name, priceMinor, resaleAllowed: true });
      await importKeys(setup, id, randomKeys(4, name.slice(0, 3).toUpperCase()));
      if (period) expect((await setup.merchant.put(`/api/products/${id}/subscription-plan`, { period, delivery: "credential" })).status).to.equal(200);
      return id;
    };
    products.basic = await make("Basic monthly", "3000", "month");
    products.plus = await make("Plus monthly", "5592", "month");
    products.max = await make("Max monthly", "6000", "month");
    products.cheap = await make("Lite monthly", "2000", "month");
    products.weekly = await make("Plus weekly", "9000", "week");
    products.unplanned = await make("Not a plan", "9000");
    buyer = await signUp(platform, "upgrader");
  });
  after(async () => {
    await platform?.stopAll();
  });

  const db = () => platform.ctx.database.db;
  const moveChainTo = (timestamp: bigint) => chainClock(platform).moveTo(timestamp);
  const topUp = (amountMinor: bigint, reference: string) => topUpBalance(db(), buyer.accountId, amountMinor, reference);
  const written = () =>
    queryOne<{ upgrades: string; entries: string; products: string }>(
      db(),
      sql`SELECT (SELECT count(*) FROM subscription_upgrades)::text AS upgrades,
                 (SELECT count(*) FROM ledger_transactions WHERE kind = 'subscription_upgrade')::text AS entries,
                 (SELECT string_agg(product_id::text || ':' || price_minor::text, ',' ORDER BY id) FROM subscriptions) AS products`,
    );
  const subscribe = async () => {
    const { entitlementId } = await buyFromShop(platform, setup, buyer, products.basic);
    await waitIssued(platform, entitlementId);
    return waitFor("the subscription and its expiry on-chain", async () => {
      const page = await buyer.client.get("/api/subscriptions");
      const item = page.body.items.find((row: { entitlementId: string }) => row.entitlementId === entitlementId);
      return item?.chainPaidUntil ? item : undefined;
    });
  };

  it("charges floor(difference × seconds left / period) for each upgrade, splits it like a renewal, and renews at the new price", async () => {
    const subscription = await subscribe();
    const paidUntil = BigInt(Date.parse(subscription.paidUntil) / 1000);
    // 1,296,500 seconds (15 days and 500 s) left of the month.
    await moveChainTo(paidUntil - 1_296_500n);
    await topUp(10_000n, "upgrade-1");
    const shopBefore = await balance(platform, "shop", BigInt(setup.shopId), "payable");
    const feesBefore = await balance(platform, "platform", 0n, "fees");

    // 3000 -> 5592: 2592 × 1,296,500 / 2,592,000 = 1296.5 -> 1296; fee floor(1296 × 5%) = 64, shop 1232.
    const first = await buyer.client.post(`/api/subscriptions/${subscription.id}/upgrade`, { productId: products.plus });
    expect(first.status, first.text).to.equal(200);
    expect(first.body.upgrade).to.include({ periodIndex: 0, fromProductId: products.basic, toProductId: products.plus, amountMinor: "1296", currency: "CNY" });
    expect(first.body.upgrade.remainingSeconds).to.be.within(1_296_000, 1_296_500);
    expect(first.body.subscription).to.include({
      productId: products.plus,
      productName: "Plus monthly",
      priceMinor: "5592",
      paidUntil: subscription.paidUntil,
    });

    // 5592 -> 6000: 408 × 1,296,500 / 2,592,000 = 204.08 -> 204; fee floor(10.2) = 10, shop 194.
    const second = await buyer.client.post(`/api/subscriptions/${subscription.id}/upgrade`, { productId: products.max });
    expect(second.status, second.text).to.equal(200);
    expect(second.body.upgrade.amountMinor).to.equal("204");

    expect(await balance(platform, "buyer", buyer.accountId, "refunds")).to.equal(10_000n - 1296n - 204n);
    expect(await balance(platform, "shop", BigInt(setup.shopId), "payable")).to.equal(shopBefore + 1232n + 194n);
    expect(await balance(platform, "platform", 0n, "fees")).to.equal(feesBefore + 64n + 10n);
    const legs = await queryRows<{ reference_id: string; amounts: string }>(
      db(),
      sql`SELECT t.reference_id, string_agg(a.owner_type || '/' || a.purpose || '=' || p.amount_minor::text, ' ' ORDER BY a.owner_type, a.purpose) AS amounts
          FROM ledger_transactions t JOIN ledger_postings p ON p.tx_id = t.id JOIN ledger_accounts a ON a.id = p.account_id
          WHERE t.kind = 'subscription_upgrade' GROUP BY t.id, t.reference_id ORDER BY t.id`,
    );
    expect(legs).to.deep.equal([
      { reference_id: `${subscription.id}:0:upgrade:${products.plus}`, amounts: "buyer/refunds=-1296 platform/fees=64 shop/payable=1232" },
      { reference_id: `${subscription.id}:0:upgrade:${products.max}`, amounts: "buyer/refunds=-204 platform/fees=10 shop/payable=194" },
    ]);

    // The next period costs the new price: 6000 of the 8500 left.
    const renewed = await buyer.client.post(`/api/subscriptions/${subscription.id}/renew`, { periodIndex: 1 });
    expect(renewed.status, renewed.text).to.equal(200);
    expect(await balance(platform, "buyer", buyer.accountId, "refunds")).to.equal(10_000n - 1500n - 6000n);
    expect(await ledgerImbalance(platform)).to.deep.equal([]);
  });

  it("refuses what is not an upgrade, a short balance, a cancelled or foreign subscription, and a double click: 4xx, nothing written", async () => {
    const subscription = await subscribe();
    const other = await signUp(platform, "not-the-subscriber");
    const upgrade = (productId: unknown, who: Person = buyer, id: string = subscription.id) =>
      who.client.post(`/api/subscriptions/${id}/upgrade`, { productId });
    const before = await written();
    const refusals: [string, Awaited<ReturnType<typeof upgrade>>, number, string][] = [
      ["cheaper plan", await upgrade(products.cheap), 400, "validation_failed"],
      ["same plan", await upgrade(products.basic), 409, "invalid_state"],
      ["other period", await upgrade(products.weekly), 400, "validation_failed"],
      ["no plan", await upgrade(products.unplanned), 404, "not_found"],
      ["unknown product", await upgrade("999999999"), 404, "not_found"],
      ["not an id", await upgrade("plus"), 400, "validation_failed"],
      ["no product", await buyer.client.post(`/api/subscriptions/${subscription.id}/upgrade`, {}), 400, "validation_failed"],
      [
        "extra field",
        await buyer.client.post(`/api/subscriptions/${subscription.id}/upgrade`, { productId: products.plus, amountMinor: "1" }),
        400,
        "validation_failed",
      ],
      ["someone else's", await upgrade(products.plus, other), 404, "not_found"],
    ];
    for (const [name, answer, status, code] of refusals) expect([name, answer.status, answer.body.code]).to.deep.equal([name, status, code]);
    expect((await platform.http.post(`/api/subscriptions/${subscription.id}/upgrade`, { productId: products.plus })).status).to.equal(401);

    // The balance left (2500) is short of the whole-month difference (~2592 × nearly a month).
    const short = await upgrade(products.plus);
    expect([short.status, short.body.code]).to.deep.equal([409, "insufficient_funds"]);
    expect(await written()).to.deep.equal(before);

    // Two upgrades at once: one is charged, the other sees the new plan (409).
    await topUp(10_000n, "upgrade-2");
    const racing = await Promise.all([upgrade(products.plus), upgrade(products.plus), upgrade(products.plus)]);
    expect(racing.map((answer) => answer.status).sort()).to.deep.equal([200, 409, 409]);
    const after = await written();
    expect(Number(after!.upgrades) - Number(before!.upgrades)).to.equal(1);
    expect(Number(after!.entries) - Number(before!.entries)).to.equal(1);

    const cancelled = await buyer.client.post(`/api/subscriptions/${subscription.id}/cancel`);
    expect(cancelled.status).to.equal(200);
    const late = await upgrade(products.max);
    expect([late.status, late.body.code]).to.deep.equal([409, "invalid_state"]);
    expect(await written()).to.deep.equal(after);
    expect(await ledgerImbalance(platform)).to.deep.equal([]);
  });
});
