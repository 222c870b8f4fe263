// What a product costs beyond its list price (docs/pricing.md): the wholesale tiers, the signed-in
// buyer's member price, and at checkout the quote's breakdown. Every figure comes from the API
// (the pricing rules, or the quote that checkout charges); the page computes no price itself.
import { answer } from "../api/client.ts";
import type { Product } from "../api/types.ts";
import { useAsync } from "../components/useAsync.ts";
import { formatMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { useSession } from "../session.tsx";
import { TableScroll } from "../components/ui.tsx";

/** The quote's breakdown, as the quote endpoint answers it. */
export type Breakdown = {
  listUnitPriceMinor: string;
  level: { name: string; discountPercent: number; unitPriceMinor: string } | null;
  tier: { quantityMin: number; quantityMax: number | null; unitPriceMinor: string } | null;
  unitPriceMinor: string;
  quantity: number;
  subtotalMinor: string;
  coupon: { code: string; discountMinor: string } | null;
  discountMinor: string;
  totalMinor: string;
};

/** The product's wholesale tiers and, for a signed-in buyer with a level, the member price of one. */
export function ProductPricing(props: { product: Product }) {
  const { t } = useI18n();
  const { api, account } = useSession();
  const { product } = props;
  const rules = useAsync(
    (signal) => answer(api.GET("/api/products/{productId}/pricing", { params: { path: { productId: product.id } }, signal })),
    [api, product.id],
  );
  const member = useAsync(
    async (signal) =>
      account ? answer(api.POST("/api/products/{productId}/quote", { params: { path: { productId: product.id } }, body: { quantity: 1 }, signal })) : undefined,
    [api, product.id, account?.id],
  );
  const tiers = rules.data?.tiers ?? [];
  const level = member.data?.breakdown.level;
  if (tiers.length === 0 && !level) return null;
  return (
    <div className="stack" data-testid="product-pricing">
      {level && (
        <p data-testid="member-price">
          {t("product.memberPrice", { level: level.name, percent: level.discountPercent, price: formatMoney(level.unitPriceMinor, product.currency) })}
        </p>
      )}
      {tiers.length > 0 && (
        <TableScroll>
          <table className="table" data-testid="tier-prices">
            <caption>{t("product.tiersTitle")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("product.tierQuantity")}</th>
                <th scope="col">{t("product.tierUnitPrice")}</th>
              </tr>
            </thead>
            <tbody>
              {tiers.map((tier) => (
                <tr key={tier.quantityMin} data-testid="tier-price-row">
                  <td>
                    {tier.quantityMax === null
                      ? t("product.tierRangeOpen", { min: tier.quantityMin })
                      : t("product.tierRange", { min: tier.quantityMin, max: tier.quantityMax })}
                  </td>
                  <td>{formatMoney(tier.unitPriceMinor, product.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </div>
  );
}

/** The lines of the quote checkout charges: list price, member level, tier, subtotal, coupon. */
export function CheckoutBreakdown(props: { breakdown: Breakdown; currency: string }) {
  const { t } = useI18n();
  const { breakdown, currency } = props;
  const money = (minor: string) => formatMoney(minor, currency);
  return (
    <dl className="facts" data-testid="checkout-breakdown">
      <div>
        <dt>{t("checkout.listUnitPrice")}</dt>
        <dd data-testid="breakdown-list">{money(breakdown.listUnitPriceMinor)}</dd>
      </div>
      {breakdown.level && (
        <div>
          <dt>{t("checkout.memberLevel", { level: breakdown.level.name, percent: breakdown.level.discountPercent })}</dt>
          <dd data-testid="breakdown-level">{money(breakdown.level.unitPriceMinor)}</dd>
        </div>
      )}
      {breakdown.tier && (
        <div>
          <dt>{t("checkout.tierPrice")}</dt>
          <dd data-testid="breakdown-tier">{money(breakdown.tier.unitPriceMinor)}</dd>
        </div>
      )}
      <div>
        <dt>{t("checkout.subtotal", { quantity: breakdown.quantity, unit: money(breakdown.unitPriceMinor) })}</dt>
        <dd data-testid="breakdown-subtotal">{money(breakdown.subtotalMinor)}</dd>
      </div>
      {breakdown.coupon && (
        <div>
          <dt>{t("checkout.couponLine", { code: breakdown.coupon.code })}</dt>
          <dd data-testid="checkout-discount">−{money(breakdown.discountMinor)}</dd>
        </div>
      )}
    </dl>
  );
}
