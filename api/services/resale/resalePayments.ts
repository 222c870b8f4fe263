// The platform's own EPay merchant, which takes every resale payment (a resale is between two
// accounts, not a shop's sale). Production sets RESALE_EPAY_GATEWAY_URL and RESALE_EPAY_KEY;
// otherwise the sandbox gateway (EPAY_SANDBOX_SECRET) serves the demo and the tests, with a
// merchant key derived from the sandbox secret like every sandbox merchant's.
import type { Config } from "../../../core/config.ts";
import { AppError } from "../../../core/errors.ts";
import { sandboxMerchantKey } from "../../payments/epaySandbox.ts";

export type ResaleEpayMerchant = { gatewayUrl: string; pid: string; key: string };

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
