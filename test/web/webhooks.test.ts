// The Webhooks tab in a real browser (Debian's Chromium) against the running platform
// (docs/webhooks.md): a merchant is refused a private address (the server's code shown), adds
// an endpoint to a local receiver and sees its secret once, an import's batch.anchored event
// arrives (the receiver verifies it with that secret) and shows delivered in the log, a replay
// sends it again, a rotation shows a new secret. Then the same tab in Chinese.
import { expect } from "chai";
import type { Page } from "playwright-core";
import { startTestPlatform, waitFor, type TestPlatform } from "../support/platform.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { startReceiver, type Receiver } from "../webhooks/receiver.ts";
import { launchBrowser, screenshot, signInThroughPage, viewports, watchPageErrors, type Browser } from "./browser.ts";

const folder = "web-webhooks";

describe("webhooks tab in Chromium (add, secret once, log, replay, rotate; en and zh-CN)", function () {
  this.timeout(240_000);
  let platform: TestPlatform;
  let browser: Browser;
  let merchant: MerchantSetup & { email: string };
  let receiver: Receiver;

  before(async function () {
    this.timeout(240_000);
    platform = await startTestPlatform({ env: { WEBHOOK_DISPATCH_INTERVAL_MS: "100" } });
    browser = await launchBrowser({ locale: "en-US" });
    receiver = await startReceiver([]);
    const setup = await setupMerchant(platform);
    merchant = { ...setup, email: (await setup.merchant.get("/api/me")).body.email as string };
  });
  after(async () => {
    await browser?.close();
    await platform?.stopAll();
    await receiver?.close();
  });

  async function consolePage(): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.context.newPage();
    await page.setViewportSize(viewports.desktop);
    const errors = watchPageErrors(page);
    await signInThroughPage(page, platform.url, { email: merchant.email, password: "merchant-password-1" }, "/merchant");
    await page.getByTestId("merchant-tab-webhooks").click();
    return { page, errors };
  }

  it("adds an endpoint, shows its secret once, logs a delivery, replays it and rotates the secret", async () => {
    const { page, errors } = await consolePage();
    const form = page.getByTestId("webhook-create-form");
    await form.getByLabel("Endpoint URL").fill("http://10.0.0.7/hooks");
    await form.getByRole("button", { name: "Add endpoint" }).click();
    const refusal = form.getByTestId("error-notice");
    await refusal.waitFor();
    expect(await refusal.getAttribute("data-code")).to.equal("webhook_url_refused");

    await form.getByLabel("Endpoint URL").fill(receiver.url);
    await form.getByRole("checkbox", { name: /batch\.anchored/ }).check();
    await form.getByRole("button", { name: "Add endpoint" }).click();
    const secretNotice = page.getByTestId("webhook-secret");
    await secretNotice.waitFor();
    const secret = (await secretNotice.locator("code").textContent())!;
    expect(secret).to.match(/^whsec_/);
    receiver.secrets.push(secret);
    await page
      .getByTestId("webhook-endpoints")
      .getByRole("row", { name: /order\.paid, batch\.anchored/ })
      .waitFor();
    await screenshot(page, folder, "01-added");

    const productId = await createProduct(merchant, { name: "Hooked card" });
    await importKeys(merchant, productId, randomKeys(3, "WEBHOOK"));
    await waitFor("batch.anchored at the receiver", async () => receiver.kept.find((event) => event.type === "batch.anchored"), 30_000);

    await page.getByRole("button", { name: "Delivery log" }).click();
    const log = page.getByTestId("webhook-deliveries");
    await log.getByRole("row", { name: /batch\.anchored.*Delivered.*200/ }).waitFor();
    await screenshot(page, folder, "02-log");
    const arrivals = receiver.arrivals.length;
    await log.getByRole("button", { name: "Replay" }).first().click();
    await waitFor("the replay", async () => receiver.arrivals.length > arrivals || undefined, 30_000);
    expect(receiver.arrivals.at(-1)!.event.id).to.equal(receiver.kept.find((event) => event.type === "batch.anchored")!.id);
    expect(receiver.kept).to.have.length(1);

    await page.getByRole("button", { name: "Rotate secret" }).click();
    await waitFor("a new secret", async () => {
      const shown = await secretNotice.locator("code").textContent();
      return shown && shown !== secret ? shown : undefined;
    });
    expect(receiver.refused).to.deep.equal([]);
    expect(errors).to.deep.equal([]);
    await page.close();
  });

  it("shows the webhooks tab in Chinese", async () => {
    const { page, errors } = await consolePage();
    await page.getByTestId("lang-switch").click();
    await page.getByRole("heading", { name: "Webhook 通知" }).waitFor();
    await page.getByRole("heading", { name: "库存提醒" }).waitFor();
    await page.getByRole("button", { name: "添加端点" }).waitFor();
    await screenshot(page, folder, "03-zh");
    expect(errors).to.deep.equal([]);
    await page.close();
  });
});
