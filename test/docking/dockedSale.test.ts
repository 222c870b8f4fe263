// Supply docking end to end (docs/docking.md), against the running platform (HTTP, PostgreSQL,
// Redis, a local chain, the indexer and the workers): a supplier offers a product, a reseller
// lists it at its own price, a buyer pays the reseller's order on-chain and gets the supplier's
// key, whose certificate verifies against the root the SUPPLIER anchored, checked with
// @openzeppelin/merkle-tree and viem alone. The sale's one ledger transaction is compared with
// amounts computed by hand below; a refund reverses it exactly. Stopping the supply refuses new
// orders and completes the open one; a reseller and the supplier selling the last keys at once
// never sell a key twice; bad input is refused with its code and writes nothing.
//
// Broken on purpose once each (then restored): with the docking legs left out of the payment
// entry (flows.ts) the ledger test fails on the supplier's payable; with the refund's docking
// legs left out, the refund is refused (the reseller's payable cannot give back the supplier's
// share) and the test fails; with the checkout taking keys by the listing's own product id,
// every docked checkout is out of stock.
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import { concat, createPublicClient, createWalletClient, http, keccak256, parseAbiItem, toBytes, toHex, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { paymentRouterAbi } from "../../core/chain/abis.ts";
import { queryOne, sql } from "../../core/store/database.ts";
import { postOrderRefund } from "../../api/ledger/flows.ts";
import { createOrder } from "../../api/services/orders/createOrder.ts";
import { localChainAccounts } from "../../scripts/lib/localChain.ts";
import { usePlatform, waitFor, type TestPlatform } from "../support/platform.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";

const feeBps = 250;

describe("supply docking: a reseller sells the supplier's keys (HTTP, PostgreSQL, chain)", function () {
  this.timeout(600_000);
  const suite = usePlatform({ env: { PLATFORM_FEE_BPS: String(feeBps), INDEXER_FINALITY_DEPTH: "1" } });
  let supplier: MerchantSetup;
  let reseller: MerchantSetup;

  before(async () => {
    [supplier, reseller] = await Promise.all([setupMerchant(suite.platform), setupMerchant(suite.platform)]);
  });

  const guest = (productId: string, extra: Record<string, unknown> = {}) => ({
    productId,
    quantity: 1,
    contact: "docked-buyer@example.com",
    queryPassword: "docked-pass-1",
    paymentMethod: "chain",
    ...extra,
  });

  async function dockedListing(options: { keys: string[]; wholesale: string; retail: string; name: string }) {
    const supplyProductId = await createProduct(supplier, { name: `${options.name} (supplier)`, currency: "ETH", priceMinor: "20000" });
    const { batchId } = await importKeys(supplier, supplyProductId, options.keys);
    const offered = await supplier.merchant.put(`/api/shops/${supplier.shopId}/docking/offers/${supplyProductId}`, { wholesalePriceMinor: options.wholesale });
    expect(offered.status, offered.text).to.equal(200);
    const listed = await reseller.merchant.post(`/api/shops/${reseller.shopId}/docking/listings`, {
      supplyProductId,
      name: options.name,
      priceMinor: options.retail,
    });
    expect(listed.status, listed.text).to.equal(201);
    return { supplyProductId, batchId, listingId: listed.body.productId as string };
  }

  it("sells the supplier's key under the reseller's title; the certificate verifies against the supplier's anchored root; the books are exact", async () => {
    const keys = randomKeys(3, "DOCK");
    const { supplyProductId, batchId, listingId } = await dockedListing({ keys, wholesale: "7777", retail: "10001", name: "Docked card" });

    // The storefront shows the supplier's stock under the reseller's own title and price.
    const shown = await suite.platform.http.get(`/api/products/${listingId}`);
    expect(shown.body).to.include({ name: "Docked card", priceMinor: "10001", shopId: reseller.shopId, stock: 3 });

    const checkout = await suite.platform.http.post("/api/orders", guest(listingId));
    expect(checkout.status, checkout.text).to.equal(201);
    const { order, accessToken, payment } = checkout.body;
    expect(order.amountMinor).to.equal("10001");
    await payOnChain(suite.platform, payment, 10_001n);
    const delivered = await waitFor(
      "the docked order's fulfilment",
      async () => {
        const view = await suite.platform.http.get(`/api/orders/${order.id}?token=${accessToken}`);
        return view.body.state === "fulfilled" ? view.body : undefined;
      },
      120_000,
      250,
    );
    const item = delivered.items[0];
    expect(keys).to.include(item.code);
    expect((await suite.platform.http.get(`/api/products/${supplyProductId}`)).body.stock).to.equal(2);
    expect((await suite.platform.http.get(`/api/products/${listingId}`)).body.stock).to.equal(2);

    // The certificate is the supplier's: its leaf names the supplier's shop and batch, and the
    // root is the one the supplier's BatchAnchored event put on-chain.
    const certificate = (await suite.platform.http.get(`/api/orders/${order.id}/keys/${item.keyId}/certificate?token=${accessToken}`)).body;
    const commitment = keccak256(concat([certificate.commitment.salt as Hex, toHex(toBytes(item.code))]));
    expect(certificate.leaf.values[5]).to.equal(commitment);
    expect(String(certificate.leaf.values[2])).to.equal(supplier.shopId);
    expect(String(certificate.leaf.values[3])).to.equal(batchId);
    expect(StandardMerkleTree.verify(certificate.batch.root, certificate.leaf.types, certificate.leaf.values, certificate.proof)).to.equal(true);
    const client = createPublicClient({ transport: http(suite.platform.rpcUrl) });
    const anchored = await client.getLogs({
      address: certificate.chain.registry,
      event: parseAbiItem("event BatchAnchored(uint64 indexed batchId, uint64 indexed shopId, bytes32 root, uint32 keyCount, address issuer)"),
      args: { batchId: BigInt(batchId) },
      fromBlock: 0n,
    });
    expect(anchored).to.have.length(1);
    expect(anchored[0]!.args.shopId).to.equal(BigInt(supplier.shopId));
    expect(anchored[0]!.args.root).to.equal(certificate.batch.root);

    // The sale's one transaction, by hand (bps 250): fee floor(10001 x 250 / 10000) = 250;
    // supplier fee floor(7777 x 250 / 10000) = 194, supplier 7777 - 194 = 7583;
    // reseller 10001 - 250 - 7583 = 2168.
    // The payment's entry is posted through the journal's group commit, after the payment commits.
    const sale = await waitFor("the sale's ledger entry", async () => {
      const postings = await postingsOf(suite.platform, order.id, "order_payment");
      return postings.length > 0 ? postings : undefined;
    });
    expect(sale).to.deep.equal(
      sorted([
        ["platform:0:clearing_chain", "-10001"],
        ["platform:0:fees", "250"],
        [`shop:${reseller.shopId}:payable`, "2168"],
        [`shop:${supplier.shopId}:payable`, "7583"],
      ]),
    );

    // A full refund reverses every leg exactly.
    await postOrderRefund(suite.platform.ctx.database.db, {
      orderId: order.id,
      shopId: BigInt(reseller.shopId),
      amountMinor: 10_001n,
      currency: "ETH",
      reason: "merchant",
    });
    const refund = await postingsOf(suite.platform, order.id, "order_refund");
    expect(refund).to.deep.equal(
      sorted([
        ["platform:0:refunds", "10001"],
        ["platform:0:fees", "-250"],
        [`shop:${reseller.shopId}:payable`, "-2168"],
        [`shop:${supplier.shopId}:payable`, "-7583"],
      ]),
    );
  });

  it("a docked sale is never distributed: a sub-store checkout is refused, and a referred buyer's order carries no commission", async () => {
    const { listingId } = await dockedListing({ keys: randomKeys(2, "DIST"), wholesale: "9000", retail: "10000", name: "Docked, referred" });
    // The reseller pays 50% to the first referrer: with the supplier's 9,000 - 225 fee this would
    // exceed the reseller's 10,000 - 250 and leave its payable negative.
    const rates = await reseller.merchant.put(`/api/shops/${reseller.shopId}/commission-rates`, { levelsBps: [5000] });
    expect(rates.status, rates.text).to.equal(200);
    const signUp = async (label: string) => {
      const signup = await suite.platform.http.post("/api/auth/signup", { email: `${label}-${Date.now()}@example.com`, password: `${label}-password-1` });
      expect(signup.status, signup.text).to.equal(201);
      return suite.platform.http.as(signup.body.token);
    };
    const referrer = await signUp("dock-referrer");
    const buyer = await signUp("dock-buyer");
    const code = (await referrer.get("/api/agent/overview")).body.referralCode;
    const attached = await buyer.post(`/api/shops/${reseller.shopId}/referrals`, { code });
    expect(attached.status, attached.text).to.be.oneOf([200, 201]);

    const viaSubstore = await buyer.post("/api/orders", { productId: listingId, quantity: 1, paymentMethod: "chain", substore: "any-substore" });
    expect(viaSubstore.status, viaSubstore.text).to.equal(422);
    expect(viaSubstore.body.code).to.equal("docking_not_distributed");

    const checkout = await buyer.post("/api/orders", { productId: listingId, quantity: 1, paymentMethod: "chain" });
    expect(checkout.status, checkout.text).to.equal(201);
    const stored = await queryOne<{ distribution: unknown }>(
      suite.platform.database.db,
      sql`SELECT pricing->'distribution' AS distribution FROM orders WHERE id = ${checkout.body.order.id}`,
    );
    expect(stored!.distribution ?? null).to.equal(null);
    expect(checkout.body.order.amountMinor).to.equal("10000");
  });

  it("refuses bad docking with a code and writes nothing", async () => {
    const own = await createProduct(reseller, { name: "Own card", currency: "ETH" });
    const supplied = await createProduct(supplier, { name: "Offered card", currency: "ETH" });
    const paused = await createProduct(supplier, { name: "Paused card", currency: "ETH" });
    const unoffered = await createProduct(supplier, { name: "Unoffered card", currency: "ETH" });
    expect((await supplier.merchant.put(`/api/shops/${supplier.shopId}/docking/offers/${supplied}`, { wholesalePriceMinor: "500" })).status).to.equal(200);
    expect((await supplier.merchant.put(`/api/shops/${supplier.shopId}/docking/offers/${paused}`, { wholesalePriceMinor: "500" })).status).to.equal(200);
    expect((await supplier.merchant.patch(`/api/products/${paused}`, { status: "paused" })).status).to.equal(200);
    expect((await reseller.merchant.put(`/api/shops/${reseller.shopId}/docking/offers/${own}`, { wholesalePriceMinor: "500" })).status).to.equal(200);
    const before = await counts(suite.platform);

    const list = (supplyProductId: string, priceMinor: string) =>
      reseller.merchant.post(`/api/shops/${reseller.shopId}/docking/listings`, { supplyProductId, name: "Relisted", priceMinor });
    const cases: [string, Promise<{ status: number; body: { code: string; message: string } }>, number, string][] = [
      ["own product", list(own, "900"), 422, "docking_own_product"],
      ["retail equal to wholesale", list(supplied, "500"), 422, "docking_price_too_low"],
      ["retail below wholesale", list(supplied, "499"), 422, "docking_price_too_low"],
      ["paused product", list(paused, "900"), 409, "docking_offer_unavailable"],
      ["product not offered", list(unoffered, "900"), 409, "docking_offer_unavailable"],
      ["unknown product", list("999999999", "900"), 404, "not_found"],
      [
        "another shop's product offered",
        supplier.merchant.put(`/api/shops/${supplier.shopId}/docking/offers/${own}`, { wholesalePriceMinor: "1" }),
        404,
        "not_found",
      ],
    ];
    for (const [what, answer, status, code] of cases) {
      const response = await answer;
      expect(response.status, what).to.equal(status);
      expect(response.body.code, what).to.equal(code);
      expect(response.body.message, what).to.be.a("string").and.not.be.empty;
    }
    expect(await counts(suite.platform)).to.deep.equal(before);
  });

  it("after the supplier stops supplying: new orders are refused, the open order is delivered whole", async () => {
    const keys = randomKeys(3, "STOP");
    const { listingId } = await dockedListing({ keys, wholesale: "600", retail: "1000", name: "Stopping card" });
    const open = await suite.platform.http.post("/api/orders", guest(listingId));
    expect(open.status, open.text).to.equal(201);
    // A shop's own gateway pays the reseller: the platform could not credit the supplier.
    const viaGateway = await suite.platform.http.post("/api/orders", guest(listingId, { paymentMethod: "epay" }));
    expect([viaGateway.status, viaGateway.body.code]).to.deep.equal([422, "docking_payment_method"]);

    const stopped = await supplier.merchant.post(`/api/shops/${supplier.shopId}/docking/offers/${(await dockingOf(reseller, listingId)).supplyProductId}/stop`);
    expect([stopped.status, stopped.body.state]).to.deep.equal([200, "stopped"]);
    const refused = await suite.platform.http.post("/api/orders", guest(listingId));
    expect([refused.status, refused.body.code]).to.deep.equal([409, "docking_offer_unavailable"]);
    expect((await suite.platform.http.get(`/api/products/${listingId}`)).body.stock).to.equal(0);

    await payOnChain(suite.platform, open.body.payment, 1_000n);
    const delivered = await waitFor(
      "the open order's fulfilment after the stop",
      async () => {
        const view = await suite.platform.http.get(`/api/orders/${open.body.order.id}?token=${open.body.accessToken}`);
        return view.body.state === "fulfilled" ? view.body : undefined;
      },
      120_000,
      250,
    );
    expect(delivered.items).to.have.length(1);
    expect(keys).to.include(delivered.items[0].code);
  });

  it("a reseller and the supplier selling the last keys at once never sell one key twice", async () => {
    const keyCount = 6;
    const { supplyProductId, listingId } = await dockedListing({ keys: randomKeys(keyCount, "RACE"), wholesale: "700", retail: "1500", name: "Raced card" });
    const attempts = Array.from({ length: keyCount * 2 }, (_, index) =>
      suite.platform.http.post("/api/orders", guest(index % 2 === 0 ? listingId : supplyProductId, { contact: `race-${index}@example.com` })),
    );
    const answers = await Promise.all(attempts);
    const created = answers.filter((answer) => answer.status === 201);
    expect(created, answers.map((answer) => answer.text).join("\n")).to.have.length(keyCount);
    expect(answers.filter((answer) => answer.status !== 201).map((answer) => answer.body.code)).to.deep.equal(Array(keyCount).fill("out_of_stock"));
    const { rows } = await suite.platform.database.pool!.query(
      `SELECT count(*)::int AS reserved, count(DISTINCT order_id)::int AS orders FROM keys WHERE product_id = $1 AND status = 'reserved'`,
      [supplyProductId],
    );
    expect(rows[0]).to.deep.equal({ reserved: keyCount, orders: keyCount });
  });

  it("the same race with one statement per checkout (no group commit, as between API replicas): each key reserved once", async () => {
    const keyCount = 6;
    const { supplyProductId, listingId } = await dockedListing({ keys: randomKeys(keyCount, "RACE2"), wholesale: "700", retail: "1500", name: "Raced card 2" });
    const ctx = suite.platform.ctx;
    const settings = {
      expirySeconds: ctx.config.orders.expirySeconds,
      quantityMax: ctx.config.orders.quantityMax,
      queryPasswordPepper: ctx.config.secrets.queryPasswordPepper!,
      merchantFeeCreditMinor: ctx.config.ledger.merchantFeeCreditMinor,
      unpaidHolds: ctx.config.orders.unpaidHolds,
    };
    const outcomes = await Promise.allSettled(
      Array.from({ length: keyCount * 2 }, (_, index) =>
        createOrder(ctx.database.db, settings, {
          productId: BigInt(index % 2 === 0 ? listingId : supplyProductId),
          quantity: 1,
          contact: `race2-${index}@example.com`,
          queryPassword: "race-pass-1",
          paymentMethod: "chain",
        }),
      ),
    );
    const created = outcomes.filter((outcome) => outcome.status === "fulfilled");
    expect(created).to.have.length(keyCount);
    const refusals = outcomes.flatMap((outcome) => (outcome.status === "rejected" ? [(outcome.reason as { code?: string }).code] : []));
    expect(refusals).to.deep.equal(Array(keyCount).fill("out_of_stock"));
    const { rows } = await suite.platform.database.pool!.query(
      `SELECT count(*)::int AS reserved, count(DISTINCT order_id)::int AS orders,
              (SELECT count(*)::int FROM orders o WHERE o.product_id IN ($1, $2)) AS order_rows
       FROM keys WHERE product_id = $1 AND status = 'reserved'`,
      [supplyProductId, listingId],
    );
    expect(rows[0]).to.deep.equal({ reserved: keyCount, orders: keyCount, order_rows: keyCount });
  });

  async function dockingOf(setup: MerchantSetup, listingId: string) {
    const docking = await setup.merchant.get(`/api/shops/${setup.shopId}/docking`);
    return docking.body.listings.find((listing: { productId: string }) => listing.productId === listingId);
  }
});

/** The postings of an order's transaction of `kind`, as sorted [owner:id:purpose, amount] pairs. */
async function postingsOf(platform: TestPlatform, orderId: string, kind: string): Promise<[string, string][]> {
  const { rows } = await platform.database.pool!.query(
    `SELECT a.owner_type || ':' || a.owner_id || ':' || a.purpose AS account, p.amount_minor::text AS amount
     FROM ledger_transactions t JOIN ledger_postings p ON p.tx_id = t.id JOIN ledger_accounts a ON a.id = p.account_id
     WHERE t.reference_type = 'order' AND t.reference_id = $1 AND t.kind = $2`,
    [orderId, kind],
  );
  return sorted(rows.map((row: { account: string; amount: string }) => [row.account, row.amount]));
}

function sorted(pairs: [string, string][]): [string, string][] {
  return [...pairs].sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

async function counts(platform: TestPlatform) {
  const { rows } = await platform.database.pool!.query(
    `SELECT (SELECT count(*) FROM products)::int AS products, (SELECT count(*) FROM docking_offers)::int AS offers,
            (SELECT count(*) FROM audit_log)::int AS audits`,
  );
  return rows[0];
}

async function payOnChain(platform: TestPlatform, payment: { paymentAddress: string; orderRef: string; asset: string }, value: bigint): Promise<void> {
  expect(payment.asset).to.equal("native");
  const transport = http(platform.rpcUrl);
  const publicClient = createPublicClient({ transport });
  const chain = {
    id: await publicClient.getChainId(),
    name: "local",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [platform.rpcUrl] } },
  };
  const wallet = createWalletClient({ account: privateKeyToAccount(localChainAccounts.wallet3), chain, transport });
  const hash = await wallet.writeContract({
    address: payment.paymentAddress as Hex,
    abi: paymentRouterAbi,
    functionName: "payNative",
    args: [payment.orderRef as Hex],
    value,
  });
  expect((await publicClient.waitForTransactionReceipt({ hash })).status).to.equal("success");
}
