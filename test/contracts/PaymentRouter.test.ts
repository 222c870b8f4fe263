import { expect } from "chai";
import { keccak256, parseEventLogs, toBytes, zeroAddress, zeroHash, type Hex } from "viem";
import { paymentRouterAbi, testStablecoinAbi } from "../../core/chain/abis.ts";
import { revertOf, send, usePlatformPerSuite, type Platform } from "./support.ts";

describe("PaymentRouter and TestStablecoin", () => {
  let platform: Platform;
  usePlatformPerSuite((started) => (platform = started));
  const orderRef = keccak256(toBytes("order-42")) as Hex;

  const router = () => ({ address: platform.contracts.payment, abi: paymentRouterAbi });
  const coin = () => ({ address: platform.contracts.stablecoin, abi: testStablecoinAbi });
  const balanceOf = (owner: Hex) => platform.publicClient.readContract({ ...coin(), functionName: "balanceOf", args: [owner] });

  it("forwards a native payment to the treasury and emits OrderPaid", async () => {
    const before = await platform.publicClient.getBalance({ address: platform.address.treasury });
    const receipt = await send(platform, platform.wallet.buyer, { ...router(), functionName: "payNative", args: [orderRef], value: 1_500n });
    const [event] = parseEventLogs({ abi: paymentRouterAbi, logs: receipt.logs, eventName: "OrderPaid" });
    expect(event!.args).to.deep.equal({ orderRef, payer: platform.address.buyer, token: zeroAddress, amount: 1_500n });
    expect(await platform.publicClient.getBalance({ address: platform.address.treasury })).to.equal(before + 1_500n);
    expect(await platform.publicClient.getBalance({ address: platform.contracts.payment })).to.equal(0n);
  });

  it("moves an ERC-20 payment from the payer to the treasury and emits OrderPaid", async () => {
    expect(await platform.publicClient.readContract({ ...coin(), functionName: "decimals" })).to.equal(6);
    await send(platform, platform.wallet.admin, { ...coin(), functionName: "mint", args: [platform.address.buyer, 10_000_000n] });
    await send(platform, platform.wallet.buyer, { ...coin(), functionName: "approve", args: [platform.contracts.payment, 2_500_000n] });
    const receipt = await send(platform, platform.wallet.buyer, {
      ...router(),
      functionName: "payToken",
      args: [orderRef, platform.contracts.stablecoin, 2_500_000n],
    });
    const [event] = parseEventLogs({ abi: paymentRouterAbi, logs: receipt.logs, eventName: "OrderPaid" });
    expect(event!.args).to.deep.equal({ orderRef, payer: platform.address.buyer, token: platform.contracts.stablecoin, amount: 2_500_000n });
    expect(await balanceOf(platform.address.treasury)).to.equal(2_500_000n);
    expect(await balanceOf(platform.address.buyer)).to.equal(7_500_000n);
  });

  it("refuses zero amounts, an unapproved token payment and a mint by anyone but the owner", async () => {
    expect(await revertOf(platform, platform.wallet.buyer, { ...router(), functionName: "payNative", args: [orderRef], value: 0n })).to.deep.equal({
      errorName: "ZeroAmount",
      args: [],
    });
    expect(
      await revertOf(platform, platform.wallet.buyer, { ...router(), functionName: "payToken", args: [orderRef, platform.contracts.stablecoin, 0n] }),
    ).to.deep.equal({ errorName: "ZeroAmount", args: [] });
    const unapproved = await revertOf(
      platform,
      platform.wallet.buyer,
      { ...router(), functionName: "payToken", args: [orderRef, platform.contracts.stablecoin, 5n] },
      testStablecoinAbi,
    );
    expect(unapproved).to.deep.equal({ errorName: "ERC20InsufficientAllowance", args: [platform.contracts.payment, 0n, 5n] });
    expect(await revertOf(platform, platform.wallet.buyer, { ...coin(), functionName: "mint", args: [platform.address.buyer, 1n] })).to.deep.equal({
      errorName: "OwnableUnauthorizedAccount",
      args: [platform.address.buyer],
    });
  });

  it("lets only the admin change the treasury", async () => {
    const setTreasury = { ...router(), functionName: "setTreasury", args: [platform.address.reseller] };
    expect(await revertOf(platform, platform.wallet.operator, setTreasury)).to.deep.equal({
      errorName: "AccessControlUnauthorizedAccount",
      args: [platform.address.operator, zeroHash],
    });
    expect(await revertOf(platform, platform.wallet.admin, { ...setTreasury, args: [zeroAddress] })).to.deep.equal({ errorName: "ZeroAddress", args: [] });
    const receipt = await send(platform, platform.wallet.admin, setTreasury);
    const [event] = parseEventLogs({ abi: paymentRouterAbi, logs: receipt.logs, eventName: "TreasuryChanged" });
    expect(event!.args).to.deep.equal({ previousTreasury: platform.address.treasury, newTreasury: platform.address.reseller });
    expect(await platform.publicClient.readContract({ ...router(), functionName: "treasury" })).to.equal(platform.address.reseller);
  });
});
