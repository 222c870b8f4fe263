// Small shared pieces: notices that say what to do, empty states, progress, copy buttons,
// transaction links and state badges. Every interactive piece is a real button or link.
import { useState, type ReactNode } from "react";
import { ApiError } from "../api/client.ts";
import { useI18n } from "../i18n/i18n.tsx";
import type { MessageKey } from "../i18n/messages.ts";
import { Link } from "../router.tsx";
import { shortHash } from "../format.ts";

/**
 * A table's horizontal scroll container. On a phone a wide table scrolls sideways, so the
 * region takes keyboard focus (arrow keys scroll it) and is named for screen readers.
 */
export function TableScroll(props: { label?: string; children: ReactNode }) {
  const { t } = useI18n();
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard to be scrolled (WCAG 2.1.1; axe scrollable-region-focusable)
    <section className="table-wrap" tabIndex={0} aria-label={props.label ?? t("common.scrollTable")}>
      {props.children}
    </section>
  );
}

export function Spinner(props: { label?: string }) {
  const { t } = useI18n();
  return (
    <div className="spinner" role="status" aria-live="polite">
      <span className="spinner-dot" aria-hidden="true" />
      <span>{props.label ?? t("common.loading")}</span>
    </div>
  );
}

const adviceByCode: Record<string, MessageKey> = {
  network_error: "error.network",
  unauthorized: "error.unauthorized",
  forbidden: "error.forbidden",
  not_found: "error.notFound",
  rate_limited: "error.rateLimited",
  validation_failed: "error.validation",
  out_of_stock: "error.outOfStock",
  fee_balance_exhausted: "error.feeBalanceExhausted",
  chain_unavailable: "error.chainUnavailable",
  throttle_unavailable: "error.throttleUnavailable",
  too_many_unpaid_orders: "error.tooManyUnpaidOrders",
  reservation_share_exceeded: "error.reservationShareExceeded",
  risk_blocked: "error.riskBlocked",
  captcha_required: "error.captchaRequired",
  shop_quota_exceeded: "error.shopQuotaExceeded",
  import_quota_exceeded: "error.importQuotaExceeded",
  coupon_unknown: "error.couponUnknown",
  coupon_expired: "error.couponExpired",
  coupon_exhausted: "error.couponExhausted",
  coupon_not_applicable: "error.couponNotApplicable",
  coupon_not_usable: "error.couponNotUsable",
  markup_out_of_bounds: "error.markupOutOfBounds",
  commission_rates_invalid: "error.commissionRatesInvalid",
  purchase_limit_reached: "error.purchaseLimitReached",
  domain_unproved: "error.domainUnproved",
  domain_taken: "error.domainTaken",
  document_type_refused: "error.documentTypeRefused",
  insufficient_funds: "error.insufficientFunds",
  plan_limit_exceeded: "error.planLimitExceeded",
};

/** An error with what to do about it: a translated hint by code, the server's own message below. */
export function ErrorNotice(props: { error: unknown; onRetry?: () => void }) {
  const { t } = useI18n();
  if (!props.error) return null;
  const error = props.error;
  const code = error instanceof ApiError ? error.code : "unknown";
  const advice = adviceByCode[code];
  const detail = error instanceof Error ? error.message : String(error);
  return (
    <div className="notice notice-error" role="alert" data-testid="error-notice" data-code={code}>
      <strong>{advice ? t(advice) : t("error.generic")}</strong>
      <p className="notice-detail">{detail}</p>
      {code === "unauthorized" && (
        <Link className="button button-small" to={`/login?next=${encodeURIComponent(window.location.pathname + window.location.search)}`}>
          {t("nav.signIn")}
        </Link>
      )}
      {props.onRetry && (
        <button type="button" className="button button-small button-ghost" onClick={props.onRetry}>
          {t("common.retry")}
        </button>
      )}
    </div>
  );
}

export function Notice(props: { tone?: "info" | "success" | "warning"; title?: ReactNode; children?: ReactNode; testId?: string }) {
  return (
    <div className={`notice notice-${props.tone ?? "info"}`} role="status" data-testid={props.testId}>
      {props.title && <strong>{props.title}</strong>}
      {props.children && <div className="notice-detail">{props.children}</div>}
    </div>
  );
}

export function EmptyState(props: { title: ReactNode; children?: ReactNode; action?: ReactNode; testId?: string }) {
  return (
    <div className="empty" data-testid={props.testId ?? "empty-state"}>
      <div className="empty-icon" aria-hidden="true">
        ◇
      </div>
      <strong>{props.title}</strong>
      {props.children && <p>{props.children}</p>}
      {props.action}
    </div>
  );
}

export function ProgressBar(props: { percent: number; label: string; testId?: string }) {
  const percent = Math.max(0, Math.min(100, Math.round(props.percent)));
  return (
    <div className="progress" data-testid={props.testId}>
      <div className="progress-label">
        <span>{props.label}</span>
        <span data-testid={props.testId ? `${props.testId}-percent` : undefined}>{percent}%</span>
      </div>
      <div className="progress-track" role="progressbar" aria-label={props.label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
        <div className="progress-fill" style={{ width: `${percent}%` }} />
      </div>
    </div>
  );
}

export function CopyButton(props: { value: string; label?: string; testId?: string }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.value);
    } catch {
      // Clipboard refused (insecure origin or permissions): select-and-copy fallback.
      const area = document.createElement("textarea");
      area.value = props.value;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <button type="button" className="button button-small button-ghost" onClick={() => void copy()} data-testid={props.testId} aria-live="polite">
      {copied ? t("common.copied") : (props.label ?? t("common.copy"))}
    </button>
  );
}

/** A transaction hash that opens the in-app transaction page (read from the chain's RPC in the browser). */
export function TxLink(props: { hash: string | null | undefined; testId?: string }) {
  if (!props.hash) return <span className="muted">—</span>;
  return (
    <Link className="mono tx-link" to={`/tx/${props.hash}`} title={props.hash} data-testid={props.testId}>
      {shortHash(props.hash)}
    </Link>
  );
}

export function Hash(props: { value: string | null | undefined }) {
  if (!props.value) return <span className="muted">—</span>;
  return (
    <span className="mono" title={props.value}>
      {shortHash(props.value)}
    </span>
  );
}

const badgeTone: Record<string, string> = {
  fulfilled: "good",
  confirmed: "good",
  included: "good",
  genuine: "good",
  redeemed: "info",
  active: "good",
  pass: "good",
  settled: "good",
  cancelled: "muted",
  balanced: "good",
  unbalanced: "bad",
  done: "good",
  paid: "info",
  submitted: "info",
  sealed: "info",
  pending: "wait",
  awaiting_payment: "wait",
  queued: "wait",
  running: "wait",
  processing: "wait",
  expired: "muted",
  paused: "muted",
  skip: "muted",
  unknown: "muted",
  refunded: "muted",
  not_issued: "wait",
  failed: "bad",
  invalid: "bad",
  revoked: "bad",
  fail: "bad",
  refund_pending: "warn",
};

export function StateBadge(props: { state: string; testId?: string }) {
  const { t } = useI18n();
  const key = `state.${props.state}` as MessageKey;
  const label = t(key) === key ? props.state : t(key);
  return (
    <span className={`badge badge-${badgeTone[props.state] ?? "muted"}`} data-testid={props.testId} data-state={props.state}>
      {label}
    </span>
  );
}

export function Field(props: { label: string; hint?: ReactNode; error?: string; children: ReactNode; htmlFor: string }) {
  return (
    <div className={`field${props.error ? " field-invalid" : ""}`}>
      <label htmlFor={props.htmlFor}>{props.label}</label>
      {props.children}
      {props.hint && <p className="field-hint">{props.hint}</p>}
      {props.error && (
        <p className="field-error" role="alert">
          {props.error}
        </p>
      )}
    </div>
  );
}

/**
 * A file input whose button and "no file" text follow the page's language: the native control
 * speaks the browser's, so a Chinese page showed "Choose File / No file chosen". The input stays
 * in the page (visually hidden, still focusable and labelled) for keyboards and tests.
 */
export function FilePicker(props: { id: string; accept: string; fileName?: string; onFile: (file: File | undefined) => void; testId?: string }) {
  const { t } = useI18n();
  return (
    <div className="file-picker">
      <input
        id={props.id}
        type="file"
        accept={props.accept}
        className="visually-hidden"
        onChange={(event) => {
          props.onFile(event.target.files?.[0]);
          // The chosen file lives in the caller's state; emptying the input lets the same file be chosen again after a reset.
          event.target.value = "";
        }}
        data-testid={props.testId}
      />
      <label htmlFor={props.id} className="button button-small">
        {t("common.chooseFile")}
      </label>
      <span className="muted small">{props.fileName ?? t("common.noFile")}</span>
    </div>
  );
}

export function PageHeader(props: { title: ReactNode; subtitle?: ReactNode; actions?: ReactNode }) {
  return (
    <header className="page-header">
      <div>
        <h1>{props.title}</h1>
        {props.subtitle && <p className="page-subtitle">{props.subtitle}</p>}
      </div>
      {props.actions && <div className="page-actions">{props.actions}</div>}
    </header>
  );
}
