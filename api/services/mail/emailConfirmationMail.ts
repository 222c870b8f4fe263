// The merchant's email confirmation mail, in the account's language (accounts.locale). The link
// carries the token in the fragment (never in a server log or a Referer), as the reset mail does.
import type { Mailer } from "./mailer.ts";

export type EmailConfirmationMail = { to: string; locale: "zh-CN" | "en"; confirmUrl: string; ttlHours: number };

const texts = {
  "zh-CN": (mail: EmailConfirmationMail) => ({
    subject: "确认您的 Keyledger 邮箱",
    text: [
      "感谢注册 Keyledger 商户。",
      `请在 ${mail.ttlHours} 小时内打开以下链接确认邮箱（链接只能使用一次），确认后即可开店：`,
      mail.confirmUrl,
      "",
      "如果不是您本人注册，请忽略此邮件。",
    ].join("\n"),
  }),
  en: (mail: EmailConfirmationMail) => ({
    subject: "Confirm your Keyledger email",
    text: [
      "Thank you for signing up as a Keyledger merchant.",
      `Open this link within ${mail.ttlHours} hours to confirm your email (it works once); then you can open your shop:`,
      mail.confirmUrl,
      "",
      "If you did not sign up, ignore this mail.",
    ].join("\n"),
  }),
} as const;

export async function sendEmailConfirmationMail(mailer: Mailer, mail: EmailConfirmationMail): Promise<void> {
  const { subject, text } = texts[mail.locale](mail);
  await mailer.transporter.sendMail({ from: mailer.from, to: mail.to, subject, text });
}
