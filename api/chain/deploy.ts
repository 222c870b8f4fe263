// Deploys the whole platform (registry, entitlement token, payment router, test stablecoin,
// ledger anchor) and waits for every receipt. Role holders are constructor arguments, so each
// contract is one transaction and is usable as soon as its receipt is in.
import { getAddress, type Abi, type Account, type Address, type Chain, type Hex, type PublicClient, type Transport, type WalletClient } from "viem";
import { paymentRouterAbi } from "../../core/chain/abis.ts";
import { loadArtifact, type BenchContractName, type ContractName } from "./contracts.ts";

export type DeployPlatformParameters = {
  /** DEFAULT_ADMIN_ROLE everywhere; owner of the test stablecoin. */
  admin: Address;
  /** OPERATOR_ROLE of the entitlement token (issue, redeem, revoke, custodial records). */
  operator: Address;
  /** ISSUER_ROLE of the registry (anchors batch roots). */
  issuer: Address;
  /** The custody address of the entitlement token (fixed for its life). */
  custodian: Address;
  /** Receives every payment made through the payment router. */
  treasury: Address;
  /** ANCHOR_ROLE of the ledger anchor. */
  ledgerAnchorer: Address;
  /**
   * PULLER_ROLE of the payment router: the chain writer that pulls wallet buyers' subscription
   * periods from their mandates (docs/subscriptions.md). Default: the operator.
   */
  puller?: Address;
};

export type DeployPlatformReturnType = {
  registry: Address;
  entitlement: Address;
  payment: Address;
  stablecoin: Address;
  ledgerAnchor: Address;
  /** The block of the first deployment: where an indexer starts. */
  deploymentBlock: bigint;
};

export type DeployWalletClient = WalletClient<Transport, Chain | undefined, Account>;

/** Deploys one compiled contract and returns its address and block once mined. */
export async function deployContract(
  walletClient: DeployWalletClient,
  publicClient: PublicClient,
  name: ContractName | BenchContractName,
  args: readonly unknown[],
): Promise<{ address: Address; blockNumber: bigint; transactionHash: Hex }> {
  const { abi, bytecode } = loadArtifact(name);
  const hash = await walletClient.deployContract({
    abi: abi as Abi,
    bytecode,
    args: args as unknown[],
    account: walletClient.account,
    chain: walletClient.chain ?? null,
  });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success" || !receipt.contractAddress) {
    throw new Error(`Deploying ${name} failed (transaction ${hash}, status ${receipt.status}).`);
  }
  // Checksummed, as viem returns addresses everywhere else (decoded events and errors).
  return { address: getAddress(receipt.contractAddress), blockNumber: receipt.blockNumber, transactionHash: hash };
}

/** Grants PULLER_ROLE of the payment router (the admin's call) and waits for its receipt. */
export async function grantPuller(walletClient: DeployWalletClient, publicClient: PublicClient, router: Address, puller: Address): Promise<void> {
  const role = await publicClient.readContract({ address: router, abi: paymentRouterAbi, functionName: "PULLER_ROLE" });
  const hash = await walletClient.writeContract({
    address: router,
    abi: paymentRouterAbi,
    functionName: "grantRole",
    args: [role, puller],
    account: walletClient.account,
    chain: walletClient.chain ?? null,
  });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`Granting PULLER_ROLE to ${puller} failed (transaction ${hash}).`);
}

export async function deployPlatform(
  walletClient: DeployWalletClient,
  publicClient: PublicClient,
  parameters: DeployPlatformParameters,
): Promise<DeployPlatformReturnType> {
  const { admin, operator, issuer, custodian, treasury, ledgerAnchorer } = parameters;
  // Sequential on purpose: each send takes the next nonce of one account, and the entitlement
  // token needs the registry's address.
  const registry = await deployContract(walletClient, publicClient, "KeyRegistry", [admin, issuer]);
  const entitlement = await deployContract(walletClient, publicClient, "EntitlementToken", [admin, operator, registry.address, custodian]);
  const payment = await deployContract(walletClient, publicClient, "PaymentRouter", [admin, treasury]);
  const stablecoin = await deployContract(walletClient, publicClient, "TestStablecoin", [admin]);
  const ledgerAnchor = await deployContract(walletClient, publicClient, "LedgerAnchor", [admin, ledgerAnchorer]);
  // The router's constructor names no puller (its tests deploy it as it is), so the admin grants
  // PULLER_ROLE afterwards; a deployer that is not the admin cannot, and leaves it to the admin.
  if (getAddress(walletClient.account.address) === getAddress(admin)) {
    await grantPuller(walletClient, publicClient, payment.address, parameters.puller ?? operator);
  }
  return {
    registry: registry.address,
    entitlement: entitlement.address,
    payment: payment.address,
    stablecoin: stablecoin.address,
    ledgerAnchor: ledgerAnchor.address,
    deploymentBlock: registry.blockNumber,
  };
}
