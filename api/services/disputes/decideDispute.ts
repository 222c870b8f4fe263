// Decisions on a dispute: the merchant's while it is open, the platform's (an admin) once it is
// escalated, and the answer deadline's (decideOverdueDisputes). Each runs in one transaction on
// the locked dispute row and writes its audit row there; a refusal writes nothing.
import { AppError } from "../../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { recordAudit } from "../audit.ts";
import { type DisputeRow, loadDispute } from "./disputeRecord.ts";
import { timestamp } from "./proceedsHolds.ts";
import { ensurePaymentEntry } from "../orders/paymentEntryOutbox.ts";
import { refundDispute, refundPosition } from "./refundDispute.ts";
import { replaceDisputedKey } from "./replaceDisputedKey.ts";

export type DisputeDecision = { outcome: "refund"; amountMinor: bigint } | { outcome: "replace" } | { outcome: "reject"; reason: string };

export type DecideParameters = {
  disputeId: bigint;
  decision: DisputeDecision;
  /** merchant: only an open dispute; admin: only an escalated one (arbitration). */
  decidedBy: "merchant" | "admin";
  actorId: bigint;
  settings: { platformFeeBps: number };
  now?: Date;
};

export async function decideDispute(db: Drizzle, parameters: DecideParameters): Promise<DisputeRow> {
  return db.transaction(async (tx) => {
    const dispute = await loadDispute(tx, parameters.disputeId, { lock: true });
    if (!dispute) throw new AppError("not_found", `No dispute ${parameters.disputeId} that you can see.`);
    const expected = parameters.decidedBy === "merchant" ? "open" : "escalated";
    if (dispute.state !== expected) {
      throw new AppError(
        "invalid_state",
        parameters.decidedBy === "merchant"
          ? `Dispute ${dispute.id} is ${dispute.state}; the merchant decides only open disputes.`
          : `Dispute ${dispute.id} is ${dispute.state}; the platform arbitrates only escalated disputes.`,
        { details: { state: dispute.state } },
      );
    }
    const decided = await applyDecision(tx, dispute, parameters.decision, {
      decidedBy: parameters.decidedBy,
      actorId: parameters.actorId,
      settings: parameters.settings,
      now: parameters.now,
    });
    await recordAudit(tx, {
      accountId: parameters.actorId,
      action: `dispute.${decided.outcome}`,
      subject: `dispute:${dispute.id}`,
      details: { orderId: dispute.order_id, decidedBy: parameters.decidedBy, ...decisionDetails(parameters.decision) },
    });
    return decided;
  });
}

function decisionDetails(decision: DisputeDecision): Record<string, unknown> {
  if (decision.outcome === "refund") return { amountMinor: String(decision.amountMinor) };
  if (decision.outcome === "reject") return { reason: decision.reason };
  return {};
}

async function applyDecision(
  tx: Drizzle,
  dispute: DisputeRow,
  decision: DisputeDecision,
  context: { decidedBy: "merchant" | "admin" | "deadline"; actorId: bigint | null; settings: { platformFeeBps: number }; now: Date | undefined },
): Promise<DisputeRow> {
  const { decidedBy, actorId, now } = context;
  let outcome: "refunded" | "replaced" | "rejected";
  let reason: string | null = null;
  if (decision.outcome === "refund") {
    await refundDispute(tx, dispute, decision.amountMinor, context.settings);
    outcome = "refunded";
  } else if (decision.outcome === "replace") {
    if (actorId === null) throw new AppError("internal", "A replacement needs the account that decided it.");
    await replaceDisputedKey(tx, dispute, actorId);
    outcome = "replaced";
  } else {
    outcome = "rejected";
    reason = decision.reason;
  }
  // Rejected stays escalatable until its escalation deadline; arbitration and deadlines are final.
  const state = outcome === "rejected" && decidedBy === "merchant" ? "rejected" : "resolved";
  const row = await queryOne<DisputeRow>(
    tx,
    sql`UPDATE disputes SET state = ${state}, outcome = ${outcome}, outcome_reason = ${reason}, decided_by = ${decidedBy}, decided_at = ${timestamp(now)}
        WHERE id = ${dispute.id} RETURNING *`,
  );
  return row!;
}

/**
 * Either party takes the dispute to the platform: while it is open, or rejected by the merchant,
 * and only before its escalation deadline. The other party then has `answerSeconds` to answer.
 */
export async function escalateDispute(
  db: Drizzle,
  parameters: { disputeId: bigint; by: "buyer" | "merchant"; actorId: bigint | null; answerSeconds: number; now?: Date },
): Promise<DisputeRow> {
  return db.transaction(async (tx) => {
    const dispute = await loadDispute(tx, parameters.disputeId, { lock: true });
    if (!dispute) throw new AppError("not_found", `No dispute ${parameters.disputeId} that you can see.`);
    if (dispute.state !== "open" && dispute.state !== "rejected") {
      throw new AppError("invalid_state", `Dispute ${dispute.id} is ${dispute.state}; only an open or rejected dispute can be escalated.`, {
        details: { state: dispute.state },
      });
    }
    const now = timestamp(parameters.now);
    const row = await queryOne<DisputeRow>(
      tx,
      sql`UPDATE disputes SET state = 'escalated', outcome = NULL, outcome_reason = NULL, decided_by = NULL, decided_at = NULL,
                 escalated_by = ${parameters.by}, escalated_at = ${now}, answer_deadline = ${now} + make_interval(secs => ${parameters.answerSeconds})
          WHERE id = ${dispute.id} AND escalation_deadline > ${now} RETURNING *`,
    );
    if (!row) {
      throw new AppError(
        "escalation_closed",
        `Dispute ${dispute.id} could be escalated until ${new Date(dispute.escalation_deadline).toISOString()}; that deadline has passed.`,
        { details: { escalationDeadline: new Date(dispute.escalation_deadline).toISOString() } },
      );
    }
    await recordAudit(tx, { accountId: parameters.actorId, action: "dispute.escalated", subject: `dispute:${dispute.id}`, details: { by: parameters.by } });
    return row;
  });
}

/** The party that did not escalate answers, once, before the answer deadline; the admin then decides. */
export async function answerDispute(
  db: Drizzle,
  parameters: { disputeId: bigint; by: "buyer" | "merchant"; actorId: bigint | null; answer: string; now?: Date },
): Promise<DisputeRow> {
  return db.transaction(async (tx) => {
    const dispute = await loadDispute(tx, parameters.disputeId, { lock: true });
    if (!dispute) throw new AppError("not_found", `No dispute ${parameters.disputeId} that you can see.`);
    if (dispute.state !== "escalated") throw new AppError("invalid_state", `Dispute ${dispute.id} is ${dispute.state}; only an escalated dispute is answered.`);
    if (dispute.escalated_by === parameters.by)
      throw new AppError("forbidden", `The ${parameters.by} escalated dispute ${dispute.id}; the other party answers.`);
    if (dispute.answer !== null) throw new AppError("invalid_state", `Dispute ${dispute.id} was already answered.`);
    const now = timestamp(parameters.now);
    const row = await queryOne<DisputeRow>(
      tx,
      sql`UPDATE disputes SET answer = ${parameters.answer}, answered_at = ${now} WHERE id = ${dispute.id} AND answer_deadline > ${now} RETURNING *`,
    );
    if (!row) {
      throw new AppError(
        "escalation_closed",
        `The answer to dispute ${dispute.id} was due by ${new Date(dispute.answer_deadline!).toISOString()}; that deadline has passed.`,
      );
    }
    await recordAudit(tx, { accountId: parameters.actorId, action: "dispute.answered", subject: `dispute:${dispute.id}`, details: { by: parameters.by } });
    return row;
  });
}

/**
 * The answer deadline: an escalated dispute the other party did not answer in time is decided
 * for the party that escalated. The buyer escalated: what remains of the order's payment is
 * refunded. The merchant escalated: the dispute is rejected. Runs in the disputes job; `now` is
 * the job's clock (tests control it). Returns the disputes it decided.
 */
export async function decideOverdueDisputes(db: Drizzle, parameters: { now?: Date; limit: number; settings: { platformFeeBps: number } }): Promise<bigint[]> {
  const now = timestamp(parameters.now);
  const overdue = await queryRows<{ id: bigint }>(
    db,
    sql`SELECT id FROM disputes WHERE state = 'escalated' AND answer IS NULL AND answer_deadline <= ${now} ORDER BY answer_deadline, id LIMIT ${parameters.limit}`,
  );
  const decided: bigint[] = [];
  for (const { id } of overdue) {
    const done = await db.transaction(async (tx) => {
      const dispute = await loadDispute(tx, BigInt(id), { lock: true });
      if (dispute?.state !== "escalated" || dispute.answer !== null) return false;
      let decision: DisputeDecision = { outcome: "reject", reason: "The buyer did not answer the merchant's escalation by the deadline." };
      if (dispute.escalated_by === "buyer") {
        await ensurePaymentEntry(tx, parameters.settings, dispute.order_id);
        const position = await refundPosition(tx, dispute.order_id);
        const remaining = position?.remainingMinor ?? 0n;
        decision =
          remaining > 0n
            ? { outcome: "refund", amountMinor: remaining }
            : { outcome: "reject", reason: "The merchant did not answer by the deadline, but nothing is left to refund." };
      }
      await applyDecision(tx, dispute, decision, { decidedBy: "deadline", actorId: null, settings: parameters.settings, now: parameters.now });
      await recordAudit(tx, { accountId: null, action: "dispute.deadline_decided", subject: `dispute:${dispute.id}`, details: { for: dispute.escalated_by } });
      return true;
    });
    if (done) decided.push(BigInt(id));
  }
  return decided;
}
