import { expect } from "chai";
import { keccak256, parseEventLogs, toBytes, zeroAddress, type Hex } from "viem";
import { entitlementTokenAbi, keyRegistryAbi } from "../../core/chain/abis.ts";
import { buildIssueCall, issueArgs, type IssueCall } from "../../api/chain/issuanceCall.ts";
import { anchor, makeBatch, revertOf, send, usePlatformPerSuite, type Batch, type Platform } from "./support.ts";

/** The event's expected leafIndexes, written out by hand: eight hex digits (a big-endian uint32) per token. */
function packedLeafIndexes(leafIndexes: readonly number[]): Hex {
  return `0x${leafIndexes.map((leafIndex) => leafIndex.toString(16).padStart(8, "0")).join("")}`;
}

describe("EntitlementToken issuance", () => {
  let platform: Platform;
  usePlatformPerSuite((started) => (platform = started));
  let batch: Batch;

  before(async () => {
    batch = makeBatch(platform, { shopId: 4n, batchId: 40n, size: 300 });
    await anchor(platform, batch);
  });

  const token = () => ({ address: platform.contracts.entitlement, abi: entitlementTokenAbi });
  const issueWith = (call: IssueCall, to = platform.address.custodian) => ({ ...token(), functionName: "issue", args: issueArgs(call, to) });
  const read = (functionName: string, args: readonly unknown[]) =>
    platform.publicClient.readContract({ ...token(), functionName, args } as never) as Promise<unknown>;

  it("mints one consecutive run to the custodian and maps every token to its leaf in the event", async () => {
    const call = buildIssueCall(batch.tree, [5, 6, 7, 8, 9]);
    const receipt = await send(platform, platform.wallet.operator, issueWith(call));
    const [issued] = parseEventLogs({ abi: entitlementTokenAbi, logs: receipt.logs, eventName: "EntitlementsIssued" });
    expect(issued!.args.batchId).to.equal(40n);
    expect(issued!.args.firstTokenId).to.equal(1n);
    expect(issued!.args.count).to.equal(5n);
    expect(issued!.args.leafIndexes).to.equal(packedLeafIndexes([5, 6, 7, 8, 9]));
    const transfers = parseEventLogs({ abi: entitlementTokenAbi, logs: receipt.logs, eventName: "Transfer" });
    expect(transfers.map((log) => [log.args.from, log.args.to, log.args.tokenId])).to.deep.equal(
      [1n, 2n, 3n, 4n, 5n].map((id) => [zeroAddress, platform.address.custodian, id]),
    );
    for (const id of [1n, 3n, 5n]) {
      expect(await read("ownerOf", [id])).to.equal(platform.address.custodian);
      expect(await read("batchOf", [id])).to.equal(40n);
    }
    expect(await read("balanceOf", [platform.address.custodian])).to.equal(5n);
    expect(await read("isIssued", [40n, 7])).to.equal(true);
    expect(await read("isIssued", [40n, 10])).to.equal(false);
    expect(await read("totalSupply", [])).to.equal(5n);
    expect(await revertOf(platform, platform.wallet.stranger, { ...token(), functionName: "ownerOf", args: [6n] })).to.deep.equal({
      errorName: "ERC721NonexistentToken",
      args: [6n],
    });
  });

  it("issues scattered leaves with one multiproof, in the multiproof's order", async () => {
    const wanted = [299, 3, 150, 151, 77, 200, 42, 1, 250];
    const call = buildIssueCall(batch.tree, wanted);
    expect([...call.leafIndexes].sort((a, b) => a - b)).to.deep.equal([...wanted].sort((a, b) => a - b));
    const receipt = await send(platform, platform.wallet.operator, issueWith(call));
    const [issued] = parseEventLogs({ abi: entitlementTokenAbi, logs: receipt.logs, eventName: "EntitlementsIssued" });
    expect(issued!.args.leafIndexes).to.equal(packedLeafIndexes(call.leafIndexes));
    for (const leafIndex of wanted) expect(await read("isIssued", [40n, leafIndex])).to.equal(true);
  });

  it("refuses a leaf issued before with LeafAlreadyIssued(batchId, leafIndex)", async () => {
    await send(platform, platform.wallet.operator, issueWith(buildIssueCall(batch.tree, [10, 11, 12])));
    const again = await revertOf(platform, platform.wallet.operator, issueWith(buildIssueCall(batch.tree, [13, 12])));
    expect(again).to.deep.equal({ errorName: "LeafAlreadyIssued", args: [40n, 12] });
  });

  it("refuses a leaf that is not in the anchored root with InvalidProof(batchId)", async () => {
    const call = buildIssueCall(batch.tree, [20, 21]);
    const forged = { ...call, commitments: [call.commitments[0]!, keccak256(toBytes("a key never imported"))] };
    expect(await revertOf(platform, platform.wallet.operator, issueWith(forged))).to.deep.equal({ errorName: "InvalidProof", args: [40n] });
    const shifted = { ...call, leafIndexes: [call.leafIndexes[0]!, 22] };
    expect(await revertOf(platform, platform.wallet.operator, issueWith(shifted))).to.deep.equal({ errorName: "InvalidProof", args: [40n] });
    const badFlags = { ...call, proofFlags: [...call.proofFlags, 0n] };
    expect(await revertOf(platform, platform.wallet.operator, issueWith(badFlags))).to.deep.equal({ errorName: "InvalidProof", args: [40n] });
    const extraProof = { ...call, proof: [...call.proof, keccak256(toBytes("unused"))] };
    expect(await revertOf(platform, platform.wallet.operator, issueWith(extraProof))).to.deep.equal({ errorName: "InvalidProof", args: [40n] });
  });

  it("refuses multiproofs whose flags take hashes not computed yet or run past the proof", async () => {
    const call = buildIssueCall(batch.tree, [100, 101, 102, 150]);
    const flagCount = call.leafIndexes.length + call.proof.length - 1;
    const allOnes = (1n << BigInt(flagCount)) - 1n;
    for (const proofFlags of [[allOnes], [0n], [call.proofFlags[0]! ^ 1n], [call.proofFlags[0]! | (1n << BigInt(flagCount))]]) {
      expect(await revertOf(platform, platform.wallet.operator, issueWith({ ...call, proofFlags }))).to.deep.equal({ errorName: "InvalidProof", args: [40n] });
    }
    // One leaf and one proof hash flagged as "take from the queue": the queue is empty then.
    const single = buildIssueCall(batch.tree, [120]);
    const queueOnly = { ...single, proof: single.proof.slice(0, 1), proofFlags: [1n] };
    expect(await revertOf(platform, platform.wallet.operator, issueWith(queueOnly))).to.deep.equal({ errorName: "InvalidProof", args: [40n] });
    await send(platform, platform.wallet.operator, issueWith(call));
  });

  it("refuses a batch that was never anchored with BatchNotAnchored(batchId)", async () => {
    const other = makeBatch(platform, { shopId: 4n, batchId: 41n, size: 4 });
    expect(await revertOf(platform, platform.wallet.operator, issueWith(buildIssueCall(other.tree, [0])))).to.deep.equal({
      errorName: "BatchNotAnchored",
      args: [41n],
    });
  });

  it("refuses leaves made for another chain, registry, shop or batch", async () => {
    const otherChain = makeBatch(platform, { shopId: 4n, batchId: 50n, size: 4, chainId: 1n });
    await anchor(platform, otherChain);
    expect(await revertOf(platform, platform.wallet.operator, issueWith(buildIssueCall(otherChain.tree, [0, 1])))).to.deep.equal({
      errorName: "InvalidProof",
      args: [50n],
    });

    const otherRegistry = makeBatch(platform, { shopId: 4n, batchId: 51n, size: 4, registry: platform.contracts.payment });
    await anchor(platform, otherRegistry);
    expect(await revertOf(platform, platform.wallet.operator, issueWith(buildIssueCall(otherRegistry.tree, [0])))).to.deep.equal({
      errorName: "InvalidProof",
      args: [51n],
    });

    // A proof for shop 4 presented as shop 5 of the same batch.
    const asOtherShop = { ...buildIssueCall(batch.tree, [30]), shopId: 5n };
    expect(await revertOf(platform, platform.wallet.operator, issueWith(asOtherShop))).to.deep.equal({ errorName: "InvalidProof", args: [40n] });

    // Leaves of batch 52 anchored under batch id 53: their leaves name batch 52, so neither id works.
    const misfiled = makeBatch(platform, { shopId: 4n, batchId: 52n, size: 4 });
    await anchor(platform, misfiled, 53n);
    const call = buildIssueCall(misfiled.tree, [0]);
    expect(await revertOf(platform, platform.wallet.operator, issueWith({ ...call, batchId: 53n }))).to.deep.equal({ errorName: "InvalidProof", args: [53n] });
    expect(await revertOf(platform, platform.wallet.operator, issueWith(call))).to.deep.equal({ errorName: "BatchNotAnchored", args: [52n] });
  });

  it("lets only an operator issue, and stops issuance while the token or the registry is paused", async () => {
    const call = buildIssueCall(batch.tree, [60]);
    expect(await revertOf(platform, platform.wallet.issuer, issueWith(call))).to.deep.equal({
      errorName: "AccessControlUnauthorizedAccount",
      args: [platform.address.issuer, keccak256(toBytes("OPERATOR_ROLE"))],
    });
    await send(platform, platform.wallet.admin, { ...token(), functionName: "pause", args: [] });
    expect(await revertOf(platform, platform.wallet.operator, issueWith(call))).to.deep.equal({ errorName: "EnforcedPause", args: [] });
    await send(platform, platform.wallet.admin, { ...token(), functionName: "unpause", args: [] });

    await send(platform, platform.wallet.admin, { address: platform.contracts.registry, abi: keyRegistryAbi, functionName: "pause", args: [] });
    expect(await revertOf(platform, platform.wallet.operator, issueWith(call))).to.deep.equal({ errorName: "EnforcedPause", args: [] });
    await send(platform, platform.wallet.admin, { address: platform.contracts.registry, abi: keyRegistryAbi, functionName: "unpause", args: [] });
    await send(platform, platform.wallet.operator, issueWith(call));
    expect(await read("isIssued", [40n, 60])).to.equal(true);
  });

  it("refuses malformed calls: no leaves, mismatched lists, the zero receiver", async () => {
    const call = buildIssueCall(batch.tree, [70, 71]);
    expect(await revertOf(platform, platform.wallet.operator, issueWith({ ...call, leafIndexes: [], commitments: [] }))).to.deep.equal({
      errorName: "EmptyList",
      args: [],
    });
    expect(await revertOf(platform, platform.wallet.operator, issueWith({ ...call, commitments: call.commitments.slice(1) }))).to.deep.equal({
      errorName: "LengthMismatch",
      args: [2n, 1n],
    });
    expect(await revertOf(platform, platform.wallet.operator, issueWith(call, zeroAddress))).to.deep.equal({
      errorName: "ERC721InvalidReceiver",
      args: [zeroAddress],
    });
    const tooMany = { ...call, leafIndexes: Array.from({ length: 513 }, (_, i) => i), commitments: Array.from({ length: 513 }, () => call.commitments[0]!) };
    expect(await revertOf(platform, platform.wallet.operator, issueWith(tooMany))).to.deep.equal({ errorName: "TooMany", args: [513n, 512n] });
  });

  it("issued to a wallet, the tokens belong to it and are not in custody", async () => {
    const receipt = await send(platform, platform.wallet.operator, issueWith(buildIssueCall(batch.tree, [80, 81, 82]), platform.address.buyer));
    const [issued] = parseEventLogs({ abi: entitlementTokenAbi, logs: receipt.logs, eventName: "EntitlementsIssued" });
    const first = issued!.args.firstTokenId;
    expect(await read("ownerOf", [first + 1n])).to.equal(platform.address.buyer);
    expect(await read("balanceOf", [platform.address.buyer])).to.equal(3n);
    const record = { ...token(), functionName: "recordCustodialTransfers", args: [[first], [keccak256(toBytes("a"))], [keccak256(toBytes("b"))]] };
    expect(await revertOf(platform, platform.wallet.operator, record)).to.deep.equal({ errorName: "NotInCustody", args: [first, platform.address.buyer] });
    // The wallet can move its token like any ERC-721.
    await send(platform, platform.wallet.buyer, {
      ...token(),
      functionName: "transferFrom",
      args: [platform.address.buyer, platform.address.reseller, first + 2n],
    });
    expect(await read("ownerOf", [first + 2n])).to.equal(platform.address.reseller);
    expect(await read("ownerOf", [first])).to.equal(platform.address.buyer);
  });
});
