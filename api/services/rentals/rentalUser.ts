// The ERC-4907 user set on-chain for a custodial renter: the last 20 bytes of the renter's
// pseudonymous holder id (holderId.ts: keccak256 of a secret salt and the account id). Nobody
// holds a key for it and nobody without the salt can tell whose it is, yet the same account is
// always the same user, so the chain shows who may use a token and that no two users hold it at
// once, without naming anyone.
import { getAddress, slice, type Address } from "viem";
import { holderId } from "../resale/holderId.ts";

export function rentalUserAddress(salt: Uint8Array, accountId: bigint): Address {
  return getAddress(slice(holderId(salt, accountId), 12));
}
