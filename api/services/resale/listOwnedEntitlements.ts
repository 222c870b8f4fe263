// The entitlements an account owns, newest first: state, token, where it is (custody or a
// wallet) and its active listing. Never a code: codes are shown only by a reveal.
import { queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { inCustody } from "./custody.ts";

export type OwnedEntitlement = {
  id: string;
  productId: string;
  state: string;
  tokenId: string | null;
  issueState: string;
  inCustody: boolean;
  wallet: string | null;
  listingId: string | null;
};

export async function listOwnedEntitlements(
  db: Drizzle,
  query: { accountId: bigint; custodian: string | undefined; beforeId?: bigint; limit: number },
): Promise<{ items: OwnedEntitlement[]; nextCursor: string | null }> {
  const rows = await queryRows<{
    id: bigint;
    product_id: bigint;
    state: string;
    token_id: string | null;
    issue_state: string;
    in_custody: boolean;
    owner_wallet: string | null;
    listing_id: bigint | null;
  }>(
    db,
    sql`SELECT e.id, e.product_id, e.state, e.token_id::text AS token_id, e.issue_state, ${inCustody(query.custodian)} AS in_custody, e.owner_wallet,
               (SELECT l.id FROM resale_listings l WHERE l.entitlement_id = e.id AND l.state = 'active') AS listing_id
        FROM entitlements e WHERE e.owner_account_id = ${query.accountId} AND e.id < ${query.beforeId ?? 9_000_000_000_000_000_000n}
        ORDER BY e.id DESC LIMIT ${query.limit}`,
  );
  const items = rows.map((row) => ({
    id: String(row.id),
    productId: String(row.product_id),
    state: row.state,
    tokenId: row.token_id,
    issueState: row.issue_state,
    inCustody: row.in_custody,
    wallet: row.in_custody ? null : row.owner_wallet,
    listingId: row.listing_id === null ? null : String(row.listing_id),
  }));
  return { items, nextCursor: rows.length === query.limit ? String(rows[rows.length - 1]!.id) : null };
}
