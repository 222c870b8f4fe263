// A sub-store's storefront (分站, docs/distribution.md): /s/<slug> shows the agent's sub-store
// under its own name and colour, with the products it carries at the merchant's price plus the
// agent's markup, as the API answers them (the page computes no price). Each product opens the
// product page in the sub-store (?substore=<slug>), whose quote and checkout carry the markup.
import { answer } from "../api/client.ts";
import { EmptyState, ErrorNotice, Spinner } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { formatMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { Link, useRouter } from "../router.tsx";
import { useSession } from "../session.tsx";
import { useReferralLink } from "./referralLinks.ts";

export default function SubstorePage(props: { slug: string }) {
  const { t } = useI18n();
  const { api } = useSession();
  const { search } = useRouter();
  const storefront = useAsync((signal) => answer(api.GET("/api/substores/{slug}", { params: { path: { slug: props.slug } }, signal })), [api, props.slug]);
  useReferralLink(storefront.data?.shopId);
  if (storefront.loading) return <Spinner />;
  if (storefront.error || !storefront.data) return <ErrorNotice error={storefront.error} onRetry={storefront.reload} />;
  const store = storefront.data;
  const ref = search.get("ref");
  return (
    <div className="stack-lg" data-testid="substore-page" data-substore={store.slug}>
      <section className="shop-banner" style={{ borderTop: `0.4rem solid ${store.colour}` }} data-testid="substore-banner" data-colour={store.colour}>
        <div>
          <h1 data-testid="substore-name">{store.name}</h1>
          <p className="muted">{t("substore.hint")}</p>
        </div>
      </section>
      {store.products.length === 0 && <EmptyState title={t("substore.empty")} />}
      <div className="grid-cards">
        {store.products.map((product) => (
          <Link
            key={product.productId}
            to={`/product/${product.productId}?substore=${encodeURIComponent(store.slug)}${ref ? `&ref=${encodeURIComponent(ref)}` : ""}`}
            className="card card-link product-card"
            data-testid="substore-product"
            data-product-id={product.productId}
          >
            <h2 className="product-name">{product.name}</h2>
            <div className="product-meta">
              <span className="price" data-testid="substore-product-price">
                {formatMoney(product.priceMinor, product.currency)}
              </span>
            </div>
          </Link>
        ))}
      </div>
    </div>
  );
}
