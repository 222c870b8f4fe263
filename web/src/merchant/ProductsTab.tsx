// Products: the list with stock (low stock flagged), create, edit, pause and resume.
import { answer } from "../api/client.ts";
import { useState, type FormEvent } from "react";
import { productCategories, type Product, type ProductCategory, type Shop } from "../api/types.ts";
import { EmptyState, ErrorNotice, Field, Spinner, StateBadge, TableScroll } from "../components/ui.tsx";
import { formatMoney, parseMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { Link } from "../router.tsx";
import { useSession } from "../session.tsx";
import { StockBadge } from "../pages/StockBadge.tsx";
import { useShopProducts } from "./shopData.ts";

export function ProductsTab(props: { shop: Shop }) {
  const { t } = useI18n();
  const { api } = useSession();
  const products = useShopProducts(props.shop.id);
  const [editing, setEditing] = useState<Product | "new" | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);

  const toggle = async (product: Product) => {
    setError(undefined);
    try {
      await answer(
        api.PATCH("/api/products/{productId}", {
          params: { path: { productId: product.id } },
          body: { status: product.status === "active" ? "paused" : "active" },
        }),
      );
      products.reload();
    } catch (caught) {
      setError(caught);
    }
  };

  return (
    <div className="stack">
      <div className="section-head">
        <h2 className="section-title">{t("merchant.tab.products")}</h2>
        <button type="button" className="button button-primary" onClick={() => setEditing("new")} data-testid="product-new">
          {t("products.new")}
        </button>
      </div>
      {editing && (
        <ProductForm
          shop={props.shop}
          product={editing === "new" ? undefined : editing}
          onDone={() => {
            setEditing(undefined);
            products.reload();
          }}
          onCancel={() => setEditing(undefined)}
        />
      )}
      <ErrorNotice error={error ?? products.error} onRetry={products.error ? products.reload : undefined} />
      {products.loading && !products.data && <Spinner />}
      {products.data?.length === 0 && <EmptyState title={t("products.empty")}>{t("products.emptyHint")}</EmptyState>}
      {products.data && products.data.length > 0 && (
        <TableScroll>
          <table className="table" data-testid="products-table">
            <thead>
              <tr>
                <th scope="col">{t("products.name")}</th>
                <th scope="col">{t("products.price")}</th>
                <th scope="col">{t("products.stock")}</th>
                <th scope="col">{t("products.status")}</th>
                <th scope="col">
                  <span className="visually-hidden">{t("common.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {products.data.map((product) => (
                <tr key={product.id} data-testid="product-row" data-product-id={product.id}>
                  <td>
                    <Link to={`/product/${product.id}`}>{product.name}</Link>
                    <div className="muted small">
                      {t(`category.${product.category}`)} ·{" "}
                      {product.deliveryMode === "automatic" ? t("product.deliveryAutomatic") : t("product.deliveryManual")}
                      {product.pendingKeys > 0 ? ` · ${t("products.pending", { count: product.pendingKeys })}` : ""}
                    </div>
                  </td>
                  <td>{formatMoney(product.priceMinor, product.currency)}</td>
                  <td>
                    <StockBadge product={product} />
                  </td>
                  <td>
                    <StateBadge state={product.status} />
                  </td>
                  <td className="row-actions">
                    <button type="button" className="button button-small button-ghost" onClick={() => setEditing(product)}>
                      {t("common.edit")}
                    </button>
                    <button type="button" className="button button-small button-ghost" onClick={() => void toggle(product)} data-testid="product-toggle">
                      {product.status === "active" ? t("products.pause") : t("products.resume")}
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

function ProductForm(props: { shop: Shop; product?: Product; onDone(): void; onCancel(): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const existing = props.product;
  const currencyDefault = existing?.currency ?? "CNY";
  const [name, setName] = useState(existing?.name ?? "");
  const [description, setDescription] = useState(existing?.description ?? "");
  const [category, setCategory] = useState<ProductCategory>(existing?.category ?? "game_card");
  const [price, setPrice] = useState(existing ? formatMoney(existing.priceMinor, existing.currency).replace(/[^\d.]/g, "") : "");
  const [currency, setCurrency] = useState(currencyDefault);
  const [deliveryMode, setDeliveryMode] = useState<"automatic" | "manual">(existing?.deliveryMode ?? "automatic");
  const [quantityMin, setQuantityMin] = useState(existing?.quantityMin ?? 1);
  const [quantityMax, setQuantityMax] = useState(existing?.quantityMax ?? 5);
  const [lowStockThreshold, setLowStockThreshold] = useState(existing?.lowStockThreshold ?? 5);
  const [resaleAllowed, setResaleAllowed] = useState(existing?.resaleAllowed ?? false);
  const [royaltyPercent, setRoyaltyPercent] = useState(String((existing?.royaltyBps ?? 0) / 100));
  const [manualStock, setManualStock] = useState(existing?.deliveryMode === "manual" ? String(existing.stock ?? "") : "");
  const [error, setError] = useState<unknown>(undefined);
  const [priceError, setPriceError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const priceMinor = parseMoney(price, currency);
    if (priceMinor === undefined) {
      setPriceError(t("products.priceInvalid"));
      return;
    }
    setPriceError(undefined);
    const body = {
      name,
      description,
      category,
      priceMinor: priceMinor.toString(),
      currency,
      quantityMin,
      quantityMax,
      lowStockThreshold,
      resaleAllowed,
      royaltyBps: Math.round(Number(royaltyPercent || "0") * 100),
      ...(deliveryMode === "manual" ? { manualStock: manualStock === "" ? null : Number(manualStock) } : {}),
    };
    setBusy(true);
    setError(undefined);
    try {
      if (existing) await answer(api.PATCH("/api/products/{productId}", { params: { path: { productId: existing.id } }, body }));
      else await answer(api.POST("/api/shops/{shopId}/products", { params: { path: { shopId: props.shop.id } }, body: { ...body, deliveryMode } }));
      props.onDone();
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };

  return (
    <form className="card stack" onSubmit={(event) => void submit(event)} data-testid="product-form">
      <h3>{existing ? t("products.editTitle") : t("products.new")}</h3>
      <div className="form-grid">
        <Field label={t("products.name")} htmlFor="product-name">
          <input id="product-name" value={name} onChange={(event) => setName(event.target.value)} required maxLength={120} data-testid="product-name" />
        </Field>
        <Field label={t("products.category")} htmlFor="product-category">
          <select id="product-category" value={category} onChange={(event) => setCategory(event.target.value as ProductCategory)}>
            {productCategories.map((value) => (
              <option key={value} value={value}>
                {t(`category.${value}`)}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t("products.price")} htmlFor="product-price" error={priceError} hint={t("products.priceHint")}>
          <input
            id="product-price"
            inputMode="decimal"
            value={price}
            onChange={(event) => setPrice(event.target.value)}
            required
            placeholder="48.00"
            data-testid="product-price"
          />
        </Field>
        <Field label={t("products.currency")} htmlFor="product-currency">
          <input
            id="product-currency"
            value={currency}
            onChange={(event) => setCurrency(event.target.value.toUpperCase())}
            required
            pattern="[A-Z]{3,8}"
            disabled={Boolean(existing)}
          />
        </Field>
        <Field label={t("product.delivery")} htmlFor="product-delivery">
          <select
            id="product-delivery"
            value={deliveryMode}
            onChange={(event) => setDeliveryMode(event.target.value as "automatic" | "manual")}
            disabled={Boolean(existing)}
          >
            <option value="automatic">{t("product.deliveryAutomatic")}</option>
            <option value="manual">{t("product.deliveryManual")}</option>
          </select>
        </Field>
        {deliveryMode === "manual" && (
          <Field label={t("products.manualStock")} htmlFor="product-manual-stock" hint={t("products.manualStockHint")}>
            <input id="product-manual-stock" type="number" min={0} value={manualStock} onChange={(event) => setManualStock(event.target.value)} />
          </Field>
        )}
        <Field label={t("products.quantityMin")} htmlFor="product-qmin">
          <input id="product-qmin" type="number" min={1} value={quantityMin} onChange={(event) => setQuantityMin(Number(event.target.value))} />
        </Field>
        <Field label={t("products.quantityMax")} htmlFor="product-qmax">
          <input id="product-qmax" type="number" min={1} value={quantityMax} onChange={(event) => setQuantityMax(Number(event.target.value))} />
        </Field>
        <Field label={t("products.lowStock")} htmlFor="product-low">
          <input id="product-low" type="number" min={0} value={lowStockThreshold} onChange={(event) => setLowStockThreshold(Number(event.target.value))} />
        </Field>
        <Field label={t("products.royalty")} htmlFor="product-royalty" hint={t("products.royaltyHint")}>
          <input
            id="product-royalty"
            inputMode="decimal"
            value={royaltyPercent}
            onChange={(event) => setRoyaltyPercent(event.target.value)}
            disabled={!resaleAllowed}
          />
        </Field>
      </div>
      <label className="checkbox">
        <input type="checkbox" checked={resaleAllowed} onChange={(event) => setResaleAllowed(event.target.checked)} />
        <span>{t("products.resaleAllowed")}</span>
      </label>
      <Field label={t("products.description")} htmlFor="product-description">
        <textarea id="product-description" rows={3} value={description} onChange={(event) => setDescription(event.target.value)} maxLength={4000} />
      </Field>
      <ErrorNotice error={error} />
      <div className="button-row">
        <button type="submit" className="button button-primary" disabled={busy} data-testid="product-save">
          {t("common.save")}
        </button>
        <button type="button" className="button button-ghost" onClick={props.onCancel}>
          {t("common.cancel")}
        </button>
      </div>
    </form>
  );
}
