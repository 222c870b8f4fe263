// The platform's own EPay merchant, which takes every resale payment (a resale is between two
// accounts, not a shop's sale). Production sets RESALE_EPAY_GATEWAY_URL and RESALE_EPAY_KEY;
// otherwise the sandbox gateway (EPAY_SANDBOX_SECRET) serves the demo and the tests, with a
// merchant key derived from the sandbox secret like every sandbox merchant's.
import type { Config } from "../../../core/config.ts";
import { AppError } from "../../../core/errors.ts";
import { buildEpaySubmitUrl } from "../../payments/epay.ts";
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
