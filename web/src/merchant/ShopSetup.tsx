// Create a shop (when the merchant has none) and configure its EPay gateway. The gateway key
// is write-only: the API stores it encrypted and never returns it.
import { answer } from "../api/client.ts";
import { useState, type FormEvent } from "react";
import type { Shop } from "../api/types.ts";
import { ErrorNotice, Field, Notice } from "../components/ui.tsx";
import { useI18n } from "../i18n/i18n.tsx";
import { useSession } from "../session.tsx";

export function ShopSetup(props: { shop?: Shop; onCreated(): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [slug, setSlug] = useState("");
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [gatewayUrl, setGatewayUrl] = useState("");
  const [pid, setPid] = useState("");
  const [gatewayKey, setGatewayKey] = useState("");
  const [error, setError] = useState<unknown>(undefined);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  const run = async (event: FormEvent, action: () => Promise<unknown>) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    setSaved(false);
    try {
      await action();
      setSaved(true);
      props.onCreated();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  if (!props.shop) {
    return (
      <form
        className="card stack"
        onSubmit={(event) => void run(event, () => answer(api.POST("/api/shops", { body: { slug, name, ...(description ? { description } : {}) } })))}
        data-testid="shop-create-form"
      >
        <h2>{t("setup.createTitle")}</h2>
        <Field label={t("setup.name")} htmlFor="shop-name">
          <input id="shop-name" value={name} onChange={(event) => setName(event.target.value)} required maxLength={80} />
        </Field>
        <Field label={t("setup.slug")} htmlFor="shop-slug" hint={t("setup.slugHint")}>
          <input id="shop-slug" value={slug} onChange={(event) => setSlug(event.target.value.toLowerCase())} required pattern="[a-z0-9][a-z0-9-]{1,62}" />
        </Field>
        <Field label={t("setup.description")} htmlFor="shop-description">
          <textarea id="shop-description" rows={3} value={description} onChange={(event) => setDescription(event.target.value)} maxLength={2000} />
        </Field>
        <ErrorNotice error={error} />
        <button className="button button-primary" type="submit" disabled={busy}>
          {t("setup.create")}
        </button>
      </form>
    );
  }
  const shop = props.shop;
  return (
    <form
      className="card stack narrow-form"
      onSubmit={(event) =>
        void run(event, () =>
          answer(api.PUT("/api/shops/{shopId}/payment-settings/epay", { params: { path: { shopId: shop.id } }, body: { gatewayUrl, pid, key: gatewayKey } })),
        )
      }
      data-testid="epay-form"
    >
      <h2>{t("setup.epayTitle")}</h2>
      <p className="muted">{shop.epayConfigured ? t("setup.epayConfigured") : t("setup.epayMissing")}</p>
      <Field label={t("setup.gatewayUrl")} htmlFor="epay-url" hint={t("setup.gatewayUrlHint")}>
        <input
          id="epay-url"
          type="url"
          value={gatewayUrl}
          onChange={(event) => setGatewayUrl(event.target.value)}
          required
          placeholder="https://pay.example.com/"
        />
      </Field>
      <Field label={t("setup.pid")} htmlFor="epay-pid">
        <input id="epay-pid" value={pid} onChange={(event) => setPid(event.target.value)} required />
      </Field>
      <Field label={t("setup.key")} htmlFor="epay-key" hint={t("setup.keyHint")}>
        <input
          id="epay-key"
          type="password"
          autoComplete="off"
          value={gatewayKey}
          onChange={(event) => setGatewayKey(event.target.value)}
          required
          minLength={8}
        />
      </Field>
      <ErrorNotice error={error} />
      {saved && <Notice tone="success">{t("common.saved")}</Notice>}
      <button className="button button-primary" type="submit" disabled={busy}>
        {t("common.save")}
      </button>
    </form>
  );
}
