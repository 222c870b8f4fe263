// The audit log of privileged actions: who, what, when. Details never carry secrets.
// One way to write it: recordAudit on the transaction that makes the change it records (a
// service's own `tx`), or auditedChange, which opens that transaction around a change. An audit
// row written after the change commits can be lost to a crash between the two; one written in
// the same transaction commits or rolls back with the change.
import { AsyncLocalStorage } from "node:async_hooks";
import type { Drizzle } from "../../core/store/database.ts";
import { auditLog } from "../../core/store/schema/core.ts";

/**
 * The API key authenticating the request in progress (api/http/auth.ts runs the request inside
 * it): every audit row the request writes names the key, without each service passing it on.
 */
export const auditCaller = new AsyncLocalStorage<{ apiKeyId: bigint }>();

export type AuditEntry = { accountId: bigint | null; action: string; subject?: string; details?: Record<string, unknown> };

/** Writes one audit row on `db`: pass the transaction of the change it records. */
export async function recordAudit(db: Drizzle, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({
    accountId: entry.accountId,
    action: entry.action,
    subject: entry.subject ?? null,
    details: entry.details ?? {},
    apiKeyId: auditCaller.getStore()?.apiKeyId ?? null,
  });
}

/**
 * Runs `change` in a transaction and records `audit(result)` in the same transaction, so the
 * change and its audit row commit together or not at all. `audit` returns undefined when the
 * change did nothing worth recording (an idempotent retry that found its earlier result).
 */
export async function auditedChange<Result>(
  db: Drizzle,
  change: (tx: Drizzle) => Promise<Result>,
  audit: (result: Result) => AuditEntry | undefined,
): Promise<Result> {
  return db.transaction(async (tx) => {
    const result = await change(tx);
    const entry = audit(result);
    if (entry) await recordAudit(tx, entry);
    return result;
  });
}
