// Pseudonymous holder ids for the on-chain proof of a custodial resale. The chain must name
// the two accounts without revealing who they are: keccak256(salt || account id) with a secret
// salt, so nobody without the salt can test a guess ("is this account 42?"), and the same
// account always has the same id (the indexer can follow the chain of holders).
// The salt is derived from the query-password pepper (a secret every API process already has)
// under its own label, so no new secret has to be distributed; rotating the pepper changes
// every holder id from then on (old records stay valid proofs of what happened).
import { createHmac } from "node:crypto";
import { concat, keccak256, numberToHex, type Hex } from "viem";

export function holderSalt(pepper: string): Buffer {
  return createHmac("sha256", pepper).update("keyledger:custodial-holder-salt:v1").digest();
}

export function holderId(salt: Uint8Array, accountId: bigint): Hex {
  if (accountId <= 0n) throw new Error(`holderId: account id must be positive, got ${accountId}`);
  return keccak256(concat([salt, numberToHex(accountId, { size: 32 })]));
}
