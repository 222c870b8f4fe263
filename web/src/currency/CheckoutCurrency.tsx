// The checkout's currency: what the order is charged in, and what the buyer is told about it.
// The API charges a currency other than the product's only through a payment method that takes it
// (api/services/fx/checkoutCurrency.ts: EPay takes CNY, the chain ETH or the stablecoin), so a
// price shown in, say, USD is charged in the product's own currency through EPay, and the page
// says so with the amount in both.
import { convertMinor, parseRate } from "../../../core/money/fx.ts";
import { formatMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { conversionBetween } from "./fxRates.ts";
import { rateParts, type ShopCurrencies } from "./shopCurrencies.ts";

/** The quote's conversion, as the quote endpoint answers it (only when it converted). */
export type QuoteFx = { from: string; to: string; fromCnyRate: string; toCnyRate: string; rate: string; priceTotalMinor: string };

/** The currency the order is charged in: the shown one when the payment method takes it, else the product's own. */
export function chargeCurrency(input: { shown: string; productCurrency: string; method: "epay" | "chain"; stablecoin: string }): string {
  const { shown, productCurrency, method, stablecoin } = input;
  if (shown === productCurrency) return shown;
  const payable = method === "epay" ? shown === "CNY" : shown === "ETH" || shown === stablecoin;
  return payable ? shown : productCurrency;
}

export function CheckoutCurrencyNote(props: {
  quote: { currency: string; breakdown: { totalMinor: string }; fx?: QuoteFx };
  shown: string;
  currencies: ShopCurrencies;
}) {
  const { t } = useI18n();
  const { quote, shown } = props;
  const fx = quote.fx;
  const fromCnyRate = fx && parseRate(fx.fromCnyRate);
  const toCnyRate = fx && parseRate(fx.toCnyRate);
  // Charged in another currency than shown: the amount in the shown one, at the same platform rates.
  const toShown = quote.currency !== shown && props.currencies.rates ? conversionBetween(props.currencies.rates, quote.currency, shown) : undefined;
  return (
    <>
      {fx && fromCnyRate && toCnyRate && (
        <p className="muted small" data-testid="checkout-fx-rate">
          {t("checkout.fxRate", {
            price: formatMoney(fx.priceTotalMinor, fx.from),
            ...rateParts({ from: fx.from, to: fx.to, fromCnyRate, toCnyRate }),
          })}
        </p>
      )}
      {quote.currency !== shown && (
        <p className="muted small" data-testid="checkout-charged-in">
          {toShown
            ? t("checkout.chargedInOther", {
                currency: quote.currency,
                charged: formatMoney(quote.breakdown.totalMinor, quote.currency),
                shown: formatMoney(convertMinor(BigInt(quote.breakdown.totalMinor), toShown), shown),
              })
            : t("checkout.chargedIn", { currency: quote.currency })}
        </p>
      )}
    </>
  );
}
