// A guest's erasure (docs/compliance.md, "Data rights"): a buyer without an account proves who they
// are only by an order's access (its mailed link, or order number + contact + query password), so
// that order is what they can erase: its codes are crypto-shredded (the order's own data key is
// deleted, api/keys/buyerSeal.ts), its contact and query password go, every access token of it is
// revoked, and what the guest wrote on it (ticket messages, dispute statements) becomes "[erased]".
// The order keeps its id and amounts: the journal and the chain refer to it.
import { AppError } from "../../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { erasedContact } from "../../keys/buyerSeal.ts";
import { forgetDataKey } from "../../keys/envelope.ts";
import type { MasterKeyRing } from "../../keys/masterKeys.ts";
import { recordAudit } from "../audit.ts";
import { shredGuestOrders } from "./shredGuestOrders.ts";

export type GuestErasureSummary = Record<string, number>;

/**
 * Erases a guest order's personal data, once (a second call changes nothing; the caller's access is
 * revoked by the first anyway). Refused with erasure_refused (409, details.reason dispute_open) and
 * nothing written while a dispute on the order is open; an account's order: 409 invalid_state.
 */
export async function eraseGuestOrder(db: Drizzle, ring: MasterKeyRing, orderId: string): Promise<{ summary: GuestErasureSummary }> {
  const { summary, destroyedKeys } = await db.transaction(async (tx) => {
    const order = await queryOne<{ buyer_account_id: bigint | null; contact: string | null }>(
      tx,
      sql`SELECT buyer_account_id, contact FROM orders WHERE id = ${orderId} FOR UPDATE`,
    );
    if (!order) throw new AppError("not_found", `No order ${orderId}.`);
    if (order.buyer_account_id !== null) {
      throw new AppError("invalid_state", "This order belongs to an account: erase the account's data instead (POST /api/account/erasure).");
    }
    if (order.contact === erasedContact) return { summary: {}, destroyedKeys: [] };
    const dispute = await queryOne<{ id: string }>(
      tx,
      sql`SELECT id::text FROM disputes WHERE order_id = ${orderId}
            AND (state IN ('open', 'escalated') OR (state = 'rejected' AND escalation_deadline > now())) ORDER BY id LIMIT 1`,
    );
    if (dispute) {
      throw new AppError("erasure_refused", `Dispute ${dispute.id} on this order is still open. Erasure is possible once it is closed.`, {
        details: { reason: "dispute_open", id: dispute.id },
      });
    }
    const shredded = await shredGuestOrders(tx, sql`o.id = ${orderId}`);
    const ticketMessages = await queryRows(
      tx,
      sql`UPDATE support_ticket_messages m SET body = '[erased]' FROM support_tickets t
          WHERE t.id = m.ticket_id AND t.order_id = ${orderId} AND m.author = 'buyer' AND m.author_account_id IS NULL RETURNING 1`,
    );
    const ticketSubjects = await queryRows(
      tx,
      sql`UPDATE support_tickets SET subject = '[erased]' WHERE order_id = ${orderId} AND buyer_account_id IS NULL RETURNING 1`,
    );
    const disputeStatements = await queryRows(
      tx,
      sql`UPDATE disputes SET statement = '[erased]' WHERE order_id = ${orderId} AND opened_by_account_id IS NULL RETURNING 1`,
    );
    // The contact goes, the query password no longer matches anything, and every token is revoked.
    await tx.execute(
      sql`UPDATE orders SET contact = ${erasedContact}, query_password_hash = '\\x00'::bytea, access_generation = access_generation + 1 WHERE id = ${orderId}`,
    );
    const summary: GuestErasureSummary = {
      deliveredKeysCryptoShredded: shredded.cryptoShredded,
      deliveredKeysShredded: shredded.overwritten,
      ticketMessages: ticketMessages.length,
      ticketSubjects: ticketSubjects.length,
      disputeStatements: disputeStatements.length,
    };
    await recordAudit(tx, { accountId: null, action: "data.guest_erased", subject: `order:${orderId}`, details: summary });
    return { summary, destroyedKeys: shredded.destroyedKeys };
  });
  // This process's cached copy of the destroyed key goes too (other processes: docs/compliance.md).
  for (const key of destroyedKeys) forgetDataKey(ring, key.data_key_wrapped, key.master_key_id);
  return { summary };
}
