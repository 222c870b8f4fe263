// What the subscription suites share: the chain's clock (the subscriptions' clock, moved with
// evm_setNextBlockTimestamp), the entitlement token's on-chain expiry, a balance top-up posted
// straight to the ledger, and the wait for a bought subscription's first period on-chain.
import { createPublicClient, createTestClient, http } from "viem";
import { entitlementTokenAbi } from "../../core/chain/abis.ts";
import type { Drizzle } from "../../core/store/database.ts";
import { postJournal } from "../../api/ledger/postJournal.ts";
import { waitFor, type TestPlatform } from "../support/platform.ts";
import type { Person } from "../resale/support.ts";

export function chainClock(platform: TestPlatform) {
  const publicClient = () => createPublicClient({ transport: http(platform.rpcUrl) });
  const testClient = () => createTestClient({ mode: "hardhat", transport: http(platform.rpcUrl) });
  const token = () => ({ address: platform.ctx.chain!.addresses.entitlement, abi: entitlementTokenAbi });
  return {
    /** The latest block's timestamp (seconds). */
    now: async () => (await publicClient().getBlock()).timestamp,
    /** Mines one block at `timestamp` (seconds): the chain's clock, which every later block follows. */
    moveTo: async (timestamp: bigint) => {
      await testClient().setNextBlockTimestamp({ timestamp });
      await testClient().mine({ blocks: 1 });
    },
    expiryOf: (tokenId: bigint) => publicClient().readContract({ ...token(), functionName: "expiryOf", args: [tokenId] }) as Promise<bigint>,
    isExpired: (tokenId: bigint) => publicClient().readContract({ ...token(), functionName: "isExpired", args: [tokenId] }) as Promise<boolean>,
  };
}

/** Tops a buyer's platform balance up, as a payment the platform's EPay merchant received. */
export function topUpBalance(db: Drizzle, accountId: bigint, amountMinor: bigint, reference: string) {
  return postJournal(db, {
    idempotencyKey: `test-topup:${reference}`,
    kind: "balance_topup",
    reference: { type: "topup", id: reference },
    postings: [
      { account: { ownerType: "platform", ownerId: 0n, purpose: "clearing_epay" }, amountMinor: -amountMinor, currency: "CNY" },
      { account: { ownerType: "buyer", ownerId: accountId, purpose: "refunds" }, amountMinor, currency: "CNY" },
    ],
  });
}

/** Waits until the buyer's subscription of this entitlement has started and its first expiry is on-chain. */
export async function waitSubscriptionStarted(buyer: Person, entitlementId: string) {
  const started = await waitFor("subscription started and its first expiry on-chain", async () => {
    const page = await buyer.client.get("/api/subscriptions");
    const item = page.body.items.find((row: { entitlementId: string }) => row.entitlementId === entitlementId);
    return item?.chainPaidUntil ? item : undefined;
  });
  return { ...started, id: started.id as string, startsAt: BigInt(Date.parse(started.startsAt) / 1000) };
}
