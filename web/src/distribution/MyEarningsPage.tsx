// "My earnings" (/me/earnings, docs/distribution.md "Share-to-earn"): what a buyer earned by
// sharing product links. It reads the same overview as the agent console (GET
// /api/agent/overview, any signed-in account; the ledger's distributor accounts), so the
// amounts are never computed twice: held in the chargeback window, released (payable),
// awaiting payout; each sale's earning (net of refunds) and the buyers who followed the links,
// their emails masked by the API. Payouts are requested in the agent console.
import { answer } from "../api/client.ts";
import { EmptyState, ErrorNotice, PageHeader, Spinner } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { formatDateTime, formatMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { Link } from "../router.tsx";
import { useSession } from "../session.tsx";

export function MyEarningsPage() {
  const { t, lang } = useI18n();
  const { api, account } = useSession();
  const overview = useAsync((signal) => (account ? answer(api.GET("/api/agent/overview", { signal })) : Promise.resolve(undefined)), [api, account?.id]);
  if (!account) {
    return (
      <EmptyState
        title={t("earnings.signIn")}
        action={
          <Link className="button button-primary" to="/login?next=/me/earnings">
            {t("nav.signIn")}
          </Link>
        }
      />
    );
  }
  const data = overview.data;
  return (
    <div className="stack-lg">
      <PageHeader title={t("nav.myEarnings")} subtitle={t("earnings.subtitle")} />
      <ErrorNotice error={overview.error} onRetry={overview.reload} />
      {overview.loading && !data && <Spinner />}
      {data && (
        <>
          <section className="card stack" aria-labelledby="earnings-balances">
            <h2 id="earnings-balances">{t("agent.balances")}</h2>
            {data.balances.length === 0 ? (
              <p className="muted">{t("earnings.none")}</p>
            ) : (
              <table className="table" data-testid="earnings-balances">
                <thead>
                  <tr>
                    <th scope="col">{t("agent.held")}</th>
                    <th scope="col">{t("earnings.released")}</th>
                    <th scope="col">{t("agent.payoutPending")}</th>
                  </tr>
                </thead>
                <tbody>
                  {data.balances.map((balance) => (
                    <tr key={balance.currency}>
                      <td>{formatMoney(balance.heldMinor, balance.currency)}</td>
                      <td>{formatMoney(balance.payableMinor, balance.currency)}</td>
                      <td>{formatMoney(balance.payoutPendingMinor, balance.currency)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {data.earnings.length > 0 && (
              <ul className="list" aria-label={t("agent.earnings")} data-testid="earnings-sales">
                {data.earnings.map((earning) => (
                  <li key={`${earning.orderId}-${earning.currency}`} className="list-row">
                    <span className="mono small">{t("earnings.sale", { id: earning.orderId })}</span>
                    <strong>{formatMoney(earning.amountMinor, earning.currency)}</strong>
                    <span className="muted small">{formatDateTime(earning.at, lang)}</span>
                  </li>
                ))}
              </ul>
            )}
            <p className="muted small">
              {t("earnings.payoutHint")} <Link to="/agent">{t("nav.agent")}</Link>
            </p>
          </section>
          <section className="card stack" aria-labelledby="earnings-referred">
            <h2 id="earnings-referred">{t("agent.referred")}</h2>
            {data.referredBuyers.length === 0 ? (
              <p className="muted">{t("agent.noReferred")}</p>
            ) : (
              <ul className="list" data-testid="earnings-referred">
                {data.referredBuyers.map((referred) => (
                  <li key={`${referred.shopId}-${referred.buyer}-${referred.attachedAt}`} className="list-row">
                    <span className="mono">{referred.buyer}</span>
                    <span className="muted small">{t("agent.until", { date: formatDateTime(referred.expiresAt, lang) })}</span>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </>
      )}
    </div>
  );
}
