// A real indexer process for the kill -9 and standby tests: the same startIndexer as
// indexer/main.ts, with the test emitter's ABI for the contracts (argv[2] is their addresses
// as JSON; argv[3], optional, a file holding the ABI as JSON, which spares the benchmark
// compiling the contract in the timed process). Configuration comes from the environment through core/config.ts, like main.ts.
import { readFileSync } from "node:fs";
import type { Abi } from "viem";
import { loadConfig } from "../../../core/config.ts";
import { createLogger } from "../../../core/logger.ts";
import type { ContractRole } from "../../../indexer/handlers/sources.ts";
import { startIndexer } from "../../../indexer/startIndexer.ts";

const addresses = JSON.parse(process.argv[2]!) as Record<ContractRole, `0x${string}`>;
const config = loadConfig();
const logger = createLogger({ level: config.logLevel, name: "indexer-test" });
const controller = new AbortController();
process.once("SIGTERM", () => controller.abort());
const abi = process.argv[3] ? (JSON.parse(readFileSync(process.argv[3], "utf8")) as Abi) : (await import("./emitter.ts")).compileEmitter().abi;
try {
  await startIndexer({
    config,
    logger,
    signal: controller.signal,
    sources: (Object.entries(addresses) as [ContractRole, `0x${string}`][]).map(([role, address]) => ({ role, address, abi })),
  });
} catch (error) {
  logger.fatal({ error: (error as Error).message }, "indexer failed");
  process.exitCode = 1;
}
