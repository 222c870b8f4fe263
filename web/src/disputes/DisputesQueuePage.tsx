// The admins' disputes queue (docs/disputes.md), a tab of the platform console: escalated
// disputes by default (arbitration), or every state; each opens the dispute page with its
// evidence and the decision form.
import { useState } from "react";
import { answer } from "../api/client.ts";
import { EmptyState, ErrorNotice, Field, Spinner, StateBadge, TableScroll } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { formatDateTime } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import type { MessageKey } from "../i18n/messages.ts";
import { Link } from "../router.tsx";
import { useSession } from "../session.tsx";

const states = ["escalated", "open", "rejected", "resolved"] as const;

export default function DisputesQueuePage() {
  const { t, lang } = useI18n();
  const { api } = useSession();
  const [state, setState] = useState<(typeof states)[number]>("escalated");
  const queue = useAsync((signal) => answer(api.GET("/api/admin/disputes", { params: { query: { state } }, signal })), [api, state]);
  return (
    <div className="stack">
      <p className="muted">{t("disputes.queueHint")}</p>
      <Field label={t("disputes.state")} htmlFor="disputes-state">
        <select id="disputes-state" value={state} onChange={(event) => setState(event.target.value as typeof state)}>
          {states.map((value) => (
            <option key={value} value={value}>
              {t(`state.dispute_${value}` as MessageKey)}
            </option>
          ))}
        </select>
      </Field>
      <ErrorNotice error={queue.error} onRetry={queue.reload} />
      {queue.loading && !queue.data && <Spinner />}
      {queue.data?.items.length === 0 && <EmptyState title={t("disputes.empty")} />}
      {queue.data && queue.data.items.length > 0 && (
        <TableScroll>
          <table className="table" data-testid="disputes-queue">
            <thead>
              <tr>
                <th scope="col">{t("dispute.number")}</th>
                <th scope="col">{t("order.number")}</th>
                <th scope="col">{t("dispute.category")}</th>
                <th scope="col">{t("dispute.answerDeadline")}</th>
                <th scope="col">{t("dispute.status")}</th>
              </tr>
            </thead>
            <tbody>
              {queue.data.items.map((item) => (
                <tr key={item.id} data-testid={`queue-dispute-${item.id}`}>
                  <td>
                    <Link to={`/disputes/${item.id}`}>#{item.id}</Link>
                  </td>
                  <td className="mono">{item.orderId}</td>
                  <td>{t(`dispute.category.${item.category}` as MessageKey)}</td>
                  <td className="small">{formatDateTime(item.answerDeadline, lang)}</td>
                  <td>
                    <StateBadge state={`dispute_${item.state}`} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </div>
  );
}
