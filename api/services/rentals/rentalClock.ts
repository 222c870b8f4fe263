// The clock of rentals is the chain's: a renter's right ends when the latest block's time passes
// the rental's end (the contract's userOf answers from block.timestamp), so the platform asks
// the same clock before letting an owner act or a renter use the content. Without a chain
// (a deployment with no chain configured) the wall clock stands in.
import type { ChainContext } from "../../chain/chainContext.ts";

export async function rentalNow(chain: ChainContext | undefined): Promise<Date> {
  if (!chain) return new Date();
  const block = await chain.publicClient.getBlock();
  return new Date(Number(block.timestamp) * 1000);
}
