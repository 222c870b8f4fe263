import { expect } from "chai";
import { createTestClient, http, keccak256, parseEventLogs, toBytes, zeroAddress, type Address, type Hex } from "viem";
import { hardhat } from "viem/chains";
import { entitlementTokenAbi } from "../../core/chain/abis.ts";
import { buildIssueCall, issueArgs } from "../../api/chain/issuanceCall.ts";
import { anchor, makeBatch, revertOf, send, usePlatformPerSuite, type Platform } from "./support.ts";

// ERC-4907 rentals and per-token expiries on 60 tokens issued to the custodian (ids 1..60):
// a rental's whole life (the renter is the user, the owner is refused everything, the right ends
// when chain time passes the expiry with no transaction, then the owner acts again), every
// refusal, and subscription expiries extended 100... here 40 at a time.
describe("EntitlementToken rentals (ERC-4907) and expiries", () => {
  let platform: Platform;
  usePlatformPerSuite((started) => (platform = started));
  const day = 86_400n;

  before(async () => {
    const batch = makeBatch(platform, { shopId: 4n, batchId: 40n, size: 60 });
    await anchor(platform, batch);
    const call = buildIssueCall(
      batch.tree,
      Array.from({ length: 60 }, (_, i) => i),
    );
    await send(platform, platform.wallet.operator, { ...token(), functionName: "issue", args: issueArgs(call, platform.address.custodian) });
  });

  const token = () => ({ address: platform.contracts.entitlement, abi: entitlementTokenAbi });
  const read = (functionName: string, args: readonly unknown[] = []) =>
    platform.publicClient.readContract({ ...token(), functionName, args } as never) as Promise<unknown>;
  const call = (functionName: string, args: readonly unknown[]) => ({ ...token(), functionName, args });
  const now = async () => (await platform.publicClient.getBlock()).timestamp;
  /** Mines a block at exactly `timestamp`, so reads (and the next transactions) see that time. */
  const advanceTo = async (timestamp: bigint) => {
    const testClient = createTestClient({ chain: hardhat, transport: http(platform.chain.rpcUrl), mode: "hardhat" });
    await testClient.setNextBlockTimestamp({ timestamp });
    await testClient.mine({ blocks: 1 });
  };
  const holder = (name: string) => keccak256(toBytes(`holder:${name}`)) as Hex;
  const renter = () => platform.address.buyer;

  it("declares ERC-4907 (0xad092b5c) besides its other interfaces", async () => {
    expect(await read("supportsInterface", ["0xad092b5c"])).to.equal(true);
    expect(await read("supportsInterface", ["0xb45a3c0e"])).to.equal(true);
    expect(await read("supportsInterface", ["0xffffffff"])).to.equal(false);
  });

  it("a rental: the renter is the user, the owner is refused, and at expiry the right ends without a transaction", async () => {
    await send(platform, platform.wallet.operator, call("enableRental", [[5n, 6n]]));
    expect(await read("isRentable", [5n])).to.equal(true);
    expect(await read("isRevoked", [5n]), "the RENTABLE code is not a revocation").to.equal(false);
    expect(await read("userExpires", [5n])).to.equal(0n);
    const expires = (await now()) + 3n * day;
    const receipt = await send(platform, platform.wallet.operator, call("setUser", [5n, renter(), expires]));
    const [update] = parseEventLogs({ abi: entitlementTokenAbi, logs: receipt.logs, eventName: "UpdateUser" });
    expect(update!.args).to.deep.equal({ tokenId: 5n, user: renter(), expires });
    expect(await read("userOf", [5n])).to.equal(renter());
    expect(await read("userExpires", [5n])).to.equal(expires);
    expect(await read("ownerOf", [5n]), "renting leaves the owner as it was").to.equal(platform.address.custodian);

    // The owner (the custodian, or the operator acting for it) is refused everything while it runs.
    const rented = { errorName: "TokenRented", args: [5n, renter(), expires] };
    expect(await revertOf(platform, platform.wallet.operator, call("redeem", [[5n]]))).to.deep.equal(rented);
    expect(await revertOf(platform, platform.wallet.operator, call("recordCustodialTransfers", [[5n], [holder("a")], [holder("b")]]))).to.deep.equal(rented);
    expect(
      await revertOf(platform, platform.wallet.custodian, call("transferFrom", [platform.address.custodian, platform.address.reseller, 5n])),
    ).to.deep.equal(rented);
    // Nobody can rent it again, shorten it or hand it to someone else before it ends.
    expect(await revertOf(platform, platform.wallet.operator, call("setUser", [5n, platform.address.stranger, expires + day]))).to.deep.equal(rented);
    expect(await revertOf(platform, platform.wallet.custodian, call("setUser", [5n, renter(), expires - day]))).to.deep.equal(rented);
    // The other rentable token is untouched.
    expect(await read("userOf", [6n])).to.equal(zeroAddress);

    // One second before the expiry the renter still holds it; at the expiry it is over, with no transaction.
    await advanceTo(expires - 1n);
    expect(await read("userOf", [5n])).to.equal(renter());
    await advanceTo(expires);
    expect(await now()).to.equal(expires);
    const blockBefore = await platform.publicClient.getBlockNumber();
    expect(await read("userOf", [5n])).to.equal(zeroAddress);
    expect(await read("userExpires", [5n]), "the past expiry stays readable").to.equal(expires);
    expect(await platform.publicClient.getBlockNumber()).to.equal(blockBefore);

    // The owner may act again: a custodial resale record, then the reveal (redeem), which ends renting for good.
    await send(platform, platform.wallet.operator, call("recordCustodialTransfers", [[5n], [holder("a")], [holder("b")]]));
    await send(platform, platform.wallet.operator, call("redeem", [[5n]]));
    expect(await read("locked", [5n])).to.equal(true);
    expect(await read("isRevoked", [5n]), "a redeemed rentable token is redeemed, not revoked").to.equal(false);
    expect(await read("isRentable", [5n])).to.equal(false);
    expect(await read("userExpires", [5n])).to.equal(0n);
    expect(await revertOf(platform, platform.wallet.operator, call("setUser", [5n, renter(), (await now()) + day]))).to.deep.equal({
      errorName: "TokenLocked",
      args: [5n],
    });
  });

  it("an expired rental frees the token for a wallet withdrawal, and the wallet owner may rent it out itself", async () => {
    await send(platform, platform.wallet.operator, call("enableRental", [[7n]]));
    const expires = (await now()) + day;
    await send(platform, platform.wallet.operator, call("setUser", [7n, renter(), expires]));
    await advanceTo(expires);
    await send(platform, platform.wallet.custodian, call("transferFrom", [platform.address.custodian, platform.address.reseller, 7n]));
    expect(await read("ownerOf", [7n])).to.equal(platform.address.reseller);
    // Now in a wallet: the operator's custody power is gone, the owner's ERC-4907 right is there.
    const later = (await now()) + 2n * day;
    expect(await revertOf(platform, platform.wallet.operator, call("setUser", [7n, renter(), later]))).to.deep.equal({
      errorName: "ERC721InsufficientApproval",
      args: [platform.address.operator, 7n],
    });
    await send(platform, platform.wallet.reseller, call("setUser", [7n, platform.address.stranger, later]));
    expect(await read("userOf", [7n])).to.equal(platform.address.stranger);
    expect(await revertOf(platform, platform.wallet.reseller, call("transferFrom", [platform.address.reseller, platform.address.buyer, 7n]))).to.deep.equal({
      errorName: "TokenRented",
      args: [7n, platform.address.stranger, later],
    });
  });

  it("refuses to rent a token that is not rentable, redeemed, revoked, unknown, or with a bad user or expiry; nothing is written", async () => {
    const reason = keccak256(toBytes("refund")) as Hex;
    await send(platform, platform.wallet.operator, call("enableRental", [[10n, 11n, 12n]]));
    await send(platform, platform.wallet.operator, call("redeem", [[11n]]));
    await send(platform, platform.wallet.operator, call("revoke", [[12n], reason]));
    expect(await read("isRevoked", [12n])).to.equal(true);
    const expires = (await now()) + day;
    const attempt = (id: bigint, user: Address = renter(), until: bigint = expires) =>
      revertOf(platform, platform.wallet.operator, call("setUser", [id, user, until]));
    expect(await attempt(9n)).to.deep.equal({ errorName: "NotRentable", args: [9n] });
    expect(await attempt(11n)).to.deep.equal({ errorName: "TokenLocked", args: [11n] });
    expect(await attempt(12n)).to.deep.equal({ errorName: "TokenRevoked", args: [12n] });
    expect(await attempt(61n)).to.deep.equal({ errorName: "ERC721NonexistentToken", args: [61n] });
    expect(await attempt(10n, zeroAddress)).to.deep.equal({ errorName: "ZeroAddress", args: [] });
    const past = (await now()) - 1n;
    expect(await attempt(10n, renter(), past)).to.deep.equal({ errorName: "InvalidUserExpiry", args: [past] });
    expect(await attempt(10n, renter(), 2n ** 32n)).to.deep.equal({ errorName: "InvalidUserExpiry", args: [2n ** 32n] });
    expect(await revertOf(platform, platform.wallet.stranger, call("setUser", [10n, renter(), expires]))).to.deep.equal({
      errorName: "ERC721InsufficientApproval",
      args: [platform.address.stranger, 10n],
    });
    // Enabling twice, or enabling a redeemed one, is refused; so is a stranger's enable.
    expect(await revertOf(platform, platform.wallet.operator, call("enableRental", [[10n]]))).to.deep.equal({ errorName: "NotRentable", args: [10n] });
    expect(await revertOf(platform, platform.wallet.operator, call("enableRental", [[11n]]))).to.deep.equal({ errorName: "TokenLocked", args: [11n] });
    expect((await revertOf(platform, platform.wallet.stranger, call("enableRental", [[13n]]))).errorName).to.equal("AccessControlUnauthorizedAccount");
    // A batch with one bad token writes nothing.
    expect(await revertOf(platform, platform.wallet.operator, call("setUsers", [[10n, 9n], renter(), expires]))).to.deep.equal({
      errorName: "NotRentable",
      args: [9n],
    });
    expect(await read("userOf", [10n])).to.equal(zeroAddress);
    // Revoking a rented token is the platform's power (a bad key, a refund): the user's right ends with it.
    await send(platform, platform.wallet.operator, call("setUser", [10n, renter(), expires]));
    await send(platform, platform.wallet.operator, call("revoke", [[10n], reason]));
    expect(await read("userOf", [10n])).to.equal(zeroAddress);
    expect(await read("isRevoked", [10n])).to.equal(true);
  });

  it("sets one user for a batch in one call; the operator's custody power stops while paused", async () => {
    const ids = [20n, 21n, 22n, 30n];
    await send(platform, platform.wallet.operator, call("enableRental", [ids]));
    const expires = (await now()) + 2n * day;
    const receipt = await send(platform, platform.wallet.operator, call("setUsers", [ids, renter(), expires]));
    const updates = parseEventLogs({ abi: entitlementTokenAbi, logs: receipt.logs, eventName: "UpdateUser" });
    expect(updates.map((log) => log.args.tokenId)).to.deep.equal(ids);
    for (const id of ids) expect(await read("userOf", [id])).to.equal(renter());
    // Neighbours sharing the cell words are untouched.
    for (const id of [19n, 23n, 31n]) expect(await read("userExpires", [id])).to.equal(0n);
    await send(platform, platform.wallet.operator, call("enableRental", [[23n]]));
    await send(platform, platform.wallet.admin, call("pause", []));
    expect(await revertOf(platform, platform.wallet.operator, call("setUser", [23n, renter(), expires]))).to.deep.equal({
      errorName: "EnforcedPause",
      args: [],
    });
    // The custodian's own right as owner is not the platform's power: it still works.
    await send(platform, platform.wallet.custodian, call("setUser", [23n, renter(), expires]));
  });

  it("per-token expiries: set once, extended for many tokens in one call, expired at the time with no transaction", async () => {
    const ids = Array.from({ length: 40 }, (_, i) => BigInt(i + 15));
    const start = (await now()) + 10n;
    await send(platform, platform.wallet.operator, call("setExpiries", [ids, start + 30n * day]));
    const receipt = await send(platform, platform.wallet.operator, call("extendExpiries", [ids, 30n * day]));
    const [extended] = parseEventLogs({ abi: entitlementTokenAbi, logs: receipt.logs, eventName: "ExpiriesExtended" });
    expect(extended!.args).to.deep.equal({ tokenIds: ids, by: 30n * day });
    for (const id of [15n, 16n, 23n, 24n, 54n]) expect(await read("expiryOf", [id])).to.equal(start + 60n * day);
    expect(await read("expiryOf", [14n]), "a neighbour without expiry never expires").to.equal(0n);
    expect(await read("expiryOf", [55n])).to.equal(0n);
    expect(await revertOf(platform, platform.wallet.operator, call("extendExpiries", [[14n], day]))).to.deep.equal({ errorName: "NoExpiry", args: [14n] });
    expect(await revertOf(platform, platform.wallet.operator, call("setExpiries", [[15n], start + day]))).to.deep.equal({
      errorName: "ExpiryAlreadySet",
      args: [15n],
    });
    expect(await revertOf(platform, platform.wallet.operator, call("extendExpiries", [[15n], 0n]))).to.deep.equal({ errorName: "InvalidExpiry", args: [0n] });
    expect(await revertOf(platform, platform.wallet.operator, call("extendExpiries", [[15n], 2n ** 32n]))).to.deep.equal({
      errorName: "InvalidExpiry",
      args: [start + 60n * day + 2n ** 32n],
    });
    // A rental on an expiring token: the user's right ends with the entitlement, whichever comes first.
    await send(platform, platform.wallet.operator, call("enableRental", [[16n]]));
    await send(platform, platform.wallet.operator, call("setUser", [16n, renter(), start + 90n * day]));
    expect(await read("isExpired", [16n])).to.equal(false);
    await advanceTo(start + 60n * day);
    expect(await read("isExpired", [16n])).to.equal(true);
    expect(await read("isExpired", [14n])).to.equal(false);
    expect(await read("userOf", [16n])).to.equal(zeroAddress);
  });
});
