import { expect } from "chai";
import { keccak256, toBytes, type Hex } from "viem";
import { entitlementTokenAbi } from "../../core/chain/abis.ts";
import { buildIssueCall, issueArgs } from "../../api/chain/issuanceCall.ts";
import { anchor, makeBatch, send, setupPlatform, type Platform } from "./support.ts";

// Guards the gas goals (docs/contracts.md) against regressions on a small scale; the full
// figures come from `npm run bench:gas`. Bounds are the goals, per entitlement, whole transactions.
describe("EntitlementToken gas goals", () => {
  let platform: Platform;

  before(async () => {
    platform = await setupPlatform();
  });
  after(async () => {
    await platform?.stop();
  });

  it("stays within the goals for issue, redeem, custodial records and withdrawal", async () => {
    const token = { address: platform.contracts.entitlement, abi: entitlementTokenAbi };
    const batch = makeBatch(platform, { shopId: 1n, batchId: 1n, size: 1_000 });
    const anchored = await anchor(platform, batch);
    expect(Number(anchored.gasUsed) / 1_000).to.be.at.most(50);

    let issueGas = 0n;
    for (const start of [0, 100, 200]) {
      const call = buildIssueCall(
        batch.tree,
        Array.from({ length: 100 }, (_, i) => start + i),
      );
      issueGas += (await send(platform, platform.wallet.operator, { ...token, functionName: "issue", args: issueArgs(call, platform.address.custodian) }))
        .gasUsed;
    }
    expect(Number(issueGas) / 300).to.be.at.most(6_000);

    const scattered = Array.from({ length: 100 }, (_, i) => 300 + ((i * 337) % 700));
    const random = await send(platform, platform.wallet.operator, {
      ...token,
      functionName: "issue",
      args: issueArgs(buildIssueCall(batch.tree, scattered), platform.address.custodian),
    });
    expect(Number(random.gasUsed) / 100).to.be.at.most(11_000);

    const redeemed = await send(platform, platform.wallet.operator, {
      ...token,
      functionName: "redeem",
      args: [Array.from({ length: 100 }, (_, i) => BigInt(i + 1))],
    });
    expect(Number(redeemed.gasUsed) / 100).to.be.at.most(3_000);

    const resold = Array.from({ length: 50 }, (_, i) => BigInt(101 + i * 5));
    const holder = (label: string) => keccak256(toBytes(label)) as Hex;
    const records = await send(platform, platform.wallet.operator, {
      ...token,
      functionName: "recordCustodialTransfers",
      args: [resold, resold.map((id) => holder(`from-${id}`)), resold.map((id) => holder(`to-${id}`))],
    });
    expect(Number(records.gasUsed) / 50).to.be.at.most(5_000);

    const withdrawal = await send(platform, platform.wallet.custodian, {
      ...token,
      functionName: "transferFrom",
      args: [platform.address.custodian, platform.address.buyer, 250n],
    });
    expect(Number(withdrawal.gasUsed)).to.be.below(100_000);
  });
});
