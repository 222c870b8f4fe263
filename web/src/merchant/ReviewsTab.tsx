// The review queue (docs/abuse.md, "Risk rules"): orders whose risk score reached the product's
// review threshold are held before delivery; the merchant approves (delivery is queued at once)
// or rejects (keys back to stock, the buyer refunded in full), after a confirmation.
import { useState } from "react";
import { answer } from "../api/client.ts";
import type { paths } from "../api/schema.d.ts";
import type { Shop } from "../api/types.ts";
import { EmptyState, ErrorNotice, Spinner, StateBadge, TableScroll } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { formatDateTime, formatMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { useSession } from "../session.tsx";

type ReviewItem = paths["/api/shops/{shopId}/reviews"]["get"]["responses"][200]["content"]["application/json"]["items"][number];

export function ReviewsTab(props: { shop: Shop }) {
  const { t, lang } = useI18n();
  const { api } = useSession();
  const queue = useAsync(
    (signal) => answer(api.GET("/api/shops/{shopId}/reviews", { params: { path: { shopId: props.shop.id } }, signal })),
    [api, props.shop.id],
  );
  return (
    <div className="stack">
      <p className="muted">{t("reviews.hint")}</p>
      <ErrorNotice error={queue.error} onRetry={queue.reload} />
      {queue.loading && !queue.data && <Spinner />}
      {queue.data?.items.length === 0 && <EmptyState title={t("reviews.empty")}>{t("reviews.emptyHint")}</EmptyState>}
      {queue.data && queue.data.items.length > 0 && (
        <TableScroll>
          <table className="table" data-testid="reviews-table">
            <thead>
              <tr>
                <th scope="col">{t("order.number")}</th>
                <th scope="col">{t("orders.amount")}</th>
                <th scope="col">{t("reviews.score")}</th>
                <th scope="col">{t("reviews.reasons")}</th>
                <th scope="col">{t("order.created")}</th>
                <th scope="col">{t("common.actions")}</th>
              </tr>
            </thead>
            <tbody>
              {queue.data.items.map((item) => (
                <tr key={item.orderId} data-testid={`review-${item.orderId}`}>
                  <td>
                    <span className="mono">{item.orderId}</span> × {item.quantity}
                    <div className="small muted">{item.contact ?? "—"}</div>
                  </td>
                  <td>{formatMoney(item.amountMinor, item.currency)}</td>
                  <td className="mono" data-testid="review-score">
                    {item.riskScore}
                  </td>
                  <td className="small">{item.riskReasons.join(", ") || "—"}</td>
                  <td className="small">
                    {formatDateTime(item.createdAt, lang)} <StateBadge state={item.state} />
                  </td>
                  <td>
                    <Decide shopId={props.shop.id} item={item} onDecided={queue.reload} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </div>
  );
}

function Decide(props: { shopId: string; item: ReviewItem; onDecided(): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [confirmingReject, setConfirmingReject] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const decide = async (decision: "approve" | "reject") => {
    setBusy(true);
    setError(undefined);
    try {
      await answer(
        api.POST("/api/shops/{shopId}/reviews/{orderId}", { params: { path: { shopId: props.shopId, orderId: props.item.orderId } }, body: { decision } }),
      );
      props.onDecided();
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };
  return (
    <div className="stack">
      {confirmingReject ? (
        <div className="notice notice-warning" role="alert">
          <p>{t("reviews.rejectConfirm")}</p>
          <div className="button-row">
            <button type="button" className="button button-small" disabled={busy} onClick={() => void decide("reject")} data-testid="review-reject-confirm">
              {t("reviews.rejectYes")}
            </button>
            <button type="button" className="button button-small button-ghost" disabled={busy} onClick={() => setConfirmingReject(false)}>
              {t("common.cancel")}
            </button>
          </div>
        </div>
      ) : (
        <div className="button-row">
          <button
            type="button"
            className="button button-small button-primary"
            disabled={busy}
            onClick={() => void decide("approve")}
            data-testid="review-approve"
          >
            {t("reviews.approve")}
          </button>
          <button type="button" className="button button-small" disabled={busy} onClick={() => setConfirmingReject(true)} data-testid="review-reject">
            {t("reviews.reject")}
          </button>
        </div>
      )}
      <ErrorNotice error={error} />
    </div>
  );
}
