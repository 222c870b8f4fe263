// The evidence of a dispute, gathered from facts only (docs/disputes.md, "Evidence"): when the
// order was paid and delivered; per key, its chain timeline (issued, transferred, withdrawn,
// deposited, redeemed on-chain, revoked, with transaction hashes: entitlementTimeline), when the
// platform first showed the code and from which network region and device class (the view log),
// whether the same code was sold in another shop and redeemed there; and the order's ledger
// entries. Nothing here is what a party says; both parties and the platform see the same page.
import type { MasterKeyRing } from "../../keys/masterKeys.ts";
import type { ChainContext } from "../../chain/chainContext.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { readEntitlementCode } from "../resale/readEntitlementCode.ts";
import { entitlementTimeline, type TimelineStep } from "../resale/entitlementTimeline.ts";
import { findOtherKeysWithSecret } from "../verify/findKeyBySecret.ts";

const stepsPerKeyMax = 50;
const keysPerOrderMax = 20;
const otherSalesMax = 5;
const ledgerEntriesMax = 50;

export type KeyEvidence = {
  entitlementId: string;
  tokenId: string | null;
  state: string;
  revealedAt: string | null;
  firstView: { viewedAt: string; networkRegion: string | null; deviceClass: string; channel: string } | null;
  viewCount: number;
  redeemedOnChain: { transactionHash: string | null; time: string | null } | null;
  transferred: boolean;
  withdrawn: boolean;
  revoked: boolean;
  timeline: TimelineStep[];
  sameCodeElsewhere: { shopId: string; entitlementState: string | null; redeemedOnChain: boolean }[];
};

export type DisputeEvidence = {
  orderId: string;
  paidAt: string | null;
  deliveredAt: string | null;
  keys: KeyEvidence[];
  ledger: { transactionId: string; kind: string; createdAt: string; postings: { account: string; amountMinor: string; currency: string }[] }[];
};

const iso = (value: Date | string | null | undefined) => (value == null ? null : new Date(value).toISOString());

export async function disputeEvidence(db: Drizzle, ring: MasterKeyRing, chain: ChainContext | undefined, orderId: string): Promise<DisputeEvidence> {
  const order = await queryOne<{ paid_at: Date | null; fulfilled_at: Date | null }>(db, sql`SELECT paid_at, fulfilled_at FROM orders WHERE id = ${orderId}`);
  const entitlements = await queryRows<{ id: bigint; key_id: bigint; revealed_at: Date | null }>(
    db,
    sql`SELECT id, key_id, revealed_at FROM entitlements WHERE order_id = ${orderId} ORDER BY id LIMIT ${keysPerOrderMax}`,
  );
  const keys: KeyEvidence[] = [];
  for (const entitlement of entitlements) keys.push(await keyEvidence(db, ring, chain, entitlement));
  return { orderId, paidAt: iso(order?.paid_at), deliveredAt: iso(order?.fulfilled_at), keys, ledger: await orderLedgerEntries(db, orderId) };
}

async function keyEvidence(
  db: Drizzle,
  ring: MasterKeyRing,
  chain: ChainContext | undefined,
  entitlement: { id: bigint; key_id: bigint; revealed_at: Date | null },
): Promise<KeyEvidence> {
  const entitlementId = BigInt(entitlement.id);
  const timeline = await entitlementTimeline(db, chain, { entitlementId, limit: stepsPerKeyMax });
  const views = await queryOne<{ n: string; viewed_at: Date | null; network_region: string | null; device_class: string | null; channel: string | null }>(
    db,
    sql`SELECT (SELECT count(*) FROM entitlement_views WHERE entitlement_id = ${entitlementId})::text AS n, v.viewed_at, v.network_region, v.device_class, v.channel
        FROM (SELECT 1) one LEFT JOIN LATERAL (SELECT * FROM entitlement_views WHERE entitlement_id = ${entitlementId} ORDER BY viewed_at, id LIMIT 1) v ON true`,
  );
  const redeemed = timeline.steps.find((step) => step.kind === "redeemed");
  const has = (kind: TimelineStep["kind"]) => timeline.steps.some((step) => step.kind === kind);
  // The code is decrypted only to hash it under each shop's dedupe key; it leaves nothing behind.
  const secret = await readEntitlementCode(db, ring, entitlementId);
  const others = await findOtherKeysWithSecret(db, ring, secret, { exceptKeyId: BigInt(entitlement.key_id), limit: otherSalesMax });
  const sameCodeElsewhere = [];
  for (const other of others) {
    const row = await queryOne<{ state: string; redeem_state: string | null }>(
      db,
      sql`SELECT state, redeem_state FROM entitlements WHERE key_id = ${other.keyId}`,
    );
    sameCodeElsewhere.push({
      shopId: String(other.shopId),
      entitlementState: row?.state ?? null,
      redeemedOnChain: row?.redeem_state === "included" || row?.redeem_state === "confirmed",
    });
  }
  return {
    entitlementId: String(entitlementId),
    tokenId: timeline.tokenId,
    state: timeline.state,
    revealedAt: iso(entitlement.revealed_at),
    firstView: views?.viewed_at
      ? { viewedAt: iso(views.viewed_at)!, networkRegion: views.network_region, deviceClass: views.device_class!, channel: views.channel! }
      : null,
    viewCount: Number(views?.n ?? 0),
    redeemedOnChain: redeemed ? { transactionHash: redeemed.transactionHash, time: redeemed.time } : null,
    transferred: has("transferred") || has("resold"),
    withdrawn: has("withdrawn"),
    revoked: has("revoked"),
    timeline: timeline.steps,
    sameCodeElsewhere,
  };
}

/** The order's journal entries: its payment and refunds, its proceeds holds and their resolutions. */
async function orderLedgerEntries(db: Drizzle, orderId: string): Promise<DisputeEvidence["ledger"]> {
  const rows = await queryRows<{
    id: bigint;
    kind: string;
    created_at: Date;
    owner_type: string;
    owner_id: bigint;
    purpose: string;
    amount_minor: bigint;
    currency: string;
  }>(
    db,
    sql`WITH entries AS (
          SELECT id FROM ledger_transactions
          WHERE (reference_type = 'order' AND reference_id = ${orderId})
             OR (reference_type = 'hold' AND reference_id LIKE ${`proceeds:${orderId}:%`})
             OR id IN (SELECT h.resolved_tx_id FROM order_proceeds_holds ph JOIN ledger_holds h ON h.id = ph.hold_id WHERE ph.order_id = ${orderId})
             OR id IN (SELECT t.id FROM dispute_refunds r JOIN ledger_transactions t ON t.idempotency_key LIKE 'order:' || r.order_id || ':refund:%:balance' WHERE r.order_id = ${orderId})
          ORDER BY id LIMIT ${ledgerEntriesMax})
        SELECT t.id, t.kind, t.created_at, a.owner_type, a.owner_id, a.purpose, p.amount_minor, p.currency
        FROM entries e JOIN ledger_transactions t ON t.id = e.id JOIN ledger_postings p ON p.tx_id = t.id JOIN ledger_accounts a ON a.id = p.account_id
        ORDER BY t.id, a.id`,
  );
  const entries = new Map<string, DisputeEvidence["ledger"][number]>();
  for (const row of rows) {
    const id = String(row.id);
    let entry = entries.get(id);
    if (!entry) {
      entry = { transactionId: id, kind: row.kind, createdAt: iso(row.created_at)!, postings: [] };
      entries.set(id, entry);
    }
    // A buyer's account id is not shown to the merchant: "buyer:<purpose>" is enough to read the entry.
    const owner = row.owner_type === "buyer" ? "buyer" : `${row.owner_type}:${row.owner_id}`;
    entry.postings.push({ account: `${owner}:${row.purpose}`, amountMinor: String(row.amount_minor), currency: row.currency });
  }
  return [...entries.values()];
}
