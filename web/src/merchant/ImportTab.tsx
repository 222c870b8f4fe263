// Key import: pick a product, choose a file (one key per line, or CSV with a key/code/secret
// column) or paste the keys, and watch the import job: a progress bar from the job's
// processed/total, then the batch's anchoring on-chain with its transaction. Keys are sent
// once over HTTPS and never kept in the page after the upload.
import { answer } from "../api/client.ts";
import { useState, type FormEvent } from "react";
import type { ImportJob, Shop } from "../api/types.ts";
import { EmptyState, ErrorNotice, Field, FilePicker, Notice, ProgressBar, Spinner, StateBadge, TxLink } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { Link } from "../router.tsx";
import { useSession } from "../session.tsx";
import { useShopProducts } from "./shopData.ts";

/** How often the import job is asked for progress; imports of 100k keys take seconds. */
const importPollIntervalMs = 400;
/** Larger files are refused before upload; the API has its own limit (imports.keysMax). */
const importFileBytesMax = 20 * 1024 * 1024;
const anchoredStates = ["included", "confirmed"];

function jobNeedsPolling(job: ImportJob | undefined): boolean {
  if (!job) return true;
  if (job.status === "queued" || job.status === "running") return true;
  return job.status === "done" && !anchoredStates.includes(job.anchorState ?? "") && job.anchorState !== "failed";
}

export function ImportTab(props: { shop: Shop }) {
  const { t } = useI18n();
  const { api } = useSession();
  const products = useShopProducts(props.shop.id);
  const automatic = (products.data ?? []).filter((product) => product.deliveryMode === "automatic");
  const [productId, setProductId] = useState<string>("");
  const [file, setFile] = useState<File | undefined>(undefined);
  const [pasted, setPasted] = useState("");
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const [importId, setImportId] = useState<string | undefined>(undefined);
  const chosen = productId || automatic[0]?.id || "";

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    if (file && file.size > importFileBytesMax) {
      setError(new Error(t("import.fileTooLarge")));
      return;
    }
    const content = file ? await file.text() : pasted;
    if (!content.trim()) {
      setError(new Error(t("import.nothing")));
      return;
    }
    const isCsv = file ? /\.csv$/i.test(file.name) || file.type === "text/csv" : false;
    setBusy(true);
    try {
      // The keys go as the file's text, not JSON: the body is sent as it is, with its own type.
      const response = await answer(
        api.POST("/api/products/{productId}/imports", {
          params: { path: { productId: chosen } },
          body: content,
          bodySerializer: (text: string) => text,
          headers: { "content-type": isCsv ? "text/csv" : "text/plain" },
        }),
      );
      setImportId(response.importId);
      setPasted("");
      setFile(undefined);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  if (products.loading && !products.data) return <Spinner />;
  if (products.data && automatic.length === 0) {
    return (
      <EmptyState
        title={t("import.noProducts")}
        action={
          <Link className="button button-primary" to="/merchant/products">
            {t("products.new")}
          </Link>
        }
      >
        {t("import.noProductsHint")}
      </EmptyState>
    );
  }
  return (
    <div className="stack">
      <form className="card stack" onSubmit={(event) => void submit(event)} data-testid="import-form">
        <h2 className="section-title">{t("import.title")}</h2>
        <p className="muted">{t("import.intro")}</p>
        <Field label={t("import.product")} htmlFor="import-product">
          <select id="import-product" value={chosen} onChange={(event) => setProductId(event.target.value)} data-testid="import-product">
            {automatic.map((product) => (
              <option key={product.id} value={product.id}>
                {product.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t("import.file")} htmlFor="import-file" hint={t("import.fileHint")}>
          <FilePicker id="import-file" accept=".txt,.csv,text/plain,text/csv" fileName={file?.name} onFile={setFile} testId="import-file" />
        </Field>
        {!file && (
          <Field label={t("import.paste")} htmlFor="import-paste">
            <textarea
              id="import-paste"
              className="mono"
              rows={4}
              value={pasted}
              onChange={(event) => setPasted(event.target.value)}
              autoComplete="off"
              spellCheck={false}
            />
          </Field>
        )}
        <ErrorNotice error={error} />
        <button type="submit" className="button button-primary" disabled={busy || !chosen} data-testid="import-submit">
          {busy ? t("import.uploading") : t("import.submit")}
        </button>
      </form>
      {importId && <ImportProgress importId={importId} />}
    </div>
  );
}

function ImportProgress(props: { importId: string }) {
  const { t } = useI18n();
  const { api } = useSession();
  const job = useAsync(
    (signal) => answer(api.GET("/api/imports/{importId}", { params: { path: { importId: props.importId } }, signal })),
    [api, props.importId],
    { pollMs: importPollIntervalMs, poll: jobNeedsPolling },
  );
  const data = job.data;
  return (
    <section className="card stack" data-testid="import-status" data-import-status={data?.status} data-anchor-state={data?.anchorState ?? ""}>
      <h3>{t("import.job", { id: props.importId })}</h3>
      <ProgressBar
        percent={data?.percent ?? 0}
        label={data ? t("import.progress", { processed: data.processed, total: data.total }) : t("common.loading")}
        testId="import-progress"
      />
      {data?.status === "failed" && (
        <Notice tone="warning" title={t("import.failed")}>
          {typeof data.error === "object" && data.error !== null && "message" in data.error
            ? String((data.error as { message: unknown }).message)
            : JSON.stringify(data.error)}
        </Notice>
      )}
      {data?.status === "done" && (
        <div className="anchor-row" data-testid="import-anchor">
          <span>{t("import.batch", { id: data.batchId ?? "?" })}</span>
          <StateBadge state={data.anchorState ?? "pending"} testId="import-anchor-state" />
          <TxLink hash={data.anchorTx} testId="import-anchor-tx" />
          {!anchoredStates.includes(data.anchorState ?? "") && <span className="muted small">{t("import.anchoring")}</span>}
          {anchoredStates.includes(data.anchorState ?? "") && <span className="muted small">{t("import.anchored")}</span>}
        </div>
      )}
      <ErrorNotice error={job.error} />
    </section>
  );
}
