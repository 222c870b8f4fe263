// Signs EPay notifications exactly as a gateway does (the sandbox's merchant key), for suites
// and the sale benchmark that pay orders without a browser.
import { epaySign, formatEpayMoney, type EpayParams } from "../../api/payments/epay.ts";

export function signedNotification(
  merchant: { pid: string; key: string },
  order: { id: string; amountMinor: string | bigint },
  tradeNo: string,
  overrides: Partial<EpayParams> = {},
): EpayParams {
  const params: EpayParams = {
    pid: merchant.pid,
    trade_no: tradeNo,
    out_trade_no: order.id,
    type: "alipay",
    name: "test",
    money: formatEpayMoney(BigInt(order.amountMinor)),
    trade_status: "TRADE_SUCCESS",
    ...overrides,
  };
  return { ...params, sign: epaySign(params, merchant.key), sign_type: "MD5" };
}

export function notifyPath(shopId: string, params: EpayParams): string {
  return `/api/payments/epay/notify/${shopId}?${new URLSearchParams(params).toString()}`;
}
