// Batches: one per import, with its Merkle root, anchoring state and transaction, sold and
// available keys. Refreshes while a batch is still on its way on-chain.
import { answer } from "../api/client.ts";
import type { Shop } from "../api/types.ts";
import { EmptyState, ErrorNotice, Hash, Spinner, StateBadge, TxLink, TableScroll } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { formatDateTime } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { useSession } from "../session.tsx";
import { useShopProducts } from "./shopData.ts";

const batchPollIntervalMs = 2000;

export function BatchesTab(props: { shop: Shop }) {
  const { t, lang } = useI18n();
  const { api } = useSession();
  const products = useShopProducts(props.shop.id);
  const batches = useAsync(
    (signal) =>
      answer(api.GET("/api/shops/{shopId}/batches", { params: { path: { shopId: props.shop.id }, query: { limit: 100 } }, signal })).then((page) => page.items),
    [api, props.shop.id],
    {
      pollMs: batchPollIntervalMs,
      poll: (items) => Boolean(items?.some((batch) => batch.anchorState === "pending" || batch.anchorState === "submitted")),
    },
  );
  const productName = (id: string) => products.data?.find((product) => product.id === id)?.name ?? `#${id}`;
  if (batches.loading && !batches.data) return <Spinner />;
  return (
    <div className="stack">
      <h2 className="section-title">{t("merchant.tab.batches")}</h2>
      <p className="muted">{t("batches.intro")}</p>
      <ErrorNotice error={batches.error} onRetry={batches.reload} />
      {batches.data?.length === 0 && <EmptyState title={t("batches.empty")}>{t("batches.emptyHint")}</EmptyState>}
      {batches.data && batches.data.length > 0 && (
        <TableScroll>
          <table className="table" data-testid="batches-table">
            <thead>
              <tr>
                <th scope="col">{t("batches.batch")}</th>
                <th scope="col">{t("batches.product")}</th>
                <th scope="col">{t("batches.keys")}</th>
                <th scope="col">{t("batches.root")}</th>
                <th scope="col">{t("batches.anchor")}</th>
                <th scope="col">{t("batches.tx")}</th>
              </tr>
            </thead>
            <tbody>
              {batches.data.map((batch) => (
                <tr key={batch.id} data-testid="batch-row" data-batch-id={batch.id} data-anchor-state={batch.anchorState}>
                  <td>
                    #{batch.id}
                    <div className="muted small">{formatDateTime(batch.createdAt, lang)}</div>
                  </td>
                  <td className="clamp-cell">{productName(batch.productId)}</td>
                  <td>
                    {batch.keyCount}
                    <div className="muted small">{t("batches.soldAvailable", { sold: batch.sold, available: batch.available })}</div>
                  </td>
                  <td>
                    <Hash value={batch.root} />
                  </td>
                  <td>
                    <StateBadge state={batch.anchorState} />
                    {batch.anchorBlock && <div className="muted small">{t("verify.t.block", { block: batch.anchorBlock })}</div>}
                  </td>
                  <td>
                    <TxLink hash={batch.anchorTx} />
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
