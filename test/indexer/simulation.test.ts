// Seeded simulation: a real Hardhat node with random platform activity, random reorganisations
// (depth 1 to 6, repeated, some before the indexer saw the orphaned blocks, some after),
// injected RPC faults (a few percent of calls, plus "too many results" for wide getLogs
// ranges) and indexer restarts, some of them mid-sync. After each seed the indexed tables must
// equal those a fresh indexer builds from the final canonical chain with no faults.
import { expect } from "chai";
import { keccak256, stringToHex, toHex, type Hex } from "viem";
import { startChain, type TestChain } from "../support/chain.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";
import { testEnv } from "../support/env.ts";
import { readCheckpoint } from "../../indexer/store/checkpoint.ts";
import { openSession } from "../../indexer/store/session.ts";
import { deployEmitters, type EmitterSet } from "./support/emitter.ts";
import { seededRandom } from "../../scripts/lib/seededRandom.ts";
import { dumpIndexerTables, runUntilHead, testOptions, truncateIndexerTables } from "./support/harness.ts";

const seedCount = testEnv.thorough ? 200 : 20;
const firstSeed = Number(process.env.KEYLEDGER_SIM_FIRST_SEED ?? 1);
const finalityDepth = 8;
const reorgDepthMax = 6;

describe("indexer simulation: random activity, reorgs, RPC faults and restarts", function () {
  this.timeout(240_000);
  let chain: TestChain;
  let simDb: TestDatabase;
  let expectedDb: TestDatabase;
  let emitters: EmitterSet;
  let chainId: number;
  const totals = { reorgs: 0, deepestReorg: 0, restarts: 0, injectedFaults: 0, blocks: 0 };

  before(async () => {
    [chain, simDb, expectedDb] = await Promise.all([startChain(), createServerDatabase({ poolSizeMax: 3 }), createServerDatabase({ poolSizeMax: 3 })]);
    emitters = await deployEmitters(chain.rpcUrl);
    chainId = await emitters.publicClient.getChainId();
  });
  after(async () => {
    await Promise.all([simDb?.drop(), expectedDb?.drop()]);
    await chain?.stop();
    console.log(`      simulation totals: ${JSON.stringify(totals)}`);
  });

  const rpc = (method: string, params: unknown[] = []) => emitters.publicClient.request({ method, params } as never) as Promise<unknown>;
  // viem caches getBlockNumber for seconds; the simulation needs the head as it is now.
  const headNumber = async () => BigInt((await rpc("eth_blockNumber")) as Hex);

  for (let seed = firstSeed; seed < firstSeed + seedCount; seed++) {
    it(`seed ${seed}: indexed tables equal the canonical chain`, async () => {
      const random = seededRandom(seed);
      const pick = (max: number) => Math.floor(random() * max);
      const options = testOptions({
        deploymentBlock: emitters.deploymentBlock,
        finalityDepth,
        rangeBlocksInitial: 1 + pick(8),
        concurrency: 1 + pick(4),
        blocksPerPollMax: 2 + pick(10),
      });
      const faults = { random, errorRate: 0.03, logsRangeBlocksMax: 4 + pick(12) };
      const baseSnapshot = (await rpc("evm_snapshot")) as Hex;
      const snapshots: { height: bigint; id: Hex }[] = [];
      let counter = seed * 1_000_000;
      const nextNumber = () => BigInt(++counter);
      const bytes32 = () => keccak256(toHex(`${seed}:${++counter}:${random()}`));

      const activity = async (transactions: number) => {
        for (let index = 0; index < transactions; index++) {
          const height = await headNumber();
          snapshots.push({ height, id: (await rpc("evm_snapshot")) as Hex });
          const kind = pick(9);
          if (kind === 0) await emitters.send(emitters.registry, "anchor", [nextNumber(), BigInt(1 + pick(3)), bytes32(), 1 + pick(1000)]);
          else if (kind === 1)
            await emitters.send(emitters.entitlement, "issue", [
              nextNumber(),
              nextNumber(),
              emitters.account,
              Array.from({ length: 1 + pick(4) }, () => pick(1000)),
            ]);
          else if (kind === 2)
            await emitters.send(emitters.entitlement, "transfer", [
              emitters.account,
              `0x${"ab".repeat(19)}${pick(256).toString(16).padStart(2, "0")}`,
              BigInt(pick(50)),
            ]);
          else if (kind === 3) await emitters.send(emitters.entitlement, "lock", [BigInt(pick(50))]);
          else if (kind === 4) await emitters.send(emitters.entitlement, "revoke", [[BigInt(pick(50)), BigInt(pick(50))]]);
          else if (kind === 5) await emitters.send(emitters.entitlement, "custodial", [BigInt(pick(50)), bytes32(), bytes32()]);
          else if (kind === 6)
            await emitters.send(emitters.payment, "pay", [stringToHex(`ord_${seed}_${pick(20)}`, { size: 32 }), emitters.account, BigInt(1 + pick(10_000))]);
          else if (kind === 7) await emitters.send(emitters.ledgerAnchor, "ledger", [nextNumber(), bytes32(), BigInt(pick(100))]);
          else await rpc("evm_mine");
        }
      };

      const runIndexerOnce = async () => {
        // A third of the runs stop after a few commits: a restart in the middle of a sync.
        const crash = random() < 0.33;
        const run = await runUntilHead({
          database: simDb,
          chainId,
          rpcUrl: chain.rpcUrl,
          emitters,
          options,
          faults,
          stopAfterCommits: crash ? 1 + pick(3) : undefined,
        });
        totals.restarts++;
        totals.injectedFaults += run.injectedErrors + run.refusedRanges;
      };

      await activity(3 + pick(6));
      for (let round = 0; round < 7; round++) {
        const choice = random();
        if (choice < 0.4) {
          const head = await headNumber();
          const session = await openSession(simDb);
          const checkpoint = await readCheckpoint(session, chainId);
          await session.close();
          // Never deeper than what the indexer already treats as final: that is the case the
          // indexer must refuse (tested separately), not survive.
          const finalized = checkpoint?.finalizedNumber ?? emitters.deploymentBlock - 1n;
          const roomy = Number(head - finalized) - 1;
          const depth = Math.min(1 + pick(reorgDepthMax), roomy);
          const target = snapshots.find((snapshot) => snapshot.height === head - BigInt(depth));
          if (depth >= 1 && target) {
            await rpc("evm_revert", [target.id]);
            snapshots.splice(snapshots.indexOf(target));
            totals.reorgs++;
            totals.deepestReorg = Math.max(totals.deepestReorg, depth);
            // The new branch: sometimes shorter than the old one, sometimes longer.
            await activity(pick(depth + 3));
          }
        } else if (choice < 0.75) {
          await activity(1 + pick(5));
        } else {
          await runIndexerOnce();
        }
        if (random() < 0.5) await runIndexerOnce();
      }
      // Reorgs can revert every log of a seed (seed 1113 did): end with one sure log so the
      // comparison below always has rows to compare.
      await emitters.send(emitters.ledgerAnchor, "ledger", [nextNumber(), bytes32(), 0n]);
      await runIndexerOnce();
      await runUntilHead({ database: simDb, chainId, rpcUrl: chain.rpcUrl, emitters, options, faults });
      await truncateIndexerTables(expectedDb);
      await runUntilHead({
        database: expectedDb,
        chainId,
        rpcUrl: chain.rpcUrl,
        emitters,
        options: testOptions({ deploymentBlock: emitters.deploymentBlock, finalityDepth }),
      });

      const [actual, expected] = await Promise.all([dumpIndexerTables(simDb, chainId), dumpIndexerTables(expectedDb, chainId)]);
      expect(expected.chain_logs!.length, "the seed produced logs").to.be.greaterThan(0);
      for (const table of Object.keys(expected)) {
        expect(actual[table], `seed ${seed}: ${table}`).to.deep.equal(expected[table]);
      }
      // Independent of the indexer: the raw logs equal what eth_getLogs returns for the whole range.
      const direct = (await rpc("eth_getLogs", [
        {
          address: [emitters.registry, emitters.entitlement, emitters.payment, emitters.ledgerAnchor],
          fromBlock: toHex(emitters.deploymentBlock),
          toBlock: "latest",
        },
      ])) as { blockNumber: Hex; logIndex: Hex; transactionHash: Hex; data: Hex }[];
      expect(
        actual.chain_logs!.map((row) => {
          const log = row as { block_number: string; log_index: number; transaction_hash: string; data: string };
          return `${log.block_number}:${log.log_index}:${log.transaction_hash}:${log.data}`;
        }),
      ).to.deep.equal(direct.map((log) => `${BigInt(log.blockNumber)}:${Number(log.logIndex)}:${log.transactionHash.toLowerCase()}:${log.data.toLowerCase()}`));
      totals.blocks += Number((await headNumber()) - emitters.deploymentBlock);

      await rpc("evm_revert", [baseSnapshot]);
      await truncateIndexerTables(simDb);
    });
  }
});
