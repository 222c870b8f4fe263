// A blacklist (docs/abuse.md, "Risk rules"): emails, IP ranges (CIDR) and paying wallets whose
// checkouts score 100 and are blocked. One editor for both lists: a shop's private one (merchant
// console) and the platform's shared one, which applies to every shop (admin console).
import { useState } from "react";
import { answer, type ApiClient } from "../api/client.ts";
import { EmptyState, ErrorNotice, Spinner, TableScroll } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { useFormSubmit } from "../components/useFormSubmit.ts";
import { formatDateTime } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import type { MessageKey } from "../i18n/messages.ts";
import { useSession } from "../session.tsx";

const kinds = ["email", "ip_range", "wallet"] as const;
type Kind = (typeof kinds)[number];

/** Whose list: one shop's, or the platform's (null). */
export type BlacklistScope = { shopId: string | null };

type NewEntry = { kind: Kind; value: string; reason?: string };

/** The three calls of a list, by scope: the routes differ, the shapes do not. */
function blacklistCalls(api: ApiClient, scope: BlacklistScope) {
  const shopId = scope.shopId;
  if (shopId === null) {
    return {
      list: (signal: AbortSignal) => answer(api.GET("/api/admin/blacklist", { signal })),
      add: (body: NewEntry) => answer(api.POST("/api/admin/blacklist", { body })),
      remove: (entryId: string) => answer(api.DELETE("/api/admin/blacklist/{entryId}", { params: { path: { entryId } } })),
    };
  }
  return {
    list: (signal: AbortSignal) => answer(api.GET("/api/shops/{shopId}/blacklist", { params: { path: { shopId } }, signal })),
    add: (body: NewEntry) => answer(api.POST("/api/shops/{shopId}/blacklist", { params: { path: { shopId } }, body })),
    remove: (entryId: string) => answer(api.DELETE("/api/shops/{shopId}/blacklist/{entryId}", { params: { path: { shopId, entryId } } })),
  };
}

export function BlacklistEditor(props: { scope: BlacklistScope; hint: string }) {
  const { t, lang } = useI18n();
  const { api } = useSession();
  const calls = blacklistCalls(api, props.scope);
  const list = useAsync((signal) => calls.list(signal), [api, props.scope.shopId]);
  const [removeError, setRemoveError] = useState<unknown>(undefined);
  const remove = async (entryId: string) => {
    setRemoveError(undefined);
    try {
      await calls.remove(entryId);
      list.reload();
    } catch (caught) {
      setRemoveError(caught);
    }
  };
  return (
    <div className="stack">
      <p className="muted">{props.hint}</p>
      <AddEntry add={calls.add} onAdded={list.reload} />
      <ErrorNotice error={list.error ?? removeError} onRetry={list.reload} />
      {list.loading && !list.data && <Spinner />}
      {list.data?.items.length === 0 && <EmptyState title={t("blacklist.empty")} />}
      {list.data && list.data.items.length > 0 && (
        <TableScroll>
          <table className="table" data-testid="blacklist-table">
            <thead>
              <tr>
                <th scope="col">{t("blacklist.kind")}</th>
                <th scope="col">{t("blacklist.value")}</th>
                <th scope="col">{t("blacklist.reason")}</th>
                <th scope="col">{t("order.created")}</th>
                <th scope="col">{t("common.actions")}</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((entry) => (
                <tr key={entry.id}>
                  <td>{t(`blacklist.kind.${entry.kind}` as MessageKey)}</td>
                  <td className="mono">{entry.value}</td>
                  <td className="small">{entry.reason || "—"}</td>
                  <td className="small">{formatDateTime(entry.createdAt, lang)}</td>
                  <td>
                    <button type="button" className="button button-small button-ghost" onClick={() => void remove(entry.id)}>
                      {t("blacklist.remove")}
                    </button>
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

function AddEntry(props: { add(entry: NewEntry): Promise<unknown>; onAdded(): void }) {
  const { t } = useI18n();
  const [kind, setKind] = useState<Kind>("email");
  const [value, setValue] = useState("");
  const [reason, setReason] = useState("");
  const { busy, error, submit } = useFormSubmit(async () => {
    await props.add({ kind, value: value.trim(), ...(reason.trim() ? { reason: reason.trim() } : {}) });
    setValue("");
    setReason("");
    props.onAdded();
  });
  return (
    <form className="inline-form" onSubmit={(event) => void submit(event)} data-testid="blacklist-form">
      <label className="field">
        <span>{t("blacklist.kind")}</span>
        <select value={kind} onChange={(event) => setKind(event.target.value as Kind)}>
          {kinds.map((entry) => (
            <option key={entry} value={entry}>
              {t(`blacklist.kind.${entry}` as MessageKey)}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>{t("blacklist.value")}</span>
        <input
          value={value}
          onChange={(event) => setValue(event.target.value)}
          required
          maxLength={254}
          placeholder={t(`blacklist.placeholder.${kind}` as MessageKey)}
        />
      </label>
      <label className="field">
        <span>{t("blacklist.reason")}</span>
        <input value={reason} onChange={(event) => setReason(event.target.value)} maxLength={200} />
      </label>
      <button type="submit" className="button button-primary" disabled={busy || !value.trim()}>
        {t("blacklist.add")}
      </button>
      <ErrorNotice error={error} />
    </form>
  );
}
