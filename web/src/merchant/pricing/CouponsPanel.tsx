// Coupons (docs/pricing.md, "Coupons"): create one with a chosen code, or generate many (up to
// 10,000) with the same rule and download them as CSV; the list shows each coupon's uses against
// its limit, and disables one. The API checks every rule; its refusal is shown as it words it.
import { useState } from "react";
import { answer } from "../../api/client.ts";
import { productCategories, type Product, type ProductCategory, type Shop } from "../../api/types.ts";
import { EmptyState, ErrorNotice, Field, Notice, Spinner, TableScroll } from "../../components/ui.tsx";
import { useAsync } from "../../components/useAsync.ts";
import { useFormSubmit } from "../../components/useFormSubmit.ts";
import { formatDateTime, formatMoney, parseMoney } from "../../format.ts";
import { useI18n } from "../../i18n/i18n.tsx";
import type { MessageKey } from "../../i18n/messages.ts";
import { useSession } from "../../session.tsx";

const bulkMax = 10_000;

export function CouponsPanel(props: { shop: Shop; products: Product[]; currency: string }) {
  const { t, lang } = useI18n();
  const { api } = useSession();
  const list = useAsync(
    (signal) =>
      answer(api.GET("/api/shops/{shopId}/coupons", { params: { path: { shopId: props.shop.id }, query: { limit: 100, format: "json" } }, signal })).then(
        // The route answers CSV only when asked for it; the JSON page is the typed branch.
        (page) => (typeof page === "string" ? { items: [], nextCursor: null, hasMore: false } : page),
      ),
    [api, props.shop.id],
  );
  const [actionError, setActionError] = useState<unknown>(undefined);
  const disable = async (couponId: string) => {
    setActionError(undefined);
    try {
      await answer(api.POST("/api/shops/{shopId}/coupons/{couponId}/disable", { params: { path: { shopId: props.shop.id, couponId } } }));
      list.reload();
    } catch (caught) {
      setActionError(caught);
    }
  };
  return (
    <section className="card stack" aria-labelledby="coupons-title">
      <h2 id="coupons-title">{t("pricing.coupons.title")}</h2>
      <p className="muted">{t("pricing.coupons.hint")}</p>
      <CreateCoupons shopId={props.shop.id} products={props.products} currency={props.currency} onCreated={list.reload} />
      <ErrorNotice error={list.error ?? actionError} onRetry={list.reload} />
      {list.loading && !list.data && <Spinner />}
      {list.data?.items.length === 0 && <EmptyState title={t("pricing.coupons.empty")} />}
      {list.data && list.data.items.length > 0 && (
        <TableScroll>
          <table className="table" data-testid="coupons-table">
            <thead>
              <tr>
                <th scope="col">{t("pricing.coupon.code")}</th>
                <th scope="col">{t("pricing.coupon.value")}</th>
                <th scope="col">{t("pricing.coupon.scope")}</th>
                <th scope="col">{t("pricing.coupon.uses")}</th>
                <th scope="col">{t("pricing.coupon.endsAt")}</th>
                <th scope="col">{t("common.actions")}</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((coupon) => (
                <tr key={coupon.id} data-testid="coupon-row" data-code={coupon.code}>
                  <td className="mono">{coupon.code}</td>
                  <td>{coupon.kind === "percent" ? `${coupon.value}%` : formatMoney(coupon.value, props.currency)}</td>
                  <td className="small">{t(`pricing.coupon.scope.${coupon.scope}` as MessageKey)}</td>
                  <td data-testid="coupon-uses">{coupon.usesMax === null ? String(coupon.uses) : `${coupon.uses} / ${coupon.usesMax}`}</td>
                  <td className="small">{formatDateTime(coupon.endsAt, lang)}</td>
                  <td>
                    {coupon.disabled ? (
                      <span className="muted small">{t("pricing.coupon.disabled")}</span>
                    ) : (
                      <button type="button" className="button button-small button-ghost" onClick={() => void disable(coupon.id)}>
                        {t("pricing.coupon.disable")}
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

type Scope = "shop" | "product" | "category";

function CreateCoupons(props: { shopId: string; products: Product[]; currency: string; onCreated(): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [bulk, setBulk] = useState(false);
  const [code, setCode] = useState("");
  const [count, setCount] = useState("100");
  const [kind, setKind] = useState<"fixed" | "percent">("percent");
  const [value, setValue] = useState("");
  const [scope, setScope] = useState<Scope>("shop");
  const [scopeProductId, setScopeProductId] = useState(props.products[0]?.id ?? "");
  const [scopeCategory, setScopeCategory] = useState<ProductCategory>("game_card");
  const [minimum, setMinimum] = useState("");
  const [endsAt, setEndsAt] = useState("");
  const [usesMax, setUsesMax] = useState("");
  const [perBuyerMax, setPerBuyerMax] = useState("");
  const [generated, setGenerated] = useState<{ batchId: string; created: number } | undefined>(undefined);
  const [fieldError, setFieldError] = useState<string | undefined>(undefined);

  const { busy, error, submit } = useFormSubmit(async () => {
    setGenerated(undefined);
    const amount = kind === "fixed" ? parseMoney(value, props.currency) : /^\d{1,3}$/.test(value.trim()) ? BigInt(value.trim()) : undefined;
    const minimumMinor = minimum.trim() ? parseMoney(minimum, props.currency) : 0n;
    if (amount === undefined || minimumMinor === undefined) {
      setFieldError(t("pricing.coupon.valueInvalid"));
      return;
    }
    setFieldError(undefined);
    const created = await answer(
      api.POST("/api/shops/{shopId}/coupons", {
        params: { path: { shopId: props.shopId } },
        body: {
          ...(bulk ? { count: Number(count) } : { code: code.trim() }),
          kind,
          value: String(amount),
          scope,
          ...(scope === "product" ? { scopeProductId } : {}),
          ...(scope === "category" ? { scopeCategory } : {}),
          minimumMinor: String(minimumMinor),
          ...(endsAt ? { endsAt: new Date(endsAt).toISOString() } : {}),
          ...(usesMax.trim() ? { usesMax: Number(usesMax) } : {}),
          ...(perBuyerMax.trim() ? { perBuyerMax: Number(perBuyerMax) } : {}),
        },
      }),
    );
    if (created.batchId) setGenerated({ batchId: created.batchId, created: created.created });
    setCode("");
    props.onCreated();
  });

  return (
    <form className="stack" onSubmit={(event) => void submit(event)} data-testid="coupon-form">
      <fieldset className="radio-group">
        <legend>{t("pricing.coupon.mode")}</legend>
        <label className="radio">
          <input type="radio" name="coupon-mode" checked={!bulk} onChange={() => setBulk(false)} />
          <span>{t("pricing.coupon.modeOne")}</span>
        </label>
        <label className="radio">
          <input type="radio" name="coupon-mode" checked={bulk} onChange={() => setBulk(true)} data-testid="coupon-mode-bulk" />
          <span>{t("pricing.coupon.modeBulk")}</span>
        </label>
      </fieldset>
      <div className="inline-form">
        {bulk ? (
          <Field label={t("pricing.coupon.count")} htmlFor="coupon-count" hint={t("pricing.coupon.countHint", { max: bulkMax })}>
            <input id="coupon-count" type="number" min={1} max={bulkMax} value={count} onChange={(event) => setCount(event.target.value)} required />
          </Field>
        ) : (
          <Field label={t("pricing.coupon.code")} htmlFor="coupon-code" hint={t("pricing.coupon.codeHint")}>
            <input id="coupon-code" value={code} onChange={(event) => setCode(event.target.value)} required maxLength={32} />
          </Field>
        )}
        <Field label={t("pricing.coupon.kind")} htmlFor="coupon-kind">
          <select id="coupon-kind" value={kind} onChange={(event) => setKind(event.target.value as "fixed" | "percent")}>
            <option value="percent">{t("pricing.coupon.kind.percent")}</option>
            <option value="fixed">{t("pricing.coupon.kind.fixed")}</option>
          </select>
        </Field>
        <Field
          label={t("pricing.coupon.value")}
          htmlFor="coupon-value"
          error={fieldError}
          hint={kind === "percent" ? t("pricing.coupon.valueHintPercent") : t("pricing.coupon.valueHintFixed", { currency: props.currency })}
        >
          <input id="coupon-value" inputMode="decimal" value={value} onChange={(event) => setValue(event.target.value)} required />
        </Field>
      </div>
      <div className="inline-form">
        <Field label={t("pricing.coupon.scope")} htmlFor="coupon-scope">
          <select id="coupon-scope" value={scope} onChange={(event) => setScope(event.target.value as Scope)}>
            {(["shop", "product", "category"] as const).map((entry) => (
              <option key={entry} value={entry}>
                {t(`pricing.coupon.scope.${entry}` as MessageKey)}
              </option>
            ))}
          </select>
        </Field>
        {scope === "product" && (
          <Field label={t("pricing.product")} htmlFor="coupon-product">
            <select id="coupon-product" value={scopeProductId} onChange={(event) => setScopeProductId(event.target.value)}>
              {props.products.map((product) => (
                <option key={product.id} value={product.id}>
                  {product.name}
                </option>
              ))}
            </select>
          </Field>
        )}
        {scope === "category" && (
          <Field label={t("pricing.coupon.category")} htmlFor="coupon-category">
            <select id="coupon-category" value={scopeCategory} onChange={(event) => setScopeCategory(event.target.value as ProductCategory)}>
              {productCategories.map((category) => (
                <option key={category} value={category}>
                  {t(`category.${category}` as MessageKey)}
                </option>
              ))}
            </select>
          </Field>
        )}
        <Field label={t("pricing.coupon.minimum")} htmlFor="coupon-minimum" hint={t("pricing.optional")}>
          <input id="coupon-minimum" inputMode="decimal" value={minimum} onChange={(event) => setMinimum(event.target.value)} />
        </Field>
        <Field label={t("pricing.coupon.endsAt")} htmlFor="coupon-ends" hint={t("pricing.optional")}>
          <input id="coupon-ends" type="datetime-local" value={endsAt} onChange={(event) => setEndsAt(event.target.value)} />
        </Field>
        <Field label={t("pricing.coupon.usesMax")} htmlFor="coupon-uses-max" hint={t("pricing.optional")}>
          <input id="coupon-uses-max" type="number" min={1} value={usesMax} onChange={(event) => setUsesMax(event.target.value)} />
        </Field>
        <Field label={t("pricing.coupon.perBuyerMax")} htmlFor="coupon-per-buyer" hint={t("pricing.optional")}>
          <input id="coupon-per-buyer" type="number" min={1} value={perBuyerMax} onChange={(event) => setPerBuyerMax(event.target.value)} />
        </Field>
      </div>
      <button type="submit" className="button button-primary" disabled={busy} data-testid="coupon-create">
        {bulk ? t("pricing.coupon.generate") : t("pricing.coupon.create")}
      </button>
      <ErrorNotice error={error} />
      {generated && <GeneratedBatch shopId={props.shopId} {...generated} />}
    </form>
  );
}

/** A generated batch: how many codes, and their CSV (fetched with the session, then saved by the browser). */
function GeneratedBatch(props: { shopId: string; batchId: string; created: number }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [error, setError] = useState<unknown>(undefined);
  const download = async () => {
    setError(undefined);
    try {
      const csv = await answer(
        api.GET("/api/shops/{shopId}/coupons", {
          params: { path: { shopId: props.shopId }, query: { batchId: props.batchId, format: "csv", limit: bulkMax } },
          parseAs: "text",
        }),
      );
      const link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([String(csv)], { type: "text/csv" }));
      link.download = `coupons-${props.batchId}.csv`;
      link.click();
      URL.revokeObjectURL(link.href);
    } catch (caught) {
      setError(caught);
    }
  };
  return (
    <Notice tone="success" title={t("pricing.coupon.generated", { count: props.created })} testId="coupon-generated">
      <button type="button" className="button button-small" onClick={() => void download()} data-testid="coupon-export">
        {t("pricing.coupon.exportCsv")}
      </button>
      <ErrorNotice error={error} />
    </Notice>
  );
}
