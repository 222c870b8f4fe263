// Deploys the platform's contracts to any RPC with one key (the deployer), as `npm start` does
// to its local chain and `keyledger deploy` does for an operator, and describes the outcome as
// a deployment file (core/config.ts DEPLOYMENT_FILE) every process reads.
import { createPublicClient, createWalletClient, http, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { DeploymentFile } from "../../core/config.ts";
import { deployPlatform, type DeployPlatformParameters } from "./deploy.ts";

export type DeployToRpcParameters = {
  rpcUrl: string;
  deployerKey: Hex;
  /** Role holders; each defaults to the deployer's address (which is then the operator key). */
  roles?: Partial<DeployPlatformParameters>;
};

export async function deployToRpc(parameters: DeployToRpcParameters): Promise<DeploymentFile> {
  const account = privateKeyToAccount(parameters.deployerKey);
  const transport = http(parameters.rpcUrl);
  const chainId = await createPublicClient({ transport }).getChainId();
  const chain = {
    id: chainId,
    name: `chain ${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [parameters.rpcUrl] } },
  };
  const walletClient = createWalletClient({ account, chain, transport });
  const self: Address = account.address;
  const roles: DeployPlatformParameters = {
    admin: self,
    operator: self,
    issuer: self,
    custodian: self,
    treasury: self,
    ledgerAnchorer: self,
    ...parameters.roles,
  };
  const addresses = await deployPlatform(walletClient as never, createPublicClient({ chain, transport }) as never, roles);
  return {
    version: 1,
    chainId,
    deploymentBlock: String(addresses.deploymentBlock),
    contracts: {
      registry: addresses.registry,
      entitlement: addresses.entitlement,
      payment: addresses.payment,
      stablecoin: addresses.stablecoin,
      ledgerAnchor: addresses.ledgerAnchor,
    },
    custodian: roles.custodian,
  };
}
