// A dispute row as the services read it, its public view, and who may act on it. The state
// machine (docs/disputes.md): open -> resolved | rejected (merchant); open | rejected ->
// escalated (either party, before escalation_deadline); escalated -> resolved | rejected
// (admin, or the answer deadline). Every transition is a conditional UPDATE on the locked row.
import { AppError } from "../../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import type { AuthenticatedAccount } from "../accounts/sessions.ts";
import type { OrderViewer } from "../orders/orderViewer.ts";

export const disputeCategories = ["key_invalid", "key_already_used", "wrong_product", "not_received", "other"] as const;
export type DisputeCategory = (typeof disputeCategories)[number];

export type DisputeRow = {
  id: bigint;
  order_id: string;
  shop_id: bigint;
  ticket_id: bigint | string | null;
  entitlement_id: bigint | null;
  category: DisputeCategory;
  statement: string;
  state: "open" | "rejected" | "escalated" | "resolved";
  outcome: "refunded" | "replaced" | "rejected" | null;
  outcome_reason: string | null;
  decided_by: "merchant" | "admin" | "deadline" | null;
  escalation_deadline: Date;
  escalated_by: "buyer" | "merchant" | null;
  escalated_at: Date | null;
  answer_deadline: Date | null;
  answer: string | null;
  answered_at: Date | null;
  opened_at: Date;
  decided_at: Date | null;
};

export type DisputeView = {
  id: string;
  orderId: string;
  shopId: string;
  ticketId: string | null;
  entitlementId: string | null;
  category: DisputeCategory;
  statement: string;
  state: DisputeRow["state"];
  outcome: DisputeRow["outcome"];
  outcomeReason: string | null;
  decidedBy: DisputeRow["decided_by"];
  escalationDeadline: string;
  escalatedBy: DisputeRow["escalated_by"];
  escalatedAt: string | null;
  answerDeadline: string | null;
  answer: string | null;
  answeredAt: string | null;
  openedAt: string;
  decidedAt: string | null;
  refunds: { amountMinor: string; currency: string; channel: string; transactionId: string; createdAt: string }[];
  replacement: { oldEntitlementId: string; newEntitlementId: string } | null;
};

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

export async function loadDispute(db: Drizzle, disputeId: bigint, options: { lock?: boolean } = {}): Promise<DisputeRow | undefined> {
  return queryOne<DisputeRow>(db, sql`SELECT * FROM disputes WHERE id = ${disputeId} ${options.lock ? sql`FOR UPDATE` : sql``}`);
}

export async function disputeView(db: Drizzle, row: DisputeRow): Promise<DisputeView> {
  const refunds = await queryRows<{ amount_minor: bigint; currency: string; channel: string; transaction_id: bigint; created_at: Date }>(
    db,
    sql`SELECT amount_minor, currency, channel, transaction_id, created_at FROM dispute_refunds WHERE dispute_id = ${row.id} ORDER BY id`,
  );
  const replacement = await queryOne<{ old_entitlement_id: bigint; new_entitlement_id: bigint }>(
    db,
    sql`SELECT old_entitlement_id, new_entitlement_id FROM dispute_replacements WHERE dispute_id = ${row.id}`,
  );
  return {
    id: String(row.id),
    orderId: row.order_id,
    shopId: String(row.shop_id),
    ticketId: row.ticket_id === null ? null : String(row.ticket_id),
    entitlementId: row.entitlement_id === null ? null : String(row.entitlement_id),
    category: row.category,
    statement: row.statement,
    state: row.state,
    outcome: row.outcome,
    outcomeReason: row.outcome_reason,
    decidedBy: row.decided_by,
    escalationDeadline: iso(row.escalation_deadline)!,
    escalatedBy: row.escalated_by,
    escalatedAt: iso(row.escalated_at),
    answerDeadline: iso(row.answer_deadline),
    answer: row.answer,
    answeredAt: iso(row.answered_at),
    openedAt: iso(row.opened_at)!,
    decidedAt: iso(row.decided_at),
    refunds: refunds.map((refund) => ({
      amountMinor: String(refund.amount_minor),
      currency: refund.currency,
      channel: refund.channel,
      transactionId: String(refund.transaction_id),
      createdAt: iso(refund.created_at)!,
    })),
    replacement: replacement ? { oldEntitlementId: String(replacement.old_entitlement_id), newEntitlementId: String(replacement.new_entitlement_id) } : null,
  };
}

/** The party a viewer of the order acts as in its disputes: the buyer, the merchant, or the platform (admins; auditors only read). */
export type DisputeParty = "buyer" | "merchant" | "admin" | "auditor";

export function disputePartyOf(viewer: OrderViewer, account: AuthenticatedAccount | undefined): DisputeParty {
  if (viewer === "staff") return account?.roles.includes("admin") ? "admin" : "auditor";
  return viewer;
}

export function requireParty(party: DisputeParty, allowed: DisputeParty[], action: string): void {
  if (!allowed.includes(party)) throw new AppError("forbidden", `Only the ${allowed.join(" or ")} can ${action}.`);
}
