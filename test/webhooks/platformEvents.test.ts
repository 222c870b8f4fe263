// Webhooks through the whole platform (docs/webhooks.md): endpoints managed over the API, events
// raised by real state changes (an import anchored on a local chain, EPay payments, fulfilment,
// the stock falling past a product's threshold), delivered by the BullMQ workers to a verifying
// receiver in sequence order; the stock alerts fire once per crossing (console notice, mail in
// the merchant's language, webhook) and re-arm when stock rises again; the delivery log and replay.
import { expect } from "chai";
import { queryRows, sql } from "../../core/store/database.ts";
import { notifyPath, signedNotification } from "../support/epayNotify.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { startTestPlatform, waitFor, type TestPlatform } from "../support/platform.ts";
import { startSmtpServer } from "../support/smtpServer.ts";
import { startReceiver, type Receiver } from "./receiver.ts";

/** The Subject header, its RFC 2047 Q-encoded words decoded. */
function subjectOf(data: string): string {
  const header = /\r\nSubject: (.*(?:\r\n .*)*)/.exec(data)![1]!;
  return header
    .split(/\r\n /)
    .map((word) => {
      const encoded = /^=\?UTF-8\?Q\?(.*)\?=$/i.exec(word.trim());
      if (!encoded) return word;
      return Buffer.from(
        encoded[1]!.replace(/_/g, " ").replace(/=([0-9A-F]{2})/g, (_match, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
        "latin1",
      ).toString("utf8");
    })
    .join("");
}

describe("webhooks on the platform", function () {
  this.timeout(300_000);
  let platform: TestPlatform;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let receiver: Receiver;
  let setup: MerchantSetup;
  let productId: string;
  let endpointId: string;
  let sale = 0;

  before(async () => {
    smtp = await startSmtpServer();
    platform = await startTestPlatform({ env: { SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, WEBHOOK_DISPATCH_INTERVAL_MS: "100" } });
    receiver = await startReceiver([]);
    setup = await setupMerchant(platform);
    productId = await createProduct(setup, { name: "Alerted card", lowStockThreshold: 2 });
  });
  after(async () => {
    await platform?.stopAll();
    await receiver?.close();
    await smtp?.stop();
  });

  const buy = async () => {
    sale += 1;
    const checkout = await platform.http.post("/api/orders", { productId, quantity: 1, contact: `buyer${sale}@example.com`, queryPassword: "pass-1234" });
    expect(checkout.status, checkout.text).to.equal(201);
    await platform.http.get(notifyPath(setup.shopId, signedNotification(setup.sandbox, checkout.body.order, `T-HOOK-${sale}`)));
    await waitFor(
      `order ${sale} fulfilled`,
      async () => (await setup.merchant.get(`/api/shops/${setup.shopId}/orders?limit=1`)).body.items?.[0]?.state === "fulfilled",
      30_000,
    );
    return checkout.body.order.id as string;
  };
  const typesReceived = () => receiver.kept.map((event) => event.type);

  it("refuses bad endpoints with a code and writes nothing", async () => {
    const url = `/api/shops/${setup.shopId}/webhooks`;
    const unknownEvent = await setup.merchant.post(url, { url: receiver.url, events: ["order.exploded"] });
    expect(unknownEvent.status).to.equal(400);
    const noEvents = await setup.merchant.post(url, { url: receiver.url, events: [] });
    expect(noEvents.status).to.equal(400);
    const notUrl = await setup.merchant.post(url, { url: "ftp://example.com/x", events: ["order.paid"] });
    expect(notUrl.status).to.equal(400);
    expect(notUrl.body.code).to.equal("validation_failed");
    // Private ranges are refused in every mode (loopback only outside production).
    const privateAddress = await setup.merchant.post(url, { url: "http://10.1.2.3/hooks", events: ["order.paid"] });
    expect(privateAddress.status, privateAddress.text).to.equal(422);
    expect(privateAddress.body.code).to.equal("webhook_url_refused");
    const linkLocal = await setup.merchant.post(url, { url: "http://169.254.169.254/latest/meta-data", events: ["order.paid"] });
    expect(linkLocal.body.code).to.equal("webhook_url_refused");
    const other = await setupMerchant(platform);
    const foreign = await other.merchant.post(url, { url: receiver.url, events: ["order.paid"] });
    expect(foreign.status).to.equal(403);
    expect((await setup.merchant.get(url)).body.endpoints).to.deep.equal([]);
  });

  it("delivers the shop's events in sequence order, with stock alerts once per crossing", async () => {
    const created = await setup.merchant.post(`/api/shops/${setup.shopId}/webhooks`, {
      url: receiver.url,
      description: "ERP",
      events: ["order.paid", "order.fulfilled", "stock.low", "stock.out", "batch.anchored"],
    });
    expect(created.status, created.text).to.equal(201);
    expect(created.body.secret).to.match(/^whsec_/);
    receiver.secrets.push(created.body.secret);
    endpointId = created.body.id;
    const listed = await setup.merchant.get(`/api/shops/${setup.shopId}/webhooks`);
    expect(JSON.stringify(listed.body)).not.to.contain(created.body.secret);

    await importKeys(setup, productId, randomKeys(4, "HOOK"));
    await waitFor("batch.anchored", async () => typesReceived().includes("batch.anchored") || undefined, 30_000);
    // 4 -> 3: above the threshold of 2, no alert.
    await buy();
    // 3 -> 2: at the threshold, stock.low.
    await buy();
    // 2 -> 1: still low, no second alert.
    await buy();
    // 1 -> 0: sold out.
    await buy();
    await waitFor("every event", async () => receiver.kept.length >= 1 + 8 + 2 || undefined, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.kept.map((event) => event.sequence)).to.deep.equal(receiver.kept.map((_, index) => index + 1));
    const types = typesReceived();
    expect(types.filter((type) => type === "stock.low")).to.have.length(1);
    expect(types.filter((type) => type === "stock.out")).to.have.length(1);
    expect(types.filter((type) => type === "order.paid")).to.have.length(4);
    expect(types.filter((type) => type === "order.fulfilled")).to.have.length(4);
    // The low alert comes with the second sale's events, the out alert with the fourth's.
    const paidIndexes = types.flatMap((type, index) => (type === "order.paid" ? [index] : []));
    expect(types.indexOf("stock.low")).to.be.within(paidIndexes[1]! - 1, paidIndexes[2]!);
    expect(types.indexOf("stock.out")).to.be.greaterThan(paidIndexes[2]!);
    const low = receiver.kept.find((event) => event.type === "stock.low")!;
    expect(low.data).to.deep.include({ productId, available: 2, threshold: 2 });

    const notices = await setup.merchant.get(`/api/shops/${setup.shopId}/notices`);
    expect(notices.status, notices.text).to.equal(200);
    expect(notices.body.items.map((notice: { kind: string }) => notice.kind)).to.deep.equal(["stock_out", "stock_low"]);
    const merchantEmail = (
      await queryRows<{ email: string }>(
        platform.database.db,
        sql`SELECT a.email FROM accounts a JOIN shops s ON s.owner_account_id = a.id WHERE s.id = ${setup.shopId}`,
      )
    )[0]!.email;
    const mails = await waitFor("two stock mails", async () => {
      const found = smtp.messages.filter((message) => message.to.includes(`<${merchantEmail}>`));
      return found.length >= 2 ? found : undefined;
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(
      smtp.messages.filter((message) => message.to.includes(`<${merchantEmail}>`)),
      "one mail per alert",
    ).to.have.length(2);
    // In the merchant's language (zh-CN by default): the subjects say 库存不足, then 已售罄.
    expect(mails.map((mail) => subjectOf(mail.data))).to.deep.equal(["「Alerted card」库存不足", "「Alerted card」已售罄"]);

    // Restocked above the threshold: re-armed, so the next fall past it alerts again.
    await importKeys(setup, productId, randomKeys(3, "HOOK2"));
    await buy();
    await waitFor("a second stock.low", async () => typesReceived().filter((type) => type === "stock.low").length === 2 || undefined, 30_000);
    expect(receiver.refused).to.deep.equal([]);
  });

  it("logs each delivery with its response and replays one with the same event id", async () => {
    const log = await setup.merchant.get(`/api/shops/${setup.shopId}/webhooks/${endpointId}/deliveries?limit=100`);
    expect(log.status, log.text).to.equal(200);
    const delivered = log.body.items.filter((item: { state: string }) => item.state === "delivered");
    expect(delivered.length).to.equal(receiver.kept.length);
    expect(delivered[0].lastStatus).to.equal(200);
    expect(delivered[0].lastResponse).to.equal("ok");
    const target = delivered.at(-1);
    const pendingReplay = await setup.merchant.post(`/api/shops/${setup.shopId}/webhooks/${endpointId}/deliveries/${target.id}/replay`, {});
    expect(pendingReplay.status, pendingReplay.text).to.equal(201);
    const before = receiver.arrivals.length;
    await waitFor("the replay", async () => receiver.arrivals.length > before || undefined, 30_000);
    expect(receiver.arrivals.at(-1)!.event.id).to.equal(target.eventId);
    expect(new Set(receiver.kept.map((event) => event.id)).size).to.equal(receiver.kept.length);
    const missing = await setup.merchant.post(`/api/shops/${setup.shopId}/webhooks/${endpointId}/deliveries/999999/replay`, {});
    expect(missing.status).to.equal(404);
  });
});
