// The audit itself, over a journal export and the anchors read from the chain: pure, so the
// same code checks a live database (through exportJournal) or a file someone handed over.
// Checks, in order: every entry's content against its hash, the chain links, that every entry
// balances, each on-chain anchor's root against the recomputed log, consistency between
// consecutive anchors, and that the anchors the platform recorded are the ones on-chain.
import { chainHash, entryContentHash, genesisChainHash } from "./canonical.ts";
import type { JournalExport } from "./journalExport.ts";
import { consistencyProof, leafHash, treeRoot, verifyConsistency, type Hash } from "./merkleLog.ts";

export type OnChainAnchor = { size: bigint; root: string; index: bigint; transactionHash?: string; blockNumber?: bigint };

export type AuditFinding = { check: string; seq?: string; transactionId?: string; size?: string; message: string };

export type AuditReport = {
  ok: boolean;
  entriesChecked: number;
  anchorsChecked: number;
  unchainedCount: string;
  /** The first entry whose content or link does not match: where the chain breaks. */
  firstBrokenEntry: { seq: string; transactionId: string; problem: string } | null;
  findings: AuditFinding[];
};

const bytes = (text: string) => Buffer.from(text.replace(/^0x/, ""), "hex");

export function auditJournal(journal: JournalExport, onChainAnchors: OnChainAnchor[] | undefined): AuditReport {
  const findings: AuditFinding[] = [];
  let firstBrokenEntry: AuditReport["firstBrokenEntry"] = null;
  const recomputed: Hash[] = [];
  let previous: Uint8Array = genesisChainHash;
  journal.entries.forEach((item, position) => {
    const { entry } = item;
    const where = { seq: item.seq, transactionId: entry.id };
    const problems: string[] = [];
    if (item.seq !== String(position + 1)) problems.push(`seq ${item.seq} where ${position + 1} was expected (a gap or a reordering)`);
    const content = entryContentHash(entry);
    if (!content.equals(bytes(item.contentHash))) problems.push("its content no longer matches the hash taken when it was chained");
    const link = chainHash(previous, content);
    if (!link.equals(bytes(item.chainHash))) problems.push("its chain hash does not follow from the previous entry");
    const sums = new Map<string, bigint>();
    for (const posting of entry.postings) sums.set(posting.currency, (sums.get(posting.currency) ?? 0n) + BigInt(posting.amountMinor));
    for (const [currency, sum] of sums) if (sum !== 0n) problems.push(`its postings in ${currency} sum to ${sum}`);
    if (entry.postings.length < 2) problems.push("it has fewer than two postings");
    for (const problem of problems) findings.push({ check: "entry", ...where, message: problem });
    if (problems.length > 0 && !firstBrokenEntry) firstBrokenEntry = { ...where, problem: problems[0]! };
    // Anchors are checked against what the entries hash to now, so a changed entry also
    // breaks every anchor that covers it.
    recomputed.push(leafHash(link));
    previous = link;
  });

  const anchors = onChainAnchors ?? journal.anchors.map((anchor, index) => ({ size: BigInt(anchor.size), root: anchor.root, index: BigInt(index) }));
  if (!onChainAnchors) {
    findings.push({ check: "anchors", message: "no RPC given: anchors are the platform's own records, not read from the chain" });
  }
  let previousAnchor: OnChainAnchor | undefined;
  for (const anchor of anchors) {
    const size = Number(anchor.size);
    if (size > recomputed.length) {
      findings.push({ check: "anchor", size: anchor.size.toString(), message: `anchors ${size} entries but the journal has ${recomputed.length}` });
      continue;
    }
    const root = treeRoot(recomputed, size);
    if (!root.equals(bytes(anchor.root))) {
      findings.push({
        check: "anchor",
        size: anchor.size.toString(),
        message: `on-chain root ${anchor.root} differs from the journal's 0x${root.toString("hex")}`,
      });
    }
    if (previousAnchor) {
      const first = Number(previousAnchor.size);
      const proof = consistencyProof(recomputed, first, size);
      if (!verifyConsistency(first, size, bytes(previousAnchor.root), bytes(anchor.root), proof)) {
        findings.push({
          check: "consistency",
          size: anchor.size.toString(),
          message: `anchor of ${size} entries is not consistent with the anchor of ${first} entries`,
        });
      }
    }
    previousAnchor = anchor;
  }
  if (onChainAnchors) {
    const bySize = new Map(onChainAnchors.map((anchor) => [anchor.size.toString(), anchor.root.toLowerCase()]));
    for (const recorded of journal.anchors) {
      const onChain = bySize.get(recorded.size);
      if (onChain === undefined) findings.push({ check: "recorded_anchor", size: recorded.size, message: "recorded by the platform but not on-chain" });
      else if (onChain !== recorded.root.toLowerCase()) {
        findings.push({ check: "recorded_anchor", size: recorded.size, message: `recorded root ${recorded.root} differs from on-chain ${onChain}` });
      }
    }
  }
  const breaking = findings.filter((finding) => finding.check !== "anchors");
  return {
    ok: breaking.length === 0,
    entriesChecked: journal.entries.length,
    anchorsChecked: anchors.length,
    unchainedCount: journal.unchainedCount,
    firstBrokenEntry,
    findings,
  };
}
