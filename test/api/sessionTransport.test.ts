// Sessions travel only as `Authorization: Bearer <token>`. Reproduces the audit's finding: a
// `kl_session` cookie, which nothing sets, was accepted, so a cross-origin text/plain POST (a
// "simple" request a browser sends with cookies and without a preflight) created a key import
// as the merchant (CSRF). A browser never attaches a bearer token to a request on its own.
import { expect } from "chai";
import { queryOne, sql } from "../../core/store/database.ts";
import { createProduct, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { usePlatform } from "../support/platform.ts";

describe("session transport: bearer tokens only", function () {
  this.timeout(300_000);
  const suite = usePlatform();
  let setup: MerchantSetup;
  before(async () => {
    setup = await setupMerchant(suite.platform);
  });

  it("a request with only the kl_session cookie is unauthenticated", async () => {
    const token = setup.merchant.token!;
    const anonymous = suite.platform.http.as(undefined);
    const me = await anonymous.request("GET", "/api/me", undefined, { cookie: `kl_session=${token}` });
    expect(me.status, me.text).to.equal(401);
    expect(me.body.code).to.equal("unauthorized");
    // The lean order page resolves sessions too: the cookie counts for nothing there either.
    expect((await setup.merchant.get("/api/me")).status).to.equal(200);
  });

  it("a cross-origin text/plain POST carrying the cookie creates no key import", async () => {
    const productId = await createProduct(setup, { name: "CSRF target" });
    const forged = await suite.platform.http.as(undefined).request("POST", `/api/products/${productId}/imports`, "FORGED-KEY-1\nFORGED-KEY-2", {
      "content-type": "text/plain",
      origin: "http://evil.example",
      cookie: `kl_session=${setup.merchant.token!}`,
    });
    expect(forged.status, forged.text).to.equal(401);
    const imports = await queryOne<{ n: string }>(
      suite.platform.database.db,
      sql`SELECT count(*)::text AS n FROM imports WHERE product_id = ${BigInt(productId)}`,
    );
    expect(imports!.n).to.equal("0");
  });
});
