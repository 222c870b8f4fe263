// Gas benchmark of the entitlement design against a plain OpenZeppelin ERC721 design.
// Starts its own Hardhat node, deploys both, runs each scenario and prints the figures last,
// one `name=value` per line. Every figure is from transaction receipts' gasUsed (whole
// transactions, the 21,000 base included), except `rent_gas` and `erc4907_reference_set_user_gas`:
// execution gas (gasUsed minus the intrinsic 21,000 + calldata), so that the comparison of the two
// ERC-4907 designs is about storage.   npm run bench:gas [-- --seed N]
import { parseArgs } from "node:util";
import { createPublicClient, createWalletClient, hexToBytes, http, type Abi, type Address, type Hex, type PublicClient } from "viem";
import { hardhat } from "viem/chains";
import { startChain } from "../../test/support/chain.ts";
import { deployContract, deployPlatform, type DeployWalletClient } from "../../api/chain/deploy.ts";
import { entitlementTokenAbi, keyRegistryAbi } from "../../core/chain/abis.ts";
import { loadArtifact } from "../../api/chain/contracts.ts";
import { buildIssueCall, issueArgs } from "../../api/chain/issuanceCall.ts";
import { buildBatchTree, commitmentOf, type LeafValues } from "../../core/keys/leaf.ts";
import { seededRandom } from "../lib/seededRandom.ts";

const batchSize = 1_000;
const issuePerTransaction = 100;
const randomIssueCount = 100;
const redeemPerTransaction = 100;
const resalePerTransaction = 50;
const mixRedeemed = 900;
const mixResales = 50;
const mixWithdrawals = 20;

type Wallets = { admin: DeployWalletClient; operator: DeployWalletClient; issuer: DeployWalletClient; custodian: DeployWalletClient };
type Call = { address: Address; abi: Abi; functionName: string; args: readonly unknown[] };
type Context = { publicClient: PublicClient; wallets: Wallets; entitlement: Address; registry: Address; custodian: Address; random: () => number };

function randomHex(random: () => number, bytes: number): Hex {
  let out = "0x";
  for (let i = 0; i < bytes; i++)
    out += Math.floor(random() * 256)
      .toString(16)
      .padStart(2, "0");
  return out as Hex;
}

/** Sends one transaction, waits for it, and returns its gasUsed; a revert aborts the run. */
async function gasOf(context: Context, wallet: DeployWalletClient, call: Call): Promise<bigint> {
  return (await sendMeasured(context, wallet, call)).gasUsed;
}

async function sendMeasured(context: Context, wallet: DeployWalletClient, call: Call): Promise<{ gasUsed: bigint; input: Hex }> {
  const hash = await wallet.writeContract({ ...call, args: call.args as unknown[], chain: hardhat, account: wallet.account });
  const receipt = await context.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`${call.functionName} reverted (${hash})`);
  const transaction = await context.publicClient.getTransaction({ hash });
  return { gasUsed: receipt.gasUsed, input: transaction.input };
}

/**
 * Execution gas: gasUsed minus the intrinsic gas (21,000 + 16 per non-zero and 4 per zero
 * calldata byte, EIP-2028). For these small calls execution is far above the EIP-7623 floor, so
 * the floor never applies (it would only if 10 per calldata token exceeded 4 per token + execution).
 */
async function executionGasOf(context: Context, wallet: DeployWalletClient, call: Call): Promise<bigint> {
  const { gasUsed, input } = await sendMeasured(context, wallet, call);
  let intrinsic = 21_000n;
  for (const byte of hexToBytes(input)) intrinsic += byte === 0 ? 4n : 16n;
  return gasUsed - intrinsic;
}

type RentalFigures = { enablePerEntitlement: number; rent: bigint; rentNewUser: bigint; renewPerEntitlement: number; reference: bigint };

/**
 * ERC-4907 on the entitlement against the reference implementation, both on fresh tokens:
 * - `enableRental` for 100 tokens (once per token, at issuance, for rentable products);
 * - a first rental to a user the directory does not know yet (adds the user: once per user);
 * - `rent_gas`: a fresh rentable token rented to a user the directory knows (the common case:
 *   every later rental of every user);
 * - `setExpiries` for 100 consecutive tokens, then `extendExpiries` of the same 100 (the renewal);
 * - the reference's `setUser` on a freshly minted token, by its owner.
 */
async function rentals(context: Context, tokenIds: bigint[], expiringIds: bigint[], reference: Address): Promise<RentalFigures> {
  const token = { address: context.entitlement, abi: entitlementTokenAbi as Abi };
  const enableGas = await gasOf(context, context.wallets.operator, { ...token, functionName: "enableRental", args: [tokenIds] });
  const block = await context.publicClient.getBlock();
  const expires = block.timestamp + 7n * 86_400n;
  const renter = randomHex(context.random, 20) as Address;
  const custodian = context.wallets.custodian;
  const rentNewUser = await executionGasOf(context, custodian, { ...token, functionName: "setUser", args: [tokenIds[0]!, renter, expires] });
  const rent = await executionGasOf(context, custodian, { ...token, functionName: "setUser", args: [tokenIds[tokenIds.length - 1]!, renter, expires] });
  await gasOf(context, context.wallets.operator, { ...token, functionName: "setExpiries", args: [expiringIds, expires] });
  const renewGas = await gasOf(context, context.wallets.operator, { ...token, functionName: "extendExpiries", args: [expiringIds, 30n * 86_400n] });
  const referenceAbi = loadArtifact("ERC4907Reference").abi;
  await gasOf(context, custodian, { address: reference, abi: referenceAbi, functionName: "mint", args: [1n, context.custodian] });
  const referenceGas = await executionGasOf(context, custodian, {
    address: reference,
    abi: referenceAbi,
    functionName: "setUser",
    args: [1n, randomHex(context.random, 20), expires],
  });
  return {
    enablePerEntitlement: Number(enableGas) / tokenIds.length,
    rent,
    rentNewUser,
    renewPerEntitlement: Number(renewGas) / expiringIds.length,
    reference: referenceGas,
  };
}

async function anchorBatch(context: Context, batchId: bigint): Promise<{ tree: ReturnType<typeof buildBatchTree>; gas: bigint }> {
  const leaves: LeafValues[] = Array.from({ length: batchSize }, (_, leafIndex) => ({
    chainId: BigInt(hardhat.id),
    registry: context.registry,
    shopId: 1n,
    batchId,
    leafIndex,
    commitment: commitmentOf(randomHex(context.random, 32), `CODE-${batchId}-${leafIndex}`),
  }));
  const tree = buildBatchTree(leaves);
  const gas = await gasOf(context, context.wallets.issuer, {
    address: context.registry,
    abi: keyRegistryAbi,
    functionName: "anchorBatch",
    args: [batchId, 1n, tree.root as Hex, batchSize],
  });
  return { tree, gas };
}

async function issue(context: Context, tree: ReturnType<typeof buildBatchTree>, leafIndexes: number[]): Promise<{ gas: bigint; tokenIds: bigint[] }> {
  const call = buildIssueCall(tree, leafIndexes);
  const first = await context.publicClient.readContract({ address: context.entitlement, abi: entitlementTokenAbi, functionName: "nextTokenId" });
  const gas = await gasOf(context, context.wallets.operator, {
    address: context.entitlement,
    abi: entitlementTokenAbi,
    functionName: "issue",
    args: issueArgs(call, context.custodian),
  });
  return { gas, tokenIds: call.leafIndexes.map((_, i) => first + BigInt(i)) };
}

async function issueInImportOrder(context: Context, tree: ReturnType<typeof buildBatchTree>): Promise<{ gas: bigint; tokenIds: bigint[] }> {
  let gas = 0n;
  const tokenIds: bigint[] = [];
  for (let start = 0; start < batchSize; start += issuePerTransaction) {
    const result = await issue(
      context,
      tree,
      Array.from({ length: issuePerTransaction }, (_, i) => start + i),
    );
    gas += result.gas;
    tokenIds.push(...result.tokenIds);
  }
  return { gas, tokenIds };
}

async function redeem(context: Context, tokenIds: bigint[]): Promise<bigint> {
  let gas = 0n;
  for (let start = 0; start < tokenIds.length; start += redeemPerTransaction) {
    gas += await gasOf(context, context.wallets.operator, {
      address: context.entitlement,
      abi: entitlementTokenAbi,
      functionName: "redeem",
      args: [tokenIds.slice(start, start + redeemPerTransaction)],
    });
  }
  return gas;
}

async function recordResales(context: Context, tokenIds: bigint[]): Promise<bigint> {
  let gas = 0n;
  for (let start = 0; start < tokenIds.length; start += resalePerTransaction) {
    const slice = tokenIds.slice(start, start + resalePerTransaction);
    gas += await gasOf(context, context.wallets.operator, {
      address: context.entitlement,
      abi: entitlementTokenAbi,
      functionName: "recordCustodialTransfers",
      args: [slice, slice.map(() => randomHex(context.random, 32)), slice.map(() => randomHex(context.random, 32))],
    });
  }
  return gas;
}

/** Moves tokens from the custodian to fresh wallets (no token held before: the dearer case). */
async function withdraw(context: Context, contract: Address, abi: Abi, tokenIds: bigint[]): Promise<bigint[]> {
  const gas: bigint[] = [];
  for (const tokenId of tokenIds) {
    const wallet = randomHex(context.random, 20) as Address;
    gas.push(
      await gasOf(context, context.wallets.custodian, { address: contract, abi, functionName: "transferFrom", args: [context.custodian, wallet, tokenId] }),
    );
  }
  return gas;
}

function pick(random: () => number, from: bigint[], count: number): bigint[] {
  const pool = [...from];
  const chosen: bigint[] = [];
  while (chosen.length < count) chosen.push(pool.splice(Math.floor(random() * pool.length), 1)[0]!);
  return chosen;
}

/** The OpenZeppelin day: one mint per sale, one transaction per redemption, transferFrom for resales and withdrawals. */
async function ozDay(context: Context, baseline: Address): Promise<{ total: bigint; mintAverage: number; transfer: bigint }> {
  const abi = loadArtifact("OzEntitlementBaseline").abi;
  let total = 0n;
  let mintGas = 0n;
  for (let i = 0; i < batchSize; i++) {
    mintGas += await gasOf(context, context.wallets.operator, { address: baseline, abi, functionName: "mint", args: [context.custodian] });
  }
  total += mintGas;
  const tokenIds = Array.from({ length: batchSize }, (_, i) => BigInt(i + 1));
  for (const tokenId of tokenIds.slice(0, mixRedeemed)) {
    total += await gasOf(context, context.wallets.operator, { address: baseline, abi, functionName: "redeem", args: [tokenId] });
  }
  const rest = tokenIds.slice(mixRedeemed);
  const moved = await withdraw(context, baseline, abi, rest.slice(0, mixResales + mixWithdrawals));
  total += moved.reduce((sum, gas) => sum + gas, 0n);
  return { total, mintAverage: Number(mintGas) / batchSize, transfer: moved[mixResales]! };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seed: { type: "string", default: "20261125" } } });
  const seed = Number(values.seed);
  if (!Number.isSafeInteger(seed)) throw new Error(`--seed must be an integer, got ${values.seed}`);
  console.log(`seed=${seed}`);
  const chain = await startChain();
  try {
    const transport = http(chain.rpcUrl);
    const publicClient = createPublicClient({ chain: hardhat, transport, pollingInterval: 50 }) as PublicClient;
    const accounts = await createWalletClient({ chain: hardhat, transport }).getAddresses();
    const walletOf = (index: number): DeployWalletClient => createWalletClient({ chain: hardhat, transport, account: accounts[index]! });
    const wallets: Wallets = { admin: walletOf(0), operator: walletOf(1), issuer: walletOf(2), custodian: walletOf(3) };
    const custodian = accounts[3]!;
    const platform = await deployPlatform(wallets.admin, publicClient, {
      admin: accounts[0]!,
      operator: accounts[1]!,
      issuer: accounts[2]!,
      custodian,
      treasury: accounts[4]!,
      ledgerAnchorer: accounts[5]!,
    });
    const baseline = await deployContract(wallets.admin, publicClient, "OzEntitlementBaseline", [accounts[1]!]);
    const context: Context = { publicClient, wallets, entitlement: platform.entitlement, registry: platform.registry, custodian, random: seededRandom(seed) };

    const fifoBatch = await anchorBatch(context, 1n);
    const fifo = await issueInImportOrder(context, fifoBatch.tree);
    const randomBatch = await anchorBatch(context, 2n);
    const randomIndexes = pick(
      context.random,
      Array.from({ length: batchSize }, (_, i) => BigInt(i)),
      randomIssueCount,
    ).map(Number);
    const randomIssue = await issue(context, randomBatch.tree, randomIndexes);
    const redeemGas = await redeem(context, fifo.tokenIds.slice(0, redeemPerTransaction));
    const resaleTokens = pick(context.random, fifo.tokenIds.slice(redeemPerTransaction), resalePerTransaction);
    const resaleGas = await recordResales(context, resaleTokens);
    // The middle of a consecutive run: the 51st token of the second issue call's run.
    const middle = fifo.tokenIds[issuePerTransaction + issuePerTransaction / 2]!;
    const [withdrawGas] = await withdraw(context, platform.entitlement, entitlementTokenAbi as Abi, [middle]);

    // A day of a typical shop: one batch imported, 1,000 sales, 900 redemptions, 50 resales, 20 withdrawals.
    const day = await anchorBatch(context, 3n);
    const daySales = await issueInImportOrder(context, day.tree);
    let dayGas = day.gas + daySales.gas;
    dayGas += await redeem(context, daySales.tokenIds.slice(0, mixRedeemed));
    const unredeemed = daySales.tokenIds.slice(mixRedeemed);
    dayGas += await recordResales(context, unredeemed.slice(0, mixResales));
    const dayWithdrawals = await withdraw(context, platform.entitlement, entitlementTokenAbi as Abi, unredeemed.slice(mixResales, mixResales + mixWithdrawals));
    dayGas += dayWithdrawals.reduce((sum, gas) => sum + gas, 0n);
    const oz = await ozDay(context, baseline.address);
    const reference = await deployContract(wallets.admin, publicClient, "ERC4907Reference", ["ERC4907 reference", "R4907"]);
    // Fresh tokens of the first batch that no scenario above touched: 100 rentable ones, and the
    // next 100 (consecutive) given an expiry and renewed.
    const rental = await rentals(context, fifo.tokenIds.slice(600, 700), fifo.tokenIds.slice(700, 800), reference.address);

    const mix = Number(dayGas) / batchSize;
    const ozMix = Number(oz.total) / batchSize;
    const figures: [string, number][] = [
      ["anchor_gas_per_key", Number(fifoBatch.gas) / batchSize],
      ["issue_gas_per_entitlement_fifo", Number(fifo.gas) / batchSize],
      ["issue_gas_per_entitlement_random", Number(randomIssue.gas) / randomIssueCount],
      ["oz_erc721_mint_gas", oz.mintAverage],
      ["redeem_gas_per_entitlement", Number(redeemGas) / redeemPerTransaction],
      ["resale_gas_per_transfer", Number(resaleGas) / resalePerTransaction],
      ["withdraw_gas", Number(withdrawGas)],
      ["withdraw_gas_max_in_mix", Math.max(...dayWithdrawals.map(Number))],
      ["oz_erc721_transfer_gas", Number(oz.transfer)],
      ["mix_gas_per_sale", mix],
      ["oz_mix_gas_per_sale", ozMix],
      ["mix_vs_oz_ratio", mix / ozMix],
      ["enable_rental_gas_per_entitlement", rental.enablePerEntitlement],
      ["rent_gas", Number(rental.rent)],
      ["rent_gas_first_rental_of_user", Number(rental.rentNewUser)],
      ["erc4907_reference_set_user_gas", Number(rental.reference)],
      ["rent_vs_reference_ratio", Number(rental.rent) / Number(rental.reference)],
      ["renew_gas_per_entitlement", rental.renewPerEntitlement],
    ];
    for (const [name, value] of figures) console.log(`${name}=${Number.isInteger(value) ? value : value.toFixed(name.endsWith("ratio") ? 4 : 1)}`);
  } finally {
    await chain.stop();
  }
}

await main();
