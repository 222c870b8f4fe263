// The platform's monthly invoices to the shop (docs/saas.md, "Plans and fees"): the fees of the
// month's sales, less those refunded, per currency and collection, from the ledger. The API reads
// one UTC month at a time and keeps no list, so the months offered are those since the shop was
// created (newest first, at most two years); a month is viewed in place and saved as CSV or as
// the API's JSON answer.
import { useState } from "react";
import { answer, type Schemas } from "../api/client.ts";
import type { Shop } from "../api/types.ts";
import { toCsv, downloadText } from "../auditor/csv.ts";
import { EmptyState, ErrorNotice, Spinner, TableScroll } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { formatMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import type { MessageKey } from "../i18n/messages.ts";
import { useSession } from "../session.tsx";

type Invoice = Schemas["GetShopsShopIdPlatformInvoicesMonthResponse"];
const monthsShownMax = 24;
/** The numeric columns, in the order of each line's cells. */
const amountColumns = ["invoice.sales", "invoice.salesAmount", "invoice.fees", "invoice.refundedFees", "invoice.netFees"] as const;

/** The UTC months ("YYYY-MM") from `since`'s month to `now`'s, newest first, at most `max`. */
export function invoiceMonths(since: Date, now: Date, max = monthsShownMax): string[] {
  const months: string[] = [];
  let year = now.getUTCFullYear();
  let month = now.getUTCMonth();
  const first = since.getUTCFullYear() * 12 + since.getUTCMonth();
  while (year * 12 + month >= first && months.length < max) {
    months.push(`${year}-${String(month + 1).padStart(2, "0")}`);
    month -= 1;
    if (month < 0) {
      month = 11;
      year -= 1;
    }
  }
  return months;
}

export function PlatformInvoices(props: { shop: Shop }) {
  const { t } = useI18n();
  const months = invoiceMonths(new Date(props.shop.createdAt), new Date());
  const [open, setOpen] = useState<string | undefined>(undefined);
  return (
    <section className="card stack" aria-labelledby="invoices-title" data-testid="platform-invoices">
      <h2 id="invoices-title">{t("invoice.title")}</h2>
      <p className="muted">{t("invoice.hint")}</p>
      <ul className="row list" aria-label={t("invoice.months")}>
        {months.map((month) => (
          <li key={month}>
            <button
              type="button"
              className={`button button-small${open === month ? " button-primary" : ""}`}
              aria-pressed={open === month}
              onClick={() => setOpen(month)}
              data-testid={`invoice-month-${month}`}
            >
              {month}
            </button>
          </li>
        ))}
      </ul>
      {open && <InvoiceView key={open} shop={props.shop} month={open} />}
    </section>
  );
}

function InvoiceView(props: { shop: Shop; month: string }) {
  const { t } = useI18n();
  const { api } = useSession();
  const invoice = useAsync(
    (signal) => answer(api.GET("/api/shops/{shopId}/platform-invoices/{month}", { params: { path: { shopId: props.shop.id, month: props.month } }, signal })),
    [api, props.shop.id, props.month],
  );
  if (invoice.loading && !invoice.data) return <Spinner />;
  if (!invoice.data) return <ErrorNotice error={invoice.error} onRetry={invoice.reload} />;
  const data = invoice.data;
  const fileName = `platform-invoice-${props.shop.slug}-${props.month}`;
  return (
    <div className="stack" data-testid="invoice" data-month={props.month}>
      <h3>{t("invoice.of", { month: props.month })}</h3>
      {data.lines.length === 0 ? (
        <EmptyState title={t("invoice.empty")} testId="invoice-empty">
          {t("invoice.emptyHint")}
        </EmptyState>
      ) : (
        <TableScroll label={t("invoice.of", { month: props.month })}>
          <table className="table" data-testid="invoice-lines">
            <thead>
              <tr>
                <th scope="col">{t("invoice.currency")}</th>
                <th scope="col">{t("invoice.collection")}</th>
                {amountColumns.map((column) => (
                  <th scope="col" className="num" key={column}>
                    {t(column)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {data.lines.map((line) => (
                <tr key={`${line.currency}-${line.collection}`} data-testid="invoice-line">
                  <th scope="row">{line.currency}</th>
                  <td>{t(`invoice.collection.${line.collection}` as MessageKey)}</td>
                  <td className="num">{line.sales}</td>
                  <td className="num">{formatMoney(line.salesMinor, line.currency)}</td>
                  <td className="num">{formatMoney(line.feesMinor, line.currency)}</td>
                  <td className="num">{formatMoney(line.refundedFeesMinor, line.currency)}</td>
                  <td className="num" data-testid="invoice-net-fees">
                    {formatMoney(line.netFeesMinor, line.currency)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      <div className="row">
        <button
          type="button"
          className="button button-small"
          data-testid="invoice-download-csv"
          onClick={() => downloadText(`${fileName}.csv`, invoiceCsv(data), "text/csv")}
        >
          {t("invoice.downloadCsv")}
        </button>
        <button
          type="button"
          className="button button-small"
          data-testid="invoice-download-json"
          onClick={() => downloadText(`${fileName}.json`, `${JSON.stringify(data, null, 2)}\n`, "application/json")}
        >
          {t("invoice.downloadJson")}
        </button>
      </div>
    </div>
  );
}

/** One row per line, amounts in minor units as the API gives them (a spreadsheet sums them exactly). */
function invoiceCsv(invoice: Invoice): string {
  const columns = ["month", "currency", "collection", "sales", "salesMinor", "feesMinor", "refundedFeesMinor", "netFeesMinor"];
  return toCsv(
    columns,
    invoice.lines.map((line) => ({ month: invoice.month, ...line })),
  );
}
