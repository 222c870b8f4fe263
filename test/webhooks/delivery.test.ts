// The dispatcher against a real PostgreSQL and real node:http receivers, with a simulated clock
// for the retries (docs/webhooks.md): a receiver down for 10 minutes gets every event after it
// returns, in sequence order, at least once; its dedupe by event id keeps exactly one of each.
import { expect } from "chai";
import { queryRows, sql } from "../../core/store/database.ts";
import { deliverEndpoint, fanOutEvents, retryDelayMs, type Dispatcher, type DispatchSettings } from "../../api/services/webhooks/dispatch.ts";
import { createSender } from "../../api/services/webhooks/sendDelivery.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";
import { startReceiver, type Receiver } from "./receiver.ts";
import { addEndpoint, createWebhookWorld, recordEvents, type WebhookWorld } from "./world.ts";

const settings: DispatchSettings = {
  retryBaseMs: 5_000,
  retryMaxMs: 3_600_000,
  retryWindowMs: 24 * 3600 * 1000,
  timeoutMs: 10_000,
  responseBytesMax: 4096,
  allowLoopback: true,
  batchSize: 7,
};

describe("webhook delivery (simulated time)", function () {
  this.timeout(120_000);
  let database: TestDatabase;
  let world: WebhookWorld;
  const receivers: Receiver[] = [];
  // Set when the suite starts, not when mocha loads the file: in a full run that is 20 minutes
  // earlier, and every delivery the database made due at its now() was not due yet at a
  // simulated time that far behind (the full run's receivers got nothing).
  let simulatedMs = 0;
  let dispatcher: Dispatcher;

  before(async () => {
    simulatedMs = Date.now();
    database = await createServerDatabase();
    world = await createWebhookWorld(database.db);
    dispatcher = { db: database.db, keyRing: world.keyRing, sender: createSender(settings), settings, clock: () => new Date(simulatedMs) };
  });
  after(async () => {
    dispatcher?.sender.close();
    for (const receiver of receivers) await receiver.close();
    await database?.drop();
  });

  async function receiverFor(events: Parameters<typeof addEndpoint>[3]) {
    const receiver = await startReceiver([]);
    receiver.nowSeconds = () => Math.floor(simulatedMs / 1000);
    receivers.push(receiver);
    const endpoint = await addEndpoint(database.db, world, receiver.url, events);
    receiver.secrets.push(endpoint.secret);
    return { receiver, endpoint };
  }

  /** One dispatcher pass over every endpoint at the simulated time. */
  async function pass(endpointIds: bigint[]) {
    while ((await fanOutEvents(database.db)) > 0);
    for (const id of endpointIds) await deliverEndpoint(dispatcher, id, { budgetMs: 5_000 });
  }

  it("a receiver down for 10 minutes gets every event after it returns, in order, each at least once; dedupe keeps one of each", async () => {
    const down = await receiverFor(["order.paid", "order.fulfilled"]);
    const healthy = await receiverFor(["order.paid"]);
    const endpoints = [down.endpoint.id, healthy.endpoint.id];
    down.receiver.mode = "fail";
    const start = simulatedMs;
    // 40 events over the 10 minutes of the outage, two types (the healthy endpoint chose one).
    let written = 0;
    let paid = 0;
    while (simulatedMs - start < 10 * 60_000) {
      await recordEvents(database.db, world.shopId, 2, "order.paid", written);
      await recordEvents(database.db, world.shopId, 2, "order.fulfilled", written + 2);
      written += 4;
      paid += 2;
      await pass(endpoints);
      simulatedMs += 60_000;
    }
    expect(written).to.equal(40);
    expect(down.receiver.arrivals, "nothing reaches a receiver that is down").to.have.length(0);
    expect(healthy.receiver.kept.map((event) => event.type)).to.deep.equal(Array(paid).fill("order.paid"));
    // While down, only the head was tried: the later deliveries waited for it, never attempted.
    const tried = await queryRows<{ sequence: string; attempts: number }>(
      database.db,
      sql`SELECT sequence::text, attempts FROM webhook_deliveries WHERE endpoint_id = ${down.endpoint.id} AND attempts > 0`,
    );
    expect(tried.map((row) => row.sequence)).to.deep.equal(["1"]);
    // Backoff: 5 s doubling, so 10 minutes of passes a minute apart make at most 8 attempts.
    expect(tried[0]!.attempts).to.be.within(5, 8);

    // It comes back answering 500 after processing a few (duplicates), then fine.
    down.receiver.mode = "accept_then_fail";
    for (let step = 0; step < 3; step++) {
      simulatedMs += retryDelayMs(settings, 12);
      await pass(endpoints);
    }
    down.receiver.mode = "ok";
    for (let step = 0; step < 20 && down.receiver.kept.length < written; step++) {
      simulatedMs += retryDelayMs(settings, 12);
      await pass(endpoints);
    }
    const sequences = down.receiver.arrivals.map((arrival) => arrival.event.sequence);
    expect(down.receiver.arrivals.length, "the 500 answers made duplicates").to.be.greaterThan(written);
    // In order: arrivals never go back except to repeat the delivery that failed.
    for (let index = 1; index < sequences.length; index++) expect(sequences[index]!).to.be.oneOf([sequences[index - 1]!, sequences[index - 1]! + 1]);
    expect(down.receiver.kept.map((event) => event.sequence)).to.deep.equal(Array.from({ length: written }, (_, index) => index + 1));
    expect(new Set(down.receiver.kept.map((event) => event.id)).size).to.equal(written);
    expect(down.receiver.kept.map((event) => (event.data as { n: number }).n)).to.deep.equal(Array.from({ length: written }, (_, index) => index));
    expect(down.receiver.refused).to.deep.equal([]);
  });

  it("abandons a delivery 24 hours after its first attempt, and the later ones then go", async () => {
    const gone = await receiverFor(["stock.out"]);
    gone.receiver.mode = "fail";
    await recordEvents(database.db, world.shopId, 3, "stock.out");
    const start = simulatedMs;
    while (simulatedMs - start < 25 * 3600_000 && gone.receiver.kept.length === 0) {
      await pass([gone.endpoint.id]);
      simulatedMs += 3600_000;
      if (simulatedMs - start > 24 * 3600_000) gone.receiver.mode = "ok";
    }
    await pass([gone.endpoint.id]);
    const states = await queryRows<{ sequence: string; state: string }>(
      database.db,
      sql`SELECT sequence::text, state FROM webhook_deliveries WHERE endpoint_id = ${gone.endpoint.id} ORDER BY sequence`,
    );
    expect(states[0]!.state).to.equal("abandoned");
    expect(states.slice(1).map((row) => row.state)).to.deep.equal(["delivered", "delivered"]);
  });
});
