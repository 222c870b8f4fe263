// The EIP-712 message a wallet holder signs to reveal a token's code. Public interface: wallets
// and clients build the same domain and types (docs/resale.md).
import type { Hex } from "viem";

export const revealTypes = {
  Reveal: [
    { name: "tokenId", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

export function revealDomain(chainId: bigint, entitlement: Hex) {
  return { name: "Keyledger", version: "1", chainId, verifyingContract: entitlement } as const;
}
