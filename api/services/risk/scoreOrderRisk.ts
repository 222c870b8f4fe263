// The risk score of a checkout: one function, one table of weights (docs/abuse.md, "Risk
// rules"). Pure: it sees the signals read for the checkout (riskSignals.ts) and answers a score
// and the reasons that made it, which the order keeps. The product's thresholds then decide:
// allow, review (held before delivery), or block (403 risk_blocked).

export type RiskSignals = {
  /** A blacklist entry (the shop's own or the platform's) matches the contact's email. */
  emailBlacklisted: boolean;
  /** ... the client address falls in a blacklisted IP range. */
  clientBlacklisted: boolean;
  /** ... the paying wallet. */
  walletBlacklisted: boolean;
  /** Orders in the last hour by the same contact (email or account), address, device and wallet. */
  ordersLastHour: { contact: number; client: number; device: number; wallet: number };
  /** Whether the browser sent its device id (the web app always does; scripts often do not). */
  deviceKnown: boolean;
};

/**
 * The weights. A blacklist hit alone reaches the default block threshold (80). Velocity adds
 * per order beyond what a real buyer does in an hour, capped so velocity alone reaches review
 * (50) but a single subject's velocity never blocks by itself.
 */
export const riskWeights = {
  blacklisted: 100,
  contactOrdersFree: 3,
  contactPerOrder: 10,
  contactMax: 40,
  clientOrdersFree: 10,
  clientPerOrder: 5,
  clientMax: 30,
  deviceOrdersFree: 3,
  devicePerOrder: 10,
  deviceMax: 30,
  walletOrdersFree: 3,
  walletPerOrder: 10,
  walletMax: 30,
  noDevice: 10,
} as const;

export type RiskScore = { score: number; reasons: string[] };

export function scoreOrderRisk(signals: RiskSignals, weights = riskWeights): RiskScore {
  const reasons: string[] = [];
  let score = 0;
  const add = (points: number, reason: string) => {
    if (points <= 0) return;
    score += points;
    reasons.push(reason);
  };
  if (signals.emailBlacklisted) add(weights.blacklisted, "email_blacklisted");
  if (signals.clientBlacklisted) add(weights.blacklisted, "ip_blacklisted");
  if (signals.walletBlacklisted) add(weights.blacklisted, "wallet_blacklisted");
  const velocity = (count: number, free: number, perOrder: number, max: number) => Math.min(max, Math.max(0, count - free) * perOrder);
  const { contact, client, device, wallet } = signals.ordersLastHour;
  add(velocity(contact, weights.contactOrdersFree, weights.contactPerOrder, weights.contactMax), "contact_velocity");
  add(velocity(client, weights.clientOrdersFree, weights.clientPerOrder, weights.clientMax), "ip_velocity");
  add(velocity(device, weights.deviceOrdersFree, weights.devicePerOrder, weights.deviceMax), "device_velocity");
  add(velocity(wallet, weights.walletOrdersFree, weights.walletPerOrder, weights.walletMax), "wallet_velocity");
  if (!signals.deviceKnown) add(weights.noDevice, "no_device_id");
  return { score, reasons };
}

export type RiskThresholds = { reviewScore: number; blockScore: number };

export type RiskDecision = "allow" | "review" | "block";

export function riskDecision(score: number, thresholds: RiskThresholds): RiskDecision {
  if (score >= thresholds.blockScore) return "block";
  if (score >= thresholds.reviewScore) return "review";
  return "allow";
}
