// The signed-in buyer's subscriptions (docs/subscriptions.md): each with its state, the end of
// the paid period (as the platform records it and as the chain shows it), the price per period,
// and the buttons: renew now (from the platform balance), automatic renewal on or off, upgrade to a
// dearer plan (UpgradeSubscription.tsx), cancel, and renewal from the buyer's own wallet (a
// PaymentRouter mandate: WalletRenewal). "My balance" (BalancePanel.tsx) heads the page:
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
      <WalletRenewal subscriptionId={item.id} />
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

/**
 * "Renew from my wallet": shown when the subscription can be paid in the platform's stablecoin.
 * The wallet is linked (SIWE), approves the allowance and creates the mandate; the platform reads
 * it back on-chain and records it. The cancel button is the wallet's own on-chain cancellation;
 * the platform notices through the indexer (the state changes once the block is final).
 */
function WalletRenewal(props: { subscriptionId: string }) {
  const { t } = useI18n();
  const { api } = useSession();
  const path = { params: { path: { subscriptionId: props.subscriptionId } } };
  const view = useAsync((signal) => answer(api.GET("/api/subscriptions/{subscriptionId}/wallet-mandate", { ...path, signal })), [api, props.subscriptionId]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [cancelSent, setCancelSent] = useState(false);
  const mandate = view.data?.mandate;
  const terms = view.data?.terms;
  const live = mandate?.state === "active";
  if (!live && !terms) return null;
  const run = async (call: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await call();
      view.reload();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  const start = () =>
    run(async () => {
      const { connectWallet } = await import("../resale/connectWallet.ts");
      await connectWallet(api, t("keys.siweStatement"));
      const { createWalletMandate } = await import("./walletMandate.ts");
      const created = await createWalletMandate(terms!);
      await answer(api.POST("/api/subscriptions/{subscriptionId}/wallet-mandate", { ...path, body: created }));
    });
  const stop = () =>
    run(async () => {
      const { cancelWalletMandate } = await import("./walletMandate.ts");
      await cancelWalletMandate(mandate!.paymentRouter, mandate!.subscriptionRef);
      setCancelSent(true);
    });
  return (
    <div className="stack" data-testid="wallet-renewal">
      <p className="small" data-testid="wallet-renewal-status">
        {live ? t("subscriptions.wallet.on", { payer: mandate!.payer }) : t("subscriptions.wallet.off")}
        {cancelSent && live ? ` ${t("subscriptions.wallet.cancelSent")}` : ""}
      </p>
      <ErrorNotice error={error} />
      <div className="row">
        {live ? (
          <button type="button" className="button button-small" disabled={busy || cancelSent} data-testid="wallet-renewal-cancel" onClick={() => void stop()}>
            {t("subscriptions.wallet.cancel")}
          </button>
        ) : (
          <button type="button" className="button button-small" disabled={busy} data-testid="wallet-renewal-start" onClick={() => void start()}>
            {t("subscriptions.wallet.start")}
          </button>
        )}
      </div>
    </div>
  );
}
