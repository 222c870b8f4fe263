// The regulator's export of AML alerts and decisions (docs/compliance.md, "Export"): JSON with
// every evidence entry's RFC 9162 inclusion proof (against the latest anchor that covers it, or
// the current chain when none does yet), and CSV with one row per alert and decision.
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { getInclusionProof, type InclusionProofReturnType } from "../../ledger/proofs.ts";
import { csvText } from "../csv.ts";
import { type AlertView, listAlerts } from "./aml.ts";

export const amlExportFormat = "keyledger-aml-export-v1";
const exportAlertsMax = 5_000;
const pageSize = 200;

export type AmlExport = {
  format: typeof amlExportFormat;
  generatedAt: string;
  chainSize: string;
  alerts: (AlertView & { entries: (AlertView["entries"][number] & { inclusionProof: InclusionProofReturnType | null })[] })[];
};

async function allAlerts(db: Drizzle, since?: Date): Promise<AlertView[]> {
  const alerts: AlertView[] = [];
  let beforeId: bigint | undefined;
  for (;;) {
    const page = await listAlerts(db, { beforeId, limit: pageSize });
    for (const alert of page) if (!since || new Date(alert.createdAt) >= since) alerts.push(alert);
    if (page.length < pageSize) break;
    if (alerts.length > exportAlertsMax) {
      throw new AppError("payload_too_large", `More than ${exportAlertsMax} alerts; export a shorter period (?since=).`);
    }
    beforeId = BigInt(page[page.length - 1]!.id);
  }
  return alerts.reverse();
}

export async function exportAmlJson(db: Drizzle, parameters: { since?: Date } = {}): Promise<AmlExport> {
  const alerts = await allAlerts(db, parameters.since);
  const chain = await queryOne<{ size: string | null }>(db, sql`SELECT max(seq)::text AS size FROM ledger_chain`);
  const chainSize = chain?.size ? BigInt(chain.size) : 0n;
  const proofs = new Map<string, InclusionProofReturnType | null>();
  const proofOf = async (transactionId: string) => {
    if (!proofs.has(transactionId)) proofs.set(transactionId, await inclusionProofOf(db, BigInt(transactionId), chainSize));
    return proofs.get(transactionId)!;
  };
  const withProofs = [];
  for (const alert of alerts) {
    const entries = [];
    for (const entry of alert.entries) entries.push({ ...entry, inclusionProof: await proofOf(entry.transactionId) });
    withProofs.push({ ...alert, entries });
  }
  return { format: amlExportFormat, generatedAt: new Date().toISOString(), chainSize: chainSize.toString(), alerts: withProofs };
}

/** The anchored proof when an anchor covers the entry; else against the chain as it is; null while not chained. */
async function inclusionProofOf(db: Drizzle, transactionId: bigint, chainSize: bigint): Promise<InclusionProofReturnType | null> {
  try {
    return await getInclusionProof(db, { transactionId });
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== "not_found") throw error;
  }
  const chained = await queryOne<{ seq: string }>(db, sql`SELECT seq::text FROM ledger_chain WHERE tx_id = ${transactionId}`);
  if (!chained || chainSize < BigInt(chained.seq)) return null;
  return getInclusionProof(db, { transactionId, treeSize: chainSize });
}

export const amlCsvHeader = [
  "alert_id",
  "rule",
  "shop_id",
  "distributor_account_id",
  "payout_id",
  "currency",
  "amount_minor",
  "alert_created_at",
  "state",
  "transaction_ids",
  "decision",
  "reason",
  "decided_by",
  "decided_at",
  "hold_id",
];

/** One row per decision of each alert (one row with empty decision columns for an undecided alert). */
export async function exportAmlCsv(db: Drizzle, parameters: { since?: Date } = {}): Promise<string> {
  const rows: unknown[][] = [amlCsvHeader];
  for (const alert of await allAlerts(db, parameters.since)) {
    const common = [
      alert.id,
      alert.rule,
      alert.shopId,
      alert.distributorAccountId,
      alert.payoutId,
      alert.currency,
      alert.amountMinor,
      alert.createdAt,
      alert.state,
      alert.entries.map((entry) => entry.transactionId).join(" "),
    ];
    if (alert.decisions.length === 0) rows.push([...common, "", "", "", "", ""]);
    for (const decision of alert.decisions) rows.push([...common, decision.decision, decision.reason, decision.decidedBy, decision.decidedAt, decision.holdId]);
  }
  return csvText(rows);
}
