// A real local chain for suites: a Hardhat node process on a free port, stopped afterwards.
import { freePort, startLocalChain, type LocalChain } from "../../scripts/lib/localChain.ts";

export type TestChain = LocalChain;

export { freePort };

export function startChain(): Promise<TestChain> {
  return startLocalChain();
}
