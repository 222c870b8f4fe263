// The overview: balance, low stock, the manual-delivery queue, and the sales charts (a lazy
// chunk, so the console opens before the charts' code arrives).
import { answer } from "../api/client.ts";
import { lazy, Suspense, useState } from "react";
import type { Shop } from "../api/types.ts";
import { EmptyState, ErrorNotice, Spinner } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { formatMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { Link } from "../router.tsx";
import { useSession } from "../session.tsx";
import { StockBadge } from "../pages/StockBadge.tsx";
import { useShopBalance, useShopProducts } from "./shopData.ts";

const SalesCharts = lazy(() => import("../charts/SalesCharts.tsx"));
const salesWindowsDays = [7, 30, 90] as const;

export function OverviewTab(props: { shop: Shop }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [days, setDays] = useState<number>(30);
  const products = useShopProducts(props.shop.id);
  const balance = useShopBalance(props.shop.id);
  const queue = useAsync(
    (signal) =>
      answer(
        api.GET("/api/shops/{shopId}/orders", {
          params: { path: { shopId: props.shop.id }, query: { deliveryMode: "manual", state: "paid", limit: 100 } },
          signal,
        }),
      ),
    [api, props.shop.id],
  );
  const sales = useAsync(
    (signal) => answer(api.GET("/api/shops/{shopId}/sales", { params: { path: { shopId: props.shop.id }, query: { days } }, signal })),
    [api, props.shop.id, days],
  );
  const low = (products.data ?? []).filter((product) => product.lowStock || (product.stock !== null && product.stock <= 0));
  const revenue = (sales.data?.revenuePerDay ?? []).reduce((sum, row) => sum + BigInt(row.revenueMinor), 0n);
  const orders = (sales.data?.revenuePerDay ?? []).reduce((sum, row) => sum + row.orders, 0);
  const currency = sales.data?.revenuePerDay[0]?.currency ?? balance.data?.balances[0]?.currency ?? "CNY";
  return (
    <div className="stack-lg">
      <div className="stat-grid">
        <div className="stat">
          <span className="stat-label">{t("overview.revenue", { days })}</span>
          <span className="stat-value" data-testid="overview-revenue">
            {formatMoney(revenue, currency)}
          </span>
          <span className="muted small">{t("overview.orders", { count: orders })}</span>
        </div>
        <div className="stat">
          <span className="stat-label">{t("money.available")}</span>
          <span className="stat-value">
            {balance.data?.balances[0] ? formatMoney(balance.data.balances[0].availableMinor, balance.data.balances[0].currency) : "—"}
          </span>
          <Link className="small" to="/merchant/money">
            {t("overview.toMoney")}
          </Link>
        </div>
        <div className="stat">
          <span className="stat-label">{t("orders.manualQueue")}</span>
          <span className="stat-value">{queue.data?.items.length ?? "—"}</span>
          <Link className="small" to="/merchant/orders">
            {t("overview.toOrders")}
          </Link>
        </div>
        <div className="stat">
          <span className="stat-label">{t("overview.lowStock")}</span>
          <span className={`stat-value${low.length ? " stat-warn" : ""}`} data-testid="low-stock-count">
            {products.data ? low.length : "—"}
          </span>
          <Link className="small" to="/merchant/import">
            {t("overview.toImport")}
          </Link>
        </div>
      </div>
      {low.length > 0 && (
        <section className="card stack" data-testid="low-stock">
          <h2 className="section-title">{t("overview.lowStock")}</h2>
          <ul className="list">
            {low.map((product) => (
              <li key={product.id} className="list-row">
                <span className="clamp-1">{product.name}</span>
                <StockBadge product={product} />
                <Link className="button button-small" to="/merchant/import">
                  {t("overview.restock")}
                </Link>
              </li>
            ))}
          </ul>
        </section>
      )}
      <section className="card stack">
        <div className="section-head">
          <h2 className="section-title">{t("overview.sales")}</h2>
          <fieldset className="segmented" aria-label={t("overview.window")}>
            {salesWindowsDays.map((value) => (
              <button
                key={value}
                type="button"
                className={days === value ? "segment segment-active" : "segment"}
                aria-pressed={days === value}
                onClick={() => setDays(value)}
              >
                {t("overview.days", { days: value })}
              </button>
            ))}
          </fieldset>
        </div>
        <ErrorNotice error={sales.error} onRetry={sales.reload} />
        {sales.data && sales.data.revenuePerDay.length === 0 && <EmptyState title={t("overview.noSales")}>{t("overview.noSalesHint")}</EmptyState>}
        {sales.data && sales.data.revenuePerDay.length > 0 && (
          <Suspense fallback={<Spinner />}>
            <SalesCharts summary={sales.data} />
          </Suspense>
        )}
      </section>
    </div>
  );
}
