// The platform's front door: what Keyledger promises, the shops it hosts, and the two things a
// buyer comes back for (verify a key, find an order).
import { answer } from "../api/client.ts";
import type { Shop } from "../api/types.ts";
import { takeFirstData } from "../firstData.ts";
import { EmptyState, ErrorNotice, Spinner } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { Link } from "../router.tsx";
import { useSession } from "../session.tsx";

export function HomePage() {
  const { t } = useI18n();
  const { api } = useSession();
  // The server embeds this answer in the page (web/src/firstData.ts): no request before the list shows.
  const shops = useAsync((signal) => answer(api.GET("/api/shops", { params: { query: { limit: 20 } }, signal })), [api], {
    initial: takeFirstData<{ items: Shop[]; nextCursor: string | null }>("/api/shops?limit=20"),
  });
  return (
    <div className="stack-lg">
      <section className="hero">
        <h1>{t("home.title")}</h1>
        <p className="hero-lead">{t("home.lead")}</p>
        <div className="hero-actions">
          <Link to="/shop/demo" className="button button-primary button-large">
            {t("home.browse")}
          </Link>
          <Link to="/verify" className="button button-large">
            {t("home.verify")}
          </Link>
        </div>
      </section>
      <section className="features" aria-label={t("home.whyTitle")}>
        {(["committed", "once", "verify"] as const).map((name) => (
          <article className="feature" key={name}>
            <h2>{t(`home.feature.${name}.title`)}</h2>
            <p>{t(`home.feature.${name}.body`)}</p>
          </article>
        ))}
      </section>
      <section>
        <h2 className="section-title">{t("home.shops")}</h2>
        {shops.loading && <Spinner />}
        <ErrorNotice error={shops.error} onRetry={shops.reload} />
        {shops.data && shops.data.items.length === 0 && <EmptyState title={t("home.noShops")}>{t("home.noShopsHint")}</EmptyState>}
        <div className="grid-cards">
          {shops.data?.items.map((shop) => (
            <Link key={shop.id} to={`/shop/${shop.slug}`} className="card card-link" data-testid="shop-card">
              <h3>{shop.name}</h3>
              <p className="muted clamp-2">{shop.description}</p>
              {shop.issuerAddress && <span className="chip chip-chain">{t("shop.onChainIssuer")}</span>}
            </Link>
          ))}
        </div>
      </section>
    </div>
  );
}
