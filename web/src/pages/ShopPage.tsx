// A shop's home: its categories as filter chips and its products as cards with price and stock.
// A ?ref= code in its address is remembered and attached (distribution/referralLinks.ts). When
// the shop accepts other currencies, a picker shows the prices in the buyer's choice
// (web/src/currency/), with the rates used.
import { answer } from "../api/client.ts";
import { takeFirstData } from "../firstData.ts";
import { useState } from "react";
import { productCategories, type Product, type ProductCategory, type Shop } from "../api/types.ts";
import { EmptyState, ErrorNotice, Spinner } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { formatMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { Link } from "../router.tsx";
import { useSession } from "../session.tsx";
import { StockBadge } from "./StockBadge.tsx";
import { useReferralLink } from "../distribution/referralLinks.ts";
import { CurrencyPicker } from "../currency/CurrencyPicker.tsx";
import { displayCurrency } from "../currency/chosenCurrency.ts";
import { pickerOptions, rateParts, shownPrice, useShopCurrencies } from "../currency/shopCurrencies.ts";

export function ShopPage(props: { slug: string }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [category, setCategory] = useState<ProductCategory | "all">("all");
  // The server embeds both answers in the page (web/src/firstData.ts): no request before the shop shows.
  const shop = useAsync((signal) => answer(api.GET("/api/shops/by-slug/{slug}", { params: { path: { slug: props.slug } }, signal })), [api, props.slug], {
    initial: takeFirstData<Shop>(`/api/shops/by-slug/${encodeURIComponent(props.slug)}`),
  });
  const products = useAsync(
    async (signal) =>
      shop.data ? (await answer(api.GET("/api/shops/{shopId}/products", { params: { path: { shopId: shop.data.id } }, signal }))).items : undefined,
    [api, shop.data?.id],
    { initial: shop.data ? takeFirstData<{ items: Product[] }>(`/api/shops/${shop.data.id}/products`)?.items : undefined },
  );
  useReferralLink(shop.data?.id);
  const currencies = useShopCurrencies(shop.data?.id);
  if (shop.loading) return <Spinner />;
  if (shop.error || !shop.data) return <ErrorNotice error={shop.error} onRetry={shop.reload} />;
  const all = products.data ?? [];
  const present = productCategories.filter((name) => all.some((product) => product.category === name));
  const visible = category === "all" ? all : all.filter((product) => product.category === category);
  // The shop's pricing currencies (its products' own; CNY before it has any), then those it accepts.
  const pricedIn = [...new Set(all.map((product) => product.currency))];
  // No picker while the shop accepts nothing besides its own prices.
  const options = currencies.accepted.length > 0 ? pickerOptions(pricedIn.length > 0 ? pricedIn : ["CNY"], currencies.accepted) : [];
  const shown = all.map((product) => ({ product, price: shownPrice(product.priceMinor, product.currency, currencies) }));
  // One line per pair the page converted: "1 USD = 7.2 CNY".
  const rates = [
    ...new Set(
      shown.flatMap(({ price }) => (price.conversion ? [rateParts(price.conversion)] : [])).map((parts) => `1 ${parts.base} = ${parts.rate} ${parts.quote}`),
    ),
  ];
  const priceText = (product: Product) => {
    const price = shown.find((entry) => entry.product === product)!.price;
    return formatMoney(price.minor, price.currency);
  };
  return (
    <div className="stack-lg">
      <section className="shop-banner">
        <div>
          <h1 data-testid="shop-name">{shop.data.name}</h1>
          <p className="muted">{shop.data.description}</p>
        </div>
        <div className="shop-trust">
          <span className="chip chip-chain">{t("shop.committed")}</span>
          <span className="chip">{t("shop.instant")}</span>
          <CurrencyPicker options={options} value={displayCurrency(currencies.chosen, options[0] ?? "CNY", options)} />
        </div>
        {rates.length > 0 && (
          <p className="muted small" data-testid="currency-rate-note">
            {t("currency.shopNote", { rates: rates.join(", ") })}
          </p>
        )}
      </section>
      {present.length > 0 && (
        <fieldset className="chips" aria-label={t("shop.categories")} data-testid="category-chips">
          <button
            type="button"
            className={`chip-button${category === "all" ? " chip-active" : ""}`}
            aria-pressed={category === "all"}
            onClick={() => setCategory("all")}
          >
            {t("shop.all")} <span className="chip-count">{all.length}</span>
          </button>
          {present.map((name) => (
            <button
              key={name}
              type="button"
              className={`chip-button${category === name ? " chip-active" : ""}`}
              aria-pressed={category === name}
              onClick={() => setCategory(name)}
              data-testid={`category-${name}`}
            >
              {t(`category.${name}`)} <span className="chip-count">{all.filter((product) => product.category === name).length}</span>
            </button>
          ))}
        </fieldset>
      )}
      {products.loading && <Spinner />}
      <ErrorNotice error={products.error} onRetry={products.reload} />
      {products.data && all.length === 0 && <EmptyState title={t("shop.empty")}>{t("shop.emptyHint")}</EmptyState>}
      <div className="grid-cards">
        {visible.map((product) => (
          <Link key={product.id} to={`/product/${product.id}`} className="card card-link product-card" data-testid="product-card" data-product-id={product.id}>
            <span className="product-category">{t(`category.${product.category}`)}</span>
            <h2 className="product-name">{product.name}</h2>
            <div className="product-meta">
              <span className="price" data-testid="product-price">
                {priceText(product)}
              </span>
              <StockBadge product={product} />
            </div>
          </Link>
        ))}
      </div>
    </div>
  );
}
