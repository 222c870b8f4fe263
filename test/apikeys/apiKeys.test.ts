// Scoped API keys (issue 17 item 1, docs/api-keys.md) against the running platform over real
// HTTP: the secret shown once and kept only as a keyed hash, scopes enforced before the route's
// own rules, expiry, revocation, the allow-list, the per-key rate limit and the audit of every
// call. Expected hashes are computed here with node:crypto, not with the code under test.
import { createHash, createHmac } from "node:crypto";
import { expect } from "chai";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { auditCaller, recordAudit } from "../../api/services/audit.ts";
import { createProduct, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { usePlatform, type HttpClient } from "../support/platform.ts";

const requestsPerMinute = 30;

describe("API keys", function () {
  this.timeout(300_000);
  const suite = usePlatform({ env: { API_KEY_REQUESTS_PER_MINUTE_MAX: String(requestsPerMinute) } });
  let merchantA: MerchantSetup;
  let merchantB: MerchantSetup;
  let productA: string;

  before(async () => {
    [merchantA, merchantB] = await Promise.all([setupMerchant(suite.platform), setupMerchant(suite.platform)]);
    productA = await createProduct(merchantA);
  });

  const db = () => suite.platform.database.db;
  const withKey = (secret: string): HttpClient => suite.platform.http.as(secret);

  async function createKey(owner: HttpClient, body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
    const created = await owner.post("/api/api-keys", { name: "test key", ...body });
    expect(created.status, created.text).to.equal(201);
    return { id: created.body.key.id, secret: created.body.secret };
  }
  const productCount = async (shopId: string) =>
    Number((await queryOne<{ n: string }>(db(), sql`SELECT count(*) AS n FROM products WHERE shop_id = ${shopId}`))!.n);
  const keyRows = async () => Number((await queryOne<{ n: string }>(db(), sql`SELECT count(*) AS n FROM api_keys`))!.n);

  describe("creation", () => {
    it("shows the secret once, lists the key without it, and stores only HMAC(API_KEY_HASH_KEY, secret)", async () => {
      const created = await merchantA.merchant.post("/api/api-keys", { name: "ERP sync", scopes: ["products:read", "orders:read"] });
      expect(created.status, created.text).to.equal(201);
      const { key, secret } = created.body;
      expect(secret).to.match(new RegExp(`^kl_live_${key.id}_[A-Za-z0-9_-]{43}$`));
      expect(key).to.deep.include({ name: "ERP sync", scopes: ["products:read", "orders:read"], expiresAt: null, allowedNetworks: [], revokedAt: null });
      expect(secret.startsWith(key.hint.replace("…", ""))).to.equal(true);

      const random = secret.slice(-43);
      const listed = await merchantA.merchant.get("/api/api-keys");
      expect(listed.status).to.equal(200);
      expect(listed.body.items.map((item: { id: string }) => item.id)).to.include(key.id);
      expect(listed.text).not.to.include(random);

      // At rest: no column holds the secret or its random part, the hash is keyed (not SHA-256).
      const row = await queryOne<{ secret_hash: Uint8Array; as_text: string }>(
        db(),
        sql`SELECT secret_hash, row_to_json(k)::text AS as_text FROM api_keys k WHERE id = ${key.id}`,
      );
      expect(row!.as_text).not.to.include(random);
      expect(row!.as_text).not.to.include(Buffer.from(secret).toString("hex"));
      const stored = Buffer.from(row!.secret_hash);
      expect(stored.equals(createHmac("sha256", suite.platform.ctx.config.apiKeys.hashKey).update(secret).digest())).to.equal(true);
      expect(stored.equals(createHash("sha256").update(secret).digest())).to.equal(false);
      const audit = await queryOne<{ account_id: string }>(
        db(),
        sql`SELECT account_id FROM audit_log WHERE action = 'api_key.create' AND subject = ${`api_key:${key.id}`}`,
      );
      expect(audit).to.not.equal(undefined);
    });

    it("refuses unknown scopes, bad networks, a past expiry and non-owner roles with a 4xx, writing nothing", async () => {
      const before = await keyRows();
      const unknownScope = await merchantA.merchant.post("/api/api-keys", { name: "x", scopes: ["products:read", "admin:all"] });
      expect(unknownScope.status).to.equal(400);
      expect(unknownScope.body.code).to.equal("validation_failed");
      expect(unknownScope.body.message).to.include("products:read");
      const noScope = await merchantA.merchant.post("/api/api-keys", { name: "x", scopes: [] });
      expect(noScope.status).to.equal(400);
      const badNetwork = await merchantA.merchant.post("/api/api-keys", { name: "x", scopes: ["orders:read"], allowedNetworks: ["10.0.0.0/33"] });
      expect(badNetwork.status).to.equal(400);
      expect(badNetwork.body.message).to.include("10.0.0.0/33");
      const past = await merchantA.merchant.post("/api/api-keys", { name: "x", scopes: ["orders:read"], expiresAt: "2020-01-01T00:00:00Z" });
      expect(past.status).to.equal(400);
      expect(past.body.message).to.include("expiresAt");
      const buyer = await suite.platform.http.post("/api/auth/signup", { email: "apikeys-buyer@example.com", password: "buyer-password-1" });
      const byBuyer = await suite.platform.http.as(buyer.body.token).post("/api/api-keys", { name: "x", scopes: ["orders:read"] });
      expect(byBuyer.status).to.equal(403);
      expect((await suite.platform.http.post("/api/api-keys", { name: "x", scopes: ["orders:read"] })).status).to.equal(401);
      expect(await keyRows()).to.equal(before);
    });
  });

  describe("scopes", () => {
    it("a key opens only the routes of its scopes: 403 api_key_scope elsewhere, whatever its owner may do, and nothing written", async () => {
      const reader = await createKey(merchantA.merchant, { scopes: ["products:read"] });
      const listed = await withKey(reader.secret).get(`/api/shops/${merchantA.shopId}/products`);
      expect(listed.status, listed.text).to.equal(200);
      expect(listed.body.items.map((item: { id: string }) => item.id)).to.include(productA);

      const before = await productCount(merchantA.shopId);
      const create = await withKey(reader.secret).post(`/api/shops/${merchantA.shopId}/products`, {
        name: "Out of scope",
        category: "game_card",
        priceMinor: "100",
        currency: "CNY",
      });
      expect(create.status, create.text).to.equal(403);
      expect(create.body.code).to.equal("api_key_scope");
      expect(create.body.details).to.deep.equal({ requiredScope: "products:write", keyScopes: ["products:read"] });
      expect(await productCount(merchantA.shopId)).to.equal(before);

      // Routes no scope opens (the account, key management itself), and a lean (public) checkout,
      // which only orders:write opens (docs/docking.md, "Across instances").
      for (const [method, path, body, requiredScope] of [
        ["GET", "/api/me", undefined, null],
        ["GET", "/api/api-keys", undefined, null],
        ["POST", "/api/api-keys", { name: "minted", scopes: ["products:read"] }, null],
        ["POST", "/api/orders", { productId: productA, quantity: 1, contact: "a@example.com", queryPassword: "secret-123" }, "orders:write"],
        ["GET", "/api/merchant/quotas", undefined, null],
      ] as const) {
        const answer = await withKey(reader.secret).request(method, path, body);
        expect(answer.status, `${method} ${path}: ${answer.text}`).to.equal(403);
        expect(answer.body.code, `${method} ${path}`).to.equal("api_key_scope");
        expect(answer.body.details.requiredScope).to.equal(requiredScope);
      }
      expect(Number((await queryOne<{ n: string }>(db(), sql`SELECT count(*) AS n FROM orders WHERE product_id = ${productA}`))!.n)).to.equal(0);
    });

    it("a key with products:write and keys:import acts as its owner: creates a product and imports keys in its shop, not in another's", async () => {
      const writer = await createKey(merchantA.merchant, { scopes: ["products:write", "keys:import"] });
      const created = await withKey(writer.secret).post(`/api/shops/${merchantA.shopId}/products`, {
        name: "Made by a key",
        category: "software_licence",
        priceMinor: "2500",
        currency: "CNY",
      });
      expect(created.status, created.text).to.equal(201);
      const row = await queryOne<{ shop_id: string; name: string }>(db(), sql`SELECT shop_id, name FROM products WHERE id = ${created.body.id}`);
      expect({ shopId: String(row!.shop_id), name: row!.name }).to.deep.equal({ shopId: merchantA.shopId, name: "Made by a key" });

      const keys = randomKeys(3, "APIKEY");
      const imported = await withKey(writer.secret).request("POST", `/api/products/${created.body.id}/imports`, keys.join("\n"), {
        "content-type": "text/plain",
      });
      expect(imported.status, imported.text).to.equal(202);
      const importRow = await queryOne<{ total: number }>(db(), sql`SELECT total FROM imports WHERE id = ${imported.body.importId}`);
      expect(Number(importRow!.total)).to.equal(3);

      // The owner's rules still hold: merchant B's shop is not merchant A's.
      const before = await productCount(merchantB.shopId);
      const elsewhere = await withKey(writer.secret).post(`/api/shops/${merchantB.shopId}/products`, {
        name: "Not mine",
        category: "game_card",
        priceMinor: "100",
        currency: "CNY",
      });
      expect(elsewhere.status).to.equal(403);
      expect(elsewhere.body.code).to.equal("forbidden");
      expect(await productCount(merchantB.shopId)).to.equal(before);
    });

    it("the OpenAPI document names each route's scope and the API key security scheme", async () => {
      const document = (await suite.platform.http.get("/api/openapi.json")).body;
      expect(document.components.securitySchemes.apiKey).to.deep.include({ type: "http", scheme: "bearer" });
      const create = document.paths["/api/shops/{shopId}/products"].post;
      expect(create["x-scope"]).to.equal("products:write");
      expect(create.security).to.deep.equal([{ bearer: [] }, { apiKey: ["products:write"] }]);
      expect(document.paths["/api/shops/{shopId}/products"].get.security).to.deep.equal([{}, { apiKey: ["products:read"] }]);
      expect(document.paths["/api/me"].get["x-scope"]).to.equal(undefined);
      expect(document.paths["/api/me"].get.security).to.deep.equal([{ bearer: [] }]);
    });
  });

  describe("unusable keys", () => {
    it("an unknown id or a wrong secret is 401 api_key_invalid, alike", async () => {
      const real = await createKey(merchantA.merchant, { scopes: ["products:read"] });
      const wrongSecret = `${real.secret.slice(0, -43)}${"A".repeat(43)}`;
      for (const secret of [wrongSecret, `kl_live_999999_${"B".repeat(43)}`, "kl_live_garbage"]) {
        const answer = await withKey(secret).get(`/api/shops/${merchantA.shopId}/products`);
        expect(answer.status, secret).to.equal(401);
        expect(answer.body.code).to.equal("api_key_invalid");
      }
    });

    it("an expired key is 401 api_key_expired", async () => {
      const soon = await createKey(merchantA.merchant, { scopes: ["products:read"], expiresAt: new Date(Date.now() + 1500).toISOString() });
      expect((await withKey(soon.secret).get(`/api/products/${productA}`)).status).to.equal(200);
      await new Promise((resolve) => setTimeout(resolve, 1600));
      const late = await withKey(soon.secret).get(`/api/products/${productA}`);
      expect(late.status).to.equal(401);
      expect(late.body.code).to.equal("api_key_expired");
    });

    it("a revoked key is 401 api_key_revoked; only its owner revokes it", async () => {
      const key = await createKey(merchantA.merchant, { scopes: ["products:read"] });
      expect((await withKey(key.secret).get(`/api/products/${productA}`)).status).to.equal(200);
      const byOther = await merchantB.merchant.post(`/api/api-keys/${key.id}/revoke`);
      expect(byOther.status).to.equal(404);
      expect((await withKey(key.secret).get(`/api/products/${productA}`)).status).to.equal(200);
      const revoked = await merchantA.merchant.post(`/api/api-keys/${key.id}/revoke`);
      expect(revoked.status, revoked.text).to.equal(200);
      expect(revoked.body.revokedAt).to.be.a("string");
      const after = await withKey(key.secret).get(`/api/products/${productA}`);
      expect(after.status).to.equal(401);
      expect(after.body.code).to.equal("api_key_revoked");
    });

    it("the allow-list: outside it 403 api_key_address; inside it (v4 and v6, via the trusted local proxy's X-Forwarded-For) allowed", async () => {
      // The suite calls over loopback, and a proxy on this machine is trusted to name the client
      // (api/http/clientAddress.ts), so X-Forwarded-For stands for a client elsewhere.
      const office = await createKey(merchantA.merchant, { scopes: ["products:read"], allowedNetworks: ["203.0.113.0/24", "2001:db8::/32"] });
      const path = `/api/products/${productA}`;
      const fromHere = await withKey(office.secret).get(path);
      expect(fromHere.status).to.equal(403);
      expect(fromHere.body.code).to.equal("api_key_address");
      for (const [address, status] of [
        ["203.0.113.7", 200],
        ["203.0.114.7", 403],
        ["2001:db8::5", 200],
        ["2001:db9::5", 403],
      ] as const) {
        const answer = await withKey(office.secret).request("GET", path, undefined, { "x-forwarded-for": address });
        expect(answer.status, address).to.equal(status);
      }
      const local = await createKey(merchantA.merchant, { scopes: ["products:read"], allowedNetworks: ["127.0.0.0/8", "::1/128"] });
      expect((await withKey(local.secret).get(path)).status).to.equal(200);
    });
  });

  it(`rate limit per key: of 40 parallel calls ${requestsPerMinute} pass, the rest 429 with Retry-After; another key is unaffected`, async () => {
    const busy = await createKey(merchantA.merchant, { scopes: ["products:read"] });
    const other = await createKey(merchantA.merchant, { scopes: ["products:read"] });
    const answers = await Promise.all(Array.from({ length: 40 }, () => withKey(busy.secret).get(`/api/products/${productA}`)));
    expect(answers.filter((answer) => answer.status === 200)).to.have.length(requestsPerMinute);
    const limited = answers.filter((answer) => answer.status === 429);
    expect(limited).to.have.length(40 - requestsPerMinute);
    expect(limited[0]!.body.code).to.equal("rate_limited");
    expect(Number(limited[0]!.headers.get("retry-after"))).to.be.within(1, 60);
    expect((await withKey(other.secret).get(`/api/products/${productA}`)).status).to.equal(200);
  });

  it("every call made with a key is in the audit log with the key's id, refused ones included; rows a call writes name the key", async () => {
    const key = await createKey(merchantA.merchant, { scopes: ["orders:read"] });
    const calls = [
      await withKey(key.secret).get(`/api/shops/${merchantA.shopId}/orders`),
      await withKey(key.secret).get(`/api/shops/${merchantA.shopId}/sales`),
      await withKey(key.secret).get("/api/me"),
    ];
    expect(calls.map((call) => call.status)).to.deep.equal([200, 200, 403]);
    const rows = await queryRows<{ account_id: string; details: { method: string; path: string }; api_key_id: string }>(
      db(),
      sql`SELECT account_id, details, api_key_id FROM audit_log WHERE action = 'api_key.call' AND api_key_id = ${key.id} ORDER BY id`,
    );
    expect(rows.map((row) => `${row.details.method} ${row.details.path}`)).to.deep.equal([
      `GET /api/shops/${merchantA.shopId}/orders`,
      `GET /api/shops/${merchantA.shopId}/sales`,
      "GET /api/me",
    ]);
    const owner = (await merchantA.merchant.get("/api/me")).body.id;
    expect(rows.every((row) => String(row.account_id) === owner)).to.equal(true);
    const lastUsed = await queryOne<{ last_used_at: Date | null }>(db(), sql`SELECT last_used_at FROM api_keys WHERE id = ${key.id}`);
    expect(lastUsed!.last_used_at).to.not.equal(null);

    // A privileged change inside a key's request: its audit row carries the key (auditCaller).
    await auditCaller.run({ apiKeyId: BigInt(key.id) }, () => recordAudit(db(), { accountId: BigInt(owner), action: "test.inside_key_call" }));
    await recordAudit(db(), { accountId: BigInt(owner), action: "test.outside_key_call" });
    const tagged = await queryRows<{ action: string; api_key_id: string | null }>(
      db(),
      sql`SELECT action, api_key_id FROM audit_log WHERE action LIKE 'test.%' ORDER BY id`,
    );
    expect(tagged.map((row) => [row.action, row.api_key_id === null ? null : String(row.api_key_id)])).to.deep.equal([
      ["test.inside_key_call", key.id],
      ["test.outside_key_call", null],
    ]);
  });
});
