// The certificate chain of an order whose keys this shop bought from a supplier on another
// Keyledger instance (docs/docking.md, "Across instances"): both shops, and for each key the
// supplier's certificate facts with a button that opens it in the verify page. The order view
// does not say whether a listing is docked, so the page asks the provenance route and a 404 ("no
// key bought from a remote supplier") shows nothing. Its own chunk: most orders never need it.
import { ApiError, answer } from "../api/client.ts";
import type { Certificate } from "../api/types.ts";
import { ErrorNotice } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { formatDateTime } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { useRouter } from "../router.tsx";
import { useSession } from "../session.tsx";
import { saveVerifyDraft } from "../verify/verifyDraft.ts";

export default function OrderProvenance(props: { orderId: string; token: string | undefined; code: string | null }) {
  const { t, lang } = useI18n();
  const { api } = useSession();
  const { navigate } = useRouter();
  const provenance = useAsync(
    async (signal) => {
      try {
        return await answer(
          api.GET("/api/orders/{orderId}/provenance", { params: { path: { orderId: props.orderId }, query: { token: props.token } }, signal }),
        );
      } catch (error) {
        // Not docked (or not delivered yet), or not the buyer: nothing to show.
        if (error instanceof ApiError && (error.status === 404 || error.status === 403)) return null;
        throw error;
      }
    },
    [api, props.orderId, props.token],
  );
  if (provenance.error) return <ErrorNotice error={provenance.error} onRetry={provenance.reload} />;
  const chain = provenance.data;
  if (!chain) return null;
  // One delivered code per order line; only a single-key order's code belongs to its one certificate.
  const codeFor = (certificates: Certificate[]) => (certificates.length === 1 ? (props.code ?? undefined) : undefined);
  const verify = (certificate: Certificate) => {
    saveVerifyDraft({ certificate, key: codeFor(chain.supplier.certificates) });
    navigate("/verify?from=order");
  };
  return (
    <section className="stack" aria-labelledby="provenance-title" data-testid="order-provenance">
      <h2 id="provenance-title" className="section-title">
        {t("provenance.title")}
      </h2>
      <p className="muted">{t("provenance.intro")}</p>
      <dl className="facts card">
        <div data-testid="provenance-reseller">
          <dt>{t("provenance.reseller")}</dt>
          <dd>
            {t("provenance.shopAt", { shop: chain.reseller.shopId, instance: chain.reseller.instance })}
            <br />
            <span className="muted small">{t("provenance.resold", { time: formatDateTime(chain.reseller.deliveredAt, lang) })}</span>
          </dd>
        </div>
        <div data-testid="provenance-supplier">
          <dt>{t("provenance.supplier")}</dt>
          <dd>
            {t("provenance.shopAt", { shop: chain.supplier.shopId, instance: chain.supplier.instance })}
            <br />
            <span className="muted small">{t("provenance.upstreamOrder", { order: chain.reseller.upstreamOrderId })}</span>
          </dd>
        </div>
      </dl>
      {chain.supplier.certificates.map((certificate) => (
        <article className="card" key={`${certificate.batch.id}:${certificate.leaf.index}`} data-testid="provenance-certificate">
          <dl className="key-facts">
            <div>
              <dt>{t("order.batch")}</dt>
              <dd data-testid="provenance-batch">
                #{certificate.batch.id} · {t("order.leaf", { n: certificate.leaf.index })}
              </dd>
            </div>
            <div>
              <dt>{t("provenance.root")}</dt>
              <dd className="mono break" data-testid="provenance-root">
                {certificate.batch.root}
              </dd>
            </div>
            <div>
              <dt>{t("provenance.anchor")}</dt>
              <dd className="mono break" data-testid="provenance-anchor">
                {certificate.batch.anchor?.transaction ?? "—"}
              </dd>
            </div>
            <div>
              <dt>{t("order.token")}</dt>
              <dd data-testid="provenance-token">{certificate.issuance ? `#${certificate.issuance.tokenId}` : "—"}</dd>
            </div>
          </dl>
          <div className="button-row">
            <button type="button" className="button button-small button-ghost" onClick={() => verify(certificate)} data-testid="provenance-verify">
              {t("provenance.verify")}
            </button>
          </div>
        </article>
      ))}
    </section>
  );
}
