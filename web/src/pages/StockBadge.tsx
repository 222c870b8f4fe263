import type { Product } from "../api/types.ts";
import { useI18n } from "../i18n/i18n.tsx";

export function StockBadge(props: { product: Product }) {
  const { t } = useI18n();
  const { stock, lowStock } = props.product;
  if (stock === null) return <span className="badge badge-good">{t("stock.available")}</span>;
  if (stock <= 0)
    return (
      <span className="badge badge-bad" data-testid="stock-badge">
        {t("stock.soldOut")}
      </span>
    );
  return (
    <span className={`badge ${lowStock ? "badge-warn" : "badge-good"}`} data-testid="stock-badge">
      {lowStock ? t("stock.low", { count: stock }) : t("stock.inStock", { count: stock })}
    </span>
  );
}
