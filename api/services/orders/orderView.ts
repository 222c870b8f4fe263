// What a buyer sees of an order: state, amounts, and once fulfilled, each key with its
// entitlement. Codes are decrypted only here, only for the order's owner, and only for
// entitlements that are revealed (redeemed): a sealed entitlement's code stays sealed.
import type { SaltRelease } from "../../keys/certificate.ts";
import { openDeliveredCode } from "../../keys/buyerSeal.ts";
import type { MasterKeyRing } from "../../keys/masterKeys.ts";
import { queryOne, queryPreparedRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { inCustody } from "../resale/custody.ts";
import type { OrderRecord } from "./orderRecord.ts";

export type OrderItemView = {
  entitlementId: string;
  keyId: string;
  batchId: string;
  leafIndex: number;
  state: "sealed" | "redeemed" | "revoked";
  code: string | null;
  tokenId: string | null;
  issueState: string;
  issueTx: string | null;
  certificateUrl: string;
};

export type OrderView = {
  id: string;
  state: OrderRecord["state"];
  shopId: string;
  productId: string;
  productName: string;
  quantity: number;
  unitPriceMinor: string;
  amountMinor: string;
  currency: string;
  paymentMethod: OrderRecord["paymentMethod"];
  contact: string | null;
  expiresAt: string;
  paidAt: string | null;
  fulfilledAt: string | null;
  refundReason: string | null;
  createdAt: string;
  items: OrderItemView[];
  /** What the merchant delivered by hand (manual-delivery products), shown to the buyer only. */
  manualDelivery: string | null;
  /** Charged in another currency than the product's: its price there and the rate the order was charged at. */
  fx: { priceCurrency: string; priceAmountMinor: string; rate: string } | null;
};

type ItemRow = {
  entitlement_id: bigint;
  key_id: bigint;
  batch_id: bigint;
  leaf_index: number;
  shop_id: bigint;
  state: OrderItemView["state"];
  token_id: string | null;
  issue_state: string;
  issue_tx: string | null;
  ciphertext: Buffer;
  sealed_for_account_id: bigint | null;
  /** The holder's wrapped data key (read with the row for a key sealed for its buyer; null once destroyed). */
  holder_key_wrapped: Buffer | null;
  holder_master_key_id: string | null;
  sealed_for_order_id: string | null;
  owner_account_id: bigint | null;
  in_custody: boolean;
};

// After a resale or a withdrawal the entitlement belongs to someone else: the original order's
// page must never show its code again (docs/resale.md). In custody = never withdrawn, or
// deposited back since (owner_wallet alone may name the custodian, as the indexer projects it).
function stillOwnedByOrderBuyer(row: Pick<ItemRow, "owner_account_id" | "in_custody">, order: OrderRecord): boolean {
  return row.in_custody && String(row.owner_account_id ?? "") === String(order.buyerAccountId ?? "");
}

/**
 * Whose certificate a viewer of the order gets (api/keys/certificate.ts): the salt goes with the
 * code, to the buyer who still holds the entitlement in custody (the same rule as the code
 * above); the merchant, staff, and a buyer who resold or withdrew it get none.
 */
export async function certificateSaltRelease(db: Drizzle, order: OrderRecord, viewer: "buyer" | "merchant" | "staff", keyId: bigint): Promise<SaltRelease> {
  if (viewer !== "buyer") return "withhold";
  const row = await queryOne<Pick<ItemRow, "owner_account_id" | "in_custody">>(
    db,
    sql`SELECT e.owner_account_id, ${inCustody(undefined)} AS in_custody FROM entitlements e WHERE e.key_id = ${keyId} AND e.order_id = ${order.id}`,
  );
  return row && stillOwnedByOrderBuyer(row, order) ? "holder" : "withhold";
}

/** `withCodes`: false for a viewer who is not the buyer (merchant, staff): nothing is decrypted. */
export async function buildOrderView(db: Drizzle, ring: MasterKeyRing, order: OrderRecord, productName: string, withCodes = true): Promise<OrderView> {
  const items: OrderItemView[] = [];
  if (order.state === "fulfilled") {
    const rows = await queryPreparedRows<ItemRow>(
      db,
      "order_items",
      sql`SELECT e.id AS entitlement_id, k.id AS key_id, k.batch_id, k.leaf_index, k.shop_id, e.state, e.token_id::text AS token_id,
                 e.issue_state, e.issue_tx, k.ciphertext, k.sealed_for_account_id, k.sealed_for_order_id, d.data_key_wrapped AS holder_key_wrapped,
                 d.master_key_id AS holder_master_key_id, e.owner_account_id, ${inCustody(undefined)} AS in_custody
          FROM entitlements e JOIN keys k ON k.id = e.key_id LEFT JOIN account_data_keys d ON d.account_id = k.sealed_for_account_id
          WHERE e.order_id = ${order.id} ORDER BY k.id`,
    );
    // The keys' shop, not the order's: a docked order's keys are its supplier's (docs/docking.md),
    // encrypted with the supplier's data key; once delivered to a buyer with an account, with the
    // buyer's (api/keys/buyerSeal.ts), whose wrapped key comes with the rows. The data keys are read once for the order's codes.
    const dataKeys = new Map<string, Promise<Buffer>>();
    for (const row of rows) {
      const position = { shopId: BigInt(row.shop_id), batchId: BigInt(row.batch_id), leafIndex: row.leaf_index };
      items.push({
        entitlementId: String(row.entitlement_id),
        keyId: String(row.key_id),
        batchId: String(row.batch_id),
        leafIndex: row.leaf_index,
        state: row.state,
        code:
          withCodes && row.state === "redeemed" && stillOwnedByOrderBuyer(row, order)
            ? await openDeliveredCode(
                db,
                ring,
                {
                  ...position,
                  ciphertext: row.ciphertext,
                  sealedForAccountId: row.sealed_for_account_id === null ? null : BigInt(row.sealed_for_account_id),
                  holderKey:
                    row.holder_key_wrapped === null || row.holder_master_key_id === null
                      ? null
                      : { dataKeyWrapped: row.holder_key_wrapped, masterKeyId: row.holder_master_key_id },
                  sealedForOrderId: row.sealed_for_order_id,
                },
                dataKeys,
              )
            : null,
        tokenId: row.token_id,
        issueState: row.issue_state,
        issueTx: row.issue_tx,
        certificateUrl: `/api/orders/${order.id}/keys/${row.key_id}/certificate`,
      });
    }
  }
  return {
    id: order.id,
    state: order.state,
    shopId: String(order.shopId),
    productId: String(order.productId),
    productName,
    quantity: order.quantity,
    unitPriceMinor: String(order.unitPriceMinor),
    amountMinor: String(order.amountMinor),
    currency: order.currency,
    paymentMethod: order.paymentMethod,
    contact: order.contact,
    expiresAt: order.expiresAt.toISOString(),
    paidAt: order.paidAt?.toISOString() ?? null,
    fulfilledAt: order.fulfilledAt?.toISOString() ?? null,
    refundReason: order.refundReason,
    createdAt: order.createdAt.toISOString(),
    items,
    manualDelivery: null,
    fx: order.priceCurrency === null ? null : { priceCurrency: order.priceCurrency, priceAmountMinor: String(order.priceAmountMinor), rate: order.fxRate! },
  };
}
