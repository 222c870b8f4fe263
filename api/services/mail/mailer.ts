// Order-delivery mail through SMTP (nodemailer), when SMTP_URL is configured. The mail carries
// a link to the order page (with its access token), never the codes: a mailbox is not a safe
// place for secrets, and the order page shows them to whoever holds the link anyway.
import nodemailer, { type Transporter } from "nodemailer";
import type { Config } from "../../../core/config.ts";

export type Mailer = { transporter: Transporter; from: string };

export function createMailer(config: Config["mail"]): Mailer | undefined {
  if (!config.smtpUrl) return undefined;
  return { transporter: nodemailer.createTransport(config.smtpUrl), from: config.from };
}

export async function sendDeliveryMail(
  mailer: Mailer,
  input: { to: string; orderId: string; productName: string; orderUrl: string; quantity: number },
): Promise<void> {
  await mailer.transporter.sendMail({
    from: mailer.from,
    to: input.to,
    subject: `订单 ${input.orderId} 已发货 · Order ${input.orderId} delivered`,
    text: [
      `您购买的「${input.productName}」× ${input.quantity} 已发货。`,
      `Your order of "${input.productName}" × ${input.quantity} is delivered.`,
      "",
      `查看卡密与证书 · View your keys and their certificates:`,
      input.orderUrl,
      "",
      "请勿将此链接分享给他人。Do not share this link: it opens your order.",
    ].join("\n"),
  });
}
