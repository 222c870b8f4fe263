// The documented verification snippet (docs/examples/verifyWebhook.ts) against real deliveries
// of the dispatcher: it accepts them, and refuses a tampered body, an old timestamp and a secret
// rotated out; during a rotation's overlap both secrets verify. The signature itself is checked
// against a known answer computed with openssl.
import { expect } from "chai";
import { verifyWebhook, WebhookVerificationError } from "../../docs/examples/verifyWebhook.ts";
import { queryOne, sql } from "../../core/store/database.ts";
import { deliverEndpoint, fanOutEvents, type Dispatcher } from "../../api/services/webhooks/dispatch.ts";
import { rotateSecret } from "../../api/services/webhooks/endpoints.ts";
import { createSender } from "../../api/services/webhooks/sendDelivery.ts";
import { signatureHeader } from "../../api/services/webhooks/signature.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";
import { startReceiver, type Receiver } from "./receiver.ts";
import { addEndpoint, createWebhookWorld, recordEvents, type WebhookWorld } from "./world.ts";

const settings = {
  retryBaseMs: 1000,
  retryMaxMs: 60_000,
  retryWindowMs: 86_400_000,
  timeoutMs: 10_000,
  responseBytesMax: 4096,
  allowLoopback: true,
  batchSize: 50,
};

describe("the webhook verification snippet", function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let world: WebhookWorld;
  let receiver: Receiver;
  let dispatcher: Dispatcher;
  let endpoint: { id: bigint; secret: string };

  before(async () => {
    database = await createServerDatabase();
    world = await createWebhookWorld(database.db);
    dispatcher = { db: database.db, keyRing: world.keyRing, sender: createSender(settings), settings, clock: () => new Date() };
    receiver = await startReceiver([]);
    endpoint = await addEndpoint(database.db, world, receiver.url, ["order.paid"]);
    receiver.secrets.push(endpoint.secret);
  });
  after(async () => {
    dispatcher?.sender.close();
    await receiver?.close();
    await database?.drop();
  });

  // Until nothing is pending (a loaded machine may time an attempt out; it is retried after 1 s).
  const deliver = async () => {
    while ((await fanOutEvents(database.db)) > 0);
    for (let pass = 0; pass < 20; pass++) {
      await deliverEndpoint(dispatcher, endpoint.id);
      const left = await queryOne<{ n: number }>(
        database.db,
        sql`SELECT count(*)::int AS n FROM webhook_deliveries WHERE endpoint_id = ${endpoint.id} AND state = 'pending'`,
      );
      if (left?.n === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 1_100));
    }
  };

  it("signs t.body with HMAC-SHA256 (a known answer)", () => {
    // Computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
    const expected = "38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789";
    expect(signatureHeader(["whsec_test"], 1700000000, '{"a":1}')).to.equal(`t=1700000000,v1=${expected}`);
  });

  it("verifies real deliveries and refuses a tampered body, an old timestamp and a rotated-out secret", async () => {
    await recordEvents(database.db, world.shopId, 3);
    await deliver();
    expect(receiver.kept).to.have.length(3);
    expect(receiver.refused).to.deep.equal([]);
    const delivery = receiver.raw.at(-1)!;
    expect(verifyWebhook(delivery.body, delivery.signature, [endpoint.secret]).id).to.equal(receiver.kept[2]!.id);

    const tampered = Buffer.from(delivery.body.toString("utf8").replace('"n":2', '"n":9'));
    expect(tampered.equals(delivery.body)).to.equal(false);
    expect(() => verifyWebhook(tampered, delivery.signature, [endpoint.secret])).to.throw(WebhookVerificationError, "no signature matches");
    const t = Number(/t=(\d+)/.exec(delivery.signature!)![1]);
    expect(() => verifyWebhook(delivery.body, delivery.signature, [endpoint.secret], { nowSeconds: t + 301 })).to.throw(WebhookVerificationError, "timestamp");
    expect(() => verifyWebhook(delivery.body, delivery.signature, ["whsec_other"])).to.throw(WebhookVerificationError);
    expect(() => verifyWebhook(delivery.body, undefined, [endpoint.secret])).to.throw(WebhookVerificationError, "missing");

    // Rotation with an overlap: both secrets sign, a receiver with either verifies.
    const rotated = await rotateSecret(
      { db: database.db, keyRing: world.keyRing, allowLoopback: true, planLimits: false },
      { shopId: world.shopId, endpointId: endpoint.id, accountId: world.accountId, overlapSeconds: 3600 },
    );
    await recordEvents(database.db, world.shopId, 1);
    await deliver();
    const overlapped = receiver.raw.at(-1)!;
    expect(overlapped.signature!.match(/v1=/g)).to.have.length(2);
    expect(verifyWebhook(overlapped.body, overlapped.signature, [endpoint.secret]).sequence).to.equal(4);
    expect(verifyWebhook(overlapped.body, overlapped.signature, [rotated.secret]).sequence).to.equal(4);

    // Rotated again with no overlap: the first secret no longer signs.
    const second = await rotateSecret(
      { db: database.db, keyRing: world.keyRing, allowLoopback: true, planLimits: false },
      { shopId: world.shopId, endpointId: endpoint.id, accountId: world.accountId, overlapSeconds: 0 },
    );
    receiver.secrets.splice(0, receiver.secrets.length, second.secret);
    await recordEvents(database.db, world.shopId, 1);
    await deliver();
    const after = receiver.raw.at(-1)!;
    expect(after.signature!.match(/v1=/g)).to.have.length(1);
    expect(() => verifyWebhook(after.body, after.signature, [endpoint.secret])).to.throw(WebhookVerificationError, "no signature matches");
    expect(() => verifyWebhook(after.body, after.signature, [rotated.secret])).to.throw(WebhookVerificationError, "no signature matches");
    expect(verifyWebhook(after.body, after.signature, [second.secret]).sequence).to.equal(5);
    expect(receiver.kept.map((event) => event.sequence)).to.deep.equal([1, 2, 3, 4, 5]);
  });
});
