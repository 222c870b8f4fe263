import { expect } from "chai";
import { keccak256, toBytes, type Address } from "viem";
import { entitlementTokenAbi } from "../../core/chain/abis.ts";
import { buildIssueCall, issueArgs } from "../../api/chain/issuanceCall.ts";
import { seededRandom } from "../../scripts/lib/seededRandom.ts";
import { testEnv } from "../support/env.ts";
import { anchor, makeBatch, revertOf, send, setupPlatform, type Platform, type Role } from "./support.ts";

// The token's ownership is packed (runs, a 4-bit flag per token, a per-word header, the custody
// invariant). This drives it with seeded random issues (to the custodian and to wallets, runs
// crossing flag words), transfers, approvals and redemptions, and compares every token's owner,
// lock and every balance with a plain model.
describe("EntitlementToken ownership against a model", () => {
  let platform: Platform;
  const seeds = testEnv.thorough ? [1, 2, 3, 4, 5, 6, 7, 8] : [20261125, 7];

  before(async () => {
    platform = await setupPlatform();
  });
  after(async () => {
    await platform?.stop();
  });

  for (const seed of seeds) {
    it(`agrees with the model (seed ${seed})`, async () => {
      const restore = await platform.snapshot();
      try {
        await runScenario(platform, seed);
      } catch (error) {
        console.error(`model test failed with seed ${seed}`);
        throw error;
      } finally {
        await restore();
      }
    });
  }
});

async function runScenario(platform: Platform, seed: number): Promise<void> {
  const random = seededRandom(seed);
  const token = { address: platform.contracts.entitlement, abi: entitlementTokenAbi };
  const holders: Role[] = ["custodian", "buyer", "reseller", "stranger"];
  const batch = makeBatch(platform, { shopId: 1n, batchId: BigInt(seed), size: 400 });
  await anchor(platform, batch);
  const unissued = Array.from({ length: 400 }, (_, i) => i);
  const owners: Role[] = []; // owners[id - 1]
  const locked: boolean[] = [];
  const pickIndex = (length: number) => Math.floor(random() * length);

  for (let step = 0; step < 40; step++) {
    const choice = random();
    if (choice < 0.25 && unissued.length > 0) {
      const count = Math.min(unissued.length, 1 + pickIndex(70));
      const leaves = Array.from({ length: count }, () => unissued.splice(pickIndex(unissued.length), 1)[0]!);
      const to: Role = random() < 0.7 ? "custodian" : holders[1 + pickIndex(3)]!;
      await send(platform, platform.wallet.operator, {
        ...token,
        functionName: "issue",
        args: issueArgs(buildIssueCall(batch.tree, leaves), platform.address[to]),
      });
      for (let i = 0; i < count; i++) {
        owners.push(to);
        locked.push(false);
      }
    } else if (owners.length === 0) {
    } else if (choice < 0.85) {
      const id = 1 + pickIndex(owners.length);
      const from = owners[id - 1]!;
      const to = holders[pickIndex(holders.length)]!;
      const viaApproval = random() < 0.3 && to !== from;
      const call = { ...token, functionName: "transferFrom", args: [platform.address[from], platform.address[to], BigInt(id)] };
      if (locked[id - 1]) {
        expect(await revertOf(platform, platform.wallet[from], call)).to.deep.equal({ errorName: "TokenLocked", args: [BigInt(id)] });
        continue;
      }
      if (viaApproval) {
        await send(platform, platform.wallet[from], { ...token, functionName: "approve", args: [platform.address[to], BigInt(id)] });
        await send(platform, platform.wallet[to], call);
      } else {
        await send(platform, platform.wallet[from], call);
      }
      owners[id - 1] = to;
    } else {
      const candidates = locked.map((isLocked, i) => (isLocked ? 0 : i + 1)).filter((id) => id > 0);
      const ids = [...new Set(Array.from({ length: Math.min(candidates.length, 1 + pickIndex(8)) }, () => candidates[pickIndex(candidates.length)]!))];
      if (ids.length === 0) continue;
      await send(platform, platform.wallet.operator, { ...token, functionName: "redeem", args: [ids.map(BigInt)] });
      for (const id of ids) locked[id - 1] = true;
    }
  }

  const read = (functionName: string, args: readonly unknown[]) =>
    platform.publicClient.readContract({ ...token, functionName, args } as never) as Promise<unknown>;
  const actualOwners = await Promise.all(owners.map((_, i) => read("ownerOf", [BigInt(i + 1)])));
  expect(actualOwners).to.deep.equal(owners.map((role) => platform.address[role]));
  const actualLocks = await Promise.all(locked.map((_, i) => read("locked", [BigInt(i + 1)])));
  expect(actualLocks).to.deep.equal(locked);
  for (const role of holders) {
    const expected = owners.filter((owner) => owner === role).length;
    expect(await read("balanceOf", [platform.address[role]])).to.equal(BigInt(expected), `balance of ${role}`);
  }
  // The custody check of custodial records agrees with the model too.
  for (let i = 0; i < owners.length; i++) {
    if (locked[i]) continue;
    const call = { ...token, functionName: "recordCustodialTransfers", args: [[BigInt(i + 1)], [keccak256(toBytes("s"))], [keccak256(toBytes("b"))]] };
    if (owners[i] === "custodian") {
      await platform.publicClient.simulateContract({ ...call, account: platform.wallet.operator.account } as never);
    } else {
      const owner: Address = platform.address[owners[i]!];
      expect(await revertOf(platform, platform.wallet.operator, call)).to.deep.equal({ errorName: "NotInCustody", args: [BigInt(i + 1), owner] });
    }
  }
}
