// The shell (header, navigation, language switch, footer) and the route table. Screens that
// the first visit does not need (merchant console, auditor explorer, transaction page) are
// lazy chunks, which keeps the first screen inside its JavaScript budget (web/vite.config.ts).
import { lazy, Suspense, useEffect, useState, type ReactNode } from "react";
import { useI18n, type Lang } from "./i18n/i18n.tsx";
import { Link, matchPath, useRouter } from "./router.tsx";
import { useSession } from "./session.tsx";
import { Spinner } from "./components/ui.tsx";
import { CaptchaNotice } from "./components/CaptchaNotice.tsx";
import { SearchBox } from "./components/SearchBox.tsx";
import { HomePage } from "./pages/HomePage.tsx";
import { ShopPage } from "./pages/ShopPage.tsx";
import { ProductPage } from "./pages/ProductPage.tsx";
import { OrderPage } from "./pages/OrderPage.tsx";
import { LookupPage } from "./pages/LookupPage.tsx";
import { VerifyPage } from "./pages/VerifyPage.tsx";
import { LoginPage } from "./pages/LoginPage.tsx";
import { MyOrdersPage } from "./pages/MyOrdersPage.tsx";
import { MyEarningsPage } from "./distribution/MyEarningsPage.tsx";
import { NotFoundPage } from "./pages/NotFoundPage.tsx";
import { ForgotPasswordPage, ResetPasswordPage } from "./security/PasswordResetPages.tsx";
import { PendingReferrals } from "./distribution/referralLinks.ts";

const MerchantPage = lazy(() => import("./merchant/MerchantPage.tsx"));
const AuditorPage = lazy(() => import("./auditor/AuditorPage.tsx"));
const AdminPage = lazy(() => import("./admin/AdminPage.tsx"));
const TxPage = lazy(() => import("./pages/TxPage.tsx"));
const SecurityPage = lazy(() => import("./security/SecurityPage.tsx"));
const MyKeysPage = lazy(() => import("./resale/MyKeysPage.tsx"));
const PurchasePage = lazy(() => import("./resale/PurchasePage.tsx"));
const TimelinePage = lazy(() => import("./resale/TimelinePage.tsx"));
const DisputePage = lazy(() => import("./disputes/DisputePage.tsx"));
const AgentPage = lazy(() => import("./agent/AgentPage.tsx"));
const TicketPage = lazy(() => import("./support/TicketPage.tsx"));
const ConfirmEmailPage = lazy(() => import("./saas/ConfirmEmailPage.tsx"));
const MyTicketsPage = lazy(() => import("./support/MyTicketsPage.tsx"));
const MySubscriptionsPage = lazy(() => import("./subscriptions/MySubscriptionsPage.tsx"));
const SubstorePage = lazy(() => import("./distribution/SubstorePage.tsx"));
const GroupPage = lazy(() => import("./groupbuy/GroupPage.tsx"));

type Route = { pattern: string; render(params: Record<string, string>): ReactNode };

const routes: Route[] = [
  { pattern: "/", render: () => <HomePage /> },
  { pattern: "/shop/:slug", render: (params) => <ShopPage slug={params.slug!} /> },
  { pattern: "/product/:productId", render: (params) => <ProductPage productId={params.productId!} /> },
  { pattern: "/orders/:orderId", render: (params) => <OrderPage orderId={params.orderId!} /> },
  { pattern: "/lookup", render: () => <LookupPage /> },
  { pattern: "/verify", render: () => <VerifyPage /> },
  { pattern: "/login", render: () => <LoginPage mode="login" /> },
  { pattern: "/signup", render: () => <LoginPage mode="signup" /> },
  { pattern: "/forgot-password", render: () => <ForgotPasswordPage /> },
  { pattern: "/reset-password", render: () => <ResetPasswordPage /> },
  { pattern: "/confirm-email", render: () => <ConfirmEmailPage /> },
  { pattern: "/me/orders", render: () => <MyOrdersPage /> },
  { pattern: "/me/earnings", render: () => <MyEarningsPage /> },
  { pattern: "/me/security", render: () => <SecurityPage /> },
  { pattern: "/me/keys", render: () => <MyKeysPage /> },
  { pattern: "/me/tickets", render: () => <MyTicketsPage /> },
  { pattern: "/me/subscriptions", render: () => <MySubscriptionsPage /> },
  { pattern: "/tickets/:ticketId", render: (params) => <TicketPage ticketId={params.ticketId!} /> },
  { pattern: "/resale/purchases/:purchaseId", render: (params) => <PurchasePage purchaseId={params.purchaseId!} /> },
  { pattern: "/entitlements/:entitlementId", render: (params) => <TimelinePage entitlementId={params.entitlementId!} /> },
  { pattern: "/agent", render: () => <AgentPage /> },
  { pattern: "/agent/join", render: () => <AgentPage /> },
  { pattern: "/merchant", render: () => <MerchantPage tab="overview" /> },
  { pattern: "/merchant/:tab", render: (params) => <MerchantPage tab={params.tab!} /> },
  { pattern: "/audit", render: () => <AuditorPage tab="anchors" /> },
  { pattern: "/audit/:tab", render: (params) => <AuditorPage tab={params.tab!} /> },
  { pattern: "/admin", render: () => <AdminPage tab="disputes" /> },
  { pattern: "/admin/:tab", render: (params) => <AdminPage tab={params.tab!} /> },
  { pattern: "/tx/:hash", render: (params) => <TxPage hash={params.hash!} /> },
  { pattern: "/disputes/:disputeId", render: (params) => <DisputePage disputeId={params.disputeId!} /> },
  { pattern: "/s/:slug", render: (params) => <SubstorePage slug={params.slug!} /> },
  { pattern: "/g/:groupId", render: (params) => <GroupPage groupId={params.groupId!} /> },
];

export function App() {
  const { path } = useRouter();
  let content: ReactNode = <NotFoundPage />;
  for (const route of routes) {
    const params = matchPath(route.pattern, path);
    if (params) {
      content = route.render(params);
      break;
    }
  }
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content · 跳到正文
      </a>
      <Header />
      <PendingReferrals />
      <main id="main" className="main" tabIndex={-1}>
        <CaptchaNotice />
        <Suspense fallback={<Spinner />}>{content}</Suspense>
      </main>
      <Footer />
    </div>
  );
}

function Header() {
  const { t } = useI18n();
  const { account, hasRole, signOut } = useSession();
  const { path, navigate } = useRouter();
  const [menuOpen, setMenuOpen] = useState(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a route change closes the menu; path is the trigger, not something the effect reads
  useEffect(() => setMenuOpen(false), [path]);
  const links: { to: string; label: string; show: boolean; testId: string }[] = [
    { to: "/shop/demo", label: t("nav.shop"), show: true, testId: "nav-shop" },
    { to: "/verify", label: t("nav.verify"), show: true, testId: "nav-verify" },
    { to: "/lookup", label: t("nav.lookup"), show: true, testId: "nav-lookup" },
    { to: "/me/orders", label: t("nav.myOrders"), show: Boolean(account), testId: "nav-my-orders" },
    { to: "/me/keys", label: t("nav.myKeys"), show: Boolean(account), testId: "nav-my-keys" },
    { to: "/me/earnings", label: t("nav.myEarnings"), show: Boolean(account), testId: "nav-my-earnings" },
    { to: "/agent", label: t("nav.agent"), show: Boolean(account), testId: "nav-agent" },
    { to: "/me/tickets", label: t("nav.myTickets"), show: Boolean(account), testId: "nav-my-tickets" },
    { to: "/me/subscriptions", label: t("nav.mySubscriptions"), show: Boolean(account), testId: "nav-my-subscriptions" },
    { to: "/me/security", label: t("nav.security"), show: Boolean(account), testId: "nav-security" },
    { to: "/merchant", label: t("nav.merchant"), show: hasRole("merchant", "admin"), testId: "nav-merchant" },
    { to: "/audit", label: t("nav.audit"), show: hasRole("auditor", "admin"), testId: "nav-audit" },
    { to: "/admin", label: t("nav.admin"), show: hasRole("admin"), testId: "nav-admin" },
  ];
  return (
    <header className="topbar">
      <div className="topbar-inner">
        <Link to="/" className="brand" aria-label="Keyledger">
          <span className="brand-mark" aria-hidden="true">
            K
          </span>
          <span className="brand-name">Keyledger</span>
          <span className="brand-tag">{t("brand.tagline")}</span>
        </Link>
        <div className="topbar-tools">
          <SearchBox />
          <LanguageSwitch />
          <button type="button" className="menu-button" aria-expanded={menuOpen} aria-controls="primary-nav" onClick={() => setMenuOpen((open) => !open)}>
            <span aria-hidden="true">☰</span>
            <span className="visually-hidden">{t("nav.menu")}</span>
          </button>
        </div>
        <nav id="primary-nav" className={`nav${menuOpen ? " nav-open" : ""}`} aria-label={t("nav.menu")}>
          {links
            .filter((link) => link.show)
            .map((link) => (
              <Link
                key={link.to}
                to={link.to}
                className={`nav-link${path.startsWith(link.to) ? " nav-link-active" : ""}`}
                data-testid={link.testId}
                aria-current={path.startsWith(link.to) ? "page" : undefined}
              >
                {link.label}
              </Link>
            ))}
          {account ? (
            <button
              type="button"
              className="nav-link nav-button"
              data-testid="sign-out"
              onClick={() => {
                void signOut().then(() => navigate("/"));
              }}
              title={account.email}
            >
              {t("nav.signOut")}
            </button>
          ) : (
            <Link to="/login" className="nav-link nav-link-cta" data-testid="nav-sign-in">
              {t("nav.signIn")}
            </Link>
          )}
        </nav>
      </div>
    </header>
  );
}

function LanguageSwitch() {
  const { lang, setLang } = useI18n();
  const next: Lang = lang === "zh" ? "en" : "zh";
  return (
    <button
      type="button"
      className="lang-switch"
      onClick={() => setLang(next)}
      data-testid="lang-switch"
      lang={next === "zh" ? "zh-CN" : "en"}
      aria-label={next === "zh" ? "切换到中文" : "Switch to English"}
    >
      {next === "zh" ? "中文" : "EN"}
    </button>
  );
}

function Footer() {
  const { t } = useI18n();
  return (
    <footer className="footer">
      <div className="footer-inner">
        <span>© Keyledger · {t("footer.line")}</span>
        <span className="footer-links">
          <Link to="/verify">{t("nav.verify")}</Link>
          <Link to="/lookup">{t("nav.lookup")}</Link>
          <a href="/api/docs">API</a>
        </span>
      </div>
    </footer>
  );
}
