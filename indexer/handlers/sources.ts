// The contracts the indexer follows and how it decodes their logs. ABIs come from the compiled
// artifacts (the entry point loads them), so an event's shape is never written twice.
import type { Abi, Hex } from "viem";
import { compileEvent, eventSelector, type AbiEventItem, type CompiledEvent } from "./decodeEventLog.ts";
import type { RpcLog } from "../rpc/types.ts";

export type ContractRole = "registry" | "entitlement" | "payment" | "ledgerAnchor";

export type ContractSource = { role: ContractRole; address: Hex; abi: Abi };

export type IndexedLog = {
  blockNumber: bigint;
  logIndex: number;
  blockHash: Hex;
  transactionHash: Hex;
  transactionIndex: number;
  address: Hex;
  topics: Hex[];
  data: Hex;
};

export type DecodedEvent = IndexedLog & { role: ContractRole; eventName: string; args: Record<string, unknown> };

export type EventDecoder = {
  addresses: Hex[];
  decode(log: IndexedLog): DecodedEvent | undefined;
};

export function toIndexedLog(log: RpcLog): IndexedLog {
  return {
    blockNumber: BigInt(log.blockNumber),
    logIndex: Number(log.logIndex),
    blockHash: log.blockHash.toLowerCase() as Hex,
    transactionHash: log.transactionHash.toLowerCase() as Hex,
    transactionIndex: Number(log.transactionIndex),
    address: log.address.toLowerCase() as Hex,
    topics: log.topics.map((topic) => topic.toLowerCase() as Hex),
    data: log.data.toLowerCase() as Hex,
  };
}

export function createEventDecoder(sources: ContractSource[]): EventDecoder {
  const byKey = new Map<string, { role: ContractRole; event: CompiledEvent }>();
  for (const source of sources) {
    const address = source.address.toLowerCase();
    for (const item of source.abi) {
      if (item.type !== "event" || item.anonymous) continue;
      const event = item as unknown as AbiEventItem;
      byKey.set(`${address}:${eventSelector(event)}`, { role: source.role, event: compileEvent(event) });
    }
  }
  return {
    addresses: sources.map((source) => source.address.toLowerCase() as Hex),
    decode(log) {
      const topic0 = log.topics[0];
      if (!topic0) return undefined;
      const entry = byKey.get(`${log.address}:${topic0}`);
      if (!entry) return undefined;
      try {
        return { ...log, role: entry.role, eventName: entry.event.name, args: entry.event.decode(log.topics, log.data) };
      } catch {
        // A log that matches a selector but not its ABI (an anonymous event's data, a
        // different contract version) stays a raw log and is not decoded.
        return undefined;
      }
    },
  };
}
