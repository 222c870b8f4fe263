// Links a browser wallet (EIP-1193, window.ethereum) to the signed-in account with Sign-In
// With Ethereum: the server issues a single-use nonce, the wallet signs an EIP-4361 message
// for this site and chain, the server verifies it. Loaded lazily (viem's SIWE helpers).
import { createSiweMessage } from "viem/siwe";
import { answer, type ApiClient } from "../api/client.ts";

type Eip1193 = { request(arguments_: { method: string; params?: unknown[] }): Promise<unknown> };

/** How long the signed message stays valid: long enough to read and sign, short enough to not be replayable later. */
const siweValidityMs = 10 * 60 * 1000;

export function browserWallet(): Eip1193 | undefined {
  return (window as unknown as { ethereum?: Eip1193 }).ethereum;
}

export async function connectWallet(api: ApiClient, statement: string): Promise<string> {
  const wallet = browserWallet();
  if (!wallet) throw new Error("No browser wallet found (window.ethereum).");
  const accounts = (await wallet.request({ method: "eth_requestAccounts" })) as string[];
  const address = accounts[0];
  if (!address) throw new Error("The wallet shared no account.");
  const challenge = await answer(api.POST("/api/wallets/siwe/nonce"));
  const message = createSiweMessage({
    address: address as `0x${string}`,
    chainId: challenge.chainId,
    domain: challenge.domain,
    nonce: challenge.nonce,
    uri: window.location.origin,
    version: "1",
    statement,
    issuedAt: new Date(),
    expirationTime: new Date(Date.now() + siweValidityMs),
  });
  const signature = (await wallet.request({ method: "personal_sign", params: [message, address] })) as string;
  await answer(api.POST("/api/wallets/link", { body: { message, signature } }));
  return address;
}
