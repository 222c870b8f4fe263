// The grant step of renewals by wallet pull (docs/subscriptions.md, "Renewal by wallet pull"):
// the buyer's wallet creates a PaymentRouter mandate for the subscription and approves the
// router; the platform records it only after reading it back on-chain, field by field, from the
// chain (never the client's word), and only for a wallet the account linked, so a mandate only
// ever draws on the subscriber's own money. Cancellation is on-chain; the indexer tells the
// platform (walletPulls.ts, processMandateEvents).
import { encodeAbiParameters, keccak256, type Hex } from "viem";
import { paymentRouterAbi, testStablecoinAbi } from "../../../core/chain/abis.ts";
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import type { ChainContext } from "../../chain/chainContext.ts";
import { seconds, type SubscriptionRow } from "./chargeRenewal.ts";
import { getMySubscription } from "./subscriptions.ts";

export type MandateTerms = {
  paymentRouter: string;
  token: string;
  /** The cap per period: the period's price, in the token's base units (the currency's minor units). */
  capPerPeriod: string;
  startsAt: number;
  periodSeconds: number;
  /** The next unpaid period: the mandate's first pull. */
  firstPeriod: number;
};

export type WalletMandateView = {
  /** What the buyer's wallet must create (null when this subscription cannot renew from a wallet: `reason`). */
  terms: MandateTerms | null;
  reason: string | null;
  /** The mandate recorded last (the live one first); `paymentRouter` is where its payer cancels it. */
  mandate: { mandateId: string; payer: string; subscriptionRef: string; paymentRouter: string; state: "active" | "cancelled"; createdAt: string } | null;
};

type OnChainMandate = { token: Hex; capPerPeriod: bigint; startsAt: number; periodSeconds: number; nextPeriod: number; cancelled: boolean };

/** keccak256(abi.encode(payer, ref)), as PaymentRouter.mandateIdOf. */
export const mandateIdOf = (payer: Hex, subscriptionRef: Hex) =>
  keccak256(encodeAbiParameters([{ type: "address" }, { type: "bytes32" }], [payer, subscriptionRef])).toLowerCase() as Hex;

type ChainSettings = { chain: ChainContext | undefined; stablecoinCurrency: string };

function termsOf(subscription: SubscriptionRow, settings: ChainSettings): { terms: MandateTerms | null; reason: string | null } {
  const { chain } = settings;
  if (!chain?.addresses.payment || !chain.addresses.stablecoin)
    return { terms: null, reason: "The platform has no payment contract or stablecoin configured." };
  if (subscription.currency !== settings.stablecoinCurrency) {
    return {
      terms: null,
      reason: `This subscription is priced in ${subscription.currency}; renewals from a wallet are paid in ${settings.stablecoinCurrency}.`,
    };
  }
  if (!["active", "past_due"].includes(subscription.state)) return { terms: null, reason: `This subscription is ${subscription.state}.` };
  return {
    reason: null,
    terms: {
      paymentRouter: chain.addresses.payment,
      token: chain.addresses.stablecoin,
      capPerPeriod: String(subscription.price_minor),
      startsAt: seconds(subscription.starts_at),
      periodSeconds: subscription.period_seconds,
      firstPeriod: subscription.periods_paid,
    },
  };
}

async function ownSubscription(db: Drizzle, accountId: bigint, subscriptionId: bigint): Promise<SubscriptionRow> {
  await getMySubscription(db, accountId, subscriptionId);
  return (await queryOne<SubscriptionRow>(db, sql`SELECT * FROM subscriptions WHERE id = ${subscriptionId}`))!;
}

export async function getWalletMandate(
  db: Drizzle,
  settings: ChainSettings,
  parameters: { accountId: bigint; subscriptionId: bigint },
): Promise<WalletMandateView> {
  const subscription = await ownSubscription(db, parameters.accountId, parameters.subscriptionId);
  const latest = await queryOne<{ mandate_id: string; payer: string; subscription_ref: string; state: "active" | "cancelled"; created_at: Date }>(
    db,
    sql`SELECT mandate_id, payer, subscription_ref, state, created_at FROM subscription_mandates WHERE subscription_id = ${subscription.id}
        ORDER BY (state = 'active') DESC, created_at DESC LIMIT 1`,
  );
  return {
    ...termsOf(subscription, settings),
    mandate: latest
      ? {
          mandateId: latest.mandate_id,
          payer: latest.payer,
          subscriptionRef: latest.subscription_ref,
          paymentRouter: settings.chain?.addresses.payment ?? "",
          state: latest.state,
          createdAt: new Date(latest.created_at).toISOString(),
        }
      : null,
  };
}

/**
 * Records the mandate `payer` created on-chain under `subscriptionRef` for the subscription,
 * after reading it back: token, cap (the period's price), schedule and next period as the terms
 * say, not cancelled, and an allowance of at least one period. Recording the same mandate again
 * answers it again; a second live mandate for the subscription is 409.
 */
export async function recordWalletMandate(
  db: Drizzle,
  settings: ChainSettings,
  parameters: { accountId: bigint; subscriptionId: bigint; payer: Hex; subscriptionRef: Hex },
): Promise<WalletMandateView> {
  const subscription = await ownSubscription(db, parameters.accountId, parameters.subscriptionId);
  const { terms, reason } = termsOf(subscription, settings);
  if (!terms) throw new AppError("invalid_state", reason!);
  const chain = settings.chain!;
  const payer = parameters.payer.toLowerCase() as Hex;
  const linked = await queryOne(db, sql`SELECT 1 FROM wallet_links WHERE address = ${payer} AND account_id = ${parameters.accountId}`);
  if (!linked) throw new AppError("forbidden", `Wallet ${payer} is not linked to your account; link it (Sign-In With Ethereum) first.`);
  const mandateId = mandateIdOf(payer, parameters.subscriptionRef);
  const router = { address: chain.addresses.payment!, abi: paymentRouterAbi } as const;
  const onChain = (await chain.publicClient.readContract({ ...router, functionName: "mandateOf", args: [mandateId] })) as OnChainMandate;
  const expected = {
    token: terms.token.toLowerCase(),
    capPerPeriod: terms.capPerPeriod,
    startsAt: terms.startsAt,
    periodSeconds: terms.periodSeconds,
    nextPeriod: terms.firstPeriod,
    cancelled: false,
  };
  const actual = {
    token: onChain.token.toLowerCase(),
    capPerPeriod: String(onChain.capPerPeriod),
    startsAt: Number(onChain.startsAt),
    periodSeconds: Number(onChain.periodSeconds),
    nextPeriod: Number(onChain.nextPeriod),
    cancelled: onChain.cancelled,
  };
  if (/^0x0{40}$/.test(actual.token)) throw new AppError("conflict", `No mandate ${mandateId} on-chain yet: create it with your wallet, then record it.`);
  const differing = (Object.keys(expected) as (keyof typeof expected)[]).filter((field) => expected[field] !== actual[field]);
  if (differing.length > 0) {
    throw new AppError(
      "conflict",
      `Mandate ${mandateId} on-chain differs from this subscription's terms in ${differing.join(", ")}: cancel it and create one with the terms shown.`,
      { details: { expected: JSON.stringify(expected), actual: JSON.stringify(actual) } },
    );
  }
  const allowance = (await chain.publicClient.readContract({
    address: chain.addresses.stablecoin!,
    abi: testStablecoinAbi,
    functionName: "allowance",
    args: [payer, chain.addresses.payment!],
  })) as bigint;
  if (allowance < BigInt(terms.capPerPeriod)) {
    throw new AppError(
      "insufficient_funds",
      `Your wallet allows the payment contract ${allowance}; a period costs ${terms.capPerPeriod}. Approve at least that.`,
      {
        details: { allowanceMinor: String(allowance), priceMinor: terms.capPerPeriod },
      },
    );
  }
  const inserted = await queryOne<{ subscription_id: bigint }>(
    db,
    sql`INSERT INTO subscription_mandates (mandate_id, subscription_id, payer, subscription_ref, token, cap_minor)
        VALUES (${mandateId}, ${subscription.id}, ${payer}, ${parameters.subscriptionRef.toLowerCase()}, ${expected.token}, ${terms.capPerPeriod})
        ON CONFLICT DO NOTHING RETURNING subscription_id`,
  );
  if (!inserted) {
    const existing = await queryOne<{ subscription_id: bigint }>(db, sql`SELECT subscription_id FROM subscription_mandates WHERE mandate_id = ${mandateId}`);
    if (existing?.subscription_id === undefined || BigInt(existing.subscription_id) !== BigInt(subscription.id)) {
      throw new AppError(
        "conflict",
        `Subscription ${subscription.id} already renews from a live mandate, or this mandate is recorded elsewhere; cancel it first.`,
      );
    }
  }
  return getWalletMandate(db, settings, parameters);
}
