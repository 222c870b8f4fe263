// Unpaid reservations are limited (docs/abuse.md, "Unpaid reservations"). An unpaid order holds
// keys until it expires, so without limits two guest checkouts of 10 held a 20-key product's
// whole stock for 15 minutes without paying. Three rules:
// - per subject: at most `perContactMax` open unpaid orders per contact (the guest's email, or
//   the buyer's account) and `perClientMax` per client address. Counted under a transaction-level
//   advisory lock per subject (lockHoldSubjects), so concurrent checkouts of one subject take
//   turns and never both see room for one: of 20 parallel checkouts at most the limit succeed.
// - per product: one order may hold at most `shareBps` of the product's available keys (at least
//   one key), so no single unpaid order empties a product.
// - pressure: when the product's unpaid holds would exceed `pressureBps` of its stock, the new
//   order expires after `pressureExpirySeconds` instead of the usual expiry.
import { AppError } from "../../../core/errors.ts";
import { queryPreparedOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { integerArrayLiteral, textArrayLiteral } from "../../../core/store/sqlArrays.ts";

export type UnpaidHoldLimits = {
  perContactMax: number;
  perClientMax: number;
  shareBps: number;
  pressureBps: number;
  pressureExpirySeconds: number;
};

/** Who a checkout is, for counting: an account, or a guest's contact; and its client address. */
export type HoldCaller = { buyerAccountId?: bigint; contact?: string; clientAddress?: string };

/** The subjects a checkout counts under (`account:…` or `contact:…`, then `client:…` when known). */
export function holdSubjects(caller: HoldCaller): { contact: string | undefined; client: string | undefined } {
  const contact =
    caller.buyerAccountId !== undefined ? `account:${caller.buyerAccountId}` : caller.contact !== undefined ? `contact:${caller.contact}` : undefined;
  return { contact, client: caller.clientAddress === undefined ? undefined : `client:${caller.clientAddress}` };
}

/**
 * Takes the advisory locks of every subject in `callers` (held until the transaction ends), in one
 * order (sorted by lock key) so that two transactions never wait on each other in a cycle. The
 * statements after it start later, so they see every order committed by earlier holders.
 */
export async function lockHoldSubjects(tx: Drizzle, callers: readonly HoldCaller[]): Promise<void> {
  const subjects = [...new Set(callers.flatMap((caller) => Object.values(holdSubjects(caller)).filter((s) => s !== undefined)))];
  if (subjects.length === 0) return;
  await tx.execute(
    sql`SELECT pg_advisory_xact_lock(k) FROM (
          SELECT DISTINCT hashtextextended(s, 1420) AS k FROM unnest(${textArrayLiteral(subjects)}::text[]) s ORDER BY k
        ) locks`,
  );
}

type OpenHolds = Map<string, { count: number; firstExpiresAt: Date }>;

/** Open unpaid orders per subject of `callers` (subjects with none are absent). */
export async function countOpenHolds(tx: Drizzle, callers: readonly HoldCaller[]): Promise<OpenHolds> {
  const accounts = [...new Set(callers.flatMap((caller) => (caller.buyerAccountId === undefined ? [] : [caller.buyerAccountId])))];
  const contacts = [...new Set(callers.flatMap((caller) => (caller.buyerAccountId === undefined && caller.contact !== undefined ? [caller.contact] : [])))];
  const clients = [...new Set(callers.flatMap((caller) => (caller.clientAddress === undefined ? [] : [caller.clientAddress])))];
  const rows = await queryRows<{ subject: string; open: number | string; first_expires_at: Date }>(
    tx,
    sql`SELECT 'account:' || buyer_account_id AS subject, count(*) AS open, min(expires_at) AS first_expires_at FROM orders
          WHERE state = 'awaiting_payment' AND buyer_account_id IS NOT NULL AND buyer_account_id = ANY(${integerArrayLiteral(accounts)}::bigint[])
          GROUP BY buyer_account_id
        UNION ALL
        SELECT 'contact:' || contact, count(*), min(expires_at) FROM orders
          WHERE state = 'awaiting_payment' AND buyer_account_id IS NULL AND contact = ANY(${textArrayLiteral(contacts)}::text[])
          GROUP BY contact
        UNION ALL
        SELECT 'client:' || client_address, count(*), min(expires_at) FROM orders
          WHERE state = 'awaiting_payment' AND client_address IS NOT NULL AND client_address = ANY(${textArrayLiteral(clients)}::text[])
          GROUP BY client_address`,
  );
  return new Map(rows.map((row) => [row.subject, { count: Number(row.open), firstExpiresAt: new Date(row.first_expires_at) }]));
}

/**
 * Decides, in arrival order, which checkouts still fit under their subjects' limits: each one
 * admitted counts against the later ones of the same subject. Answers per checkout the refusal,
 * or undefined when it may go ahead.
 */
export function holdRefusals(callers: readonly HoldCaller[], open: OpenHolds, limits: UnpaidHoldLimits, now = Date.now()): (AppError | undefined)[] {
  const taken = new Map<string, number>();
  return callers.map((caller) => {
    const { contact, client } = holdSubjects(caller);
    const checks = [
      { subject: contact, max: limits.perContactMax, who: "this contact" },
      { subject: client, max: limits.perClientMax, who: "this address" },
    ];
    for (const { subject, max, who } of checks) {
      if (subject === undefined) continue;
      const held = (open.get(subject)?.count ?? 0) + (taken.get(subject) ?? 0);
      if (held >= max) {
        const firstExpiresAt = open.get(subject)?.firstExpiresAt.getTime();
        const retryAfterSeconds = firstExpiresAt === undefined ? 60 : Math.max(1, Math.ceil((firstExpiresAt - now) / 1000));
        return new AppError(
          "too_many_unpaid_orders",
          `There are already ${held} unpaid orders from ${who} (at most ${max}). Pay or let one expire first, then try again.`,
          { details: { retryAfterSeconds, limit: subject.split(":")[0], unpaidOrdersMax: max }, retryable: true },
        );
      }
    }
    for (const subject of [contact, client]) if (subject !== undefined) taken.set(subject, (taken.get(subject) ?? 0) + 1);
    return undefined;
  });
}

export type ProductHold = { availableKeys: number; heldKeys: number };

/**
 * The available keys of a product's pool (its free keys: those allocated to restocking listings
 * are theirs, docs/docking.md "Auto-restock"; a restocking listing's pool is its allocation) and
 * the keys its unpaid orders hold.
 */
export async function readProductHold(db: Drizzle, productId: bigint): Promise<ProductHold> {
  // Prepared: every checkout of an automatic product reads it.
  const row = await queryPreparedOne<{ available: number | string | null; held: number | string }>(
    db,
    "product_hold",
    sql`SELECT (SELECT available - allocated FROM product_stock WHERE product_id = ${productId}) AS available,
               (SELECT coalesce(sum(quantity), 0) FROM orders WHERE state = 'awaiting_payment' AND product_id = ${productId}) AS held`,
  );
  return { availableKeys: Number(row?.available ?? 0), heldKeys: Number(row?.held ?? 0) };
}

/** The most keys one unpaid order may hold now: `shareBps` of the available keys, at least one. */
export function holdQuantityMax(availableKeys: number, shareBps: number): number {
  return Math.max(1, Math.floor((availableKeys * shareBps) / 10_000));
}

/**
 * Checks the product rules for an order of `quantity` keys and answers its expiry in seconds:
 * the usual one, or the short one under pressure. A quantity beyond the available keys is left
 * to the checkout to call out of stock (that is what it is).
 */
export function productHoldExpirySeconds(hold: ProductHold, quantity: number, limits: UnpaidHoldLimits, expirySeconds: number): number {
  const quantityMax = holdQuantityMax(hold.availableKeys, limits.shareBps);
  if (quantity <= hold.availableKeys && quantity > quantityMax) {
    throw new AppError(
      "reservation_share_exceeded",
      `One unpaid order may hold at most ${quantityMax} of the ${hold.availableKeys} keys available now. Order at most ${quantityMax}.`,
      { details: { quantityMax, availableKeys: hold.availableKeys } },
    );
  }
  const stock = hold.availableKeys + hold.heldKeys;
  const underPressure = (hold.heldKeys + quantity) * 10_000 > limits.pressureBps * stock;
  return underPressure ? Math.min(expirySeconds, limits.pressureExpirySeconds) : expirySeconds;
}
