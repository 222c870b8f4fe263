// Receipt and monthly statement downloads (docs/saas.md, "Receipts and tax"). The API takes the
// session as a Bearer header only, so a plain link would arrive signed out: the file is fetched
// through the API client and saved from a blob. Both formats are saved as files, never opened in
// the app's origin.
import { useState } from "react";
import type { ApiClient } from "../api/client.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { useSession } from "../session.tsx";

export function saveBlob(fileName: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const anchor = document.createElement("a");
  anchor.href = url;
  anchor.download = fileName;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// parseAs "blob" makes the body a Blob, whatever type the contract gives the text answer.
type Fetcher = (api: ApiClient) => Promise<{ data?: unknown; response: Response }>;

const receiptLang = (lang: string) => (lang === "zh" ? ("zh-CN" as const) : ("en" as const));

function DownloadButton(props: { label: string; fileName: string; fetcher: Fetcher; testId: string }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [state, setState] = useState<"idle" | "busy" | "failed">("idle");
  return (
    <button
      type="button"
      className="button secondary"
      data-testid={props.testId}
      disabled={state === "busy"}
      aria-busy={state === "busy"}
      onClick={async () => {
        setState("busy");
        try {
          const result = await props.fetcher(api);
          if (!result.response.ok || !(result.data instanceof Blob)) throw new Error(String(result.response.status));
          saveBlob(props.fileName, result.data);
          setState("idle");
        } catch {
          setState("failed");
        }
      }}
    >
      {state === "failed" ? t("receipt.downloadFailed", { what: props.label }) : props.label}
    </button>
  );
}

/** The order page's receipt links (paid orders), in the page's language. */
export function ReceiptLinks(props: { orderId: string; token: string | undefined }) {
  const { t, lang } = useI18n();
  const fetcher =
    (format: "html" | "pdf"): Fetcher =>
    (api) =>
      api.GET("/api/orders/{orderId}/receipt", {
        params: { path: { orderId: props.orderId }, query: { format, lang: receiptLang(lang), token: props.token } },
        parseAs: "blob",
      });
  return (
    <fieldset className="row">
      <legend className="muted small">{t("receipt.title")}</legend>
      <DownloadButton label={t("receipt.html")} fileName={`receipt-${props.orderId}.html`} fetcher={fetcher("html")} testId="receipt-html" />
      <DownloadButton label={t("receipt.pdf")} fileName={`receipt-${props.orderId}.pdf`} fetcher={fetcher("pdf")} testId="receipt-pdf" />
    </fieldset>
  );
}

/** The merchant console's monthly statement download (CSV or PDF) for a UTC month. */
export function MonthlyStatementDownload(props: { shopId: string }) {
  const { t, lang } = useI18n();
  const [month, setMonth] = useState(() => new Date().toISOString().slice(0, 7));
  const valid = /^\d{4}-(0[1-9]|1[0-2])$/.test(month);
  const fetcher =
    (format: "csv" | "pdf"): Fetcher =>
    (api) =>
      api.GET("/api/ledger/shops/{shopId}/statements/{month}", {
        params: { path: { shopId: props.shopId, month }, query: { format, lang: receiptLang(lang) } },
        parseAs: "blob",
      });
  return (
    <section className="stack">
      <h2 className="section-title">{t("statement.title")}</h2>
      <label className="field">
        <span>{t("statement.month")}</span>
        <input type="month" value={month} onChange={(event) => setMonth(event.target.value)} data-testid="statement-month" />
      </label>
      {valid && (
        <div className="row">
          <DownloadButton label={t("statement.csv")} fileName={`statement-${props.shopId}-${month}.csv`} fetcher={fetcher("csv")} testId="statement-csv" />
          <DownloadButton label={t("statement.pdf")} fileName={`statement-${props.shopId}-${month}.pdf`} fetcher={fetcher("pdf")} testId="statement-pdf" />
        </div>
      )}
    </section>
  );
}
