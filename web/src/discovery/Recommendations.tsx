// Recommendations (docs/discovery.md, "Recommendations"): a product's "bought together" (or "you
// may also like" when the list comes from similar text or popularity), or the signed-in
// account's "for you". Loaded lazily by the product and order pages (its own chunk), so the
// first screen's JavaScript does not carry it. Shows nothing while loading, on an error or for
// an empty list: it is an extra below the page's own content.
import { answer } from "../api/client.ts";
import { useAsync } from "../components/useAsync.ts";
import { formatMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { Link } from "../router.tsx";
import { useSession } from "../session.tsx";

const listLength = 6;

export default function Recommendations(props: { productId: string } | { forAccount: true }) {
  const { t } = useI18n();
  const { api } = useSession();
  const productId = "productId" in props ? props.productId : undefined;
  const list = useAsync(
    (signal) =>
      productId === undefined
        ? answer(api.GET("/api/me/recommendations", { params: { query: { limit: listLength } }, signal }))
        : answer(api.GET("/api/products/{productId}/recommendations", { params: { path: { productId }, query: { limit: listLength } }, signal })),
    [api, productId],
  );
  const items = list.data?.items ?? [];
  if (items.length === 0) return null;
  const title = productId === undefined ? t("recs.forYou") : items[0]!.reason === "behaviour" ? t("recs.boughtTogether") : t("recs.alsoLike");
  return (
    <section className="card stack" aria-labelledby="recommendations-title" data-testid="recommendations">
      <h2 id="recommendations-title" className="section-title">
        {title}
      </h2>
      <ul className="grid-cards recommendation-list">
        {items.map((item) => (
          <li key={item.id}>
            <Link to={`/product/${item.id}`} className="card card-link product-card" data-testid="recommendation" data-product-id={item.id}>
              <span className="product-category">
                {t(`category.${item.category}`)} · {item.shopName}
              </span>
              <span className="product-name">{item.name}</span>
              <span className="price">{formatMoney(item.priceMinor, item.currency)}</span>
            </Link>
          </li>
        ))}
      </ul>
    </section>
  );
}
