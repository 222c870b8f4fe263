// What a storefront page needs to show prices in the buyer's currency: the shop's accepted
// currencies (GET /api/shops/:id/currencies) and the platform's rates. Neither blocks the page:
// until they arrive (or when they fail) every price shows in its product's own currency.
import { useEffect, useState } from "react";
import { answer } from "../api/client.ts";
import { convertMinor, formatRate, pairRate, rateScale, type Conversion } from "../../../core/money/fx.ts";
import { takeFirstData } from "../firstData.ts";
import { useSession } from "../session.tsx";
import { displayCurrency, useChosenCurrency } from "./chosenCurrency.ts";
import { conversionBetween, fetchFxRates, type FxRates } from "./fxRates.ts";

export type ShopCurrencies = { accepted: readonly string[]; rates: FxRates | undefined; chosen: string | undefined };

const none: readonly string[] = [];

export function useShopCurrencies(shopId: string | undefined): ShopCurrencies {
  const { api } = useSession();
  const chosen = useChosenCurrency();
  // A guest's shop and product pages have the answer embedded (web/src/firstData.ts): the picker shows at once.
  const [accepted, setAccepted] = useState<{ shopId: string; accepted: readonly string[] } | undefined>(() => embeddedAccepted(shopId));
  const [rates, setRates] = useState<FxRates>();
  const known = accepted?.shopId;
  useEffect(() => {
    if (!shopId || known === shopId) return;
    const embedded = embeddedAccepted(shopId);
    if (embedded) {
      setAccepted(embedded);
      return;
    }
    const controller = new AbortController();
    answer(api.GET("/api/shops/{shopId}/currencies", { params: { path: { shopId } }, signal: controller.signal })).then(
      (answered) => controller.signal.aborted || setAccepted({ shopId, accepted: answered.accepted }),
      // A failed answer offers no other currency; an aborted one (another shop now) is dropped.
      () => controller.signal.aborted || setAccepted({ shopId, accepted: none }),
    );
    return () => controller.abort();
  }, [api, shopId, known]);
  const acceptedHere = accepted && accepted.shopId === shopId ? accepted.accepted : none;
  useEffect(() => {
    // Rates are only needed once the shop offers another currency.
    if (acceptedHere.length === 0) return;
    let live = true;
    void fetchFxRates().then((fetched) => {
      if (live) setRates(fetched);
    });
    return () => {
      live = false;
    };
  }, [acceptedHere.length]);
  return { accepted: acceptedHere, rates, chosen };
}

function embeddedAccepted(shopId: string | undefined): { shopId: string; accepted: readonly string[] } | undefined {
  const embedded = shopId ? takeFirstData<{ accepted: string[] }>(`/api/shops/${shopId}/currencies`) : undefined;
  return shopId && embedded ? { shopId, accepted: embedded.accepted } : undefined;
}

/** A price as shown: in the display currency, with the conversion used (null: the product's own currency). */
export type ShownPrice = { minor: bigint; currency: string; conversion: Conversion | null };

/**
 * A product's price in the buyer's currency, converted at the platform's rate with the same
 * arithmetic the API's quote uses (core/money/fx.ts convertMinor). Without a rate for the pair
 * it stays in the product's own currency.
 */
export function shownPrice(priceMinor: string | bigint, productCurrency: string, view: ShopCurrencies): ShownPrice {
  const own: ShownPrice = { minor: BigInt(priceMinor), currency: productCurrency, conversion: null };
  const currency = displayCurrency(view.chosen, productCurrency, view.accepted);
  if (currency === productCurrency || !view.rates) return own;
  const conversion = conversionBetween(view.rates, productCurrency, currency);
  if (!conversion) return own;
  return { minor: convertMinor(BigInt(priceMinor), conversion), currency, conversion };
}

/** The pair's rate written the way round that reads best: "1 USD = 7.2 CNY" rather than "1 CNY = 0.138888888889 USD". */
export function rateParts(pair: Pick<Conversion, "from" | "to" | "fromCnyRate" | "toCnyRate">): { base: string; rate: string; quote: string } {
  const forward = pairRate(pair);
  if (forward >= 10n ** BigInt(rateScale)) return { base: pair.from, rate: formatRate(forward), quote: pair.to };
  return { base: pair.to, rate: formatRate(pairRate({ fromCnyRate: pair.toCnyRate, toCnyRate: pair.fromCnyRate })), quote: pair.from };
}

/** The currencies a picker offers: the shop's pricing currencies first, then those it accepts. */
export function pickerOptions(productCurrencies: readonly string[], accepted: readonly string[]): string[] {
  return [...new Set([...productCurrencies, ...accepted])];
}
