// After-sales tickets in Chromium (docs/support.md): a guest buyer, in Chinese, opens a ticket
// from the order page; the merchant, in English, finds it in the inbox with its unread count,
// answers it with a canned reply; the buyer's page shows the answer live (its event stream) and
// the read mark on the buyer's own message; then the buyer's list and the closed state.
import { expect } from "chai";
import type { Page } from "playwright-core";
import { queryOne, sql } from "../../core/store/database.ts";
import { createProduct, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { startTestPlatform, type TestPlatform } from "../support/platform.ts";
import { paidOrder } from "../tickets/support/ticketFixtures.ts";
import { launchBrowser, signInThroughPage, watchPageErrors, type Browser } from "./browser.ts";

describe("tickets in Chromium: the buyer's ticket page (zh-CN) and the merchant's inbox (en)", function () {
  this.timeout(240_000);
  let platform: TestPlatform;
  let setup: MerchantSetup;
  let productId: string;
  let zh: Browser;
  let en: Browser;

  before(async function () {
    this.timeout(240_000);
    platform = await startTestPlatform();
    setup = await setupMerchant(platform);
    productId = await createProduct(setup, { name: "售后测试", category: "service_voucher", deliveryMode: "manual", manualStock: 10 });
    const canned = await setup.merchant.post(`/api/shops/${setup.shopId}/canned-replies`, { title: "Resent", body: "We have sent you a new code." });
    expect(canned.status, canned.text).to.equal(201);
    zh = await launchBrowser({ locale: "zh-CN" });
    en = await launchBrowser({ locale: "en-US" });
  });
  after(async () => {
    await zh?.close();
    await en?.close();
    await platform?.stopAll();
  });

  async function openPage(browser: Browser): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.context.newPage();
    return { page, errors: watchPageErrors(page) };
  }

  it("the guest opens a ticket, the merchant answers from the inbox with a canned reply, the guest sees it live", async () => {
    const order = await paidOrder(platform, setup, productId);
    const buyer = await openPage(zh);
    await buyer.page.goto(`${platform.url}/orders/${order.id}?token=${encodeURIComponent(order.token)}`);
    await buyer.page.getByRole("heading", { name: "售后工单" }).waitFor();
    await buyer.page.getByLabel("问题类型").selectOption("not_received");
    await buyer.page.getByLabel("标题").fill("没有收到");
    await buyer.page.getByLabel("问题描述").fill("付款一小时了还没有发货。");
    await buyer.page.getByRole("button", { name: "发起工单" }).click();
    await buyer.page.waitForURL(/\/tickets\/\d+\?token=/);
    const ticketId = /\/tickets\/(\d+)/.exec(buyer.page.url())![1]!;
    await buyer.page.getByTestId("ticket-messages").getByText("付款一小时了还没有发货。").waitFor();
    await buyer.page.getByText("实时：新消息会自动出现。").waitFor();
    const own = buyer.page.getByTestId("ticket-messages").locator("li").first();
    expect(await own.getByTestId("ticket-read-mark").textContent()).to.contain("未读");

    const merchant = await openPage(en);
    const login = (await queryOne<{ email: string }>(
      platform.database.db,
      sql`SELECT a.email FROM shops s JOIN accounts a ON a.id = s.owner_account_id WHERE s.id = ${BigInt(setup.shopId)}`,
    ))!;
    await signInThroughPage(merchant.page, platform.url, { email: login.email, password: "merchant-password-1" }, "/merchant/tickets");
    const row = merchant.page.getByTestId(`ticket-row-${ticketId}`);
    await row.waitFor();
    expect(await row.textContent())
      .to.contain("没有收到")
      .and.contain("Not received")
      .and.contain("1 unread");
    await row.getByRole("link").click();
    await merchant.page.waitForURL(new RegExp(`/tickets/${ticketId}$`));
    await merchant.page.getByLabel("Canned replies").selectOption({ label: "Resent" });
    expect(await merchant.page.getByLabel("Your reply").inputValue()).to.equal("We have sent you a new code.");
    await merchant.page.getByRole("button", { name: "Send" }).click();
    await merchant.page.getByTestId("ticket-messages").getByText("We have sent you a new code.").waitFor();

    // The buyer's page, untouched, receives the answer over its stream and shows its own message read.
    await buyer.page.getByTestId("ticket-messages").getByText("We have sent you a new code.").waitFor({ timeout: 15_000 });
    await own.getByTestId("ticket-read-mark").filter({ hasText: "已读" }).waitFor();
    // And the merchant's page shows the buyer has read the answer (the buyer's page marked it).
    await merchant.page
      .getByTestId("ticket-messages")
      .locator("li")
      .last()
      .getByTestId("ticket-read-mark")
      .filter({ hasText: "Read" })
      .waitFor({ timeout: 15_000 });

    await buyer.page.getByRole("button", { name: "关闭工单" }).click();
    await buyer.page.getByTestId("ticket-closed").waitFor();
    await merchant.page.getByTestId("ticket-closed").waitFor({ timeout: 15_000 });
    await merchant.page.goto(`${platform.url}/merchant/tickets`);
    await merchant.page.getByLabel("Show").selectOption("closed");
    await merchant.page.getByTestId(`ticket-row-${ticketId}`).waitFor();
    expect(buyer.errors).to.deep.equal([]);
    expect(merchant.errors).to.deep.equal([]);
  });

  it("a signed-in buyer finds their tickets under My tickets, in English", async () => {
    const email = `ticket-buyer-${Date.now()}@example.com`;
    const signup = await platform.http.post("/api/auth/signup", { email, password: "buyer-password-1", roles: ["buyer"] });
    const client = platform.http.as(signup.body.token);
    const order = await paidOrder(platform, setup, productId, client);
    const opened = await client.post(`/api/orders/${order.id}/tickets`, { category: "other", subject: "A question", body: "Is there a manual?" });
    expect(opened.status, opened.text).to.equal(201);
    const buyer = await openPage(en);
    await signInThroughPage(buyer.page, platform.url, { email, password: "buyer-password-1" }, "/me/tickets");
    await buyer.page.getByRole("heading", { name: "My tickets" }).waitFor();
    const row = buyer.page.getByTestId(`ticket-row-${opened.body.ticket.id}`);
    await row.waitFor();
    expect(await row.textContent())
      .to.contain("A question")
      .and.contain("Other");
    await row.getByRole("link").click();
    await buyer.page.getByTestId("ticket-messages").getByText("Is there a manual?").waitFor();
    expect(buyer.errors).to.deep.equal([]);
  });
});
