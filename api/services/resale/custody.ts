// An entitlement is in custody when no wallet holds it: owner_wallet is null, or names the
// custodian, or it was never withdrawn (or was deposited back since its last withdrawal).
// owner_wallet alone is not enough: the indexer projects every final Transfer into it, and
// without CUSTODIAN_ADDRESS it records the custodian's address for tokens minted to custody.
import type { SQL } from "drizzle-orm";
import { sql } from "../../../core/store/database.ts";

export function inCustody(custodian: string | undefined): SQL {
  return sql`(e.owner_wallet IS NULL OR lower(e.owner_wallet) = ${(custodian ?? "").toLowerCase()}
    OR coalesce((SELECT w.direction FROM wallet_movements w WHERE w.entitlement_id = e.id AND w.state <> 'failed' ORDER BY w.id DESC LIMIT 1), 'deposit') = 'deposit')`;
}
