// "Converted from ¥10.00 at the platform's rate: 1 USD = 7.2 CNY": said beside every price shown
// in another currency than the product's, so the buyer knows what the figure rests on.
import { formatMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { rateParts, type ShownPrice } from "./shopCurrencies.ts";

export function RateNote(props: { shown: ShownPrice; priceMinor: string | bigint; productCurrency: string }) {
  const { t } = useI18n();
  if (!props.shown.conversion) return null;
  return (
    <p className="muted small" data-testid="currency-rate-note">
      {t("currency.convertedNote", { price: formatMoney(props.priceMinor, props.productCurrency), ...rateParts(props.shown.conversion) })}
    </p>
  );
}
