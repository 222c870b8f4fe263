// The chain as the platform sees it: one public client for reads, one wallet client for the
// operator's writes, the deployed addresses. Built once by an entry point from config.
import { createPublicClient, createWalletClient, http, type Account, type Chain, type PublicClient, type WalletClient, type Transport, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";

export type ChainAddresses = {
  registry: Hex;
  entitlement: Hex;
  payment?: Hex;
  stablecoin?: Hex;
  ledgerAnchor?: Hex;
};

export type ChainContext = {
  chainId: bigint;
  rpcUrl: string;
  publicClient: PublicClient;
  walletClient: WalletClient<Transport, Chain, Account> | undefined;
  addresses: ChainAddresses;
  custodian: Hex | undefined;
  deploymentBlock: bigint;
};

export async function createChainContext(options: {
  rpcUrl: string;
  addresses: ChainAddresses;
  operatorKey?: Hex;
  custodian?: Hex;
  deploymentBlock?: bigint;
}): Promise<ChainContext> {
  const transport = http(options.rpcUrl, { retryCount: 3, timeout: 15_000, batch: false });
  const probe = createPublicClient({ transport });
  const chainId = await probe.getChainId();
  const chain: Chain = {
    id: chainId,
    name: `chain-${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [options.rpcUrl] } },
  };
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 250 }) as PublicClient;
  const account = options.operatorKey ? privateKeyToAccount(options.operatorKey) : undefined;
  const walletClient = account ? createWalletClient({ chain, transport, account }) : undefined;
  return {
    chainId: BigInt(chainId),
    rpcUrl: options.rpcUrl,
    publicClient,
    walletClient,
    addresses: options.addresses,
    custodian: options.custodian ?? account?.address,
    deploymentBlock: options.deploymentBlock ?? 0n,
  };
}
