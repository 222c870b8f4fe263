// An order: progress from payment to delivery to the on-chain record, then each key with its
// entitlement. Codes stay sealed until the buyer reveals them (redemption, recorded on-chain,
// which locks the token against resale); then they show with a copy button. Each key's
// certificate downloads as JSON and opens in the verify page.
import { OrderReviews } from "../reviews/OrderReviews.tsx";
import { answer } from "../api/client.ts";
import { lazy, Suspense, useEffect, useState } from "react";
import type { Order, OrderItem } from "../api/types.ts";
import { CopyButton, EmptyState, ErrorNotice, Notice, Spinner, StateBadge, TxLink } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { useAfterFirstRender } from "../components/useAfterFirstRender.ts";
import { formatDateTime, formatMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import type { MessageKey } from "../i18n/messages.ts";
import { findRecentOrder, rememberOrder } from "../recentOrders.ts";
import { Link, useRouter } from "../router.tsx";
import { useSession } from "../session.tsx";
import { OrderTickets } from "../support/OrderTickets.tsx";
import { saveVerifyDraft } from "../verify/verifyDraft.ts";
import { OpenDisputeForm } from "../disputes/OpenDisputeForm.tsx";
import { ReceiptLinks } from "../receipts/downloads.tsx";

/**
 * While the order awaits payment or delivery, each request long-polls: the API answers when the
 * order changes or after this many seconds (its maximum is 25), and the page asks again at once.
 */
const orderWaitSeconds = 20;
/** Issuance and refunds do not wake a long poll, so then the page asks again after this pause. */
const orderPollIntervalMs = 2000;
const settledIssueStates = ["included", "confirmed", "failed"];
// Its own chunk: the first screen's JavaScript does not carry it.
const Recommendations = lazy(() => import("../discovery/Recommendations.tsx"));
// Its own chunk too: only an order of a listing docked from another instance shows it.
const OrderProvenance = lazy(() => import("../crossdock/OrderProvenance.tsx"));

/** The states in which the API holds a long poll until the order changes. */
function longPolls(order: Order | undefined): boolean {
  return order?.state === "awaiting_payment" || order?.state === "paid";
}

function needsPolling(order: Order | undefined): boolean {
  if (!order) return true;
  if (order.state === "awaiting_payment" || order.state === "paid" || order.state === "refund_pending") return true;
  return order.state === "fulfilled" && order.items.some((item) => !settledIssueStates.includes(item.issueState));
}

export function OrderPage(props: { orderId: string }) {
  const { t, lang } = useI18n();
  const { api, account, hasRole } = useSession();
  const { search } = useRouter();
  const [token] = useState(() => search.get("token") ?? findRecentOrder(props.orderId)?.token ?? undefined);
  const order = useAsync(
    (signal, previous) =>
      // The first read answers at once; later ones wait for news while the API can wake them.
      answer(
        api.GET("/api/orders/{orderId}", {
          params: { path: { orderId: props.orderId }, query: { token, ...(longPolls(previous) ? { waitSeconds: orderWaitSeconds } : {}) } },
          signal,
        }),
      ),
    [api, props.orderId, token],
    { pollMs: (current) => (longPolls(current) ? 0 : orderPollIntervalMs), poll: needsPolling },
  );
  const current = order.data;
  // What follows the order's facts (the dispute form, the bookmark hint, tickets, recommendations)
  // renders in a second, later task (components/useAfterFirstRender.ts).
  const below = useAfterFirstRender(Boolean(current));
  // The reveal answers with the new order view, but a reload keeps one source of truth.
  const onRevealed = () => order.reload();

  // biome-ignore lint/correctness/useExhaustiveDependencies: once per loaded order; every poll brings a new order.data object, but the id, name and creation time remembered do not change
  useEffect(() => {
    // A token from the address (the gateway's short-lived return token, a mail link) does not
    // replace the longer-lived one the checkout or the look-up stored.
    if (order.data && token && !findRecentOrder(order.data.id)?.token)
      rememberOrder({ id: order.data.id, token, productName: order.data.productName, createdAt: order.data.createdAt });
  }, [order.data?.id, token]);

  if (order.loading && !order.data) return <Spinner label={t("order.loading")} />;
  if (!current) {
    return (
      <div className="stack">
        <ErrorNotice error={order.error} onRetry={order.reload} />
        {!token && !account && (
          <EmptyState
            title={t("order.needAccess")}
            action={
              <Link className="button button-primary" to="/lookup">
                {t("nav.lookup")}
              </Link>
            }
          >
            {t("order.needAccessHint")}
          </EmptyState>
        )}
      </div>
    );
  }
  const recent = findRecentOrder(current.id);
  const sealed = current.items.filter((item) => item.state === "sealed");
  return (
    <div className="stack-lg" data-testid="order-page" data-order-state={current.state}>
      <header className="page-header">
        <div>
          <p className="eyebrow">{t("order.number")}</p>
          <h1 className="mono order-id" data-testid="order-id">
            {current.id}
          </h1>
          <p className="page-subtitle">
            {current.productName} × {current.quantity} · <strong>{formatMoney(current.amountMinor, current.currency)}</strong>
          </p>
          {current.fx && (
            <p className="muted small" data-testid="order-fx">
              {t("order.fxRecorded", {
                price: formatMoney(current.fx.priceAmountMinor, current.fx.priceCurrency),
                base: current.fx.priceCurrency,
                rate: current.fx.rate,
                quote: current.currency,
              })}
            </p>
          )}
        </div>
        <div className="page-actions">
          <StateBadge state={current.state} testId="order-state" />
        </div>
      </header>
      <OrderProgress order={current} />
      {current.paidAt && <ReceiptLinks orderId={current.id} token={token} />}
      {current.state === "awaiting_payment" && (
        <Notice tone="warning" title={t("order.awaitingTitle")} testId="awaiting-payment">
          <p>{t("order.awaitingBody", { time: formatDateTime(current.expiresAt, lang) })}</p>
          {recent?.paymentUrl && (
            <a className="button button-primary" href={recent.paymentUrl}>
              {t("order.payNow")}
            </a>
          )}
        </Notice>
      )}
      {current.state === "paid" && (
        <Notice tone="info" title={t("order.paidTitle")}>
          {t("order.paidBody")}
        </Notice>
      )}
      {current.state === "expired" && (
        <Notice tone="warning" title={t("order.expiredTitle")}>
          {t("order.expiredBody")}
        </Notice>
      )}
      {(current.state === "refunded" || current.state === "refund_pending" || current.state === "failed") && (
        <Notice tone="warning" title={t(`state.${current.state}` as MessageKey)}>
          {current.refundReason ?? t("order.refundBody")}
        </Notice>
      )}
      {current.state === "fulfilled" && current.items.length === 0 && (
        <Notice tone="success" title={t("order.manualDelivered")}>
          {current.manualDelivery ? (
            <pre className="manual-delivery" data-testid="manual-delivery">
              {current.manualDelivery}
            </pre>
          ) : (
            t("order.manualDeliveredBody")
          )}
        </Notice>
      )}
      {current.items.length > 0 && (
        <section className="stack" aria-labelledby="keys-title">
          <div className="section-head">
            <h2 id="keys-title" className="section-title">
              {t("order.keys")}
            </h2>
            {sealed.length > 1 && <RevealButton orderId={current.id} token={token} items={sealed} onRevealed={onRevealed} all />}
          </div>
          {current.items.map((item, index) => (
            <KeyCard key={item.entitlementId} order={current} item={item} index={index} token={token} onRevealed={onRevealed} />
          ))}
        </section>
      )}
      {/* A docked listing's keys from another instance arrive as the order's delivery (no key rows);
          only the buyer reads their certificates (they carry the salts), so only then is the route asked. */}
      {current.state === "fulfilled" && current.items.length === 0 && (token || (account && !hasRole("merchant", "admin", "auditor"))) && (
        <Suspense fallback={null}>
          <OrderProvenance orderId={current.id} token={token} code={current.manualDelivery} />
        </Suspense>
      )}
      {current.state === "fulfilled" && <OrderReviews order={current} />}
      <dl className="facts card">
        <div>
          <dt>{t("order.created")}</dt>
          <dd>{formatDateTime(current.createdAt, lang)}</dd>
        </div>
        <div>
          <dt>{t("order.paidAt")}</dt>
          <dd>{formatDateTime(current.paidAt, lang)}</dd>
        </div>
        <div>
          <dt>{t("order.fulfilledAt")}</dt>
          <dd>{formatDateTime(current.fulfilledAt, lang)}</dd>
        </div>
        <div>
          <dt>{t("checkout.contact")}</dt>
          <dd>{current.contact ?? account?.email ?? "—"}</dd>
        </div>
      </dl>
      {/* Only the buyer may open one: a token holder, or a signed-in account without a shop or staff role (the API decides). */}
      {below && current.state === "fulfilled" && (token || (account && !hasRole("merchant", "admin", "auditor"))) && (
        <OpenDisputeForm orderId={current.id} token={token} />
      )}
      {below && token && <p className="muted small">{t("order.bookmark")}</p>}
      {/* The API decides who may open a ticket (the buyer); staff and the merchant see the list. */}
      {below && <OrderTickets order={current} token={token} buyer={Boolean(token) || !hasRole("merchant", "admin", "auditor")} />}
      {/* After fulfilment: a signed-in buyer's "for you"; a guest (the order's token) gets the product's list.
          Last on the page: the list arrives after the order (a chunk and a request), and above the
          order's facts its arrival pushed them down (layout shift 0.034 on a phone). */}
      {below && current.state === "fulfilled" && (
        <Suspense fallback={null}>
          {account && !hasRole("merchant", "admin", "auditor") ? <Recommendations forAccount /> : <Recommendations productId={current.productId} />}
        </Suspense>
      )}
    </div>
  );
}

function OrderProgress(props: { order: Order }) {
  const { t } = useI18n();
  const { order } = props;
  const issued = order.items.length > 0 && order.items.every((item) => settledIssueStates.includes(item.issueState));
  const steps: { key: MessageKey; done: boolean }[] = [
    { key: "order.step.placed", done: true },
    { key: "order.step.paid", done: order.paidAt !== null || order.state === "fulfilled" },
    { key: "order.step.delivered", done: order.state === "fulfilled" },
    { key: "order.step.onChain", done: issued || (order.state === "fulfilled" && order.items.length === 0) },
  ];
  const active = steps.findIndex((step) => !step.done);
  const stopped = ["expired", "refunded", "failed"].includes(order.state);
  return (
    <ol className="steps" aria-label={t("order.progress")} data-testid="order-progress">
      {steps.map((step, index) => (
        <li
          key={step.key}
          className={`step${step.done ? " step-done" : ""}${index === active && !stopped ? " step-active" : ""}`}
          aria-current={index === active ? "step" : undefined}
        >
          <span className="step-dot" aria-hidden="true">
            {step.done ? "✓" : index + 1}
          </span>
          <span className="step-label">{t(step.key)}</span>
        </li>
      ))}
    </ol>
  );
}

function KeyCard(props: { order: Order; item: OrderItem; index: number; token: string | undefined; onRevealed(): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const { navigate } = useRouter();
  const { item, order, token } = props;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);

  const fetchCertificate = () =>
    answer(api.GET("/api/orders/{orderId}/keys/{keyId}/certificate", { params: { path: { orderId: order.id, keyId: item.keyId }, query: { token } } }));
  const download = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const certificate = await fetchCertificate();
      const url = URL.createObjectURL(new Blob([JSON.stringify(certificate, null, 2)], { type: "application/json" }));
      const anchor = document.createElement("a");
      anchor.href = url;
      anchor.download = `keyledger-${order.id}-${item.keyId}.json`;
      document.body.append(anchor);
      anchor.click();
      anchor.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  const verify = async () => {
    setBusy(true);
    setError(undefined);
    try {
      saveVerifyDraft({ certificate: await fetchCertificate(), key: item.code ?? undefined });
      navigate("/verify?from=order");
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };

  return (
    <article className="card key-card" data-testid="key-card" data-entitlement-state={item.state}>
      <div className="key-card-head">
        <span className="muted small">{t("order.keyNumber", { n: props.index + 1 })}</span>
        <StateBadge state={item.state} testId="entitlement-state" />
      </div>
      {item.state === "redeemed" && item.code !== null && (
        <div className="key-code-row">
          <code className="key-code" data-testid="key-code">
            {item.code}
          </code>
          <CopyButton value={item.code} testId="copy-key" />
        </div>
      )}
      {item.state === "sealed" && (
        <div className="sealed-box">
          <p>{t("order.sealedBody")}</p>
          <RevealButton orderId={order.id} token={token} items={[item]} onRevealed={props.onRevealed} />
        </div>
      )}
      {item.state === "revoked" && <Notice tone="warning">{t("order.revokedBody")}</Notice>}
      <dl className="key-facts">
        <div>
          <dt>{t("order.token")}</dt>
          <dd>{item.tokenId ? `#${item.tokenId}` : "—"}</dd>
        </div>
        <div>
          <dt>{t("order.issuance")}</dt>
          <dd>
            <StateBadge state={item.issueState} testId="issue-state" /> <TxLink hash={item.issueTx} />
          </dd>
        </div>
        <div>
          <dt>{t("order.batch")}</dt>
          <dd>
            #{item.batchId} · {t("order.leaf", { n: item.leafIndex })}
          </dd>
        </div>
      </dl>
      <div className="button-row">
        <button type="button" className="button button-small" onClick={() => void download()} disabled={busy} data-testid="certificate-download">
          {t("order.downloadCertificate")}
        </button>
        <button type="button" className="button button-small button-ghost" onClick={() => void verify()} disabled={busy} data-testid="verify-this-key">
          {t("order.verifyKey")}
        </button>
      </div>
      <ErrorNotice error={error} />
    </article>
  );
}

function RevealButton(props: { orderId: string; token: string | undefined; items: OrderItem[]; onRevealed(): void; all?: boolean }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const reveal = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await answer(
        api.POST("/api/orders/{orderId}/reveal", {
          params: { path: { orderId: props.orderId } },
          body: { ...(props.token ? { token: props.token } : {}), entitlementIds: props.items.map((item) => item.entitlementId) },
        }),
      );
      props.onRevealed();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };
  if (!confirming) {
    return (
      <div>
        <button
          type="button"
          className={`button ${props.all ? "button-small" : "button-primary"}`}
          onClick={() => setConfirming(true)}
          data-testid={props.all ? "reveal-all" : "reveal-button"}
        >
          {props.all ? t("order.revealAll") : t("order.reveal")}
        </button>
        <ErrorNotice error={error} />
      </div>
    );
  }
  return (
    <fieldset className="confirm-box" aria-label={t("order.revealConfirmTitle")}>
      <p>
        <strong>{t("order.revealConfirmTitle")}</strong> {t("order.revealConfirmBody")}
      </p>
      <div className="button-row">
        <button type="button" className="button button-primary" onClick={() => void reveal()} disabled={busy} data-testid="reveal-confirm">
          {busy ? t("common.working") : t("order.revealConfirm")}
        </button>
        <button type="button" className="button button-ghost" onClick={() => setConfirming(false)} disabled={busy}>
          {t("common.cancel")}
        </button>
      </div>
    </fieldset>
  );
}
