// The plan's limits on webhook endpoints and API keys (docs/saas.md, "Plans and fees"), through the
// real HTTP API with SAAS_LIMITS_ENFORCED on: the free plan's limits are set low with the admin
// plan API, each creation up to the limit passes, the next is 409 plan_limit_exceeded with nothing
// written (rows counted in the database), parallel key creations with room for fewer let exactly
// the room through, an account's allowance follows the most generous plan among its shops, and a
// downgrade below the endpoints or keys in use is refused.
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import { queryOne, sql } from "../../core/store/database.ts";
import { assertStockRoom } from "../../api/services/saas/verificationLimits.ts";
import { assertImportQuota } from "../../api/services/shops/merchantQuotas.ts";
import { startTestPlatform, type HttpClient, type TestPlatform } from "../support/platform.ts";
import { createStaffAccount, type StaffAccount } from "../support/staff.ts";

describe("plan limits on webhook endpoints and API keys (HTTP, PostgreSQL)", function () {
  this.timeout(300_000);
  let platform: TestPlatform;
  let admin: StaffAccount;
  // Set below by hand: the figures every expectation is worked out from.
  const freeWebhooksMax = 3;
  const freeApiKeysMax = 3;

  before(async () => {
    platform = await startTestPlatform({ env: { SAAS_LIMITS_ENFORCED: "true" } });
    admin = await createStaffAccount(platform, "plan-limits-admin", ["admin"]);
    const plans = await platform.http.get("/api/plans");
    const free = plans.body.items.find((plan: { code: string }) => plan.code === "free");
    const { code: _code, ...rest } = free;
    const edited = await admin.http.put("/api/admin/plans/free", { ...rest, webhooksMax: freeWebhooksMax, apiKeysMax: freeApiKeysMax });
    expect(edited.status, edited.text).to.equal(200);
  });
  after(async () => {
    await platform?.stopAll();
  });

  const count = async (query: ReturnType<typeof sql>) =>
    Number((await queryOne<{ n: string }>(platform.database.db, sql`SELECT count(*) AS n FROM ${query}`))!.n);
  const endpointsOf = (shopId: string) => count(sql`webhook_endpoints WHERE shop_id = ${BigInt(shopId)}`);
  const secretsOf = (shopId: string) => count(sql`webhook_secrets s JOIN webhook_endpoints w ON w.id = s.endpoint_id WHERE w.shop_id = ${BigInt(shopId)}`);
  const keysOf = (accountId: string) => count(sql`api_keys WHERE account_id = ${BigInt(accountId)}`);
  const auditsOf = (action: string, accountId: string) => count(sql`audit_log WHERE action = ${action} AND account_id = ${BigInt(accountId)}`);

  /** A merchant (or a reseller: roles; email confirmed in the database: the journey test covers the mail) with a shop on the free plan. */
  async function merchantWithShop(label: string, shop = true, roles = ["merchant"]): Promise<{ client: HttpClient; accountId: string; shopId: string }> {
    const suffix = randomBytes(4).toString("hex");
    const signup = await platform.http.post("/api/auth/signup", {
      email: `${label}-${suffix}@example.com`,
      password: "merchant-password-1",
      roles,
    });
    expect(signup.status, signup.text).to.equal(201);
    const client = platform.http.as(signup.body.token);
    const me = await client.get("/api/me");
    const accountId = String(me.body.id);
    await platform.database.db.execute(sql`UPDATE accounts SET email_confirmed_at = now() WHERE id = ${BigInt(accountId)}`);
    if (!shop) return { client, accountId, shopId: "" };
    const created = await client.post("/api/shops", { slug: `${label}-${suffix}`, name: `Shop ${suffix}` });
    expect(created.status, created.text).to.equal(201);
    return { client, accountId, shopId: created.body.id };
  }
  const addEndpoint = (client: HttpClient, shopId: string, n: number) =>
    client.post(`/api/shops/${shopId}/webhooks`, { url: `http://127.0.0.1:9/hook-${n}`, events: ["order.paid"] });
  const addKey = (client: HttpClient, n: number) => client.post("/api/api-keys", { name: `key ${n}`, scopes: ["products:read"] });

  it("webhook endpoints: up to the plan's webhooks_max, then 409 with nothing written; a downgrade below them is refused", async () => {
    const { client, accountId, shopId } = await merchantWithShop("hooks");
    for (let n = 1; n <= freeWebhooksMax; n++) {
      const created = await addEndpoint(client, shopId, n);
      expect(created.status, created.text).to.equal(201);
    }
    const refused = await addEndpoint(client, shopId, freeWebhooksMax + 1);
    expect(refused.status, refused.text).to.equal(409);
    expect(refused.body.code).to.equal("plan_limit_exceeded");
    expect(refused.body.message).to.equal(
      "The Free plan allows at most 3 active webhook endpoints (the shop has 3, this adds 1). Upgrade the plan or pause one first (active: false).",
    );
    expect(refused.body.details).to.deep.equal({ limit: "webhooks", max: 3, used: 3, adding: 1, plan: "free" });
    expect(await endpointsOf(shopId)).to.equal(3);
    expect(await secretsOf(shopId)).to.equal(3);
    expect(await auditsOf("webhook.create", accountId)).to.equal(3);
    const usage = await client.get(`/api/shops/${shopId}/usage`);
    expect(usage.body.usage.webhooks).to.equal(3);

    // On pro (20) two more fit; back to free (3) with 5 in use is refused, the plan unchanged.
    const toPro = await admin.http.put(`/api/admin/shops/${shopId}/plan`, { plan: "pro" });
    expect(toPro.status, toPro.text).to.equal(200);
    for (const n of [4, 5]) expect((await addEndpoint(client, shopId, n)).status).to.equal(201);
    const downgrade = await admin.http.put(`/api/admin/shops/${shopId}/plan`, { plan: "free" });
    expect(downgrade.status, downgrade.text).to.equal(409);
    expect(downgrade.body.code).to.equal("plan_downgrade_below_usage");
    expect(downgrade.body.details.over).to.deep.equal([{ limit: "webhooks", used: 5, max: 3 }]);
    expect(await count(sql`shops WHERE id = ${BigInt(shopId)} AND plan_code = 'pro'`)).to.equal(1);
    expect(await endpointsOf(shopId)).to.equal(5);

    // Paused endpoints get no deliveries and do not count: with 2 of 5 paused (3 active) the move
    // back passes; resuming one on free is then refused, nothing changes; pausing another makes room.
    const endpoints = (await client.get(`/api/shops/${shopId}/webhooks`)).body.endpoints as { id: string }[];
    const patch = (id: string, active: boolean) => client.patch(`/api/shops/${shopId}/webhooks/${id}`, { active });
    for (const endpoint of endpoints.slice(0, 2)) expect((await patch(endpoint.id, false)).status).to.equal(200);
    const moved = await admin.http.put(`/api/admin/shops/${shopId}/plan`, { plan: "free" });
    expect(moved.status, moved.text).to.equal(200);
    const resumed = await patch(endpoints[0]!.id, true);
    expect(resumed.status, resumed.text).to.equal(409);
    expect(resumed.body.details).to.deep.equal({ limit: "webhooks", max: 3, used: 3, adding: 1, plan: "free" });
    expect(await count(sql`webhook_endpoints WHERE shop_id = ${BigInt(shopId)} AND active`)).to.equal(3);
    expect((await patch(endpoints[2]!.id, false)).status).to.equal(200);
    expect((await patch(endpoints[0]!.id, true)).status).to.equal(200);
    expect((await patch(endpoints[0]!.id, true)).status).to.equal(200); // already active: takes no new place
    expect(await count(sql`webhook_endpoints WHERE shop_id = ${BigInt(shopId)} AND active`)).to.equal(3);
  });

  it("API keys: parallel creations with room for fewer let exactly the room through; revoked keys free room", async () => {
    const { client, accountId } = await merchantWithShop("keys");
    expect((await addKey(client, 0)).status).to.equal(201);
    // Room for 2 more (3 - 1); 8 at once: exactly 2 pass, 6 are refused, 3 rows in all.
    const answers = await Promise.all(Array.from({ length: 8 }, (_, n) => addKey(client, n + 1)));
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 201)).to.have.length(2);
    expect(statuses.filter((status) => status === 409)).to.have.length(6);
    for (const answer of answers.filter((a) => a.status === 409)) {
      expect(answer.body.code).to.equal("plan_limit_exceeded");
      expect(answer.body.details).to.deep.equal({ limit: "apiKeys", max: 3, used: 3, adding: 1, plan: "free" });
    }
    expect(await keysOf(accountId)).to.equal(3);
    expect(await auditsOf("api_key.create", accountId)).to.equal(3);

    const one = answers.find((answer) => answer.status === 201)!.body;
    const keyId = one.key.id;
    expect((await client.post(`/api/api-keys/${keyId}/revoke`)).status).to.equal(200);
    expect((await addKey(client, 9)).status).to.equal(201);
    expect((await addKey(client, 10)).status).to.equal(409);
    expect(await keysOf(accountId)).to.equal(4); // 3 live + 1 revoked
  });

  it("API keys: the most generous plan among the account's shops; none: the free plan's; a downgrade below the keys in use is refused", async () => {
    const noShop = await merchantWithShop("noshop", false);
    for (let n = 0; n < freeApiKeysMax; n++) expect((await addKey(noShop.client, n)).status).to.equal(201);
    expect((await addKey(noShop.client, 99)).status).to.equal(409);

    // Two shops, one moved to pro: the account gets pro's allowance; a second free shop adds nothing.
    const owner = await merchantWithShop("twoshops");
    const second = await owner.client.post("/api/shops", { slug: `second-${randomBytes(4).toString("hex")}`, name: "Second" });
    expect(second.status, second.text).to.equal(201);
    for (let n = 0; n < freeApiKeysMax; n++) expect((await addKey(owner.client, n)).status).to.equal(201);
    expect((await addKey(owner.client, 3)).status).to.equal(409);
    expect((await admin.http.put(`/api/admin/shops/${second.body.id}/plan`, { plan: "pro" })).status).to.equal(200);
    const more = await Promise.all([3, 4].map((n) => addKey(owner.client, n)));
    expect(more.map((answer) => answer.status)).to.deep.equal([201, 201]);
    expect(await keysOf(owner.accountId)).to.equal(5);

    // The pro shop back to free would leave 5 keys against an allowance of 3: refused, nothing changes.
    const downgrade = await admin.http.put(`/api/admin/shops/${second.body.id}/plan`, { plan: "free" });
    expect(downgrade.status, downgrade.text).to.equal(409);
    expect(downgrade.body.code).to.equal("plan_downgrade_below_usage");
    expect(downgrade.body.details.over).to.deep.equal([{ limit: "apiKeys", used: 5, max: 3, account: owner.accountId }]);
    expect(await count(sql`shops WHERE id = ${BigInt(second.body.id)} AND plan_code = 'pro'`)).to.equal(1);
    // The other shop may move to free (it is): the pro shop still gives the account 20 >= 5.
    const other = await admin.http.put(`/api/admin/shops/${owner.shopId}/plan`, { plan: "free" });
    expect(other.status, other.text).to.equal(200);
  });

  it("API keys: a downgrade racing a key creation: exactly one of them passes, never both (10 rounds)", async () => {
    const owner = await merchantWithShop("race");
    expect((await admin.http.put(`/api/admin/shops/${owner.shopId}/plan`, { plan: "pro" })).status).to.equal(200);
    for (let n = 0; n < freeApiKeysMax; n++) expect((await addKey(owner.client, n)).status).to.equal(201);
    for (let round = 0; round < 10; round++) {
      // 3 live keys on pro: the move to free (3) passes only without a 4th key, the 4th only on pro.
      const [moved, created] = await Promise.all([
        admin.http.put(`/api/admin/shops/${owner.shopId}/plan`, { plan: "free" }),
        addKey(owner.client, 100 + round),
      ]);
      expect(
        [moved.status, created.status].filter((status) => status < 300),
        `round ${round}: ${moved.text} ${created.text}`,
      ).to.have.length(1);
      const live = await count(sql`api_keys WHERE account_id = ${BigInt(owner.accountId)} AND revoked_at IS NULL`);
      const onFree = await count(sql`shops WHERE id = ${BigInt(owner.shopId)} AND plan_code = 'free'`);
      expect(onFree === 1 ? live <= freeApiKeysMax : live === freeApiKeysMax + 1, `round ${round}`).to.equal(true);
      if (onFree === 1) expect((await admin.http.put(`/api/admin/shops/${owner.shopId}/plan`, { plan: "pro" })).status).to.equal(200);
      if (created.status === 201) expect((await owner.client.post(`/api/api-keys/${created.body.key.id}/revoke`)).status).to.equal(200);
    }
  });

  it("API keys: key creations beside product and webhook creations of the owner's shop never deadlock", async () => {
    // A product or endpoint creation holds the shop's row lock and then writes an audit row that
    // references the account (a key-share lock on it); a key creation locks the account, then
    // share-locks the shop. The account lock must not conflict with the key-share lock.
    const owner = await merchantWithShop("mixed");
    expect((await admin.http.put(`/api/admin/shops/${owner.shopId}/plan`, { plan: "pro" })).status).to.equal(200);
    for (let round = 0; round < 5; round++) {
      const answers = await Promise.all([
        ...Array.from({ length: 3 }, (_, n) =>
          owner.client.post(`/api/shops/${owner.shopId}/products`, {
            name: `Card ${round}-${n}`,
            category: "game_card",
            priceMinor: "1000",
            currency: "CNY",
            quantityMax: 10,
          }),
        ),
        addEndpoint(owner.client, owner.shopId, 200 + round),
        ...Array.from({ length: 3 }, (_, n) => addKey(owner.client, 300 + round * 3 + n)),
      ]);
      for (const answer of answers) expect(answer.status, answer.text).to.be.oneOf([201, 409]);
      for (const answer of answers.slice(-3))
        if (answer.status === 201) expect((await owner.client.post(`/api/api-keys/${answer.body.key.id}/revoke`)).status).to.equal(200);
    }
  });

  it("an import's quota check beside a webhook endpoint creation of the same shop never deadlocks", async () => {
    // The import takes the owner's account lock (merchant quotas), then the shop's (keys in stock);
    // the endpoint creation takes the shop's, then writes an audit row referencing the account (a
    // key-share lock). Played in the worst order, step by step: with the account locked FOR UPDATE
    // PostgreSQL found a deadlock here and cancelled one of the two.
    const owner = await merchantWithShop("import-vs-hook");
    const shopId = BigInt(owner.shopId);
    const quotas = { shopsMax: 10, importsPerDayMax: 100, keysPerDayMax: 100_000 };
    let endpoint: Awaited<ReturnType<typeof addEndpoint>> | undefined;
    await platform.database.db.transaction(async (tx) => {
      await assertImportQuota(tx, BigInt(owner.accountId), 5, quotas);
      const creation = addEndpoint(owner.client, owner.shopId, 900).then((answer) => {
        endpoint = answer;
        return answer;
      });
      // Long enough for the creation to take the shop's lock and reach its audit row.
      await Promise.race([creation, new Promise((resolve) => setTimeout(resolve, 1500))]);
      await assertStockRoom(tx, shopId, 5);
      await creation;
    });
    expect(endpoint?.status, endpoint?.text).to.equal(201);
    expect(await endpointsOf(owner.shopId)).to.equal(1);
  });

  it("API keys: an agent's allowance follows the plan of the shop it sells for; that shop's downgrade counts the agent's keys", async () => {
    const agent = await merchantWithShop("agent", false, ["reseller"]);
    for (let n = 0; n < freeApiKeysMax; n++) expect((await addKey(agent.client, n)).status).to.equal(201);
    expect((await addKey(agent.client, 3)).status).to.equal(409);
    const shop = await merchantWithShop("proshop");
    expect((await admin.http.put(`/api/admin/shops/${shop.shopId}/plan`, { plan: "pro" })).status).to.equal(200);
    const invitation = await shop.client.post(`/api/shops/${shop.shopId}/agent-invitations`);
    expect(invitation.status, invitation.text).to.equal(201);
    const joined = await agent.client.post("/api/agent-invitations/accept", {
      token: invitation.body.token,
      slug: `agent-${randomBytes(4).toString("hex")}`,
      name: "Agent store",
      colour: "#336699",
    });
    expect(joined.status, joined.text).to.equal(201);
    expect((await addKey(agent.client, 3)).status).to.equal(201); // pro's 20 now
    expect(await keysOf(agent.accountId)).to.equal(4);
    const downgrade = await admin.http.put(`/api/admin/shops/${shop.shopId}/plan`, { plan: "free" });
    expect(downgrade.status, downgrade.text).to.equal(409);
    expect(downgrade.body.details.over).to.deep.equal([{ limit: "apiKeys", used: 4, max: 3, account: agent.accountId }]);
  });
});
