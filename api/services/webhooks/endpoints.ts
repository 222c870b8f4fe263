// Webhook endpoints of a shop (docs/webhooks.md): create (the signing secret is answered once
// and stored encrypted with the shop's data key), change events or pause, rotate the secret with
// an overlap window, read the delivery log, replay a delivery. Callers check the shop manager.
import { AppError } from "../../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { textArrayLiteral } from "../../../core/store/sqlArrays.ts";
import { encryptSecret, webhookSecretAad } from "../../keys/envelope.ts";
import type { MasterKeyRing } from "../../keys/masterKeys.ts";
import { loadShopDataKey } from "../../keys/shopDataKey.ts";
import { recordAudit } from "../audit.ts";
import { assertWebhookRoom } from "../saas/plans.ts";
import { assertReceiverUrl } from "./receiverAddress.ts";
import { newWebhookSecret } from "./signature.ts";

export const webhookEventTypes = [
  "order.paid",
  "order.fulfilled",
  "order.refunded",
  "stock.low",
  "stock.out",
  "batch.anchored",
  "entitlement.issued",
  "entitlement.transferred",
  "entitlement.redeemed",
  "entitlement.revoked",
  "dispute.opened",
] as const;
export type WebhookEventType = (typeof webhookEventTypes)[number];

/**
 * The platform's absolute cap on a shop's endpoints, whatever its plan (each endpoint is a delivery
 * loop of the dispatcher and a fan-out row per event): it holds when SAAS_LIMITS_ENFORCED is false
 * and for a plan an admin edits above it. The plan's webhooks_max is the limit a shop usually meets.
 */
export const endpointsPerShopMax = 20;

export type WebhookEndpointView = {
  id: string;
  url: string;
  description: string;
  events: WebhookEventType[];
  active: boolean;
  createdAt: string;
  secrets: { id: string; createdAt: string; expiresAt: string | null }[];
  pending: number;
};

type EndpointRow = { id: string; url: string; description: string; events: string[]; active: boolean; created_at: Date | string; pending: number };

/** planLimits: the shop's plan limits its endpoints (SAAS_LIMITS_ENFORCED). */
export type EndpointDeps = { db: Drizzle; keyRing: MasterKeyRing; allowLoopback: boolean; planLimits: boolean };

async function endpointViews(db: Drizzle, shopId: bigint, endpointId?: bigint): Promise<WebhookEndpointView[]> {
  const rows = await queryRows<EndpointRow>(
    db,
    sql`SELECT w.id::text, w.url, w.description, w.events, w.active, w.created_at,
               (SELECT count(*)::int FROM webhook_deliveries d WHERE d.endpoint_id = w.id AND d.state = 'pending') AS pending
        FROM webhook_endpoints w WHERE w.shop_id = ${shopId} ${endpointId === undefined ? sql`` : sql`AND w.id = ${endpointId}`} ORDER BY w.id`,
  );
  if (rows.length === 0) return [];
  const secrets = await queryRows<{ id: string; endpoint_id: string; created_at: Date | string; expires_at: Date | string | null }>(
    db,
    sql`SELECT s.id::text, s.endpoint_id::text, s.created_at, s.expires_at FROM webhook_secrets s JOIN webhook_endpoints w ON w.id = s.endpoint_id
        WHERE w.shop_id = ${shopId} AND (s.expires_at IS NULL OR s.expires_at > now()) ORDER BY s.id`,
  );
  return rows.map((row) => ({
    id: row.id,
    url: row.url,
    description: row.description,
    events: row.events as WebhookEventType[],
    active: row.active,
    createdAt: new Date(row.created_at).toISOString(),
    pending: row.pending,
    secrets: secrets
      .filter((secret) => secret.endpoint_id === row.id)
      .map((secret) => ({
        id: secret.id,
        createdAt: new Date(secret.created_at).toISOString(),
        expiresAt: secret.expires_at ? new Date(secret.expires_at).toISOString() : null,
      })),
  }));
}

export function listEndpoints(db: Drizzle, shopId: bigint): Promise<WebhookEndpointView[]> {
  return endpointViews(db, shopId);
}

async function endpointView(db: Drizzle, shopId: bigint, endpointId: bigint): Promise<WebhookEndpointView> {
  const [view] = await endpointViews(db, shopId, endpointId);
  if (!view) throw new AppError("not_found", `No webhook endpoint ${endpointId} in this shop.`);
  return view;
}

async function storeSecret(tx: Drizzle, keyRing: MasterKeyRing, shopId: bigint, endpointId: bigint): Promise<string> {
  const secret = newWebhookSecret();
  const dataKey = await loadShopDataKey(tx, keyRing, shopId);
  const encrypted = encryptSecret(dataKey, secret, webhookSecretAad({ shopId, endpointId }));
  await tx.execute(sql`INSERT INTO webhook_secrets (endpoint_id, secret_encrypted) VALUES (${endpointId}, ${encrypted})`);
  return secret;
}

export async function createEndpoint(
  deps: EndpointDeps,
  input: { shopId: bigint; accountId: bigint; url: string; description: string; events: WebhookEventType[] },
): Promise<WebhookEndpointView & { secret: string }> {
  await assertReceiverUrl(input.url, deps.allowLoopback);
  const { endpointId, secret } = await deps.db.transaction(async (tx) => {
    // The shop's row lock serialises creations, so the plan's limit and the cap hold under races.
    if (deps.planLimits) await assertWebhookRoom(tx, input.shopId);
    else await tx.execute(sql`SELECT id FROM shops WHERE id = ${input.shopId} FOR UPDATE`);
    const count = await queryOne<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM webhook_endpoints WHERE shop_id = ${input.shopId}`);
    if ((count?.n ?? 0) >= endpointsPerShopMax)
      throw new AppError("conflict", `A shop has at most ${endpointsPerShopMax} webhook endpoints: delete or reuse one.`);
    const row = await queryOne<{ id: string }>(
      tx,
      sql`INSERT INTO webhook_endpoints (shop_id, url, description, events)
          VALUES (${input.shopId}, ${input.url}, ${input.description}, ${textArrayLiteral([...new Set(input.events)])}::text[]) RETURNING id::text`,
    );
    const endpointId = BigInt(row!.id);
    const secret = await storeSecret(tx, deps.keyRing, input.shopId, endpointId);
    await recordAudit(tx, {
      accountId: input.accountId,
      action: "webhook.create",
      subject: `webhook_endpoint:${endpointId}`,
      details: { url: input.url, events: input.events },
    });
    return { endpointId, secret };
  });
  return { ...(await endpointView(deps.db, input.shopId, endpointId)), secret };
}

export async function updateEndpoint(
  deps: EndpointDeps,
  input: { shopId: bigint; endpointId: bigint; accountId: bigint; url?: string; description?: string; events?: WebhookEventType[]; active?: boolean },
): Promise<WebhookEndpointView> {
  if (input.url !== undefined) await assertReceiverUrl(input.url, deps.allowLoopback);
  await deps.db.transaction(async (tx) => {
    // Resuming a paused endpoint takes a place under the plan as creating one does (the shop lock, then the count).
    if (input.active === true && deps.planLimits) {
      const paused = await queryOne(tx, sql`SELECT 1 FROM webhook_endpoints WHERE id = ${input.endpointId} AND shop_id = ${input.shopId} AND NOT active`);
      if (paused) await assertWebhookRoom(tx, input.shopId);
    }
    const row = await queryOne<{ id: string }>(
      tx,
      sql`UPDATE webhook_endpoints SET
            url = coalesce(${input.url ?? null}, url),
            description = coalesce(${input.description ?? null}, description),
            events = coalesce(${input.events ? textArrayLiteral([...new Set(input.events)]) : null}::text[], events),
            active = coalesce(${input.active ?? null}::boolean, active)
          WHERE id = ${input.endpointId} AND shop_id = ${input.shopId} RETURNING id::text`,
    );
    if (!row) throw new AppError("not_found", `No webhook endpoint ${input.endpointId} in this shop.`);
    await recordAudit(tx, {
      accountId: input.accountId,
      action: "webhook.update",
      subject: `webhook_endpoint:${input.endpointId}`,
      details: { url: input.url, events: input.events, active: input.active },
    });
  });
  return endpointView(deps.db, input.shopId, input.endpointId);
}

/**
 * A new secret; the endpoint's other active secrets expire after `overlapSeconds` (0: at once).
 * Until then every delivery carries one signature per active secret.
 */
export async function rotateSecret(
  deps: EndpointDeps,
  input: { shopId: bigint; endpointId: bigint; accountId: bigint; overlapSeconds: number },
): Promise<WebhookEndpointView & { secret: string }> {
  const secret = await deps.db.transaction(async (tx) => {
    const row = await queryOne<{ id: string }>(
      tx,
      sql`SELECT id::text FROM webhook_endpoints WHERE id = ${input.endpointId} AND shop_id = ${input.shopId} FOR UPDATE`,
    );
    if (!row) throw new AppError("not_found", `No webhook endpoint ${input.endpointId} in this shop.`);
    await tx.execute(
      sql`UPDATE webhook_secrets SET expires_at = least(coalesce(expires_at, 'infinity'), now() + make_interval(secs => ${input.overlapSeconds}))
          WHERE endpoint_id = ${input.endpointId} AND (expires_at IS NULL OR expires_at > now())`,
    );
    const secret = await storeSecret(tx, deps.keyRing, input.shopId, input.endpointId);
    await recordAudit(tx, {
      accountId: input.accountId,
      action: "webhook.rotate_secret",
      subject: `webhook_endpoint:${input.endpointId}`,
      details: { overlapSeconds: input.overlapSeconds },
    });
    return secret;
  });
  return { ...(await endpointView(deps.db, input.shopId, input.endpointId)), secret };
}

export type WebhookDeliveryView = {
  id: string;
  eventId: string;
  type: string;
  sequence: string;
  state: "pending" | "delivered" | "abandoned";
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  replayOf: string | null;
  createdAt: string;
  lastResponse: string | null;
  lastDurationMs: number | null;
};

export async function listDeliveries(
  db: Drizzle,
  input: { shopId: bigint; endpointId: bigint; beforeId?: bigint; limit: number },
): Promise<{ items: WebhookDeliveryView[]; nextCursor: string | null }> {
  await endpointView(db, input.shopId, input.endpointId);
  const rows = await queryRows<{
    id: string;
    event_id: string;
    type: string;
    sequence: string;
    state: WebhookDeliveryView["state"];
    attempts: number;
    last_status: number | null;
    last_error: string | null;
    next_attempt_at: Date | string;
    delivered_at: Date | string | null;
    replay_of: string | null;
    created_at: Date | string;
    response_excerpt: string | null;
    duration_ms: number | null;
  }>(
    db,
    sql`SELECT d.id::text, ev.event_id::text, ev.type, d.sequence::text, d.state, d.attempts, d.last_status, d.last_error, d.next_attempt_at,
               d.delivered_at, d.replay_of::text, d.created_at, a.response_excerpt, a.duration_ms
        FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_row_id
        LEFT JOIN LATERAL (SELECT response_excerpt, duration_ms FROM webhook_delivery_attempts a WHERE a.delivery_id = d.id ORDER BY a.id DESC LIMIT 1) a ON true
        WHERE d.endpoint_id = ${input.endpointId} ${input.beforeId === undefined ? sql`` : sql`AND d.id < ${input.beforeId}`}
        ORDER BY d.id DESC LIMIT ${input.limit + 1}`,
  );
  const page = rows.slice(0, input.limit);
  const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());
  return {
    items: page.map((row) => ({
      id: row.id,
      eventId: row.event_id,
      type: row.type,
      sequence: row.sequence,
      state: row.state,
      attempts: row.attempts,
      lastStatus: row.last_status,
      lastError: row.last_error,
      nextAttemptAt: row.state === "pending" ? iso(row.next_attempt_at) : null,
      deliveredAt: iso(row.delivered_at),
      replayOf: row.replay_of,
      createdAt: iso(row.created_at)!,
      lastResponse: row.response_excerpt,
      lastDurationMs: row.duration_ms,
    })),
    nextCursor: rows.length > input.limit ? page.at(-1)!.id : null,
  };
}

/** Sends a delivered or abandoned delivery's event again, as a new delivery due now. */
export async function replayDelivery(
  db: Drizzle,
  input: { shopId: bigint; endpointId: bigint; deliveryId: bigint; accountId: bigint },
): Promise<{ id: string }> {
  return db.transaction(async (tx) => {
    const original = await queryOne<{ id: string; state: string; event_row_id: string; sequence: string }>(
      tx,
      sql`SELECT d.id::text, d.state, d.event_row_id::text, d.sequence::text FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id
          WHERE d.id = ${input.deliveryId} AND d.endpoint_id = ${input.endpointId} AND w.shop_id = ${input.shopId}`,
    );
    if (!original) throw new AppError("not_found", `No delivery ${input.deliveryId} of this endpoint.`);
    if (original.state === "pending")
      throw new AppError("invalid_state", "This delivery is still pending: it is sent (again) on its own; replay it once delivered or abandoned.");
    const replay = await queryOne<{ id: string }>(
      tx,
      sql`INSERT INTO webhook_deliveries (endpoint_id, event_row_id, sequence, replay_of)
          VALUES (${input.endpointId}, ${original.event_row_id}, ${original.sequence}, ${input.deliveryId}) RETURNING id::text`,
    );
    await recordAudit(tx, {
      accountId: input.accountId,
      action: "webhook.replay",
      subject: `webhook_delivery:${input.deliveryId}`,
      details: { replay: replay!.id },
    });
    return { id: replay!.id };
  });
}

export type ShopNoticeView = {
  id: string;
  kind: "stock_low" | "stock_out";
  productId: string | null;
  productName: string;
  available: number;
  threshold: number;
  createdAt: string;
};

/** The shop's console notices (stock alerts), newest first. */
export async function listShopNotices(
  db: Drizzle,
  input: { shopId: bigint; beforeId?: bigint; limit: number },
): Promise<{ items: ShopNoticeView[]; nextCursor: string | null }> {
  const rows = await queryRows<{
    id: string;
    kind: ShopNoticeView["kind"];
    product_id: string | null;
    details: { productName?: string; available?: number; threshold?: number };
    created_at: Date | string;
  }>(
    db,
    sql`SELECT id::text, kind, product_id::text, details, created_at FROM shop_notices
        WHERE shop_id = ${input.shopId} ${input.beforeId === undefined ? sql`` : sql`AND id < ${input.beforeId}`} ORDER BY id DESC LIMIT ${input.limit + 1}`,
  );
  const page = rows.slice(0, input.limit);
  return {
    items: page.map((row) => ({
      id: row.id,
      kind: row.kind,
      productId: row.product_id,
      productName: row.details.productName ?? "",
      available: Number(row.details.available ?? 0),
      threshold: Number(row.details.threshold ?? 0),
      createdAt: new Date(row.created_at).toISOString(),
    })),
    nextCursor: rows.length > input.limit ? page.at(-1)!.id : null,
  };
}
