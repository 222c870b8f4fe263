// Adding a supplier on another Keyledger instance (docs/docking.md, "Across instances") over
// real HTTP: the reseller's instance calls the upstream through the SDK, pins its chain and
// contracts, and stores the API key only encrypted with the shop's data key (decrypted here with
// node:crypto against the envelope's format, not with the code under test). Bad input (a URL in a
// private range, loopback in production mode, an upstream that does not answer, a key it refuses,
// a malformed key) answers a 4xx with its code and writes nothing; the key is in no log line, no
// audit row and no answer. The upstream here is a second platform on the same chain.
import { createDecipheriv } from "node:crypto";
import { expect } from "chai";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { loadShopDataKey } from "../../api/keys/shopDataKey.ts";
import { addRemoteSupplier } from "../../api/services/crossdock/remoteSuppliers.ts";
import { freePort } from "../../scripts/lib/localChain.ts";
import { setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import type { TestPlatform } from "../support/platform.ts";
import { startTwoInstances, type TwoInstances } from "../support/twoInstances.ts";

describe("docking across instances: adding a remote supplier (two platforms, HTTP, PostgreSQL)", function () {
  this.timeout(300_000);
  const logLines: string[] = [];
  let instances: TwoInstances;
  let downstream: TestPlatform;
  let upstream: TestPlatform;
  let reseller: MerchantSetup;
  let apiKey: string;

  before(async () => {
    // One chain, two deployments (test/support/twoInstances.ts); only the downstream's log is read.
    instances = await startTwoInstances({ logLevel: "debug", logDestination: { write: (line) => void logLines.push(line) } });
    ({ downstream, upstream } = instances);
    reseller = await setupMerchant(downstream);
    const upstreamAccount = await setupMerchant(upstream);
    const created = await upstreamAccount.merchant.post("/api/api-keys", {
      name: "reseller on instance A",
      scopes: ["products:read", "orders:read", "orders:write"],
    });
    expect(created.status, created.text).to.equal(201);
    apiKey = created.body.secret;
  });

  after(async () => {
    await instances?.stop();
  });

  const add = (body: Record<string, unknown>) => reseller.merchant.post(`/api/shops/${reseller.shopId}/docking/remote-suppliers`, body);

  it("adds the upstream: its contracts pinned, the key stored encrypted and shown only as a hint", async () => {
    const added = await add({ url: `${upstream.url}/`, apiKey });
    expect(added.status, added.text).to.equal(201);
    const keyId = apiKey.split("_")[2];
    expect(added.body).to.include({ shopId: reseller.shopId, url: upstream.url, apiKeyHint: `kl_live_${keyId}_${apiKey.slice(-43, -39)}…` });
    expect(added.body.registry).to.equal(upstream.chainAddresses.registry!.toLowerCase());
    expect(added.body.entitlement).to.equal(upstream.chainAddresses.entitlement!.toLowerCase());
    // The upstream's own deployment, not the downstream's.
    expect(added.body.registry).not.to.equal(downstream.chainAddresses.registry!.toLowerCase());
    expect(added.body.chainId).to.equal("31337");

    const row = await queryOne<{ api_key_encrypted: Buffer }>(
      downstream.database.db,
      sql`SELECT api_key_encrypted FROM remote_suppliers WHERE id = ${added.body.id}`,
    );
    const stored = Buffer.from(row!.api_key_encrypted);
    expect(stored.includes(Buffer.from(apiKey))).to.equal(false);
    // The envelope (docs/keys.md): version byte, 12-byte nonce, ciphertext, 16-byte tag; AES-256-GCM
    // with the additional data naming the shop and the row.
    const dataKey = await loadShopDataKey(downstream.database.db, downstream.ctx.keyRing, BigInt(reseller.shopId));
    expect(openEnvelope(dataKey, stored, `keyledger/remote-supplier-key/v1|shop=${reseller.shopId}|supplier=${added.body.id}`)).to.equal(apiKey);

    const listed = await reseller.merchant.get(`/api/shops/${reseller.shopId}/docking/remote-suppliers`);
    expect(listed.status).to.equal(200);
    expect(listed.body.items.map((item: { id: string }) => item.id)).to.deep.equal([added.body.id]);
    expect(listed.text).not.to.include(apiKey.slice(-43));

    const again = await add({ url: upstream.url, apiKey });
    expect(again.status, again.text).to.equal(409);
    expect(again.body.code).to.equal("conflict");

    const audit = await queryRows<{ details: unknown }>(
      downstream.database.db,
      sql`SELECT details FROM audit_log WHERE action = 'docking.remote_supplier.add'`,
    );
    expect(audit).to.have.length(1);
    expect(JSON.stringify(audit)).not.to.include(apiKey.slice(-43));
    expect(logLines.join("\n")).not.to.include(apiKey.slice(-43));
  });

  it("refuses bad input with its code and writes nothing; the key is in no answer or log", async () => {
    const before = await supplierCount();
    const deadPort = await freePort();
    const wrongKey = `kl_live_${apiKey.split("_")[2]}_${"A".repeat(43)}`;
    const cases: [string, Record<string, unknown>, number, string][] = [
      ["a private address", { url: "http://10.20.30.40:8080", apiKey }, 422, "webhook_url_refused"],
      ["a link-local address", { url: "http://169.254.169.254/", apiKey }, 422, "webhook_url_refused"],
      ["an upstream that does not answer", { url: `http://127.0.0.1:${deadPort}`, apiKey }, 422, "remote_supplier_unreachable"],
      ["a key the upstream refuses", { url: upstream.url, apiKey: wrongKey }, 422, "remote_supplier_key_refused"],
      ["a malformed key", { url: upstream.url, apiKey: "not-a-key" }, 400, "validation_failed"],
      ["not a URL", { url: "upstream.example", apiKey }, 400, "validation_failed"],
      ["a URL with credentials", { url: `http://user:pw@127.0.0.1:${deadPort}`, apiKey }, 400, "validation_failed"],
    ];
    for (const [what, body, status, code] of cases) {
      const answer = await add(body);
      expect(answer.status, `${what}: ${answer.text}`).to.equal(status);
      expect(answer.body.code, what).to.equal(code);
      expect(answer.text, what).not.to.include(apiKey.slice(-43));
    }
    // Production mode refuses loopback too (the webhooks' rule, core/config.ts webhooks.allowLoopback).
    const production = addRemoteSupplier(
      { db: downstream.database.db, keyRing: downstream.ctx.keyRing, allowLoopback: false, chainId: downstream.ctx.chain!.chainId },
      { shopId: BigInt(reseller.shopId), accountId: 1n, url: upstream.url, apiKey },
    );
    await expectAppError(production, "webhook_url_refused");
    // Another merchant cannot add suppliers to this shop.
    const other = await setupMerchant(downstream);
    const foreign = await other.merchant.post(`/api/shops/${reseller.shopId}/docking/remote-suppliers`, { url: upstream.url, apiKey });
    expect(foreign.status).to.equal(403);
    expect(await supplierCount()).to.equal(before);
    expect(logLines.join("\n")).not.to.include(apiKey.slice(-43));
  });

  async function supplierCount() {
    return (await queryOne<{ n: number }>(downstream.database.db, sql`SELECT count(*)::int AS n FROM remote_suppliers`))!.n;
  }
});

function openEnvelope(dataKey: Buffer, envelope: Buffer, aad: string): string {
  const nonce = envelope.subarray(1, 13);
  const tag = envelope.subarray(envelope.length - 16);
  const decipher = createDecipheriv("aes-256-gcm", dataKey, nonce);
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(envelope.subarray(13, envelope.length - 16)), decipher.final()]).toString("utf8");
}

async function expectAppError(promise: Promise<unknown>, code: string) {
  try {
    await promise;
  } catch (error) {
    expect((error as { code?: string }).code).to.equal(code);
    return;
  }
  throw new Error(`expected ${code}`);
}
