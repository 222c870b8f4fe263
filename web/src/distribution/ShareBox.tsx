// Share-to-earn (docs/distribution.md, "Share-to-earn"): on a product page, a signed-in buyer's
// personal link to the product (/product/<id>?ref=<its referral code>) with a copy button, and
// the first-level commission a purchase through it pays (GET /api/products/{id}/share-commission,
// the rate a sale applies). A product that pays no first-level commission (rate 0, or a docked
// listing) keeps the box but says sharing earns nothing here, so nobody shares expecting money.
import { answer } from "../api/client.ts";
import { CopyButton, Field } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { Link } from "../router.tsx";
import { useSession } from "../session.tsx";

/** 1537 bps -> "15.37%", 1000 -> "10%". */
export function percentOfBps(bps: number): string {
  return `${(bps / 100).toFixed(bps % 100 === 0 ? 0 : 2).replace(/(\.\d)0$/, "$1")}%`;
}

export function ShareBox(props: { productId: string }) {
  const { t } = useI18n();
  const { api, account } = useSession();
  const rate = useAsync(
    (signal) => answer(api.GET("/api/products/{productId}/share-commission", { params: { path: { productId: props.productId } }, signal })),
    [api, props.productId],
  );
  const overview = useAsync((signal) => (account ? answer(api.GET("/api/agent/overview", { signal })) : Promise.resolve(undefined)), [api, account?.id]);
  if (!account || !rate.data || !overview.data) return null;
  const link = `${window.location.origin}/product/${props.productId}?ref=${overview.data.referralCode}`;
  const earns = rate.data.level1Bps > 0;
  return (
    <section className="card stack" aria-labelledby="share-earn-title" data-testid="share-box">
      <h2 id="share-earn-title">{t("share.title")}</h2>
      {earns ? (
        <>
          <p data-testid="share-rate">{t("share.rate", { rate: percentOfBps(rate.data.level1Bps) })}</p>
          <Field label={t("share.link")} htmlFor="share-link">
            <input id="share-link" className="mono" readOnly value={link} data-testid="share-link" onFocus={(event) => event.currentTarget.select()} />
          </Field>
          <p>
            <CopyButton value={link} label={t("share.copy")} testId="share-copy" />
          </p>
          <p className="muted small">
            {t("share.hint")} <Link to="/me/earnings">{t("nav.myEarnings")}</Link>
          </p>
        </>
      ) : (
        <p className="muted" data-testid="share-none">
          {t("share.none")}
        </p>
      )}
    </section>
  );
}
