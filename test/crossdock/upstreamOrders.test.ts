// The buyer's side of docking across instances, over real HTTP through the SDK and the guarded
// upstream fetch (docs/docking.md, "Across instances"): with an API key (orders:write,
// orders:read) a reseller's program checks out on the upstream instance, where retries with one
// Idempotency-Key never buy twice (eight at once: one order in the database); it reads its order
// and the sealed certificate, which pass the gate's first step against the chain; it reveals, and
// the code with its salt passes the second step. Through a small proxy that alters the code in the
// upstream's answer, the second step refuses the key, and the program opens a dispute on the
// upstream order (category key_invalid), which the upstream's database shows.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { createPublicClient, http as viemHttp, type PublicClient } from "viem";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { upstreamClient } from "../../api/services/crossdock/remoteSuppliers.ts";
import { checkRevealedUpstreamKey, checkSealedUpstreamKey } from "../../api/services/crossdock/upstreamKeyGate.ts";
import { ok } from "../../sdk/src/index.ts";
import { notifyPath, signedNotification } from "../support/epayNotify.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { usePlatform, waitFor } from "../support/platform.ts";

describe("docking across instances: buying upstream with an API key through the SDK (HTTP, PostgreSQL, Redis, local chain)", function () {
  this.timeout(300_000);
  const suite = usePlatform({ env: { INDEXER_FINALITY_DEPTH: "1" } });
  let supplier: MerchantSetup;
  let productId: string;
  let apiKey: string;
  let chain: PublicClient;
  let proxy: http.Server;
  let proxyUrl: string;
  let keys: string[];

  before(async () => {
    supplier = await setupMerchant(suite.platform);
    productId = await createProduct(supplier, { name: "Upstream card", resaleAllowed: true });
    keys = randomKeys(6, "UPO");
    await importKeys(supplier, productId, keys);
    const reseller = await setupMerchant(suite.platform);
    const created = await reseller.merchant.post("/api/api-keys", { name: "instance A", scopes: ["orders:read", "orders:write"] });
    expect(created.status, created.text).to.equal(201);
    apiKey = created.body.secret;
    chain = createPublicClient({ transport: viemHttp(suite.platform.rpcUrl) }) as PublicClient;
    // A tampering hop between the instances: it passes everything through, but changes the last
    // character of every code in an order's answer.
    proxy = http.createServer((request, response) => {
      const upstream = http.request(`${suite.platform.url}${request.url}`, { method: request.method, headers: request.headers }, (answer) => {
        const chunks: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => chunks.push(chunk));
        answer.on("end", () => {
          let body = Buffer.concat(chunks).toString("utf8");
          body = body.replace(/"code":"(UPO-[0-9A-F]+)"/g, (_match, code: string) => `"code":"${code.slice(0, -1)}${code.endsWith("0") ? "1" : "0"}"`);
          const headers = { ...answer.headers, "content-length": String(Buffer.byteLength(body)) };
          response.writeHead(answer.statusCode ?? 502, headers);
          response.end(body);
        });
      });
      request.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });

  after(() => new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve())));

  const pinned = () => ({
    chainId: "31337",
    registry: suite.platform.chainAddresses.registry!,
    entitlement: suite.platform.chainAddresses.entitlement!,
  });

  async function buy(baseUrl: string, idempotencyKey: string) {
    const client = upstreamClient(baseUrl, apiKey, true);
    const checkout = (quantity = 1) =>
      client.POST("/api/orders", { body: { productId, quantity, paymentMethod: "epay" }, headers: { "idempotency-key": idempotencyKey } });
    const answers = await Promise.all(Array.from({ length: 8 }, () => checkout()));
    const orderIds = new Set(answers.map((answer) => ok(answer).order.id));
    expect(orderIds.size, "eight retries of one purchase").to.equal(1);
    const order = ok(answers[0]!).order;
    const stored = await queryRows<{ id: string }>(suite.platform.database.db, sql`SELECT id FROM orders WHERE idempotency_key = ${idempotencyKey}`);
    expect(stored.map((row) => row.id)).to.deep.equal([order.id]);
    const other = await checkout(2);
    expect(other.response.status).to.equal(409);
    expect((other.error as { code: string }).code).to.equal("idempotency_conflict");
    // Paid upstream (the sandbox gateway here; docs/docking.md names the balance payment to come).
    const paid = await suite.platform.http.get(notifyPath(supplier.shopId, signedNotification(supplier.sandbox, order, `UPO-${idempotencyKey}`)));
    expect(paid.text).to.equal("success");
    const item = await waitFor(
      "the upstream order's issuance",
      async () => {
        const view = ok(await client.GET("/api/orders/{orderId}", { params: { path: { orderId: order.id }, query: {} } }));
        const first = view.items[0];
        return view.state === "fulfilled" && first?.tokenId ? first : undefined;
      },
      120_000,
      250,
    );
    expect(item.state).to.equal("sealed");
    const sealed = ok(
      await client.GET("/api/orders/{orderId}/keys/{keyId}/certificate", { params: { path: { orderId: order.id, keyId: item.keyId }, query: {} } }),
    );
    const first = await checkSealedUpstreamKey(chain, pinned(), sealed);
    if (first.outcome !== "pass") throw new Error(`step 1: ${JSON.stringify(first)}`);
    const revealed = ok(
      await client.POST("/api/orders/{orderId}/reveal", { params: { path: { orderId: order.id } }, body: { entitlementIds: [item.entitlementId] } }),
    );
    const code = revealed.items[0]!.code!;
    const withSalt = ok(
      await client.GET("/api/orders/{orderId}/keys/{keyId}/certificate", { params: { path: { orderId: order.id, keyId: item.keyId }, query: {} } }),
    );
    return { client, order, item, code, second: checkRevealedUpstreamKey(first.certificate, withSalt, code) };
  }

  it("buys once for eight retries with one Idempotency-Key, and the key passes both steps of the gate", async () => {
    const { code, second } = await buy(suite.platform.url, `crossdock-${Date.now()}-0`);
    expect(keys).to.include(code);
    expect(second.outcome).to.equal("pass");
  });

  it("refuses a key altered between the instances and disputes the upstream order", async () => {
    const { client, order, code, second } = await buy(proxyUrl, `crossdock-${Date.now()}-1`);
    expect(keys).not.to.include(code);
    expect(second).to.deep.equal({ outcome: "refused", failures: ["key_commitment"] });
    const dispute = ok(
      await client.POST("/api/orders/{orderId}/disputes", {
        params: { path: { orderId: order.id } },
        body: { category: "key_invalid", statement: "Refused before resale: key_commitment failed against the anchored leaf." },
      }),
    );
    const row = await queryOne<{ order_id: string; category: string }>(
      suite.platform.database.db,
      sql`SELECT order_id, category FROM disputes WHERE id = ${dispute.id}`,
    );
    expect(row).to.deep.equal({ order_id: order.id, category: "key_invalid" });
  });
});
