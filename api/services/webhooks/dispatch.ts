// The webhook dispatcher (docs/webhooks.md). Events wait in the outbox (webhook_events, written
// by triggers in the transaction of their cause); fanning out turns each into one delivery per
// active endpoint of its shop that chose its type; delivering sends an endpoint's deliveries
// strictly in sequence order: the endpoint's first pending delivery (its head) goes first, and
// a later one waits until the head is delivered or abandoned. A failed head is tried again with
// exponential backoff until the retry window (24 hours) has passed since its first attempt.
//
// Ordering rests on three facts: a shop's events commit in sequence order (the sequence row's
// lock, 1120_webhooks.sql), fan-outs run one at a time (an advisory lock) taking events in id
// order, and an endpoint is delivered by one loop at a time (its lease). Delivery is at least
// once: a crash between a receiver's 2xx and the write-back sends that batch's tail again, and
// the receiver drops duplicates by event id.
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { integerArrayLiteral, textArrayLiteral } from "../../../core/store/sqlArrays.ts";
import { decryptSecret, webhookSecretAad } from "../../keys/envelope.ts";
import type { MasterKeyRing } from "../../keys/masterKeys.ts";
import { loadShopDataKey } from "../../keys/shopDataKey.ts";
import type { Sender, SendSettings } from "./sendDelivery.ts";
import { signatureHeader, signatureHeaderName } from "./signature.ts";

export type DispatchSettings = SendSettings & { retryBaseMs: number; retryMaxMs: number; retryWindowMs: number; batchSize: number };

export type Dispatcher = {
  db: Drizzle;
  keyRing: MasterKeyRing;
  sender: Sender;
  settings: DispatchSettings;
  /** The clock of retries and signatures; the suites pass a simulated one. */
  clock: () => Date;
};

/** Events fanned out per statement. */
const fanOutBatch = 2000;

/**
 * Fans out waiting events into deliveries; returns how many events it took. One fan-out runs at
 * a time (a transaction-level advisory lock): two running side by side could commit a shop's
 * later events before its earlier ones, and an endpoint would see them out of order.
 */
export async function fanOutEvents(db: Drizzle, limit = fanOutBatch): Promise<number> {
  const taken = await fanOutOnce(db, limit);
  if (taken > 0) for (const wake of wakers.get(db)?.splice(0) ?? []) wake();
  return taken;
}

/** How long an idle delivery loop waits for a wake-up before it polls the outbox again. */
const idlePollMs = 20;
/** An idle loop not woken looks at its endpoint's deliveries every this many polls (100 ms). */
const idleLookRounds = 5;

// Per database (the suites run several in one process): the idle loops waiting for a fan-out,
// and the one outbox poll in flight that they share.
const wakers = new WeakMap<Drizzle, (() => void)[]>();
const polls = new WeakMap<Drizzle, Promise<number>>();

/** A fan-out shared by the idle loops of this process: a loop arriving while one runs waits for it instead of sending its own. */
function pollFanOut(db: Drizzle): Promise<number> {
  const running = polls.get(db);
  if (running) return running;
  const poll = fanOutEvents(db).finally(() => polls.delete(db));
  polls.set(db, poll);
  return poll;
}

/** Resolves true when a fan-out in this process takes events, false after `ms`. */
function fanOutWake(db: Drizzle, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const waiting = wakers.get(db) ?? [];
    wakers.set(db, waiting);
    const timer = setTimeout(() => {
      const index = waiting.indexOf(wake);
      if (index >= 0) waiting.splice(index, 1);
      resolve(false);
    }, ms);
    const wake = () => {
      clearTimeout(timer);
      resolve(true);
    };
    waiting.push(wake);
  });
}

async function fanOutOnce(db: Drizzle, limit: number): Promise<number> {
  return db.transaction(async (tx) => {
    const locked = await queryOne<{ locked: boolean }>(tx, sql`SELECT pg_try_advisory_xact_lock(hashtext('keyledger.webhook_fan_out')) AS locked`);
    if (!locked?.locked) return 0;
    // Three statements, each with an index condition on ids: on a fresh table (no statistics
    // yet) a join or IN-subquery here was planned as a scan of the whole table per batch.
    const taken = await queryRows<{ id: string }>(tx, sql`SELECT id::text FROM webhook_events WHERE NOT fanned_out ORDER BY id LIMIT ${limit}`);
    if (taken.length === 0) return 0;
    const ids = integerArrayLiteral(taken.map((row) => row.id));
    await tx.execute(
      sql`INSERT INTO webhook_deliveries (endpoint_id, event_row_id, sequence)
          SELECT w.id, ev.id, ev.sequence FROM webhook_events ev JOIN webhook_endpoints w ON w.shop_id = ev.shop_id AND w.active AND ev.type = ANY(w.events)
          WHERE ev.id = ANY(${ids}::bigint[])
          ORDER BY ev.id
          ON CONFLICT DO NOTHING`,
    );
    await tx.execute(sql`UPDATE webhook_events SET fanned_out = true WHERE id = ANY(${ids}::bigint[])`);
    return taken.length;
  });
}

/** Active endpoints, not being delivered now, whose head delivery is due at `now`. */
export async function endpointsDue(db: Drizzle, now: Date, limit = 1000): Promise<bigint[]> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`SELECT w.id::text FROM webhook_endpoints w
        WHERE w.active AND (w.lease_until IS NULL OR w.lease_until < clock_timestamp())
          AND (SELECT d.next_attempt_at FROM webhook_deliveries d WHERE d.endpoint_id = w.id AND d.state = 'pending'
               ORDER BY d.sequence, d.id LIMIT 1) <= ${now.toISOString()}::timestamptz
        ORDER BY w.id LIMIT ${limit}`,
  );
  return rows.map((row) => BigInt(row.id));
}

export type DeliverOutcome = { delivered: number; failed: number; abandoned: number; leased: boolean };

type HeadRow = {
  id: string;
  sequence: string;
  attempts: number;
  first_attempt_at: Date | string | null;
  next_attempt_at: Date | string;
  event_id: string;
  type: string;
  payload: unknown;
  created_at: Date | string;
};

type Result = {
  id: string;
  state: "pending" | "delivered" | "abandoned";
  at: Date;
  next: Date;
  status?: number;
  error?: string;
  excerpt?: string;
  durationMs: number;
};

/**
 * Delivers one endpoint's due deliveries in sequence order, batch after batch, while it holds
 * the endpoint's lease, until nothing is due or `budgetMs` has passed. `idleMs`: how long to keep
 * looking for new events (fanning them out) once nothing is due, so a busy shop's events go out
 * without waiting for the next dispatch tick.
 */
export async function deliverEndpoint(
  dispatcher: Dispatcher,
  endpointId: bigint,
  options: { budgetMs?: number; idleMs?: number } = {},
): Promise<DeliverOutcome> {
  const { db, settings } = dispatcher;
  const outcome: DeliverOutcome = { delivered: 0, failed: 0, abandoned: 0, leased: false };
  const leaseMs = Math.max(30_000, settings.timeoutMs * 3);
  const endpoint = await lease(db, endpointId, leaseMs);
  if (!endpoint) return outcome;
  outcome.leased = true;
  const started = Date.now();
  let renewedAt = started;
  let idleSince: number | undefined;
  let idleRounds = 0;
  let look = true;
  try {
    while (Date.now() - started < (options.budgetMs ?? 10_000)) {
      if (look) {
        const batch = await deliverBatch(dispatcher, endpoint);
        outcome.delivered += batch.delivered;
        outcome.failed += batch.failed;
        outcome.abandoned += batch.abandoned;
        if (batch.failed > 0) break; // the head waits for its backoff
        if (batch.delivered + batch.abandoned > 0) {
          idleSince = undefined;
          idleRounds = 0;
          continue;
        }
      }
      idleSince ??= Date.now();
      if (Date.now() - idleSince >= (options.idleMs ?? 0)) break;
      // Idle: one poll of the outbox per process at a time, shared by the idle loops, and a
      // wake-up when a fan-out in this process took events; the endpoint's deliveries are looked
      // at again then, or every `idleLookRounds` polls for a fan-out made by another process.
      // (Each idle loop polling the outbox and its deliveries on its own every 20 ms was most of
      // the dispatcher's queries, and of its CPU, on a loaded machine: docs/webhooks.md "Benchmark".)
      const woken = (await pollFanOut(db)) > 0 || (await fanOutWake(db, idlePollMs));
      idleRounds += 1;
      look = woken || idleRounds % idleLookRounds === 0;
      if (Date.now() - renewedAt >= leaseMs / 3) {
        await renew(db, endpointId, leaseMs);
        renewedAt = Date.now();
      }
    }
  } finally {
    await db.execute(sql`UPDATE webhook_endpoints SET lease_until = NULL WHERE id = ${endpointId}`);
  }
  return outcome;
}

type LeasedEndpoint = { id: bigint; shopId: bigint; url: string };

async function lease(db: Drizzle, endpointId: bigint, leaseMs: number): Promise<LeasedEndpoint | undefined> {
  const row = await queryOne<{ id: string; shop_id: string; url: string }>(
    db,
    sql`UPDATE webhook_endpoints SET lease_until = clock_timestamp() + make_interval(secs => ${leaseMs / 1000})
        WHERE id = ${endpointId} AND active AND (lease_until IS NULL OR lease_until < clock_timestamp())
        RETURNING id::text, shop_id::text, url`,
  );
  return row ? { id: BigInt(row.id), shopId: BigInt(row.shop_id), url: row.url } : undefined;
}

async function renew(db: Drizzle, endpointId: bigint, leaseMs: number): Promise<void> {
  await db.execute(sql`UPDATE webhook_endpoints SET lease_until = clock_timestamp() + make_interval(secs => ${leaseMs / 1000}) WHERE id = ${endpointId}`);
}

// Decrypted secrets by their ciphertext (unique: a fresh nonce each), per key ring. Not by row
// id: two databases in one process (the suites' platforms, sharing the test key ring) have the
// same ids for other secrets, and a secret kept for one signed the other's deliveries (the full
// run's receivers refused every one). A secret never changes once written.
const secretsKeptByRing = new WeakMap<MasterKeyRing, Map<string, string>>();
const secretsKeptMax = 10_000;

async function activeSecrets(dispatcher: Dispatcher, endpoint: LeasedEndpoint, now: Date): Promise<string[]> {
  const rows = await queryRows<{ id: string; secret_encrypted: Uint8Array }>(
    dispatcher.db,
    sql`SELECT id::text, secret_encrypted FROM webhook_secrets
        WHERE endpoint_id = ${endpoint.id} AND (expires_at IS NULL OR expires_at > ${now.toISOString()}::timestamptz) ORDER BY id DESC`,
  );
  const secrets: string[] = [];
  let secretsKept = secretsKeptByRing.get(dispatcher.keyRing);
  if (!secretsKept) {
    secretsKept = new Map();
    secretsKeptByRing.set(dispatcher.keyRing, secretsKept);
  }
  for (const row of rows) {
    const kept = Buffer.from(row.secret_encrypted).toString("base64");
    let secret = secretsKept.get(kept);
    if (secret === undefined) {
      const dataKey = await loadShopDataKey(dispatcher.db, dispatcher.keyRing, endpoint.shopId);
      secret = decryptSecret(dataKey, row.secret_encrypted, webhookSecretAad({ shopId: endpoint.shopId, endpointId: endpoint.id }));
      if (secretsKept.size >= secretsKeptMax) secretsKept.delete(secretsKept.keys().next().value!);
      secretsKept.set(kept, secret);
    }
    secrets.push(secret);
  }
  return secrets;
}

/** The delay before attempt `attempts + 1`, after `attempts` failures: base × 2^(attempts − 1), capped. */
export function retryDelayMs(settings: Pick<DispatchSettings, "retryBaseMs" | "retryMaxMs">, attempts: number): number {
  return Math.min(settings.retryMaxMs, settings.retryBaseMs * 2 ** Math.min(30, Math.max(0, attempts - 1)));
}

/** The JSON body of an event's delivery (what the signature covers, byte for byte). */
export function eventBody(
  row: { event_id: string; type: string; sequence: string | number; created_at: Date | string; payload: unknown },
  shopId: bigint,
): string {
  return JSON.stringify({
    id: row.event_id,
    type: row.type,
    sequence: Number(row.sequence),
    shopId: shopId.toString(),
    createdAt: new Date(row.created_at).toISOString(),
    data: row.payload,
  });
}

async function deliverBatch(dispatcher: Dispatcher, endpoint: LeasedEndpoint): Promise<{ delivered: number; failed: number; abandoned: number }> {
  const { db, settings, sender } = dispatcher;
  const pending = await queryRows<Omit<HeadRow, "event_id" | "type" | "payload" | "created_at"> & { event_row_id: string }>(
    db,
    sql`SELECT d.id::text, d.sequence::text, d.attempts, d.first_attempt_at, d.next_attempt_at, d.event_row_id::text
        FROM webhook_deliveries d
        WHERE d.endpoint_id = ${endpoint.id} AND d.state = 'pending'
        ORDER BY d.sequence, d.id LIMIT ${settings.batchSize}`,
  );
  // The events by id (an index condition, whatever the table's statistics say).
  const events =
    pending.length === 0
      ? []
      : await queryRows<{ id: string; event_id: string; type: string; payload: unknown; created_at: Date | string }>(
          db,
          sql`SELECT id::text, event_id::text, type, payload, created_at FROM webhook_events WHERE id = ANY(${integerArrayLiteral(pending.map((row) => row.event_row_id))}::bigint[])`,
        );
  const eventsById = new Map(events.map((event) => [event.id, event]));
  const heads: HeadRow[] = pending.map((row) => ({ ...row, ...eventsById.get(row.event_row_id)!, id: row.id }));
  const counts = { delivered: 0, failed: 0, abandoned: 0 };
  if (heads.length === 0 || new Date(heads[0]!.next_attempt_at).getTime() > dispatcher.clock().getTime()) return counts;
  const secrets = await activeSecrets(dispatcher, endpoint, dispatcher.clock());
  const results: Result[] = [];
  for (const head of heads) {
    const at = dispatcher.clock();
    if (new Date(head.next_attempt_at).getTime() > at.getTime()) break;
    const body = eventBody(head, endpoint.shopId);
    const sent =
      secrets.length === 0
        ? { ok: false, error: "no_active_secret", durationMs: 0 }
        : await sender.send(endpoint.url, body, {
            [signatureHeaderName]: signatureHeader(secrets, Math.floor(at.getTime() / 1000), body),
            "Keyledger-Event-Id": head.event_id,
            "Keyledger-Event-Type": head.type,
          });
    const base = { id: head.id, at, next: at, status: sent.statusCode, error: sent.error, excerpt: sent.responseExcerpt, durationMs: sent.durationMs };
    if (sent.ok) {
      results.push({ ...base, state: "delivered" });
      counts.delivered += 1;
      continue;
    }
    const firstAttempt = head.first_attempt_at ? new Date(head.first_attempt_at).getTime() : at.getTime();
    const next = new Date(at.getTime() + retryDelayMs(settings, head.attempts + 1));
    if (next.getTime() - firstAttempt > settings.retryWindowMs) {
      // Past the window: given up, so the endpoint's later events can go.
      results.push({ ...base, state: "abandoned" });
      counts.abandoned += 1;
      continue;
    }
    results.push({ ...base, state: "pending", next });
    counts.failed += 1;
    break;
  }
  await recordResults(db, results);
  return counts;
}

/** One statement writes a batch's outcomes and its attempt log rows. */
async function recordResults(db: Drizzle, results: Result[]): Promise<void> {
  if (results.length === 0) return;
  const iso = (date: Date) => date.toISOString();
  await db.execute(
    sql`WITH r AS (
          SELECT * FROM unnest(${integerArrayLiteral(results.map((r) => r.id))}::bigint[], ${textArrayLiteral(results.map((r) => r.state))}::text[],
                               ${textArrayLiteral(results.map((r) => iso(r.at)))}::timestamptz[], ${textArrayLiteral(results.map((r) => iso(r.next)))}::timestamptz[],
                               ${textArrayLiteral(results.map((r) => (r.status === undefined ? null : String(r.status))))}::int[],
                               ${textArrayLiteral(results.map((r) => r.error ?? null))}::text[], ${textArrayLiteral(results.map((r) => r.excerpt ?? null))}::text[],
                               ${integerArrayLiteral(results.map((r) => r.durationMs))}::int[])
            AS r(id, state, at, next, status, error, excerpt, duration_ms)
        ),
        updated AS (
          UPDATE webhook_deliveries d SET state = r.state, attempts = d.attempts + 1, next_attempt_at = r.next,
                 first_attempt_at = coalesce(d.first_attempt_at, r.at), last_status = r.status, last_error = r.error,
                 delivered_at = CASE WHEN r.state = 'delivered' THEN r.at END
          FROM r WHERE d.id = r.id AND d.id = ANY(${integerArrayLiteral(results.map((r) => r.id))}::bigint[]) AND d.state = 'pending'
          RETURNING d.id
        )
        INSERT INTO webhook_delivery_attempts (delivery_id, attempted_at, status_code, error, response_excerpt, duration_ms)
        SELECT r.id, r.at, r.status, r.error, r.excerpt, r.duration_ms FROM r`,
  );
}
