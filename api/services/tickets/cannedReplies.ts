// A shop's canned replies: texts its merchant saved to insert into a reply. Bounded per shop.
import { AppError } from "../../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";

export const cannedRepliesPerShopMax = 100;

export type CannedReply = { id: bigint; title: string; body: string; createdAt: Date };

export async function listCannedReplies(db: Drizzle, shopId: bigint): Promise<CannedReply[]> {
  const rows = await queryRows<{ id: bigint; title: string; body: string; created_at: Date }>(
    db,
    sql`SELECT id, title, body, created_at FROM support_canned_replies WHERE shop_id = ${shopId} ORDER BY id LIMIT ${cannedRepliesPerShopMax}`,
  );
  return rows.map((row) => ({ id: BigInt(row.id), title: row.title, body: row.body, createdAt: new Date(row.created_at) }));
}

export async function createCannedReply(db: Drizzle, shopId: bigint, reply: { title: string; body: string }): Promise<CannedReply> {
  return db.transaction(async (tx) => {
    // The shop's row lock makes the count exact under concurrent saves.
    await queryOne(tx, sql`SELECT id FROM shops WHERE id = ${shopId} FOR UPDATE`);
    const count = await queryOne<{ count: number }>(tx, sql`SELECT count(*)::int AS count FROM support_canned_replies WHERE shop_id = ${shopId}`);
    if ((count?.count ?? 0) >= cannedRepliesPerShopMax) {
      throw new AppError("conflict", `The shop has ${cannedRepliesPerShopMax} canned replies, the most it may keep. Delete one first.`);
    }
    const row = await queryOne<{ id: bigint; created_at: Date }>(
      tx,
      sql`INSERT INTO support_canned_replies (shop_id, title, body) VALUES (${shopId}, ${reply.title}, ${reply.body}) RETURNING id, created_at`,
    );
    return { id: BigInt(row!.id), title: reply.title, body: reply.body, createdAt: new Date(row!.created_at) };
  });
}

export async function deleteCannedReply(db: Drizzle, shopId: bigint, replyId: bigint): Promise<void> {
  const deleted = await queryOne<{ id: bigint }>(db, sql`DELETE FROM support_canned_replies WHERE id = ${replyId} AND shop_id = ${shopId} RETURNING id`);
  if (!deleted) throw new AppError("not_found", `No canned reply ${replyId} in this shop.`);
}
