// The public provenance timeline of one entitlement: anchored, sold, issued, each transfer
// (custodial resales, withdrawals, deposits, wallet-to-wallet transfers), redeemed or revoked,
// each with its transaction hash and time.
// On-chain steps come from the indexer's tables when it has indexed the token (final and
// tentative facts, docs/indexer.md); otherwise from the chain rows the platform's own writers
// recorded, plus the token's Transfer events read from the chain (wallet-to-wallet transfers
// are made by holders, so only the chain knows them). Off-chain steps (the original sale and
// each resale settlement) come from the platform's tables and carry no transaction hash.
// Pseudonymous holder ids and wallet addresses appear; accounts and emails never do.
import type { Hex } from "viem";
import { entitlementTokenAbi } from "../../chain/abis.ts";
import type { ChainContext } from "../../chain/chainContext.ts";
import { AppError } from "../../errors.ts";
import { tokenTimeline } from "../../../indexer/queries/redemptionOracle.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../store/database.ts";

export type TimelineStep = {
  kind: "anchored" | "sold" | "issued" | "resold" | "transferred" | "withdrawn" | "deposited" | "redeemed" | "revoked";
  transactionHash: string | null;
  time: string | null;
  details: Record<string, unknown>;
};

type Base = {
  id: bigint; token_id: string | null; state: string; batch_id: bigint; anchor_tx: string | null; anchored_at: Date | null; batch_created: Date;
  paid_at: Date | null; issue_tx: string | null; issued_at: Date | null; redeem_tx: string | null; revealed_at: Date | null;
};

export async function entitlementTimeline(db: Drizzle, chain: ChainContext | undefined, query: { entitlementId: bigint; limit: number }): Promise<{ entitlementId: string; tokenId: string | null; state: string; steps: TimelineStep[] }> {
  const base = await queryOne<Base>(
    db,
    sql`SELECT e.id, e.token_id::text AS token_id, e.state, e.batch_id, b.anchor_tx, b.anchored_at, b.created_at AS batch_created,
               o.paid_at, e.issue_tx, e.issued_at, e.redeem_tx, e.revealed_at
        FROM entitlements e JOIN batches b ON b.id = e.batch_id JOIN orders o ON o.id = e.order_id WHERE e.id = ${query.entitlementId}`,
  );
  if (!base) throw new AppError("not_found", `No entitlement ${query.entitlementId}.`);
  const steps: TimelineStep[] = [{ kind: "sold", transactionHash: null, time: iso(base.paid_at), details: { channel: "shop" } }];
  const resales = await queryRows<{ settled_at: Date; price_minor: bigint; currency: string; tx_hash: string | null; state: string; included_at: Date | null; from_holder: Buffer; to_holder: Buffer }>(
    db,
    sql`SELECT p.settled_at, p.price_minor, p.currency, c.tx_hash, c.state, c.included_at, c.from_holder, c.to_holder
        FROM custodial_transfers c JOIN resale_purchases p ON p.id = c.purchase_id
        WHERE c.entitlement_id = ${base.id} ORDER BY c.id LIMIT ${query.limit}`,
  );
  for (const resale of resales) {
    steps.push({
      kind: "resold",
      transactionHash: resale.tx_hash,
      time: iso(resale.included_at ?? resale.settled_at),
      details: { priceMinor: String(resale.price_minor), currency: resale.currency, fromHolder: hex(resale.from_holder), toHolder: hex(resale.to_holder), chainState: resale.state },
    });
  }
  const indexed = chain && base.token_id !== null
    ? await tokenTimeline(db, { chainId: Number(chain.chainId), tokenId: BigInt(base.token_id), limit: query.limit }).catch(() => [])
    : [];
  if (indexed.length > 0) {
    for (const entry of indexed) {
      if (entry.kind === "custodial_transfer") continue; // already shown as "resold", with the price
      steps.push({ kind: entry.kind === "transferred" ? "transferred" : entry.kind, transactionHash: entry.transactionHash, time: entry.time, details: { ...entry.details, blockNumber: entry.blockNumber, final: entry.final } });
    }
  } else {
    steps.push({ kind: "anchored", transactionHash: base.anchor_tx, time: iso(base.anchored_at ?? base.batch_created), details: { batchId: String(base.batch_id) } });
    const wallet = await walletSteps(db, chain, base, query.limit);
    if (base.token_id !== null) steps.push({ kind: "issued", transactionHash: base.issue_tx, time: iso(base.issued_at) ?? wallet.mintTime, details: { tokenId: base.token_id } });
    steps.push(...wallet.steps);
    if (base.redeem_tx) steps.push({ kind: "redeemed", transactionHash: base.redeem_tx, time: iso(base.revealed_at), details: {} });
    const revocation = await queryOne<{ tx_hash: string | null; created_at: Date; included_at: Date | null; reason_hash: Buffer }>(
      db,
      sql`SELECT tx_hash, created_at, included_at, reason_hash FROM entitlement_revocations WHERE entitlement_id = ${base.id}`,
    );
    if (revocation) steps.push({ kind: "revoked", transactionHash: revocation.tx_hash, time: iso(revocation.included_at ?? revocation.created_at), details: { reasonHash: hex(revocation.reason_hash) } });
  }
  steps.sort((a, b) => (a.time ?? "9999").localeCompare(b.time ?? "9999") || order(a.kind) - order(b.kind));
  return { entitlementId: String(base.id), tokenId: base.token_id, state: base.state, steps: steps.slice(0, query.limit) };
}

// Transfers out of and back into custody, and between wallets, from the token's Transfer events.
async function walletSteps(db: Drizzle, chain: ChainContext | undefined, base: Base, limit: number): Promise<{ steps: TimelineStep[]; mintTime: string | null }> {
  if (!chain || base.token_id === null) return { steps: [], mintTime: null };
  const custodian = (chain.custodian ?? "").toLowerCase();
  const logs = await chain.publicClient.getContractEvents({
    address: chain.addresses.entitlement,
    abi: entitlementTokenAbi,
    eventName: "Transfer",
    args: { tokenId: BigInt(base.token_id) },
    fromBlock: chain.deploymentBlock,
    toBlock: "latest",
  });
  const steps: TimelineStep[] = [];
  const times = new Map<bigint, string>();
  let mintTime: string | null = null;
  for (const log of logs.slice(0, limit)) {
    const { from, to } = log.args as { from: Hex; to: Hex };
    if (!times.has(log.blockNumber)) {
      const block = await chain.publicClient.getBlock({ blockNumber: log.blockNumber });
      times.set(log.blockNumber, new Date(Number(block.timestamp) * 1000).toISOString());
    }
    if (/^0x0{40}$/i.test(from)) {
      mintTime = times.get(log.blockNumber)!; // the mint is the issuance
      continue;
    }
    const kind = from.toLowerCase() === custodian ? "withdrawn" : to.toLowerCase() === custodian ? "deposited" : "transferred";
    steps.push({ kind, transactionHash: log.transactionHash, time: times.get(log.blockNumber)!, details: { from: from.toLowerCase(), to: to.toLowerCase(), blockNumber: String(log.blockNumber) } });
  }
  // A withdrawal queued but not yet mined is shown without a hash.
  const queued = await queryRows<{ created_at: Date; wallet: string }>(
    db,
    sql`SELECT created_at, wallet FROM wallet_movements WHERE entitlement_id = ${base.id} AND direction = 'withdrawal' AND state IN ('pending','submitted') LIMIT 1`,
  );
  for (const row of queued) steps.push({ kind: "withdrawn", transactionHash: null, time: iso(row.created_at), details: { to: row.wallet, chainState: "pending" } });
  return { steps, mintTime };
}

const kindOrder = ["anchored", "sold", "issued", "resold", "withdrawn", "transferred", "deposited", "redeemed", "revoked"];
const order = (kind: string) => kindOrder.indexOf(kind);
const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());
const hex = (value: Buffer | Uint8Array) => `0x${Buffer.from(value).toString("hex")}`;
