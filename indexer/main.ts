// The indexer process: `node indexer/main.ts`. Loads the configuration, reads the platform
// contracts' ABIs from the compiled artifacts, and syncs until SIGTERM or SIGINT. A second
// process started with the same configuration waits as a standby (see docs/indexer.md).
import { loadConfig, requireSetting } from "../api/config.ts";
import { loadArtifact } from "../api/chain/contracts.ts";
import { createLogger } from "../api/logger.ts";
import type { ContractSource } from "./handlers/sources.ts";
import { createPlatformTasks } from "./platformTasks.ts";
import { startIndexer } from "./startIndexer.ts";

const config = loadConfig();
const logger = createLogger({ level: config.logLevel, name: "indexer" });
const controller = new AbortController();
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    logger.info({ signal }, "stopping after the current step");
    controller.abort();
  });
}

const need = (value: `0x${string}` | undefined, variable: string) => requireSetting(value, variable, "The indexer follows the deployed platform contracts.");
const sources: ContractSource[] = [
  { role: "registry", address: need(config.chain.registryAddress, "REGISTRY_ADDRESS"), abi: loadArtifact("KeyRegistry").abi },
  { role: "entitlement", address: need(config.chain.entitlementAddress, "ENTITLEMENT_ADDRESS"), abi: loadArtifact("EntitlementToken").abi },
];
if (config.chain.paymentAddress) sources.push({ role: "payment", address: config.chain.paymentAddress, abi: loadArtifact("PaymentRouter").abi });
if (config.chain.ledgerAnchorAddress) sources.push({ role: "ledgerAnchor", address: config.chain.ledgerAnchorAddress, abi: loadArtifact("LedgerAnchor").abi });

const tasks = createPlatformTasks(config, logger);
try {
  await startIndexer({ config, logger, sources, signal: controller.signal, afterCommit: (context) => tasks.afterCommit(context) });
  logger.info("indexer stopped");
} catch (error) {
  logger.fatal({ error: error instanceof Error ? error.message : String(error) }, "indexer failed");
  process.exitCode = 1;
} finally {
  await tasks.close();
}
