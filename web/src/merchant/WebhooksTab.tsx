// Webhooks (docs/webhooks.md): the shop's endpoints and the events each receives, the signing
// secret shown once (on creation and rotation), pause and resume, the delivery log with replay,
// and the console notices of stock alerts.
import { useState } from "react";
import { answer } from "../api/client.ts";
import type { paths } from "../api/schema.d.ts";
import type { Shop } from "../api/types.ts";
import { CopyButton, EmptyState, ErrorNotice, Notice, Spinner, TableScroll } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { useFormSubmit } from "../components/useFormSubmit.ts";
import { formatDateTime } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import type { MessageKey } from "../i18n/messages.ts";
import { useSession } from "../session.tsx";

type Endpoint = paths["/api/shops/{shopId}/webhooks"]["get"]["responses"]["200"]["content"]["application/json"]["endpoints"][number];
type EventType = Endpoint["events"][number];

export function WebhooksTab(props: { shop: Shop }) {
  const { t } = useI18n();
  const { api } = useSession();
  const shopId = props.shop.id;
  const hooks = useAsync((signal) => answer(api.GET("/api/shops/{shopId}/webhooks", { params: { path: { shopId } }, signal })), [api, shopId]);
  const notices = useAsync(
    (signal) => answer(api.GET("/api/shops/{shopId}/notices", { params: { path: { shopId }, query: { limit: 20 } }, signal })),
    [api, shopId],
  );
  const [secret, setSecret] = useState<string | undefined>(undefined);
  const [logOf, setLogOf] = useState<string | undefined>(undefined);
  const shown = (value: string) => {
    setSecret(value);
    hooks.reload();
  };
  return (
    <div className="stack-lg">
      <section className="stack" aria-labelledby="webhooks-title">
        <h2 id="webhooks-title">{t("webhooks.title")}</h2>
        <p className="muted">{t("webhooks.hint")}</p>
        {secret && (
          <Notice tone="warning" title={t("webhooks.secretOnce")} testId="webhook-secret">
            <code>{secret}</code> <CopyButton value={secret} />
          </Notice>
        )}
        <ErrorNotice error={hooks.error} onRetry={hooks.reload} />
        {hooks.loading && !hooks.data && <Spinner />}
        {hooks.data && <CreateForm shopId={shopId} eventTypes={hooks.data.eventTypes} onCreated={shown} />}
        {hooks.data?.endpoints.length === 0 && <EmptyState title={t("webhooks.empty")} />}
        {hooks.data && hooks.data.endpoints.length > 0 && (
          <Endpoints shopId={shopId} endpoints={hooks.data.endpoints} onRotated={shown} onChanged={hooks.reload} onShowLog={setLogOf} />
        )}
      </section>
      {logOf && <DeliveryLog shopId={shopId} endpointId={logOf} />}
      <section className="stack" aria-labelledby="notices-title">
        <h2 id="notices-title">{t("notices.title")}</h2>
        <ErrorNotice error={notices.error} onRetry={notices.reload} />
        {notices.data?.items.length === 0 && <EmptyState title={t("notices.empty")} />}
        {notices.data && notices.data.items.length > 0 && (
          <ul className="stack" data-testid="shop-notices">
            {notices.data.items.map((notice) => (
              <li key={notice.id}>
                {t(notice.kind === "stock_out" ? "notices.stockOut" : "notices.stockLow", {
                  name: notice.productName,
                  available: notice.available,
                  threshold: notice.threshold,
                })}
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}

function CreateForm(props: { shopId: string; eventTypes: EventType[]; onCreated(secret: string): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [events, setEvents] = useState<EventType[]>(["order.paid"]);
  const { busy, error, submit } = useFormSubmit(async () => {
    const created = await answer(
      api.POST("/api/shops/{shopId}/webhooks", { params: { path: { shopId: props.shopId } }, body: { url: url.trim(), events, description } }),
    );
    setUrl("");
    setDescription("");
    props.onCreated(created.secret);
  });
  const toggle = (type: EventType) => setEvents((current) => (current.includes(type) ? current.filter((item) => item !== type) : [...current, type]));
  return (
    <form className="stack" onSubmit={(event) => void submit(event)} data-testid="webhook-create-form" aria-label={t("webhooks.add")}>
      <label className="field">
        <span>{t("webhooks.url")}</span>
        <input type="url" value={url} onChange={(event) => setUrl(event.target.value)} required maxLength={2048} placeholder="https://example.com/hooks" />
      </label>
      <label className="field">
        <span>{t("webhooks.description")}</span>
        <input value={description} onChange={(event) => setDescription(event.target.value)} maxLength={200} />
      </label>
      <fieldset className="field">
        <legend>{t("webhooks.events")}</legend>
        {props.eventTypes.map((type) => (
          <label key={type} className="checkbox">
            <input type="checkbox" checked={events.includes(type)} onChange={() => toggle(type)} /> <code>{type}</code>{" "}
            {t(`webhooks.event.${type}` as MessageKey)}
          </label>
        ))}
      </fieldset>
      <div>
        <button type="submit" className="button button-primary" disabled={busy || events.length === 0 || !url.trim()}>
          {t("webhooks.add")}
        </button>
      </div>
      <ErrorNotice error={error} />
    </form>
  );
}

function Endpoints(props: { shopId: string; endpoints: Endpoint[]; onRotated(secret: string): void; onChanged(): void; onShowLog(id: string): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [error, setError] = useState<unknown>(undefined);
  const act = async (work: () => Promise<void>) => {
    setError(undefined);
    try {
      await work();
    } catch (caught) {
      setError(caught);
    }
  };
  const path = (endpointId: string) => ({ path: { shopId: props.shopId, endpointId } });
  return (
    <TableScroll>
      <ErrorNotice error={error} />
      <table className="table" data-testid="webhook-endpoints">
        <thead>
          <tr>
            <th scope="col">{t("webhooks.url")}</th>
            <th scope="col">{t("webhooks.events")}</th>
            <th scope="col">{t("webhooks.pending")}</th>
            <th scope="col">{t("common.actions")}</th>
          </tr>
        </thead>
        <tbody>
          {props.endpoints.map((endpoint) => (
            <tr key={endpoint.id}>
              <td>
                <code>{endpoint.url}</code>
                {!endpoint.active && <span className="muted"> · {t("webhooks.paused")}</span>}
              </td>
              <td>{endpoint.events.join(", ")}</td>
              <td>{endpoint.pending}</td>
              <td className="inline-form">
                <button
                  type="button"
                  className="button button-small"
                  onClick={() =>
                    void act(async () =>
                      props.onRotated(
                        (await answer(api.POST("/api/shops/{shopId}/webhooks/{endpointId}/rotate", { params: path(endpoint.id), body: {} }))).secret,
                      ),
                    )
                  }
                >
                  {t("webhooks.rotate")}
                </button>
                <button
                  type="button"
                  className="button button-small button-ghost"
                  onClick={() =>
                    void act(async () => {
                      await answer(api.PATCH("/api/shops/{shopId}/webhooks/{endpointId}", { params: path(endpoint.id), body: { active: !endpoint.active } }));
                      props.onChanged();
                    })
                  }
                >
                  {t(endpoint.active ? "webhooks.pause" : "webhooks.resume")}
                </button>
                <button type="button" className="button button-small button-ghost" onClick={() => props.onShowLog(endpoint.id)}>
                  {t("webhooks.log")}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

function DeliveryLog(props: { shopId: string; endpointId: string }) {
  const { t, lang } = useI18n();
  const { api } = useSession();
  const params = { path: { shopId: props.shopId, endpointId: props.endpointId } };
  const log = useAsync(
    (signal) => answer(api.GET("/api/shops/{shopId}/webhooks/{endpointId}/deliveries", { params: { ...params, query: { limit: 50 } }, signal })),
    [api, props.shopId, props.endpointId],
  );
  const [error, setError] = useState<unknown>(undefined);
  const replay = async (deliveryId: string) => {
    setError(undefined);
    try {
      await answer(api.POST("/api/shops/{shopId}/webhooks/{endpointId}/deliveries/{deliveryId}/replay", { params: { path: { ...params.path, deliveryId } } }));
      log.reload();
    } catch (caught) {
      setError(caught);
    }
  };
  return (
    <section className="stack" aria-labelledby="webhook-log-title">
      <h2 id="webhook-log-title">{t("webhooks.logTitle")}</h2>
      <div>
        <button type="button" className="button button-small button-ghost" onClick={log.reload}>
          {t("webhooks.refresh")}
        </button>
      </div>
      <ErrorNotice error={error ?? log.error} />
      {log.data?.items.length === 0 && <EmptyState title={t("webhooks.logEmpty")} />}
      {log.data && log.data.items.length > 0 && (
        <TableScroll>
          <table className="table" data-testid="webhook-deliveries">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">{t("webhooks.event")}</th>
                <th scope="col">{t("webhooks.state")}</th>
                <th scope="col">{t("webhooks.response")}</th>
                <th scope="col">{t("webhooks.time")}</th>
                <th scope="col">{t("common.actions")}</th>
              </tr>
            </thead>
            <tbody>
              {log.data.items.map((delivery) => (
                <tr key={delivery.id}>
                  <td>{delivery.sequence}</td>
                  <td>
                    <code>{delivery.type}</code>
                  </td>
                  <td>{t(`webhooks.state.${delivery.state}` as MessageKey)}</td>
                  <td>
                    {delivery.lastStatus ?? delivery.lastError ?? "—"} <span className="muted">{delivery.lastResponse?.slice(0, 80)}</span>
                  </td>
                  <td>{formatDateTime(delivery.deliveredAt ?? delivery.nextAttemptAt ?? delivery.createdAt, lang)}</td>
                  <td>
                    {delivery.state !== "pending" && (
                      <button type="button" className="button button-small" onClick={() => void replay(delivery.id)}>
                        {t("webhooks.replay")}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  );
}
