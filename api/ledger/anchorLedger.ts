// The anchor job: commits the root of the journal's Merkle log on-chain through
// LedgerAnchor.anchor(size, root) and records the anchor. The workers process calls it on a
// schedule (settings ledger.anchorIntervalSeconds, ledger.anchorEntriesMin).
//
// Crash safety: an anchor is only recorded from a receipt's LedgerAnchored event, and every
// run first records any on-chain anchor the database does not know yet (a crash between the
// transaction and the insert), after checking its root against the log. The contract refuses
// a size that does not grow, so a repeated run cannot anchor the same prefix twice.
import { parseEventLogs, type Account, type Chain, type Hex, type PublicClient, type Transport, type WalletClient } from "viem";
import { ledgerAnchorAbi } from "../../core/chain/abis.ts";
import { queryOne, sql, type Drizzle } from "../../core/store/database.ts";
import { readLedgerAnchoredEvents } from "./anchorEvents.ts";
import { chainSize } from "./logLeaves.ts";
import { storedTreeRoot } from "./treeNodes.ts";

export type AnchorLedgerContext = {
  db: Drizzle;
  publicClient: PublicClient;
  walletClient: WalletClient<Transport, Chain, Account>;
  anchorAddress: Hex;
  /** Fewest new chained entries worth a transaction. */
  entriesMin: number;
  /** Where to look for LedgerAnchored events the database missed (the deployment block). */
  fromBlock?: bigint;
};

export type AnchorLedgerReturnType =
  | { anchored: true; size: bigint; root: Hex; transactionHash: Hex; blockNumber: bigint; recovered: number }
  | { anchored: false; reason: string; size: bigint; recovered: number };

type AnchoredEvent = { size: bigint; root: Hex; index: bigint; transactionHash: Hex; blockNumber: bigint };

async function recordAnchor(db: Drizzle, chainId: number, anchorAddress: Hex, event: AnchoredEvent): Promise<void> {
  await db.execute(sql`
    INSERT INTO ledger_anchors (size, root, chain_id, contract_address, tx_hash, block_number, anchor_index)
    VALUES (${event.size}, decode(${event.root.slice(2)}, 'hex'), ${chainId}, ${anchorAddress.toLowerCase()},
            ${event.transactionHash}, ${event.blockNumber}, ${event.index.toString()})
    ON CONFLICT (size) DO NOTHING`);
}

async function recoverUnrecorded(context: AnchorLedgerContext, chainId: number, logSize: bigint): Promise<number> {
  const { db, publicClient, anchorAddress } = context;
  const known = await queryOne<{ size: bigint | null; block: bigint | null }>(
    db,
    sql`SELECT max(size) AS size, max(block_number) AS block FROM ledger_anchors`,
  );
  // Only events after the last recorded anchor can be missing from the database.
  const fromBlock = known?.block !== null && known?.block !== undefined ? known.block + 1n : (context.fromBlock ?? 0n);
  const events = await readLedgerAnchoredEvents(publicClient, { address: anchorAddress, fromBlock });
  let recovered = 0;
  for (const event of events) {
    if (known?.size !== null && known?.size !== undefined && event.size <= known.size) continue;
    if (event.size > logSize) throw new Error(`LedgerAnchor holds size ${event.size}, beyond the ${logSize} entries of this database's chain.`);
    const root = await storedTreeRoot(db, event.size);
    if (`0x${root.toString("hex")}` !== event.root.toLowerCase()) {
      throw new Error(`LedgerAnchor's root for size ${event.size} does not match this database's log: run keyledger audit ledger.`);
    }
    await recordAnchor(db, chainId, anchorAddress, event);
    recovered += 1;
  }
  return recovered;
}

export async function anchorLedger(context: AnchorLedgerContext): Promise<AnchorLedgerReturnType> {
  const { db, publicClient, walletClient, anchorAddress } = context;
  const chainId = await publicClient.getChainId();
  const size = await chainSize(db);
  const recovered = await recoverUnrecorded(context, chainId, size);
  const last = await queryOne<{ size: bigint | null }>(db, sql`SELECT max(size) AS size FROM ledger_anchors`);
  const anchoredSize = last?.size ?? 0n;
  if (size - anchoredSize < BigInt(context.entriesMin) || size === 0n) {
    return { anchored: false, reason: `${size - anchoredSize} new entries (at least ${context.entriesMin} needed)`, size, recovered };
  }
  const root = `0x${(await storedTreeRoot(db, size)).toString("hex")}` as Hex;
  const { request } = await publicClient.simulateContract({
    address: anchorAddress,
    abi: ledgerAnchorAbi,
    functionName: "anchor",
    args: [size, root],
    account: walletClient.account,
  });
  const transactionHash = await walletClient.writeContract(request);
  const receipt = await publicClient.waitForTransactionReceipt({ hash: transactionHash });
  if (receipt.status !== "success") throw new Error(`LedgerAnchor.anchor reverted in ${transactionHash}.`);
  const [log] = parseEventLogs({ abi: ledgerAnchorAbi, eventName: "LedgerAnchored", logs: receipt.logs });
  if (!log) throw new Error(`No LedgerAnchored event in ${transactionHash}.`);
  await recordAnchor(db, chainId, anchorAddress, {
    size,
    root,
    index: log.args.index,
    transactionHash,
    blockNumber: receipt.blockNumber,
  });
  return { anchored: true, size, root, transactionHash, blockNumber: receipt.blockNumber, recovered };
}
