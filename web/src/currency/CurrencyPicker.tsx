// The storefront's compact currency picker: a labelled native select (keyboard and screen readers
// work as they do on any select), offered only when the shop accepts another currency. Choosing
// stores the choice for the whole site (chosenCurrency.ts); a shop that does not accept it shows
// its own pricing currency, and this select shows that fallback.
import { useI18n } from "../i18n/i18n.tsx";
import { chooseCurrency } from "./chosenCurrency.ts";

export function CurrencyPicker(props: { options: readonly string[]; value: string }) {
  const { t } = useI18n();
  if (props.options.length < 2) return null;
  return (
    <label className="inline-select currency-picker">
      <span className="muted small">{t("currency.label")}</span>
      <select value={props.value} onChange={(event) => chooseCurrency(event.target.value)} data-testid="currency-picker">
        {props.options.map((currency) => (
          <option key={currency} value={currency}>
            {currency}
          </option>
        ))}
      </select>
    </label>
  );
}
