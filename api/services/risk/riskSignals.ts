// Reads a checkout's risk signals in one round trip: blacklist hits (the shop's own entries and
// the platform's) and the last hour's orders per contact, address, device and wallet.
import { queryPreparedOne, sql, type Drizzle } from "../../../core/store/database.ts";
import type { RiskSignals } from "./scoreOrderRisk.ts";

export type RiskSubject = {
  shopId: bigint;
  buyerAccountId?: bigint;
  /** The guest's contact, or the account's email. */
  email?: string;
  clientAddress?: string;
  deviceId?: string;
  walletAddress?: string;
};

export async function readRiskSignals(db: Drizzle, subject: RiskSubject): Promise<RiskSignals> {
  const wallet = subject.walletAddress?.toLowerCase() ?? null;
  // Prepared: every checkout reads it, and planning its CTE and subqueries cost more than running them.
  const row = await queryPreparedOne<{
    email_hit: boolean;
    client_hit: boolean;
    wallet_hit: boolean;
    by_contact: string;
    by_client: string;
    by_device: string;
    by_wallet: string;
  }>(
    db,
    "checkout_risk_signals",
    sql`WITH entries AS (SELECT kind, value, ip_range FROM blacklist_entries WHERE shop_id IS NULL OR shop_id = ${subject.shopId})
        SELECT
          EXISTS (SELECT 1 FROM entries WHERE kind = 'email' AND value = ${subject.email ?? null}::text) AS email_hit,
          EXISTS (SELECT 1 FROM entries WHERE kind = 'ip_range' AND ${subject.clientAddress ?? null}::text IS NOT NULL
                  AND ip_range >>= ${subject.clientAddress ?? null}::inet) AS client_hit,
          EXISTS (SELECT 1 FROM entries WHERE kind = 'wallet' AND value = ${wallet}::text) AS wallet_hit,
          CASE WHEN ${subject.buyerAccountId ?? null}::bigint IS NOT NULL
            THEN (SELECT count(*) FROM orders WHERE buyer_account_id = ${subject.buyerAccountId ?? null}::bigint AND created_at > now() - interval '1 hour')
            ELSE (SELECT count(*) FROM orders WHERE contact = ${subject.email ?? null}::text AND created_at > now() - interval '1 hour') END AS by_contact,
          (SELECT count(*) FROM orders WHERE client_address = ${subject.clientAddress ?? null}::text AND created_at > now() - interval '1 hour') AS by_client,
          (SELECT count(*) FROM orders WHERE device_id = ${subject.deviceId ?? null}::text AND created_at > now() - interval '1 hour') AS by_device,
          (SELECT count(*) FROM orders WHERE wallet_address = ${wallet}::text AND created_at > now() - interval '1 hour') AS by_wallet`,
  );
  return {
    emailBlacklisted: row!.email_hit,
    clientBlacklisted: row!.client_hit,
    walletBlacklisted: row!.wallet_hit,
    ordersLastHour: { contact: Number(row!.by_contact), client: Number(row!.by_client), device: Number(row!.by_device), wallet: Number(row!.by_wallet) },
    deviceKnown: subject.deviceId !== undefined,
  };
}
