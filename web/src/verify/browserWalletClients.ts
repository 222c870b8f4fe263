// The browser wallet (EIP-1193, window.ethereum) as viem clients: a wallet client for the user's
// transactions, a reader for receipts through the same provider, the shared account and the
// wallet's own chain. Used by the lazy chunks that send transactions (payments, mandates).
import { createPublicClient, createWalletClient, custom, type EIP1193Provider } from "viem";

export async function browserWalletClients() {
  const provider = (window as unknown as { ethereum?: EIP1193Provider }).ethereum;
  if (!provider) throw new Error("No browser wallet found (window.ethereum).");
  const wallet = createWalletClient({ transport: custom(provider) });
  const reader = createPublicClient({ transport: custom(provider) });
  const [account] = await wallet.requestAddresses();
  if (!account) throw new Error("The wallet shared no account.");
  const chain = {
    id: await reader.getChainId(),
    name: "wallet",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [] } },
  };
  return { wallet, reader, account, chain };
}
