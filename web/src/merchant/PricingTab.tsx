// Pricing (docs/pricing.md): the shop's coupons, and per product its wholesale tiers and daily
// purchase limit, and the shop's member levels. Each panel saves through the pricing routes; the
// API's refusals (overlapping tiers, bad percents) are shown as it words them.
import { answer } from "../api/client.ts";
import type { Shop } from "../api/types.ts";
import { EmptyState, ErrorNotice, Spinner } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { useSession } from "../session.tsx";
import { CouponsPanel } from "./pricing/CouponsPanel.tsx";
import { LevelsPanel } from "./pricing/LevelsPanel.tsx";
import { ProductRulesPanel } from "./pricing/ProductRulesPanel.tsx";

export function PricingTab(props: { shop: Shop }) {
  const { t } = useI18n();
  const { api } = useSession();
  const products = useAsync(
    (signal) =>
      answer(api.GET("/api/shops/{shopId}/products", { params: { path: { shopId: props.shop.id }, query: { includePaused: "true" } }, signal })).then(
        (page) => page.items,
      ),
    [api, props.shop.id],
  );
  if (products.loading && !products.data) return <Spinner />;
  if (products.error) return <ErrorNotice error={products.error} onRetry={products.reload} />;
  const items = products.data ?? [];
  // Amounts are typed in the shop's currency: its products' (a shop sells in one currency in practice).
  const currency = items[0]?.currency ?? "CNY";
  return (
    <div className="stack-lg">
      <CouponsPanel shop={props.shop} products={items} currency={currency} />
      {items.length === 0 ? <EmptyState title={t("pricing.noProducts")} /> : <ProductRulesPanel products={items} />}
      <LevelsPanel shop={props.shop} currency={currency} />
    </div>
  );
}
