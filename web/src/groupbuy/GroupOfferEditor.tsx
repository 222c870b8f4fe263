// The merchant's group offer on a product (docs/groupbuy.md): a group price below the product's
// price, for 2 to 50 buyers within 1 to 48 hours. The API refuses a price at or above the
// product's (group_price_too_high) and its message is what the merchant sees.
import { useState } from "react";
import { answer } from "../api/client.ts";
import type { Product } from "../api/types.ts";
import { ErrorNotice, Field, Notice, Spinner } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { useFormSubmit } from "../components/useFormSubmit.ts";
import { moneyInputText, parseMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { useSession } from "../session.tsx";

export function GroupOfferEditor(props: { product: Product }) {
  const { api } = useSession();
  const offer = useAsync(
    (signal) => answer(api.GET("/api/products/{productId}/group-offer", { params: { path: { productId: props.product.id } }, signal })),
    [api, props.product.id],
  );
  if (offer.loading && !offer.data) return <Spinner />;
  if (offer.error) return <ErrorNotice error={offer.error} onRetry={offer.reload} />;
  return <GroupOfferForm product={props.product} saved={offer.data?.offer ?? null} />;
}

type SavedOffer = { priceMinor: string; size: number; windowHours: number; active: boolean } | null;

function GroupOfferForm(props: { product: Product; saved: SavedOffer }) {
  const { t } = useI18n();
  const { api } = useSession();
  const { product, saved } = props;
  const [price, setPrice] = useState(saved ? moneyInputText(saved.priceMinor, product.currency) : "");
  const [size, setSize] = useState(String(saved?.size ?? 2));
  const [hours, setHours] = useState(String(saved?.windowHours ?? 24));
  const [active, setActive] = useState(saved?.active ?? true);
  const [done, setDone] = useState(false);
  const [invalid, setInvalid] = useState<string | undefined>(undefined);
  const { busy, error, submit } = useFormSubmit(async () => {
    setDone(false);
    const priceMinor = parseMoney(price, product.currency);
    if (priceMinor === undefined) {
      setInvalid(t("groupbuy.offer.priceInvalid"));
      return;
    }
    setInvalid(undefined);
    await answer(
      api.PUT("/api/products/{productId}/group-offer", {
        params: { path: { productId: product.id } },
        body: { priceMinor: String(priceMinor), size: Number(size), windowHours: Number(hours), active },
      }),
    );
    setDone(true);
  });
  return (
    <form className="stack" onSubmit={(event) => void submit(event)} data-testid="group-offer-form">
      <h3>{t("groupbuy.offer.title")}</h3>
      <p className="muted small">{t("groupbuy.offer.hint")}</p>
      <div className="inline-form">
        <Field label={t("groupbuy.offer.price", { currency: product.currency })} htmlFor="group-offer-price">
          <input id="group-offer-price" inputMode="decimal" value={price} onChange={(event) => setPrice(event.target.value)} data-testid="group-offer-price" />
        </Field>
        <Field label={t("groupbuy.offer.size")} htmlFor="group-offer-size">
          <input
            id="group-offer-size"
            type="number"
            min={2}
            max={50}
            value={size}
            onChange={(event) => setSize(event.target.value)}
            data-testid="group-offer-size"
          />
        </Field>
        <Field label={t("groupbuy.offer.hours")} htmlFor="group-offer-hours">
          <input
            id="group-offer-hours"
            type="number"
            min={1}
            max={48}
            value={hours}
            onChange={(event) => setHours(event.target.value)}
            data-testid="group-offer-hours"
          />
        </Field>
        <label className="checkbox">
          <input type="checkbox" checked={active} onChange={(event) => setActive(event.target.checked)} data-testid="group-offer-active" />
          {t("groupbuy.offer.active")}
        </label>
        <button type="submit" className="button button-primary" disabled={busy} data-testid="group-offer-save">
          {t("common.save")}
        </button>
      </div>
      {invalid && <Notice tone="warning">{invalid}</Notice>}
      <ErrorNotice error={error} />
      {done && (
        <Notice tone="success" testId="group-offer-saved">
          {t("common.saved")}
        </Notice>
      )}
    </form>
  );
}
