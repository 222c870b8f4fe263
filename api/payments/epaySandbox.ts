// An EPay-compatible sandbox gateway, so the demo and the tests run the real protocol path:
// the shop signs a submit URL, the buyer's browser opens it here, the buyer presses "pay",
// and the sandbox sends a correctly signed asynchronous notification to the shop's notify_url
// and sends the browser back to return_url, exactly as a real 易支付 gateway does.
// Merchant keys are HMAC(sandbox secret, pid): nothing to store.
import { createHmac, randomBytes } from "node:crypto";
import { epaySign, verifyEpaySignature, type EpayParams } from "./epay.ts";

export function sandboxMerchantKey(secret: string, pid: string): string {
  return createHmac("sha256", secret).update(`epay-sandbox-merchant:${pid}`).digest("hex").slice(0, 32);
}

export function newSandboxMerchant(secret: string): { pid: string; key: string } {
  const pid = String(1000 + (randomBytes(4).readUInt32BE() % 9_000_000));
  return { pid, key: sandboxMerchantKey(secret, pid) };
}

export function verifySandboxSubmit(secret: string, params: EpayParams): boolean {
  return typeof params.pid === "string" && verifyEpaySignature(params, sandboxMerchantKey(secret, params.pid));
}

/** The notification a real gateway would send after payment, signed with the merchant key. */
export function sandboxNotification(secret: string, submit: EpayParams): EpayParams {
  const params: EpayParams = {
    pid: submit.pid!,
    trade_no: `SBX${Date.now()}${randomBytes(4).toString("hex")}`,
    out_trade_no: submit.out_trade_no!,
    type: submit.type ?? "alipay",
    name: submit.name ?? "",
    money: submit.money!,
    trade_status: "TRADE_SUCCESS",
  };
  return { ...params, sign: epaySign(params, sandboxMerchantKey(secret, params.pid!)), sign_type: "MD5" };
}

export async function deliverNotification(notifyUrl: string, params: EpayParams): Promise<{ ok: boolean; body: string }> {
  const url = new URL(notifyUrl);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const body = (await response.text()).trim();
  return { ok: response.ok && body === "success", body: body.slice(0, 200) };
}
