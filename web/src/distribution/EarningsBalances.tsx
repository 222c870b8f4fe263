// The balances and per-sale earnings of GET /api/agent/overview, shown by the agent console and
// by a buyer's "My earnings" page (one table for both; each page names its own labels and test
// ids, so the two read as before).
import type { ReactNode } from "react";
import type { Schemas } from "../api/client.ts";
import { formatDateTime, formatMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";

type Overview = Pick<Schemas["GetAgentOverviewResponse"], "balances" | "earnings">;

export function EarningsBalances(props: {
  data: Overview;
  /** Prefix of the heading id and the test ids: "agent" or "earnings". */
  prefix: string;
  emptyText: string;
  payableLabel: string;
  saleLabel: (orderId: string) => string;
  children?: ReactNode;
}) {
  const { t, lang } = useI18n();
  const { data, prefix } = props;
  return (
    <section className="card stack" aria-labelledby={`${prefix}-balances`}>
      <h2 id={`${prefix}-balances`}>{t("agent.balances")}</h2>
      {data.balances.length === 0 ? (
        <p className="muted">{props.emptyText}</p>
      ) : (
        <table className="table" data-testid={`${prefix}-balances`}>
          <thead>
            <tr>
              <th scope="col">{t("agent.held")}</th>
              <th scope="col">{props.payableLabel}</th>
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
        <ul className="list" aria-label={t("agent.earnings")} data-testid={prefix === "agent" ? "agent-earnings" : "earnings-sales"}>
          {data.earnings.map((earning) => (
            <li key={`${earning.orderId}-${earning.currency}`} className="list-row">
              <span className="mono small">{props.saleLabel(earning.orderId)}</span>
              <strong>{formatMoney(earning.amountMinor, earning.currency)}</strong>
              <span className="muted small">{formatDateTime(earning.at, lang)}</span>
            </li>
          ))}
        </ul>
      )}
      {props.children}
    </section>
  );
}
