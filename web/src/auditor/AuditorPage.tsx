// The auditor explorer (a lazy chunk): the indexed chain records (batches, issuances,
// transfers, redemptions, payments), reconciliation findings, the ledger's anchors and trial
// balance, and the audit log. Every list filters as you type and exports what it shows as CSV.
import { useMemo, useState } from "react";
import { answer, ApiError, type ApiClient } from "../api/client.ts";
import { EmptyState, ErrorNotice, Notice, PageHeader, Spinner, StateBadge, TxLink, TableScroll } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { formatDateTime, formatMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import type { MessageKey } from "../i18n/messages.ts";
import { Link } from "../router.tsx";
import { useSession } from "../session.tsx";
import { downloadText, toCsv } from "./csv.ts";

const auditorTabs = ["anchors", "batches", "issuances", "transfers", "redemptions", "payments", "findings", "ledger", "log"] as const;
type AuditorTab = (typeof auditorTabs)[number];
/** Rows fetched per page; the API bounds it too (CHAIN_PAGE_SIZE_MAX, statement page size). */
const auditPageSize = 100;

type Row = Record<string, unknown>;
type Page = { items: Row[]; nextCursor: string | null };

type PageQuery = { limit: number; cursor?: string };

/** Each tab's page of rows (every list pages by the same opaque cursor), and its path for messages. */
const sources: Record<Exclude<AuditorTab, "ledger">, { path: string; fetch(api: ApiClient, query: PageQuery, signal: AbortSignal): Promise<Page> }> = {
  anchors: {
    path: "/api/ledger/anchors",
    fetch: async (api, query, signal) => {
      const page = await answer(api.GET("/api/ledger/anchors", { params: { query }, signal }));
      return { items: page.items.map(({ transactionIds: _ids, ...rest }) => rest), nextCursor: page.nextCursor };
    },
  },
  batches: { path: "/api/audit/chain/batches", fetch: (api, query, signal) => answer(api.GET("/api/audit/chain/batches", { params: { query }, signal })) },
  issuances: {
    path: "/api/audit/chain/issuances",
    fetch: (api, query, signal) => answer(api.GET("/api/audit/chain/issuances", { params: { query }, signal })),
  },
  transfers: {
    path: "/api/audit/chain/transfers",
    fetch: (api, query, signal) => answer(api.GET("/api/audit/chain/transfers", { params: { query }, signal })),
  },
  redemptions: {
    path: "/api/audit/chain/redemptions",
    fetch: (api, query, signal) => answer(api.GET("/api/audit/chain/redemptions", { params: { query }, signal })),
  },
  payments: { path: "/api/audit/chain/payments", fetch: (api, query, signal) => answer(api.GET("/api/audit/chain/payments", { params: { query }, signal })) },
  findings: {
    path: "/api/audit/reconciliation",
    fetch: async (api, query, signal) => {
      const report = await answer(api.GET("/api/audit/reconciliation", { params: { query: { ...query, format: "json" } }, signal }));
      // The route answers CSV only for format=csv.
      if (typeof report === "string") throw new Error("The reconciliation report came as CSV, not JSON.");
      return report;
    },
  },
  log: { path: "/api/audit/log", fetch: (api, query, signal) => answer(api.GET("/api/audit/log", { params: { query }, signal })) },
};

export default function AuditorPage(props: { tab: string }) {
  const { t } = useI18n();
  const { account, hasRole } = useSession();
  const tab: AuditorTab = (auditorTabs as readonly string[]).includes(props.tab) ? (props.tab as AuditorTab) : "anchors";
  if (!account || !hasRole("auditor", "admin")) {
    return (
      <EmptyState
        title={t("audit.signIn")}
        action={
          <Link className="button button-primary" to="/login?next=/audit">
            {t("nav.signIn")}
          </Link>
        }
      >
        {t("audit.signInHint")}
      </EmptyState>
    );
  }
  return (
    <div className="stack-lg console">
      <PageHeader title={t("audit.title")} subtitle={t("audit.subtitle")} />
      <nav className="tabs" aria-label={t("audit.title")}>
        {auditorTabs.map((name) => (
          <Link
            key={name}
            to={`/audit/${name}`}
            className={`tab${tab === name ? " tab-active" : ""}`}
            aria-current={tab === name ? "page" : undefined}
            data-testid={`audit-tab-${name}`}
          >
            {t(`audit.tab.${name}` as MessageKey)}
          </Link>
        ))}
      </nav>
      {tab === "ledger" ? <LedgerBooks /> : <RecordsTable key={tab} tab={tab} />}
    </div>
  );
}

function RecordsTable(props: { tab: Exclude<AuditorTab, "ledger"> }) {
  const i18n = useI18n();
  const { t } = i18n;
  const { api } = useSession();
  const source = sources[props.tab];
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [earlier, setEarlier] = useState<Row[]>([]);
  const [filter, setFilter] = useState("");
  const page = useAsync((signal) => source.fetch(api, { limit: auditPageSize, cursor }, signal), [api, source, cursor]);
  const rows = useMemo(() => [...earlier, ...(page.data?.items ?? [])].map(flatten), [earlier, page.data]);
  const columns = useMemo(() => [...new Set(rows.flatMap((row) => Object.keys(row)))], [rows]);
  const needle = filter.trim().toLowerCase();
  const visible = needle ? rows.filter((row) => JSON.stringify(row).toLowerCase().includes(needle)) : rows;

  if (page.loading && rows.length === 0) return <Spinner />;
  if (page.error instanceof ApiError && page.error.status === 404 && rows.length === 0) {
    return (
      <Notice tone="info" title={t("audit.unavailable")}>
        {t("audit.unavailableHint", { path: source.path })}
      </Notice>
    );
  }
  return (
    <div className="stack">
      <div className="toolbar">
        <label className="search">
          <span className="visually-hidden">{t("audit.filter")}</span>
          <input type="search" placeholder={t("audit.filter")} value={filter} onChange={(event) => setFilter(event.target.value)} data-testid="audit-filter" />
        </label>
        <span className="muted small">{t("audit.count", { shown: visible.length, total: rows.length })}</span>
        <button
          type="button"
          className="button button-small"
          disabled={visible.length === 0}
          onClick={() => downloadText(`keyledger-${props.tab}.csv`, toCsv(columns, visible), "text/csv")}
          data-testid="audit-export"
        >
          {t("audit.export")}
        </button>
      </div>
      <ErrorNotice error={page.error} onRetry={page.reload} />
      {page.data && rows.length === 0 && (
        <EmptyState title={t("audit.empty")}>
          {t(props.tab === "findings" ? "audit.emptyFindings" : props.tab === "anchors" ? "audit.emptyAnchors" : "audit.emptyHint")}
        </EmptyState>
      )}
      {visible.length > 0 && (
        <TableScroll>
          <table className="table table-dense" data-testid="audit-table">
            <thead>
              <tr>
                {columns.map((column) => (
                  <th key={column} scope="col" title={column}>
                    {columnLabel(column, i18n)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {visible.map((row, index) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: result rows have no identity of their own; the table is replaced whole, never reordered
                <tr key={index}>
                  {columns.map((column) => (
                    <td key={column}>
                      <Cell column={column} value={row[column]} />
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {page.data?.nextCursor && (
        <button
          type="button"
          className="button"
          onClick={() => {
            setEarlier(rows);
            setCursor(page.data!.nextCursor!);
          }}
        >
          {t("common.loadMore")}
        </button>
      )}
    </div>
  );
}

/**
 * A column's heading in the page's language, its field name kept as the tooltip and in the CSV
 * (which machines read). Fields are snake_case or camelCase depending on their source. A nested
 * field is headed by its deepest labelled part and what follows it ("what.details.currency" is
 * "Details · currency", "who.email" is "Email"); a field with no labelled part is shown as named.
 */
function columnLabel(column: string, { t, has }: Pick<ReturnType<typeof useI18n>, "t" | "has">): string {
  const parts = column.split(".");
  const keys = parts.map((part) => `audit.col.${part.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)}`);
  const deepest = keys.findLastIndex((key) => has(key));
  if (deepest < 0) return column;
  return [t(keys[deepest] as MessageKey), ...(deepest < parts.length - 1 ? [parts.slice(deepest + 1).join(".")] : [])].join(" · ");
}

/** Nested objects become dotted columns ("who.email"), so every field gets its own column and CSV cell. */
function flatten(row: Row): Row {
  const flat: Row = {};
  const visit = (prefix: string, value: unknown, depth: number) => {
    if (value !== null && typeof value === "object" && !Array.isArray(value) && depth < 3) {
      for (const [key, inner] of Object.entries(value as Row)) visit(prefix ? `${prefix}.${key}` : key, inner, depth + 1);
    } else flat[prefix] = value;
  };
  visit("", row, 0);
  return flat;
}

const isoTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function Cell(props: { column: string; value: unknown }) {
  const { lang } = useI18n();
  const { column, value } = props;
  if (value === null || value === undefined) return <span className="muted">—</span>;
  if (typeof value === "string" && isoTime.test(value)) return <span title={value}>{formatDateTime(value, lang)}</span>;
  if (typeof value === "string" && /^0x[0-9a-fA-F]{64}$/.test(value) && /transaction|tx/i.test(column)) return <TxLink hash={value} />;
  if (typeof value === "string" && /state|status/i.test(column)) return <StateBadge state={value} />;
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return (
    <span className={/^0x/.test(text) ? "mono small" : undefined} title={text.length > 24 ? text : undefined}>
      {text.length > 42 ? `${text.slice(0, 20)}…${text.slice(-12)}` : text}
    </span>
  );
}

function LedgerBooks() {
  const { t } = useI18n();
  const { api } = useSession();
  const trial = useAsync((signal) => answer(api.GET("/api/ledger/trial-balance", { signal })), [api]);
  const findings = useAsync((signal) => answer(api.GET("/api/ledger/reconciliation/orders", { signal })), [api]);
  return (
    <div className="stack-lg">
      <section className="stack">
        <h2 className="section-title">{t("audit.trialBalance")}</h2>
        {trial.loading && <Spinner />}
        <ErrorNotice error={trial.error} onRetry={trial.reload} />
        {trial.data?.currencies.length === 0 && <EmptyState title={t("audit.noJournal")}>{t("audit.noJournalHint")}</EmptyState>}
        {trial.data?.currencies.map((entry) => (
          <div key={entry.currency} className="card stack" data-testid="trial-balance">
            <div className="section-head">
              <strong>{entry.currency}</strong>
              <StateBadge state={entry.balanced ? "balanced" : "unbalanced"} />
            </div>
            <TableScroll>
              <table className="table table-dense">
                <thead>
                  <tr>
                    <th scope="col">{t("audit.account")}</th>
                    <th scope="col" className="num">
                      {t("audit.debits")}
                    </th>
                    <th scope="col" className="num">
                      {t("audit.credits")}
                    </th>
                    <th scope="col" className="num">
                      {t("audit.balance")}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {entry.rows.map((row) => (
                    <tr key={`${row.ownerType}:${row.purpose}`}>
                      <td>
                        {row.ownerType} · {row.purpose}
                      </td>
                      <td className="num">{formatMoney(row.debitsMinor, entry.currency)}</td>
                      <td className="num">{formatMoney(row.creditsMinor, entry.currency)}</td>
                      <td className="num">{formatMoney(row.balanceMinor, entry.currency)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
          </div>
        ))}
      </section>
      <section className="stack">
        <div className="section-head">
          <h2 className="section-title">{t("audit.ledgerFindings")}</h2>
          {findings.data && findings.data.findings.length > 0 && (
            <button
              type="button"
              className="button button-small"
              onClick={() =>
                downloadText(
                  "keyledger-ledger-findings.csv",
                  toCsv(["orderId", "problem", "ledgerMinor", "paymentsMinor", "message"], findings.data!.findings),
                  "text/csv",
                )
              }
            >
              {t("audit.export")}
            </button>
          )}
        </div>
        {findings.loading && <Spinner />}
        <ErrorNotice error={findings.error} onRetry={findings.reload} />
        {findings.data?.findings.length === 0 && (
          <Notice tone="success" title={t("audit.noFindings")}>
            {t("audit.noFindingsHint")}
          </Notice>
        )}
        {findings.data && findings.data.findings.length > 0 && (
          <ul className="list card">
            {findings.data.findings.map((finding) => (
              <li key={`${finding.orderId}-${finding.problem}`} className="list-row list-row-stack">
                <strong>
                  {finding.orderId} · {finding.problem}
                </strong>
                <span className="small">{finding.message}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
