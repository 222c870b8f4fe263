// The audit log of privileged actions: who, what, when. Details never carry secrets.
import type { Drizzle } from "../../core/store/database.ts";
import { auditLog } from "../../core/store/schema/core.ts";

export async function recordAudit(
  db: Drizzle,
  entry: { accountId: bigint | null; action: string; subject?: string; details?: Record<string, unknown> },
): Promise<void> {
  await db.insert(auditLog).values({ accountId: entry.accountId, action: entry.action, subject: entry.subject ?? null, details: entry.details ?? {} });
}
