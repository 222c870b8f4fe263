// Agents and commissions in Chromium against the whole platform (docs/distribution.md): the
// merchant (English) sets commission rates and a product's markup bounds and makes an invitation
// link on the console's agents tab; an agent (Chinese) opens the link, accepts it with a
// sub-store, carries the product with a markup, is refused a markup outside the bounds, and sees
// its referral code. What the pages did is checked in the database.
import { expect } from "chai";
import { queryOne, sql } from "../../core/store/database.ts";
import { createProduct, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { startTestPlatform, type TestPlatform } from "../support/platform.ts";
import { launchBrowser, signInThroughPage, watchPageErrors, type Browser } from "./browser.ts";

describe("agents and commissions in Chromium", function () {
  this.timeout(180_000);
  let platform: TestPlatform;
  let english: Browser;
  let chinese: Browser;
  let shop: MerchantSetup;
  let productId: string;

  before(async function () {
    this.timeout(180_000);
    platform = await startTestPlatform();
    shop = await setupMerchant(platform);
    productId = await createProduct(shop, { name: "Agent card", deliveryMode: "manual", priceMinor: "1000" });
    english = await launchBrowser({ locale: "en-US" });
    chinese = await launchBrowser({ locale: "zh-CN" });
  });
  after(async () => {
    await english?.close();
    await chinese?.close();
    await platform?.stopAll();
  });

  it("the merchant sets rates and bounds and invites; the agent joins, carries the product and sees its console", async () => {
    const db = platform.database.db;
    const me = await shop.merchant.get("/api/me");
    const merchantPage = await english.context.newPage();
    const merchantErrors = watchPageErrors(merchantPage);
    await signInThroughPage(merchantPage, platform.url, { email: me.body.email, password: "merchant-password-1" }, "/merchant");
    await merchantPage.getByTestId("merchant-tab-agents").click();

    const rates = merchantPage.getByTestId("distribution-rates");
    await rates.getByLabel("Level 1 (%)").fill("12.5");
    await rates.getByLabel("Level 2 (%)").fill("3.33");
    await rates.getByLabel("Level 3 (%)").fill("1.77");
    await rates.getByRole("button", { name: "Save" }).click();
    await merchantPage.getByTestId("distribution-rates-saved").waitFor();
    const stored = await queryOne<{ l1: number; l2: number; l3: number }>(
      db,
      sql`SELECT level1_bps AS l1, level2_bps AS l2, level3_bps AS l3 FROM commission_rates WHERE shop_id = ${shop.shopId} AND product_id = 0`,
    );
    expect(stored).to.deep.equal({ l1: 1250, l2: 333, l3: 177 });

    // Rates over 100% in total are refused in the page with the API's code.
    await rates.getByLabel("Level 1 (%)").fill("90");
    await rates.getByLabel("Level 2 (%)").fill("20");
    await rates.getByRole("button", { name: "Save" }).click();
    expect(await rates.getByTestId("error-notice").getAttribute("data-code")).to.equal("commission_rates_invalid");

    const bounds = merchantPage.getByTestId("distribution-bounds");
    await bounds.getByLabel("Minimum").fill("0.50");
    await bounds.getByLabel("Maximum").fill("3.00");
    await bounds.getByRole("button", { name: "Save" }).click();
    await merchantPage.getByTestId("distribution-bounds-saved").waitFor();
    const boundsRow = await queryOne<{ min: string; max: string }>(
      db,
      sql`SELECT markup_min_minor::text AS min, markup_max_minor::text AS max FROM agent_markup_bounds WHERE product_id = ${productId}`,
    );
    expect(boundsRow).to.deep.equal({ min: "50", max: "300" });

    await merchantPage.getByRole("button", { name: "Create an invitation link" }).click();
    const link = (await merchantPage.getByTestId("distribution-invite-link").locator(".mono").textContent())!.trim();
    expect(link).to.match(/\/agent\/join\?token=[A-Za-z0-9_-]+$/);
    expect(merchantErrors).to.deep.equal([]);

    // The agent, in Chinese.
    const signup = await platform.http.post("/api/auth/signup", { email: `web-agent-${Date.now()}@example.com`, password: "web-agent-password-1" });
    expect(signup.status, signup.text).to.equal(201);
    const agentPage = await chinese.context.newPage();
    const agentErrors = watchPageErrors(agentPage);
    await signInThroughPage(agentPage, platform.url, { email: signup.body.account.email, password: "web-agent-password-1" }, "/agent");
    await agentPage.goto(link);
    const join = agentPage.getByTestId("agent-join");
    await join.getByLabel("地址（小写字母、数字、-）").fill("web-agent");
    await join.getByLabel("分站名称").fill("网页分站");
    await join.getByRole("button", { name: "接受邀请" }).click();
    await agentPage.waitForURL((url) => url.pathname === "/agent");
    const substore = agentPage.getByTestId("agent-substore");
    await substore.getByRole("heading", { name: /网页分站/ }).waitFor();

    const carry = agentPage.getByTestId("agent-carry");
    await carry.getByLabel("商品编号").fill(productId);
    await carry.getByLabel("每件加价").fill("5.00");
    await carry.getByRole("button", { name: "上架此商品" }).click();
    expect(await carry.getByTestId("error-notice").getAttribute("data-code")).to.equal("markup_out_of_bounds");
    await carry.getByLabel("每件加价").fill("1.33");
    await carry.getByRole("button", { name: "上架此商品" }).click();
    await substore.getByRole("cell", { name: "Agent card", exact: true }).waitFor();
    const carried = await queryOne<{ markup: string }>(
      db,
      sql`SELECT sp.markup_minor::text AS markup FROM substore_products sp JOIN substores s ON s.id = sp.substore_id WHERE s.slug = 'web-agent'`,
    );
    expect(carried?.markup).to.equal("133");
    const code = await agentPage.getByTestId("agent-referral-code").textContent();
    const codeRow = await queryOne<{ code: string }>(db, sql`SELECT code FROM referral_codes WHERE account_id = ${signup.body.account.id}`);
    expect(code).to.equal(codeRow?.code);
    await agentPage.getByText("还没有人通过你的链接进入。").waitFor();
    expect(agentErrors).to.deep.equal([]);
  });
});
