// npm run bench:webhooks: 10,000 events of one shop fanned out to 4 local receivers (node:http
// servers verifying every signature with docs/examples/verifyWebhook.ts) through the real
// BullMQ dispatcher (api/jobs/processors/webhooks.ts) on Redis and a fresh PostgreSQL database.
// One receiver answers 503 for the first half of the run; it must get every event afterwards.
// Events are written at a steady rate (--rate per second) in small transactions, as sales would.
// Prints name=value lines, the figures last:
//   webhook_deliveries_per_s     deliveries (all 4 receivers) / time from the first event to the last delivery
//   webhook_delivery_p99_ms      event written -> received, healthy receivers, 99th percentile
//   events_lost                  events some receiver never got
//   events_out_of_order          first arrivals out of sequence order, summed over receivers
//   webhook_cpu_us_per_delivery  this process's CPU (dispatcher, receivers, producer) per delivery
import { Queue, Worker, type ConnectionOptions } from "bullmq";
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { createLogger } from "../../core/logger.ts";
import { sql } from "../../core/store/database.ts";
import { createRedis } from "../../api/jobs/queues.ts";
import { processWebhookJob, type WebhookWork } from "../../api/jobs/processors/webhooks.ts";
import { createSender } from "../../api/services/webhooks/sendDelivery.ts";
import { deleteRedisKeys } from "../lib/deleteRedisKeys.ts";
import { createServerDatabase } from "../../test/support/database.ts";
import { testEnv } from "../../test/support/env.ts";
import { startReceiver } from "../../test/webhooks/receiver.ts";
import { addEndpoint, createWebhookWorld } from "../../test/webhooks/world.ts";

const { values: flags } = parseArgs({
  options: {
    events: { type: "string", default: "10000" },
    rate: { type: "string", default: "500" },
    receivers: { type: "string", default: "4" },
  },
});
const eventCount = Number(flags.events);
const ratePerSecond = Number(flags.rate);
const receiverCount = Number(flags.receivers);

const settings = {
  retryBaseMs: 250,
  retryMaxMs: 2_000,
  retryWindowMs: 24 * 3600 * 1000,
  timeoutMs: 5_000,
  responseBytesMax: 64 * 1024,
  allowLoopback: true,
  batchSize: 200,
};

const database = await createServerDatabase({ poolSizeMax: 12 });
const prefix = `klbench-${randomBytes(4).toString("hex")}`;
const connections = [createRedis(testEnv.redisUrl), createRedis(testEnv.redisUrl)];
const queue = new Queue("webhooks", { connection: connections[0] as unknown as ConnectionOptions, prefix });
const sender = createSender(settings);
const world = await createWebhookWorld(database.db);
const receivers = await Promise.all(Array.from({ length: receiverCount }, () => startReceiver([])));
for (const receiver of receivers) {
  const endpoint = await addEndpoint(database.db, world, receiver.url, ["order.paid"]);
  receiver.secrets.push(endpoint.secret);
}
const failing = receivers[0]!;
failing.mode = "fail";

const work: WebhookWork = {
  dispatcher: { db: database.db, keyRing: world.keyRing, sender, settings, clock: () => new Date() },
  queue,
  mailer: undefined,
  publicUrl: "http://127.0.0.1",
  logger: createLogger({ level: "warn" }),
};
const worker = new Worker("webhooks", (job) => processWebhookJob(work, job), {
  connection: connections[1] as unknown as ConnectionOptions,
  prefix,
  concurrency: receiverCount + 1,
});
await queue.upsertJobScheduler(
  "webhooks-dispatch",
  { every: 200 },
  { name: "dispatch", opts: { attempts: 1, removeOnComplete: true, removeOnFail: { count: 100 } } },
);

// Events are written in transactions of `perTick` every 20 ms; `writtenAt` by payload n.
const writtenAt: number[] = [];
const tickMs = 20;
const perTick = Math.max(1, Math.round((ratePerSecond * tickMs) / 1000));
const cpuStart = process.cpuUsage();
const started = performance.now();
let written = 0;
let recovered = false;
while (written < eventCount) {
  const count = Math.min(perTick, eventCount - written);
  const events = Array.from({ length: count }, (_, index) => ({ shop: world.shopId.toString(), type: "order.paid", payload: { n: written + index } }));
  const at = performance.now();
  await database.db.execute(sql`SELECT webhook_record_events(${JSON.stringify(events)}::jsonb)`);
  for (let index = 0; index < count; index++) writtenAt[written + index] = at;
  written += count;
  if (!recovered && written >= eventCount / 2) {
    failing.mode = "ok";
    recovered = true;
  }
  const due = started + (written / ratePerSecond) * 1000;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}
const deadline = Date.now() + 300_000;
while (receivers.some((receiver) => receiver.kept.length < eventCount) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
const elapsedMs = performance.now() - started;
const cpu = process.cpuUsage(cpuStart);

// Receivers see performance.now() through Date.now() stamps: convert arrival to the same clock.
const offset = Date.now() - performance.now();
const latencies: number[] = [];
for (const receiver of receivers.slice(1))
  for (const arrival of receiver.arrivals) latencies.push(arrival.at - offset - writtenAt[(arrival.event.data as { n: number }).n]!);
latencies.sort((a, b) => a - b);
const p99 = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] ?? Number.NaN;
let lost = 0;
let outOfOrder = 0;
for (const receiver of receivers) {
  lost += eventCount - receiver.kept.length;
  receiver.kept.forEach((event, index) => {
    if (event.sequence !== index + 1) outOfOrder += 1;
  });
}
const deliveries = receivers.reduce((sum, receiver) => sum + receiver.kept.length, 0);
const duplicates = receivers.reduce((sum, receiver) => sum + receiver.arrivals.length - receiver.kept.length, 0);

await queue.removeJobScheduler("webhooks-dispatch");
await worker.close();
await queue.close();
for (const connection of connections) connection.disconnect();
sender.close();
for (const receiver of receivers) await receiver.close();
await deleteRedisKeys(testEnv.redisUrl, prefix);
await database.drop();

console.log(`webhook_events=${eventCount}`);
console.log(`webhook_receivers=${receiverCount}`);
console.log(`webhook_event_rate_per_s=${ratePerSecond}`);
console.log(`webhook_run_s=${(elapsedMs / 1000).toFixed(1)}`);
console.log(`webhook_duplicates=${duplicates}`);
console.log(`webhook_deliveries_per_s=${Math.round(deliveries / (elapsedMs / 1000))}`);
console.log(`webhook_delivery_p99_ms=${Math.round(p99)}`);
console.log(`events_lost=${lost}`);
console.log(`events_out_of_order=${outOfOrder}`);
console.log(`webhook_cpu_us_per_delivery=${Math.round((cpu.user + cpu.system) / Math.max(1, deliveries))}`);
