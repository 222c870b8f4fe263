// Which currency a quote shows and a checkout charges (docs/currencies.md). A product is priced in
// its own currency; a buyer may ask for another that the shop accepts, at the platform's rate.
// The rules are checked before anything is claimed or written, so a refused currency writes nothing.
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import type { Conversion } from "../../../core/money/fx.ts";
import { conversionOf, isSupportedCurrency, type FxSettings } from "./rates.ts";

export type CurrencyRequest = {
  shopId: bigint;
  productCurrency: string;
  /** The currency the buyer asked for; undefined or the product's own: no conversion. */
  asked: string | undefined;
  /** At checkout: how the order is paid (a quote for display leaves it out). */
  paymentMethod?: "epay" | "chain";
  /** A sub-store, docked or group checkout: their shares are in the product's currency, so no conversion. */
  shared?: "a sub-store" | "a docked listing" | "a group buy";
};

/** The conversion a quote or checkout applies, or null when it is in the product's own currency. */
export async function currencyConversion(db: Drizzle, settings: FxSettings | undefined, request: CurrencyRequest): Promise<Conversion | null> {
  const { asked, productCurrency } = request;
  if (asked === undefined || asked === productCurrency) return null;
  const refuse = (message: string) => new AppError("currency_not_accepted", message, { details: { currency: asked } });
  const shop = await queryOne<{ accepted_currencies: string[] }>(db, sql`SELECT accepted_currencies FROM shops WHERE id = ${request.shopId}`);
  const accepted = shop?.accepted_currencies ?? [];
  if (!settings || !accepted.includes(asked)) {
    throw refuse(`This shop does not accept ${asked}: it sells in ${[productCurrency, ...accepted.filter((c) => c !== productCurrency)].join(", ")}.`);
  }
  if (request.shared) throw refuse(`Prices in ${asked} are not offered through ${request.shared} yet: check out in ${productCurrency}.`);
  // EPay gateways take yuan only; the chain takes ETH and the platform's stablecoin.
  if (request.paymentMethod === "epay" && asked !== "CNY") throw refuse(`EPay takes CNY only: pay in CNY, or pay on-chain in ${asked}.`);
  if (request.paymentMethod === "chain" && asked !== "ETH" && asked !== settings.stablecoin.currency) {
    throw refuse(`On-chain payments are in ETH or ${settings.stablecoin.currency}: ${asked} cannot be paid on-chain.`);
  }
  return conversionOf(db, settings, productCurrency, asked);
}

export const acceptedCurrenciesMax = 6;

/** A shop's accepted currencies (besides its products' own): each one the platform supports, once. */
export async function setAcceptedCurrencies(db: Drizzle, settings: FxSettings, shopId: bigint, currencies: string[]): Promise<string[]> {
  const unsupported = currencies.filter((currency) => !isSupportedCurrency(settings, currency));
  if (unsupported.length > 0) {
    throw new AppError("validation_failed", `The platform does not support ${unsupported.join(", ")}.`, { details: [{ path: "currencies" }] });
  }
  if (new Set(currencies).size !== currencies.length) {
    throw new AppError("validation_failed", "Each currency may be listed once.", { details: [{ path: "currencies" }] });
  }
  await db.execute(sql`UPDATE shops SET accepted_currencies = ${`{${currencies.join(",")}}`}::text[] WHERE id = ${shopId}`);
  return currencies;
}

export async function acceptedCurrencies(db: Drizzle, shopId: bigint): Promise<string[]> {
  const shop = await queryOne<{ accepted_currencies: string[] }>(db, sql`SELECT accepted_currencies FROM shops WHERE id = ${shopId}`);
  if (!shop) throw new AppError("not_found", `No shop ${shopId}.`);
  return shop.accepted_currencies;
}
