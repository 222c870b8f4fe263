// Group buying (拼团, docs/groupbuy.md) over the real HTTP API, PostgreSQL, Redis (the maintenance
// queue) and the local chain: the race for the last seat, a group filled on-chain and delivered
// at once, a group expiring with its held payments refunded exactly once per member, and the
// bad inputs, each refused with nothing written. Every amount is worked out by hand in the
// comments (fee 500 bps), never with the code under test.
import { expect } from "chai";
import { createPublicClient, createWalletClient, http, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { paymentRouterAbi } from "../../core/chain/abis.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../core/store/database.ts";
import { acceptCarefully } from "../../api/services/orders/acceptPayment.ts";
import { expireGroup } from "../../api/services/groupbuy/expireGroups.ts";
import { seatPaidMember } from "../../api/services/groupbuy/heldPayments.ts";
import { postOrderPayment } from "../../api/ledger/flows.ts";
import { checkLedgerInvariants } from "../../api/ledger/invariants.ts";
import { localChainAccounts } from "../../scripts/lib/localChain.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { usePlatform, waitFor, type HttpClient } from "../support/platform.ts";

type Buyer = { http: HttpClient; id: string };

describe("group buying: seats taken at payment, filled at once, expired and refunded once", function () {
  this.timeout(600_000);
  const suite = usePlatform({ env: { PLATFORM_FEE_BPS: "500" } });
  const db = () => suite.platform.database.db as Drizzle;
  let shop: MerchantSetup;
  let productId: string;
  let buyers = 0;
  let payments = 0;

  async function buyer(): Promise<Buyer> {
    buyers++;
    const signup = await suite.platform.http.post("/api/auth/signup", {
      email: `group-buyer-${buyers}-${Date.now()}@example.com`,
      password: "group-buyer-pass-1",
    });
    expect(signup.status, signup.text).to.equal(201);
    return { http: suite.platform.http.as(signup.body.token), id: signup.body.account.id };
  }

  /** The payment recording service the chain-payments job calls for each final OrderPaid (provider chain: platform-collected). */
  async function pay(order: { id: string; amountMinor: string; currency: string }) {
    payments++;
    return acceptCarefully(
      db(),
      { platformFeeBps: 500 },
      { orderId: order.id, provider: "chain", providerRef: `test:0xgroup${payments}:0`, amountMinor: BigInt(order.amountMinor), currency: order.currency },
    );
  }

  const balance = async (ownerType: string, ownerId: string | number, purpose: string) =>
    (
      await queryOne<{ balance: string | null }>(
        db(),
        sql`SELECT sum(balance_minor)::text AS balance FROM ledger_accounts WHERE owner_type = ${ownerType} AND owner_id = ${ownerId} AND purpose = ${purpose}`,
      )
    )?.balance ?? "0";
  const shopTotal = async () =>
    (
      await queryOne<{ total: string | null }>(
        db(),
        sql`SELECT sum(balance_minor)::text AS total FROM ledger_accounts WHERE owner_type = 'shop' AND owner_id = ${shop.shopId}`,
      )
    )?.total ?? "0";
  const countOf = async (statement: ReturnType<typeof sql>) => Number((await queryOne<{ n: string }>(db(), statement))!.n);

  async function expectBooksBalance(): Promise<void> {
    const findings = await checkLedgerInvariants(db());
    expect(
      Object.values(findings).every((list) => Array.isArray(list) && list.length === 0),
      JSON.stringify(findings, (_k, v) => (typeof v === "bigint" ? String(v) : v)),
    ).to.equal(true);
    const sums = await queryRows<{ currency: string; total: string }>(
      db(),
      sql`SELECT currency, sum(balance_minor)::text AS total FROM ledger_accounts GROUP BY currency`,
    );
    for (const row of sums) expect(row.total, `accounts in ${row.currency} sum to zero`).to.equal("0");
  }

  before(async () => {
    shop = await setupMerchant(suite.platform);
    productId = await createProduct(shop, { name: "Group card", priceMinor: "1000", currency: "CNY", quantityMax: 5 });
    await importKeys(shop, productId, randomKeys(150, "GROUP"));
  });

  describe("the merchant's offer", () => {
    it("refuses a group price at or above the product's price, and a size or window out of range, writing nothing", async () => {
      const above = await shop.merchant.put(`/api/products/${productId}/group-offer`, { priceMinor: "1001", size: 3, windowHours: 24, active: true });
      expect([above.status, above.body.code], above.text).to.deep.equal([422, "group_price_too_high"]);
      const equal = await shop.merchant.put(`/api/products/${productId}/group-offer`, { priceMinor: "1000", size: 3, windowHours: 24, active: true });
      expect([equal.status, equal.body.code], equal.text).to.deep.equal([422, "group_price_too_high"]);
      const big = await shop.merchant.put(`/api/products/${productId}/group-offer`, { priceMinor: "800", size: 51, windowHours: 24, active: true });
      expect([big.status, big.body.code], big.text).to.deep.equal([400, "validation_failed"]);
      const long = await shop.merchant.put(`/api/products/${productId}/group-offer`, { priceMinor: "800", size: 3, windowHours: 49, active: true });
      expect([long.status, long.body.code], long.text).to.deep.equal([400, "validation_failed"]);
      const stranger = await buyer();
      const notTheirs = await stranger.http.put(`/api/products/${productId}/group-offer`, { priceMinor: "800", size: 3, windowHours: 24, active: true });
      expect(notTheirs.status, notTheirs.text).to.equal(403);
      expect(await countOf(sql`SELECT count(*) AS n FROM group_offers`)).to.equal(0);
      const none = await suite.platform.http.get(`/api/products/${productId}/group-offer`);
      expect([none.status, none.body.offer], none.text).to.deep.equal([200, null]);
      const opened = await stranger.http.post(`/api/products/${productId}/groups`, {});
      expect([opened.status, opened.body.code], opened.text).to.deep.equal([409, "group_offer_unavailable"]);
      expect(await countOf(sql`SELECT count(*) AS n FROM buying_groups`)).to.equal(0);
    });

    it("sets a group price of 800 for 3 buyers within 24 hours, shown on the product", async () => {
      const set = await shop.merchant.put(`/api/products/${productId}/group-offer`, { priceMinor: "800", size: 3, windowHours: 24, active: true });
      expect(set.status, set.text).to.equal(200);
      const shown = await suite.platform.http.get(`/api/products/${productId}/group-offer`);
      expect(shown.body.offer).to.deep.equal({ productId, priceMinor: "800", listPriceMinor: "1000", currency: "CNY", size: 3, windowHours: 24, active: true });
    });
  });

  describe("opening and joining", () => {
    it("opens a group: the leader's order is priced by the pricing function at the group price, stored with its breakdown, and a delayed expiry job waits", async () => {
      const leader = await buyer();
      const anonymous = await suite.platform.http.post(`/api/products/${productId}/groups`, {});
      expect(anonymous.status).to.equal(401);
      const opened = await leader.http.post(`/api/products/${productId}/groups`, {});
      expect(opened.status, opened.text).to.equal(201);
      const { group, order, payment } = opened.body;
      expect(group).to.include({ size: 3, membersCount: 0, state: "open", priceMinor: "800", listPriceMinor: "1000", sharePath: `/g/${group.id}` });
      expect(group.viewer).to.deep.equal({ leader: true, member: false });
      expect([order.amountMinor, payment.method]).to.deep.equal(["800", "chain"]);
      const stored = await queryOne<{ group_id: string; unit_price_minor: string; amount_minor: string; pricing: Record<string, unknown> }>(
        db(),
        sql`SELECT group_id, unit_price_minor::text, amount_minor::text, pricing FROM orders WHERE id = ${order.id}`,
      );
      expect(stored).to.deep.include({ group_id: group.id, unit_price_minor: "800", amount_minor: "800" });
      expect(stored!.pricing).to.deep.include({
        listUnitPriceMinor: "1000",
        unitPriceMinor: "800",
        totalMinor: "800",
        level: null,
        tier: null,
        coupon: null,
        group: { unitPriceMinor: "800", groupId: group.id },
      });
      // One key is reserved for the order at checkout (and kept while the payment is held).
      expect(await countOf(sql`SELECT count(*) AS n FROM keys WHERE order_id = ${order.id} AND status = 'reserved'`)).to.equal(1);
      const job = await suite.platform.ctx.queues.maintenance.getJob(`group-expiry-${group.id}`);
      expect(job?.name).to.equal("group-expiry");
      const due = job!.timestamp + (job!.opts.delay ?? 0);
      expect(Math.abs(due - new Date(group.expiresAt).getTime())).to.be.below(5_000);
      expect(new Date(group.expiresAt).getTime() - new Date(group.createdAt).getTime()).to.equal(24 * 3600 * 1000);
    });

    it("refuses joining one's own group, joining twice, and an unknown group, writing nothing", async () => {
      const leader = await buyer();
      const opened = await leader.http.post(`/api/products/${productId}/groups`, {});
      const groupId = opened.body.group.id;
      const ordersBefore = await countOf(sql`SELECT count(*) AS n FROM orders`);
      const own = await leader.http.post(`/api/groups/${groupId}/join`, {});
      expect([own.status, own.body.code], own.text).to.deep.equal([422, "group_own"]);
      const joiner = await buyer();
      const first = await joiner.http.post(`/api/groups/${groupId}/join`, {});
      expect(first.status, first.text).to.equal(201);
      const again = await joiner.http.post(`/api/groups/${groupId}/join`, {});
      expect([again.status, again.body.code, again.body.details?.orderId], again.text).to.deep.equal([409, "group_already_joined", first.body.order.id]);
      const unknown = await joiner.http.post("/api/groups/G0000000000000000000Z/join", {});
      expect([unknown.status, unknown.body.code]).to.deep.equal([404, "not_found"]);
      const malformed = await joiner.http.post("/api/groups/nope/join", {});
      expect([malformed.status, malformed.body.code]).to.deep.equal([400, "validation_failed"]);
      expect(await countOf(sql`SELECT count(*) AS n FROM orders`)).to.equal(ordersBefore + 1);
    });
  });

  describe("the race for the last seat", () => {
    it("the N-th and (N+1)-th payers racing, 10 times: exactly N members each time, the loser refunded at once to its balance, books exact", async () => {
      const rounds = 10;
      const losers: Buyer[] = [];
      const seatedOrders: string[] = [];
      const clearingBefore = BigInt(await balance("platform", 0, "clearing_chain"));
      const feesBefore = BigInt(await balance("platform", 0, "fees"));
      const shopBefore = BigInt(await shopTotal());
      for (let round = 0; round < rounds; round++) {
        const [leader, second, third, fourth, late] = await Promise.all([buyer(), buyer(), buyer(), buyer(), buyer()]);
        const opened = await leader.http.post(`/api/products/${productId}/groups`, {});
        expect(opened.status, opened.text).to.equal(201);
        const groupId = opened.body.group.id as string;
        expect((await pay(opened.body.order)).outcome).to.equal("accepted");
        const joined = await second.http.post(`/api/groups/${groupId}/join`, {});
        expect((await pay(joined.body.order)).outcome).to.equal("accepted");
        // One seat left: both may join (a join takes no seat), then both pay at once.
        const [a, b] = await Promise.all([third.http.post(`/api/groups/${groupId}/join`, {}), fourth.http.post(`/api/groups/${groupId}/join`, {})]);
        expect([a.status, b.status], `${a.text} ${b.text}`).to.deep.equal([201, 201]);
        const paid = await Promise.all([pay(a.body.order), pay(b.body.order)]);
        expect(paid.map((p) => p.outcome)).to.deep.equal(["accepted", "accepted"]);
        const states = paid.map((p) => p.order.state).sort();
        expect(states, `round ${round}`).to.deep.equal(["paid", "refunded"]);
        const group = await queryOne<{ state: string; members_count: number; members: string }>(
          db(),
          sql`SELECT state, members_count, (SELECT count(*) FROM group_members m WHERE m.group_id = g.id)::text AS members FROM buying_groups g WHERE id = ${groupId}`,
        );
        expect(group, `round ${round}`).to.deep.equal({ state: "filled", members_count: 3, members: "3" });
        const loserIndex = paid[0]!.order.state === "refunded" ? 0 : 1;
        losers.push(loserIndex === 0 ? third : fourth);
        seatedOrders.push(opened.body.order.id, joined.body.order.id, paid[1 - loserIndex]!.order.id);
        // The loser's key is back in stock.
        expect(await countOf(sql`SELECT count(*) AS n FROM keys WHERE order_id = ${paid[loserIndex]!.order.id}`)).to.equal(0);
        // A fifth buyer finds the group full: refused before any order, never charged.
        const full = await late.http.post(`/api/groups/${groupId}/join`, {});
        expect([full.status, full.body.code], full.text).to.deep.equal([409, "group_full"]);
        expect(await countOf(sql`SELECT count(*) AS n FROM orders WHERE buyer_account_id = ${late.id}`)).to.equal(0);
      }
      // By hand, per round: 4 payments of 800 through the chain clearing; 3 seated, each fee
      // floor(800 x 5%) = 40 and shop 760; the loser's 800 refunded whole (fee 40 and shop 760
      // given back) to its balance. 10 rounds: clearing -32,000, fees +1,200, shop +22,800,
      // each loser's balance +800.
      for (const loser of losers) expect(await balance("buyer", loser.id, "refunds")).to.equal("800");
      expect(BigInt(await balance("platform", 0, "clearing_chain")) - clearingBefore).to.equal(-32_000n);
      expect(BigInt(await balance("platform", 0, "fees")) - feesBefore).to.equal(1_200n);
      expect(BigInt(await shopTotal()) - shopBefore).to.equal(22_800n);
      expect(await countOf(sql`SELECT count(*) AS n FROM orders WHERE id = ANY(${`{${seatedOrders.join(",")}}`}::text[]) AND state = 'paid'`)).to.equal(30);
      await expectBooksBalance();
    });

    // The payments above also queue on the ledger's platform accounts (each payment's entry locks
    // them inside its transaction), which serialises them before the seat is decided. The group's
    // row lock must hold on its own (an entry posted outside the payment's transaction would not
    // queue): here the two last seats are decided at once, each payment already recorded.
    it("the seat decisions themselves racing, 10 times: exactly N members, the other refunded", async () => {
      for (let round = 0; round < 10; round++) {
        const [leader, second, third, fourth] = await Promise.all([buyer(), buyer(), buyer(), buyer()]);
        const opened = await leader.http.post(`/api/products/${productId}/groups`, {});
        const groupId = opened.body.group.id as string;
        await pay(opened.body.order);
        await pay((await second.http.post(`/api/groups/${groupId}/join`, {})).body.order);
        const joins = await Promise.all([third.http.post(`/api/groups/${groupId}/join`, {}), fourth.http.post(`/api/groups/${groupId}/join`, {})]);
        // Both payments recorded (the order paid and its entry posted), as acceptCarefully does before the seat.
        const held = [];
        for (const join of joins) {
          const order = join.body.order as { id: string; amountMinor: string };
          await db().execute(sql`UPDATE orders SET state = 'paid', paid_at = now() WHERE id = ${order.id}`);
          await postOrderPayment(db(), {
            orderId: order.id,
            shopId: BigInt(shop.shopId),
            amountMinor: BigInt(order.amountMinor),
            currency: "CNY",
            provider: "chain",
            platformFeeBps: 500,
          });
          const record = await queryOne<{ buyer_account_id: string }>(db(), sql`SELECT buyer_account_id FROM orders WHERE id = ${order.id}`);
          held.push({ id: order.id, shopId: BigInt(shop.shopId), buyerAccountId: BigInt(record!.buyer_account_id), amountMinor: 800n, currency: "CNY" });
        }
        const seats = await Promise.all(held.map((order) => db().transaction((tx) => seatPaidMember(tx, { platformFeeBps: 500 }, groupId, order))));
        expect(seats.sort(), `round ${round}`).to.deep.equal(["filled", "refunded"]);
        const group = await queryOne<{ state: string; members: string }>(
          db(),
          sql`SELECT state, (SELECT count(*) FROM group_members m WHERE m.group_id = g.id)::text AS members FROM buying_groups g WHERE id = ${groupId}`,
        );
        expect(group).to.deep.equal({ state: "filled", members: "3" });
      }
      await expectBooksBalance();
    });

    it("a second payment for a seat already paid is recorded as a duplicate and takes no second seat", async () => {
      const leader = await buyer();
      const opened = await leader.http.post(`/api/products/${productId}/groups`, {});
      expect((await pay(opened.body.order)).outcome).to.equal("accepted");
      const twice = await pay(opened.body.order);
      expect(twice.outcome).to.equal("duplicate");
      const group = await queryOne<{ members_count: number }>(db(), sql`SELECT members_count FROM buying_groups WHERE id = ${opened.body.group.id}`);
      expect(group!.members_count).to.equal(1);
      await expectBooksBalance();
    });
  });

  describe("expiry", () => {
    it("refunds every held payment exactly once when the job, the sweep and direct calls race past the deadline, and a late payer at once", async () => {
      const [leader, second, unpaid] = await Promise.all([buyer(), buyer(), buyer()]);
      const opened = await leader.http.post(`/api/products/${productId}/groups`, {});
      const group = opened.body.group as { id: string; expiresAt: string };
      await pay(opened.body.order);
      const joined = await second.http.post(`/api/groups/${group.id}/join`, {});
      await pay(joined.body.order);
      const pending = await unpaid.http.post(`/api/groups/${group.id}/join`, {});
      expect(pending.status, pending.text).to.equal(201);
      const heldOrders = [opened.body.order.id as string, joined.body.order.id as string];
      const expiresAt = new Date(group.expiresAt).getTime();
      const { maintenance } = suite.platform.ctx.queues;
      const finished = (job: { getState(): Promise<string> }) => waitFor("the job", async () => ((await job.getState()) === "completed" ? true : undefined));

      // One second before the deadline nothing happens.
      await finished(await maintenance.add("expire-groups", { now: new Date(expiresAt - 1000).toISOString() }));
      expect((await suite.platform.http.get(`/api/groups/${group.id}`)).body.state).to.equal("open");

      // One second after it: the group's job, the sweep and two direct runs at once.
      const after = new Date(expiresAt + 1000);
      const jobs = await Promise.all([
        maintenance.add("group-expiry", { groupId: group.id, now: after.toISOString() }),
        maintenance.add("expire-groups", { now: after.toISOString() }),
      ]);
      const direct = await Promise.all([
        expireGroup(db(), { platformFeeBps: 500 }, group.id, after),
        expireGroup(db(), { platformFeeBps: 500 }, group.id, after),
      ]);
      await Promise.all(jobs.map(finished));
      const expiredByJobs = (await Promise.all(jobs.map((job) => job.getState().then(() => maintenance.getJob(job.id!))))).map((job) => job!.returnvalue);
      // At most one of the group's own runs expired it (the sweep also expires the suite's other
      // open groups, older than this one, so its count says nothing of this group); the refunds
      // below show it was expired exactly once.
      const ownRuns = [...direct.map((run) => run.expired), expiredByJobs[0].expired];
      expect(ownRuns.filter(Boolean).length, JSON.stringify(expiredByJobs)).to.be.at.most(1);

      expect((await suite.platform.http.get(`/api/groups/${group.id}`)).body.state).to.equal("expired");
      for (const orderId of heldOrders) {
        expect(await countOf(sql`SELECT count(*) AS n FROM ledger_transactions WHERE reference_id = ${orderId} AND kind = 'order_refund'`)).to.equal(1);
        expect(
          await countOf(sql`SELECT count(*) AS n FROM ledger_transactions WHERE metadata->>'orderId' = ${orderId} AND kind = 'refund_to_balance'`),
        ).to.equal(1);
        const order = await queryOne<{ state: string; refund_reason: string }>(db(), sql`SELECT state, refund_reason FROM orders WHERE id = ${orderId}`);
        expect(order).to.deep.equal({ state: "refunded", refund_reason: "group_expired" });
        expect(await countOf(sql`SELECT count(*) AS n FROM keys WHERE order_id = ${orderId}`)).to.equal(0);
      }
      // By hand: each 800 back to its buyer's balance; the shop gives back 2 x 760, the fees 2 x 40.
      expect(await balance("buyer", leader.id, "refunds")).to.equal("800");
      expect(await balance("buyer", second.id, "refunds")).to.equal("800");
      // (The sweep also expired the suite's older open groups, so the shop's totals moved by more:
      // the refunds of these two orders are read by their references.)
      const refunded = await queryRows<{ owner: string; amount: string }>(
        db(),
        sql`SELECT a.owner_type || ':' || a.purpose AS owner, sum(p.amount_minor)::text AS amount
            FROM ledger_transactions t JOIN ledger_postings p ON p.tx_id = t.id JOIN ledger_accounts a ON a.id = p.account_id
            WHERE t.kind = 'order_refund' AND t.reference_id = ANY(${`{${heldOrders.join(",")}}`}::text[]) GROUP BY 1 ORDER BY 1`,
      );
      expect(Object.fromEntries(refunded.map((row) => [row.owner, row.amount]))).to.deep.equal({
        "platform:fees": "-80",
        "platform:refunds": "1600",
        "shop:payable": "-1520",
      });

      // Joining now is refused; the unpaid joiner paying late is refunded at once.
      const tooLate = await (await buyer()).http.post(`/api/groups/${group.id}/join`, {});
      expect([tooLate.status, tooLate.body.code], tooLate.text).to.deep.equal([409, "group_expired"]);
      const late = await pay(pending.body.order);
      expect([late.outcome, late.order.state]).to.deep.equal(["accepted", "refunded"]);
      expect(await balance("buyer", unpaid.id, "refunds")).to.equal("800");
      // Nothing more on a later run.
      expect(await expireGroup(db(), { platformFeeBps: 500 }, group.id, new Date(expiresAt + 60_000))).to.deep.equal({ expired: false, refunded: 0 });
      await expectBooksBalance();
    });
  });

  describe("a group filled on-chain", () => {
    it("holds the first payment, then delivers every member at once when the last pays: keys distinct, entitlements issued, each once", async () => {
      const chainProduct = await createProduct(shop, { name: "Chain group card", currency: "ETH", priceMinor: "1000000000000000", quantityMax: 2 });
      const keys = randomKeys(4, "CHAINGROUP");
      await importKeys(shop, chainProduct, keys);
      const offer = await shop.merchant.put(`/api/products/${chainProduct}/group-offer`, {
        priceMinor: "800000000000000",
        size: 2,
        windowHours: 1,
        active: true,
      });
      expect(offer.status, offer.text).to.equal(200);
      const [leader, joiner] = await Promise.all([buyer(), buyer()]);
      const opened = await leader.http.post(`/api/products/${chainProduct}/groups`, {});
      expect(opened.status, opened.text).to.equal(201);
      const groupId = opened.body.group.id as string;

      const transport = http(suite.platform.rpcUrl);
      const publicClient = createPublicClient({ transport });
      const chain = {
        id: await publicClient.getChainId(),
        name: "local",
        nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
        rpcUrls: { default: { http: [suite.platform.rpcUrl] } },
      };
      async function payOnChain(walletKey: Hex, payment: { paymentAddress: string; orderRef: string; amountMinor: string }) {
        const wallet = createWalletClient({ account: privateKeyToAccount(walletKey), chain, transport });
        const hash = await wallet.writeContract({
          address: payment.paymentAddress as Hex,
          abi: paymentRouterAbi,
          functionName: "payNative",
          args: [payment.orderRef as Hex],
          value: BigInt(payment.amountMinor),
        });
        expect((await publicClient.waitForTransactionReceipt({ hash })).status).to.equal("success");
      }

      await payOnChain(localChainAccounts.wallet2 as Hex, opened.body.payment);
      await waitFor(
        "the leader's seat",
        async () => (await suite.platform.http.as(leader.http.token).get(`/api/groups/${groupId}`)).body.membersCount === 1 || undefined,
        90_000,
        250,
      );
      // Held: paid, one key reserved, nothing delivered, however often fulfilment runs.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const held = await queryOne<{ state: string; entitlements: string }>(
        db(),
        sql`SELECT state, (SELECT count(*) FROM entitlements e WHERE e.order_id = o.id)::text AS entitlements FROM orders o WHERE id = ${opened.body.order.id}`,
      );
      expect(held).to.deep.equal({ state: "paid", entitlements: "0" });

      const joined = await joiner.http.post(`/api/groups/${groupId}/join`, {});
      expect(joined.status, joined.text).to.equal(201);
      await payOnChain(localChainAccounts.wallet3 as Hex, joined.body.payment);
      const members = [
        { order: opened.body, http: leader.http },
        { order: joined.body, http: joiner.http },
      ];
      const delivered = await Promise.all(
        members.map(({ order, http: client }) =>
          waitFor(
            `order ${order.order.id} delivered and issued`,
            async () => {
              const view = await client.get(`/api/orders/${order.order.id}?token=${order.accessToken}`);
              return view.body.state === "fulfilled" && view.body.items.every((item: { issueTx: string | null }) => item.issueTx !== null)
                ? view.body
                : undefined;
            },
            120_000,
            250,
          ),
        ),
      );
      const codes = delivered.map((view) => {
        expect(view.items).to.have.length(1);
        return view.items[0].code as string;
      });
      expect(new Set(codes).size).to.equal(2);
      for (const code of codes) expect(keys).to.include(code);
      const group = await suite.platform.http.get(`/api/groups/${groupId}`);
      expect([group.body.state, group.body.membersCount]).to.deep.equal(["filled", 2]);
      // Exactly once: one entitlement per order, one payment each.
      for (const { order } of members) {
        expect(await countOf(sql`SELECT count(*) AS n FROM entitlements WHERE order_id = ${order.order.id}`)).to.equal(1);
        expect(await countOf(sql`SELECT count(*) AS n FROM payments WHERE order_id = ${order.order.id}`)).to.equal(1);
      }
      await expectBooksBalance();
    });
  });
});
