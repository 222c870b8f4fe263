// Records resales between custodial accounts on-chain in batches:
// recordCustodialTransfers(tokenIds, fromHolders, toHolders) names each token and the two
// accounts by pseudonymous holder ids; the token stays with the custodian. The contract refuses
// locked or revoked tokens, so a record is sent only for an issued token that is still sealed;
// records of revoked tokens are skipped. Before the records, the batches' ERC-2981 royalties
// waiting in batch_royalties are set (setRoyalty), one transaction each. Crash-safe like every
// chain writer (sendContractTransaction): rows left 'submitted' are settled from the receipt.
import type { Hex } from "viem";
import { byteaHex } from "../../core/store/byteStrings.ts";
import { queryRows, sql, type Drizzle } from "../../core/store/database.ts";
import { integerArrayLiteral } from "../../core/store/sqlArrays.ts";
import { entitlementTokenAbi } from "../../core/chain/abis.ts";
import type { ChainContext } from "./chainContext.ts";
import { sendContractTransaction } from "./sendContractTransaction.ts";
import { isContractRevert, settleSubmitted } from "./settleSubmitted.ts";

export async function recordCustodialTransfers(db: Drizzle, chain: ChainContext, options: { batchSizeMax: number }): Promise<number> {
  await settleSubmitted(db, chain, "custodial_transfers");
  await db.execute(
    sql`UPDATE custodial_transfers c SET state = 'skipped' FROM entitlements e
        WHERE e.id = c.entitlement_id AND c.state = 'pending' AND e.state = 'revoked'`,
  );
  const rows = await queryRows<{ id: bigint; token_id: string; from_holder: Buffer; to_holder: Buffer }>(
    db,
    sql`SELECT c.id, e.token_id::text AS token_id, c.from_holder, c.to_holder
        FROM custodial_transfers c JOIN entitlements e ON e.id = c.entitlement_id
        WHERE c.state = 'pending' AND e.token_id IS NOT NULL AND e.issue_state IN ('included','confirmed')
        ORDER BY c.id LIMIT ${Math.min(options.batchSizeMax, 512)}`,
  );
  if (rows.length === 0) return 0;
  const ids = rows.map((row) => String(row.id));
  try {
    const receipt = await sendContractTransaction(
      chain,
      {
        address: chain.addresses.entitlement,
        abi: entitlementTokenAbi,
        functionName: "recordCustodialTransfers",
        args: [rows.map((row) => BigInt(row.token_id)), rows.map((row) => byteaHex(row.from_holder)), rows.map((row) => byteaHex(row.to_holder))],
      },
      async (hash) => {
        await db.execute(sql`UPDATE custodial_transfers SET state = 'submitted', tx_hash = ${hash} WHERE id = ANY(${integerArrayLiteral(ids)}::bigint[])`);
      },
    );
    await db.execute(
      sql`UPDATE custodial_transfers SET state = 'included', tx_hash = ${receipt.transactionHash}, included_at = now() WHERE id = ANY(${integerArrayLiteral(ids)}::bigint[])`,
    );
    return rows.length;
  } catch (error) {
    if (!isContractRevert(error)) throw error;
    // Some token was locked or revoked on-chain meanwhile: skip those, send the rest next time.
    for (const row of rows) {
      const [locked, revoked] = await Promise.all(
        (["locked", "isRevoked"] as const).map((functionName) =>
          chain.publicClient.readContract({ address: chain.addresses.entitlement, abi: entitlementTokenAbi, functionName, args: [BigInt(row.token_id)] }),
        ),
      );
      if (locked || revoked) await db.execute(sql`UPDATE custodial_transfers SET state = 'skipped' WHERE id = ${row.id} AND state = 'pending'`);
    }
    return 0;
  }
}

/** ERC-2981 royalties of batches that have listings, one setRoyalty each (bounded per sweep). */
export async function setPendingRoyalties(db: Drizzle, chain: ChainContext, options: { transactionsMax: number }): Promise<number> {
  await settleSubmitted(db, chain, "batch_royalties");
  const rows = await queryRows<{ batch_id: bigint; receiver: Hex; basis_points: number }>(
    db,
    sql`SELECT batch_id, receiver, basis_points FROM batch_royalties WHERE state = 'pending' ORDER BY batch_id LIMIT ${options.transactionsMax}`,
  );
  for (const row of rows) {
    const receipt = await sendContractTransaction(
      chain,
      {
        address: chain.addresses.entitlement,
        abi: entitlementTokenAbi,
        functionName: "setRoyalty",
        args: [BigInt(row.batch_id), row.receiver, BigInt(row.basis_points)],
      },
      async (hash) => {
        await db.execute(sql`UPDATE batch_royalties SET state = 'submitted', tx_hash = ${hash} WHERE batch_id = ${row.batch_id}`);
      },
    );
    await db.execute(sql`UPDATE batch_royalties SET state = 'included', tx_hash = ${receipt.transactionHash} WHERE batch_id = ${row.batch_id}`);
  }
  return rows.length;
}
