// A docked sale across two Keyledger instances end to end (docs/docking.md, "Across instances"):
// two platforms (two databases, two API processes with their workers, one local chain), real
// HTTP between them. The reseller (downstream) lists the supplier's (upstream) product; a guest
// buys it downstream and pays through the reseller's gateway; the purchase job buys the key
// upstream through the SDK, pays it from the reseller's balance there (topped up through the
// platform's gateway), verifies it against the chain and only then delivers it. Both ledgers are
// compared with legs computed here by hand. A tampering hop between the instances (a proxy that
// alters codes in the upstream's answers) makes the gate refuse keys: once, and the buyer gets the
// next key; always, and after three disputed upstream orders the buyer is refunded, once. Runs
// of the job doubled and in parallel with the worker make one upstream order, one delivery and
// one posting.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import { concat, createPublicClient, type Hex, http as viemHttp, keccak256, parseAbiItem, toBytes, toHex } from "viem";
import { resaleEpayMerchant } from "../../api/services/resale/resalePayments.ts";
import { runCrossdockPurchase, UpstreamNotReady, crossdockPurchaseDefaults } from "../../api/services/crossdock/purchase.ts";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { notifyPath, signedNotification } from "../support/epayNotify.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { waitFor, type TestPlatform } from "../support/platform.ts";
import { startTwoInstances, type TwoInstances } from "../support/twoInstances.ts";
import { axeViolations, launchBrowser, screenshot, watchPageErrors } from "../web/browser.ts";

type Posting = { owner: string; purpose: string; amount: string };

describe("docking across instances: a docked sale end to end (two platforms, one chain, HTTP)", function () {
  this.timeout(600_000);
  let instances: TwoInstances;
  let downstream: TestPlatform;
  let upstream: TestPlatform;
  let supplier: MerchantSetup;
  let reseller: MerchantSetup;
  let resellerUpstreamAccountId: string;
  let upstreamProductId: string;
  let keys: string[];
  let proxy: http.Server;
  // How many more reveal answers the proxy alters (Infinity: all).
  let tamperRemaining = 0;
  let directListing: string;
  let tamperedListing: string;

  before(async () => {
    // 250 bps on both instances, so the expected fees below are computed from one number.
    instances = await startTwoInstances({ env: { INDEXER_FINALITY_DEPTH: "1", PLATFORM_FEE_BPS: "250" } });
    ({ downstream, upstream } = instances);
    supplier = await setupMerchant(upstream);
    upstreamProductId = await createProduct(supplier, { name: "Upstream card", priceMinor: "1000", resaleAllowed: true });
    keys = randomKeys(8, "XDK");
    await importKeys(supplier, upstreamProductId, keys);

    // The reseller's account on the upstream: an API key, and 10000 on its balance through the platform's gateway.
    const resellerUpstream = await setupMerchant(upstream);
    const me = await resellerUpstream.merchant.get("/api/me");
    resellerUpstreamAccountId = String(me.body.id);
    const created = await resellerUpstream.merchant.post("/api/api-keys", { name: "instance A", scopes: ["products:read", "orders:read", "orders:write"] });
    expect(created.status, created.text).to.equal(201);
    const topup = await resellerUpstream.merchant.post("/api/balance/topups", { amountMinor: "10000", currency: "CNY", idempotencyKey: "crossdock-topup-1" });
    expect(topup.status, topup.text).to.equal(201);
    const credited = await upstream.http.get(
      `/api/balance/topups/epay/notify?${new URLSearchParams(signedNotification(resaleEpayMerchant(upstream.ctx.config, upstream.url), topup.body, "XD-TOPUP-1")).toString()}`,
    );
    expect(credited.text).to.equal("success");

    // A hop that alters the code in reveal answers while tamperRemaining lasts, and passes everything else.
    proxy = http.createServer((request, response) => {
      const forwarded = http.request(`${upstream.url}${request.url}`, { method: request.method, headers: request.headers }, (answer) => {
        const chunks: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => chunks.push(chunk));
        answer.on("end", () => {
          let body = Buffer.concat(chunks).toString("utf8");
          if (request.url?.endsWith("/reveal") && tamperRemaining > 0) {
            tamperRemaining -= 1;
            body = body.replace(/"code":"(XDK-[0-9A-F]+)"/g, (_match, code: string) => `"code":"${code.slice(0, -1)}${code.endsWith("0") ? "1" : "0"}"`);
          }
          response.writeHead(answer.statusCode ?? 502, { ...answer.headers, "content-length": String(Buffer.byteLength(body)) });
          response.end(body);
        });
      });
      request.pipe(forwarded);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;

    reseller = await setupMerchant(downstream);
    const listing = async (url: string, name: string) => {
      const added = await reseller.merchant.post(`/api/shops/${reseller.shopId}/docking/remote-suppliers`, { url, apiKey: created.body.secret });
      expect(added.status, added.text).to.equal(201);
      const listed = await reseller.merchant.post(`/api/shops/${reseller.shopId}/docking/remote-listings`, {
        remoteSupplierId: added.body.id,
        remoteProductId: upstreamProductId,
        name,
        priceMinor: "1500",
      });
      expect(listed.status, listed.text).to.equal(201);
      expect(listed.body).to.include({ upstreamPriceMinor: "1000", currency: "CNY", priceMinor: "1500" });
      return listed.body.productId as string;
    };
    directListing = await listing(upstream.url, "Resold card");
    tamperedListing = await listing(proxyUrl, "Resold card (through a tampering hop)");
  });

  after(async () => {
    await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
    await instances?.stop();
  });

  /** A guest's order downstream, paid through the reseller's gateway. */
  async function buyDownstream(productId: string, tradeNo: string) {
    const checkout = await downstream.http.post("/api/orders", { productId, quantity: 1, contact: "guest@example.com", queryPassword: "guest-secret" });
    expect(checkout.status, checkout.text).to.equal(201);
    const order = checkout.body.order as { id: string; amountMinor: string };
    expect(order.amountMinor).to.equal("1500");
    const paid = await downstream.http.get(notifyPath(reseller.shopId, signedNotification(reseller.sandbox, order, tradeNo)));
    expect(paid.text).to.equal("success");
    return { orderId: order.id, token: checkout.body.accessToken as string };
  }

  const settled = (orderId: string) =>
    waitFor(
      `order ${orderId} delivered or refunded`,
      async () => {
        const row = await queryOne<{ state: string }>(downstream.database.db, sql`SELECT state FROM crossdock_purchases WHERE order_id = ${orderId}`);
        return row && row.state !== "buying" ? row.state : undefined;
      },
      300_000,
      250,
    );

  async function postings(platform: TestPlatform, idempotencyKey: string): Promise<Posting[]> {
    return queryRows<Posting>(
      platform.database.db,
      sql`SELECT a.owner_type || ':' || a.owner_id AS owner, a.purpose, p.amount_minor::text AS amount
          FROM ledger_transactions t JOIN ledger_postings p ON p.tx_id = t.id JOIN ledger_accounts a ON a.id = p.account_id
          WHERE t.idempotency_key = ${idempotencyKey} ORDER BY a.owner_type, a.purpose`,
    );
  }
  const imbalance = (platform: TestPlatform) =>
    queryRows(platform.database.db, sql`SELECT currency, sum(amount_minor)::text FROM ledger_postings GROUP BY currency HAVING sum(amount_minor) <> 0`);
  const upstreamOrdersOf = (orderId: string) =>
    queryRows<{ id: string; state: string }>(
      upstream.database.db,
      sql`SELECT id, state FROM orders WHERE idempotency_key LIKE ${`crossdock:${orderId}:%`} ORDER BY created_at`,
    );
  const resellerBalance = async () =>
    BigInt(
      (
        await queryOne<{ balance: string | null }>(
          upstream.database.db,
          sql`SELECT sum(balance_minor)::text AS balance FROM ledger_accounts WHERE owner_type = 'buyer' AND owner_id = ${resellerUpstreamAccountId} AND purpose = 'refunds'`,
        )
      )?.balance ?? "0",
    );

  it("buys upstream from the balance, verifies the key on-chain and delivers it; runs doubled and in parallel buy, deliver and post once", async () => {
    const balanceBefore = await resellerBalance();
    expect(balanceBefore).to.equal(10000n);
    const { orderId, token } = await buyDownstream(directListing, "XD-SALE-1");
    // Four more runs of the purchase beside the worker's job, each retried until it is done.
    const deps = {
      db: downstream.ctx.database.db,
      keyRing: downstream.ctx.keyRing,
      allowLoopback: true,
      chain: downstream.ctx.chain!.publicClient,
      platformFeeBps: 250,
      ...crossdockPurchaseDefaults,
    };
    const runner = async () => {
      for (;;) {
        try {
          return await runCrossdockPurchase(deps, orderId);
        } catch (error) {
          if (!(error instanceof UpstreamNotReady)) throw error;
          await new Promise((resolve) => setTimeout(resolve, 300));
        }
      }
    };
    const outcomes = await Promise.all([runner(), runner(), runner(), runner()]);
    expect(await settled(orderId)).to.equal("delivered");
    expect(outcomes.filter((outcome) => outcome === "delivered").length).to.be.at.most(1);
    expect(outcomes.every((outcome) => outcome === "delivered" || outcome === "done")).to.equal(true);

    // One upstream order, paid once from the balance.
    const upstreamOrders = await upstreamOrdersOf(orderId);
    expect(upstreamOrders.map((order) => order.state)).to.deep.equal(["fulfilled"]);
    const upstreamOrderId = upstreamOrders[0]!.id;
    expect(await resellerBalance()).to.equal(10000n - 1000n);

    // The buyer's code is one of the supplier's keys, delivered once.
    const view = await downstream.http.get(`/api/orders/${orderId}?token=${token}`);
    expect(view.body.state).to.equal("fulfilled");
    expect(keys).to.include(view.body.manualDelivery);

    // The certificate chain shows both shops: the supplier's certificate, checked here against the
    // chain alone (commitment of the delivered code, Merkle proof, the supplier's BatchAnchored
    // root in the upstream's registry), and the reseller's record of the resale.
    const provenance = await downstream.http.get(`/api/orders/${orderId}/provenance?token=${token}`);
    expect(provenance.status, provenance.text).to.equal(200);
    expect(provenance.body.reseller).to.include({ instance: downstream.ctx.config.http.publicUrl, shopId: reseller.shopId, orderId, upstreamOrderId });
    expect(provenance.body.supplier).to.include({ instance: upstream.url, shopId: supplier.shopId });
    const certificate = provenance.body.supplier.certificates[0];
    expect(certificate.leaf.values[5]).to.equal(keccak256(concat([certificate.commitment.salt as Hex, toHex(toBytes(view.body.manualDelivery))])));
    expect(String(certificate.leaf.values[2])).to.equal(supplier.shopId);
    expect(StandardMerkleTree.verify(certificate.batch.root, certificate.leaf.types, certificate.leaf.values, certificate.proof)).to.equal(true);
    expect(certificate.chain.registry.toLowerCase()).to.equal(upstream.chainAddresses.registry!.toLowerCase());
    const anchored = await createPublicClient({ transport: viemHttp(upstream.rpcUrl) }).getLogs({
      address: certificate.chain.registry,
      event: parseAbiItem("event BatchAnchored(uint64 indexed batchId, uint64 indexed shopId, bytes32 root, uint32 keyCount, address issuer)"),
      args: { batchId: BigInt(certificate.batch.id) },
      fromBlock: 0n,
    });
    expect(anchored.map((log) => [log.args.shopId, log.args.root])).to.deep.equal([[BigInt(supplier.shopId), certificate.batch.root]]);
    // Nobody but the buyer reads it (the salts commit to the codes).
    expect((await downstream.http.get(`/api/orders/${orderId}/provenance`)).status).to.equal(404);

    // The downstream's own verify route checks the supplier's certificate on-chain too, and names
    // no shop of its own for it (batch ids are per registry).
    const checked = await downstream.http.post("/api/verify", { certificate, key: view.body.manualDelivery });
    expect(checked.status, checked.text).to.equal(200);
    expect(checked.body).to.deep.include({ verdict: "genuine", shop: { id: supplier.shopId, name: null, slug: null } });

    // The buyer's order page (the downstream's web app in Chromium) shows both shops and the
    // supplier's batch, root and anchor as the upstream's database holds them.
    const batch = await queryOne<{ id: string; root: string; anchor_tx: string }>(
      upstream.database.db,
      sql`SELECT id::text AS id, '0x' || encode(root, 'hex') AS root, anchor_tx FROM batches WHERE product_id = ${upstreamProductId}`,
    );
    expect(batch?.anchor_tx, "the supplier's batch is anchored").to.match(/^0x[0-9a-f]{64}$/);
    const browser = await launchBrowser({ locale: "en-US" });
    try {
      const page = await browser.context.newPage();
      const errors = watchPageErrors(page);
      await page.goto(`${downstream.url}/orders/${orderId}?token=${token}`);
      const section = page.getByTestId("order-provenance");
      await section.waitFor();
      expect(await section.getByRole("heading", { name: "Provenance" }).count()).to.equal(1);
      expect(await section.getByTestId("provenance-reseller").textContent()).to.contain(`Shop #${reseller.shopId} at ${downstream.ctx.config.http.publicUrl}`);
      expect(await section.getByTestId("provenance-supplier").textContent())
        .to.contain(`Shop #${supplier.shopId} at ${upstream.url}`)
        .and.contain(upstreamOrderId);
      expect(await section.getByTestId("provenance-batch").textContent()).to.match(new RegExp(`^#${batch!.id} · leaf \\d+$`));
      expect(await section.getByTestId("provenance-root").textContent()).to.equal(batch!.root);
      expect(await section.getByTestId("provenance-anchor").textContent()).to.equal(batch!.anchor_tx);
      expect(await axeViolations(page)).to.deep.equal([]);
      await screenshot(page, "crossdock", "order-provenance");
      // The verify page receives the supplier's certificate (and the delivered code) and finds it genuine on-chain.
      await section.getByTestId("provenance-verify").click();
      await page.waitForURL(/\/verify/);
      // The draft is taken in an effect after the first render: its label says it arrived.
      await page.getByText("from your order").first().waitFor();
      expect(await page.getByTestId("verify-key").inputValue()).to.equal(view.body.manualDelivery);
      await page.getByTestId("verify-submit").click();
      const result = page.getByTestId("verify-result");
      await result.waitFor({ timeout: 60_000 });
      expect(await page.getByTestId("checked-by").getAttribute("data-way")).to.equal("browser");
      expect(await result.getAttribute("data-verdict")).to.equal("genuine");
      expect(errors).to.deep.equal([]);
    } finally {
      await browser.close();
    }

    // Upstream legs by hand: the balance to clearing_balance, then 1000 split at 250 bps:
    // fee floor(1000 × 250 / 10000) = 25, the supplier's payable 975.
    const buyer = `buyer:${resellerUpstreamAccountId}`;
    expect(await postings(upstream, `order:${upstreamOrderId}:balance-payment`)).to.have.deep.members([
      { owner: buyer, purpose: "refunds", amount: "-1000" },
      { owner: "platform:0", purpose: "clearing_balance", amount: "1000" },
    ]);
    expect(await postings(upstream, `order:${upstreamOrderId}:payment`)).to.have.deep.members([
      { owner: "platform:0", purpose: "clearing_balance", amount: "-1000" },
      { owner: "platform:0", purpose: "fees", amount: "25" },
      { owner: `shop:${supplier.shopId}`, purpose: "payable", amount: "975" },
    ]);
    // Downstream, the reseller's own gateway took 1500 (merchant-collected): the memo pair and the
    // fee it owes, floor(1500 × 250 / 10000) = 37. No entry of one instance names the other's accounts.
    const downstreamPayment = await waitFor("the downstream payment's entry", async () => {
      const rows = await postings(downstream, `order:${orderId}:payment`);
      return rows.length ? rows : undefined;
    });
    expect(downstreamPayment).to.have.deep.members([
      { owner: "platform:0", purpose: "clearing_merchant", amount: "-1500" },
      { owner: `shop:${reseller.shopId}`, purpose: "collected", amount: "1500" },
      { owner: `shop:${reseller.shopId}`, purpose: "fee_receivable", amount: "-37" },
      { owner: "platform:0", purpose: "fees", amount: "37" },
    ]);
    const entries = await queryRows<{ kind: string; count: string }>(
      downstream.database.db,
      sql`SELECT kind, count(*)::text AS count FROM ledger_transactions WHERE reference_id = ${orderId} GROUP BY kind ORDER BY kind`,
    );
    expect(entries).to.deep.equal([{ kind: "order_payment", count: "1" }]);
    expect(await imbalance(upstream)).to.deep.equal([]);
    expect(await imbalance(downstream)).to.deep.equal([]);

    // A run after the delivery changes nothing.
    expect(await runCrossdockPurchase(deps, orderId)).to.equal("done");
    expect((await upstreamOrdersOf(orderId)).length).to.equal(1);
  });

  it("never delivers a key altered between the instances: disputes the upstream order and delivers the next key", async () => {
    tamperRemaining = 1;
    const balanceBefore = await resellerBalance();
    const { orderId, token } = await buyDownstream(tamperedListing, "XD-SALE-2");
    expect(await settled(orderId)).to.equal("delivered");
    const upstreamOrders = await upstreamOrdersOf(orderId);
    expect(upstreamOrders.length).to.equal(2);
    const disputes = await queryRows<{ order_id: string; category: string }>(
      upstream.database.db,
      sql`SELECT order_id, category FROM disputes WHERE order_id = ANY(${`{${upstreamOrders.map((order) => order.id).join(",")}}`}::text[])`,
    );
    expect(disputes).to.deep.equal([{ order_id: upstreamOrders[0]!.id, category: "key_invalid" }]);
    const purchase = await queryOne<{ attempt: number; refused: { failures: string[] }[] }>(
      downstream.database.db,
      sql`SELECT attempt, refused FROM crossdock_purchases WHERE order_id = ${orderId}`,
    );
    expect(purchase!.attempt).to.equal(2);
    expect(purchase!.refused[0]!.failures.some((failure) => failure.endsWith(":key_commitment"))).to.equal(true);
    const view = await downstream.http.get(`/api/orders/${orderId}?token=${token}`);
    expect(keys).to.include(view.body.manualDelivery);
    // Two upstream orders paid: 2 × 1000 from the balance (the first one's refund is the dispute's to decide).
    expect(await resellerBalance()).to.equal(balanceBefore - 2000n);
  });

  it("refunds the buyer once when every upstream key fails the gate (three disputed attempts)", async () => {
    tamperRemaining = Number.POSITIVE_INFINITY;
    const { orderId, token } = await buyDownstream(tamperedListing, "XD-SALE-3");
    expect(await settled(orderId)).to.equal("refunded");
    tamperRemaining = 0;
    const upstreamOrders = await upstreamOrdersOf(orderId);
    expect(upstreamOrders.length).to.equal(3);
    const disputes = await queryRows<{ count: string }>(
      upstream.database.db,
      sql`SELECT count(*)::text AS count FROM disputes WHERE order_id = ANY(${`{${upstreamOrders.map((order) => order.id).join(",")}}`}::text[]) AND category = 'key_invalid'`,
    );
    expect(disputes[0]!.count).to.equal("3");
    const view = await downstream.http.get(`/api/orders/${orderId}?token=${token}`);
    expect(view.body.manualDelivery ?? null).to.equal(null);
    expect(["refund_pending", "refunded"]).to.include(view.body.state);
    // The refund undoes the memo pair and forgives the fee it owed (37), once, whatever runs again.
    const refund = await postings(downstream, `order:${orderId}:refund`);
    expect(refund).to.have.deep.members([
      { owner: `shop:${reseller.shopId}`, purpose: "collected", amount: "-1500" },
      { owner: "platform:0", purpose: "clearing_merchant", amount: "1500" },
      { owner: `shop:${reseller.shopId}`, purpose: "fee_receivable", amount: "37" },
      { owner: "platform:0", purpose: "fees", amount: "-37" },
    ]);
    const deps = {
      db: downstream.ctx.database.db,
      keyRing: downstream.ctx.keyRing,
      allowLoopback: true,
      chain: downstream.ctx.chain!.publicClient,
      platformFeeBps: 250,
      ...crossdockPurchaseDefaults,
    };
    expect(await Promise.all([runCrossdockPurchase(deps, orderId), runCrossdockPurchase(deps, orderId)])).to.deep.equal(["done", "done"]);
    const refunds = await queryRows<{ count: string }>(
      downstream.database.db,
      sql`SELECT count(*)::text AS count FROM ledger_transactions WHERE reference_id = ${orderId} AND kind = 'order_refund'`,
    );
    expect(refunds[0]!.count).to.equal("1");
    expect(await imbalance(downstream)).to.deep.equal([]);
    expect(await imbalance(upstream)).to.deep.equal([]);
  });
});
