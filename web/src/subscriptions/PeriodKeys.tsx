// A key-per-period subscription's keys (docs/subscriptions.md, "A new key each period"): one per
// paid period, each valid until its own period's end. The keys are delivered on the order that
// started the subscription, where the buyer reveals them.
import type { Schemas } from "../api/client.ts";
import { formatDateTime } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { Link } from "../router.tsx";

export function PeriodKeys(props: { item: Schemas["Subscription"] }) {
  const { t, lang } = useI18n();
  const { item } = props;
  if (item.delivery !== "key_per_period" || item.periodKeys.length === 0) return null;
  return (
    <div className="stack small" data-testid="subscription-period-keys">
      <strong>{t("subscriptions.periodKeys")}</strong>
      <ul className="list">
        {item.periodKeys.map((key) => (
          <li key={key.periodIndex} data-testid="subscription-period-key" data-entitlement-id={key.entitlementId}>
            {t("subscriptions.periodKey", { period: key.periodIndex + 1, end: formatDateTime(key.endsAt, lang) })}
            {!key.expiryOnChain && ` · ${t("subscriptions.chainPending")}`}
          </li>
        ))}
      </ul>
      <Link to={`/orders/${encodeURIComponent(item.orderId)}`}>{t("subscriptions.revealKeys")}</Link>
    </div>
  );
}
