// A product's own pricing rules: its wholesale tiers (a table of quantity ranges and unit
// prices) and how many one buyer, or one guest contact, may order per 24 hours. The table is
// sent whole; the API refuses overlapping or descending ranges and names the row to fix, and
// that message is what the merchant sees.
import { useState } from "react";
import { answer } from "../../api/client.ts";
import type { Product } from "../../api/types.ts";
import { ErrorNotice, Field, Notice, Spinner, TableScroll } from "../../components/ui.tsx";
import { useAsync } from "../../components/useAsync.ts";
import { useFormSubmit } from "../../components/useFormSubmit.ts";
import { moneyInputText, parseMoney } from "../../format.ts";
import { useI18n } from "../../i18n/i18n.tsx";
import { RemoveRowButton, RowTableFooter } from "./RowTableControls.tsx";
import { useSession } from "../../session.tsx";
import { GroupOfferEditor } from "../../groupbuy/GroupOfferEditor.tsx";

type TierRow = { quantityMin: string; quantityMax: string; unitPrice: string };

export function ProductRulesPanel(props: { products: Product[] }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [productId, setProductId] = useState(props.products[0]!.id);
  const product = props.products.find((entry) => entry.id === productId) ?? props.products[0]!;
  const rules = useAsync(
    (signal) => answer(api.GET("/api/products/{productId}/pricing", { params: { path: { productId: product.id } }, signal })),
    [api, product.id],
  );
  return (
    <section className="card stack" aria-labelledby="product-rules-title">
      <h2 id="product-rules-title">{t("pricing.productRules.title")}</h2>
      <Field label={t("pricing.product")} htmlFor="rules-product">
        <select id="rules-product" value={product.id} onChange={(event) => setProductId(event.target.value)} data-testid="rules-product">
          {props.products.map((entry) => (
            <option key={entry.id} value={entry.id}>
              {entry.name}
            </option>
          ))}
        </select>
      </Field>
      <ErrorNotice error={rules.error} onRetry={rules.reload} />
      {rules.loading && !rules.data && <Spinner />}
      {rules.data && (
        // Keyed by product: switching products starts the editors from that product's saved rules.
        <div key={product.id} className="stack-lg">
          <TiersEditor
            product={product}
            saved={rules.data.tiers.map((tier) => ({
              quantityMin: String(tier.quantityMin),
              quantityMax: tier.quantityMax === null ? "" : String(tier.quantityMax),
              unitPrice: moneyInputText(tier.unitPriceMinor, product.currency),
            }))}
          />
          <DailyLimitEditor productId={product.id} saved={rules.data.perBuyerDailyMax} />
          {product.deliveryMode === "automatic" && <GroupOfferEditor product={product} />}
        </div>
      )}
    </section>
  );
}

function TiersEditor(props: { product: Product; saved: TierRow[] }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [rows, setRows] = useState<TierRow[]>(props.saved);
  const [saved, setSaved] = useState(false);
  const [rowError, setRowError] = useState<string | undefined>(undefined);
  const update = (index: number, change: Partial<TierRow>) => setRows((current) => current.map((row, at) => (at === index ? { ...row, ...change } : row)));
  const { busy, error, submit } = useFormSubmit(async () => {
    setSaved(false);
    const tiers = rows.map((row) => ({
      quantityMin: Number(row.quantityMin),
      quantityMax: row.quantityMax.trim() ? Number(row.quantityMax) : null,
      unitPriceMinor: parseMoney(row.unitPrice, props.product.currency),
    }));
    const bad = tiers.findIndex((tier) => !Number.isInteger(tier.quantityMin) || tier.unitPriceMinor === undefined);
    if (bad >= 0) {
      setRowError(t("pricing.tiers.rowInvalid", { row: bad + 1 }));
      return;
    }
    setRowError(undefined);
    await answer(
      api.PUT("/api/products/{productId}/tiers", {
        params: { path: { productId: props.product.id } },
        body: { tiers: tiers.map((tier) => ({ ...tier, unitPriceMinor: String(tier.unitPriceMinor) })) },
      }),
    );
    setSaved(true);
  });
  return (
    <form className="stack" onSubmit={(event) => void submit(event)} data-testid="tiers-form">
      <h3>{t("pricing.tiers.title")}</h3>
      <p className="muted small">{t("pricing.tiers.hint")}</p>
      <TableScroll>
        <table className="table" data-testid="tiers-table">
          <thead>
            <tr>
              <th scope="col">{t("pricing.tiers.quantityMin")}</th>
              <th scope="col">{t("pricing.tiers.quantityMax")}</th>
              <th scope="col">{t("pricing.tiers.unitPrice", { currency: props.product.currency })}</th>
              <th scope="col">{t("common.actions")}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row, index) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity but their place in the table
              <tr key={index} data-testid="tier-row">
                <td>
                  <input
                    aria-label={`${t("pricing.tiers.quantityMin")} ${index + 1}`}
                    type="number"
                    min={1}
                    value={row.quantityMin}
                    onChange={(event) => update(index, { quantityMin: event.target.value })}
                    data-testid="tier-min"
                  />
                </td>
                <td>
                  <input
                    aria-label={`${t("pricing.tiers.quantityMax")} ${index + 1}`}
                    type="number"
                    min={1}
                    placeholder={t("pricing.tiers.openEnded")}
                    value={row.quantityMax}
                    onChange={(event) => update(index, { quantityMax: event.target.value })}
                    data-testid="tier-max"
                  />
                </td>
                <td>
                  <input
                    aria-label={`${t("pricing.tiers.unitPrice", { currency: props.product.currency })} ${index + 1}`}
                    inputMode="decimal"
                    value={row.unitPrice}
                    onChange={(event) => update(index, { unitPrice: event.target.value })}
                    data-testid="tier-price"
                  />
                </td>
                <td>
                  <RemoveRowButton onRemove={() => setRows((current) => current.filter((_, at) => at !== index))} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      <RowTableFooter
        onAdd={() => setRows((current) => [...current, { quantityMin: "", quantityMax: "", unitPrice: "" }])}
        busy={busy}
        rowError={rowError}
        error={error}
        saved={saved}
        testIds={{ add: "tier-add", save: "tiers-save", saved: "tiers-saved" }}
      />
    </form>
  );
}

function DailyLimitEditor(props: { productId: string; saved: number | null }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [limit, setLimit] = useState(props.saved === null ? "" : String(props.saved));
  const [saved, setSaved] = useState(false);
  const { busy, error, submit } = useFormSubmit(async () => {
    setSaved(false);
    await answer(
      api.PUT("/api/products/{productId}/purchase-limit", {
        params: { path: { productId: props.productId } },
        body: { perBuyerDailyMax: limit.trim() ? Number(limit) : null },
      }),
    );
    setSaved(true);
  });
  return (
    <form className="stack" onSubmit={(event) => void submit(event)} data-testid="limit-form">
      <h3>{t("pricing.limit.title")}</h3>
      <div className="inline-form">
        <Field label={t("pricing.limit.perBuyerDailyMax")} htmlFor="limit-daily" hint={t("pricing.limit.hint")}>
          <input id="limit-daily" type="number" min={1} value={limit} onChange={(event) => setLimit(event.target.value)} data-testid="limit-daily" />
        </Field>
        <button type="submit" className="button button-primary" disabled={busy} data-testid="limit-save">
          {t("common.save")}
        </button>
      </div>
      <ErrorNotice error={error} />
      {saved && (
        <Notice tone="success" testId="limit-saved">
          {t("common.saved")}
        </Notice>
      )}
    </form>
  );
}
