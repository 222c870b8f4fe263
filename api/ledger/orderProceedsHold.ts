// The after-sales hold of an order's proceeds (docs/disputes.md): the shop's share of a sale
// paid through the platform moves from the shop's payable into its holds account as a ledger
// hold without expiry, so the ledger's own expiry sweep never releases it and a payout (which
// draws on the payable only) can never take it. The disputes sweep posts it back to the payable
// when the order's after-sales window closes and no dispute on the order is open; a refund voids
// it and holds the rest again under the next generation.
import { postJournal } from "./postJournal.ts";
import { holdIdByReference } from "./holds.ts";
import type { Drizzle } from "../../core/store/database.ts";

export type HoldOrderProceedsParameters = {
  orderId: string;
  shopId: bigint;
  /** 1 for the sale's hold; each refund that leaves something held holds it again as the next. */
  generation: number;
  amountMinor: bigint;
  currency: string;
};

export type HoldOrderProceedsReturnType = { holdId: bigint; transactionId: bigint; created: boolean };

/** Holds the amount; key order:<orderId>:proceeds-hold:<generation>, so a retry holds nothing twice. */
export async function holdOrderProceeds(db: Drizzle, parameters: HoldOrderProceedsParameters): Promise<HoldOrderProceedsReturnType> {
  const { orderId, shopId, generation, amountMinor, currency } = parameters;
  const payable = { ownerType: "shop" as const, ownerId: shopId, purpose: "payable" as const };
  const holds = { ownerType: "shop" as const, ownerId: shopId, purpose: "holds" as const };
  const reference = { type: "hold" as const, id: `proceeds:${orderId}:${generation}` };
  const result = await postJournal(db, {
    idempotencyKey: `order:${orderId}:proceeds-hold:${generation}`,
    kind: "proceeds_hold",
    reference,
    metadata: { orderId, generation },
    postings: [
      { account: payable, amountMinor: -amountMinor, currency },
      { account: holds, amountMinor, currency },
    ],
    // Released (posted) back to the payable when the window closes; voided back to it by a refund.
    hold: { holdingAccount: holds, postAccount: payable, voidAccount: payable, amountMinor, currency },
  });
  return { holdId: await holdIdByReference(db, reference), ...result };
}
