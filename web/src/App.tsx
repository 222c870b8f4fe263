// The shell (header, navigation, language switch, footer) and the route table. Every screen is
// a lazy chunk, so the first screen downloads the shell and one screen and stays inside its
// JavaScript budget (web/vite.config.ts).
import { lazy, Suspense, useEffect, useState, type ReactNode } from "react";
import { useI18n, type Lang } from "./i18n/i18n.tsx";
import { Link, useRouter } from "./router.tsx";
import { matchRoute, type RoutePattern, type ScreenName } from "../../core/webRoutes.ts";
import { useSession } from "./session.tsx";
import { Spinner } from "./components/ui.tsx";
import { CaptchaNotice } from "./components/CaptchaNotice.tsx";
import { SearchBox } from "./components/SearchBox.tsx";
import { PendingReferrals } from "./distribution/referralLinks.ts";

// Every screen is a chunk of its own (route-level splitting): a visit downloads the shell and
// the one screen it opens. main.tsx starts the current route's chunk with the language table,
// before the first render, so the first screen never shows the Suspense fallback; the server
// has already asked for both in index.html (core/webRoutes.ts names each screen's module).
const screens = {
  home: () => import("./pages/HomePage.tsx").then((module) => ({ default: module.HomePage })),
  shop: () => import("./pages/ShopPage.tsx").then((module) => ({ default: module.ShopPage })),
  product: () => import("./pages/ProductPage.tsx").then((module) => ({ default: module.ProductPage })),
  order: () => import("./pages/OrderPage.tsx").then((module) => ({ default: module.OrderPage })),
  lookup: () => import("./pages/LookupPage.tsx").then((module) => ({ default: module.LookupPage })),
  verify: () => import("./pages/VerifyPage.tsx").then((module) => ({ default: module.VerifyPage })),
  login: () => import("./pages/LoginPage.tsx").then((module) => ({ default: module.LoginPage })),
  myOrders: () => import("./pages/MyOrdersPage.tsx").then((module) => ({ default: module.MyOrdersPage })),
  myEarnings: () => import("./distribution/MyEarningsPage.tsx").then((module) => ({ default: module.MyEarningsPage })),
  notFound: () => import("./pages/NotFoundPage.tsx").then((module) => ({ default: module.NotFoundPage })),
  forgotPassword: () => import("./security/PasswordResetPages.tsx").then((module) => ({ default: module.ForgotPasswordPage })),
  resetPassword: () => import("./security/PasswordResetPages.tsx").then((module) => ({ default: module.ResetPasswordPage })),
  merchant: () => import("./merchant/MerchantPage.tsx"),
  auditor: () => import("./auditor/AuditorPage.tsx"),
  admin: () => import("./admin/AdminPage.tsx"),
  tx: () => import("./pages/TxPage.tsx"),
  security: () => import("./security/SecurityPage.tsx"),
  myKeys: () => import("./resale/MyKeysPage.tsx"),
  purchase: () => import("./resale/PurchasePage.tsx"),
  timeline: () => import("./resale/TimelinePage.tsx"),
  dispute: () => import("./disputes/DisputePage.tsx"),
  agent: () => import("./agent/AgentPage.tsx"),
  ticket: () => import("./support/TicketPage.tsx"),
  confirmEmail: () => import("./saas/ConfirmEmailPage.tsx"),
  myData: () => import("./saas/MyDataPage.tsx"),
  myTickets: () => import("./support/MyTicketsPage.tsx"),
  mySubscriptions: () => import("./subscriptions/MySubscriptionsPage.tsx"),
  substore: () => import("./distribution/SubstorePage.tsx"),
  group: () => import("./groupbuy/GroupPage.tsx"),
} satisfies Record<ScreenName, unknown>;

const HomePage = lazy(screens.home);
const ShopPage = lazy(screens.shop);
const ProductPage = lazy(screens.product);
const OrderPage = lazy(screens.order);
const LookupPage = lazy(screens.lookup);
const VerifyPage = lazy(screens.verify);
const LoginPage = lazy(screens.login);
const MyOrdersPage = lazy(screens.myOrders);
const MyEarningsPage = lazy(screens.myEarnings);
const NotFoundPage = lazy(screens.notFound);
const ForgotPasswordPage = lazy(screens.forgotPassword);
const ResetPasswordPage = lazy(screens.resetPassword);
const MerchantPage = lazy(screens.merchant);
const AuditorPage = lazy(screens.auditor);
const AdminPage = lazy(screens.admin);
const TxPage = lazy(screens.tx);
const SecurityPage = lazy(screens.security);
const MyKeysPage = lazy(screens.myKeys);
const PurchasePage = lazy(screens.purchase);
const TimelinePage = lazy(screens.timeline);
const DisputePage = lazy(screens.dispute);
const AgentPage = lazy(screens.agent);
const TicketPage = lazy(screens.ticket);
const ConfirmEmailPage = lazy(screens.confirmEmail);
const MyDataPage = lazy(screens.myData);
const MyTicketsPage = lazy(screens.myTickets);
const MySubscriptionsPage = lazy(screens.mySubscriptions);
const SubstorePage = lazy(screens.substore);
const GroupPage = lazy(screens.group);

/** How each path of core/webRoutes.ts renders (every pattern must have one: the type says so). */
const renderers: Record<RoutePattern, (params: Record<string, string>) => ReactNode> = {
  "/": () => <HomePage />,
  "/shop/:slug": (params) => <ShopPage slug={params.slug!} />,
  "/product/:productId": (params) => <ProductPage productId={params.productId!} />,
  "/orders/:orderId": (params) => <OrderPage orderId={params.orderId!} />,
  "/lookup": () => <LookupPage />,
  "/verify": () => <VerifyPage />,
  "/login": () => <LoginPage mode="login" />,
  "/signup": () => <LoginPage mode="signup" />,
  "/forgot-password": () => <ForgotPasswordPage />,
  "/reset-password": () => <ResetPasswordPage />,
  "/confirm-email": () => <ConfirmEmailPage />,
  "/me/orders": () => <MyOrdersPage />,
  "/me/earnings": () => <MyEarningsPage />,
  "/me/security": () => <SecurityPage />,
  "/me/data": () => <MyDataPage />,
  "/me/keys": () => <MyKeysPage />,
  "/me/tickets": () => <MyTicketsPage />,
  "/me/subscriptions": () => <MySubscriptionsPage />,
  "/tickets/:ticketId": (params) => <TicketPage ticketId={params.ticketId!} />,
  "/resale/purchases/:purchaseId": (params) => <PurchasePage purchaseId={params.purchaseId!} />,
  "/entitlements/:entitlementId": (params) => <TimelinePage entitlementId={params.entitlementId!} />,
  "/agent": () => <AgentPage />,
  "/agent/join": () => <AgentPage />,
  "/merchant": () => <MerchantPage tab="overview" />,
  "/merchant/:tab": (params) => <MerchantPage tab={params.tab!} />,
  "/audit": () => <AuditorPage tab="anchors" />,
  "/audit/:tab": (params) => <AuditorPage tab={params.tab!} />,
  "/admin": () => <AdminPage tab="disputes" />,
  "/admin/:tab": (params) => <AdminPage tab={params.tab!} />,
  "/tx/:hash": (params) => <TxPage hash={params.hash!} />,
  "/disputes/:disputeId": (params) => <DisputePage disputeId={params.disputeId!} />,
  "/s/:slug": (params) => <SubstorePage slug={params.slug!} />,
  "/g/:groupId": (params) => <GroupPage groupId={params.groupId!} />,
};

/** Loads the chunk of the screen at `path` (main.tsx awaits it before the first render). */
export function preloadScreen(path: string): Promise<unknown> {
  return screens[matchRoute(path)?.screen ?? "notFound"]();
}

export function App() {
  const { path } = useRouter();
  const matched = matchRoute(path);
  const content: ReactNode = matched ? renderers[matched.pattern](matched.params) : <NotFoundPage />;
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
    { to: "/me/data", label: t("nav.myData"), show: Boolean(account), testId: "nav-my-data" },
    { to: "/merchant", label: t("nav.merchant"), show: hasRole("merchant", "admin"), testId: "nav-merchant" },
    { to: "/audit", label: t("nav.audit"), show: hasRole("auditor", "admin"), testId: "nav-audit" },
    { to: "/admin", label: t("nav.admin"), show: hasRole("admin"), testId: "nav-admin" },
  ];
  return (
    <header className="topbar">
      <div className="topbar-inner">
        {/* No aria-label: the accessible name is the visible text (the mark is hidden), which
            speech input users say (axe label-content-name-mismatch). */}
        <Link to="/" className="brand">
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
  // The name starts with the visible word ("EN" / "中文") and says what the button does, in
  // the language it switches to: a name that did not contain the visible word failed axe's
  // label-content-name-mismatch ("Switch to English" on a button reading "EN").
  return (
    <button type="button" className="lang-switch" onClick={() => setLang(next)} data-testid="lang-switch" lang={next === "zh" ? "zh-CN" : "en"}>
      {next === "zh" ? "中文" : "EN"}
      <span className="visually-hidden">{next === "zh" ? "（切换到中文）" : " (switch to English)"}</span>
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
