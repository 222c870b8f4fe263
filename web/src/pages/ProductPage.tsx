// A product: price, stock, purchase limits, delivery, resale terms; and checkout, as a guest
// (contact + query password, to find the order again) or as the signed-in account. Payment
// goes through the shop's gateway (EPay; the sandbox cashier in the demo). Opened from a
// sub-store (?substore=<slug>, docs/distribution.md), the page shows the sub-store's price and its
// quote and checkout carry the sub-store, paid through the platform (the agent's markup is paid
// from money the platform holds). A ?ref= code is remembered and attached (referralLinks.ts).
// When the shop accepts other currencies, the buyer's choice (web/src/currency/) shows the price
// converted with the rate used, and checkout charges in it when the payment method takes it
// (docs/currencies.md: EPay takes CNY, a wallet ETH or the stablecoin).
import { ApiError, answer } from "../api/client.ts";
import { takeFirstData } from "../firstData.ts";
import { lazy, Suspense, useEffect, useState, type FormEvent } from "react";
import type { Product, Shop } from "../api/types.ts";
import { ErrorNotice, Field, Notice, Spinner } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { useAfterFirstRender } from "../components/useAfterFirstRender.ts";
import { formatMoney, stablecoinCurrency } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { rememberOrder } from "../recentOrders.ts";
import { Link, useRouter } from "../router.tsx";
import { useReferralLink } from "../distribution/referralLinks.ts";
import { ShareBox } from "../distribution/ShareBox.tsx";
import { useSession } from "../session.tsx";
import { StockBadge } from "./StockBadge.tsx";
import { GroupOfferBanner } from "../groupbuy/GroupOfferBanner.tsx";
import { ResaleMarket } from "../resale/ResaleMarket.tsx";
import { RentalMarket } from "../rentals/RentalMarket.tsx";
import { SubscriptionPlanNotice } from "../subscriptions/SubscriptionPlanNotice.tsx";
import { ProductReviews } from "../reviews/ProductReviews.tsx";
import { CheckoutBreakdown, ProductPricing, type Breakdown } from "./ProductPricing.tsx";
import { CurrencyPicker } from "../currency/CurrencyPicker.tsx";
import { RateNote } from "../currency/RateNote.tsx";
import { displayCurrency } from "../currency/chosenCurrency.ts";
import { pickerOptions, shownPrice, useShopCurrencies, type ShopCurrencies } from "../currency/shopCurrencies.ts";
import { CheckoutCurrencyNote, chargeCurrency, type QuoteFx } from "../currency/CheckoutCurrency.tsx";

// Its own chunk: the first screen's JavaScript does not carry it.
const Recommendations = lazy(() => import("../discovery/Recommendations.tsx"));

/** Currencies the chain settles (the platform's stablecoin and the native coin); others pay through EPay. */
const chainCurrencies = () => [stablecoinCurrency(), "ETH"];

export function ProductPage(props: { productId: string }) {
  const { t } = useI18n();
  const { api, account, hasRole } = useSession();
  // A guest's first render uses the answers the server embedded (web/src/firstData.ts); a
  // signed-in visitor fetches, since the answer may differ for them (a merchant sees a paused
  // product) and a view of theirs is a recommendation signal the fetch records.
  const product = useAsync(
    (signal) => answer(api.GET("/api/products/{productId}", { params: { path: { productId: props.productId } }, signal })),
    [api, props.productId],
    { initial: account ? undefined : takeFirstData<Product>(`/api/products/${props.productId}`) },
  );
  const shop = useAsync(
    async (signal) => (product.data ? answer(api.GET("/api/shops/{shopId}", { params: { path: { shopId: product.data.shopId } }, signal })) : undefined),
    [api, product.data?.shopId],
    { initial: !account && product.data ? takeFirstData<Shop>(`/api/shops/${product.data.shopId}`) : undefined },
  );
  // The shop's merchant (or an admin) sees a reply form under reviews that have none.
  const isMerchant = hasRole("merchant");
  const managed = useAsync(
    async (signal) => (isMerchant ? answer(api.GET("/api/shops", { params: { query: { mine: "true", limit: 100 } }, signal })) : undefined),
    [api, isMerchant],
  );
  const { search } = useRouter();
  const substoreParam = search.get("substore");
  const substoreSlug = substoreParam && /^[a-z0-9][a-z0-9-]{2,39}$/.test(substoreParam) ? substoreParam : undefined;
  const substore = useAsync(
    async (signal) => (substoreSlug ? answer(api.GET("/api/substores/{slug}", { params: { path: { slug: substoreSlug } }, signal })) : undefined),
    [api, substoreSlug],
  );
  useReferralLink(product.data?.shopId);
  const currencies = useShopCurrencies(product.data?.shopId);
  // Sharing, the markets, recommendations and reviews sit below the product and the checkout:
  // they render in a second, later task (components/useAfterFirstRender.ts).
  const below = useAfterFirstRender(Boolean(product.data));
  if (product.loading) return <Spinner />;
  if (product.error || !product.data) return <ErrorNotice error={product.error} onRetry={product.reload} />;
  const item = product.data;
  const carried = substore.data?.products.find((offered) => offered.productId === item.id);
  // A sub-store's price is in the product's currency only (the API converts no sub-store sale).
  const offered = carried || substoreSlug ? [] : currencies.accepted.length > 0 ? pickerOptions([item.currency], currencies.accepted) : [];
  const price = carried
    ? shownPrice(carried.priceMinor, item.currency, { ...currencies, accepted: [] })
    : shownPrice(item.priceMinor, item.currency, currencies);
  return (
    <div className="stack-lg">
      <nav className="breadcrumbs" aria-label={t("common.breadcrumbs")}>
        {substore.data ? (
          <Link to={`/s/${substore.data.slug}`} data-testid="product-substore">
            {substore.data.name}
          </Link>
        ) : shop.data ? (
          <Link to={`/shop/${shop.data.slug}`}>{shop.data.name}</Link>
        ) : (
          <span>…</span>
        )}
        <span aria-hidden="true">/</span>
        <span>{t(`category.${item.category}`)}</span>
      </nav>
      <div className="product-layout">
        <section className="card stack">
          <span className="product-category">{t(`category.${item.category}`)}</span>
          <h1 className="product-title" data-testid="product-title">
            {item.name}
          </h1>
          <div className="product-price-row">
            <span className="price price-large" data-testid="product-price">
              {formatMoney(price.minor, price.currency)}
            </span>
            <StockBadge product={item} />
            <CurrencyPicker options={offered} value={displayCurrency(currencies.chosen, item.currency, offered)} />
          </div>
          <RateNote shown={price} priceMinor={item.priceMinor} productCurrency={item.currency} />
          <p className="pre-line">{item.description}</p>
          <dl className="facts">
            <div>
              <dt>{t("product.limits")}</dt>
              <dd data-testid="product-limits">{t("product.limitsValue", { min: item.quantityMin, max: item.quantityMax })}</dd>
            </div>
            <div>
              <dt>{t("product.delivery")}</dt>
              <dd>{item.deliveryMode === "automatic" ? t("product.deliveryAutomatic") : t("product.deliveryManual")}</dd>
            </div>
            <div>
              <dt>{t("product.resale")}</dt>
              <dd>
                {item.resaleAllowed
                  ? t("product.resaleYes", { royalty: (item.royaltyBps / 100).toFixed(item.royaltyBps % 100 ? 2 : 0) })
                  : t("product.resaleNo")}
              </dd>
            </div>
          </dl>
          <ProductPricing product={item} />
          <SubscriptionPlanNotice productId={item.id} />
          <GroupOfferBanner product={item} />
          {item.deliveryMode === "automatic" && (
            <Notice tone="info" title={t("product.provenTitle")}>
              {t("product.provenBody")}
            </Notice>
          )}
        </section>
        {substoreSlug && substore.data && !carried ? (
          <Notice tone="warning" title={t("substore.notCarried")}>
            <Link to={`/product/${item.id}`}>{t("substore.buyInShop")}</Link>
          </Notice>
        ) : (
          <ErrorNotice error={substore.error} />
        )}
        {(!substoreSlug || carried) && <Checkout product={item} shop={shop.data} substore={carried ? substoreSlug : undefined} currencies={currencies} />}
      </div>
      {below && (
        <>
          <ShareBox productId={item.id} />
          {item.resaleAllowed && <ResaleMarket product={item} />}
          <Suspense fallback={null}>
            <Recommendations productId={item.id} />
          </Suspense>
          {item.resaleAllowed && item.rentalAllowed && <RentalMarket product={item} />}
          <ProductReviews productId={item.id} canReply={hasRole("admin") || Boolean(managed.data?.items.some((owned) => owned.id === item.shopId))} />
        </>
      )}
    </div>
  );
}

function Checkout(props: { product: Product; shop: Shop | undefined; substore?: string; currencies: ShopCurrencies }) {
  const { t } = useI18n();
  const { api, account } = useSession();
  const { product } = props;
  const stock = product.stock ?? Number.MAX_SAFE_INTEGER;
  const maxQuantity = Math.max(0, Math.min(product.quantityMax, stock));
  const [quantity, setQuantity] = useState(product.quantityMin);
  const [contact, setContact] = useState("");
  const [queryPassword, setQueryPassword] = useState("");
  const [idempotencyKey, setIdempotencyKey] = useState(() => crypto.randomUUID());
  const [submitting, setSubmitting] = useState(false);
  // On-chain payment fits products priced in a chain currency, and needs a browser wallet.
  const shown = props.substore ? product.currency : displayCurrency(props.currencies.chosen, product.currency, props.currencies.accepted);
  const walletPossible =
    (chainCurrencies().includes(product.currency) || chainCurrencies().includes(shown)) && typeof window !== "undefined" && "ethereum" in window;
  // A sub-store's sale is paid through the platform only (the API refuses the merchant's gateway there).
  const [method, setMethod] = useState<"epay" | "chain">(walletPossible || props.substore ? "chain" : "epay");
  const [error, setError] = useState<unknown>(undefined);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});

  const soldOut = product.status !== "active" || maxQuantity < product.quantityMin;
  // The breakdown checkout charges comes from the quote endpoint (docs/pricing.md): the page never prices on its own.
  const [couponInput, setCouponInput] = useState("");
  const [couponCode, setCouponCode] = useState<string | undefined>(undefined);
  const [quote, setQuote] = useState<{
    currency: string;
    breakdown: Breakdown;
    substore?: { markupMinor: string; totalMinor: string };
    fx?: QuoteFx;
  }>();
  const [quoteError, setQuoteError] = useState<unknown>(undefined);
  // What the order is charged in: the shown currency when the payment method takes it, else the product's.
  const wanted = chargeCurrency({ shown, productCurrency: product.currency, method, stablecoin: stablecoinCurrency() });
  // A listing the API converts no sale of (a docked product) answers currency_not_accepted: it is then charged in its own currency.
  const [refused, setRefused] = useState<string | undefined>(undefined);
  const charged = refused === wanted ? product.currency : wanted;
  useEffect(() => {
    let live = true;
    answer(
      api.POST("/api/products/{productId}/quote", {
        params: { path: { productId: product.id } },
        body: {
          quantity,
          ...(couponCode ? { couponCode } : {}),
          ...(props.substore ? { substore: props.substore } : {}),
          ...(charged !== product.currency ? { currency: charged } : {}),
        },
      }),
    ).then(
      (answered) => {
        if (!live) return;
        setQuote(answered);
        setQuoteError(undefined);
      },
      (caught) => {
        // No quote, no total: a refused coupon must not leave the previous price on screen.
        if (!live) return;
        setQuote(undefined);
        if (caught instanceof ApiError && caught.code === "currency_not_accepted" && charged !== product.currency) setRefused(charged);
        else setQuoteError(caught);
      },
    );
    return () => {
      live = false;
    };
  }, [api, product.id, product.currency, quantity, couponCode, props.substore, charged]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const errors: Record<string, string> = {};
    if (quantity < product.quantityMin || quantity > maxQuantity) errors.quantity = t("checkout.quantityRange", { min: product.quantityMin, max: maxQuantity });
    if (!account) {
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(contact.trim())) errors.contact = t("checkout.contactInvalid");
      if (queryPassword.length < 6) errors.queryPassword = t("checkout.passwordShort");
    }
    setFieldErrors(errors);
    if (Object.keys(errors).length) return;
    setSubmitting(true);
    setError(undefined);
    try {
      const response = await answer(
        api.POST("/api/orders", {
          body: {
            productId: product.id,
            quantity,
            ...(account ? {} : { contact: contact.trim(), queryPassword }),
            paymentMethod: method,
            idempotencyKey,
            ...(couponCode ? { couponCode } : {}),
            ...(props.substore ? { substore: props.substore } : {}),
            ...(charged !== product.currency ? { currency: charged } : {}),
          },
        }),
      );
      const paymentUrl = response.payment.method === "epay" ? response.payment.url : undefined;
      rememberOrder({ id: response.order.id, token: response.accessToken, productName: product.name, createdAt: response.order.createdAt, paymentUrl });
      if (response.payment.method === "chain") {
        const { payWithWallet } = await import("../verify/payWithWallet.ts");
        await payWithWallet(response.payment);
      }
      if (paymentUrl) window.location.assign(paymentUrl);
      else window.location.assign(`/orders/${response.order.id}?token=${encodeURIComponent(response.accessToken)}`);
    } catch (caught) {
      setError(caught);
      // A failed attempt may be retried with different input: that is a new request.
      setIdempotencyKey(crypto.randomUUID());
      setSubmitting(false);
    }
  };

  return (
    <section className="card checkout" aria-labelledby="checkout-title">
      <h2 id="checkout-title">{t("checkout.title")}</h2>
      {soldOut ? (
        <Notice tone="warning" title={product.status !== "active" ? t("checkout.paused") : t("stock.soldOut")}>
          {t("checkout.soldOutHint")}
        </Notice>
      ) : (
        <form className="stack" onSubmit={(event) => void submit(event)} noValidate data-testid="checkout-form">
          <Field
            label={t("checkout.quantity")}
            htmlFor="quantity"
            error={fieldErrors.quantity}
            hint={t("product.limitsValue", { min: product.quantityMin, max: maxQuantity })}
          >
            <div className="stepper">
              <button
                type="button"
                className="button button-ghost"
                aria-label={t("checkout.less")}
                onClick={() => setQuantity((value) => Math.max(product.quantityMin, value - 1))}
                disabled={quantity <= product.quantityMin}
              >
                −
              </button>
              <input
                id="quantity"
                type="number"
                inputMode="numeric"
                min={product.quantityMin}
                max={maxQuantity}
                value={quantity}
                onChange={(event) => setQuantity(Math.trunc(Number(event.target.value)) || product.quantityMin)}
                data-testid="checkout-quantity"
              />
              <button
                type="button"
                className="button button-ghost"
                aria-label={t("checkout.more")}
                onClick={() => setQuantity((value) => Math.min(maxQuantity, value + 1))}
                disabled={quantity >= maxQuantity}
              >
                +
              </button>
            </div>
          </Field>
          {account ? (
            <Notice tone="info">{t("checkout.signedInAs", { email: account.email })}</Notice>
          ) : (
            <>
              <p className="muted small">
                {t("checkout.guestIntro")} <Link to={`/login?next=/product/${product.id}`}>{t("checkout.orSignIn")}</Link>
              </p>
              <Field label={t("checkout.contact")} htmlFor="contact" error={fieldErrors.contact} hint={t("checkout.contactHint")}>
                <input
                  id="contact"
                  type="email"
                  autoComplete="email"
                  value={contact}
                  onChange={(event) => setContact(event.target.value)}
                  data-testid="checkout-contact"
                  required
                />
              </Field>
              <Field label={t("checkout.queryPassword")} htmlFor="query-password" error={fieldErrors.queryPassword} hint={t("checkout.queryPasswordHint")}>
                <input
                  id="query-password"
                  type="password"
                  autoComplete="new-password"
                  value={queryPassword}
                  onChange={(event) => setQueryPassword(event.target.value)}
                  data-testid="checkout-query-password"
                  required
                  minLength={6}
                />
              </Field>
            </>
          )}
          {props.substore ? (
            <Notice tone="info" title={t("substore.checkoutTitle")}>
              {t("substore.checkoutHint")}
            </Notice>
          ) : (
            <fieldset className="radio-group">
              <legend>{t("checkout.payWith")}</legend>
              <label className="radio">
                <input type="radio" name="payment" value="epay" checked={method === "epay"} onChange={() => setMethod("epay")} />
                <span>{t("checkout.epay")}</span>
              </label>
              {walletPossible && (
                <label className="radio">
                  <input
                    type="radio"
                    name="payment"
                    value="chain"
                    checked={method === "chain"}
                    onChange={() => setMethod("chain")}
                    data-testid="checkout-wallet"
                  />
                  <span>{t("checkout.wallet")}</span>
                </label>
              )}
            </fieldset>
          )}
          {!props.substore && props.shop && !props.shop.epayConfigured && <Notice tone="warning">{t("checkout.noGateway")}</Notice>}
          <Field label={t("checkout.coupon")} htmlFor="coupon" hint={t("checkout.couponHint")}>
            <div className="quantity">
              <input id="coupon" value={couponInput} onChange={(event) => setCouponInput(event.target.value)} data-testid="checkout-coupon" />
              <button
                type="button"
                className="button button-ghost"
                onClick={() => setCouponCode(couponInput.trim() || undefined)}
                data-testid="checkout-coupon-apply"
              >
                {t("checkout.couponApply")}
              </button>
            </div>
          </Field>
          <ErrorNotice error={quoteError} />
          {quote && <CheckoutBreakdown breakdown={quote.breakdown} currency={quote.currency} />}
          {quote?.substore && (
            <dl className="facts">
              <div>
                <dt>{t("substore.markup")}</dt>
                <dd data-testid="checkout-markup">{formatMoney(quote.substore.markupMinor, quote.currency)}</dd>
              </div>
            </dl>
          )}
          <div className="checkout-total">
            <span>{t("checkout.total")}</span>
            <span className="price price-large" data-testid="checkout-total">
              {quote ? formatMoney(quote.substore?.totalMinor ?? quote.breakdown.totalMinor, quote.currency) : "—"}
            </span>
          </div>
          {quote && <CheckoutCurrencyNote quote={quote} shown={shown} currencies={props.currencies} />}
          <ErrorNotice error={error} />
          <button type="submit" className="button button-primary button-large button-block" disabled={submitting || !quote} data-testid="checkout-submit">
            {submitting ? t("checkout.redirecting") : t("checkout.pay")}
          </button>
          <p className="muted small">{product.resaleAllowed ? t("checkout.afterSealed") : t("checkout.after")}</p>
        </form>
      )}
    </section>
  );
}
