// A resale purchase after the gateway: waits for the payment to settle, then sends the buyer
// to their keys, where the sealed entitlement can be revealed.
import { answer } from "../api/client.ts";
import { EmptyState, ErrorNotice, Notice, PageHeader, Spinner, StateBadge } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { formatDateTime, formatMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { Link } from "../router.tsx";
import { useSession } from "../session.tsx";

const purchasePollIntervalMs = 1000;

export default function PurchasePage(props: { purchaseId: string }) {
  const { t, lang } = useI18n();
  const { api, account } = useSession();
  const purchase = useAsync(
    (signal) => answer(api.GET("/api/resale/purchases/{purchaseId}", { params: { path: { purchaseId: props.purchaseId } }, signal })),
    [api, props.purchaseId, account?.id],
    {
      pollMs: purchasePollIntervalMs,
      poll: (value) => value?.state === "awaiting_payment",
    },
  );
  if (!account) {
    return (
      <EmptyState
        title={t("myOrders.signIn")}
        action={
          <Link className="button button-primary" to={`/login?next=/resale/purchases/${props.purchaseId}`}>
            {t("nav.signIn")}
          </Link>
        }
      />
    );
  }
  if (purchase.loading && !purchase.data) return <Spinner />;
  if (!purchase.data) return <ErrorNotice error={purchase.error} onRetry={purchase.reload} />;
  const data = purchase.data;
  return (
    <div className="narrow stack-lg" data-testid="resale-purchase" data-state={data.state}>
      <PageHeader title={t("purchase.title")} subtitle={<span className="mono">{data.id}</span>} actions={<StateBadge state={data.state} />} />
      <div className="card stack">
        <div className="checkout-total">
          <span>{t("checkout.total")}</span>
          <span className="price price-large">{formatMoney(data.priceMinor, data.currency)}</span>
        </div>
        {data.state === "awaiting_payment" && (
          <Notice tone="warning" title={t("order.awaitingTitle")}>
            <p>{t("order.awaitingBody", { time: formatDateTime(data.expiresAt, lang) })}</p>
            <a className="button button-primary" href={data.paymentUrl}>
              {t("order.payNow")}
            </a>
          </Notice>
        )}
        {data.state === "settled" && (
          <Notice tone="success" title={t("purchase.settled")}>
            <p>{t("purchase.settledBody")}</p>
            <Link className="button button-primary" to="/me/keys" data-testid="purchase-to-keys">
              {t("nav.myKeys")}
            </Link>
          </Notice>
        )}
        {(data.state === "expired" || data.state === "refund_pending") && (
          <Notice tone="warning" title={t(data.state === "expired" ? "order.expiredTitle" : "state.refund_pending")}>
            {t("purchase.notSettled")}
          </Notice>
        )}
      </div>
    </div>
  );
}
