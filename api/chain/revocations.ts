// Records revocations on-chain in batches: revoke(tokenIds, reasonHash) marks each token revoked
// and locks it. One call carries one reason hash, so a batch is the pending revocations sharing
// the oldest one's reason. Tokens not yet issued wait for their issuance; a token the chain
// already shows revoked (a crash after sending) is marked included without a second call.
import { integerArrayLiteral } from "../../core/store/sqlArrays.ts";
import { byteaHex } from "../../core/store/byteStrings.ts";
import { queryRows, sql, type Drizzle } from "../../core/store/database.ts";
import { entitlementTokenAbi } from "../../core/chain/abis.ts";
import type { ChainContext } from "./chainContext.ts";
import { settleSubmitted } from "./settleSubmitted.ts";
import { sendContractTransaction } from "./sendContractTransaction.ts";

export async function revokePending(db: Drizzle, chain: ChainContext, options: { batchSizeMax: number }): Promise<number> {
  await settleSubmitted(db, chain, "entitlement_revocations");
  const rows = await queryRows<{ entitlement_id: bigint; token_id: string; reason_hash: Buffer }>(
    db,
    sql`WITH waiting AS (
          SELECT r.entitlement_id, e.token_id, r.reason_hash, r.created_at FROM entitlement_revocations r JOIN entitlements e ON e.id = r.entitlement_id
          WHERE r.state = 'pending' AND e.token_id IS NOT NULL AND e.issue_state IN ('included','confirmed'))
        SELECT entitlement_id, token_id::text AS token_id, reason_hash FROM waiting
        WHERE reason_hash = (SELECT reason_hash FROM waiting ORDER BY created_at, entitlement_id LIMIT 1)
        ORDER BY token_id LIMIT ${Math.min(options.batchSizeMax, 512)}`,
  );
  if (rows.length === 0) return 0;
  const revoked = await Promise.all(
    rows.map((row) =>
      chain.publicClient.readContract({
        address: chain.addresses.entitlement,
        abi: entitlementTokenAbi,
        functionName: "isRevoked",
        args: [BigInt(row.token_id)],
      }),
    ),
  );
  const already = rows.filter((_row, index) => revoked[index]).map((row) => String(row.entitlement_id));
  if (already.length) {
    await db.execute(
      sql`UPDATE entitlement_revocations SET state = 'included', included_at = now() WHERE entitlement_id = ANY(${integerArrayLiteral(already)}::bigint[])`,
    );
  }
  const send = rows.filter((_row, index) => !revoked[index]);
  if (send.length === 0) return 0;
  const ids = send.map((row) => String(row.entitlement_id));
  const receipt = await sendContractTransaction(
    chain,
    {
      address: chain.addresses.entitlement,
      abi: entitlementTokenAbi,
      functionName: "revoke",
      args: [send.map((row) => BigInt(row.token_id)), byteaHex(send[0]!.reason_hash)],
    },
    async (hash) => {
      await db.execute(
        sql`UPDATE entitlement_revocations SET state = 'submitted', tx_hash = ${hash} WHERE entitlement_id = ANY(${integerArrayLiteral(ids)}::bigint[])`,
      );
    },
  );
  await db.execute(
    sql`UPDATE entitlement_revocations SET state = 'included', tx_hash = ${receipt.transactionHash}, included_at = now() WHERE entitlement_id = ANY(${integerArrayLiteral(ids)}::bigint[])`,
  );
  return send.length;
}
