// The payments table is the outbox of the payments' ledger entries (acceptPayment.ts posts each
// entry after its payment commits, without waiting). Two readers make sure every accepted
// payment gets its entry exactly once, under the entry's idempotency key:
// - the maintenance sweep (every 30 s) posts the entries that a crash or a failed post left
//   missing;
// - a refund posts its order's entry first if it is still queued, inside its own transaction.
//
// The sweep reads only the payments recorded since it last caught up, not the whole table: a
// cursor (sweep_cursors) marks the prefix of payment ids that is settled. A payment is settled
// once it is older than `settledAfterSeconds` and the sweep has seen it; the cursor stops at
// the first younger payment. Payments are inserted by one statement (the exact payment) or a
// short transaction (the careful path) that starts when its row's created_at says, so a
// payment that is not yet visible when the sweep passes it would need a transaction open for
// longer than that: two minutes is far beyond any of them. Each sweep therefore re-reads at
// most the last two minutes of payments plus what arrived since the previous sweep.
import type { OrderPaymentProvider } from "../../ledger/flows.ts";
import type { SQL } from "drizzle-orm";
import { postJournal } from "../../ledger/postJournal.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { paymentEntryOf } from "./acceptPayment.ts";
import { orderRecord, type OrderRow } from "./orderRecord.ts";

const cursorName = "payment-ledger-entries";
/** A payment this old was committed or never will be: the cursor may pass it. */
export const settledAfterSeconds = 120;

/** The outbox sweep: accepted payments since the cursor whose ledger entry is missing get it posted. */
export async function postMissingPaymentEntries(db: Drizzle, settings: { platformFeeBps: number }, options: { limit: number }): Promise<number> {
  const cursor = await queryOne<{ position: bigint }>(db, sql`SELECT position FROM sweep_cursors WHERE name = ${cursorName}`);
  const from = BigInt(cursor?.position ?? 0);
  const posted = await postEntriesMissingFor(db, settings, sql`p.id > ${from} AND p.created_at < now() - interval '5 seconds'`, options.limit);
  // Everything up to the first payment that is not settled yet, and never past one this run
  // left for the next (the limit was reached).
  const last = posted.length === options.limit ? posted.at(-1)! : undefined;
  await db.execute(
    sql`INSERT INTO sweep_cursors (name, position)
        SELECT ${cursorName}, settled FROM (
          SELECT least(coalesce(
                   (SELECT min(id) - 1 FROM payments WHERE id > ${from} AND created_at >= now() - make_interval(secs => ${settledAfterSeconds})),
                   (SELECT max(id) FROM payments WHERE id > ${from})), ${last ?? null}::bigint) AS settled
        ) s
        WHERE settled IS NOT NULL
        ON CONFLICT (name) DO UPDATE SET position = greatest(sweep_cursors.position, excluded.position)`,
  );
  return posted.length;
}

/**
 * Posts an order's accepted payment entry now if it is not in the ledger yet (still queued in
 * the group commit, or lost with a crash), inside the caller's transaction: a refund of that
 * order must find the payment it gives back. Idempotent: an entry already posted is left as is.
 */
export async function ensurePaymentEntry(db: Drizzle, settings: { platformFeeBps: number }, orderId: string): Promise<void> {
  await postEntriesMissingFor(db, settings, sql`p.order_id = ${orderId}`, 1);
}

/** Posts the entries of the accepted payments that `which` selects and the ledger lacks; returns their payment ids. */
async function postEntriesMissingFor(db: Drizzle, settings: { platformFeeBps: number }, which: SQL, limit: number): Promise<bigint[]> {
  const rows = await queryRows<OrderRow & { provider: OrderPaymentProvider; payment_id: bigint }>(
    db,
    sql`SELECT o.*, p.provider, p.id AS payment_id FROM payments p JOIN orders o ON o.id = p.order_id
        WHERE p.status = 'accepted' AND ${which}
          AND NOT EXISTS (SELECT 1 FROM ledger_transactions t WHERE t.idempotency_key = 'order:' || p.order_id || ':payment')
        ORDER BY p.id LIMIT ${limit}`,
  );
  for (const row of rows) await postJournal(db, paymentEntryOf(orderRecord(row), row.provider, settings));
  return rows.map((row) => BigInt(row.payment_id));
}
