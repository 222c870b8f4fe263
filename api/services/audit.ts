// The audit log of privileged actions: who, what, when. Details never carry secrets.
import { sql, type Drizzle } from "../store/database.ts";

export async function recordAudit(
  db: Drizzle,
  entry: { accountId: bigint | null; action: string; subject?: string; details?: Record<string, unknown> },
): Promise<void> {
  await db.execute(
    sql`INSERT INTO audit_log (account_id, action, subject, details)
        VALUES (${entry.accountId}, ${entry.action}, ${entry.subject ?? null}, ${JSON.stringify(entry.details ?? {})}::jsonb)`,
  );
}
