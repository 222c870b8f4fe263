// The merchant console (a lazy chunk): the merchant's shops, then tabs for the overview,
// products, key imports, batches, orders, money, pricing (coupons, tiers, levels, limits), the risk review queue, the blacklist,
// agents and commissions, supply docking, webhooks, the settings (the shop and its accepted currencies), the profile (logo, domain, KYC), the plan
// (usage and the platform's invoices), and API keys. A merchant without a shop is led to
// create one first.
import { answer } from "../api/client.ts";
import { useState } from "react";
import type { Shop } from "../api/types.ts";
import { EmptyState, ErrorNotice, PageHeader, Spinner } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { useI18n } from "../i18n/i18n.tsx";
import type { MessageKey } from "../i18n/messages.ts";
import { Link } from "../router.tsx";
import { useSession } from "../session.tsx";
import { BatchesTab } from "./BatchesTab.tsx";
import { BlacklistEditor } from "../risk/BlacklistEditor.tsx";
import { DisputesTab } from "./DisputesTab.tsx";
import { DistributionTab } from "./DistributionTab.tsx";
import { DockingTab } from "./DockingTab.tsx";
import { WebhooksTab } from "./WebhooksTab.tsx";
import { ImportTab } from "./ImportTab.tsx";
import { MoneyTab } from "./MoneyTab.tsx";
import { OrdersTab } from "./OrdersTab.tsx";
import { OverviewTab } from "./OverviewTab.tsx";
import { PricingTab } from "./PricingTab.tsx";
import { ProductsTab } from "./ProductsTab.tsx";
import { ReviewsTab } from "./ReviewsTab.tsx";
import { TicketsTab } from "./TicketsTab.tsx";
import { ShopSetup } from "./ShopSetup.tsx";
import { CurrenciesSection } from "./CurrenciesSection.tsx";
import { ApiKeysTab } from "./ApiKeysTab.tsx";
import { ProfileTab } from "./ProfileTab.tsx";
import { PlanTab } from "./PlanTab.tsx";

export const merchantTabs = [
  "overview",
  "products",
  "import",
  "batches",
  "orders",
  "money",
  "pricing",
  "tickets",
  "disputes",
  "reviews",
  "blacklist",
  "agents",
  "docking",
  "webhooks",
  "settings",
  "profile",
  "plan",
  "apiKeys",
] as const;
export type MerchantTab = (typeof merchantTabs)[number];

export default function MerchantPage(props: { tab: string }) {
  const { t } = useI18n();
  const { api, account, hasRole } = useSession();
  const shops = useAsync(
    (signal) => (account ? answer(api.GET("/api/shops", { params: { query: { mine: "true" } }, signal })) : Promise.resolve({ items: [] as Shop[] })),
    [api, account?.id],
  );
  const [selectedId, setSelectedId] = useState<string | undefined>(undefined);
  if (!account || !hasRole("merchant", "admin")) {
    return (
      <EmptyState
        title={t("merchant.signIn")}
        action={
          <Link className="button button-primary" to="/login?next=/merchant">
            {t("nav.signIn")}
          </Link>
        }
      >
        {t("merchant.signInHint")}
      </EmptyState>
    );
  }
  if (shops.loading && !shops.data) return <Spinner />;
  if (shops.error) return <ErrorNotice error={shops.error} onRetry={shops.reload} />;
  const list = shops.data?.items ?? [];
  if (list.length === 0) {
    return (
      <div className="narrow stack-lg">
        <PageHeader title={t("merchant.title")} subtitle={t("merchant.noShop")} />
        <ShopSetup onCreated={shops.reload} />
      </div>
    );
  }
  const shop = list.find((entry) => entry.id === selectedId) ?? list[0]!;
  const tab: MerchantTab = (merchantTabs as readonly string[]).includes(props.tab) ? (props.tab as MerchantTab) : "overview";
  return (
    <div className="stack-lg console">
      <PageHeader
        title={t("merchant.title")}
        subtitle={<Link to={`/shop/${shop.slug}`}>{shop.name}</Link>}
        actions={
          list.length > 1 ? (
            <label className="inline-select">
              <span className="visually-hidden">{t("merchant.shop")}</span>
              <select value={shop.id} onChange={(event) => setSelectedId(event.target.value)}>
                {list.map((entry) => (
                  <option key={entry.id} value={entry.id}>
                    {entry.name}
                  </option>
                ))}
              </select>
            </label>
          ) : undefined
        }
      />
      <nav className="tabs" aria-label={t("merchant.title")}>
        {merchantTabs.map((name) => (
          <Link
            key={name}
            to={`/merchant/${name}`}
            className={`tab${tab === name ? " tab-active" : ""}`}
            aria-current={tab === name ? "page" : undefined}
            data-testid={`merchant-tab-${name}`}
          >
            {t(`merchant.tab.${name}` as MessageKey)}
          </Link>
        ))}
      </nav>
      {tab === "overview" && <OverviewTab shop={shop} />}
      {tab === "products" && <ProductsTab shop={shop} />}
      {tab === "import" && <ImportTab shop={shop} />}
      {tab === "batches" && <BatchesTab shop={shop} />}
      {tab === "orders" && <OrdersTab shop={shop} />}
      {tab === "money" && <MoneyTab shop={shop} />}
      {tab === "pricing" && <PricingTab shop={shop} />}
      {tab === "reviews" && <ReviewsTab shop={shop} />}
      {tab === "blacklist" && <BlacklistEditor scope={{ shopId: shop.id }} hint={t("blacklist.hint")} />}
      {tab === "agents" && <DistributionTab shop={shop} />}
      {tab === "docking" && <DockingTab shop={shop} />}
      {tab === "webhooks" && <WebhooksTab shop={shop} />}
      {tab === "profile" && <ProfileTab shop={shop} />}
      {tab === "plan" && <PlanTab shop={shop} />}
      {tab === "tickets" && <TicketsTab shop={shop} />}
      {tab === "disputes" && <DisputesTab shop={shop} />}
      {tab === "settings" && (
        <>
          <ShopSetup shop={shop} onCreated={shops.reload} />
          <CurrenciesSection shop={shop} />
        </>
      )}
      {tab === "apiKeys" && <ApiKeysTab />}
    </div>
  );
}
