// The EPay (易支付 / 彩虹易支付) v1 protocol, which most 发卡 sites speak.
// Signing rule: drop `sign`, `sign_type` and empty values; sort keys in ASCII order; join as
// k=v&k=v with raw (not URL-encoded) values; append the merchant key directly (no "&key=");
// sign = lowercase hex md5. Notifications carry no timestamp or nonce, so replay protection
// is ours: a payment is recorded once per shop and trade_no (payments_shop_provider_ref_key).
import { createHash, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { AppError } from "../../core/errors.ts";

export type EpayParams = Record<string, string>;

export function epaySigningString(params: EpayParams): string {
  return Object.keys(params)
    .filter((name) => name !== "sign" && name !== "sign_type" && params[name] !== undefined && params[name] !== "")
    .sort()
    .map((name) => `${name}=${params[name]}`)
    .join("&");
}

export function epaySign(params: EpayParams, merchantKey: string): string {
  return createHash("md5")
    .update(epaySigningString(params) + merchantKey, "utf8")
    .digest("hex");
}

export function verifyEpaySignature(params: EpayParams, merchantKey: string): boolean {
  const given = params.sign;
  if (typeof given !== "string" || !/^[0-9a-fA-F]{32}$/.test(given)) return false;
  const expected = Buffer.from(epaySign(params, merchantKey), "hex");
  return timingSafeEqual(expected, Buffer.from(given.toLowerCase(), "hex"));
}

/** EPay amounts are yuan with two decimals; minor units are fen. */
/**
 * The checks every EPay notification passes before anything is read from the store, whoever it
 * pays (a shop, a resale, a top-up): the pid is the merchant's, the signature verifies under its
 * key (constant-time), the trade succeeded, and it names a trade number. Each failure is a 4xx
 * that writes nothing. `whose` names the merchant in the message ("this shop's").
 */
export function checkEpayNotification(params: EpayParams, merchant: { pid: string; key: string; whose: string }): { tradeNo: string; outTradeNo: string } {
  if (params.pid !== merchant.pid) throw new AppError("invalid_signature", `pid does not match ${merchant.whose} EPay merchant id.`);
  if (!verifyEpaySignature(params, merchant.key)) {
    throw new AppError("invalid_signature", "The notification's sign does not verify (EPay MD5 rule: sorted k=v&k=v + merchant key).");
  }
  if (params.trade_status !== "TRADE_SUCCESS") {
    throw new AppError("bad_request", `trade_status is "${params.trade_status ?? ""}"; only TRADE_SUCCESS is accepted.`);
  }
  const tradeNo = params.trade_no ?? "";
  if (!tradeNo || tradeNo.length > 128) throw new AppError("bad_request", "trade_no is missing or longer than 128 characters.");
  return { tradeNo, outTradeNo: params.out_trade_no ?? "" };
}

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
  const gateway = epayGatewayBase(input.gatewayUrl);
  if ("problem" in gateway) throw new AppError("invalid_state", `The EPay gateway URL ${gateway.problem}; set it again in the shop's payment settings.`);
  const url = new URL("submit.php", gateway.baseUrl);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  url.searchParams.set("sign", epaySign(params, input.merchantKey));
  url.searchParams.set("sign_type", "MD5");
  return url.toString();
}

/** The page a gateway URL may name besides its base: the buyer's browser is sent to it. */
const submitPage = "submit.php";

/**
 * The gateway's base URL (ending in "/") from what a merchant is given by an EPay provider:
 * either the base (`https://pay.example.com/` or `https://pay.example.com/epay`) or its
 * payment page (`https://pay.example.com/submit.php`). Anything else, another page of the
 * gateway (mapi.php, api.php), a query or a fragment, is refused with the reason, since
 * appending submit.php to it gives a link the cashier answers with 404.
 */
export function epayGatewayBase(value: string): { baseUrl: string } | { problem: string } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { problem: "is not a URL" };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return { problem: "must be an http(s) URL" };
  if (url.search !== "" || url.hash !== "")
    return { problem: "must not carry a query or a fragment: give the gateway's base URL (https://pay.example.com/) or its submit.php address" };
  const segments = url.pathname.split("/");
  const last = segments[segments.length - 1]!;
  if (last === submitPage) segments[segments.length - 1] = "";
  else if (last.includes("."))
    return { problem: `names the page ${last}: give the gateway's base URL (https://pay.example.com/) or its ${submitPage} address` };
  else if (last !== "") segments.push("");
  url.pathname = segments.join("/");
  return { baseUrl: url.toString() };
}

/**
 * The fields of an EPay asynchronous notification, as a gateway sends them (query parameters of
 * a GET, or a form body of a POST), for the API document. The notification route reads them
 * itself: the signature is checked over the fields exactly as sent (epaySigningString).
 */
// Stryker disable all: text and shape of the API document only (no check reads it); the
// notification route's own checks are mutated above.
export const epayNotificationFields = z.object({
  pid: z.string().describe("The merchant id the gateway gave the shop; must be the shop's."),
  trade_no: z.string().describe("The gateway's own trade number; a payment is recorded once per trade_no."),
  out_trade_no: z.string().describe("Keyledger's order id (from the payment link)."),
  type: z.string().optional().describe("Payment channel, e.g. alipay, wxpay, qqpay."),
  name: z.string().optional().describe("Product name, as in the payment link."),
  money: z.string().describe("Amount paid in yuan with up to two decimals (e.g. 48.00); must equal the order's amount."),
  trade_status: z.string().describe("Only TRADE_SUCCESS is accepted as a payment."),
  param: z.string().optional().describe("Pass-through value of the payment link, if any."),
  sign: z
    .string()
    .describe("Lowercase hex MD5 of the other non-empty fields (except sign and sign_type) sorted by name, joined as k=v&k=v, followed by the merchant key."),
  sign_type: z.string().optional().describe("MD5."),
});
// Stryker restore all
