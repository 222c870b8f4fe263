import { expect } from "chai";
import { keccak256, maxUint256, parseEventLogs, toBytes, zeroAddress, type Address, type Hex } from "viem";
import { entitlementTokenAbi } from "../../core/chain/abis.ts";
import { buildIssueCall, issueArgs } from "../../api/chain/issuanceCall.ts";
import type { DeployWalletClient } from "../../api/chain/deploy.ts";
import { anchor, makeBatch, revertOf, send, usePlatformPerSuite, type Platform } from "./support.ts";

// Redemption, revocation, custodial resale records, withdrawals, wallet trading, royalties and
// metadata, on 120 tokens issued in two runs to the custodian (ids 1..60 and 61..120).
describe("EntitlementToken after issuance", () => {
  let platform: Platform;
  usePlatformPerSuite((started) => (platform = started));
  const holder = (name: string) => keccak256(toBytes(`holder:${name}`)) as Hex;
  const reason = keccak256(toBytes("refund #7")) as Hex;

  before(async () => {
    const batch = makeBatch(platform, { shopId: 9n, batchId: 90n, size: 120 });
    await anchor(platform, batch);
    for (const start of [0, 60]) {
      const call = buildIssueCall(
        batch.tree,
        Array.from({ length: 60 }, (_, i) => start + i),
      );
      await send(platform, platform.wallet.operator, { ...token(), functionName: "issue", args: issueArgs(call, platform.address.custodian) });
    }
  });

  const token = () => ({ address: platform.contracts.entitlement, abi: entitlementTokenAbi });
  const read = (functionName: string, args: readonly unknown[] = []) =>
    platform.publicClient.readContract({ ...token(), functionName, args } as never) as Promise<unknown>;
  const redeem = (ids: bigint[]) => ({ ...token(), functionName: "redeem", args: [ids] });
  const revoke = (ids: bigint[]) => ({ ...token(), functionName: "revoke", args: [ids, reason] });
  const record = (ids: bigint[]) => ({
    ...token(),
    functionName: "recordCustodialTransfers",
    args: [ids, ids.map((id) => holder(`seller-${id}`)), ids.map((id) => holder(`buyer-${id}`))],
  });
  const transfer = (from: Address, to: Address, id: bigint, functionName = "transferFrom") => ({ ...token(), functionName, args: [from, to, id] });
  const move = (wallet: DeployWalletClient, from: Address, to: Address, id: bigint) => send(platform, wallet, transfer(from, to, id));

  it("redeeming locks each token for good (ERC-5192) and emits Locked and EntitlementsRedeemed", async () => {
    const receipt = await send(platform, platform.wallet.operator, redeem([3n, 4n, 70n]));
    const locked = parseEventLogs({ abi: entitlementTokenAbi, logs: receipt.logs, eventName: "Locked" });
    expect(locked.map((log) => log.args.tokenId)).to.deep.equal([3n, 4n, 70n]);
    const [redeemed] = parseEventLogs({ abi: entitlementTokenAbi, logs: receipt.logs, eventName: "EntitlementsRedeemed" });
    expect(redeemed!.args.tokenIds).to.deep.equal([3n, 4n, 70n]);
    expect(await read("locked", [4n])).to.equal(true);
    expect(await read("locked", [5n])).to.equal(false);
    expect(await revertOf(platform, platform.wallet.operator, redeem([5n, 4n]))).to.deep.equal({ errorName: "AlreadyRedeemed", args: [4n] });
    expect(await revertOf(platform, platform.wallet.operator, redeem([8n, 8n]))).to.deep.equal({ errorName: "AlreadyRedeemed", args: [8n] });
    expect(await revertOf(platform, platform.wallet.operator, redeem([121n]))).to.deep.equal({ errorName: "ERC721NonexistentToken", args: [121n] });
    expect(await revertOf(platform, platform.wallet.operator, redeem([]))).to.deep.equal({ errorName: "EmptyList", args: [] });
    const tooMany = Array.from({ length: 513 }, (_, i) => BigInt(1 + (i % 120)));
    expect(await revertOf(platform, platform.wallet.operator, redeem(tooMany))).to.deep.equal({ errorName: "TooMany", args: [513n, 512n] });
    expect(await revertOf(platform, platform.wallet.stranger, { ...token(), functionName: "locked", args: [0n] })).to.deep.equal({
      errorName: "ERC721NonexistentToken",
      args: [0n],
    });
  });

  it("a redeemed token cannot move, even when its owner calls directly", async () => {
    await move(platform.wallet.custodian, platform.address.custodian, platform.address.buyer, 30n);
    await send(platform, platform.wallet.operator, redeem([30n, 31n]));
    for (const functionName of ["transferFrom", "safeTransferFrom"]) {
      expect(await revertOf(platform, platform.wallet.buyer, transfer(platform.address.buyer, platform.address.reseller, 30n, functionName))).to.deep.equal({
        errorName: "TokenLocked",
        args: [30n],
      });
    }
    expect(await revertOf(platform, platform.wallet.custodian, transfer(platform.address.custodian, platform.address.buyer, 31n))).to.deep.equal({
      errorName: "TokenLocked",
      args: [31n],
    });
    await send(platform, platform.wallet.buyer, { ...token(), functionName: "setApprovalForAll", args: [platform.address.reseller, true] });
    expect(await revertOf(platform, platform.wallet.reseller, transfer(platform.address.buyer, platform.address.reseller, 30n))).to.deep.equal({
      errorName: "TokenLocked",
      args: [30n],
    });
  });

  it("revoking locks the token, refuses transfers with TokenRevoked and records the reason", async () => {
    await send(platform, platform.wallet.operator, redeem([12n]));
    const receipt = await send(platform, platform.wallet.operator, revoke([11n, 12n]));
    // Token 12 was locked already, so only 11 changes locking status.
    expect(parseEventLogs({ abi: entitlementTokenAbi, logs: receipt.logs, eventName: "Locked" }).map((log) => log.args.tokenId)).to.deep.equal([11n]);
    const [revoked] = parseEventLogs({ abi: entitlementTokenAbi, logs: receipt.logs, eventName: "EntitlementsRevoked" });
    expect(revoked!.args).to.deep.equal({ tokenIds: [11n, 12n], reasonHash: reason });
    expect(await read("isRevoked", [11n])).to.equal(true);
    expect(await read("locked", [11n])).to.equal(true);
    expect(await revertOf(platform, platform.wallet.custodian, transfer(platform.address.custodian, platform.address.buyer, 11n))).to.deep.equal({
      errorName: "TokenRevoked",
      args: [11n],
    });
    expect(await revertOf(platform, platform.wallet.operator, redeem([11n]))).to.deep.equal({ errorName: "TokenRevoked", args: [11n] });
    expect(await revertOf(platform, platform.wallet.operator, revoke([12n]))).to.deep.equal({ errorName: "AlreadyRevoked", args: [12n] });
  });

  it("records custodial resales and refuses locked, revoked and withdrawn tokens", async () => {
    const receipt = await send(platform, platform.wallet.operator, record([1n, 59n, 60n, 61n, 120n]));
    const events = parseEventLogs({ abi: entitlementTokenAbi, logs: receipt.logs, eventName: "CustodialTransferRecorded" });
    expect(events.map((log) => log.args)).to.deep.equal(
      [1n, 59n, 60n, 61n, 120n].map((tokenId) => ({ tokenId, fromHolder: holder(`seller-${tokenId}`), toHolder: holder(`buyer-${tokenId}`) })),
    );
    await send(platform, platform.wallet.operator, redeem([20n]));
    await send(platform, platform.wallet.operator, revoke([21n]));
    await move(platform.wallet.custodian, platform.address.custodian, platform.address.buyer, 22n);
    expect(await revertOf(platform, platform.wallet.operator, record([19n, 20n]))).to.deep.equal({ errorName: "TokenLocked", args: [20n] });
    expect(await revertOf(platform, platform.wallet.operator, record([21n]))).to.deep.equal({ errorName: "TokenRevoked", args: [21n] });
    expect(await revertOf(platform, platform.wallet.operator, record([22n]))).to.deep.equal({ errorName: "NotInCustody", args: [22n, platform.address.buyer] });
    const mismatched = { ...record([1n, 2n]), args: [[1n, 2n], [holder("a")], [holder("b"), holder("c")]] };
    expect(await revertOf(platform, platform.wallet.operator, mismatched)).to.deep.equal({ errorName: "LengthMismatch", args: [2n, 1n] });
    // Deposited back, the token is in custody again.
    await move(platform.wallet.buyer, platform.address.buyer, platform.address.custodian, 22n);
    await send(platform, platform.wallet.operator, record([22n]));
  });

  it("withdraws from the middle of a run without disturbing its neighbours", async () => {
    const receipt = await move(platform.wallet.custodian, platform.address.custodian, platform.address.buyer, 90n);
    expect(receipt.gasUsed < 100_000n).to.equal(true, `withdrawal used ${receipt.gasUsed} gas`);
    expect(await read("ownerOf", [90n])).to.equal(platform.address.buyer);
    for (const id of [61n, 89n, 91n, 120n]) expect(await read("ownerOf", [id])).to.equal(platform.address.custodian);
    expect(await read("balanceOf", [platform.address.buyer])).to.equal(1n);
    expect(await read("balanceOf", [platform.address.custodian])).to.equal(119n);
    expect(await read("batchOf", [90n])).to.equal(90n);
  });

  it("follows ERC-721 ownership and approval rules for wallets", async () => {
    await move(platform.wallet.custodian, platform.address.custodian, platform.address.buyer, 40n);
    expect(await revertOf(platform, platform.wallet.stranger, transfer(platform.address.buyer, platform.address.stranger, 40n))).to.deep.equal({
      errorName: "ERC721InsufficientApproval",
      args: [platform.address.stranger, 40n],
    });
    expect(await revertOf(platform, platform.wallet.buyer, transfer(platform.address.custodian, platform.address.buyer, 40n))).to.deep.equal({
      errorName: "ERC721IncorrectOwner",
      args: [platform.address.custodian, 40n, platform.address.buyer],
    });
    expect(await revertOf(platform, platform.wallet.buyer, transfer(platform.address.buyer, zeroAddress, 40n))).to.deep.equal({
      errorName: "ERC721InvalidReceiver",
      args: [zeroAddress],
    });
    // A contract without onERC721Received cannot receive through safeTransferFrom.
    expect(
      await revertOf(platform, platform.wallet.buyer, transfer(platform.address.buyer, platform.contracts.registry, 40n, "safeTransferFrom")),
    ).to.deep.equal({ errorName: "ERC721InvalidReceiver", args: [platform.contracts.registry] });

    // A single-token approval is used once and cleared by the transfer.
    expect(await revertOf(platform, platform.wallet.stranger, { ...token(), functionName: "approve", args: [platform.address.stranger, 40n] })).to.deep.equal({
      errorName: "ERC721InvalidApprover",
      args: [platform.address.stranger],
    });
    await send(platform, platform.wallet.buyer, { ...token(), functionName: "approve", args: [platform.address.reseller, 40n] });
    expect(await read("getApproved", [40n])).to.equal(platform.address.reseller);
    await move(platform.wallet.reseller, platform.address.buyer, platform.address.reseller, 40n);
    expect(await read("getApproved", [40n])).to.equal(zeroAddress);
    expect(await read("ownerOf", [40n])).to.equal(platform.address.reseller);

    // An approval of a token still in its run (the custodian approving) works too.
    await send(platform, platform.wallet.custodian, { ...token(), functionName: "approve", args: [platform.address.operator, 41n] });
    expect(await read("ownerOf", [41n])).to.equal(platform.address.custodian);
    await move(platform.wallet.operator, platform.address.custodian, platform.address.buyer, 41n);
    expect(await read("ownerOf", [41n])).to.equal(platform.address.buyer);

    // An operator for all of the owner's tokens.
    await send(platform, platform.wallet.reseller, { ...token(), functionName: "setApprovalForAll", args: [platform.address.stranger, true] });
    expect(await read("isApprovedForAll", [platform.address.reseller, platform.address.stranger])).to.equal(true);
    await send(platform, platform.wallet.stranger, transfer(platform.address.reseller, platform.address.stranger, 40n, "safeTransferFrom"));
    expect(await read("ownerOf", [40n])).to.equal(platform.address.stranger);
    expect(await read("balanceOf", [platform.address.reseller])).to.equal(0n);
    expect(await revertOf(platform, platform.wallet.stranger, { ...token(), functionName: "balanceOf", args: [zeroAddress] })).to.deep.equal({
      errorName: "ERC721InvalidOwner",
      args: [zeroAddress],
    });
  });

  it("pays royalties per batch, else the default, and lets only the right roles set them", async () => {
    expect(await read("royaltyInfo", [5n, 10_000n])).to.deep.equal([zeroAddress, 0n]);
    await send(platform, platform.wallet.admin, { ...token(), functionName: "setDefaultRoyalty", args: [platform.address.treasury, 250n] });
    expect(await read("royaltyInfo", [5n, 10_000n])).to.deep.equal([platform.address.treasury, 250n]);
    const receipt = await send(platform, platform.wallet.operator, { ...token(), functionName: "setRoyalty", args: [90n, platform.address.reseller, 500n] });
    const [event] = parseEventLogs({ abi: entitlementTokenAbi, logs: receipt.logs, eventName: "RoyaltySet" });
    expect(event!.args).to.deep.equal({ batchId: 90n, receiver: platform.address.reseller, basisPoints: 500n });
    expect(await read("royaltyInfo", [5n, 10_000n])).to.deep.equal([platform.address.reseller, 500n]);
    // Regression (found by the Solidity fuzz suite): a batch royalty on the largest price overflowed
    // `price * fraction` and reverted; the answer is floor(price * 500 / 10000), computed here in bigint.
    expect(await read("royaltyInfo", [5n, maxUint256])).to.deep.equal([platform.address.reseller, (maxUint256 * 500n) / 10_000n]);
    expect(
      await revertOf(platform, platform.wallet.operator, { ...token(), functionName: "setRoyalty", args: [90n, platform.address.reseller, 10_001n] }),
    ).to.deep.equal({ errorName: "RoyaltyTooHigh", args: [10_001n, 10_000n] });
    expect(
      await revertOf(platform, platform.wallet.stranger, { ...token(), functionName: "setRoyalty", args: [90n, platform.address.stranger, 1n] }),
    ).to.deep.equal({ errorName: "AccessControlUnauthorizedAccount", args: [platform.address.stranger, keccak256(toBytes("OPERATOR_ROLE"))] });
    await send(platform, platform.wallet.operator, { ...token(), functionName: "setRoyalty", args: [90n, zeroAddress, 0n] });
    expect(await read("royaltyInfo", [5n, 10_000n])).to.deep.equal([platform.address.treasury, 250n]);
    expect(await revertOf(platform, platform.wallet.stranger, { ...token(), functionName: "royaltyInfo", args: [999n, 1n] })).to.deep.equal({
      errorName: "ERC721NonexistentToken",
      args: [999n],
    });
  });

  it("answers metadata and the interfaces it implements", async () => {
    expect(await read("name")).to.equal("Keyledger Entitlement");
    expect(await read("symbol")).to.equal("KLE");
    expect(await read("tokenURI", [7n])).to.equal("");
    await send(platform, platform.wallet.admin, { ...token(), functionName: "setBaseURI", args: ["https://keys.example/entitlements/"] });
    expect(await read("tokenURI", [7n])).to.equal("https://keys.example/entitlements/7");
    const supports = async (id: Hex) => read("supportsInterface", [id]);
    for (const id of ["0x01ffc9a7", "0x80ac58cd", "0x5b5e139f", "0xb45a3c0e", "0x2a55205a", "0x7965db0b"] as Hex[])
      expect(await supports(id)).to.equal(true, id);
    expect(await supports("0xffffffff")).to.equal(false);
    expect(await read("custodian")).to.equal(platform.address.custodian);
    expect(await read("registry")).to.equal(platform.contracts.registry);
  });

  it("stops redemption, revocation and custodial records while paused, but not holders' transfers", async () => {
    await move(platform.wallet.custodian, platform.address.custodian, platform.address.buyer, 50n);
    await send(platform, platform.wallet.admin, { ...token(), functionName: "pause", args: [] });
    for (const call of [redeem([1n]), revoke([1n]), record([1n])]) {
      expect(await revertOf(platform, platform.wallet.operator, call)).to.deep.equal({ errorName: "EnforcedPause", args: [] });
    }
    await move(platform.wallet.buyer, platform.address.buyer, platform.address.reseller, 50n);
    expect(await read("ownerOf", [50n])).to.equal(platform.address.reseller);
  });
});
