// The EPay (易支付 / 彩虹易支付) v1 protocol, which most 发卡 sites speak.
// Signing rule: drop `sign`, `sign_type` and empty values; sort keys in ASCII order; join as
// k=v&k=v with raw (not URL-encoded) values; append the merchant key directly (no "&key=");
// sign = lowercase hex md5. Notifications carry no timestamp or nonce, so replay protection
// is ours: a payment is recorded once per shop and trade_no (payments_shop_provider_ref_key).
import { createHash, timingSafeEqual } from "node:crypto";

export type EpayParams = Record<string, string>;

export function epaySigningString(params: EpayParams): string {
  return Object.keys(params)
    .filter((name) => name !== "sign" && name !== "sign_type" && params[name] !== undefined && params[name] !== "")
    .sort()
    .map((name) => `${name}=${params[name]}`)
    .join("&");
}

export function epaySign(params: EpayParams, merchantKey: string): string {
  return createHash("md5").update(epaySigningString(params) + merchantKey, "utf8").digest("hex");
}

export function verifyEpaySignature(params: EpayParams, merchantKey: string): boolean {
  const given = params.sign;
  if (typeof given !== "string" || !/^[0-9a-fA-F]{32}$/.test(given)) return false;
  const expected = Buffer.from(epaySign(params, merchantKey), "hex");
  return timingSafeEqual(expected, Buffer.from(given.toLowerCase(), "hex"));
}

/** EPay amounts are yuan with two decimals; minor units are fen. */
export function formatEpayMoney(amountMinor: bigint): string {
  const whole = amountMinor / 100n;
  const fraction = (amountMinor % 100n).toString().padStart(2, "0");
  return `${whole}.${fraction}`;
}

/** Parses "12.30" (or "12.3", "12") into minor units; undefined when it is not a plain amount. */
export function parseEpayMoney(money: string): bigint | undefined {
  const match = /^(\d{1,15})(?:\.(\d{1,2}))?$/.exec(money);
  if (!match) return undefined;
  return BigInt(match[1]!) * 100n + BigInt((match[2] ?? "").padEnd(2, "0"));
}

export type EpaySubmit = {
  gatewayUrl: string;
  pid: string;
  merchantKey: string;
  outTradeNo: string;
  notifyUrl: string;
  returnUrl: string;
  name: string;
  amountMinor: bigint;
  type?: string;
};

/** The URL the buyer's browser opens to pay (submit.php, GET form). */
export function buildEpaySubmitUrl(input: EpaySubmit): string {
  const params: EpayParams = {
    pid: input.pid,
    type: input.type ?? "alipay",
    out_trade_no: input.outTradeNo,
    notify_url: input.notifyUrl,
    return_url: input.returnUrl,
    name: input.name,
    money: formatEpayMoney(input.amountMinor),
  };
  const url = new URL("submit.php", input.gatewayUrl.endsWith("/") ? input.gatewayUrl : `${input.gatewayUrl}/`);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  url.searchParams.set("sign", epaySign(params, input.merchantKey));
  url.searchParams.set("sign_type", "MD5");
  return url.toString();
}
