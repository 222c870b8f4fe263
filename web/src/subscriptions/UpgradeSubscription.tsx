// Upgrading a subscription (docs/subscriptions.md, "Upgrades"): the plans the buyer may move to
// are the shop's other products sold by subscription with the same period and currency and a
// higher price per period (the API refuses any other). The API has no quote route: the buyer is
// told the rule (the difference between the two prices for the part of the current period that
// is left, from the balance now; the new price from the next renewal), confirms, and is then shown
// the amount the API charged and the time it was charged for.
import { useEffect, useRef, useState } from "react";
import { answer, type Schemas } from "../api/client.ts";
import type { Product } from "../api/types.ts";
import { EmptyState, ErrorNotice, Field, Spinner } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { formatMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { useSession } from "../session.tsx";

type Subscription = Schemas["Subscription"];
export type UpgradeResult = Schemas["PostSubscriptionsSubscriptionIdUpgradeResponse"]["upgrade"] & { productName: string };

/** The shop's products this subscription can be upgraded to, cheapest first. */
function useUpgradeTargets(item: Subscription) {
  const { api } = useSession();
  return useAsync(
    async (signal) => {
      const products = await answer(api.GET("/api/shops/{shopId}/products", { params: { path: { shopId: item.shopId } }, signal }));
      const dearer = products.items.filter(
        (product) => product.id !== item.productId && product.currency === item.currency && BigInt(product.priceMinor) > BigInt(item.priceMinor),
      );
      const plans = await Promise.all(
        dearer.map((product) =>
          // A product sold once answers { plan: null }: it is no upgrade.
          answer(api.GET("/api/products/{productId}/subscription-plan", { params: { path: { productId: product.id } }, signal })),
        ),
      );
      return dearer
        .filter((_, index) => plans[index]?.plan?.periodSeconds === item.periodSeconds)
        .sort((a, b) => (BigInt(a.priceMinor) < BigInt(b.priceMinor) ? -1 : 1));
    },
    [api, item.shopId, item.productId, item.priceMinor],
  );
}

export function UpgradePanel(props: { item: Subscription; onUpgraded(result: UpgradeResult): void; onClose(): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const { item } = props;
  const targets = useUpgradeTargets(item);
  const [chosenId, setChosenId] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const headingRef = useRef<HTMLHeadingElement>(null);
  // Opening the panel moves focus into it, so a keyboard or screen reader user lands on what opened.
  useEffect(() => headingRef.current?.focus(), []);
  const list = targets.data ?? [];
  const chosen: Product | undefined = list.find((product) => product.id === chosenId) ?? list[0];
  const confirm = async () => {
    if (!chosen) return;
    setBusy(true);
    setError(undefined);
    try {
      const result = await answer(
        api.POST("/api/subscriptions/{subscriptionId}/upgrade", { params: { path: { subscriptionId: item.id } }, body: { productId: chosen.id } }),
      );
      props.onUpgraded({ ...result.upgrade, productName: chosen.name });
    } catch (caught) {
      setError(caught);
    }
    setBusy(false);
  };
  const fieldId = `upgrade-target-${item.id}`;
  return (
    <div className="stack upgrade-panel" data-testid="upgrade-panel">
      <h3 ref={headingRef} tabIndex={-1}>
        {t("upgrade.title")}
      </h3>
      {targets.loading && !targets.data && <Spinner />}
      <ErrorNotice error={targets.error} onRetry={targets.reload} />
      {targets.data && list.length === 0 && <EmptyState title={t("upgrade.none")} testId="upgrade-none" />}
      {chosen && (
        <>
          <Field label={t("upgrade.choose")} htmlFor={fieldId}>
            <select id={fieldId} value={chosen.id} onChange={(event) => setChosenId(event.target.value)} data-testid="upgrade-target">
              {list.map((product) => (
                <option key={product.id} value={product.id}>
                  {t("upgrade.option", { name: product.name, price: formatMoney(product.priceMinor, product.currency) })}
                </option>
              ))}
            </select>
          </Field>
          <p data-testid="upgrade-terms">
            {t("upgrade.terms", {
              difference: formatMoney(BigInt(chosen.priceMinor) - BigInt(item.priceMinor), item.currency),
              price: formatMoney(chosen.priceMinor, chosen.currency),
            })}
          </p>
        </>
      )}
      <ErrorNotice error={error} />
      <div className="row">
        {chosen && (
          <button type="button" className="button button-primary button-small" disabled={busy} onClick={() => void confirm()} data-testid="upgrade-confirm">
            {busy ? t("common.working") : t("upgrade.confirm")}
          </button>
        )}
        <button type="button" className="button button-small" disabled={busy} onClick={props.onClose}>
          {t("upgrade.close")}
        </button>
      </div>
    </div>
  );
}
