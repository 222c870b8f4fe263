// The signed-in buyer's orders, newest first, with a "load more" page by creation time.
import { answer } from "../api/client.ts";
import { useState } from "react";
import type { OrderSummary } from "../api/types.ts";
import { EmptyState, ErrorNotice, PageHeader, Spinner, StateBadge } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { formatDateTime, formatMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { Link } from "../router.tsx";
import { useSession } from "../session.tsx";

export function MyOrdersPage() {
  const { t, lang } = useI18n();
  const { api, account } = useSession();
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [earlier, setEarlier] = useState<OrderSummary[]>([]);
  const page = useAsync(
    (signal) => (account ? answer(api.GET("/api/me/orders", { params: { query: { limit: 20, cursor } }, signal })) : Promise.resolve(undefined)),
    [api, account?.id, cursor],
  );
  if (!account) {
    return (
      <EmptyState
        title={t("myOrders.signIn")}
        action={
          <Link className="button button-primary" to="/login?next=/me/orders">
            {t("nav.signIn")}
          </Link>
        }
      >
        {t("myOrders.signInHint")}
      </EmptyState>
    );
  }
  const items = [...earlier, ...(page.data?.items ?? [])];
  return (
    <div className="stack-lg">
      <PageHeader title={t("nav.myOrders")} subtitle={account.email} />
      <ErrorNotice error={page.error} onRetry={page.reload} />
      {page.loading && items.length === 0 && <Spinner />}
      {page.data && items.length === 0 && (
        <EmptyState
          title={t("myOrders.empty")}
          action={
            <Link className="button button-primary" to="/shop/demo">
              {t("home.browse")}
            </Link>
          }
        >
          {t("myOrders.emptyHint")}
        </EmptyState>
      )}
      {items.length > 0 && (
        <ul className="list card" data-testid="my-orders">
          {items.map((order) => (
            <li key={order.id} className="list-row order-row">
              <div className="order-row-main">
                <Link to={`/orders/${order.id}`} className="order-row-title">
                  {order.productName} × {order.quantity}
                </Link>
                <span className="mono small muted">{order.id}</span>
              </div>
              <div className="order-row-side">
                <strong>{formatMoney(order.amountMinor, order.currency)}</strong>
                <StateBadge state={order.state} />
              </div>
              <span className="muted small order-row-date">{formatDateTime(order.createdAt, lang)}</span>
            </li>
          ))}
        </ul>
      )}
      {page.data?.nextCursor && (
        <button
          type="button"
          className="button"
          onClick={() => {
            setEarlier(items);
            setCursor(page.data!.nextCursor!);
          }}
        >
          {t("common.loadMore")}
        </button>
      )}
    </div>
  );
}
