// The merchant's agents and commissions (docs/distribution.md): an invitation link for a new
// agent, the shop's commission rates for three referral levels, and per product the bounds of an
// agent's markup (a product without bounds is not offered to agents).
import { useState } from "react";
import { answer } from "../api/client.ts";
import type { Shop } from "../api/types.ts";
import { CopyButton, ErrorNotice, Notice } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { useFormSubmit } from "../components/useFormSubmit.ts";
import { parseMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { useSession } from "../session.tsx";

export function DistributionTab(props: { shop: Shop }) {
  const { t } = useI18n();
  return (
    <div className="stack-lg">
      <p className="muted">{t("distribution.hint")}</p>
      <InviteAgent shopId={props.shop.id} />
      <CommissionRates shopId={props.shop.id} />
      <MarkupBounds shop={props.shop} />
    </div>
  );
}

function InviteAgent(props: { shopId: string }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [link, setLink] = useState<string | undefined>(undefined);
  const form = useFormSubmit(async () => {
    const invitation = await answer(api.POST("/api/shops/{shopId}/agent-invitations", { params: { path: { shopId: props.shopId } } }));
    // The link opens this app's agent page wherever the console is served from.
    setLink(`${window.location.origin}/agent/join?token=${invitation.token}`);
  });
  return (
    <form className="card stack" onSubmit={(event) => void form.submit(event)} aria-labelledby="distribution-invite">
      <h2 id="distribution-invite">{t("distribution.invite")}</h2>
      <p className="muted small">{t("distribution.inviteHint")}</p>
      <button type="submit" className="button button-primary" disabled={form.busy}>
        {t("distribution.inviteSubmit")}
      </button>
      {link && (
        <Notice tone="success" title={t("distribution.inviteReady")} testId="distribution-invite-link">
          <span className="mono small">{link}</span> <CopyButton value={link} />
        </Notice>
      )}
      <ErrorNotice error={form.error} />
    </form>
  );
}

const levelNumbers = ["1", "2", "3"] as const;

function CommissionRates(props: { shopId: string }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [levels, setLevels] = useState(["0", "0", "0"]);
  const [saved, setSaved] = useState(false);
  const form = useFormSubmit(async () => {
    setSaved(false);
    // Percent with up to two decimals in the form, basis points in the API (12.5% = 1250).
    const levelsBps = levels.map((text) => Math.round(Number(text) * 100));
    await answer(api.PUT("/api/shops/{shopId}/commission-rates", { params: { path: { shopId: props.shopId } }, body: { levelsBps } }));
    setSaved(true);
  });
  return (
    <form className="card stack" onSubmit={(event) => void form.submit(event)} aria-labelledby="distribution-rates" data-testid="distribution-rates">
      <h2 id="distribution-rates">{t("distribution.rates")}</h2>
      <p className="muted small">{t("distribution.ratesHint")}</p>
      <div className="inline-form">
        {levelNumbers.map((level, index) => (
          <label key={level} className="field">
            <span>{t("distribution.level", { level })}</span>
            <input
              value={levels[index]}
              inputMode="decimal"
              onChange={(event) => setLevels(levels.map((old, at) => (at === index ? event.target.value : old)))}
              required
            />
          </label>
        ))}
      </div>
      <button type="submit" className="button button-primary" disabled={form.busy}>
        {t("distribution.save")}
      </button>
      {saved && <Notice tone="success" title={t("distribution.saved")} testId="distribution-rates-saved" />}
      <ErrorNotice error={form.error} />
    </form>
  );
}

function MarkupBounds(props: { shop: Shop }) {
  const { t } = useI18n();
  const { api } = useSession();
  const products = useAsync(
    (signal) => answer(api.GET("/api/shops/{shopId}/products", { params: { path: { shopId: props.shop.id } }, signal })),
    [api, props.shop.id],
  );
  const [productId, setProductId] = useState("");
  const [min, setMin] = useState("");
  const [max, setMax] = useState("");
  const [saved, setSaved] = useState(false);
  const items = products.data?.items ?? [];
  const chosen = items.find((product) => product.id === productId) ?? items[0];
  const form = useFormSubmit(async () => {
    setSaved(false);
    if (!chosen) return;
    const markupMinMinor = parseMoney(min, chosen.currency);
    const markupMaxMinor = parseMoney(max, chosen.currency);
    if (markupMinMinor === undefined || markupMaxMinor === undefined) throw new Error(t("agent.badAmount"));
    await answer(
      api.PUT("/api/products/{productId}/agent-markup", {
        params: { path: { productId: chosen.id } },
        body: { bounds: { markupMinMinor: String(markupMinMinor), markupMaxMinor: String(markupMaxMinor) } },
      }),
    );
    setSaved(true);
  });
  return (
    <form className="card stack" onSubmit={(event) => void form.submit(event)} aria-labelledby="distribution-bounds" data-testid="distribution-bounds">
      <h2 id="distribution-bounds">{t("distribution.bounds")}</h2>
      <p className="muted small">{t("distribution.boundsHint")}</p>
      <ErrorNotice error={products.error} onRetry={products.reload} />
      <div className="inline-form">
        <label className="field">
          <span>{t("agent.product")}</span>
          <select value={chosen?.id ?? ""} onChange={(event) => setProductId(event.target.value)}>
            {items.map((product) => (
              <option key={product.id} value={product.id}>
                {product.name} (#{product.id})
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{t("distribution.min")}</span>
          <input value={min} onChange={(event) => setMin(event.target.value)} inputMode="decimal" required />
        </label>
        <label className="field">
          <span>{t("distribution.max")}</span>
          <input value={max} onChange={(event) => setMax(event.target.value)} inputMode="decimal" required />
        </label>
      </div>
      <button type="submit" className="button button-primary" disabled={form.busy || !chosen}>
        {t("distribution.save")}
      </button>
      {saved && <Notice tone="success" title={t("distribution.saved")} testId="distribution-bounds-saved" />}
      <ErrorNotice error={form.error} />
    </form>
  );
}
