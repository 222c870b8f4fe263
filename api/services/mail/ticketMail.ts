// Ticket notifications, in the recipient's language: to the merchant when a ticket opens or the
// buyer writes, to the buyer when the merchant writes. The mail says which ticket and links to
// it; it never quotes the message, since buyers paste codes into tickets and a mailbox is not a
// place for them. A guest's link carries a fresh access token of the order (as the delivery mail).
import type { Mailer } from "./mailer.ts";

export type TicketMailKind = "opened" | "buyer_wrote" | "merchant_wrote";
export type TicketMail = { to: string; locale: "zh-CN" | "en"; kind: TicketMailKind; ticketId: bigint; orderId: string; subject: string; ticketUrl: string };

const headlines = {
  "zh-CN": { opened: "新售后工单", buyer_wrote: "买家回复了工单", merchant_wrote: "商家回复了您的工单" },
  en: { opened: "New support ticket", buyer_wrote: "The buyer wrote in a ticket", merchant_wrote: "The shop replied to your ticket" },
} as const;

const texts = {
  "zh-CN": (mail: TicketMail) => ({
    subject: `${headlines["zh-CN"][mail.kind]} #${mail.ticketId} · 订单 ${mail.orderId}`,
    text: [
      `${headlines["zh-CN"][mail.kind]}：#${mail.ticketId}「${mail.subject}」（订单 ${mail.orderId}）。`,
      "打开以下链接查看并回复：",
      mail.ticketUrl,
      "",
      "为保护您的卡密，邮件中不包含消息内容。",
    ].join("\n"),
  }),
  en: (mail: TicketMail) => ({
    subject: `${headlines.en[mail.kind]} #${mail.ticketId} · order ${mail.orderId}`,
    text: [
      `${headlines.en[mail.kind]}: #${mail.ticketId} "${mail.subject}" (order ${mail.orderId}).`,
      "Open this link to read and reply:",
      mail.ticketUrl,
      "",
      "Messages are not quoted in mail, so that no code ever sits in a mailbox.",
    ].join("\n"),
  }),
} as const;

export async function sendTicketMail(mailer: Mailer, mail: TicketMail): Promise<void> {
  const { subject, text } = texts[mail.locale](mail);
  await mailer.transporter.sendMail({ from: mailer.from, to: mail.to, subject, text });
}
