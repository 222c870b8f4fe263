// Order lookup for guests: order number + contact + query password opens the order. Orders
// placed on this device are listed too, so most people never need the form.
import { answer } from "../api/client.ts";
import { useState, type FormEvent } from "react";
import { ErrorNotice, Field, PageHeader } from "../components/ui.tsx";
import { formatDateTime } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { listRecentOrders, rememberOrder } from "../recentOrders.ts";
import { Link, useRouter } from "../router.tsx";
import { useSession } from "../session.tsx";

export function LookupPage() {
  const { t, lang } = useI18n();
  const { api } = useSession();
  const { navigate, search } = useRouter();
  const [orderId, setOrderId] = useState(search.get("order") ?? "");
  const [contact, setContact] = useState("");
  const [queryPassword, setQueryPassword] = useState("");
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const recent = listRecentOrders();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const response = await answer(
        api.POST("/api/orders/lookup", { body: { orderId: orderId.trim().toUpperCase(), contact: contact.trim(), queryPassword } }),
      );
      rememberOrder({ id: response.order.id, token: response.accessToken, productName: response.order.productName, createdAt: response.order.createdAt });
      navigate(`/orders/${response.order.id}?token=${encodeURIComponent(response.accessToken)}`);
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };

  return (
    <div className="narrow stack-lg">
      <PageHeader title={t("lookup.title")} subtitle={t("lookup.subtitle")} />
      <form className="card stack" onSubmit={(event) => void submit(event)} data-testid="lookup-form">
        <Field label={t("lookup.orderId")} htmlFor="lookup-order" hint={t("lookup.orderIdHint")}>
          <input
            id="lookup-order"
            className="mono"
            value={orderId}
            onChange={(event) => setOrderId(event.target.value)}
            required
            autoComplete="off"
            placeholder="KL…"
            data-testid="lookup-order-id"
          />
        </Field>
        <Field label={t("checkout.contact")} htmlFor="lookup-contact">
          <input
            id="lookup-contact"
            type="email"
            value={contact}
            onChange={(event) => setContact(event.target.value)}
            required
            autoComplete="email"
            data-testid="lookup-contact"
          />
        </Field>
        <Field label={t("checkout.queryPassword")} htmlFor="lookup-password">
          <input
            id="lookup-password"
            type="password"
            value={queryPassword}
            onChange={(event) => setQueryPassword(event.target.value)}
            required
            autoComplete="current-password"
            data-testid="lookup-password"
          />
        </Field>
        <ErrorNotice error={error} />
        <button className="button button-primary button-block" type="submit" disabled={busy} data-testid="lookup-submit">
          {busy ? t("common.working") : t("lookup.submit")}
        </button>
      </form>
      {recent.length > 0 && (
        <section className="stack">
          <h2 className="section-title">{t("lookup.recent")}</h2>
          <ul className="list card">
            {recent.map((order) => (
              <li key={order.id} className="list-row">
                <Link to={`/orders/${order.id}?token=${encodeURIComponent(order.token)}`} className="mono">
                  {order.id}
                </Link>
                <span className="muted clamp-1">{order.productName}</span>
                <span className="muted small">{formatDateTime(order.createdAt, lang)}</span>
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}
