// The resale market for one product: sealed entitlements other buyers listed, each with its
// provenance (batch anchored, token issued, times it changed hands). Buying needs an account:
// the entitlement moves to the buyer's custody once the payment settles.
import { answer } from "../api/client.ts";
import { useState } from "react";
import type { Product } from "../api/types.ts";
import { ErrorNotice, Spinner, TxLink } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { formatMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { Link } from "../router.tsx";
import { useSession } from "../session.tsx";
import type { Listing } from "./types.ts";

export function ResaleMarket(props: { product: Product }) {
  const { t } = useI18n();
  const { api, account } = useSession();
  const listings = useAsync(
    (signal) => answer(api.GET("/api/resale/listings", { params: { query: { productId: props.product.id, limit: 20 } }, signal })).then((page) => page.items),
    [api, props.product.id],
  );
  const [buying, setBuying] = useState<string | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const buy = async (listing: Listing) => {
    setBuying(listing.id);
    setError(undefined);
    try {
      const purchase = await answer(api.POST("/api/resale/listings/{listingId}/purchases", { params: { path: { listingId: listing.id } } }));
      window.location.assign(purchase.paymentUrl);
    } catch (caught) {
      setError(caught);
      setBuying(undefined);
    }
  };
  return (
    <section className="card stack" aria-labelledby="market-title" data-testid="resale-market">
      <div className="section-head">
        <h2 id="market-title" className="section-title">
          {t("market.title")}
        </h2>
        <span className="muted small">{t("market.subtitle")}</span>
      </div>
      {listings.loading && !listings.data && <Spinner />}
      <ErrorNotice error={listings.error ?? error} onRetry={listings.error ? listings.reload : undefined} />
      {listings.data?.length === 0 && <p className="muted">{t("market.empty")}</p>}
      {listings.data && listings.data.length > 0 && (
        <ul className="list">
          {listings.data.map((listing) => (
            <li key={listing.id} className="list-row listing-row" data-testid="listing" data-listing-id={listing.id}>
              <div className="listing-main">
                <span className="price">{formatMoney(listing.priceMinor, listing.currency)}</span>
                <span className="small muted">
                  {listing.provenance.anchored ? t("market.anchored") : t("market.notAnchored")} <TxLink hash={listing.provenance.anchorTx} /> ·{" "}
                  {listing.provenance.tokenId ? t("verify.t.issued", { token: listing.provenance.tokenId }) : t("verify.t.notIssued")} ·{" "}
                  {t("market.transfers", { count: listing.provenance.transferCount })}
                </span>
                <Link className="small" to={`/entitlements/${listing.entitlementId}`}>
                  {t("market.provenance")}
                </Link>
              </div>
              {account ? (
                <button
                  type="button"
                  className="button button-primary button-small"
                  disabled={buying !== undefined}
                  onClick={() => void buy(listing)}
                  data-testid="listing-buy"
                >
                  {buying === listing.id ? t("checkout.redirecting") : t("market.buy")}
                </button>
              ) : (
                <Link className="button button-small" to={`/login?next=/product/${props.product.id}`}>
                  {t("market.signInToBuy")}
                </Link>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
