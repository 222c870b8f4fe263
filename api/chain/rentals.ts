// The chain side of rentals (docs/rentals.md), crash-safe like every chain writer
// (sendContractTransaction; rows left 'submitted' are settled from the receipt):
// - enableRental for entitlements offered for rent for the first time, in batches (each token's
//   rental cell is written once, so no rental ever pays for a fresh storage slot);
// - setUser for each settled rental once its token is rentable on-chain: the renter's
//   pseudonymous user address until the term's end. Nothing is ever sent at the end of a term:
//   the contract's userOf stops naming the user by itself.
import type { Hex } from "viem";
import { queryRows, sql, type Drizzle } from "../../core/store/database.ts";
import { integerArrayLiteral } from "../../core/store/sqlArrays.ts";
import { entitlementTokenAbi } from "../../core/chain/abis.ts";
import type { ChainContext } from "./chainContext.ts";
import { sendContractTransaction } from "./sendContractTransaction.ts";
import { isContractRevert, settleSubmitted } from "./settleSubmitted.ts";

export async function enablePendingRentals(db: Drizzle, chain: ChainContext, options: { batchSizeMax: number }): Promise<number> {
  await settleSubmitted(db, chain, "rental_enables");
  // A token revealed or revoked before its enableRental was sent can never be rented: drop it.
  await db.execute(sql`UPDATE entitlements SET rental_chain_state = NULL WHERE rental_chain_state = 'pending' AND state <> 'sealed'`);
  const rows = await queryRows<{ id: bigint; token_id: string }>(
    db,
    sql`SELECT id, token_id::text AS token_id FROM entitlements
        WHERE rental_chain_state = 'pending' AND token_id IS NOT NULL AND issue_state IN ('included','confirmed')
        ORDER BY id LIMIT ${Math.min(options.batchSizeMax, 512)}`,
  );
  if (rows.length === 0) return 0;
  const ids = integerArrayLiteral(rows.map((row) => String(row.id)));
  try {
    const receipt = await sendContractTransaction(
      chain,
      { address: chain.addresses.entitlement, abi: entitlementTokenAbi, functionName: "enableRental", args: [rows.map((row) => BigInt(row.token_id))] },
      async (hash) => {
        await db.execute(sql`UPDATE entitlements SET rental_chain_state = 'submitted', rental_chain_tx = ${hash} WHERE id = ANY(${ids}::bigint[])`);
      },
    );
    await db.execute(
      sql`UPDATE entitlements SET rental_chain_state = 'included', rental_chain_tx = ${receipt.transactionHash} WHERE id = ANY(${ids}::bigint[])`,
    );
    return rows.length;
  } catch (error) {
    if (!isContractRevert(error)) throw error;
    // Some token was locked, revoked or already rentable on-chain meanwhile: settle those one by
    // one from the chain, send the rest next time.
    for (const row of rows) {
      const [rentable, locked] = await Promise.all(
        (["isRentable", "locked"] as const).map((functionName) =>
          chain.publicClient.readContract({ address: chain.addresses.entitlement, abi: entitlementTokenAbi, functionName, args: [BigInt(row.token_id)] }),
        ),
      );
      if (rentable) await db.execute(sql`UPDATE entitlements SET rental_chain_state = 'included' WHERE id = ${row.id} AND rental_chain_state = 'pending'`);
      else if (locked) await db.execute(sql`UPDATE entitlements SET rental_chain_state = NULL WHERE id = ${row.id} AND rental_chain_state = 'pending'`);
    }
    return 0;
  }
}

/** One setUser per settled rental whose token is rentable on-chain (bounded per sweep). */
export async function setPendingRentalUsers(db: Drizzle, chain: ChainContext, options: { transactionsMax: number }): Promise<number> {
  await settleSubmitted(db, chain, "rental_users");
  const rows = await queryRows<{ id: string; token_id: string; user_address: Hex; ends_at: Date }>(
    db,
    sql`SELECT r.id, e.token_id::text AS token_id, r.user_address, r.ends_at
        FROM rentals r JOIN entitlements e ON e.id = r.entitlement_id
        WHERE r.chain_state = 'pending' AND e.rental_chain_state = 'included'
        ORDER BY r.id LIMIT ${options.transactionsMax}`,
  );
  for (const row of rows) {
    const expires = BigInt(Math.floor(new Date(row.ends_at).getTime() / 1000));
    const receipt = await sendContractTransaction(
      chain,
      { address: chain.addresses.entitlement, abi: entitlementTokenAbi, functionName: "setUser", args: [BigInt(row.token_id), row.user_address, expires] },
      async (hash) => {
        await db.execute(sql`UPDATE rentals SET chain_state = 'submitted', tx_hash = ${hash} WHERE id = ${row.id}`);
      },
    );
    await db.execute(sql`UPDATE rentals SET chain_state = 'included', tx_hash = ${receipt.transactionHash} WHERE id = ${row.id}`);
  }
  return rows.length;
}
