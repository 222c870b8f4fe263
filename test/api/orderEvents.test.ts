// Long-poll waiters over real Redis pub/sub: a woken waiter gives its slot back once, even
// though the order page still calls cancel() when it finishes (it used to give it back twice,
// so the bound on waiters drifted upwards with every woken page).
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { createOrderEvents, type OrderEvents } from "../../api/services/orders/orderEvents.ts";
import { testEnv } from "../support/env.ts";

describe("order events (long-poll waiters)", () => {
  let connection: Redis;
  let events: OrderEvents;
  before(async () => {
    connection = new Redis(testEnv.redisUrl);
    events = await createOrderEvents(connection, `kltest-events-${randomBytes(3).toString("hex")}`, 1);
  });
  after(async () => {
    await events?.close();
    connection?.disconnect();
  });

  it("wakes a waiter on its order's message and counts it against the bound exactly once", async () => {
    const first = events.wait("KLORDER1", 5_000)!;
    expect(events.wait("KLORDER2", 5_000)).to.equal(undefined);
    await events.publish("KLORDER1");
    expect(await first.changed).to.equal(true);
    first.cancel();
    // One slot again: one waiter fits, a second does not.
    const second = events.wait("KLORDER2", 5_000);
    expect(second).to.not.equal(undefined);
    expect(events.wait("KLORDER3", 5_000)).to.equal(undefined);
    second!.cancel();
    expect(await second!.changed).to.equal(false);
  });
});
