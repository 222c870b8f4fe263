// Shared set-up of the contract suites: a real Hardhat node, the platform deployed once per file
// with deployPlatform, one wallet client per role, chain snapshots around each test, and exact
// custom-error decoding.
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createTestClient,
  createWalletClient,
  decodeErrorResult,
  http,
  type Abi,
  type Address,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
} from "viem";
import { hardhat } from "viem/chains";
import { startChain, type TestChain } from "../support/chain.ts";
import { deployPlatform, type DeployPlatformReturnType, type DeployWalletClient } from "../../api/chain/deploy.ts";
import { keyRegistryAbi } from "../../core/chain/abis.ts";
import { buildBatchTree, commitmentOf, type LeafValues } from "../../core/keys/leaf.ts";

export const roles = ["admin", "operator", "issuer", "custodian", "treasury", "anchorer", "buyer", "reseller", "stranger"] as const;
export type Role = (typeof roles)[number];

export type Platform = {
  chain: TestChain;
  publicClient: PublicClient;
  address: Record<Role, Address>;
  wallet: Record<Role, DeployWalletClient>;
  contracts: DeployPlatformReturnType;
  /** Takes a snapshot; the returned function restores it (one use). */
  snapshot(): Promise<() => Promise<void>>;
  stop(): Promise<void>;
};

export async function setupPlatform(): Promise<Platform> {
  const chain = await startChain();
  try {
    const transport = http(chain.rpcUrl);
    const publicClient = createPublicClient({ chain: hardhat, transport, pollingInterval: 50 }) as PublicClient;
    const testClient = createTestClient({ chain: hardhat, transport, mode: "hardhat" });
    const accounts = await createWalletClient({ chain: hardhat, transport }).getAddresses();
    const address = Object.fromEntries(roles.map((role, i) => [role, accounts[i]!])) as Record<Role, Address>;
    const wallet = Object.fromEntries(
      roles.map((role): [Role, DeployWalletClient] => [role, createWalletClient({ chain: hardhat, transport, account: address[role] })]),
    ) as Record<Role, DeployWalletClient>;
    const contracts = await deployPlatform(wallet.admin, publicClient, {
      admin: address.admin,
      operator: address.operator,
      issuer: address.issuer,
      custodian: address.custodian,
      treasury: address.treasury,
      ledgerAnchorer: address.anchorer,
    });
    return {
      chain,
      publicClient,
      address,
      wallet,
      contracts,
      async snapshot() {
        const id = await testClient.snapshot();
        return async () => {
          await testClient.revert({ id });
        };
      },
      stop: () => chain.stop(),
    };
  } catch (error) {
    await chain.stop();
    throw error;
  }
}

/**
 * Registers a suite's hooks: the platform deployed once before the suite (handed to `started`,
 * so the suite keeps its own `platform` variable; its own `before` hooks, registered after
 * this call, run after and may add state), stopped after it, and the chain rolled back to a
 * snapshot after each test.
 */
export function usePlatformPerSuite(started: (platform: Platform) => void): void {
  let platform: Platform | undefined;
  let restore: (() => Promise<void>) | undefined;
  before(async () => {
    platform = await setupPlatform();
    started(platform);
  });
  after(async () => {
    await platform?.stop();
  });
  beforeEach(async () => {
    restore = await platform!.snapshot();
  });
  afterEach(async () => {
    await restore?.();
  });
}

export type Write = { address: Address; abi: Abi; functionName: string; args?: readonly unknown[]; value?: bigint };

/** Sends a transaction from `wallet`, waits for it and insists it succeeded. */
export async function send(platform: Platform, wallet: DeployWalletClient, call: Write): Promise<TransactionReceipt> {
  const hash = await wallet.writeContract({
    address: call.address,
    abi: call.abi,
    functionName: call.functionName,
    args: (call.args ?? []) as unknown[],
    value: call.value,
    chain: hardhat,
    account: wallet.account,
  } as Parameters<DeployWalletClient["writeContract"]>[0]);
  const receipt = await platform.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`${call.functionName} reverted in ${hash}`);
  return receipt;
}

export type DecodedRevert = { errorName: string; args: readonly unknown[] };

/**
 * Runs the call as `wallet` (eth_call, nothing is mined) and returns the custom error it reverts
 * with, decoded from the raw revert data with `abi`. Fails the test if the call succeeds.
 */
export async function revertOf(platform: Platform, wallet: DeployWalletClient, call: Write, abi: Abi = call.abi): Promise<DecodedRevert> {
  try {
    await platform.publicClient.simulateContract({
      address: call.address,
      abi: call.abi,
      functionName: call.functionName,
      args: (call.args ?? []) as unknown[],
      value: call.value,
      account: wallet.account,
    } as Parameters<PublicClient["simulateContract"]>[0]);
  } catch (error) {
    const reverted = error instanceof BaseError ? error.walk((cause) => cause instanceof ContractFunctionRevertedError) : null;
    if (reverted instanceof ContractFunctionRevertedError && reverted.raw) {
      const decoded = decodeErrorResult({ abi, data: reverted.raw });
      return { errorName: decoded.errorName, args: decoded.args ?? [] };
    }
    throw error;
  }
  throw new Error(`${call.functionName} was expected to revert but succeeded`);
}

export type Batch = { shopId: bigint; batchId: bigint; leaves: LeafValues[]; tree: ReturnType<typeof buildBatchTree> };

/** A batch of `size` keys with deterministic salts; chain and registry default to the platform's. */
export function makeBatch(platform: Platform, options: { shopId: bigint; batchId: bigint; size: number; chainId?: bigint; registry?: Address }): Batch {
  const leaves: LeafValues[] = Array.from({ length: options.size }, (_, leafIndex) => ({
    chainId: options.chainId ?? BigInt(hardhat.id),
    registry: options.registry ?? platform.contracts.registry,
    shopId: options.shopId,
    batchId: options.batchId,
    leafIndex,
    commitment: commitmentOf(`0x${(leafIndex + 1).toString(16).padStart(64, "5")}` as Hex, `KEY-${options.batchId}-${leafIndex}`),
  }));
  return { shopId: options.shopId, batchId: options.batchId, leaves, tree: buildBatchTree(leaves) };
}

/** Anchors `batch` (under `asBatchId` if given) as the issuer. */
export async function anchor(platform: Platform, batch: Batch, asBatchId: bigint = batch.batchId): Promise<TransactionReceipt> {
  return send(platform, platform.wallet.issuer, {
    address: platform.contracts.registry,
    abi: keyRegistryAbi,
    functionName: "anchorBatch",
    args: [asBatchId, batch.shopId, batch.tree.root as Hex, batch.leaves.length],
  });
}
