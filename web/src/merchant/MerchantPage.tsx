// The merchant console (a lazy chunk): the merchant's shops, then tabs for the overview,
// products, key imports, batches, orders, money, pricing (coupons, tiers, levels, limits), the risk review queue, the blacklist,
// agents and commissions, supply docking, webhooks, the settings (the shop and its accepted currencies), the profile (logo, domain, KYC), the plan
// (usage and the platform's invoices), and API keys. A merchant without a shop is led to
// create one first.
import { answer } from "../api/client.ts";
import { lazy, Suspense, useState } from "react";
import type { Shop } from "../api/types.ts";
import { EmptyState, ErrorNotice, PageHeader, Spinner } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { useI18n } from "../i18n/i18n.tsx";
import type { MessageKey } from "../i18n/messages.ts";
import { Link } from "../router.tsx";
import { useSession } from "../session.tsx";
import { OverviewTab } from "./OverviewTab.tsx";

// The lazy tabs use the shop data hooks that the overview uses, so Rollup puts them in this
// screen's chunk and has it export them. Re-exported here, the chunk's exports stay this
// module's, and Rollup keeps the chunk as this screen's own: otherwise the build manifest would
// not name the screen's chunk, which the server's preload hints and the JavaScript budget need.
export { useShopBalance, useShopProducts } from "./shopData.ts";

// Every tab but the overview (the console's first screen) is a lazy chunk: the console's first
// visit evaluates the overview only, not the code of 17 tabs it does not show (the main thread's
// work before the console is interactive, which Lighthouse counts as total blocking time). A tab's
// chunk is asked for when its link is pointed at or focused, so a click rarely waits for it.
const tabModules = {
  products: () => import("./ProductsTab.tsx").then((module) => ({ default: module.ProductsTab })),
  import: () => import("./ImportTab.tsx").then((module) => ({ default: module.ImportTab })),
  batches: () => import("./BatchesTab.tsx").then((module) => ({ default: module.BatchesTab })),
  orders: () => import("./OrdersTab.tsx").then((module) => ({ default: module.OrdersTab })),
  money: () => import("./MoneyTab.tsx").then((module) => ({ default: module.MoneyTab })),
  pricing: () => import("./PricingTab.tsx").then((module) => ({ default: module.PricingTab })),
  tickets: () => import("./TicketsTab.tsx").then((module) => ({ default: module.TicketsTab })),
  disputes: () => import("./DisputesTab.tsx").then((module) => ({ default: module.DisputesTab })),
  reviews: () => import("./ReviewsTab.tsx").then((module) => ({ default: module.ReviewsTab })),
  blacklist: () => import("../risk/BlacklistEditor.tsx").then((module) => ({ default: module.BlacklistEditor })),
  agents: () => import("./DistributionTab.tsx").then((module) => ({ default: module.DistributionTab })),
  docking: () => import("./DockingTab.tsx").then((module) => ({ default: module.DockingTab })),
  webhooks: () => import("./WebhooksTab.tsx").then((module) => ({ default: module.WebhooksTab })),
  settings: () => import("./SettingsTab.tsx").then((module) => ({ default: module.SettingsTab })),
  profile: () => import("./ProfileTab.tsx").then((module) => ({ default: module.ProfileTab })),
  plan: () => import("./PlanTab.tsx").then((module) => ({ default: module.PlanTab })),
  apiKeys: () => import("./ApiKeysTab.tsx").then((module) => ({ default: module.ApiKeysTab })),
};
const ProductsTab = lazy(tabModules.products);
const ImportTab = lazy(tabModules.import);
const BatchesTab = lazy(tabModules.batches);
const OrdersTab = lazy(tabModules.orders);
const MoneyTab = lazy(tabModules.money);
const PricingTab = lazy(tabModules.pricing);
const TicketsTab = lazy(tabModules.tickets);
const DisputesTab = lazy(tabModules.disputes);
const ReviewsTab = lazy(tabModules.reviews);
const BlacklistEditor = lazy(tabModules.blacklist);
const DistributionTab = lazy(tabModules.agents);
const DockingTab = lazy(tabModules.docking);
const WebhooksTab = lazy(tabModules.webhooks);
const SettingsTab = lazy(tabModules.settings);
const ProfileTab = lazy(tabModules.profile);
const PlanTab = lazy(tabModules.plan);
const ApiKeysTab = lazy(tabModules.apiKeys);
const ShopSetup = lazy(() => import("./ShopSetup.tsx").then((module) => ({ default: module.ShopSetup })));

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
        <Suspense fallback={<Spinner />}>
          <ShopSetup onCreated={shops.reload} />
        </Suspense>
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
            onPointerEnter={() => preloadTab(name)}
            onFocus={() => preloadTab(name)}
          >
            {t(`merchant.tab.${name}` as MessageKey)}
          </Link>
        ))}
      </nav>
      <Suspense fallback={<Spinner />}>
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
        {tab === "settings" && <SettingsTab shop={shop} onChanged={shops.reload} />}
        {tab === "apiKeys" && <ApiKeysTab />}
      </Suspense>
    </div>
  );
}

/** Starts loading a tab's chunk ahead of the click (a module is fetched and evaluated once). */
function preloadTab(name: MerchantTab) {
  if (name !== "overview") void tabModules[name]();
}
