// Opening and joining a group (docs/groupbuy.md). Each member's order is an ordinary checkout
// (createOrder: its key reserved, its price from the one pricing function at the group's price,
// the group recorded in the order's pricing), paid through the platform. Joining creates only an
// unpaid order: a seat is taken when the payment is accepted (heldPayments.ts, under the group's
// lock), so an unpaid join never holds a seat, and it expires like any unpaid order. The checks
// here refuse what is already known to fail (a full, expired or own group, a second order of the
// same member) before anything is written; the seat decides the races.
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { createOrder, type CreateOrderInput, type CreateOrderSettings } from "../orders/createOrder.ts";
import { randomCrockford } from "../orders/orderId.ts";
import type { OrderRecord } from "../orders/orderRecord.ts";

export type GroupCaller = Pick<CreateOrderInput, "clientAddress" | "deviceId" | "walletAddress" | "captchaPayload"> & {
  accountId: bigint;
  email: string;
};

export type GroupView = {
  id: string;
  productId: string;
  productName: string;
  shopId: string;
  priceMinor: string;
  listPriceMinor: string;
  currency: string;
  size: number;
  membersCount: number;
  state: "open" | "filled" | "expired";
  expiresAt: string;
  createdAt: string;
  sharePath: string;
  /** The caller's relation to the group: its leader, a member (seated), or neither. */
  viewer: { leader: boolean; member: boolean };
};

/** Group ids are public links (/g/<id>): 20 random base32 characters (100 bits), never guessable. */
export const groupIdPattern = /^G[0-9A-Z]{20}$/;

export function newGroupId(): string {
  return `G${randomCrockford(20)}`;
}

type GroupRow = {
  id: string;
  product_id: string;
  product_name: string;
  shop_id: string;
  leader_account_id: string;
  price_minor: string;
  list_price_minor: string;
  currency: string;
  size: number;
  members_count: number;
  state: GroupView["state"];
  expires_at: Date | string;
  created_at: Date | string;
  expired_by_time: boolean;
};

async function readGroup(db: Drizzle, groupId: string): Promise<GroupRow> {
  const row = await queryOne<GroupRow>(
    db,
    sql`SELECT g.id, g.product_id, p.name AS product_name, g.shop_id, g.leader_account_id, g.price_minor, p.price_minor AS list_price_minor,
               g.currency, g.size, g.members_count, g.state, g.expires_at, g.created_at, g.expires_at <= now() AS expired_by_time
        FROM buying_groups g JOIN products p ON p.id = g.product_id WHERE g.id = ${groupId}`,
  );
  if (!row) throw new AppError("not_found", `No group ${groupId}. Check the link you were sent.`);
  return row;
}

export async function getGroupView(db: Drizzle, groupId: string, viewerAccountId?: bigint): Promise<GroupView> {
  const row = await readGroup(db, groupId);
  const member =
    viewerAccountId !== undefined &&
    (await queryOne(db, sql`SELECT 1 AS one FROM group_members WHERE group_id = ${groupId} AND account_id = ${viewerAccountId} AND refunded_at IS NULL`)) !==
      undefined;
  return {
    id: row.id,
    productId: String(row.product_id),
    productName: row.product_name,
    shopId: String(row.shop_id),
    priceMinor: String(row.price_minor),
    listPriceMinor: String(row.list_price_minor),
    currency: row.currency,
    size: row.size,
    membersCount: row.members_count,
    // An open group past its time is shown expired at once; the job or the sweep refunds it.
    state: row.state === "open" && row.expired_by_time ? "expired" : row.state,
    expiresAt: new Date(row.expires_at).toISOString(),
    createdAt: new Date(row.created_at).toISOString(),
    sharePath: `/g/${row.id}`,
    viewer: { leader: viewerAccountId !== undefined && BigInt(row.leader_account_id) === viewerAccountId, member },
  };
}

/** What a group order's checkout always is: one unit, paid through the platform, at the group's price. */
function groupCheckout(caller: GroupCaller, productId: bigint, group: { id: string; unitPriceMinor: bigint }): CreateOrderInput {
  return {
    productId,
    quantity: 1,
    buyerAccountId: caller.accountId,
    buyerEmail: caller.email,
    paymentMethod: "chain",
    group,
    ...(caller.clientAddress ? { clientAddress: caller.clientAddress } : {}),
    ...(caller.deviceId ? { deviceId: caller.deviceId } : {}),
    ...(caller.walletAddress ? { walletAddress: caller.walletAddress } : {}),
    ...(caller.captchaPayload ? { captchaPayload: caller.captchaPayload } : {}),
  };
}

/**
 * Opens a group on the product's active offer: the group row, then the leader's order. If the
 * order cannot be created (out of stock, a risk refusal) the group is removed again: it has no
 * member and no order, so nothing refers to it.
 */
export async function openGroup(
  db: Drizzle,
  settings: CreateOrderSettings,
  input: { productId: bigint; caller: GroupCaller },
): Promise<{ group: GroupView; order: OrderRecord }> {
  const offer = await queryOne<{ shop_id: string; price_minor: string; size: number; window_hours: number; currency: string }>(
    db,
    sql`SELECT g.shop_id, g.price_minor, g.size, g.window_hours, p.currency FROM group_offers g JOIN products p ON p.id = g.product_id
        WHERE g.product_id = ${input.productId} AND g.active AND p.status = 'active' AND g.price_minor < p.price_minor`,
  );
  if (!offer) {
    throw new AppError("group_offer_unavailable", "This product has no group offer right now. Buy it at its price, or ask the shop for a group offer.");
  }
  const id = newGroupId();
  await db.execute(
    sql`INSERT INTO buying_groups (id, product_id, shop_id, leader_account_id, price_minor, currency, size, expires_at)
        VALUES (${id}, ${input.productId}, ${offer.shop_id}::bigint, ${input.caller.accountId}, ${offer.price_minor}::bigint, ${offer.currency}, ${offer.size},
                now() + make_interval(hours => ${offer.window_hours}))`,
  );
  try {
    const order = await createOrder(db, settings, groupCheckout(input.caller, input.productId, { id, unitPriceMinor: BigInt(offer.price_minor) }));
    return { group: await getGroupView(db, id, input.caller.accountId), order };
  } catch (error) {
    await db.execute(sql`DELETE FROM buying_groups WHERE id = ${id} AND members_count = 0 AND NOT EXISTS (SELECT 1 FROM orders WHERE group_id = ${id})`);
    throw error;
  }
}

/** Joins a group through its link: an unpaid order at the group's price (the seat comes with the payment). */
export async function joinGroup(
  db: Drizzle,
  settings: CreateOrderSettings,
  input: { groupId: string; caller: GroupCaller },
): Promise<{ group: GroupView; order: OrderRecord }> {
  const group = await readGroup(db, input.groupId);
  if (BigInt(group.leader_account_id) === input.caller.accountId) {
    throw new AppError("group_own", "You opened this group: share its link with others instead of joining it.");
  }
  if (group.state === "filled" || group.members_count >= group.size) {
    throw new AppError("group_full", `This group already has its ${group.size} members. Open a new group on the product instead.`);
  }
  if (group.state === "expired" || group.expired_by_time) {
    throw new AppError("group_expired", "This group's time has run out. Open a new group on the product instead.");
  }
  const existing = await queryOne<{ id: string }>(
    db,
    sql`SELECT id FROM orders WHERE group_id = ${input.groupId} AND buyer_account_id = ${input.caller.accountId}
          AND (state IN ('paid', 'fulfilled') OR (state = 'awaiting_payment' AND expires_at > now()))
        LIMIT 1`,
  );
  if (existing) {
    throw new AppError("group_already_joined", `You are in this group already with order ${existing.id}: pay that order (or wait for it to expire).`, {
      details: { orderId: existing.id },
    });
  }
  const order = await createOrder(
    db,
    settings,
    groupCheckout(input.caller, BigInt(group.product_id), { id: group.id, unitPriceMinor: BigInt(group.price_minor) }),
  );
  return { group: await getGroupView(db, group.id, input.caller.accountId), order };
}
