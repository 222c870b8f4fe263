// The embedded store (PGlite, the default of `npm start`): the same sync, reorg rollback and
// tables as on the server, through the unnest write path instead of COPY.
import { expect } from "chai";
import type { Hex } from "viem";
import { startChain, type TestChain } from "../support/chain.ts";
import { createPgliteDatabase, createServerDatabase, type TestDatabase } from "../support/database.ts";
import { deployEmitters, type EmitterSet } from "./support/emitter.ts";
import { dumpIndexerTables, runUntilHead, testOptions } from "./support/harness.ts";

describe("indexer on PGlite", function () {
  this.timeout(60_000);
  let chain: TestChain;
  let embedded: TestDatabase;
  let server: TestDatabase;
  let emitters: EmitterSet;

  before(async () => {
    [chain, embedded, server] = await Promise.all([startChain(), createPgliteDatabase(), createServerDatabase({ poolSizeMax: 2 })]);
    emitters = await deployEmitters(chain.rpcUrl);
  });
  after(async () => {
    await embedded?.drop();
    await server?.drop();
    await chain?.stop();
  });

  it("indexes, rolls back a reorg and ends with the same tables as the server", async () => {
    const chainId = await emitters.publicClient.getChainId();
    const rpc = (method: string, params: unknown[] = []) => emitters.publicClient.request({ method, params } as never) as Promise<unknown>;
    const options = testOptions({ deploymentBlock: emitters.deploymentBlock, finalityDepth: 4 });
    await emitters.send(emitters.registry, "anchor", [1n, 1n, `0x${"12".repeat(32)}`, 3]);
    await emitters.send(emitters.entitlement, "issue", [1n, 1n, emitters.account, [2, 0, 1]]);
    const snapshot = (await rpc("evm_snapshot")) as Hex;
    await emitters.send(emitters.entitlement, "lock", [1n]);
    await emitters.send(emitters.entitlement, "revoke", [[2n]]);
    await runUntilHead({ database: embedded, chainId, rpcUrl: chain.rpcUrl, emitters, options });
    await rpc("evm_revert", [snapshot]);
    await emitters.send(emitters.entitlement, "lock", [3n]);
    await emitters.send(emitters.payment, "pay", [`0x${"61".repeat(5)}${"00".repeat(27)}`, emitters.account, 7n]);
    await emitters.send(emitters.entitlement, "custodial", [1n, `0x${"aa".repeat(32)}`, `0x${"bb".repeat(32)}`]);
    await runUntilHead({ database: embedded, chainId, rpcUrl: chain.rpcUrl, emitters, options });
    await runUntilHead({ database: server, chainId, rpcUrl: chain.rpcUrl, emitters, options });
    const [onPglite, onServer] = await Promise.all([dumpIndexerTables(embedded, chainId), dumpIndexerTables(server, chainId)]);
    expect(onPglite.chain_token_states!.map((row) => (row as { token_id: string }).token_id)).to.deep.equal(["3"]);
    for (const table of Object.keys(onServer)) expect(onPglite[table], table).to.deep.equal(onServer[table]);
  });
});
