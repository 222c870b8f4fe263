// An EPay asynchronous notification, checked in this order, each failure a 4xx that writes
// nothing: the shop exists and has EPay configured; the pid is the shop's; the signature
// verifies under the shop's merchant key (MD5 rule, constant-time); trade_status is
// TRADE_SUCCESS; the order belongs to this shop; the amount is exactly the order's. Only then
// is the payment recorded (exactly once per trade_no) and, if accepted, fulfilment enqueued.
import { createHash } from "node:crypto";
import { AppError } from "../../../core/errors.ts";
import type { MasterKeyRing } from "../../keys/masterKeys.ts";
import { checkEpayNotification, parseEpayMoney, type EpayParams } from "../../payments/epay.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { getEpaySettings } from "../shops/epaySettings.ts";
import { acceptCarefully, acceptExactPayment, postAcceptedPayment, type AcceptPaymentSettings, type PaymentOutcome } from "./acceptPayment.ts";
import { getOrderRecord } from "./orderRecord.ts";

export async function handleEpayNotify(
  db: Drizzle,
  ring: MasterKeyRing,
  settings: AcceptPaymentSettings,
  shopId: bigint,
  params: EpayParams,
): Promise<{ outcome: PaymentOutcome; orderId: string }> {
  const epay = await getEpaySettings(db, ring, shopId).catch((error: unknown) => {
    throw new AppError("not_found", "This shop does not accept EPay notifications.", { cause: error });
  });
  const { tradeNo, outTradeNo: orderId } = checkEpayNotification(params, { pid: epay.pid, key: epay.key, whose: "this shop's" });
  const amountMinor = parseEpayMoney(params.money ?? "");
  if (amountMinor === undefined) throw new AppError("amount_mismatch", `money ${params.money ?? "(missing)"} is not an amount; nothing was recorded.`);
  const payloadSha256 = createHash("sha256")
    .update(JSON.stringify(Object.entries(params).sort()))
    .digest();
  const input = { orderId, shopId, provider: "epay" as const, providerRef: tradeNo, amountMinor, payloadSha256 };
  // The common case first, in one statement that checks shop, state and exact amount itself.
  const paid = await acceptExactPayment(db, input, settings.exactPayments);
  if (paid) {
    await postAcceptedPayment(db, settings, paid, "epay");
    return { outcome: "accepted", orderId };
  }
  // Anything else: refuse what is wrong (nothing written), then let the careful path decide.
  const order = await getOrderRecord(db, orderId);
  if (!order || order.shopId !== shopId) throw new AppError("not_found", `No order ${orderId} in this shop.`);
  if (amountMinor !== order.amountMinor) {
    throw new AppError("amount_mismatch", `money ${params.money ?? "(missing)"} is not the order's amount; nothing was recorded.`);
  }
  // A group order's payment is held and refunded by the platform, so it must be money the
  // platform collected (docs/groupbuy.md): a shop's own gateway cannot pay one.
  if (await queryOne(db, sql`SELECT 1 AS one FROM orders WHERE id = ${orderId} AND group_id IS NOT NULL`)) {
    throw new AppError("order_not_payable", `Order ${orderId} is a group order, paid through the platform only; nothing was recorded.`);
  }
  const { outcome } = await acceptCarefully(db, settings, input);
  return { outcome, orderId };
}
