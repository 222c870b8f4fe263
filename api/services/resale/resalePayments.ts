// The platform's own EPay merchant, which takes every resale payment (a resale is between two
// accounts, not a shop's sale). Production sets RESALE_EPAY_GATEWAY_URL and RESALE_EPAY_KEY;
// otherwise the sandbox gateway (EPAY_SANDBOX_SECRET) serves the demo and the tests, with a
// merchant key derived from the sandbox secret like every sandbox merchant's.
import type { Config } from "../../../core/config.ts";
import { AppError } from "../../../core/errors.ts";
import { buildEpaySubmitUrl, checkEpayNotification, parseEpayMoney, type EpayParams } from "../../payments/epay.ts";
import { sandboxMerchantKey } from "../../payments/epaySandbox.ts";

export type ResaleEpayMerchant = { gatewayUrl: string; pid: string; key: string };

/**
 * The cashier URL of a payment to the platform's own EPay account (resale purchases, rentals,
 * merchants' fee top-ups, buyers' balance top-ups): the platform's notification path and the
 * page the payer comes back to, both on the API's base URL.
 */
export function platformEpayUrl(
  settings: { merchant: ResaleEpayMerchant; apiBaseUrl: string },
  payment: { outTradeNo: string; notifyPath: string; returnPath: string; name: string; amountMinor: bigint },
): string {
  return buildEpaySubmitUrl({
    gatewayUrl: settings.merchant.gatewayUrl,
    pid: settings.merchant.pid,
    merchantKey: settings.merchant.key,
    outTradeNo: payment.outTradeNo,
    notifyUrl: `${settings.apiBaseUrl}${payment.notifyPath}`,
    returnUrl: `${settings.apiBaseUrl}${payment.returnPath}`,
    name: payment.name,
    amountMinor: payment.amountMinor,
  });
}

export function resaleEpayMerchant(config: Config, apiBaseUrl: string): ResaleEpayMerchant {
  const { epayGatewayUrl, epayPid, epayKey } = config.resale;
  if (epayGatewayUrl && epayKey) return { gatewayUrl: epayGatewayUrl, pid: epayPid, key: epayKey };
  const sandboxSecret = config.payments.epaySandboxSecret;
  if (sandboxSecret) return { gatewayUrl: `${apiBaseUrl}/sandbox/epay/`, pid: epayPid, key: sandboxMerchantKey(sandboxSecret, epayPid) };
  throw new AppError(
    "invalid_state",
    "Resale payments are not configured: set RESALE_EPAY_GATEWAY_URL and RESALE_EPAY_KEY (or EPAY_SANDBOX_SECRET for the sandbox).",
  );
}

/**
 * Checks a notification of the platform's EPay merchant for a top-up (pid, signature under the
 * platform's key, TRADE_SUCCESS, a known top-up, its exact amount) before anything is written:
 * each failure a 4xx. `load` reads the top-up by its id (the notification's out_trade_no).
 */
export async function checkPlatformTopupNotification<Row extends { amount_minor: string | bigint }>(
  merchant: ResaleEpayMerchant,
  params: EpayParams,
  load: (topupId: string) => Promise<Row | undefined>,
): Promise<{ tradeNo: string; topupId: string; amountMinor: bigint }> {
  const { tradeNo, outTradeNo: topupId } = checkEpayNotification(params, { ...merchant, whose: "the platform's" });
  const topup = await load(topupId);
  if (!topup) throw new AppError("not_found", `No top-up ${topupId}.`);
  const amountMinor = parseEpayMoney(params.money ?? "");
  if (amountMinor === undefined || amountMinor !== BigInt(topup.amount_minor)) {
    throw new AppError("amount_mismatch", `money ${params.money ?? "(missing)"} is not the top-up's amount; nothing was recorded.`);
  }
  return { tradeNo, topupId, amountMinor };
}
