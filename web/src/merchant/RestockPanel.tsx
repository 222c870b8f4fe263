// Auto-restock of a docked listing (docs/docking.md, "Auto-restock"): the reseller sets when the
// listing's allocation of the supplier's keys is topped up (below `threshold`, by `batchKeys`,
// never holding more than `maxKeys`, within a budget of wholesale value) or turns it off. The
// server checks every number; its refusal (code and message) is shown as it is.
import { useEffect, useState } from "react";
import { answer, ApiError } from "../api/client.ts";
import { ErrorNotice } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { useFormSubmit } from "../components/useFormSubmit.ts";
import { formatMoney, parseMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { useSession } from "../session.tsx";

export function RestockPanel(props: { shopId: string; listing: { productId: string; name: string; currency: string } }) {
  const { t } = useI18n();
  const { api } = useSession();
  const path = { shopId: props.shopId, productId: props.listing.productId };
  const rule = useAsync(
    async (signal) => {
      try {
        return await answer(api.GET("/api/shops/{shopId}/docking/listings/{productId}/restock", { params: { path }, signal }));
      } catch (error) {
        // No rule yet: the form starts empty.
        if (error instanceof ApiError && error.code === "not_found") return null;
        throw error;
      }
    },
    [api, props.shopId, props.listing.productId],
  );
  const [threshold, setThreshold] = useState("5");
  const [batchKeys, setBatchKeys] = useState("10");
  const [maxKeys, setMaxKeys] = useState("20");
  const [budget, setBudget] = useState("");
  const [enabled, setEnabled] = useState(true);
  const current = rule.data;
  useEffect(() => {
    if (!current) return;
    setThreshold(String(current.threshold));
    setBatchKeys(String(current.batchKeys));
    setMaxKeys(String(current.maxKeys));
    setEnabled(current.enabled);
  }, [current]);
  const budgetMinor = parseMoney(budget, props.listing.currency);
  const { busy, error, submit } = useFormSubmit(async () => {
    await answer(
      api.PUT("/api/shops/{shopId}/docking/listings/{productId}/restock", {
        params: { path },
        body: { threshold: Number(threshold), batchKeys: Number(batchKeys), maxKeys: Number(maxKeys), budgetMinor: String(budgetMinor), enabled },
      }),
    );
    setBudget("");
    rule.reload();
  });
  const numberField = (label: string, value: string, set: (value: string) => void) => (
    <label className="field">
      <span>{label}</span>
      <input type="number" min={1} max={10000} step={1} value={value} onChange={(event) => set(event.target.value)} required />
    </label>
  );
  return (
    <details className="stack" data-testid={`restock-${props.listing.productId}`}>
      <summary>{t("docking.restock.title", { name: props.listing.name })}</summary>
      <p className="muted">{t("docking.restock.hint")}</p>
      {current && (
        <p data-testid="restock-status">
          {t(current.enabled ? "docking.restock.on" : "docking.restock.off")} ·{" "}
          {t("docking.restock.status", {
            allocated: current.allocatedAvailable,
            budget: formatMoney(current.budgetRemainingMinor, props.listing.currency),
          })}
        </p>
      )}
      <ErrorNotice error={rule.error} onRetry={rule.reload} />
      <form className="inline-form" onSubmit={(event) => void submit(event)} aria-label={t("docking.restock.title", { name: props.listing.name })}>
        {numberField(t("docking.restock.threshold"), threshold, setThreshold)}
        {numberField(t("docking.restock.batchKeys"), batchKeys, setBatchKeys)}
        {numberField(t("docking.restock.maxKeys"), maxKeys, setMaxKeys)}
        <label className="field">
          <span>{t("docking.restock.budget")}</span>
          <input value={budget} onChange={(event) => setBudget(event.target.value)} inputMode="decimal" required placeholder="100.00" />
        </label>
        <label className="checkbox">
          <input type="checkbox" checked={enabled} onChange={(event) => setEnabled(event.target.checked)} />
          {t("docking.restock.enabled")}
        </label>
        <button type="submit" className="button button-small" disabled={busy || budgetMinor === undefined}>
          {t("docking.restock.save")}
        </button>
        <ErrorNotice error={error} />
      </form>
    </details>
  );
}
