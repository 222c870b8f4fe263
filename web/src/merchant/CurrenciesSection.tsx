// The currencies a shop's buyers may see prices in and pay in besides each product's own
// (docs/currencies.md): checkboxes for the fiat currencies and the platform's stablecoin, saved
// through PUT /api/shops/:id/currencies. A refusal (a currency the platform does not support) is
// shown as the API words it, and what was saved before stays.
import { useEffect, useState } from "react";
import { answer } from "../api/client.ts";
import type { Shop } from "../api/types.ts";
import { ErrorNotice, Notice, Spinner } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { useFormSubmit } from "../components/useFormSubmit.ts";
import { fetchFxRates } from "../currency/fxRates.ts";
import { stablecoinCurrency } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { useSession } from "../session.tsx";

/** The fiat currencies a shop may accept (core/money/fx.ts fiatCurrencies), the stablecoin after them. */
const fiat = ["CNY", "USD", "EUR", "HKD"];

export function CurrenciesSection(props: { shop: Shop }) {
  const { t } = useI18n();
  const { api } = useSession();
  const saved = useAsync(
    async (signal) => {
      // The rates' answer names the platform's stablecoin.
      await fetchFxRates();
      return (await answer(api.GET("/api/shops/{shopId}/currencies", { params: { path: { shopId: props.shop.id } }, signal }))).accepted;
    },
    [api, props.shop.id],
  );
  const [ticked, setTicked] = useState<string[]>([]);
  const [done, setDone] = useState(false);
  useEffect(() => {
    if (saved.data) setTicked(saved.data);
  }, [saved.data]);
  const save = useFormSubmit(async () => {
    setDone(false);
    setTicked((await answer(api.PUT("/api/shops/{shopId}/currencies", { params: { path: { shopId: props.shop.id } }, body: { accepted: ticked } }))).accepted);
    setDone(true);
  });
  if (saved.loading && !saved.data) return <Spinner />;
  if (!saved.data) return <ErrorNotice error={saved.error} onRetry={saved.reload} />;
  // A currency saved earlier that is not among the usual ones (ETH) is listed too, so saving keeps it.
  const offered = [...new Set([...fiat, stablecoinCurrency(), ...saved.data])];
  const toggle = (currency: string, on: boolean) => {
    setDone(false);
    setTicked((current) => (on ? offered.filter((entry) => entry === currency || current.includes(entry)) : current.filter((entry) => entry !== currency)));
  };
  return (
    <section className="card stack" aria-labelledby="currencies-title" data-testid="currencies-section">
      <h2 id="currencies-title">{t("currencies.title")}</h2>
      <p className="muted">{t("currencies.hint", { stablecoin: stablecoinCurrency() })}</p>
      <form className="stack" onSubmit={(event) => void save.submit(event)} data-testid="currencies-form">
        <fieldset className="checkbox-group">
          <legend>{t("currencies.legend")}</legend>
          {offered.map((currency) => (
            <label key={currency} className="checkbox">
              <input
                type="checkbox"
                checked={ticked.includes(currency)}
                onChange={(event) => toggle(currency, event.target.checked)}
                data-testid={`currency-accept-${currency}`}
              />
              <span>{currency}</span>
            </label>
          ))}
        </fieldset>
        <ErrorNotice error={save.error} />
        {done && !save.error && <Notice tone="success" title={t("currencies.saved")} testId="currencies-saved" />}
        <button type="submit" className="button button-primary" disabled={save.busy} data-testid="currencies-save">
          {save.busy ? t("common.working") : t("currencies.save")}
        </button>
      </form>
    </section>
  );
}
