// The password reset mail, in the account's language (accounts.locale). It carries the reset
// link only: the link is single-use and expires, and says so.
import type { Mailer } from "./mailer.ts";

export type PasswordResetMail = { to: string; locale: "zh-CN" | "en"; resetUrl: string; ttlMinutes: number };

const texts = {
  "zh-CN": (mail: PasswordResetMail) => ({
    subject: "重置 Keyledger 密码",
    text: [
      "有人请求重置此邮箱对应的 Keyledger 账户密码。",
      `如果是您本人，请在 ${mail.ttlMinutes} 分钟内打开以下链接设置新密码（链接只能使用一次）：`,
      mail.resetUrl,
      "",
      "重置后，此账户的所有登录会话都会退出。",
      "如果不是您本人，请忽略此邮件，您的密码不会改变。",
    ].join("\n"),
  }),
  en: (mail: PasswordResetMail) => ({
    subject: "Reset your Keyledger password",
    text: [
      "Someone asked to reset the password of the Keyledger account of this email address.",
      `If it was you, open this link within ${mail.ttlMinutes} minutes to choose a new password (it works once):`,
      mail.resetUrl,
      "",
      "Resetting signs the account out everywhere.",
      "If it was not you, ignore this mail: your password stays as it is.",
    ].join("\n"),
  }),
} as const;

export async function sendPasswordResetMail(mailer: Mailer, mail: PasswordResetMail): Promise<void> {
  const { subject, text } = texts[mail.locale](mail);
  await mailer.transporter.sendMail({ from: mailer.from, to: mail.to, subject, text });
}
