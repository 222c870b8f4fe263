// Records redemptions (revealed codes) on-chain in batches: redeem(tokenIds) locks each token
// (ERC-5192), so a seen code can never be resold. Only entitlements already issued on-chain
// can be redeemed there; the rest wait for their issuance.
import { queryRows, sql, type Drizzle } from "../../core/store/database.ts";
import type { ChainContext } from "./chainContext.ts";
import { entitlementTokenAbi } from "../../core/chain/abis.ts";
import { sendContractTransaction } from "./sendContractTransaction.ts";
import { settleSubmitted } from "./settleSubmitted.ts";
import { integerArrayLiteral } from "../../core/store/sqlArrays.ts";
import { entitlementRedemption } from "../../core/store/entitlementStates.ts";

export async function redeemPending(db: Drizzle, chain: ChainContext, options: { batchSizeMax: number }): Promise<number> {
  await settleSubmitted(db, chain, "redemptions");
  const rows = await queryRows<{ id: bigint; token_id: string }>(
    db,
    sql`SELECT id, token_id::text AS token_id FROM entitlements
        WHERE redeem_state = 'pending' AND token_id IS NOT NULL AND issue_state IN ('included', 'confirmed')
        ORDER BY token_id LIMIT ${options.batchSizeMax}`,
  );
  if (rows.length === 0) return 0;
  const ids = rows.map((row) => String(row.id));
  const receipt = await sendContractTransaction(
    chain,
    {
      address: chain.addresses.entitlement,
      abi: entitlementTokenAbi,
      functionName: "redeem",
      args: [rows.map((row) => BigInt(row.token_id))],
    },
    async (hash) => {
      await db.execute(
        sql`UPDATE entitlements SET ${sql.raw(entitlementRedemption.set("submit"))}, redeem_tx = ${hash} WHERE id = ANY(${integerArrayLiteral(ids)}::bigint[])`,
      );
    },
  );
  await db.execute(
    sql`UPDATE entitlements SET ${sql.raw(entitlementRedemption.advance("include"))}, redeem_tx = ${receipt.transactionHash}
        WHERE id = ANY(${integerArrayLiteral(ids)}::bigint[])`,
  );
  return rows.length;
}
