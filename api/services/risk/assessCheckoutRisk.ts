// A checkout's risk, decided before anything is written: block (403 risk_blocked, nothing
// changes), the captcha when the score is raised (428 captcha_required until a fresh solution
// comes with the request), review (the order is created and paid as usual but held before
// delivery until the merchant approves it), or allow. docs/abuse.md, "Risk rules".
import { AppError } from "../../../core/errors.ts";
import type { Drizzle } from "../../../core/store/database.ts";
import type { Captcha } from "../captcha/captcha.ts";
import { readRiskSignals, type RiskSubject } from "./riskSignals.ts";
import { riskDecision, scoreOrderRisk, type RiskThresholds } from "./scoreOrderRisk.ts";

export type CheckoutRiskSettings = {
  /** The platform's thresholds, for products that set none. */
  defaults: RiskThresholds;
  /** From this score on, checkout needs a solved captcha. */
  captchaScore: number;
  captcha: Captcha;
};

export type CheckoutRisk = { score: number; reasons: string[]; review: boolean };

export async function assessCheckoutRisk(
  db: Drizzle,
  settings: CheckoutRiskSettings,
  product: { riskReviewScore: number | null; riskBlockScore: number | null },
  subject: RiskSubject & { captchaPayload?: string },
): Promise<CheckoutRisk> {
  const { score, reasons } = scoreOrderRisk(await readRiskSignals(db, subject));
  const thresholds = {
    reviewScore: product.riskReviewScore ?? settings.defaults.reviewScore,
    blockScore: product.riskBlockScore ?? settings.defaults.blockScore,
  };
  const decision = riskDecision(score, thresholds);
  // The reasons stay with the shop: telling a card tester which rule fired helps the tester.
  if (decision === "block") throw new AppError("risk_blocked", "This order cannot be placed. Contact the shop if you think this is a mistake.");
  if (score >= settings.captchaScore) await settings.captcha.require(subject.captchaPayload, "risk");
  return { score, reasons, review: decision === "review" };
}
