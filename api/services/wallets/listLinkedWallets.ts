// The wallets an account has linked by Sign-In With Ethereum, oldest first.
import { queryRows, sql, type Drizzle } from "../../../core/store/database.ts";

/** An account links few wallets; the list is bounded all the same. */
export const linkedWalletsMax = 100;

export type LinkedWallet = { address: string; linkedAt: string };

export async function listLinkedWallets(db: Drizzle, parameters: { accountId: bigint }): Promise<LinkedWallet[]> {
  const rows = await queryRows<{ address: string; linked_at: Date }>(
    db,
    sql`SELECT address, linked_at FROM wallet_links WHERE account_id = ${parameters.accountId} ORDER BY linked_at LIMIT ${linkedWalletsMax}`,
  );
  return rows.map((row) => ({ address: row.address, linkedAt: new Date(row.linked_at).toISOString() }));
}
