// A group whose time ran out (docs/groupbuy.md): under the group's row lock it moves from open to
// expired and every member's held payment is refunded, exactly once per member. Two runners (the
// BullMQ delayed job of the group and the maintenance sweep, its safety net) may race: the second
// finds the group expired and does nothing. `now` is the runner's clock (tests drive it; the
// scheduler's jobs carry none and use the database's).
import { queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { heldOrderOf, lockGroup, refundHeldPayment } from "./heldPayments.ts";

export type ExpireGroupOutcome = { expired: boolean; refunded: number };

export async function expireGroup(db: Drizzle, settings: { platformFeeBps: number }, groupId: string, now?: Date): Promise<ExpireGroupOutcome> {
  return db.transaction(async (tx) => {
    const group = await lockGroup(tx, groupId, now);
    if (group?.state !== "open" || !group.due) return { expired: false, refunded: 0 };
    await tx.execute(sql`UPDATE buying_groups SET state = 'expired', expired_at = now() WHERE id = ${groupId}`);
    const held = await queryRows<{ id: string; shop_id: string; buyer_account_id: string | null; amount_minor: string; currency: string }>(
      tx,
      sql`SELECT o.id, o.shop_id, o.buyer_account_id, o.amount_minor, o.currency
          FROM group_members m JOIN orders o ON o.id = m.order_id
          WHERE m.group_id = ${groupId} AND o.state = 'paid' ORDER BY o.id FOR UPDATE OF o`,
    );
    for (const row of held) await refundHeldPayment(tx, settings, heldOrderOf(row), "group_expired");
    return { expired: true, refunded: held.length };
  });
}

/** The sweep: every open group past its expiry (at most `limit` per run; the next run takes the rest). */
export async function expireDueGroups(db: Drizzle, settings: { platformFeeBps: number }, options: { now?: Date; limit: number }): Promise<number> {
  const at = options.now ? sql`${options.now.toISOString()}::timestamptz` : sql`now()`;
  const due = await queryRows<{ id: string }>(
    db,
    sql`SELECT id FROM buying_groups WHERE state = 'open' AND expires_at <= ${at} ORDER BY expires_at LIMIT ${options.limit}`,
  );
  let expired = 0;
  for (const { id } of due) if ((await expireGroup(db, settings, id, options.now)).expired) expired++;
  return expired;
}
