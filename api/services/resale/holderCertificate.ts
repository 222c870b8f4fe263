// The certificate of an entitlement for its current holder in custody, wherever it came from
// (their own order, or a resale): a reseller's buyer has no order of the key's, and needs the
// certificate to check, after reveal, that the code they got is the one committed. The salt is
// released only once the holder revealed the code (buildCertificate's "holder" rule); a former
// holder gets not_found here, like for the code.
import type { ChainContext } from "../../chain/chainContext.ts";
import { AppError } from "../../../core/errors.ts";
import { buildCertificate } from "../../keys/certificate.ts";
import type { Certificate } from "../../../core/keys/certificateSchema.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { inCustody } from "./custody.ts";

export async function holderCertificate(
  db: Drizzle,
  chain: ChainContext | undefined,
  parameters: { accountId: bigint; entitlementId: bigint },
): Promise<Certificate> {
  const row = await queryOne<{ key_id: bigint }>(
    db,
    sql`SELECT e.key_id FROM entitlements e
        WHERE e.id = ${parameters.entitlementId} AND e.owner_account_id = ${parameters.accountId} AND ${inCustody(chain?.custodian)}`,
  );
  if (!row) throw new AppError("not_found", `You hold no entitlement ${parameters.entitlementId} in custody.`);
  if (!chain) throw new AppError("chain_unavailable", "No chain is configured, so no certificate can be issued yet.", { retryable: true });
  return buildCertificate(
    db,
    BigInt(row.key_id),
    { chainId: chain.chainId, registry: chain.addresses.registry, entitlement: chain.addresses.entitlement },
    "holder",
  );
}
