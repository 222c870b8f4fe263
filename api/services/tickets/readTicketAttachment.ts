// An attachment's bytes, decrypted, for a caller who may see its ticket (checked by the route
// through loadTicketFor). The AAD binds the ciphertext to its shop, ticket and message, so a
// row copied elsewhere fails to decrypt instead of serving another ticket's file.
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { decryptBytes, ticketAttachmentAad } from "../../keys/envelope.ts";
import type { MasterKeyRing } from "../../keys/masterKeys.ts";
import { loadShopDataKey } from "../../keys/shopDataKey.ts";
import type { TicketRecord } from "./ticketRecord.ts";

export type TicketAttachmentFile = { fileName: string; contentType: string; bytes: Buffer };

export async function readTicketAttachment(db: Drizzle, ring: MasterKeyRing, ticket: TicketRecord, attachmentId: bigint): Promise<TicketAttachmentFile> {
  const row = await queryOne<{ message_id: bigint; file_name: string; content_type: string; ciphertext: Uint8Array }>(
    db,
    sql`SELECT message_id, file_name, content_type, ciphertext FROM support_ticket_attachments WHERE id = ${attachmentId} AND ticket_id = ${ticket.id}`,
  );
  if (!row) throw new AppError("not_found", `Ticket ${ticket.id} has no attachment ${attachmentId}.`);
  const dataKey = await loadShopDataKey(db, ring, ticket.shopId);
  const bytes = decryptBytes(dataKey, row.ciphertext, ticketAttachmentAad({ shopId: ticket.shopId, ticketId: ticket.id, messageId: BigInt(row.message_id) }));
  return { fileName: row.file_name, contentType: row.content_type, bytes };
}
