// PaymentRouter's subscription mandates (docs/subscriptions.md, "Wallet buyers"): a payer lets
// the platform pull one subscription's periods from its ERC-20 allowance, each period at most
// once, in order, never before one period ahead, never above the cap; the payer cancels on-chain.
import { expect } from "chai";
import { createTestClient, encodeAbiParameters, http, keccak256, parseEventLogs, toBytes, type Hex } from "viem";
import { hardhat } from "viem/chains";
import { paymentRouterAbi, testStablecoinAbi } from "../../core/chain/abis.ts";
import { revertOf, send, usePlatformPerSuite, type Platform } from "./support.ts";

const period = 30 * 86_400;
const cap = 3_000_000n;

describe("PaymentRouter subscription mandates (pull bounded per period, cancellable)", () => {
  let platform: Platform;
  usePlatformPerSuite((started) => (platform = started));
  const subscriptionRef = keccak256(toBytes("subscription-7")) as Hex;
  const router = () => ({ address: platform.contracts.payment, abi: paymentRouterAbi });
  const coin = () => ({ address: platform.contracts.stablecoin, abi: testStablecoinAbi });
  const balanceOf = (owner: Hex) => platform.publicClient.readContract({ ...coin(), functionName: "balanceOf", args: [owner] }) as Promise<bigint>;
  const pull = (periodIndex: number, amount: bigint) => ({
    ...router(),
    functionName: "pullPeriod",
    args: [platform.address.buyer, subscriptionRef, periodIndex, amount],
  });
  const advance = async (seconds: number) => {
    const testClient = createTestClient({ chain: hardhat, mode: "hardhat", transport: http(platform.chain.rpcUrl) });
    await testClient.increaseTime({ seconds });
    await testClient.mine({ blocks: 1 });
  };

  it("pulls each period once, in order, within the cap, and stops when the payer cancels; refusals change nothing", async () => {
    // The id is keccak256(abi.encode(payer, ref)), computed here independently.
    const mandateId = keccak256(encodeAbiParameters([{ type: "address" }, { type: "bytes32" }], [platform.address.buyer, subscriptionRef]));
    expect(await platform.publicClient.readContract({ ...router(), functionName: "mandateIdOf", args: [platform.address.buyer, subscriptionRef] })).to.equal(
      mandateId,
    );
    const pullerRole = keccak256(toBytes("PULLER_ROLE"));
    // The deployment (api/chain/deploy.ts) granted the platform's operator PULLER_ROLE; nobody else holds it.
    const holds = (who: Hex) => platform.publicClient.readContract({ ...router(), functionName: "hasRole", args: [pullerRole, who] });
    expect(await holds(platform.address.operator)).to.equal(true);
    expect(await holds(platform.address.buyer)).to.equal(false);
    expect(await holds(platform.address.admin)).to.equal(false);
    await send(platform, platform.wallet.admin, { ...coin(), functionName: "mint", args: [platform.address.buyer, 10_000_000n] });
    await send(platform, platform.wallet.buyer, { ...coin(), functionName: "approve", args: [platform.contracts.payment, 9_000_000n] });
    const startsAt = (await platform.publicClient.getBlock()).timestamp;

    const created = await send(platform, platform.wallet.buyer, {
      ...router(),
      functionName: "createMandate",
      args: [subscriptionRef, platform.contracts.stablecoin, cap, startsAt, period, 1],
    });
    const [createdEvent] = parseEventLogs({ abi: paymentRouterAbi, logs: created.logs, eventName: "MandateCreated" });
    expect(createdEvent!.args).to.deep.equal({
      mandateId,
      payer: platform.address.buyer,
      subscriptionRef,
      token: platform.contracts.stablecoin,
      capPerPeriod: cap,
      startsAt: Number(startsAt),
      periodSeconds: period,
    });
    expect(
      await revertOf(platform, platform.wallet.buyer, {
        ...router(),
        functionName: "createMandate",
        args: [subscriptionRef, platform.contracts.stablecoin, cap, startsAt, period, 1],
      }),
    ).to.deep.equal({ errorName: "MandateExists", args: [mandateId] });

    // Period 1 (period 0 was paid at checkout) may be pulled from the start.
    const receipt = await send(platform, platform.wallet.operator, pull(1, cap));
    const [pulled] = parseEventLogs({ abi: paymentRouterAbi, logs: receipt.logs, eventName: "PeriodPulled" });
    expect(pulled!.args).to.deep.equal({
      mandateId,
      payer: platform.address.buyer,
      subscriptionRef,
      periodIndex: 1,
      token: platform.contracts.stablecoin,
      amount: cap,
    });
    expect(await balanceOf(platform.address.treasury)).to.equal(cap);
    // Gas of a pull (receipt): the mandate's two slots, one rewritten, and the token's transfer; no fresh slot.
    console.log(`pull_period_gas=${receipt.gasUsed}`);
    expect(receipt.gasUsed < 80_000n, `pull gas ${receipt.gasUsed}`).to.equal(true);

    // Twice in one period: the custom error, and nothing moves.
    expect(await revertOf(platform, platform.wallet.operator, pull(1, cap))).to.deep.equal({ errorName: "PeriodAlreadyPulled", args: [mandateId, 1, 2] });
    // Period 2 may be pulled from the start of period 1 (one period ahead at most): startsAt + 30 days.
    const notDue = await revertOf(platform, platform.wallet.operator, pull(2, cap));
    expect(notDue).to.deep.equal({ errorName: "PeriodNotDue", args: [mandateId, 2, startsAt + BigInt(period)] });
    expect(await revertOf(platform, platform.wallet.stranger, pull(2, cap))).to.deep.equal({
      errorName: "AccessControlUnauthorizedAccount",
      args: [platform.address.stranger, pullerRole],
    });
    await advance(period);
    expect(await revertOf(platform, platform.wallet.operator, pull(2, cap + 1n))).to.deep.equal({
      errorName: "AllowanceCapExceeded",
      args: [mandateId, cap + 1n, cap],
    });
    expect(await revertOf(platform, platform.wallet.operator, pull(2, 0n))).to.deep.equal({ errorName: "ZeroAmount", args: [] });
    await send(platform, platform.wallet.operator, pull(2, cap));
    expect(await balanceOf(platform.address.treasury)).to.equal(2n * cap);
    expect(await balanceOf(platform.address.buyer)).to.equal(10_000_000n - 2n * cap);

    // The allowance left (3,000,000) is below a pull of the next period plus anything else: lower it and the token refuses.
    await send(platform, platform.wallet.buyer, { ...coin(), functionName: "approve", args: [platform.contracts.payment, 1_000n] });
    await advance(period);
    expect(await revertOf(platform, platform.wallet.operator, pull(3, cap), [...paymentRouterAbi, ...testStablecoinAbi])).to.deep.equal({
      errorName: "ERC20InsufficientAllowance",
      args: [platform.contracts.payment, 1_000n, cap],
    });

    // Cancelled on-chain by the payer: no more pulls; a second cancel and a stranger's are refused.
    const cancelled = await send(platform, platform.wallet.buyer, { ...router(), functionName: "cancelMandate", args: [subscriptionRef] });
    const [cancelEvent] = parseEventLogs({ abi: paymentRouterAbi, logs: cancelled.logs, eventName: "MandateCancelled" });
    expect(cancelEvent!.args).to.deep.equal({ mandateId, payer: platform.address.buyer, subscriptionRef });
    await send(platform, platform.wallet.buyer, { ...coin(), functionName: "approve", args: [platform.contracts.payment, 9_000_000n] });
    expect(await revertOf(platform, platform.wallet.operator, pull(3, cap))).to.deep.equal({ errorName: "MandateIsCancelled", args: [mandateId] });
    expect(await revertOf(platform, platform.wallet.buyer, { ...router(), functionName: "cancelMandate", args: [subscriptionRef] })).to.deep.equal({
      errorName: "MandateIsCancelled",
      args: [mandateId],
    });
    const strangerId = keccak256(encodeAbiParameters([{ type: "address" }, { type: "bytes32" }], [platform.address.stranger, subscriptionRef]));
    expect(await revertOf(platform, platform.wallet.stranger, { ...router(), functionName: "cancelMandate", args: [subscriptionRef] })).to.deep.equal({
      errorName: "UnknownMandate",
      args: [strangerId],
    });
    const mandate = (await platform.publicClient.readContract({ ...router(), functionName: "mandateOf", args: [mandateId] })) as {
      nextPeriod: number;
      cancelled: boolean;
    };
    expect(mandate).to.include({ nextPeriod: 3, cancelled: true });
    expect(await balanceOf(platform.address.treasury)).to.equal(2n * cap);
  });

  it("refuses a mandate without token, cap or period", async () => {
    const ref = keccak256(toBytes("subscription-8")) as Hex;
    const create = (token: Hex, capPerPeriod: bigint, periodSeconds: number) => ({
      ...router(),
      functionName: "createMandate",
      args: [ref, token, capPerPeriod, 0n, periodSeconds, 1],
    });
    expect(await revertOf(platform, platform.wallet.buyer, create("0x0000000000000000000000000000000000000000", cap, period))).to.deep.equal({
      errorName: "ZeroAddress",
      args: [],
    });
    expect(await revertOf(platform, platform.wallet.buyer, create(platform.contracts.stablecoin, 0n, period))).to.deep.equal({
      errorName: "ZeroAmount",
      args: [],
    });
    expect(await revertOf(platform, platform.wallet.buyer, create(platform.contracts.stablecoin, cap, 0))).to.deep.equal({ errorName: "ZeroPeriod", args: [] });
  });
});
