// Stock alert mail to a shop's owner, in the owner's language: a product at or below its
// low-stock threshold, or sold out (docs/webhooks.md, "Stock alerts"). The notices are written
// by the stock trigger in the sale's transaction; the webhook dispatcher mails them afterwards.
import { queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import type { Mailer } from "./mailer.ts";

export type StockNoticeMail = {
  to: string;
  locale: "zh-CN" | "en";
  kind: "stock_low" | "stock_out";
  productName: string;
  available: number;
  threshold: number;
  productsUrl: string;
};

const texts = {
  "zh-CN": (mail: StockNoticeMail) =>
    mail.kind === "stock_out"
      ? { subject: `「${mail.productName}」已售罄`, lead: `商品「${mail.productName}」的可售卡密已全部售出，店铺中该商品显示缺货。` }
      : {
          subject: `「${mail.productName}」库存不足`,
          lead: `商品「${mail.productName}」的可售卡密剩余 ${mail.available} 个，已达到预警阈值 ${mail.threshold}。`,
        },
  en: (mail: StockNoticeMail) =>
    mail.kind === "stock_out"
      ? { subject: `"${mail.productName}" is sold out`, lead: `Every available key of "${mail.productName}" is sold: the product shows out of stock.` }
      : {
          subject: `"${mail.productName}" is running low`,
          lead: `"${mail.productName}" has ${mail.available} keys left, at or below its low-stock threshold of ${mail.threshold}.`,
        },
} as const;

const closing = { "zh-CN": "导入新的卡密以补货：", en: "Import new keys to restock:" } as const;

export async function sendStockNoticeMail(mailer: Mailer, mail: StockNoticeMail): Promise<void> {
  const { subject, lead } = texts[mail.locale](mail);
  await mailer.transporter.sendMail({ from: mailer.from, to: mail.to, subject, text: [lead, "", closing[mail.locale], mail.productsUrl].join("\n") });
}

/**
 * Mails pending stock notices (or marks them skipped without a mailer); returns how many it took.
 * The notices stay row-locked while their mail goes out, so dispatch ticks running side by side
 * never mail one twice (SKIP LOCKED: each takes others); a crash before the commit mails again.
 */
export async function mailStockNotices(db: Drizzle, mailer: Mailer | undefined, publicUrl: string, limit = 100): Promise<number> {
  return db.transaction(async (tx) => {
    const rows = await queryRows<{
      id: string;
      kind: "stock_low" | "stock_out";
      details: { productName: string; available: number; threshold: number };
      email: string;
      locale: "zh-CN" | "en";
    }>(
      tx,
      sql`SELECT n.id::text, n.kind, n.details, a.email, a.locale
          FROM shop_notices n JOIN shops s ON s.id = n.shop_id JOIN accounts a ON a.id = s.owner_account_id
          WHERE n.mail_state = 'pending' ORDER BY n.id LIMIT ${limit} FOR UPDATE OF n SKIP LOCKED`,
    );
    for (const row of rows) {
      if (mailer) {
        await sendStockNoticeMail(mailer, {
          to: row.email,
          locale: row.locale,
          kind: row.kind,
          productName: row.details.productName,
          available: Number(row.details.available),
          threshold: Number(row.details.threshold),
          productsUrl: `${publicUrl.replace(/\/$/, "")}/merchant`,
        });
      }
      await tx.execute(sql`UPDATE shop_notices SET mail_state = ${mailer ? "sent" : "skipped"} WHERE id = ${row.id}`);
    }
    return rows.length;
  });
}
