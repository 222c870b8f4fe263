// "My earnings" (/me/earnings, docs/distribution.md "Share-to-earn"): what a buyer earned by
// sharing product links. It reads the same overview as the agent console (GET
// /api/agent/overview, any signed-in account; the ledger's distributor accounts), so the
// amounts are never computed twice: held in the chargeback window, released (payable),
// awaiting payout; each sale's earning (net of refunds) and the buyers who followed the links,
// their emails masked by the API. Payouts are requested in the agent console.
import { answer } from "../api/client.ts";
import { EmptyState, ErrorNotice, PageHeader, Spinner } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { formatDateTime } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { Link } from "../router.tsx";
import { useSession } from "../session.tsx";
import { EarningsBalances } from "./EarningsBalances.tsx";

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
          <EarningsBalances
            data={data}
            prefix="earnings"
            emptyText={t("earnings.none")}
            payableLabel={t("earnings.released")}
            saleLabel={(id) => t("earnings.sale", { id })}
          >
            <p className="muted small">
              {t("earnings.payoutHint")} <Link to="/agent">{t("nav.agent")}</Link>
            </p>
          </EarningsBalances>
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
