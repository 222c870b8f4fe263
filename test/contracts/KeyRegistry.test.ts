import { expect } from "chai";
import { keccak256, parseEventLogs, toBytes, zeroHash, type Hex } from "viem";
import { keyRegistryAbi } from "../../core/chain/abis.ts";
import { anchor, makeBatch, revertOf, send, usePlatformPerSuite, type Platform } from "./support.ts";

describe("KeyRegistry", () => {
  let platform: Platform;
  usePlatformPerSuite((started) => (platform = started));
  const issuerRole = keccak256(toBytes("ISSUER_ROLE"));
  const root = keccak256(toBytes("a batch root")) as Hex;

  const anchorCall = (batchId: bigint, rootValue: Hex, keyCount: number) => ({
    address: platform.contracts.registry,
    abi: keyRegistryAbi,
    functionName: "anchorBatch",
    args: [batchId, 3n, rootValue, keyCount],
  });

  it("stores the root and emits BatchAnchored with the shop, count and issuer", async () => {
    const batch = makeBatch(platform, { shopId: 3n, batchId: 11n, size: 8 });
    const receipt = await anchor(platform, batch);
    const [event] = parseEventLogs({ abi: keyRegistryAbi, logs: receipt.logs, eventName: "BatchAnchored" });
    expect(event!.args).to.deep.equal({
      batchId: 11n,
      shopId: 3n,
      root: batch.tree.root,
      keyCount: 8,
      issuer: platform.address.issuer,
    });
    const stored = await platform.publicClient.readContract({ address: platform.contracts.registry, abi: keyRegistryAbi, functionName: "rootOf", args: [11n] });
    expect(stored).to.equal(batch.tree.root);
    expect(
      await platform.publicClient.readContract({ address: platform.contracts.registry, abi: keyRegistryAbi, functionName: "rootOf", args: [12n] }),
    ).to.equal(zeroHash);
  });

  it("lets only an issuer anchor", async () => {
    const failure = await revertOf(platform, platform.wallet.operator, anchorCall(1n, root, 10));
    expect(failure).to.deep.equal({ errorName: "AccessControlUnauthorizedAccount", args: [platform.address.operator, issuerRole] });
  });

  it("refuses a zero root, a zero key count and a batch anchored before", async () => {
    expect(await revertOf(platform, platform.wallet.issuer, anchorCall(1n, zeroHash, 10))).to.deep.equal({ errorName: "ZeroRoot", args: [1n] });
    expect(await revertOf(platform, platform.wallet.issuer, anchorCall(1n, root, 0))).to.deep.equal({ errorName: "ZeroKeyCount", args: [1n] });
    await send(platform, platform.wallet.issuer, anchorCall(1n, root, 10));
    const other = keccak256(toBytes("another root"));
    expect(await revertOf(platform, platform.wallet.issuer, anchorCall(1n, other, 10))).to.deep.equal({ errorName: "BatchAlreadyAnchored", args: [1n] });
  });

  it("while paused refuses roots for issuance but still answers rootOf; only the admin pauses", async () => {
    await send(platform, platform.wallet.issuer, anchorCall(5n, root, 10));
    const pause = { address: platform.contracts.registry, abi: keyRegistryAbi, functionName: "pause", args: [] };
    expect(await revertOf(platform, platform.wallet.issuer, pause)).to.deep.equal({
      errorName: "AccessControlUnauthorizedAccount",
      args: [platform.address.issuer, zeroHash],
    });
    await send(platform, platform.wallet.admin, pause);
    const forIssuance = { address: platform.contracts.registry, abi: keyRegistryAbi, functionName: "rootForIssuance", args: [5n] };
    expect(await revertOf(platform, platform.wallet.stranger, forIssuance)).to.deep.equal({ errorName: "EnforcedPause", args: [] });
    expect(
      await platform.publicClient.readContract({ address: platform.contracts.registry, abi: keyRegistryAbi, functionName: "rootOf", args: [5n] }),
    ).to.equal(root);
    await send(platform, platform.wallet.admin, { ...pause, functionName: "unpause" });
    expect(
      await platform.publicClient.readContract({ address: platform.contracts.registry, abi: keyRegistryAbi, functionName: "rootForIssuance", args: [5n] }),
    ).to.equal(root);
  });
});
