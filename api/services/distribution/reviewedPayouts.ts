// A distributor's (agent's or referrer's) payout request under the AML payout rules
// (docs/compliance.md, "AML rules"): the request's hold, the wallet it is paid to and the rules'
// alerts are written in the caller's one transaction, so no approval can come between the payout
// and its review, exactly as for a shop's payout.
import type { Drizzle } from "../../../core/store/database.ts";
import { requestDistributorPayout } from "../../ledger/distributionEarnings.ts";
import { payoutAlertRules, recordPayoutDestination, reviewPayout } from "../compliance/aml.ts";
import type { AmlRule, AmlSettings } from "../compliance/amlRules.ts";

export type ReviewedDistributorPayout = Awaited<ReturnType<typeof requestDistributorPayout>> & { amlReview: AmlRule[] };

export async function requestReviewedDistributorPayout(
  db: Drizzle,
  settings: AmlSettings,
  parameters: { accountId: bigint; requestId: string; amountMinor: bigint; currency: string; expiresAt: Date; wallet?: string },
): Promise<ReviewedDistributorPayout> {
  const { accountId, amountMinor, currency, wallet } = parameters;
  const requested = await requestDistributorPayout(db, parameters);
  // A retried request answers what the first one raised.
  if (!requested.created) return { ...requested, amlReview: await payoutAlertRules(db, requested.payoutId) };
  if (wallet) await recordPayoutDestination(db, { payoutId: requested.payoutId, distributorAccountId: accountId, wallet });
  const amlReview = await reviewPayout(db, settings, { payoutId: requested.payoutId, distributorAccountId: accountId, amountMinor, currency, wallet });
  return { ...requested, amlReview };
}
