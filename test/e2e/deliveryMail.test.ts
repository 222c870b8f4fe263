// With SMTP configured, the buyer gets one delivery mail per fulfilled order, over a real SMTP
// conversation, with a link to the order page and never the code itself.
import { expect } from "chai";
import { notifyPath, signedNotification } from "../support/epayNotify.ts";
import { createProduct, importKeys, randomKeys, setupMerchant } from "../support/merchantSetup.ts";
import { startTestPlatform, waitFor, type TestPlatform } from "../support/platform.ts";
import { startSmtpServer } from "../support/smtpServer.ts";

describe("delivery mail", function () {
  this.timeout(300_000);
  let platform: TestPlatform;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;

  before(async () => {
    smtp = await startSmtpServer();
    platform = await startTestPlatform({ env: { SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, PUBLIC_URL: "https://shop.example" } });
  });
  after(async () => {
    await platform?.stopAll();
    await smtp?.stop();
  });

  it("mails the buyer a link to the delivered order, once, without the code", async () => {
    const setup = await setupMerchant(platform);
    const productId = await createProduct(setup, { name: "Mailed card" });
    const keys = randomKeys(1, "MAIL");
    await importKeys(setup, productId, keys);
    const checkout = await platform.http.post("/api/orders", { productId, quantity: 1, contact: "mail@example.com", queryPassword: "pass-1234" });
    const path = notifyPath(setup.shopId, signedNotification(setup.sandbox, checkout.body.order, "T-MAIL-1"));
    await platform.http.get(path);
    await platform.http.get(path);
    // Only the buyer's mails: selling the last key also mails the merchant a sold-out notice (docs/webhooks.md).
    const toBuyer = () => smtp.messages.filter((message) => message.to.includes("<mail@example.com>"));
    const mail = await waitFor("the delivery mail", async () => toBuyer()[0]);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(toBuyer()).to.have.length(1);
    expect(mail.to).to.deep.equal(["<mail@example.com>"]);
    // The text part is quoted-printable: undo soft line breaks and =XX escapes.
    const body = Buffer.from(
      mail.data.replace(/=\r\n/g, "").replace(/=([0-9A-F]{2})/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16))),
      "latin1",
    ).toString("utf8");
    // The mail carries its own token (its expiry is counted from the mailing, to the second, so it
    // is not the checkout's token): it must open the order, as the buyer.
    const link = new RegExp(`https://shop\\.example/orders/${checkout.body.order.id}\\?token=([A-Za-z0-9._-]+)`).exec(body);
    expect(link, "the order link in the mail").to.not.equal(null);
    const opened = await platform.http.get(`/api/orders/${checkout.body.order.id}?token=${link![1]}`);
    expect(opened.status).to.equal(200);
    expect(opened.body.state).to.equal("fulfilled");
    expect(body).to.contain("已发货");
    expect(body).not.to.contain(keys[0]!);
  });
});
