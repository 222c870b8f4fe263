import { expect } from "chai";
import { keccak256, parseEventLogs, toBytes, zeroHash, type Hex } from "viem";
import { ledgerAnchorAbi } from "../../core/chain/abis.ts";
import { revertOf, send, usePlatformPerSuite, type Platform } from "./support.ts";

describe("LedgerAnchor", () => {
  let platform: Platform;
  usePlatformPerSuite((started) => (platform = started));
  const rootOf = (label: string) => keccak256(toBytes(label)) as Hex;

  const anchorCall = (size: bigint, root: Hex) => ({
    address: platform.contracts.ledgerAnchor,
    abi: ledgerAnchorAbi,
    functionName: "anchor",
    args: [size, root],
  });
  const read = <T>(functionName: "latestAnchor" | "anchorAt" | "anchorCount", args: readonly unknown[] = []) =>
    platform.publicClient.readContract({ address: platform.contracts.ledgerAnchor, abi: ledgerAnchorAbi, functionName, args } as never) as Promise<T>;

  it("records strictly increasing sizes with their roots and indexes", async () => {
    expect(await revertOf(platform, platform.wallet.stranger, { ...anchorCall(0n, zeroHash), functionName: "latestAnchor", args: [] })).to.deep.equal({
      errorName: "NoAnchors",
      args: [],
    });
    const first = await send(platform, platform.wallet.anchorer, anchorCall(10n, rootOf("ten")));
    const second = await send(platform, platform.wallet.anchorer, anchorCall(25n, rootOf("twenty-five")));
    const events = [first, second].map((receipt) => parseEventLogs({ abi: ledgerAnchorAbi, logs: receipt.logs, eventName: "LedgerAnchored" })[0]!.args);
    expect(events).to.deep.equal([
      { size: 10n, root: rootOf("ten"), index: 0n },
      { size: 25n, root: rootOf("twenty-five"), index: 1n },
    ]);
    expect(await read("latestAnchor")).to.deep.equal([25n, rootOf("twenty-five"), 1n]);
    const [size, root, blockNumber] = await read<[bigint, Hex, bigint, bigint]>("anchorAt", [0n]);
    expect([size, root, blockNumber]).to.deep.equal([10n, rootOf("ten"), first.blockNumber]);
    expect(await read("anchorCount")).to.equal(2n);
  });

  it("refuses a size that does not increase, a zero root, and an index out of range", async () => {
    expect(await revertOf(platform, platform.wallet.anchorer, anchorCall(0n, rootOf("zero")))).to.deep.equal({
      errorName: "NonIncreasingSize",
      args: [0n, 0n],
    });
    await send(platform, platform.wallet.anchorer, anchorCall(7n, rootOf("seven")));
    expect(await revertOf(platform, platform.wallet.anchorer, anchorCall(7n, rootOf("again")))).to.deep.equal({
      errorName: "NonIncreasingSize",
      args: [7n, 7n],
    });
    expect(await revertOf(platform, platform.wallet.anchorer, anchorCall(6n, rootOf("less")))).to.deep.equal({
      errorName: "NonIncreasingSize",
      args: [7n, 6n],
    });
    expect(await revertOf(platform, platform.wallet.anchorer, anchorCall(8n, zeroHash))).to.deep.equal({ errorName: "ZeroRoot", args: [] });
    expect(await revertOf(platform, platform.wallet.stranger, { ...anchorCall(0n, zeroHash), functionName: "anchorAt", args: [1n] })).to.deep.equal({
      errorName: "AnchorIndexOutOfRange",
      args: [1n, 1n],
    });
  });

  it("lets only the anchor role anchor", async () => {
    expect(await revertOf(platform, platform.wallet.operator, anchorCall(1n, rootOf("one")))).to.deep.equal({
      errorName: "AccessControlUnauthorizedAccount",
      args: [platform.address.operator, keccak256(toBytes("ANCHOR_ROLE"))],
    });
  });
});
