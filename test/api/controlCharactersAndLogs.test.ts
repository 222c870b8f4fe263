// Control characters are refused with a 4xx before they reach a statement, names refuse
// invisible and direction-changing characters, and the error log never carries SQL parameters
// or a secret. Reproduces the audit's findings: a NUL in a display name, shop or product name,
// EPay pid, revoke reason or idempotency key gave a 500, and the 500's log line carried
// Drizzle's SQL parameters (an argon2id password hash, a wrapped data key, an encrypted EPay key).
import { expect } from "chai";
import { queryOne, sql } from "../../core/store/database.ts";
import { createProduct, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { startTestPlatform, type HttpResponse, type TestPlatform } from "../support/platform.ts";

describe("control characters and secrets in error logs", function () {
  this.timeout(300_000);
  let platform: TestPlatform;
  let setup: MerchantSetup;
  let productId: string;
  const logLines: string[] = [];

  before(async () => {
    platform = await startTestPlatform({ logLevel: "info", logDestination: { write: (line) => void logLines.push(line) } });
    setup = await setupMerchant(platform);
    productId = await createProduct(setup, { name: "Control target", category: "service_voucher", deliveryMode: "manual", manualStock: 5 });
  });
  after(async () => {
    await platform?.stopAll();
  });

  function expectRefused(response: HttpResponse, what: string) {
    expect(response.status, `${what}: ${response.text}`).to.be.within(400, 499);
    expect(response.body.code, what).to.equal("validation_failed");
    expect(response.body.message, what)
      .to.be.a("string")
      .and.match(/control|invisible|direction|printable/);
  }

  it("refuses NUL and other control characters with a 4xx in every field the audit found", async () => {
    const nul = "\u0000";
    const cases: [string, () => Promise<HttpResponse>][] = [
      ["display name", () => platform.http.post("/api/auth/signup", { email: "nul-name@example.com", password: "nul-password-1", displayName: `Eve${nul}` })],
      ["shop name", () => setup.merchant.post("/api/shops", { slug: "nul-shop", name: `Shop${nul}` })],
      [
        "product name",
        () => setup.merchant.post(`/api/shops/${setup.shopId}/products`, { name: `Card${nul}`, category: "game_card", priceMinor: "100", currency: "CNY" }),
      ],
      [
        "EPay pid",
        () =>
          setup.merchant.put(`/api/shops/${setup.shopId}/payment-settings/epay`, {
            gatewayUrl: `${platform.url}/sandbox/epay/`,
            pid: `10${nul}1`,
            key: "merchant-key-1",
          }),
      ],
      ["revoke reason", () => setup.merchant.post("/api/entitlements/1/revoke", { reason: `because${nul}` })],
      [
        "idempotency key",
        () =>
          platform.http.post("/api/orders", {
            productId,
            quantity: 1,
            contact: "nul@example.com",
            queryPassword: "nul-pass-1",
            idempotencyKey: `key-${nul}-0001`,
          }),
      ],
      [
        "escape in a description",
        () =>
          setup.merchant.post(`/api/shops/${setup.shopId}/products`, {
            name: "Card",
            description: "\u001b[31mred",
            category: "game_card",
            priceMinor: "100",
            currency: "CNY",
          }),
      ],
      ["RTL override in a shop name", () => setup.merchant.post("/api/shops", { slug: "rtl-shop", name: "\u202Emoc.knab" })],
      [
        "zero-width space in a product name",
        () =>
          setup.merchant.post(`/api/shops/${setup.shopId}/products`, { name: "Steam\u200BCard", category: "game_card", priceMinor: "100", currency: "CNY" }),
      ],
      [
        "zero-width joiner in a display name",
        () => platform.http.post("/api/auth/signup", { email: "zw-name@example.com", password: "zw-password-1", displayName: "ad\u200Dmin" }),
      ],
      [
        "NUL in an EPay notification",
        () => platform.http.get(`/api/payments/epay/notify/${setup.shopId}?pid=1&trade_no=T%00X&out_trade_no=KL1&money=1.00&trade_status=TRADE_SUCCESS&sign=x`),
      ],
    ];
    for (const [what, send] of cases) expectRefused(await send(), what);
    const written = await queryOne<{ accounts: string; shops: string }>(
      platform.database.db,
      sql`SELECT (SELECT count(*) FROM accounts WHERE email IN ('nul-name@example.com', 'zw-name@example.com'))::text AS accounts,
                 (SELECT count(*) FROM shops WHERE slug IN ('nul-shop', 'rtl-shop'))::text AS shops`,
    );
    expect(written).to.deep.equal({ accounts: "0", shops: "0" });
    // Tabs and line breaks stay allowed where text spans lines; plain names still work.
    const multiline = await setup.merchant.post(`/api/shops/${setup.shopId}/products`, {
      name: "Card 卡密",
      description: "line 1\n\tline 2",
      category: "game_card",
      priceMinor: "100",
      currency: "CNY",
    });
    expect(multiline.status, multiline.text).to.equal(201);
  });

  it("a database error's 500 logs neither SQL parameters nor secrets", async () => {
    const db = platform.database.db;
    // A genuine database failure on the writes that carry secrets: a trigger that raises.
    await db.execute(
      sql.raw(`
      CREATE FUNCTION forced_failure() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'forced failure for the log test'; END $$;
      CREATE TRIGGER forced_failure_accounts BEFORE INSERT ON accounts FOR EACH ROW EXECUTE FUNCTION forced_failure();
      CREATE TRIGGER forced_failure_shops BEFORE INSERT OR UPDATE ON shops FOR EACH ROW EXECUTE FUNCTION forced_failure();`),
    );
    const epayKey = "epay-secret-key-0123456789";
    const password = "logged-password-987";
    try {
      logLines.length = 0;
      const failures = [
        await platform.http.post("/api/auth/signup", { email: "log-victim@example.com", password, displayName: "Victim" }),
        await setup.merchant.post("/api/shops", { slug: "log-shop", name: "Log shop" }),
        await setup.merchant.put(`/api/shops/${setup.shopId}/payment-settings/epay`, {
          gatewayUrl: `${platform.url}/sandbox/epay/`,
          pid: "1001",
          key: epayKey,
        }),
      ];
      for (const failure of failures) {
        expect(failure.status, failure.text).to.equal(500);
        expect(failure.body.code).to.equal("internal");
        expect(failure.text).not.to.contain("forced failure");
      }
      const log = logLines.join("");
      // Each 500 was logged with its id, and the log says what failed (the statement's kind).
      for (const failure of failures) expect(log).to.contain(failure.body.details.errorId);
      expect(log).to.contain("forced failure for the log test");
      // ... but none of the values: no argon2 hash, no EPay key, no parameter list at all.
      expect(log).not.to.contain("$argon2id$");
      expect(log).not.to.contain(password);
      expect(log).not.to.contain(epayKey);
      expect(log).not.to.contain("log-victim@example.com");
      expect(log).not.to.match(/params: (?!\[redacted\])/);
      expect(log).not.to.match(/"params"\s*:/);
    } finally {
      await db.execute(
        sql.raw(`DROP TRIGGER forced_failure_accounts ON accounts; DROP TRIGGER forced_failure_shops ON shops; DROP FUNCTION forced_failure();`),
      );
    }
  });
});
