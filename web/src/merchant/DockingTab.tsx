// Supply docking (docs/docking.md): as a supplier, offer the shop's products to other shops at a
// wholesale price and stop supplying; as a reseller, browse the offers and list one in the shop
// under its own title and a retail price above the wholesale.
import { useState } from "react";
import { answer } from "../api/client.ts";
import type { DockingOffer as Offer, Shop } from "../api/types.ts";
import { EmptyState, ErrorNotice, Spinner, TableScroll } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { useFormSubmit } from "../components/useFormSubmit.ts";
import { formatMoney, parseMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { useSession } from "../session.tsx";
import { useShopProducts } from "./shopData.ts";
import { RestockPanel } from "./RestockPanel.tsx";

export function DockingTab(props: { shop: Shop }) {
  const { t } = useI18n();
  const { api } = useSession();
  const shopId = props.shop.id;
  const mine = useAsync((signal) => answer(api.GET("/api/shops/{shopId}/docking", { params: { path: { shopId } }, signal })), [api, shopId]);
  const offers = useAsync((signal) => answer(api.GET("/api/docking/offers", { params: { query: { limit: 100 } }, signal })), [api]);
  const reload = () => {
    mine.reload();
    offers.reload();
  };
  return (
    <div className="stack-lg">
      <section className="stack" aria-labelledby="docking-supply-title">
        <h2 id="docking-supply-title">{t("docking.supply.title")}</h2>
        <p className="muted">{t("docking.supply.hint")}</p>
        <OfferForm shopId={shopId} onOffered={reload} />
        <ErrorNotice error={mine.error} onRetry={mine.reload} />
        {mine.loading && !mine.data && <Spinner />}
        {mine.data && <MyOffers shopId={shopId} offers={mine.data.offers} onChanged={reload} />}
      </section>
      <section className="stack" aria-labelledby="docking-browse-title">
        <h2 id="docking-browse-title">{t("docking.browse.title")}</h2>
        <p className="muted">{t("docking.browse.hint")}</p>
        <ErrorNotice error={offers.error} onRetry={offers.reload} />
        {offers.loading && !offers.data && <Spinner />}
        {offers.data && <BrowseOffers shopId={shopId} offers={offers.data.items.filter((offer) => offer.supplierShopId !== shopId)} onListed={reload} />}
      </section>
      <section className="stack" aria-labelledby="docking-listings-title">
        <h2 id="docking-listings-title">{t("docking.listings.title")}</h2>
        {mine.data?.listings.length === 0 && <EmptyState title={t("docking.listings.empty")} />}
        {mine.data && mine.data.listings.length > 0 && (
          <TableScroll>
            <table className="table" data-testid="docking-listings">
              <thead>
                <tr>
                  <th scope="col">{t("docking.name")}</th>
                  <th scope="col">{t("docking.retail")}</th>
                  <th scope="col">{t("docking.wholesale")}</th>
                  <th scope="col">{t("docking.state")}</th>
                </tr>
              </thead>
              <tbody>
                {mine.data.listings.map((listing) => (
                  <tr key={listing.productId}>
                    <td>{listing.name}</td>
                    <td>{formatMoney(listing.priceMinor, listing.currency)}</td>
                    <td>{formatMoney(listing.wholesalePriceMinor, listing.currency)}</td>
                    <td>{t(listing.offerState === "active" ? "docking.state.active" : "docking.state.stopped")}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        )}
        {mine.data?.listings.map((listing) => (
          <RestockPanel key={listing.productId} shopId={shopId} listing={listing} />
        ))}
      </section>
    </div>
  );
}

function OfferForm(props: { shopId: string; onOffered(): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const products = useShopProducts(props.shopId);
  const candidates = (products.data ?? []).filter((product) => product.deliveryMode === "automatic" && product.status === "active");
  const [productId, setProductId] = useState("");
  const [wholesale, setWholesale] = useState("");
  const chosen = candidates.find((product) => product.id === productId) ?? candidates[0];
  const wholesaleMinor = chosen ? parseMoney(wholesale, chosen.currency) : undefined;
  const { busy, error, submit } = useFormSubmit(async () => {
    await answer(
      api.PUT("/api/shops/{shopId}/docking/offers/{productId}", {
        params: { path: { shopId: props.shopId, productId: chosen!.id } },
        body: { wholesalePriceMinor: String(wholesaleMinor) },
      }),
    );
    setWholesale("");
    props.onOffered();
  });
  if (candidates.length === 0) return null;
  return (
    <form className="inline-form" onSubmit={(event) => void submit(event)} data-testid="docking-offer-form">
      <label className="field">
        <span>{t("docking.product")}</span>
        <select value={chosen?.id ?? ""} onChange={(event) => setProductId(event.target.value)}>
          {candidates.map((product) => (
            <option key={product.id} value={product.id}>
              {product.name} ({formatMoney(product.priceMinor, product.currency)})
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>{t("docking.wholesale")}</span>
        <input value={wholesale} onChange={(event) => setWholesale(event.target.value)} inputMode="decimal" required placeholder="8.00" />
      </label>
      <button type="submit" className="button button-primary" disabled={busy || wholesaleMinor === undefined || wholesaleMinor < 1n}>
        {t("docking.offer")}
      </button>
      <ErrorNotice error={error} />
    </form>
  );
}

function MyOffers(props: { shopId: string; offers: Offer[]; onChanged(): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [error, setError] = useState<unknown>(undefined);
  if (props.offers.length === 0) return <EmptyState title={t("docking.supply.empty")} />;
  const stop = async (productId: string) => {
    setError(undefined);
    try {
      await answer(api.POST("/api/shops/{shopId}/docking/offers/{productId}/stop", { params: { path: { shopId: props.shopId, productId } } }));
      props.onChanged();
    } catch (caught) {
      setError(caught);
    }
  };
  return (
    <TableScroll>
      <ErrorNotice error={error} />
      <table className="table" data-testid="docking-my-offers">
        <thead>
          <tr>
            <th scope="col">{t("docking.product")}</th>
            <th scope="col">{t("docking.wholesale")}</th>
            <th scope="col">{t("docking.stock")}</th>
            <th scope="col">{t("docking.state")}</th>
            <th scope="col">{t("common.actions")}</th>
          </tr>
        </thead>
        <tbody>
          {props.offers.map((offer) => (
            <tr key={offer.productId}>
              <td>{offer.productName}</td>
              <td>{formatMoney(offer.wholesalePriceMinor, offer.currency)}</td>
              <td>{offer.stock}</td>
              <td>{t(offer.state === "active" ? "docking.state.active" : "docking.state.stopped")}</td>
              <td>
                {offer.state === "active" && (
                  <button type="button" className="button button-small button-ghost" onClick={() => void stop(offer.productId)}>
                    {t("docking.stop")}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

function BrowseOffers(props: { shopId: string; offers: Offer[]; onListed(): void }) {
  const { t } = useI18n();
  if (props.offers.length === 0) return <EmptyState title={t("docking.browse.empty")} />;
  return (
    <TableScroll>
      <table className="table" data-testid="docking-offers">
        <thead>
          <tr>
            <th scope="col">{t("docking.product")}</th>
            <th scope="col">{t("docking.supplier")}</th>
            <th scope="col">{t("docking.wholesale")}</th>
            <th scope="col">{t("docking.stock")}</th>
            <th scope="col">{t("docking.list")}</th>
          </tr>
        </thead>
        <tbody>
          {props.offers.map((offer) => (
            <tr key={offer.productId}>
              <td>{offer.productName}</td>
              <td>{offer.supplierShopName}</td>
              <td>{formatMoney(offer.wholesalePriceMinor, offer.currency)}</td>
              <td>{offer.stock}</td>
              <td>
                <ListForm shopId={props.shopId} offer={offer} onListed={props.onListed} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

function ListForm(props: { shopId: string; offer: Offer; onListed(): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [name, setName] = useState(props.offer.productName);
  const [retail, setRetail] = useState("");
  const retailMinor = parseMoney(retail, props.offer.currency);
  const { busy, error, submit } = useFormSubmit(async () => {
    await answer(
      api.POST("/api/shops/{shopId}/docking/listings", {
        params: { path: { shopId: props.shopId } },
        body: { supplyProductId: props.offer.productId, name: name.trim(), priceMinor: String(retailMinor) },
      }),
    );
    setRetail("");
    props.onListed();
  });
  return (
    <form className="inline-form" onSubmit={(event) => void submit(event)} aria-label={t("docking.listFor", { name: props.offer.productName })}>
      <label className="field">
        <span>{t("docking.name")}</span>
        <input value={name} onChange={(event) => setName(event.target.value)} required maxLength={120} />
      </label>
      <label className="field">
        <span>{t("docking.retail")}</span>
        <input value={retail} onChange={(event) => setRetail(event.target.value)} inputMode="decimal" required />
      </label>
      <button type="submit" className="button button-small" disabled={busy || retailMinor === undefined || !name.trim()}>
        {t("docking.list")}
      </button>
      <ErrorNotice error={error} />
    </form>
  );
}
