// Derived facts from decoded events: one table per event kind (see 0400_indexer.sql). Every
// row carries its block number, which is what a reorg rollback deletes by.
import type { Hex } from "viem";
import { unpackLeafIndexes } from "../../core/keys/leaf.ts";
import { prepareBulkInsert, type Column, type PreparedWrite } from "../store/bulkInsert.ts";
import type { DecodedEvent } from "./sources.ts";

/** Every derived table; a rollback deletes from each of them by block number. */
export const derivedTables = [
  "chain_batch_anchors",
  "chain_issuances",
  "chain_transfers",
  "chain_custodial_transfers",
  "chain_token_states",
  "chain_payments",
  "chain_ledger_anchors",
  "chain_mandate_events",
] as const;

const lower = (value: unknown) => String(value).toLowerCase();

/** orderRef = stringToHex(orderId, { size: 32 }): the order id, right-padded with zero bytes. */
export function orderIdFromRef(orderRef: Hex): string | undefined {
  const bytes = Buffer.from(orderRef.slice(2), "hex");
  if (bytes.length !== 32) return undefined;
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  const text = bytes.subarray(0, end).toString("utf8");
  // Not valid UTF-8, or zero bytes inside: not an order reference this platform issued.
  if (end === 0 || text.includes("\0") || text.includes("\uFFFD") || !Buffer.from(text, "utf8").equals(bytes.subarray(0, end))) return undefined;
  return text;
}

/** The token ids a revocation event names, whatever its shape (one id, a list or a range). */
function revokedTokenIds(args: Record<string, unknown>): bigint[] {
  if (typeof args.tokenId === "bigint") return [args.tokenId];
  if (Array.isArray(args.tokenIds)) return args.tokenIds as bigint[];
  if (typeof args.firstTokenId === "bigint" && typeof args.count === "bigint") {
    return Array.from({ length: Number(args.count) }, (_, offset) => (args.firstTokenId as bigint) + BigInt(offset));
  }
  return [];
}

type Row = unknown[];

const eventColumns: Column[] = [
  ["chain_id", "bigint"],
  ["block_number", "bigint"],
  ["log_index", "int"],
  ["transaction_hash", "text"],
];

export function prepareProjection(copy: boolean, chainId: number, events: DecodedEvent[]): PreparedWrite[] {
  const anchors: Row[] = [];
  const issuances: Row[] = [];
  const transfers: Row[] = [];
  const custodial: Row[] = [];
  const states: Row[] = [];
  const payments: Row[] = [];
  const ledger: Row[] = [];
  const mandates: Row[] = [];

  for (const event of events) {
    const { args } = event;
    const base = [chainId, event.blockNumber, event.logIndex, event.transactionHash];
    switch (`${event.role}.${event.eventName}`) {
      case "registry.BatchAnchored":
        anchors.push([...base, args.batchId, args.shopId, lower(args.root), args.keyCount, lower(args.issuer)]);
        break;
      case "entitlement.EntitlementsIssued": {
        const count = Number(args.count);
        const leaves = unpackLeafIndexes(args.leafIndexes as Hex, count);
        // Tokens are not stored one by one: the chain_tokens view expands this row (0402).
        issuances.push([...base, args.batchId, args.firstTokenId, args.count, leaves]);
        break;
      }
      case "entitlement.Transfer":
        transfers.push([...base, event.address, args.tokenId, lower(args.from), lower(args.to)]);
        break;
      case "entitlement.CustodialTransferRecorded":
        custodial.push([...base, args.tokenId, lower(args.fromHolder), lower(args.toHolder)]);
        break;
      case "entitlement.Locked":
        states.push([...base, args.tokenId, "locked"]);
        break;
      case "entitlement.EntitlementsRevoked":
        // A token named twice in one event is one revocation (the row key is per token).
        for (const token of new Set(revokedTokenIds(args))) states.push([...base, token, "revoked"]);
        break;
      case "payment.OrderPaid":
        payments.push([...base, lower(args.orderRef), orderIdFromRef(args.orderRef as Hex) ?? null, lower(args.payer), lower(args.token), args.amount]);
        break;
      // Subscription mandates (docs/subscriptions.md, "Renewal by wallet pull"): one row per event.
      case "payment.MandateCreated":
        mandates.push([...base, "created", lower(args.mandateId), lower(args.payer), lower(args.subscriptionRef), null, lower(args.token), null]);
        break;
      case "payment.PeriodPulled":
        mandates.push([
          ...base,
          "pulled",
          lower(args.mandateId),
          lower(args.payer),
          lower(args.subscriptionRef),
          args.periodIndex,
          lower(args.token),
          args.amount,
        ]);
        break;
      case "payment.MandateCancelled":
        mandates.push([...base, "cancelled", lower(args.mandateId), lower(args.payer), lower(args.subscriptionRef), null, null, null]);
        break;
      case "ledgerAnchor.LedgerAnchored":
        ledger.push([...base, args.size, lower(args.root), args.index]);
        break;
    }
  }

  return [
    prepareBulkInsert(
      copy,
      "chain_batch_anchors",
      [...eventColumns, ["batch_id", "numeric"], ["shop_id", "numeric"], ["root", "text"], ["key_count", "bigint"], ["issuer", "text"]],
      anchors,
    ),
    prepareBulkInsert(
      copy,
      "chain_issuances",
      [...eventColumns, ["batch_id", "numeric"], ["first_token_id", "numeric"], ["token_count", "bigint"], ["leaf_indexes", "bigint[]"]],
      issuances,
    ),
    prepareBulkInsert(
      copy,
      "chain_transfers",
      [...eventColumns, ["contract", "text"], ["token_id", "numeric"], ["from_address", "text"], ["to_address", "text"]],
      transfers,
    ),
    prepareBulkInsert(copy, "chain_custodial_transfers", [...eventColumns, ["token_id", "numeric"], ["from_holder", "text"], ["to_holder", "text"]], custodial),
    prepareBulkInsert(copy, "chain_token_states", [...eventColumns, ["token_id", "numeric"], ["kind", "text"]], states),
    prepareBulkInsert(
      copy,
      "chain_payments",
      [...eventColumns, ["order_ref", "text"], ["order_id", "text"], ["payer", "text"], ["token", "text"], ["amount", "numeric"]],
      payments,
    ),
    prepareBulkInsert(copy, "chain_ledger_anchors", [...eventColumns, ["size", "numeric"], ["root", "text"], ["anchor_index", "numeric"]], ledger),
    prepareBulkInsert(
      copy,
      "chain_mandate_events",
      [
        ...eventColumns,
        ["kind", "text"],
        ["mandate_id", "text"],
        ["payer", "text"],
        ["subscription_ref", "text"],
        ["period_index", "bigint"],
        ["token", "text"],
        ["amount", "numeric"],
      ],
      mandates,
    ),
  ].filter((write): write is PreparedWrite => write !== undefined);
}
