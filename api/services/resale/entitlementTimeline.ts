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
import { entitlementTokenAbi } from "../../../core/chain/abis.ts";
import type { ChainContext } from "../../chain/chainContext.ts";
import { findReceipt } from "../../chain/sendContractTransaction.ts";
import { AppError } from "../../../core/errors.ts";
import { tokenTimeline } from "../chainRecords/redemptionOracle.ts";
import { byteaHex } from "../../../core/store/byteStrings.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";

export type TimelineStep = {
  kind: "anchored" | "sold" | "issued" | "resold" | "transferred" | "withdrawn" | "deposited" | "redeemed" | "revoked";
  transactionHash: string | null;
  /** On-chain steps: the block's time; off-chain steps (and chain steps not yet mined): the platform's. */
  time: string | null;
  details: Record<string, unknown>;
};

// Where a step sorts: the lifecycle fixes the phases (a locked token never moves again, a
// revocation ends everything); moves sort among themselves in chain order, unmined ones last.
// Chain and server clocks differ, so times alone cannot order chain and off-chain steps.
type Sortable = TimelineStep & { blockNumber?: bigint; logIndex?: number };

type Base = {
  id: bigint;
  token_id: string | null;
  state: string;
  batch_id: bigint;
  anchor_tx: string | null;
  anchored_at: Date | null;
  batch_created: Date;
  paid_at: Date | null;
  issue_tx: string | null;
  issued_at: Date | null;
  redeem_tx: string | null;
  revealed_at: Date | null;
};

export async function entitlementTimeline(
  db: Drizzle,
  chain: ChainContext | undefined,
  query: { entitlementId: bigint; limit: number },
): Promise<{ entitlementId: string; tokenId: string | null; state: string; steps: TimelineStep[] }> {
  const base = await queryOne<Base>(
    db,
    sql`SELECT e.id, e.token_id::text AS token_id, e.state, e.batch_id, b.anchor_tx, b.anchored_at, b.created_at AS batch_created,
               o.paid_at, e.issue_tx, e.issued_at, e.redeem_tx, e.revealed_at
        FROM entitlements e JOIN batches b ON b.id = e.batch_id JOIN orders o ON o.id = e.order_id WHERE e.id = ${query.entitlementId}`,
  );
  if (!base) throw new AppError("not_found", `No entitlement ${query.entitlementId}.`);
  const blocks = blockFacts(chain);
  const steps: Sortable[] = [{ kind: "sold", transactionHash: null, time: iso(base.paid_at), details: { channel: "shop" } }];
  const resales = await queryRows<{
    settled_at: Date;
    price_minor: bigint;
    currency: string;
    tx_hash: string | null;
    state: string;
    included_at: Date | null;
    from_holder: Buffer;
    to_holder: Buffer;
  }>(
    db,
    sql`SELECT p.settled_at, p.price_minor, p.currency, c.tx_hash, c.state, c.included_at, c.from_holder, c.to_holder
        FROM custodial_transfers c JOIN resale_purchases p ON p.id = c.purchase_id
        WHERE c.entitlement_id = ${base.id} ORDER BY c.id LIMIT ${query.limit}`,
  );
  for (const resale of resales) {
    const mined = resale.tx_hash && resale.state === "included" ? await blocks(resale.tx_hash) : undefined;
    steps.push({
      kind: "resold",
      transactionHash: resale.tx_hash,
      time: mined?.time ?? iso(resale.included_at ?? resale.settled_at),
      ...(mined ? { blockNumber: mined.blockNumber } : {}),
      details: {
        priceMinor: String(resale.price_minor),
        currency: resale.currency,
        fromHolder: byteaHex(resale.from_holder),
        toHolder: byteaHex(resale.to_holder),
        chainState: resale.state,
      },
    });
  }
  const indexed =
    chain && base.token_id !== null
      ? await tokenTimeline(db, { chainId: Number(chain.chainId), tokenId: BigInt(base.token_id), limit: query.limit }).catch(() => [])
      : [];
  if (indexed.length > 0) {
    for (const entry of indexed) {
      if (entry.kind === "custodial_transfer") continue; // already shown as "resold", with the price
      const kind = entry.kind === "transferred" ? transferKind(entry.details, (chain?.custodian ?? "").toLowerCase()) : entry.kind;
      if (entry.kind === "transferred" && /^0x0{40}$/i.test(String(entry.details.from))) continue; // the mint is the issuance
      steps.push({
        kind,
        transactionHash: entry.transactionHash,
        time: entry.time,
        blockNumber: BigInt(entry.blockNumber),
        details: { ...entry.details, blockNumber: entry.blockNumber, final: entry.final },
      });
    }
  } else {
    const anchor = base.anchor_tx ? await blocks(base.anchor_tx) : undefined;
    steps.push({
      kind: "anchored",
      transactionHash: base.anchor_tx,
      time: anchor?.time ?? iso(base.anchored_at ?? base.batch_created),
      details: { batchId: String(base.batch_id) },
    });
    const wallet = await walletSteps(db, chain, base, query.limit);
    const issue = base.issue_tx ? await blocks(base.issue_tx) : undefined;
    if (base.token_id !== null)
      steps.push({
        kind: "issued",
        transactionHash: base.issue_tx,
        time: issue?.time ?? wallet.mintTime ?? iso(base.issued_at),
        details: { tokenId: base.token_id },
      });
    steps.push(...wallet.steps);
    const redemption = base.redeem_tx ? await blocks(base.redeem_tx) : undefined;
    if (base.redeem_tx) steps.push({ kind: "redeemed", transactionHash: base.redeem_tx, time: redemption?.time ?? iso(base.revealed_at), details: {} });
    const revocation = await queryOne<{ tx_hash: string | null; created_at: Date; included_at: Date | null; reason_hash: Buffer }>(
      db,
      sql`SELECT tx_hash, created_at, included_at, reason_hash FROM entitlement_revocations WHERE entitlement_id = ${base.id}`,
    );
    const revoke = revocation?.tx_hash ? await blocks(revocation.tx_hash) : undefined;
    if (revocation)
      steps.push({
        kind: "revoked",
        transactionHash: revocation.tx_hash,
        time: revoke?.time ?? iso(revocation.included_at ?? revocation.created_at),
        details: { reasonHash: byteaHex(revocation.reason_hash) },
      });
  }
  steps.sort(compareSteps);
  return {
    entitlementId: String(base.id),
    tokenId: base.token_id,
    state: base.state,
    steps: steps.slice(0, query.limit).map(({ blockNumber: _block, logIndex: _log, ...step }) => step),
  };
}

// Transfers out of and back into custody, and between wallets, from the token's Transfer events.
async function walletSteps(db: Drizzle, chain: ChainContext | undefined, base: Base, limit: number): Promise<{ steps: Sortable[]; mintTime: string | null }> {
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
  const steps: Sortable[] = [];
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
    const details = { from: from.toLowerCase(), to: to.toLowerCase(), blockNumber: String(log.blockNumber) };
    steps.push({
      kind: transferKind(details, custodian),
      transactionHash: log.transactionHash,
      time: times.get(log.blockNumber)!,
      blockNumber: log.blockNumber,
      logIndex: log.logIndex,
      details,
    });
  }
  // A withdrawal queued but not yet mined is shown without a hash.
  const queued = await queryRows<{ created_at: Date; wallet: string }>(
    db,
    sql`SELECT created_at, wallet FROM wallet_movements WHERE entitlement_id = ${base.id} AND direction = 'withdrawal' AND state IN ('pending','submitted') LIMIT 1`,
  );
  for (const row of queued)
    steps.push({ kind: "withdrawn", transactionHash: null, time: iso(row.created_at), details: { to: row.wallet, chainState: "pending" } });
  return { steps, mintTime };
}

function transferKind(details: Record<string, unknown>, custodian: string): "withdrawn" | "deposited" | "transferred" {
  if (String(details.from).toLowerCase() === custodian) return "withdrawn";
  if (String(details.to).toLowerCase() === custodian) return "deposited";
  return "transferred";
}

const phases: Record<TimelineStep["kind"], number> = {
  anchored: 0,
  sold: 1,
  issued: 2,
  resold: 3,
  withdrawn: 3,
  transferred: 3,
  deposited: 3,
  redeemed: 4,
  revoked: 5,
};

function compareSteps(a: Sortable, b: Sortable): number {
  if (phases[a.kind] !== phases[b.kind]) return phases[a.kind] - phases[b.kind];
  if (a.blockNumber !== undefined && b.blockNumber !== undefined && a.blockNumber !== b.blockNumber) return a.blockNumber < b.blockNumber ? -1 : 1;
  if (a.blockNumber !== undefined && b.blockNumber !== undefined) return (a.logIndex ?? 0) - (b.logIndex ?? 0);
  if (a.blockNumber !== undefined) return -1; // mined before unmined
  if (b.blockNumber !== undefined) return 1;
  return (a.time ?? "").localeCompare(b.time ?? "");
}

/** The block number and time of a mined transaction, read once per hash. */
function blockFacts(chain: ChainContext | undefined) {
  const cache = new Map<string, Promise<{ blockNumber: bigint; time: string } | undefined>>();
  return (hash: string) => {
    if (!chain) return Promise.resolve(undefined);
    if (!cache.has(hash)) {
      cache.set(
        hash,
        (async () => {
          const receipt = await findReceipt(chain, hash as Hex);
          if (!receipt) return undefined;
          const block = await chain.publicClient.getBlock({ blockNumber: receipt.blockNumber });
          return { blockNumber: receipt.blockNumber, time: new Date(Number(block.timestamp) * 1000).toISOString() };
        })(),
      );
    }
    return cache.get(hash)!;
  };
}
const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());
