// The platform's indexer: the deployed contracts (addresses from the configuration, ABIs from the
// compiled artifacts), the sync loop, and the after-commit platform work (payments outbox,
// periodic reconciliation). indexer/main.ts runs it as a process; an in-process orchestrator can
// call it with its own database (PGlite cannot be opened twice in one process).
import type { Logger } from "pino";
import { requireSetting, type Config } from "../core/config.ts";
import { entitlementTokenAbi, keyRegistryAbi, ledgerAnchorAbi, paymentRouterAbi } from "../core/chain/abis.ts";
import type { Database } from "../core/store/database.ts";
import type { ContractSource } from "./handlers/sources.ts";
import { createPlatformTasks } from "./platformTasks.ts";
import { startIndexer } from "./startIndexer.ts";

export type RunPlatformIndexerParameters = { config: Config; logger: Logger; signal: AbortSignal; database?: Database };

export function platformSources(config: Config): ContractSource[] {
  const need = (value: `0x${string}` | undefined, variable: string) => requireSetting(value, variable, "The indexer follows the deployed platform contracts.");
  const sources: ContractSource[] = [
    { role: "registry", address: need(config.chain.registryAddress, "REGISTRY_ADDRESS"), abi: keyRegistryAbi },
    { role: "entitlement", address: need(config.chain.entitlementAddress, "ENTITLEMENT_ADDRESS"), abi: entitlementTokenAbi },
  ];
  if (config.chain.paymentAddress) sources.push({ role: "payment", address: config.chain.paymentAddress, abi: paymentRouterAbi });
  if (config.chain.ledgerAnchorAddress) sources.push({ role: "ledgerAnchor", address: config.chain.ledgerAnchorAddress, abi: ledgerAnchorAbi });
  return sources;
}

/** Runs until `signal` aborts; throws on a deep reorg, spent RPC retries or a lost writer lock. */
export async function runPlatformIndexer({ config, logger, signal, database }: RunPlatformIndexerParameters): Promise<void> {
  const tasks = createPlatformTasks(config, logger);
  try {
    await startIndexer({ config, logger, sources: platformSources(config), signal, database, afterCommit: (context) => tasks.afterCommit(context) });
  } finally {
    await tasks.close();
  }
}
