// Renewal reminders, in the buyer's language (accounts.locale): 7 days and 1 day before the
// paid period ends. The mail names the product, the end and what happens next (an automatic
// renewal from the balance, or a renewal by hand), and links to "My subscriptions".
import type { Mailer } from "../mail/mailer.ts";
import type { ReminderKind } from "./subscriptionRules.ts";

export type ReminderMail = {
  to: string;
  locale: "zh-CN" | "en";
  kind: ReminderKind;
  productName: string;
  paidUntil: Date;
  autoRenew: boolean;
  priceMinor: bigint;
  currency: string;
  subscriptionsUrl: string;
  /** Why the last automatic renewal failed, if it did: out_of_stock is told (a key-per-period shop had no key; nothing was charged). */
  lastFailure?: string | null;
};

const outOfStock = {
  "zh-CN": "店铺暂无下一周期的卡密，本次续费未扣费；店铺补货后，宽限期内将自动续费。",
  en: "The shop has no key left for the next period: nothing was charged. It renews once the shop restocks, within the grace period.",
} as const;

const leads = { "zh-CN": { days_7: "7 天", days_1: "1 天" }, en: { days_7: "7 days", days_1: "1 day" } } as const;

const texts = {
  "zh-CN": (mail: ReminderMail) => ({
    subject: `订阅将在 ${leads["zh-CN"][mail.kind]}后到期 ·「${mail.productName}」`,
    text: [
      `提醒：距到期还有 ${leads["zh-CN"][mail.kind]}。`,
      `您订阅的「${mail.productName}」将于 ${mail.paidUntil.toISOString()} 到期。`,
      ...(mail.lastFailure === "out_of_stock" ? [outOfStock["zh-CN"]] : []),
      mail.autoRenew
        ? `到期前将自动从您的平台余额扣除下一周期费用 ${mail.priceMinor}（${mail.currency} 最小单位），请确保余额充足。`
        : `自动续费已关闭；如需继续使用，请在到期前续费（每周期 ${mail.priceMinor}，${mail.currency} 最小单位）。`,
      "管理您的订阅：",
      mail.subscriptionsUrl,
    ].join("\n"),
  }),
  en: (mail: ReminderMail) => ({
    subject: `Your subscription ends in ${leads.en[mail.kind]} · "${mail.productName}"`,
    text: [
      `Reminder: ${leads.en[mail.kind]} left.`,
      `Your subscription to "${mail.productName}" ends at ${mail.paidUntil.toISOString()}.`,
      ...(mail.lastFailure === "out_of_stock" ? [outOfStock.en] : []),
      mail.autoRenew
        ? `The next period (${mail.priceMinor} ${mail.currency} minor units) will be charged to your platform balance before then: keep enough in it.`
        : `Automatic renewal is off; renew before the end to keep it (${mail.priceMinor} ${mail.currency} minor units a period).`,
      "Manage your subscriptions:",
      mail.subscriptionsUrl,
    ].join("\n"),
  }),
} as const;

export function reminderMailContent(mail: ReminderMail): { subject: string; text: string } {
  return texts[mail.locale](mail);
}

export async function sendReminderMail(mailer: Mailer, mail: ReminderMail): Promise<void> {
  const { subject, text } = reminderMailContent(mail);
  await mailer.transporter.sendMail({ from: mailer.from, to: mail.to, subject, text });
}
