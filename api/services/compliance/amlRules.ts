// The anti-money-laundering rules' decisions, pure (docs/compliance.md, "AML rules"): each takes
// figures read from the ledger and answers whether the rule fires. The SQL that gathers the
// figures is in aml.ts; keeping the decisions here lets them be tested and mutated alone.
import type { Config } from "../../../core/config.ts";

export type AmlSettings = Config["compliance"]["aml"];

export type AmlRule = "payout_threshold" | "payout_velocity" | "flagged_wallet" | "structuring" | "volume_spike";

/** A payout at or above the currency's threshold; a currency without one has no threshold. */
export function payoutAboveThreshold(settings: Pick<AmlSettings, "payoutThresholdMinor">, amountMinor: bigint, currency: string): boolean {
  const threshold = settings.payoutThresholdMinor[currency];
  return threshold !== undefined && amountMinor >= threshold;
}

/** Payout requests of one shop within the window, this one included. */
export function payoutVelocityExceeded(settings: Pick<AmlSettings, "payoutVelocityCount">, requestsInWindow: number): boolean {
  return requestsInWindow >= settings.payoutVelocityCount;
}

/** A payment small enough to count towards structuring; a currency without a figure never does. */
export function isSmallPayment(settings: Pick<AmlSettings, "smallPaymentMinor">, amountMinor: bigint, currency: string): boolean {
  const small = settings.smallPaymentMinor[currency];
  return small !== undefined && amountMinor <= small;
}

/** Small payments from one payer to one shop within the window, not yet shown by an earlier alert. */
export function structuringDetected(settings: Pick<AmlSettings, "structuringCount">, smallPaymentsFromPayer: number): boolean {
  return smallPaymentsFromPayer >= settings.structuringCount;
}

export type VolumeHistory = {
  /** The shop's payments in the currency within the last window. */
  recentMinor: bigint;
  /** Its payments in the 30 windows before that. */
  historyMinor: bigint;
  /** Whole windows between the shop's first payment in the currency and the start of the last window. */
  historyWindows: number;
};

/** Windows of history a shop needs before its volume can spike against it (a new shop has none). */
export const spikeHistoryWindowsMin = 7;
/** The windows the average is taken over. */
export const spikeAverageWindows = 30;

/**
 * The last window's volume above `spikeFactor` times the shop's average per window over the 30
 * before (counting quiet windows as zero), above the currency's floor, for a shop with at least
 * seven windows of history. Integer arithmetic: recent * 30 > factor * history.
 */
export function volumeSpiked(settings: Pick<AmlSettings, "spikeFactor" | "spikeFloorMinor">, currency: string, volume: VolumeHistory): boolean {
  const floor = settings.spikeFloorMinor[currency];
  if (floor === undefined || volume.recentMinor < floor) return false;
  if (volume.historyWindows < spikeHistoryWindowsMin) return false;
  return volume.recentMinor * BigInt(spikeAverageWindows) > BigInt(settings.spikeFactor) * volume.historyMinor;
}
