// Renewal from the buyer's wallet (docs/subscriptions.md, "Renewal by wallet pull"): the browser
// wallet (EIP-1193) approves the stablecoin allowance to the PaymentRouter and creates the
// mandate with the terms the platform gave (cap per period = the price), under a fresh random
// reference; the platform then reads it back on-chain before recording it. Cancelling is the
// wallet's own cancelMandate; the platform learns it from the chain. Lazy chunk (viem).
import { parseAbi, type Hex } from "viem";
import { browserWalletClients } from "../verify/browserWalletClients.ts";

const routerAbi = parseAbi([
  "function createMandate(bytes32 subscriptionRef, address token, uint96 capPerPeriod, uint40 startsAt, uint32 periodSeconds, uint32 firstPeriod) returns (bytes32)",
  "function cancelMandate(bytes32 subscriptionRef)",
]);
const erc20Abi = parseAbi(["function approve(address spender, uint256 amount) returns (bool)"]);

/** The allowance granted covers this many periods; the contract still pulls at most the cap once per period. */
export const allowancePeriods = 12n;

export type MandateTerms = { paymentRouter: string; token: string; capPerPeriod: string; startsAt: number; periodSeconds: number; firstPeriod: number };

function randomReference(): Hex {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `0x${Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}

/** Approves the allowance, creates the mandate, waits for both; returns what the platform records. */
export async function createWalletMandate(terms: MandateTerms): Promise<{ payer: Hex; subscriptionRef: Hex }> {
  const { wallet, reader, account, chain } = await browserWalletClients();
  const router = terms.paymentRouter as Hex;
  const cap = BigInt(terms.capPerPeriod);
  const approval = await wallet.writeContract({
    account,
    chain,
    address: terms.token as Hex,
    abi: erc20Abi,
    functionName: "approve",
    args: [router, cap * allowancePeriods],
  });
  await reader.waitForTransactionReceipt({ hash: approval });
  const subscriptionRef = randomReference();
  const created = await wallet.writeContract({
    account,
    chain,
    address: router,
    abi: routerAbi,
    functionName: "createMandate",
    args: [subscriptionRef, terms.token as Hex, cap, terms.startsAt, terms.periodSeconds, terms.firstPeriod],
  });
  await reader.waitForTransactionReceipt({ hash: created });
  return { payer: account, subscriptionRef };
}

/** The buyer's on-chain cancellation (only the payer can cancel its mandate). */
export async function cancelWalletMandate(paymentRouter: string, subscriptionRef: string): Promise<void> {
  const { wallet, reader, account, chain } = await browserWalletClients();
  const hash = await wallet.writeContract({
    account,
    chain,
    address: paymentRouter as Hex,
    abi: routerAbi,
    functionName: "cancelMandate",
    args: [subscriptionRef as Hex],
  });
  await reader.waitForTransactionReceipt({ hash });
}
