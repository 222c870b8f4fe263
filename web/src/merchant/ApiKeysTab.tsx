// The merchant's API keys (docs/api-keys.md): create one with scopes, an optional expiry and an
// optional allow-list; its secret is shown once, with a copy button, and never again (the server
// keeps only a keyed hash); the list shows each key's hint, scopes and state, with a revoke button.
import { useState } from "react";
import { apiKeyScopes, type ApiKeyScope } from "../../../core/roles.ts";
import { answer } from "../api/client.ts";
import { CopyButton, ErrorNotice, Notice, TableScroll } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { useFormSubmit } from "../components/useFormSubmit.ts";
import { formatDateTime } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import type { MessageKey } from "../i18n/messages.ts";
import { useSession } from "../session.tsx";

export function ApiKeysTab() {
  const { t } = useI18n();
  const { api } = useSession();
  const keys = useAsync((signal) => answer(api.GET("/api/api-keys", { params: { query: { limit: 100 } }, signal })), [api]);
  return (
    <div className="stack-lg">
      <p className="muted">{t("apiKeys.hint")}</p>
      <CreateApiKey onCreated={keys.reload} />
      <section className="card stack" aria-labelledby="api-keys-list">
        <h2 id="api-keys-list">{t("apiKeys.list")}</h2>
        <ErrorNotice error={keys.error} onRetry={keys.reload} />
        {keys.data && keys.data.items.length === 0 && <p className="muted">{t("apiKeys.none")}</p>}
        {keys.data && keys.data.items.length > 0 && <KeyTable keys={keys.data.items} onRevoked={keys.reload} />}
      </section>
    </div>
  );
}

function CreateApiKey(props: { onCreated(): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<ApiKeyScope[]>([]);
  const [expiresOn, setExpiresOn] = useState("");
  const [networks, setNetworks] = useState("");
  const [secret, setSecret] = useState<string | undefined>(undefined);
  const form = useFormSubmit(async () => {
    setSecret(undefined);
    const created = await answer(
      api.POST("/api/api-keys", {
        body: {
          name,
          scopes,
          // The end of the chosen day, in UTC: a key "until 31 January" works all that day.
          ...(expiresOn ? { expiresAt: `${expiresOn}T23:59:59Z` } : {}),
          allowedNetworks: networks
            .split(/[\s,]+/)
            .map((network) => network.trim())
            .filter(Boolean),
        },
      }),
    );
    setSecret(created.secret);
    setName("");
    setScopes([]);
    setExpiresOn("");
    setNetworks("");
    props.onCreated();
  });
  const toggle = (scope: ApiKeyScope, on: boolean) => setScopes((old) => (on ? [...old, scope] : old.filter((entry) => entry !== scope)));
  return (
    <form className="card stack" onSubmit={(event) => void form.submit(event)} aria-labelledby="api-keys-create" data-testid="api-keys-create">
      <h2 id="api-keys-create">{t("apiKeys.create")}</h2>
      <label className="field">
        <span>{t("apiKeys.name")}</span>
        <input value={name} onChange={(event) => setName(event.target.value)} required maxLength={80} />
      </label>
      <fieldset className="stack">
        <legend>{t("apiKeys.scopes")}</legend>
        {apiKeyScopes.map((scope) => (
          <label key={scope} className="checkbox">
            <input type="checkbox" checked={scopes.includes(scope)} onChange={(event) => toggle(scope, event.target.checked)} />
            <span>
              <span className="mono">{scope}</span> <span className="muted small">{t(`apiKeys.scope.${scope}` as MessageKey)}</span>
            </span>
          </label>
        ))}
      </fieldset>
      <div className="inline-form">
        <label className="field">
          <span>{t("apiKeys.expires")}</span>
          <input type="date" value={expiresOn} onChange={(event) => setExpiresOn(event.target.value)} />
        </label>
        <label className="field">
          <span>{t("apiKeys.networks")}</span>
          <textarea value={networks} onChange={(event) => setNetworks(event.target.value)} rows={2} placeholder="203.0.113.0/24&#10;2001:db8::/32" />
        </label>
      </div>
      <p className="muted small">{t("apiKeys.networksHint")}</p>
      <button type="submit" className="button button-primary" disabled={form.busy || scopes.length === 0}>
        {t("apiKeys.createSubmit")}
      </button>
      {secret && (
        <Notice tone="success" title={t("apiKeys.secretTitle")} testId="api-key-secret">
          <p className="small">{t("apiKeys.secretOnce")}</p>
          <span className="mono small" data-testid="api-key-secret-value">
            {secret}
          </span>{" "}
          <CopyButton value={secret} testId="api-key-copy" />
        </Notice>
      )}
      <ErrorNotice error={form.error} />
    </form>
  );
}

type ApiKeyView = {
  id: string;
  name: string;
  hint: string;
  scopes: string[];
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  allowedNetworks: string[];
};

function KeyTable(props: { keys: ApiKeyView[]; onRevoked(): void }) {
  const { t, lang } = useI18n();
  return (
    <TableScroll>
      <table className="table" data-testid="api-keys-table">
        <thead>
          <tr>
            <th scope="col">{t("apiKeys.name")}</th>
            <th scope="col">{t("apiKeys.key")}</th>
            <th scope="col">{t("apiKeys.scopes")}</th>
            <th scope="col">{t("apiKeys.expires")}</th>
            <th scope="col">{t("apiKeys.networks")}</th>
            <th scope="col">{t("apiKeys.lastUsed")}</th>
            <th scope="col">{t("products.status")}</th>
            <th scope="col">
              <span className="visually-hidden">{t("apiKeys.revoke")}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.keys.map((key) => {
            const expired = key.expiresAt !== null && new Date(key.expiresAt).getTime() <= Date.now();
            const state = key.revokedAt ? "revoked" : expired ? "expired" : "active";
            return (
              <tr key={key.id}>
                <td>{key.name}</td>
                <td className="mono small">{key.hint}</td>
                <td className="mono small">{key.scopes.join(", ")}</td>
                <td className="small">{key.expiresAt ? formatDateTime(key.expiresAt, lang) : t("apiKeys.never")}</td>
                <td className="mono small">{key.allowedNetworks.length ? key.allowedNetworks.join(", ") : t("apiKeys.anyAddress")}</td>
                <td className="small">{key.lastUsedAt ? formatDateTime(key.lastUsedAt, lang) : "—"}</td>
                <td>
                  <span className={`badge badge-${state === "active" ? "good" : "muted"}`} data-state={state}>
                    {t(`apiKeys.state.${state}`)}
                  </span>
                </td>
                <td>{state === "active" && <RevokeButton keyId={key.id} name={key.name} onRevoked={props.onRevoked} />}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </TableScroll>
  );
}

function RevokeButton(props: { keyId: string; name: string; onRevoked(): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const revoke = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await answer(api.POST("/api/api-keys/{keyId}/revoke", { params: { path: { keyId: props.keyId } } }));
      props.onRevoked();
    } catch (caught) {
      setError(caught);
    }
    setBusy(false);
  };
  return (
    <>
      <button
        type="button"
        className="button button-small"
        onClick={() => void revoke()}
        disabled={busy}
        aria-label={t("apiKeys.revokeNamed", { name: props.name })}
      >
        {t("apiKeys.revoke")}
      </button>
      <ErrorNotice error={error} />
    </>
  );
}
