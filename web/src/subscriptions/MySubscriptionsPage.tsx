// The signed-in buyer's subscriptions (docs/subscriptions.md): each with its state, the end of
// the paid period (as the platform records it and as the chain shows it), the price per period,
// and the buttons: renew now (from the platform balance), automatic renewal on or off, upgrade to a
// dearer plan (UpgradeSubscription.tsx), cancel. "My balance" (BalancePanel.tsx) heads the page:
// renewals and upgrades are charged from it, and a top-up's cashier returns here.
import { useRef, useState } from "react";
import { answer } from "../api/client.ts";
import type { Schemas } from "../api/client.ts";
import { EmptyState, ErrorNotice, Notice, PageHeader, Spinner, StateBadge } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { formatDateTime, formatMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import type { MessageKey } from "../i18n/messages.ts";
import { Link } from "../router.tsx";
import { useSession } from "../session.tsx";
import { PeriodKeys } from "./PeriodKeys.tsx";
import { BalancePanel } from "./BalancePanel.tsx";
import { UpgradePanel, type UpgradeResult } from "./UpgradeSubscription.tsx";

type Subscription = Schemas["Subscription"];

export default function MySubscriptionsPage() {
  const { t } = useI18n();
  const { api, account } = useSession();
  const page = useAsync(
    (signal) => (account ? answer(api.GET("/api/subscriptions", { params: { query: { limit: 50 } }, signal })) : Promise.resolve(undefined)),
    [api, account?.id],
  );
  // Renewals and upgrades charge the balance: each change reads it again.
  const [balanceVersion, setBalanceVersion] = useState(0);
  const changed = () => {
    page.reload();
    setBalanceVersion((version) => version + 1);
  };
  if (!account) {
    return (
      <EmptyState
        title={t("myOrders.signIn")}
        action={
          <Link className="button button-primary" to="/login?next=/me/subscriptions">
            {t("nav.signIn")}
          </Link>
        }
      />
    );
  }
  return (
    <div className="stack-lg">
      <PageHeader title={t("subscriptions.title")} subtitle={account.email} />
      <BalancePanel version={balanceVersion} />
      <ErrorNotice error={page.error} onRetry={page.reload} />
      {page.loading && !page.data && <Spinner />}
      {page.data?.items.length === 0 && <EmptyState title={t("subscriptions.none")}>{t("subscriptions.noneHint")}</EmptyState>}
      {page.data && page.data.items.length > 0 && (
        <ul className="list" data-testid="my-subscriptions">
          {page.data.items.map((item) => (
            <SubscriptionRow key={item.id} item={item} onChanged={changed} />
          ))}
        </ul>
      )}
    </div>
  );
}

function SubscriptionRow(props: { item: Subscription; onChanged: () => void }) {
  const { t, lang } = useI18n();
  const { api } = useSession();
  const { item } = props;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const act = async (call: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await call();
      props.onChanged();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  const [upgrading, setUpgrading] = useState(false);
  const [upgraded, setUpgraded] = useState<UpgradeResult | undefined>(undefined);
  const upgradeButton = useRef<HTMLButtonElement>(null);
  const closeUpgrade = () => {
    setUpgrading(false);
    upgradeButton.current?.focus();
  };
  const path = { params: { path: { subscriptionId: item.id } } };
  const open = item.state === "active" || item.state === "past_due";
  return (
    <li className="list-row stack" data-testid="subscription" data-subscription-id={item.id} aria-labelledby={`subscription-${item.id}`}>
      <div className="section-head">
        <strong id={`subscription-${item.id}`}>{item.productName}</strong>
        <StateBadge state={t(`subscriptions.state.${item.state}` as MessageKey)} testId="subscription-state" />
      </div>
      <dl className="facts small">
        <dt>{t("subscriptions.price")}</dt>
        <dd data-testid="subscription-price">
          {t("subscriptions.perPeriod", { price: formatMoney(item.priceMinor, item.currency), days: item.periodSeconds / 86_400 })}
        </dd>
        <dt>{t("subscriptions.paidUntil")}</dt>
        <dd data-testid="subscription-paid-until">{formatDateTime(item.paidUntil, lang)}</dd>
        <dt>{t("subscriptions.chainPaidUntil")}</dt>
        <dd data-testid="subscription-chain-paid-until">{item.chainPaidUntil ? formatDateTime(item.chainPaidUntil, lang) : t("subscriptions.chainPending")}</dd>
        <dt>{t("subscriptions.autoRenew")}</dt>
        <dd>{item.autoRenew ? t("subscriptions.autoRenewOn") : t("subscriptions.autoRenewOff")}</dd>
      </dl>
      <PeriodKeys item={item} />
      <ErrorNotice error={error} />
      {upgraded && (
        <Notice tone="success" testId="upgrade-done" title={t("upgrade.done", { name: upgraded.productName })}>
          <span data-testid="upgrade-charged" data-minor={upgraded.amountMinor}>
            {t("upgrade.charged", {
              amount: formatMoney(upgraded.amountMinor, upgraded.currency),
              days: (upgraded.remainingSeconds / 86_400).toFixed(1),
            })}
          </span>
        </Notice>
      )}
      {upgrading && (
        <UpgradePanel
          item={item}
          onClose={closeUpgrade}
          onUpgraded={(result) => {
            setUpgraded(result);
            closeUpgrade();
            props.onChanged();
          }}
        />
      )}
      {open && (
        <div className="row">
          <button
            type="button"
            className="button button-primary button-small"
            disabled={busy}
            data-testid="subscription-renew"
            onClick={() => void act(() => answer(api.POST("/api/subscriptions/{subscriptionId}/renew", { ...path, body: { periodIndex: item.periodsPaid } })))}
          >
            {t("subscriptions.renew")}
          </button>
          <button
            type="button"
            className="button button-small"
            disabled={busy}
            data-testid="subscription-auto-renew"
            onClick={() => void act(() => answer(api.PUT("/api/subscriptions/{subscriptionId}/auto-renew", { ...path, body: { autoRenew: !item.autoRenew } })))}
          >
            {item.autoRenew ? t("subscriptions.turnAutoRenewOff") : t("subscriptions.turnAutoRenewOn")}
          </button>
          {item.state === "active" && (
            <button
              ref={upgradeButton}
              type="button"
              className="button button-small"
              disabled={busy}
              aria-expanded={upgrading}
              data-testid="subscription-upgrade"
              onClick={() => {
                setUpgraded(undefined);
                setUpgrading(!upgrading);
              }}
            >
              {t("upgrade.open")}
            </button>
          )}
          <button
            type="button"
            className="button button-small"
            disabled={busy}
            data-testid="subscription-cancel"
            onClick={() => void act(() => answer(api.POST("/api/subscriptions/{subscriptionId}/cancel", path)))}
          >
            {t("subscriptions.cancel")}
          </button>
        </div>
      )}
    </li>
  );
}
