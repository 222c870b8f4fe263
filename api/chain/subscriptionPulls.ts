// The chain side of renewals by wallet pull (docs/subscriptions.md, "Renewal by wallet pull"):
// each queued pull is sent once, from the chain worker (one job at a time, so one sender), as
// PaymentRouter.pullPeriod(payer, ref, period, price). Before sending, the mandate is read
// on-chain: a period the contract already counts as pulled (a crash after broadcast whose hash
// was lost, a replayed job) is not sent again, and a cancelled mandate is not tried. Rows left
// 'submitted' by a crash are settled from their receipt first, like every chain writer.
import { BaseError, ContractFunctionRevertedError, type Abi, type Hex } from "viem";
import { paymentRouterAbi, testStablecoinAbi } from "../../core/chain/abis.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../core/store/database.ts";
import { markPastDue } from "../services/subscriptions/walletPulls.ts";
import type { ChainContext } from "./chainContext.ts";
import { sendContractTransaction } from "./sendContractTransaction.ts";
import { isContractRevert, settleSubmitted } from "./settleSubmitted.ts";

// The token's errors too, so a short allowance or balance is named (ERC20InsufficientAllowance).
const pullAbi = [...paymentRouterAbi, ...testStablecoinAbi.filter((item) => item.type === "error")] as Abi;

type PendingPull = { subscription_id: bigint; period_index: number; amount_minor: bigint; mandate_id: Hex; payer: Hex; subscription_ref: Hex };

type OnChainMandate = { token: Hex; nextPeriod: number; cancelled: boolean };

export async function sendPendingSubscriptionPulls(db: Drizzle, chain: ChainContext, options: { transactionsMax: number }): Promise<number> {
  const router = chain.addresses.payment;
  if (!router) return 0;
  await settleSubmitted(db, chain, "subscription_pulls");
  const rows = await queryRows<PendingPull>(
    db,
    sql`SELECT p.subscription_id, p.period_index, p.amount_minor, p.mandate_id, m.payer, m.subscription_ref
        FROM subscription_pulls p JOIN subscription_mandates m ON m.mandate_id = p.mandate_id
        WHERE p.state = 'pending' ORDER BY p.subscription_id, p.period_index LIMIT ${options.transactionsMax}`,
  );
  let sent = 0;
  for (const pull of rows) {
    const key = sql`subscription_id = ${pull.subscription_id} AND period_index = ${pull.period_index}`;
    const setState = (state: string, extra = sql``) =>
      db.execute(sql`UPDATE subscription_pulls SET state = ${state} ${extra} WHERE ${key} AND state IN ('pending','submitted')`);
    const mandate = (await chain.publicClient.readContract({
      address: router,
      abi: paymentRouterAbi,
      functionName: "mandateOf",
      args: [pull.mandate_id],
    })) as OnChainMandate;
    if (Number(mandate.nextPeriod) > pull.period_index) {
      // Pulled already: its PeriodPulled charges the period when the indexer has it final.
      await setState("included");
      continue;
    }
    // Not pulled, and the period was paid some other way meanwhile: nothing to send.
    const paid = await queryOne<{ periods_paid: number }>(db, sql`SELECT periods_paid FROM subscriptions WHERE id = ${pull.subscription_id}`);
    if (paid!.periods_paid !== pull.period_index) {
      await setState("superseded");
      continue;
    }
    if (mandate.cancelled) {
      await fail(db, pull, "mandate_cancelled");
      continue;
    }
    try {
      const receipt = await sendContractTransaction(
        chain,
        { address: router, abi: pullAbi, functionName: "pullPeriod", args: [pull.payer, pull.subscription_ref, pull.period_index, BigInt(pull.amount_minor)] },
        (hash) => setState("submitted", sql`, tx_hash = ${hash}`).then(() => undefined),
      );
      await db.execute(sql`UPDATE subscription_pulls SET state = 'included', tx_hash = ${receipt.transactionHash} WHERE ${key} AND state = 'submitted'`);
      sent++;
    } catch (error) {
      if (!isContractRevert(error)) throw error;
      // The allowance or the balance is short, or the mandate refuses: the renewal failed.
      await fail(db, pull, revertName(error));
    }
  }
  return sent;
}

async function fail(db: Drizzle, pull: PendingPull, failure: string): Promise<void> {
  await db.execute(
    sql`UPDATE subscription_pulls SET state = 'failed', failure = ${failure}
        WHERE subscription_id = ${pull.subscription_id} AND period_index = ${pull.period_index} AND state = 'pending'`,
  );
  await markPastDue(db, pull.subscription_id, pull.period_index, `wallet_${failure}`);
}

/** The contract's (or the token's) custom error name, in snake case: what the buyer must fix. */
function revertName(error: unknown): string {
  const revert = error instanceof BaseError ? error.walk((cause) => cause instanceof ContractFunctionRevertedError) : null;
  const name = (revert as ContractFunctionRevertedError | null)?.data?.errorName ?? "pull_refused";
  return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}
