// A holder sends a token back into custody with an ordinary ERC-721 transfer to the custodian;
// the platform credits the account linked to the sending wallet once it sees the transfer in
// the transaction's receipt (anyone may point the platform at the transaction). Each token is
// credited only if the chain says the custodian holds it now (an old deposit replayed after a
// later withdrawal credits nothing) and the entitlement is sealed; a transaction credits once.
import { parseEventLogs, type Hex } from "viem";
import { entitlementTokenAbi } from "../../../core/chain/abis.ts";
import type { ChainContext } from "../../chain/chainContext.ts";
import { findReceipt } from "../../chain/sendContractTransaction.ts";
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { recordAudit } from "../audit.ts";

export type CreditedDeposit = { entitlementId: string; tokenId: string; accountId: string; wallet: string };

export async function creditDeposit(db: Drizzle, chain: ChainContext, parameters: { transactionHash: Hex }): Promise<{ credited: CreditedDeposit[] }> {
  const custodian = (chain.custodian ?? "").toLowerCase();
  const receipt = await findReceipt(chain, parameters.transactionHash);
  if (receipt?.status !== "success") throw new AppError("not_found", "No successful transaction with this hash on the chain (yet).", { retryable: true });
  const transfers = parseEventLogs({ abi: entitlementTokenAbi, logs: receipt.logs, eventName: "Transfer" }).filter(
    (log) => log.address.toLowerCase() === chain.addresses.entitlement.toLowerCase() && log.args.to.toLowerCase() === custodian,
  );
  if (transfers.length === 0) throw new AppError("bad_request", "The transaction transfers no entitlement token to the custodian.");
  const credited: CreditedDeposit[] = [];
  for (const transfer of transfers) {
    const wallet = transfer.args.from.toLowerCase();
    const tokenId = transfer.args.tokenId;
    const owner = await chain.publicClient.readContract({
      address: chain.addresses.entitlement,
      abi: entitlementTokenAbi,
      functionName: "ownerOf",
      args: [tokenId],
    });
    if (owner.toLowerCase() !== custodian) continue;
    const result = await db.transaction(async (tx) => {
      const link = await queryOne<{ account_id: bigint }>(tx, sql`SELECT account_id FROM wallet_links WHERE address = ${wallet}`);
      if (!link) return undefined;
      const entitlement = await queryOne<{ id: bigint }>(
        tx,
        sql`UPDATE entitlements SET owner_wallet = NULL, owner_account_id = ${link.account_id}
            WHERE token_id = ${tokenId.toString()}::numeric AND state = 'sealed' AND owner_wallet IS NOT NULL AND lower(owner_wallet) <> ${custodian}
            RETURNING id`,
      );
      if (!entitlement) return undefined;
      await tx.execute(
        sql`INSERT INTO wallet_movements (entitlement_id, account_id, direction, wallet, state, tx_hash, included_at)
            VALUES (${entitlement.id}, ${link.account_id}, 'deposit', ${wallet}, 'included', ${receipt.transactionHash}, now())`,
      );
      await recordAudit(tx, {
        accountId: BigInt(link.account_id),
        action: "wallet.deposit",
        subject: `entitlement:${entitlement.id}`,
        details: { wallet, transactionHash: receipt.transactionHash },
      });
      return { entitlementId: String(entitlement.id), tokenId: tokenId.toString(), accountId: String(link.account_id), wallet };
    });
    if (result) credited.push(result);
  }
  return { credited };
}
