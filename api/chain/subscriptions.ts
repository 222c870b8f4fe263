// The chain side of subscriptions (docs/subscriptions.md): each charged period's expiry is sent
// once, crash-safe like every chain writer (rows left 'submitted' are settled from the receipt).
// Period 0 sets the token's expiry (setExpiries, one call per distinct end), each later period
// extends it by the period's length (extendExpiries, one call per distinct length, up to 512
// tokens): a period is only sent once the one before it is included, so a token is never listed
// twice in one call and its on-chain expiry always equals the end of the last included period.
// A key-per-period renewal has its own entitlement (subscription_periods.entitlement_id): its
// token's expiry is set to the period's end once that token is issued, like a period 0.
import type { Hex } from "viem";
import { queryRows, sql, type Drizzle } from "../../core/store/database.ts";
import { entitlementTokenAbi } from "../../core/chain/abis.ts";
import type { ChainContext } from "./chainContext.ts";
import { sendContractTransaction } from "./sendContractTransaction.ts";
import { isContractRevert, settleSubmitted } from "./settleSubmitted.ts";

const tokensPerCallMax = 512;

type PendingPeriod = { subscription_id: bigint; period_index: number; token_id: string; ends_at: Date; period_seconds: number; sets_expiry: boolean };

export async function sendPendingSubscriptionExpiries(db: Drizzle, chain: ChainContext, options: { transactionsMax: number }): Promise<number> {
  await settleSubmitted(db, chain, "subscription_periods");
  const rows = await queryRows<PendingPeriod>(
    db,
    sql`SELECT sp.subscription_id, sp.period_index, e.token_id::text AS token_id, sp.ends_at, s.period_seconds,
               (sp.period_index = 0 OR sp.entitlement_id IS NOT NULL) AS sets_expiry
        FROM subscription_periods sp JOIN subscriptions s ON s.id = sp.subscription_id
          JOIN entitlements e ON e.id = coalesce(sp.entitlement_id, s.entitlement_id)
        WHERE sp.chain_state = 'pending' AND e.token_id IS NOT NULL AND e.issue_state IN ('included','confirmed') AND e.state <> 'revoked'
          AND (sp.period_index = 0 OR sp.entitlement_id IS NOT NULL OR EXISTS (SELECT 1 FROM subscription_periods prev WHERE prev.subscription_id = sp.subscription_id
                 AND prev.period_index = sp.period_index - 1 AND prev.chain_state = 'included'))
        ORDER BY sp.subscription_id, sp.period_index LIMIT ${tokensPerCallMax * options.transactionsMax}`,
  );
  // Calls group the periods that share their argument: the first period's end, a renewal's length.
  const calls = new Map<string, PendingPeriod[]>();
  for (const row of rows) {
    const key = row.sets_expiry ? `set:${Math.floor(new Date(row.ends_at).getTime() / 1000)}` : `extend:${row.period_seconds}`;
    const group = calls.get(key) ?? [];
    if (group.length < tokensPerCallMax) group.push(row);
    calls.set(key, group);
  }
  let sent = 0;
  for (const [key, group] of [...calls].slice(0, options.transactionsMax)) {
    const [kind, value] = key.split(":") as ["set" | "extend", string];
    try {
      await sendPeriods(db, chain, group, kind, BigInt(value));
      sent += group.length;
    } catch (error) {
      if (!isContractRevert(error)) throw error;
      // One token refused (revoked meanwhile): send the others one by one, leave the refused pending.
      for (const row of group) {
        try {
          await sendPeriods(db, chain, [row], kind, BigInt(value));
          sent++;
        } catch (single) {
          if (!isContractRevert(single)) throw single;
        }
      }
    }
  }
  return sent;
}

async function sendPeriods(db: Drizzle, chain: ChainContext, rows: PendingPeriod[], kind: "set" | "extend", value: bigint): Promise<void> {
  const tokenIds = rows.map((row) => BigInt(row.token_id));
  const keys = sql.join(
    rows.map((row) => sql`(${row.subscription_id}::bigint, ${row.period_index}::int)`),
    sql`, `,
  );
  const mark = (state: "submitted" | "included", hash: Hex) =>
    db.execute(sql`UPDATE subscription_periods SET chain_state = ${state}, chain_tx = ${hash} WHERE (subscription_id, period_index) IN (${keys})`);
  const receipt = await sendContractTransaction(
    chain,
    kind === "set"
      ? { address: chain.addresses.entitlement, abi: entitlementTokenAbi, functionName: "setExpiries", args: [tokenIds, value] }
      : { address: chain.addresses.entitlement, abi: entitlementTokenAbi, functionName: "extendExpiries", args: [tokenIds, value] },
    (hash) => mark("submitted", hash).then(() => undefined),
  );
  await mark("included", receipt.transactionHash);
}
