// Two Keyledger instances on one chain, for docking across instances (docs/docking.md, "Across
// instances"): the downstream starts the local chain and deploys its contracts; the upstream gets
// contracts of its own on the same chain, deployed and operated by another of the chain's funded
// accounts (so the two chain writers never share a nonce, and their batch ids, which the registry
// keys roots by, never collide). Each has its own PostgreSQL database, Redis prefix and HTTP
// listener; they talk over real HTTP.
import { deploymentFileVariables } from "../../core/config.ts";
import { deployToRpc } from "../../api/chain/deployToRpc.ts";
import { localChainAccounts } from "../../scripts/lib/localChain.ts";
import { startTestPlatform, type TestPlatform } from "./platform.ts";

export type TwoInstances = { downstream: TestPlatform; upstream: TestPlatform; stop(): Promise<void> };

export async function startTwoInstances(options: Parameters<typeof startTestPlatform>[0] = {}): Promise<TwoInstances> {
  const downstream = await startTestPlatform(options);
  try {
    const upstreamOperator = localChainAccounts.wallet3;
    const deployed = deploymentFileVariables(await deployToRpc({ rpcUrl: downstream.rpcUrl, deployerKey: upstreamOperator }));
    const upstream = await startTestPlatform({
      ...options,
      logDestination: undefined,
      logLevel: undefined,
      env: { ...options.env, CHAIN_RPC_URL: downstream.rpcUrl, CHAIN_OPERATOR_KEY: upstreamOperator, ...deployed },
    });
    return {
      downstream,
      upstream,
      async stop() {
        await upstream.stopAll();
        await downstream.stopAll();
      },
    };
  } catch (error) {
    await downstream.stopAll();
    throw error;
  }
}
