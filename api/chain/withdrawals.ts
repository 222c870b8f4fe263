// Sends withdrawals: one ERC-721 transferFrom(custodian, wallet, tokenId) per entitlement
// (the operator is the custodian in the local deployment; a separate custodian must approve
// the operator with setApprovalForAll). A withdrawal the contract refuses (the token was
// locked or revoked meanwhile) fails and the entitlement returns to custody in the database.
import type { Hex } from "viem";
import { queryRows, sql, type Drizzle } from "../../core/store/database.ts";
import { entitlementTokenAbi } from "../../core/chain/abis.ts";
import type { ChainContext } from "./chainContext.ts";
import { isContractRevert, settleSubmitted } from "./settleSubmitted.ts";
import { sendContractTransaction } from "./sendContractTransaction.ts";

export async function sendWithdrawals(db: Drizzle, chain: ChainContext, options: { transactionsMax: number }): Promise<number> {
  await settleSubmitted(db, chain, "wallet_movements");
  const custodian = chain.custodian;
  if (!custodian) return 0;
  const rows = await queryRows<{ id: bigint; entitlement_id: bigint; wallet: Hex; token_id: string }>(
    db,
    sql`SELECT w.id, w.entitlement_id, w.wallet, e.token_id::text AS token_id
        FROM wallet_movements w JOIN entitlements e ON e.id = w.entitlement_id
        WHERE w.direction = 'withdrawal' AND w.state = 'pending' AND e.token_id IS NOT NULL AND e.issue_state IN ('included','confirmed')
        ORDER BY w.id LIMIT ${options.transactionsMax}`,
  );
  let sent = 0;
  for (const row of rows) {
    try {
      const receipt = await sendContractTransaction(
        chain,
        { address: chain.addresses.entitlement, abi: entitlementTokenAbi, functionName: "transferFrom", args: [custodian, row.wallet, BigInt(row.token_id)] },
        async (hash) => {
          await db.execute(sql`UPDATE wallet_movements SET state = 'submitted', tx_hash = ${hash} WHERE id = ${row.id}`);
        },
      );
      await db.execute(sql`UPDATE wallet_movements SET state = 'included', tx_hash = ${receipt.transactionHash}, included_at = now() WHERE id = ${row.id}`);
      sent++;
    } catch (error) {
      if (!isContractRevert(error)) throw error;
      await db.transaction(async (tx) => {
        await tx.execute(sql`UPDATE wallet_movements SET state = 'failed' WHERE id = ${row.id} AND state = 'pending'`);
        await tx.execute(
          sql`UPDATE entitlements SET owner_wallet = NULL WHERE id = ${row.entitlement_id} AND lower(owner_wallet) = ${row.wallet.toLowerCase()}`,
        );
      });
    }
  }
  return sent;
}
