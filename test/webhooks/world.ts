// A shop with webhook endpoints straight on a database (no API): what the dispatcher suite and
// the benchmark need. Events are recorded through the outbox function the triggers call.
import { randomBytes } from "node:crypto";
import { queryOne, sql, type Drizzle } from "../../core/store/database.ts";
import { createMasterKeyRing, type MasterKeyRing } from "../../api/keys/masterKeys.ts";
import { createShop } from "../../api/services/shops/shops.ts";
import { createEndpoint, type WebhookEventType } from "../../api/services/webhooks/endpoints.ts";

export type WebhookWorld = { keyRing: MasterKeyRing; accountId: bigint; shopId: bigint };

export async function createWebhookWorld(db: Drizzle): Promise<WebhookWorld> {
  const keyRing = createMasterKeyRing({ id: "webhooks-test", key: randomBytes(32) });
  const suffix = randomBytes(4).toString("hex");
  const account = await queryOne<{ id: string }>(
    db,
    sql`INSERT INTO accounts (email, password_hash, roles) VALUES (${`hooks-${suffix}@example.com`}, 'x', ARRAY['merchant']) RETURNING id::text`,
  );
  const shop = await createShop(db, keyRing, { ownerAccountId: BigInt(account!.id), slug: `hooks-${suffix}`, name: `Hooks ${suffix}` });
  return { keyRing, accountId: BigInt(account!.id), shopId: BigInt(shop.id) };
}

export async function addEndpoint(
  db: Drizzle,
  world: WebhookWorld,
  url: string,
  events: WebhookEventType[] = ["order.paid"],
): Promise<{ id: bigint; secret: string }> {
  const endpoint = await createEndpoint(
    { db, keyRing: world.keyRing, allowLoopback: true, planLimits: false },
    { shopId: world.shopId, accountId: world.accountId, url, description: "", events },
  );
  return { id: BigInt(endpoint.id), secret: endpoint.secret };
}

/** Records `count` events of one type in one transaction, as a trigger would. */
export async function recordEvents(db: Drizzle, shopId: bigint, count: number, type: WebhookEventType = "order.paid", first = 0): Promise<void> {
  const events = Array.from({ length: count }, (_, index) => ({ shop: shopId.toString(), type, payload: { n: first + index } }));
  await db.execute(sql`SELECT webhook_record_events(${JSON.stringify(events)}::jsonb)`);
}
