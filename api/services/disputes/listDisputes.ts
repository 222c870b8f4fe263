// The platform's disputes queue (admins): newest first, optionally one state (escalated: the
// arbitration queue), keyset-paged by id.
import { queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { type DisputeRow, type DisputeView, disputeView } from "./disputeRecord.ts";

export async function listDisputes(
  db: Drizzle,
  parameters: { state?: DisputeRow["state"]; before?: bigint; limit: number },
): Promise<{ items: DisputeView[]; nextBefore: string | null }> {
  const rows = await queryRows<DisputeRow>(
    db,
    sql`SELECT * FROM disputes
        WHERE true ${parameters.state ? sql`AND state = ${parameters.state}` : sql``} ${parameters.before !== undefined ? sql`AND id < ${parameters.before}` : sql``}
        ORDER BY id DESC LIMIT ${parameters.limit + 1}`,
  );
  const page = rows.slice(0, parameters.limit);
  const items: DisputeView[] = [];
  for (const row of page) items.push(await disputeView(db, row));
  return { items, nextBefore: rows.length > parameters.limit ? String(page.at(-1)!.id) : null };
}
