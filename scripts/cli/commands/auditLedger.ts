// keyledger audit ledger: checks the journal's hash chain, that every root anchored on-chain
// matches the entries, and the consistency between anchors; from a database also the books'
// invariants (balances equal postings, no floor below zero, holds resolved at most once). Exits 0 when everything holds,
// 1 on any break (naming the first broken entry), 2 on a usage or connection error.
//
//   keyledger audit ledger --database-url URL [--rpc URL --anchor-address 0x..] [--json]
//   keyledger audit ledger --export FILE      [--rpc URL --anchor-address 0x..] [--json]
//   keyledger audit ledger --api URL (--token T | --email E --password P --totp CODE) [--rpc ...] [--json]
//     (a running platform's journal through its API, as an auditor or admin: the way to audit
//     npm start's embedded store, which no other process can open)
//   keyledger audit ledger --database-url URL --write-export FILE   (writes the export, no audit)
//
// Without --rpc the anchors checked are the platform's own records, which proves nothing
// against a platform that rewrote both; the report says so.
import { readFile, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { createPublicClient, http, type Hex, type PublicClient } from "viem";
import { readLedgerAnchoredEvents } from "../../../api/ledger/anchorEvents.ts";
import { auditJournal, type AuditFinding, type AuditReport, type OnChainAnchor } from "../../../api/ledger/auditJournal.ts";
import { checkLedgerInvariants, type LedgerInvariantFindings } from "../../../api/ledger/invariants.ts";
import { exportJournal, journalExportFormat, type JournalExport } from "../../../api/ledger/journalExport.ts";
import { openDatabase } from "../../../core/store/database.ts";

const usage = `Usage: keyledger audit ledger (--database-url URL | --export FILE | --api URL AUTH) [--rpc URL --anchor-address ADDRESS] [--from-block N] [--json]
       keyledger audit ledger (--database-url URL | --api URL AUTH) --write-export FILE
  AUTH: --token TOKEN, or --email EMAIL --password PASSWORD --totp CODE (an auditor's or admin's account;
        staff roles need a second factor: the code your authenticator app shows)`;

type ApiSource = { url: string; token?: string; email?: string; password?: string; totp?: string };

/** The platform's journal export, read through its API as an auditor (GET /api/ledger/journal). */
async function fetchJournal(api: ApiSource): Promise<JournalExport> {
  const base = api.url.replace(/\/+$/, "");
  const answer = async (response: Response, what: string) => {
    const body = (await response.json().catch(() => undefined)) as { message?: string } | undefined;
    if (!response.ok) throw new Error(`${what} answered ${response.status}${body?.message ? `: ${body.message}` : ""}`);
    return body as unknown;
  };
  let token = api.token;
  if (!token) {
    const login = await fetch(`${base}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: api.email, password: api.password }),
    });
    const signedIn = (await answer(login, "sign-in")) as { state: string; token?: string; pendingToken?: string };
    token = signedIn.token;
    if (signedIn.state === "second_factor_required") {
      if (!api.totp) throw new Error("this account signs in with a second factor: pass --totp CODE (the code your authenticator app shows).");
      const second = await fetch(`${base}/api/auth/second-factor`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ pendingToken: signedIn.pendingToken, code: api.totp }),
      });
      token = ((await answer(second, "the second factor")) as { token: string }).token;
    }
  }
  const journal = (await answer(
    await fetch(`${base}/api/ledger/journal`, { headers: { authorization: `Bearer ${token}` } }),
    "the journal export",
  )) as JournalExport;
  if (journal.format !== journalExportFormat) throw new Error(`${base} did not answer with a ${journalExportFormat} export.`);
  return journal;
}

function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    return parsed.toString();
  } catch {
    return "(unparseable URL)";
  }
}

type Loaded = { journal: JournalExport; invariants?: LedgerInvariantFindings };

async function loadJournal(databaseUrl: string | undefined, exportPath: string | undefined, api: ApiSource | undefined): Promise<Loaded> {
  if (api) return { journal: await fetchJournal(api) };
  if (exportPath) {
    const parsed = JSON.parse(await readFile(exportPath, "utf8")) as JournalExport;
    if (parsed.format !== journalExportFormat) throw new Error(`${exportPath} is not a ${journalExportFormat} export.`);
    return { journal: parsed };
  }
  const database = await openDatabase({ url: databaseUrl!, poolSizeMax: 2, applicationName: "keyledger-audit" });
  try {
    // With the database at hand, the books are checked too: balances against postings, floors,
    // holds resolved at most once.
    return { journal: await exportJournal(database.db), invariants: await checkLedgerInvariants(database.db) };
  } finally {
    await database.close();
  }
}

function invariantFindings(invariants: LedgerInvariantFindings | undefined): AuditFinding[] {
  if (!invariants) return [];
  const json = (value: unknown) => JSON.stringify(value, (_key, item) => (typeof item === "bigint" ? item.toString() : item));
  return Object.entries(invariants).flatMap(([check, rows]) => (rows as unknown[]).map((row) => ({ check: `invariant:${check}`, message: json(row) })));
}

async function readOnChainAnchors(rpcUrl: string, address: Hex, fromBlock: bigint): Promise<OnChainAnchor[]> {
  const client = createPublicClient({ transport: http(rpcUrl, { retryCount: 2, timeout: 30_000 }) }) as PublicClient;
  return readLedgerAnchoredEvents(client, { address, fromBlock });
}

function printReport(report: AuditReport): void {
  const lines = [`entries checked: ${report.entriesChecked} (not yet chained: ${report.unchainedCount})`, `anchors checked: ${report.anchorsChecked}`];
  if (report.firstBrokenEntry) {
    const broken = report.firstBrokenEntry;
    lines.push(`FIRST BROKEN ENTRY: seq ${broken.seq} (journal transaction ${broken.transactionId}): ${broken.problem}`);
  }
  for (const finding of report.findings) {
    const where = finding.seq ? `seq ${finding.seq} (transaction ${finding.transactionId}): ` : finding.size ? `anchor size ${finding.size}: ` : "";
    lines.push(`  ${finding.check}: ${where}${finding.message}`);
  }
  lines.push(report.ok ? "ledger audit: OK" : "ledger audit: BROKEN");
  process.stdout.write(`${lines.join("\n")}\n`);
}

function parseFlags(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      "database-url": { type: "string" },
      export: { type: "string" },
      api: { type: "string" },
      token: { type: "string" },
      email: { type: "string" },
      password: { type: "string" },
      totp: { type: "string" },
      "write-export": { type: "string" },
      rpc: { type: "string" },
      "anchor-address": { type: "string" },
      "from-block": { type: "string", default: "0" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  }).values;
}

export async function main(argv: string[]): Promise<number> {
  let flags: ReturnType<typeof parseFlags>;
  try {
    flags = parseFlags(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${usage}\n`);
    return 2;
  }
  if (flags.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const databaseUrl = flags["database-url"];
  if ([databaseUrl, flags.export, flags.api].filter(Boolean).length !== 1) {
    process.stderr.write(`Give exactly one of --database-url, --export and --api.\n${usage}\n`);
    return 2;
  }
  if (flags.api && !flags.token && !(flags.email && flags.password)) {
    process.stderr.write(`--api needs --token, or --email and --password, of an auditor's or admin's account.\n${usage}\n`);
    return 2;
  }
  const api = flags.api ? { url: flags.api, token: flags.token, email: flags.email, password: flags.password, totp: flags.totp } : undefined;
  if (Boolean(flags.rpc) !== Boolean(flags["anchor-address"])) {
    process.stderr.write(`--rpc and --anchor-address go together.\n${usage}\n`);
    return 2;
  }
  if (flags["anchor-address"] && !/^0x[0-9a-fA-F]{40}$/.test(flags["anchor-address"])) {
    process.stderr.write("--anchor-address must be a 20-byte hex address (0x + 40 hex characters).\n");
    return 2;
  }
  let loaded: Loaded;
  let onChain: OnChainAnchor[] | undefined;
  try {
    loaded = await loadJournal(databaseUrl, flags.export, api);
    const journal = loaded.journal;
    if (flags["write-export"]) {
      await writeFile(flags["write-export"], `${JSON.stringify(journal, null, 1)}\n`);
      process.stdout.write(`wrote ${journal.entries.length} entries and ${journal.anchors.length} anchors to ${flags["write-export"]}\n`);
      return 0;
    }
    if (flags.rpc) onChain = await readOnChainAnchors(flags.rpc, flags["anchor-address"] as Hex, BigInt(flags["from-block"]));
  } catch (error) {
    const source = databaseUrl ? withoutCredentials(databaseUrl) : api ? withoutCredentials(api.url) : flags.export;
    process.stderr.write(`Could not read the journal or the anchors (${source}): ${(error as Error).message}\n`);
    return 2;
  }
  const audited = auditJournal(loaded.journal, onChain);
  const extra = invariantFindings(loaded.invariants);
  const report: AuditReport = { ...audited, ok: audited.ok && extra.length === 0, findings: [...audited.findings, ...extra] };
  if (flags.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else printReport(report);
  return report.ok ? 0 : 1;
}
