// Orders with a state filter, and the manual-delivery queue (paid orders of manual products)
// where the merchant types what the buyer receives.
import { answer } from "../api/client.ts";
import { useState, type FormEvent } from "react";
import { orderStates, type OrderState, type OrderSummary, type Shop } from "../api/types.ts";
import { EmptyState, ErrorNotice, Spinner, StateBadge, TableScroll } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { formatDateTime, formatMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import type { MessageKey } from "../i18n/messages.ts";
import { useSession } from "../session.tsx";

export function OrdersTab(props: { shop: Shop }) {
  const { t, lang } = useI18n();
  const { api } = useSession();
  const [view, setView] = useState<"all" | "manual">("all");
  const [state, setState] = useState<OrderState | "">("");
  const filter = view === "manual" ? ({ deliveryMode: "manual", state: "paid" } as const) : state ? { state } : {};
  const orders = useAsync(
    (signal) => answer(api.GET("/api/shops/{shopId}/orders", { params: { path: { shopId: props.shop.id }, query: { limit: 50, ...filter } }, signal })),
    [api, props.shop.id, view, state],
  );
  return (
    <div className="stack">
      <div className="section-head">
        <fieldset className="segmented" aria-label={t("merchant.tab.orders")}>
          <button type="button" className={view === "all" ? "segment segment-active" : "segment"} aria-pressed={view === "all"} onClick={() => setView("all")}>
            {t("orders.all")}
          </button>
          <button
            type="button"
            className={view === "manual" ? "segment segment-active" : "segment"}
            aria-pressed={view === "manual"}
            onClick={() => setView("manual")}
            data-testid="manual-queue"
          >
            {t("orders.manualQueue")}
          </button>
        </fieldset>
        {view === "all" && (
          <label className="inline-select">
            <span>{t("orders.filter")}</span>
            <select value={state} onChange={(event) => setState(event.target.value as OrderState | "")} data-testid="orders-state-filter">
              <option value="">{t("orders.anyState")}</option>
              {orderStates.map((value) => (
                <option key={value} value={value}>
                  {t(`state.${value}` as MessageKey)}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      <ErrorNotice error={orders.error} onRetry={orders.reload} />
      {orders.loading && !orders.data && <Spinner />}
      {orders.data?.items.length === 0 && (
        <EmptyState title={view === "manual" ? t("orders.queueEmpty") : t("orders.empty")}>
          {view === "manual" ? t("orders.queueEmptyHint") : t("orders.emptyHint")}
        </EmptyState>
      )}
      {orders.data && orders.data.items.length > 0 && (
        <TableScroll>
          <table className="table" data-testid="orders-table">
            <thead>
              <tr>
                <th scope="col">{t("order.number")}</th>
                <th scope="col">{t("batches.product")}</th>
                <th scope="col">{t("orders.amount")}</th>
                <th scope="col">{t("products.status")}</th>
                <th scope="col">{t("order.created")}</th>
              </tr>
            </thead>
            <tbody>
              {orders.data.items.map((order) => (
                <tr key={order.id}>
                  <td className="mono">{order.id}</td>
                  <td>
                    {order.productName} × {order.quantity}
                    {view === "manual" && <DeliverForm order={order} onDelivered={orders.reload} />}
                  </td>
                  <td>{formatMoney(order.amountMinor, order.currency)}</td>
                  <td>
                    <StateBadge state={order.state} />
                  </td>
                  <td className="small">{formatDateTime(order.createdAt, lang)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </div>
  );
}

function DeliverForm(props: { order: OrderSummary; onDelivered(): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [content, setContent] = useState("");
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await answer(api.POST("/api/orders/{orderId}/deliver", { params: { path: { orderId: props.order.id } }, body: { content } }));
      props.onDelivered();
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };
  const id = `deliver-${props.order.id}`;
  return (
    <form className="deliver-form" onSubmit={(event) => void submit(event)}>
      <label htmlFor={id} className="small">
        {t("orders.deliverLabel", { contact: props.order.contact ?? "—" })}
      </label>
      <textarea id={id} rows={2} value={content} onChange={(event) => setContent(event.target.value)} required maxLength={10_000} />
      <ErrorNotice error={error} />
      <button type="submit" className="button button-small button-primary" disabled={busy || !content.trim()}>
        {t("orders.deliver")}
      </button>
    </form>
  );
}
