// The shop's disputes (docs/disputes.md): newest first, filtered by state, with the order, its
// amount and the deadline that comes next; each opens the dispute page, where the merchant reads
// the evidence and decides. Pages of 20 with "load more".
import { useState } from "react";
import { answer } from "../api/client.ts";
import type { paths } from "../api/schema.d.ts";
import type { Shop } from "../api/types.ts";
import { EmptyState, ErrorNotice, Field, Spinner, StateBadge, TableScroll } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { formatDateTime, formatMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import type { MessageKey } from "../i18n/messages.ts";
import { Link } from "../router.tsx";
import { useSession } from "../session.tsx";

const filters = ["all", "open", "escalated", "rejected", "resolved"] as const;
const pageSize = 20;
type Item = paths["/api/shops/{shopId}/disputes"]["get"]["responses"][200]["content"]["application/json"]["items"][number];

export function DisputesTab(props: { shop: Shop }) {
  const { t, lang } = useI18n();
  const { api } = useSession();
  const [filter, setFilter] = useState<(typeof filters)[number]>("all");
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [earlier, setEarlier] = useState<Item[]>([]);
  const page = useAsync(
    (signal) =>
      answer(
        api.GET("/api/shops/{shopId}/disputes", {
          params: { path: { shopId: props.shop.id }, query: { ...(filter === "all" ? {} : { state: filter }), limit: pageSize, cursor } },
          signal,
        }),
      ),
    [api, props.shop.id, filter, cursor],
  );
  const items = [...earlier, ...(page.data?.items ?? [])];
  return (
    <div className="stack">
      <p className="muted">{t("disputes.shopHint")}</p>
      <Field label={t("disputes.state")} htmlFor="shop-disputes-state">
        <select
          id="shop-disputes-state"
          value={filter}
          data-testid="shop-disputes-state"
          onChange={(event) => {
            setEarlier([]);
            setCursor(undefined);
            setFilter(event.target.value as typeof filter);
          }}
        >
          {filters.map((value) => (
            <option key={value} value={value}>
              {value === "all" ? t("disputes.all") : t(`state.dispute_${value}` as MessageKey)}
            </option>
          ))}
        </select>
      </Field>
      <ErrorNotice error={page.error} onRetry={page.reload} />
      {page.loading && items.length === 0 && <Spinner />}
      {page.data && items.length === 0 && <EmptyState title={t("disputes.empty")} />}
      {items.length > 0 && (
        <TableScroll>
          <table className="table" data-testid="shop-disputes">
            <thead>
              <tr>
                <th scope="col">{t("dispute.number")}</th>
                <th scope="col">{t("dispute.status")}</th>
                <th scope="col">{t("dispute.nextDeadline")}</th>
                <th scope="col">{t("order.number")}</th>
                <th scope="col">{t("dispute.orderAmount")}</th>
                <th scope="col">{t("dispute.category")}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((item) => (
                <tr key={item.id} data-testid={`shop-dispute-${item.id}`}>
                  <td>
                    <Link to={`/disputes/${item.id}`}>#{item.id}</Link>
                  </td>
                  <td>
                    <StateBadge state={`dispute_${item.state}`} />
                  </td>
                  <td className="small" data-testid="shop-dispute-deadline">
                    {item.deadline ? formatDateTime(item.deadline, lang) : "—"}
                  </td>
                  <td className="mono">
                    <Link to={`/orders/${item.orderId}`}>{item.orderId}</Link>
                  </td>
                  <td data-testid="shop-dispute-amount">{formatMoney(item.orderAmountMinor, item.currency)}</td>
                  <td>{t(`dispute.category.${item.category}` as MessageKey)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {page.data?.nextCursor && (
        <button
          type="button"
          className="button"
          data-testid="shop-disputes-more"
          onClick={() => {
            setEarlier(items);
            setCursor(page.data!.nextCursor!);
          }}
        >
          {t("common.loadMore")}
        </button>
      )}
    </div>
  );
}
