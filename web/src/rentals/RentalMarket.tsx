// The rental market for one product, beside the resale market (docs/rentals.md): sealed
// entitlements their owners offer for rent, each with its price per day and term bounds. A
// signed-in buyer picks a number of days within the bounds and pays through the platform's
// gateway; for the term the renter is the token's ERC-4907 user and may use the content.
import { useState } from "react";
import { answer } from "../api/client.ts";
import type { Schemas } from "../api/client.ts";
import type { Product } from "../api/types.ts";
import { ErrorNotice, Spinner } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { formatMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { Link } from "../router.tsx";
import { useSession } from "../session.tsx";

type Offer = Schemas["GetRentalsListingsResponse"]["items"][number];

export function RentalMarket(props: { product: Product }) {
  const { t } = useI18n();
  const { api } = useSession();
  const offers = useAsync(
    (signal) => answer(api.GET("/api/rentals/listings", { params: { query: { productId: props.product.id, limit: 20 } }, signal })).then((page) => page.items),
    [api, props.product.id],
  );
  return (
    <section className="card stack" aria-labelledby="rental-market-title" data-testid="rental-market">
      <div className="section-head">
        <h2 id="rental-market-title" className="section-title">
          {t("rentals.title")}
        </h2>
        <span className="muted small">{t("rentals.subtitle")}</span>
      </div>
      {offers.loading && !offers.data && <Spinner />}
      <ErrorNotice error={offers.error} onRetry={offers.reload} />
      {offers.data?.length === 0 && <p className="muted">{t("rentals.empty")}</p>}
      {offers.data && offers.data.length > 0 && (
        <ul className="list">
          {offers.data.map((offer) => (
            <RentalOfferRow key={offer.id} offer={offer} productId={props.product.id} />
          ))}
        </ul>
      )}
    </section>
  );
}

function RentalOfferRow(props: { offer: Offer; productId: string }) {
  const { t } = useI18n();
  const { api, account } = useSession();
  const { offer } = props;
  const [days, setDays] = useState(offer.minDays);
  const [renting, setRenting] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const inBounds = Number.isInteger(days) && days >= offer.minDays && days <= offer.maxDays;
  const total = inBounds ? BigInt(offer.pricePerDayMinor) * BigInt(days) : undefined;
  const rent = async () => {
    setRenting(true);
    setError(undefined);
    try {
      const rental = await answer(api.POST("/api/rentals/listings/{listingId}/rentals", { params: { path: { listingId: offer.id } }, body: { days } }));
      window.location.assign(rental.paymentUrl);
    } catch (caught) {
      setError(caught);
      setRenting(false);
    }
  };
  const inputId = `rental-days-${offer.id}`;
  return (
    <li className="list-row listing-row" data-testid="rental-offer" data-listing-id={offer.id}>
      <div className="listing-main">
        <span className="price">{t("rentals.perDay", { price: formatMoney(offer.pricePerDayMinor, offer.currency) })}</span>
        <span className="small muted">
          {t("rentals.bounds", { min: offer.minDays, max: offer.maxDays })}
          {offer.tokenId ? ` · ${t("verify.t.issued", { token: offer.tokenId })}` : ""}
        </span>
        <ErrorNotice error={error} />
      </div>
      {account ? (
        <div className="row">
          <label className="small" htmlFor={inputId}>
            {t("rentals.days")}
          </label>
          <input
            id={inputId}
            className="input input-small"
            type="number"
            min={offer.minDays}
            max={offer.maxDays}
            value={Number.isNaN(days) ? "" : days}
            onChange={(event) => setDays(Number.parseInt(event.target.value, 10))}
            aria-invalid={!inBounds}
            aria-describedby={`${inputId}-total`}
            data-testid="rental-days"
          />
          <span id={`${inputId}-total`} className="small" data-testid="rental-total" aria-live="polite">
            {total !== undefined
              ? t("rentals.total", { price: formatMoney(total, offer.currency) })
              : t("rentals.outOfBounds", { min: offer.minDays, max: offer.maxDays })}
          </span>
          <button
            type="button"
            className="button button-primary button-small"
            disabled={renting || !inBounds}
            onClick={() => void rent()}
            data-testid="rental-rent"
          >
            {renting ? t("checkout.redirecting") : t("rentals.rent")}
          </button>
        </div>
      ) : (
        <Link className="button button-small" to={`/login?next=/product/${props.productId}`}>
          {t("rentals.signInToRent")}
        </Link>
      )}
    </li>
  );
}
