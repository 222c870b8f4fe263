// On a product page: the product is sold per period, at this price a period; the buyer's
// subscriptions are renewed and cancelled from "My subscriptions". Shows nothing for a product
// without a plan (the API answers { plan: null }).
import { answer } from "../api/client.ts";
import { Notice } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { formatMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import type { MessageKey } from "../i18n/messages.ts";
import { Link } from "../router.tsx";
import { useSession } from "../session.tsx";

export function SubscriptionPlanNotice(props: { productId: string }) {
  const { t } = useI18n();
  const { api, account } = useSession();
  const plan = useAsync(
    (signal) =>
      answer(api.GET("/api/products/{productId}/subscription-plan", { params: { path: { productId: props.productId } }, signal }))
        .then((answered) => answered.plan ?? undefined)
        .catch(() => undefined),
    [api, props.productId],
  );
  if (!plan.data) return null;
  const price = formatMoney(plan.data.periodPriceMinor, plan.data.currency);
  return (
    <Notice tone="info" title={t("subscriptions.planTitle")} testId="subscription-plan">
      <span data-testid="subscription-plan-price">{t(`subscriptions.plan.${plan.data.period}` as MessageKey, { price })}</span>{" "}
      {t("subscriptions.planBody", { days: plan.data.graceDays })} {account && <Link to="/me/subscriptions">{t("subscriptions.title")}</Link>}
    </Notice>
  );
}
