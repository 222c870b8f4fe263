// The ledger's background work, started once by the workers process (api/jobs/main.ts):
// the hasher loop that chains new entries, the expiry of holds, and, when a chain and a
// LedgerAnchor address are configured, the periodic anchor. stop() waits for each loop to end
// its current pass, so no query runs after the pool closes.
import type { Account, Chain, Hex, PublicClient, Transport, WalletClient } from "viem";
import type { Config } from "../../core/config.ts";
import type { Drizzle } from "../../core/store/database.ts";
import { anchorLedger, type AnchorLedgerReturnType } from "./anchorLedger.ts";
import { startHasherLoop } from "./hasher.ts";
import { expireHolds } from "./holds.ts";
import { releaseDistributionEarnings } from "./distributionEarnings.ts";

// Holds resolved per expiry pass; the next pass takes the rest.
const holdExpiryBatchMax = 500;
// How often expired holds are looked for. Expiry is in hours or days, so a minute is precise enough.
const holdExpiryIntervalMs = 60_000;

export type LedgerBackgroundOptions = {
  db: Drizzle;
  settings: Config["ledger"];
  anchor?: { publicClient: PublicClient; walletClient: WalletClient<Transport, Chain, Account>; anchorAddress: Hex; fromBlock?: bigint };
  onError(error: unknown, task: "hasher" | "holds" | "anchor"): void;
  onAnchored?(result: AnchorLedgerReturnType): void;
};

export type LedgerBackground = { stop(): Promise<void> };

export function startLedgerBackground(options: LedgerBackgroundOptions): LedgerBackground {
  const { db, settings } = options;
  const hasher = startHasherLoop(db, {
    batchSizeMax: settings.hashBatchSizeMax,
    idleIntervalMs: settings.hashIdleIntervalMs,
    onError: (error) => options.onError(error, "hasher"),
  });
  let stopped = false;
  const loops: Promise<void>[] = [];
  const every = (intervalMs: number, task: "holds" | "anchor", work: () => Promise<void>) => {
    loops.push(
      (async () => {
        while (!stopped) {
          try {
            await work();
          } catch (error) {
            options.onError(error, task);
          }
          // Sleep in short slices so stop() does not wait a whole interval.
          for (let slept = 0; slept < intervalMs && !stopped; slept += 200)
            await new Promise((resolve) => setTimeout(resolve, Math.min(200, intervalMs - slept)));
        }
      })(),
    );
  };
  every(holdExpiryIntervalMs, "holds", async () => {
    await expireHolds(db, { limit: holdExpiryBatchMax });
    // Agents' and referrers' earnings past the chargeback window become payable (docs/distribution.md).
    await releaseDistributionEarnings(db, { windowSeconds: settings.distributionHoldSeconds, limit: holdExpiryBatchMax });
  });
  const anchor = options.anchor;
  if (anchor) {
    every(settings.anchorIntervalSeconds * 1000, "anchor", async () => {
      const result = await anchorLedger({ db, ...anchor, entriesMin: settings.anchorEntriesMin });
      options.onAnchored?.(result);
    });
  }
  return {
    async stop() {
      stopped = true;
      await Promise.all([hasher.stop(), ...loops]);
    },
  };
}
