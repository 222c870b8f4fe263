// Derived facts from decoded events: one table per event kind (see 0400_indexer.sql). Every
// row carries its block number, which is what a reorg rollback deletes by.
import { hexToBytes, hexToString, type Hex } from "viem";
import type { SqlSession } from "../store/session.ts";
import type { DecodedEvent } from "./sources.ts";

/** Every derived table; a rollback deletes from each of them by block number. */
export const derivedTables = [
  "chain_batch_anchors",
  "chain_issuances",
  "chain_tokens",
  "chain_transfers",
  "chain_custodial_transfers",
  "chain_token_states",
  "chain_payments",
  "chain_ledger_anchors",
] as const;

type Columns = Record<string, unknown[]>;

function columns<K extends string>(...names: K[]): Record<K, unknown[]> {
  return Object.fromEntries(names.map((name) => [name, []])) as unknown as Record<K, unknown[]>;
}

const lower = (value: unknown) => String(value).toLowerCase();

/**
 * leafIndexes is packed big-endian uint32s (4 bytes per token; see contracts/EntitlementToken.sol).
 * The width is derived from the byte length and the count so a wider encoding still decodes.
 */
export function decodeLeafIndexes(packed: Hex, count: number): bigint[] {
  const bytes = hexToBytes(packed);
  if (count === 0) return [];
  const width = bytes.length / count;
  if (!Number.isInteger(width) || width < 1 || width > 32) {
    throw new Error(`leafIndexes has ${bytes.length} bytes for ${count} tokens: not a whole number of bytes per token`);
  }
  const result: bigint[] = [];
  for (let token = 0; token < count; token++) {
    let value = 0n;
    for (let offset = 0; offset < width; offset++) value = (value << 8n) | BigInt(bytes[token * width + offset]!);
    result.push(value);
  }
  return result;
}

/** orderRef = stringToHex(orderId, { size: 32 }): the order id, right-padded with zero bytes. */
export function orderIdFromRef(orderRef: Hex): string | undefined {
  try {
    const text = hexToString(orderRef, { size: 32 });
    const trimmed = text.replace(/\0+$/, "");
    return trimmed.length > 0 && !trimmed.includes("\0") ? trimmed : undefined;
  } catch {
    return undefined;
  }
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

export async function projectEvents(session: SqlSession, chainId: number, events: DecodedEvent[]): Promise<void> {
  const anchors = columns("b", "i", "tx", "batch", "shop", "root", "count", "issuer");
  const issuances = columns("b", "i", "tx", "batch", "first", "count", "leaves");
  const tokens = columns("b", "i", "token", "batch", "leaf", "tx");
  const transfers = columns("b", "i", "tx", "contract", "token", "from", "to");
  const custodial = columns("b", "i", "tx", "token", "from", "to");
  const states = columns("b", "i", "tx", "token", "kind");
  const payments = columns("b", "i", "tx", "ref", "order", "payer", "token", "amount");
  const ledger = columns("b", "i", "tx", "size", "root", "index");
  const push = (target: Columns, values: Record<string, unknown>) => {
    for (const [name, value] of Object.entries(values)) target[name]!.push(value);
  };

  for (const event of events) {
    const { args } = event;
    const base = { b: event.blockNumber, i: event.logIndex, tx: event.transactionHash };
    switch (`${event.role}.${event.eventName}`) {
      case "registry.BatchAnchored":
        push(anchors, { ...base, batch: args.batchId, shop: args.shopId, root: lower(args.root), count: args.keyCount, issuer: lower(args.issuer) });
        break;
      case "entitlement.EntitlementsIssued": {
        const count = Number(args.count);
        const leaves = decodeLeafIndexes(args.leafIndexes as Hex, count);
        push(issuances, { ...base, batch: args.batchId, first: args.firstTokenId, count: args.count, leaves: leaves.join(",") });
        for (let offset = 0; offset < count; offset++) {
          push(tokens, { b: event.blockNumber, i: event.logIndex, token: (args.firstTokenId as bigint) + BigInt(offset), batch: args.batchId, leaf: leaves[offset], tx: event.transactionHash });
        }
        break;
      }
      case "entitlement.Transfer":
        push(transfers, { ...base, contract: event.address, token: args.tokenId, from: lower(args.from), to: lower(args.to) });
        break;
      case "entitlement.CustodialTransferRecorded":
        push(custodial, { ...base, token: args.tokenId, from: lower(args.fromHolder), to: lower(args.toHolder) });
        break;
      case "entitlement.Locked":
        push(states, { ...base, token: args.tokenId, kind: "locked" });
        break;
      case "entitlement.EntitlementsRevoked":
        // A token named twice in one event is one revocation (the row key is per token).
        for (const token of new Set(revokedTokenIds(args))) push(states, { ...base, token, kind: "revoked" });
        break;
      case "payment.OrderPaid":
        push(payments, { ...base, ref: lower(args.orderRef), order: orderIdFromRef(args.orderRef as Hex) ?? null, payer: lower(args.payer), token: lower(args.token), amount: args.amount });
        break;
      case "ledgerAnchor.LedgerAnchored":
        push(ledger, { ...base, size: args.size, root: lower(args.root), index: args.index });
        break;
    }
  }

  const insert = async (table: string, target: Columns, columnList: string, types: string, select = "*") => {
    const arrays = Object.values(target);
    if (arrays[0]!.length === 0) return;
    const placeholders = types.split(",").map((type, position) => `$${position + 2}::${type.trim()}[]`).join(", ");
    const aliases = Object.keys(target).map((name) => `c_${name}`).join(", ");
    await session.query(
      `INSERT INTO ${table} (chain_id, ${columnList}) SELECT $1, ${select} FROM unnest(${placeholders}) AS u(${aliases})`,
      [chainId, ...arrays],
    );
  };
  await insert("chain_batch_anchors", anchors, "block_number, log_index, transaction_hash, batch_id, shop_id, root, key_count, issuer", "bigint, int, text, numeric, numeric, text, bigint, text");
  await insert("chain_issuances", issuances, "block_number, log_index, transaction_hash, batch_id, first_token_id, token_count, leaf_indexes", "bigint, int, text, numeric, numeric, bigint, text",
    "c_b, c_i, c_tx, c_batch, c_first, c_count, coalesce(string_to_array(nullif(c_leaves, ''), ','), '{}')::bigint[]");
  await insert("chain_tokens", tokens, "block_number, log_index, token_id, batch_id, leaf_index, transaction_hash", "bigint, int, numeric, numeric, bigint, text");
  await insert("chain_transfers", transfers, "block_number, log_index, transaction_hash, contract, token_id, from_address, to_address", "bigint, int, text, text, numeric, text, text");
  await insert("chain_custodial_transfers", custodial, "block_number, log_index, transaction_hash, token_id, from_holder, to_holder", "bigint, int, text, numeric, text, text");
  await insert("chain_token_states", states, "block_number, log_index, transaction_hash, token_id, kind", "bigint, int, text, numeric, text");
  await insert("chain_payments", payments, "block_number, log_index, transaction_hash, order_ref, order_id, payer, token, amount", "bigint, int, text, text, text, text, text, numeric");
  await insert("chain_ledger_anchors", ledger, "block_number, log_index, transaction_hash, size, root, anchor_index", "bigint, int, text, numeric, text, numeric");
}
