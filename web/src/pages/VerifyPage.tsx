// Verify a key: paste it and/or drop its certificate. With a certificate and a reachable chain
// RPC, the check runs in this browser against the chain (the page need not be trusted); the
// server's check adds what only the shop knows (shop, product, sale). The page always says
// which way the verdict was reached.
import { answer } from "../api/client.ts";
import { useEffect, useState, type DragEvent, type FormEvent } from "react";
import type { Certificate, VerifyCheck, VerifyResponse } from "../api/types.ts";
import { ErrorNotice, Field, FilePicker, Notice, PageHeader, Spinner, StateBadge, TxLink } from "../components/ui.tsx";
import { formatDateTime, shortHash } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import type { MessageKey } from "../i18n/messages.ts";
import { useRouter } from "../router.tsx";
import { useSession } from "../session.tsx";
import { readStored, writeStored } from "../storage.ts";
import { takeVerifyDraft } from "../verify/verifyDraft.ts";
import { fetchPublicConfig } from "../api/publicConfig.ts";
import type { BrowserVerdict } from "../verify/verifyInBrowser.ts";
import { useAsync } from "../components/useAsync.ts";

const rpcStorageKey = "kl.rpcUrl";
/** A certificate is a few kilobytes; anything far larger is not one. */
const certificateBytesMax = 64 * 1024;

type Outcome = {
  server?: VerifyResponse;
  serverError?: unknown;
  browser?: BrowserVerdict;
  browserError?: string;
  rpcUrl?: string;
};

export function VerifyPage() {
  const { t } = useI18n();
  const { api } = useSession();
  const { search } = useRouter();
  const [key, setKey] = useState("");
  const [certificate, setCertificate] = useState<Certificate | undefined>(undefined);
  const [certificateName, setCertificateName] = useState<string | undefined>(undefined);
  const [fileError, setFileError] = useState<string | undefined>(undefined);
  const [rpcUrl, setRpcUrl] = useState(() => search.get("rpc") ?? readStored<string>(rpcStorageKey) ?? "");
  const [dragging, setDragging] = useState(false);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | undefined>(undefined);

  // With no RPC chosen yet, offer the platform's public one (the check still runs in this browser).
  // biome-ignore lint/correctness/useExhaustiveDependencies: offered once, on arrival; the functional update keeps an RPC the user typed meanwhile
  useEffect(() => {
    if (rpcUrl !== "") return;
    void fetchPublicConfig().then((config) => {
      if (config?.rpcUrl) setRpcUrl((current) => current || config.rpcUrl!);
    });
  }, []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: once, on arrival from an order page (taking the draft consumes it); t only labels it
  useEffect(() => {
    const draft = takeVerifyDraft();
    if (draft?.certificate) {
      setCertificate(draft.certificate);
      setCertificateName(t("verify.fromOrder"));
    }
    if (draft?.key) setKey(draft.key);
    // Once, on arrival from an order page.
  }, []);

  const readFile = async (file: File | undefined) => {
    setFileError(undefined);
    if (!file) return;
    if (file.size > certificateBytesMax) {
      setFileError(t("verify.fileTooLarge"));
      return;
    }
    try {
      const parsed = JSON.parse(await file.text()) as Certificate;
      if (typeof parsed !== "object" || parsed === null || typeof parsed.version !== "string") throw new Error("not a certificate");
      setCertificate(parsed);
      setCertificateName(file.name);
    } catch {
      setFileError(t("verify.fileInvalid"));
    }
  };

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    void readFile(event.dataTransfer.files[0]);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!key.trim() && !certificate) {
      setFileError(t("verify.needInput"));
      return;
    }
    setBusy(true);
    setOutcome(undefined);
    const result: Outcome = {};
    const trimmedRpc = rpcUrl.trim();
    const browserCheck = (async () => {
      if (!certificate || !trimmedRpc) return;
      writeStored(rpcStorageKey, trimmedRpc);
      result.rpcUrl = trimmedRpc;
      try {
        const { verifyInBrowser } = await import("../verify/verifyInBrowser.ts");
        result.browser = await verifyInBrowser(trimmedRpc, certificate, key || undefined);
      } catch (error) {
        result.browserError = error instanceof Error ? error.message : String(error);
      }
    })();
    const serverCheck = (async () => {
      try {
        result.server = await answer(
          api.POST("/api/verify", { body: { ...(key.trim() ? { key: key.trim() } : {}), ...(certificate ? { certificate } : {}) } }),
        );
      } catch (error) {
        result.serverError = error;
      }
    })();
    await Promise.all([browserCheck, serverCheck]);
    setOutcome(result);
    setBusy(false);
  };

  return (
    <div className="stack-lg">
      <PageHeader title={t("verify.title")} subtitle={t("verify.subtitle")} />
      <form className="card stack verify-form" onSubmit={(event) => void submit(event)} data-testid="verify-form">
        <Field label={t("verify.key")} htmlFor="verify-key" hint={t("verify.keyHint")}>
          <textarea
            id="verify-key"
            className="mono"
            rows={2}
            value={key}
            onChange={(event) => setKey(event.target.value)}
            autoComplete="off"
            spellCheck={false}
            data-testid="verify-key"
          />
        </Field>
        {/* biome-ignore lint/a11y/noStaticElementInteractions: a drop target for the mouse; the keyboard's way in is the file input labelled inside it */}
        <div
          className={`dropzone${dragging ? " dropzone-active" : ""}`}
          onDragOver={(event) => {
            event.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
        >
          <label htmlFor="verify-certificate" className="dropzone-label">
            <strong>{certificateName ? t("verify.certificateLoaded", { name: certificateName }) : t("verify.drop")}</strong>
            <span className="muted small">{t("verify.dropHint")}</span>
          </label>
          <FilePicker
            id="verify-certificate"
            accept="application/json,.json"
            fileName={certificateName}
            onFile={(file) => void readFile(file)}
            testId="verify-certificate"
          />
          {certificate && (
            <button
              type="button"
              className="button button-small button-ghost"
              onClick={() => {
                setCertificate(undefined);
                setCertificateName(undefined);
              }}
            >
              {t("verify.removeCertificate")}
            </button>
          )}
        </div>
        {fileError && (
          <p className="field-error" role="alert">
            {fileError}
          </p>
        )}
        <details className="advanced" open={Boolean(certificate)}>
          <summary>{t("verify.inBrowser")}</summary>
          <Field label={t("verify.rpc")} htmlFor="verify-rpc" hint={t("verify.rpcHint")}>
            <input
              id="verify-rpc"
              className="mono"
              type="url"
              placeholder="http://127.0.0.1:8545"
              value={rpcUrl}
              onChange={(event) => setRpcUrl(event.target.value)}
              data-testid="verify-rpc"
            />
          </Field>
        </details>
        <button type="submit" className="button button-primary button-large button-block" disabled={busy} data-testid="verify-submit">
          {busy ? t("verify.checking") : t("verify.submit")}
        </button>
      </form>
      {busy && <Spinner label={t("verify.checking")} />}
      {outcome && <VerifyResult outcome={outcome} certificate={certificate} />}
    </div>
  );
}

function VerifyResult(props: { outcome: Outcome; certificate: Certificate | undefined }) {
  const { t, lang } = useI18n();
  const { server, browser, browserError, serverError, rpcUrl } = props.outcome;
  // The browser's own check decides when it ran; the server's otherwise.
  const verdict: VerifyResponse["verdict"] | undefined = browser ? (browser.genuine ? "genuine" : "invalid") : server?.verdict;
  if (!verdict) return <ErrorNotice error={serverError} />;
  const checks: VerifyCheck[] = browser?.checks ?? server?.checks ?? [];
  const disagree = browser && server && server.verdict !== "unknown" && (server.verdict === "genuine") !== browser.genuine;
  const state = browser?.state ?? server?.entitlement?.state;
  const certificate = props.certificate ?? server?.certificate;
  const anchor = browser?.anchor ?? server?.batch?.anchor ?? certificate?.batch.anchor ?? null;
  const tokenId = browser?.tokenId ?? server?.entitlement?.tokenId ?? certificate?.issuance?.tokenId ?? null;
  return (
    <section className="stack" aria-live="polite" data-testid="verify-result" data-verdict={verdict}>
      <div className={`verdict verdict-${verdict}`} data-testid="verdict">
        <span className="verdict-icon" aria-hidden="true">
          {verdict === "genuine" ? "✓" : verdict === "invalid" ? "✕" : "?"}
        </span>
        <div>
          <h2>{t(`verify.verdict.${verdict}`)}</h2>
          <p>{t(`verify.verdictBody.${verdict}`)}</p>
        </div>
      </div>
      <p className="checked-by" data-testid="checked-by" data-way={browser ? "browser" : "server"}>
        {browser ? t("verify.checkedInBrowser", { rpc: rpcUrl ?? "" }) : t("verify.checkedByServer")}
      </p>
      {browserError && (
        <Notice tone="warning" title={t("verify.browserFailed")}>
          {browserError} {t("verify.browserFailedHint")}
        </Notice>
      )}
      {disagree && (
        <Notice tone="warning" title={t("verify.disagree")}>
          {t("verify.disagreeBody")}
        </Notice>
      )}
      {verdict !== "unknown" && (
        <div className="verify-columns">
          <section className="card" aria-labelledby="timeline-title">
            <h3 id="timeline-title">{t("verify.timeline")}</h3>
            <ol className="timeline" data-testid="verify-timeline">
              {server?.shop?.name && (
                <li>
                  <strong>{t("verify.t.shop")}</strong>
                  <span>
                    {server.shop.name}
                    {server.product?.name ? ` · ${server.product.name}` : ""}
                  </span>
                </li>
              )}
              <li data-testid="timeline-anchor">
                <strong>{t("verify.t.committed", { batch: certificate?.batch.id ?? server?.batch?.id ?? "?" })}</strong>
                <span>
                  {anchor ? (
                    <>
                      {t("verify.t.block", { block: anchor.block })} · <TxLink hash={anchor.transaction} testId="anchor-tx" />
                    </>
                  ) : (
                    t("verify.t.notAnchored")
                  )}
                </span>
                {(certificate?.batch.root ?? server?.batch?.root) && (
                  <span className="mono small muted">root {shortHash(certificate?.batch.root ?? server!.batch!.root, 10)}</span>
                )}
              </li>
              {server?.sale && (
                <li>
                  <strong>{server.sale.sold ? t("verify.t.sold") : t("verify.t.unsold")}</strong>
                  <span>{server.sale.soldAt ? formatDateTime(server.sale.soldAt, lang) : ""}</span>
                </li>
              )}
              <li data-testid="timeline-issued">
                <strong>{tokenId ? t("verify.t.issued", { token: tokenId }) : t("verify.t.notIssued")}</strong>
                {certificate?.issuance && (
                  <span>
                    {t("verify.t.block", { block: certificate.issuance.block })} · <TxLink hash={certificate.issuance.transaction} testId="issuance-tx" />
                  </span>
                )}
              </li>
              {state && (
                <li>
                  <strong>{t("verify.t.state")}</strong>
                  <span>
                    <StateBadge state={state} testId="verify-entitlement-state" /> {t(`verify.stateBody.${state}` as MessageKey)}
                  </span>
                </li>
              )}
              {server?.entitlement && (
                <li data-testid="verify-terms">
                  <strong>{t("verify.t.owner")}</strong>
                  <span>
                    <code>{server.entitlement.owner ?? "—"}</code>
                    {server.entitlement.user && server.entitlement.userExpires && (
                      <> · {t("verify.t.user", { user: server.entitlement.user, until: formatDateTime(server.entitlement.userExpires, lang) })}</>
                    )}
                    {server.entitlement.expiresAt && <> · {t("verify.t.expires", { at: formatDateTime(server.entitlement.expiresAt, lang) })}</>}
                  </span>
                </li>
              )}
            </ol>
          </section>
          <ChecksList checks={checks} />
        </div>
      )}
      {verdict !== "unknown" && tokenId && <TokenHistory tokenId={tokenId} />}
    </section>
  );
}

/** Transfers and redemption as the indexer saw them on-chain; absent when the platform does not serve the history. */
function TokenHistory(props: { tokenId: string }) {
  const { t, lang } = useI18n();
  const { api } = useSession();
  const history = useAsync(
    (signal) => answer(api.GET("/api/chain/tokens/{tokenId}/timeline", { params: { path: { tokenId: props.tokenId } }, signal })).catch(() => undefined),
    [api, props.tokenId],
  );
  if (!history.data || history.data.entries.length === 0) return null;
  return (
    <section className="card" aria-labelledby="history-title" data-testid="token-history">
      <h3 id="history-title">{t("verify.history", { token: props.tokenId })}</h3>
      <ol className="timeline">
        {history.data.entries.map((entry, index) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: a fixed history in chain order; one transaction can carry several entries, so the position tells them apart
          <li key={`${entry.transactionHash}-${index}`}>
            <strong>{t(`timeline.${entry.kind === "custodial_transfer" ? "resold" : entry.kind}` as MessageKey)}</strong>
            <span className="small muted">
              {t("verify.t.block", { block: entry.blockNumber })} · {formatDateTime(entry.time, lang)} · <TxLink hash={entry.transactionHash} />
            </span>
          </li>
        ))}
      </ol>
    </section>
  );
}

function ChecksList(props: { checks: VerifyCheck[] }) {
  const { t } = useI18n();
  return (
    <section className="card" aria-labelledby="checks-title">
      <h3 id="checks-title">{t("verify.checks")}</h3>
      <ul className="checks" data-testid="verify-checks">
        {props.checks.map((check, index) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: the verdict's checks in its own fixed order; a name can repeat
          <li key={`${check.name}-${index}`} className={`check check-${check.status}`} data-check={check.name} data-status={check.status}>
            <span className="check-icon" role="img" aria-label={check.status}>
              {check.status === "pass" ? "✓" : check.status === "fail" ? "✕" : "–"}
            </span>
            <div>
              <strong>{t(`check.${check.name}` as MessageKey) === `check.${check.name}` ? check.name : t(`check.${check.name}` as MessageKey)}</strong>
              <p className="small muted break">{check.detail}</p>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
