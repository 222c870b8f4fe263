// The one object that carries the indexer's resolved options and shared services from the
// entry point down (Ponder's `common`): no module reaches for a global.
import type { Logger } from "pino";
import type { Config } from "../core/config.ts";
import type { EventDecoder } from "./handlers/sources.ts";
import type { PlatformParameters } from "./handlers/applyPlatformState.ts";
import type { RpcClient } from "./rpc/types.ts";
import type { SqlSession } from "./store/session.ts";

export type IndexerOptions = Config["indexer"] & {
  /** The contracts' deployment block: backfill starts here. */
  deploymentBlock: bigint;
};

export type IndexerContext = {
  chainId: number;
  options: IndexerOptions;
  rpc: RpcClient;
  /** The writer session (holds the advisory lock on a server). */
  session: SqlSession;
  decoder: EventDecoder;
  platform: PlatformParameters;
  logger: Logger;
  signal: AbortSignal;
  /** Called after every committed transaction (tests and the benchmark observe progress). */
  onCommit?: (info: { blockNumber: bigint; finalizedNumber: bigint; logs: number }) => void;
  /** Called after each committed range or poll, outside the transaction (payments outbox). */
  afterCommit?: () => Promise<void>;
};

export class DeepReorgError extends Error {
  constructor(chainId: number, finalizedNumber: bigint) {
    super(
      `Chain ${chainId} reorganised below block ${finalizedNumber}, which the indexer had treated as final ` +
        `(INDEXER_FINALITY_DEPTH). Rows derived from final blocks may be wrong: stopping. ` +
        `Raise the finality depth, then rebuild the indexer tables from the deployment block.`,
    );
    this.name = "DeepReorgError";
  }
}
