// How to pay an order: an EPay gateway URL (the buyer's browser opens it), or the on-chain
// payment router with the order's 32-byte reference.
import { stringToHex, type Hex } from "viem";
import { buildEpaySubmitUrl } from "../../payments/epay.ts";
import type { MasterKeyRing } from "../../keys/masterKeys.ts";
import type { Drizzle } from "../../../core/store/database.ts";
import { getEpaySettings } from "../shops/epaySettings.ts";
import type { OrderRecord } from "./orderRecord.ts";

export type PaymentInstructions =
  | { method: "epay"; url: string }
  | { method: "chain"; paymentAddress: Hex | null; orderRef: Hex; asset: Hex | "native" | null; amountMinor: string; currency: string };

export function orderRef(orderId: string): Hex {
  return stringToHex(orderId, { size: 32 });
}

export async function paymentInstructions(
  db: Drizzle,
  ring: MasterKeyRing,
  order: OrderRecord,
  urls: { apiBaseUrl: string; returnUrl: string; productName: string },
  chain: { paymentAddress?: Hex; stablecoinAddress?: Hex } | undefined,
): Promise<PaymentInstructions> {
  if (order.paymentMethod === "chain") {
    return {
      method: "chain",
      paymentAddress: chain?.paymentAddress ?? null,
      orderRef: orderRef(order.id),
      asset: order.currency === "ETH" ? "native" : (chain?.stablecoinAddress ?? null),
      amountMinor: String(order.amountMinor),
      currency: order.currency,
    };
  }
  const settings = await getEpaySettings(db, ring, order.shopId);
  return {
    method: "epay",
    url: buildEpaySubmitUrl({
      gatewayUrl: settings.gatewayUrl,
      pid: settings.pid,
      merchantKey: settings.key,
      outTradeNo: order.id,
      notifyUrl: `${urls.apiBaseUrl}/api/payments/epay/notify/${order.shopId}`,
      returnUrl: urls.returnUrl,
      name: urls.productName.slice(0, 60),
      amountMinor: order.amountMinor,
    }),
  };
}
