// Renewals by wallet pull against the whole platform (HTTP, PostgreSQL, Redis, BullMQ workers, a
// local Hardhat chain, the indexer with finality 0): a wallet buyer's mandate on PaymentRouter,
// three automatic pulls over three periods on a controlled chain clock, replays of the sweep, of
// the chain writer and of the indexer's event, a pull refused by the token (allowance used up),
// the mandate cancelled on-chain, grace, expiry. At every step the token balances and the
// entitlement's expiry (read with viem) and the ledger's legs (SQL) are compared with figures
// computed here by hand.
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import { createWalletClient, http, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { createSiweMessage } from "viem/siwe";
import { entitlementTokenAbi, keyRegistryAbi, paymentRouterAbi, testStablecoinAbi } from "../../core/chain/abis.ts";
import { chainClock, waitSubscriptionStarted } from "./chainClock.ts";
import { loadConfig } from "../../core/config.ts";
import { createLogger } from "../../core/logger.ts";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { startIndexer } from "../../indexer/startIndexer.ts";
import { localChainAccounts } from "../../scripts/lib/localChain.ts";
import { sendPendingSubscriptionPulls } from "../../api/chain/subscriptionPulls.ts";
import { sweepSubscriptions } from "../../api/services/subscriptions/sweepSubscriptions.ts";
import { processMandateEvents } from "../../api/services/subscriptions/walletPulls.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { waitFor, type TestPlatform } from "../support/platform.ts";
import { balance, buyFromShop, ledgerImbalance, signUp, startResalePlatform, waitIssued, type Person } from "../resale/support.ts";

const day = 86_400;
const month = 30 * day;
// 3 kUSD a month: the stablecoin's base units (6 decimals) are the currency's minor units.
const priceMinor = 3_000_000n;
const minted = 20_000_000n;

describe("subscriptions renewed by wallet pull (PaymentRouter mandate, indexer, ledger)", function () {
  this.timeout(400_000);
  let platform: TestPlatform;
  let setup: MerchantSetup;
  let productId: string;
  let buyer: Person;
  const indexer = new AbortController();
  let indexerRun: Promise<unknown> | undefined;
  const wallet = privateKeyToAccount(localChainAccounts.buyer as Hex);
  const deployer = privateKeyToAccount(localChainAccounts.deployer as Hex);

  before(async () => {
    platform = await startResalePlatform();
    const config = loadConfig({ ...platform.env, INDEXER_FINALITY_DEPTH: "0", LOG_LEVEL: "silent" });
    const addresses = platform.ctx.chain!.addresses;
    indexerRun = startIndexer({
      config,
      logger: createLogger({ level: "silent", name: "indexer-test" }),
      signal: indexer.signal,
      sources: [
        { role: "registry", address: addresses.registry, abi: keyRegistryAbi },
        { role: "entitlement", address: addresses.entitlement, abi: entitlementTokenAbi },
        { role: "payment", address: addresses.payment!, abi: paymentRouterAbi },
      ],
    });
    setup = await setupMerchant(platform);
    productId = await createProduct(setup, {
      name: "Cloud storage (monthly)",
      currency: platform.ctx.config.chain.stablecoinCurrency,
      priceMinor: String(priceMinor),
      resaleAllowed: true,
    });
    await importKeys(setup, productId, randomKeys(2, "PULL"));
    buyer = await signUp(platform, "wallet-subscriber");
  });
  after(async () => {
    indexer.abort();
    await indexerRun?.catch(() => undefined);
    await platform?.stopAll();
  });

  const db = () => platform.ctx.database.db;
  const chain = () => platform.ctx.chain!;
  const viemChain = () => chain().publicClient.chain!;
  const walletOf = (account: typeof wallet) => createWalletClient({ account, chain: viemChain(), transport: http(platform.rpcUrl) });
  const coin = () => ({ address: chain().addresses.stablecoin!, abi: testStablecoinAbi });
  const router = () => ({ address: chain().addresses.payment!, abi: paymentRouterAbi });
  const tokenBalance = (owner: Hex) => chain().publicClient.readContract({ ...coin(), functionName: "balanceOf", args: [owner] }) as Promise<bigint>;
  const expiryOf = (tokenId: bigint) => chainClock(platform).expiryOf(tokenId);
  const send = async (account: typeof wallet, call: { address: Hex; abi: readonly unknown[]; functionName: string; args: readonly unknown[] }) => {
    const hash = await walletOf(account).writeContract(call as never);
    const receipt = await chain().publicClient.waitForTransactionReceipt({ hash });
    expect(receipt.status).to.equal("success");
    return receipt;
  };
  const moveChainTo = (timestamp: bigint) => chainClock(platform).moveTo(timestamp);
  const subscriptionRow = (id: string) =>
    queryOne<{ state: string; periods_paid: number; last_failure: string | null }>(
      db(),
      sql`SELECT state, periods_paid, last_failure FROM subscriptions WHERE id = ${id}`,
    );
  const pullCounts = (id: string) =>
    queryRows<{ period_index: number; state: string }>(
      db(),
      sql`SELECT period_index, state FROM subscription_pulls WHERE subscription_id = ${id} ORDER BY period_index`,
    );
  const legsOf = (id: string, period: number) =>
    queryRows<{ owner_type: string; purpose: string; amount: string }>(
      db(),
      sql`SELECT a.owner_type, a.purpose, p.amount_minor::text AS amount FROM ledger_transactions t
          JOIN ledger_postings p ON p.tx_id = t.id JOIN ledger_accounts a ON a.id = p.account_id
          WHERE t.reference_type = 'subscription' AND t.reference_id = ${`${id}:${period}`} ORDER BY a.owner_type, a.purpose`,
    );
  const entries = async (id: string) =>
    (await queryOne<{ n: string }>(
      db(),
      sql`SELECT count(*)::text AS n FROM ledger_transactions WHERE reference_type = 'subscription' AND reference_id LIKE ${`${id}:%`}`,
    ))!.n;
  const mandateSettings = () => ({
    chainId: Number(chain().chainId),
    stablecoinAddress: chain().addresses.stablecoin,
    platformFeeBps: platform.ctx.config.orders.platformFeeBps,
    batchSizeMax: 50,
  });

  async function linkWallet(person: Person, account: typeof wallet) {
    const nonce = await person.client.post("/api/wallets/siwe/nonce");
    const message = createSiweMessage({
      address: account.address,
      domain: nonce.body.domain,
      uri: platform.url,
      version: "1",
      chainId: nonce.body.chainId,
      nonce: nonce.body.nonce,
      issuedAt: new Date(),
      expirationTime: new Date(Date.now() + 60_000),
    });
    const linked = await person.client.post("/api/wallets/link", { message, signature: await account.signMessage({ message }) });
    expect(linked.status, linked.text).to.equal(201);
  }

  it("pulls three periods from the allowance, once each whatever is replayed; a refused pull and a cancelled mandate lead to grace, then expiry", async () => {
    const plan = await setup.merchant.put(`/api/products/${productId}/subscription-plan`, { period: "month", delivery: "credential", graceDays: 3 });
    expect(plan.status, plan.text).to.equal(200);
    const { entitlementId } = await buyFromShop(platform, setup, buyer, productId);
    const tokenId = await waitIssued(platform, entitlementId);
    const { id, startsAt } = await waitSubscriptionStarted(buyer, entitlementId);
    const endOf = (periods: number) => startsAt + BigInt(periods * month);
    expect(await expiryOf(tokenId)).to.equal(endOf(1));

    // The terms the wallet must create: the router, the stablecoin, cap = the price, the schedule, the next period.
    const terms = (await buyer.client.get(`/api/subscriptions/${id}/wallet-mandate`)).body;
    expect(terms.mandate).to.equal(null);
    expect(terms.terms).to.deep.equal({
      paymentRouter: chain().addresses.payment,
      token: chain().addresses.stablecoin,
      capPerPeriod: String(priceMinor),
      startsAt: Number(startsAt),
      periodSeconds: month,
      firstPeriod: 1,
    });

    await send(deployer, { ...coin(), functionName: "mint", args: [wallet.address, minted] });
    // Exactly three periods' allowance: the fourth pull is refused by the token.
    await send(wallet, { ...coin(), functionName: "approve", args: [chain().addresses.payment!, 3n * priceMinor] });
    const ref = `0x${randomBytes(32).toString("hex")}` as Hex;
    const record = (payer: Hex, subscriptionRef: Hex) => buyer.client.post(`/api/subscriptions/${id}/wallet-mandate`, { payer, subscriptionRef });
    const recorded = async () => (await queryOne<{ n: string }>(db(), sql`SELECT count(*)::text AS n FROM subscription_mandates`))!.n;

    // Bad input, nothing written: not linked yet (403); no mandate on-chain (409); a mandate whose cap is not the price (409).
    expect((await record(wallet.address, ref)).status).to.equal(403);
    await linkWallet(buyer, wallet);
    const missing = await record(wallet.address, ref);
    expect([missing.status, missing.body.code]).to.deep.equal([409, "conflict"]);
    const wrongRef = `0x${randomBytes(32).toString("hex")}` as Hex;
    await send(wallet, { ...router(), functionName: "createMandate", args: [wrongRef, chain().addresses.stablecoin!, priceMinor + 1n, startsAt, month, 1] });
    const wrongCap = await record(wallet.address, wrongRef);
    expect([wrongCap.status, wrongCap.body.code]).to.deep.equal([409, "conflict"]);
    expect(wrongCap.body.message).to.contain("capPerPeriod");
    expect((await buyer.client.post(`/api/subscriptions/${id}/wallet-mandate`, { payer: "0x12", subscriptionRef: ref })).status).to.equal(400);
    expect(await recorded()).to.equal("0");

    await send(wallet, { ...router(), functionName: "createMandate", args: [ref, chain().addresses.stablecoin!, priceMinor, startsAt, month, 1] });
    const created = await record(wallet.address, ref);
    expect(created.status, created.text).to.equal(201);
    expect(created.body.mandate).to.include({ payer: wallet.address.toLowerCase(), subscriptionRef: ref, state: "active" });
    // Recording it again answers the same mandate; a stranger cannot see it.
    expect((await record(wallet.address, ref)).status).to.equal(201);
    expect(await recorded()).to.equal("1");
    const stranger = await signUp(platform, "stranger");
    expect((await stranger.client.get(`/api/subscriptions/${id}/wallet-mandate`)).status).to.equal(404);

    const treasury = deployer.address;
    const treasuryBefore = await tokenBalance(treasury);
    const shopPayableBefore = await balance(platform, "shop", BigInt(setup.shopId), "payable");
    const feeBps = BigInt(platform.ctx.config.orders.platformFeeBps);
    const fee = (priceMinor * feeBps) / 10_000n;
    const expectedLegs = [
      ...(fee > 0n ? [{ owner_type: "platform", purpose: "fees", amount: String(fee) }] : []),
      { owner_type: "platform", purpose: "clearing_chain", amount: String(-priceMinor) },
      { owner_type: "shop", purpose: "payable", amount: String(priceMinor - fee) },
    ].sort((a, b) => `${a.owner_type}${a.purpose}`.localeCompare(`${b.owner_type}${b.purpose}`));

    for (let period = 1; period <= 3; period++) {
      // One second into the renewal window (a day before the paid period ends).
      const now = endOf(period) - BigInt(day) + 1n;
      await moveChainTo(now);
      // Replayed sweeps, four at once beside the worker's own: one pull row for the period.
      await Promise.all(
        Array.from({ length: 4 }, () => sweepSubscriptions(db(), new Date(Number(now) * 1000), { platformFeeBps: Number(feeBps), publicUrl: platform.url })),
      );
      await waitFor(
        `period ${period} pulled, charged and on-chain`,
        async () => {
          const row = await queryOne<{ chain_state: string; source: string }>(
            db(),
            sql`SELECT chain_state, source FROM subscription_periods WHERE subscription_id = ${id} AND period_index = ${period}`,
          );
          return row?.chain_state === "included" ? row : undefined;
        },
        120_000,
        200,
      );
      const row = (await subscriptionRow(id))!;
      expect(row).to.include({ state: "active", periods_paid: period + 1 });
      expect(await expiryOf(tokenId)).to.equal(endOf(period + 1));
      expect(await tokenBalance(wallet.address)).to.equal(minted - BigInt(period) * priceMinor);
      expect(await tokenBalance(treasury)).to.equal(treasuryBefore + BigInt(period) * priceMinor);
      expect(await legsOf(id, period)).to.deep.equal(expectedLegs);
      expect(await balance(platform, "shop", BigInt(setup.shopId), "payable")).to.equal(shopPayableBefore + BigInt(period) * (priceMinor - fee));
      expect(await pullCounts(id)).to.deep.equal(Array.from({ length: period }, (_, index) => ({ period_index: index + 1, state: "included" })));

      if (period === 1) {
        // A worker crash that lost the pull's state: the row is pending again and the writer runs.
        // It reads the mandate on-chain (period 1 already pulled) and sends nothing.
        await db().execute(sql`UPDATE subscription_pulls SET state = 'pending' WHERE subscription_id = ${id} AND period_index = 1`);
        await sendPendingSubscriptionPulls(db(), chain(), { transactionsMax: 5 });
        expect(await pullCounts(id)).to.deep.equal([{ period_index: 1, state: "included" }]);
        expect(await tokenBalance(wallet.address)).to.equal(minted - priceMinor);
        // The indexer delivers the event again (a rollback re-inserted it): its outcome mark stops it.
        const event = (await queryRows<Record<string, unknown>>(db(), sql`SELECT * FROM chain_mandate_events WHERE kind = 'pulled'`))[0]!;
        expect(String(event.period_index)).to.equal("1");
        expect((await processMandateEvents(db(), mandateSettings())).pulls).to.deep.equal({});
        // And with the mark lost too, two deliveries at once: the period is paid, nothing posts again.
        await db().execute(sql`DELETE FROM chain_mandate_outcomes WHERE block_number = ${event.block_number} AND log_index = ${event.log_index}`);
        const again = await Promise.all([processMandateEvents(db(), mandateSettings()), processMandateEvents(db(), mandateSettings())]);
        expect(again.map((result) => result.pulls.charged ?? 0)).to.deep.equal([0, 0]);
        expect(await entries(id)).to.equal("1");
        expect(await legsOf(id, 1)).to.deep.equal(expectedLegs);
        expect((await subscriptionRow(id))!.periods_paid).to.equal(2);
      }
    }
    expect(await entries(id)).to.equal("3");

    // Period 4: the allowance is used up. The token refuses the pull; the subscription is past due.
    await moveChainTo(endOf(4) - BigInt(day) + 1n);
    const pastDue = await waitFor("the refused pull", async () => {
      const row = await subscriptionRow(id);
      return row?.state === "past_due" ? row : undefined;
    });
    expect(pastDue.last_failure).to.equal("wallet_erc20_insufficient_allowance");
    expect(await pullCounts(id)).to.deep.include({ period_index: 4, state: "failed" });
    expect(await tokenBalance(wallet.address)).to.equal(minted - 3n * priceMinor);
    expect(await expiryOf(tokenId)).to.equal(endOf(4));
    // A manual renewal from the (empty) balance is refused; nothing posts.
    expect((await buyer.client.post(`/api/subscriptions/${id}/renew`, {})).body.code).to.equal("insufficient_funds");

    // The buyer cancels the mandate on-chain and allows more again: the indexer tells the platform,
    // and no pull is tried any more (not even after the retry delay).
    await send(wallet, { ...router(), functionName: "cancelMandate", args: [ref] });
    await send(wallet, { ...coin(), functionName: "approve", args: [chain().addresses.payment!, 10n * priceMinor] });
    await waitFor("the cancellation seen", async () => {
      const view = (await buyer.client.get(`/api/subscriptions/${id}/wallet-mandate`)).body;
      return view.mandate?.state === "cancelled" ? view : undefined;
    });
    await moveChainTo(endOf(4) + 2n * 3600n);
    await waitFor("past due for the cancelled mandate", async () => ((await subscriptionRow(id))?.last_failure === "mandate_cancelled" ? true : undefined));
    expect(await pullCounts(id)).to.deep.include({ period_index: 4, state: "failed" });
    expect(await tokenBalance(wallet.address)).to.equal(minted - 3n * priceMinor);

    // Past the grace: expired; three pulls, three postings, the books balance.
    await moveChainTo(endOf(4) + 3n * BigInt(day));
    await waitFor("expired after grace", async () => ((await subscriptionRow(id))?.state === "expired" ? true : undefined));
    expect(await expiryOf(tokenId)).to.equal(endOf(4));
    expect(await entries(id)).to.equal("3");
    expect(await tokenBalance(treasury)).to.equal(treasuryBefore + 3n * priceMinor);
    expect(
      (await queryRows<{ outcome: string }>(db(), sql`SELECT outcome FROM chain_mandate_outcomes WHERE subscription_id = ${id} ORDER BY block_number`)).map(
        (row) => row.outcome,
      ),
    ).to.deep.equal(["period_already_paid", "charged", "charged", "cancelled"]);
    expect(await ledgerImbalance(platform)).to.deep.equal([]);
  });
});
