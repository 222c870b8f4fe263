// A group's page, /g/<id> (docs/groupbuy.md): its price, how many of its N seats are taken, the
// time left, a join button, and its share link with a copy button. A seat is taken when the
// member's payment is accepted, so the count moves after paying, not after joining.
import { useEffect, useState } from "react";
import { answer } from "../api/client.ts";
import { ErrorNotice, Spinner } from "../components/ui.tsx";
import { useAsync } from "../components/useAsync.ts";
import { formatMoney } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { Link } from "../router.tsx";
import { useSession } from "../session.tsx";

/** Whole hours and minutes until `iso` (never negative). */
function timeLeft(iso: string, now: number): { hours: number; minutes: number } {
  const minutes = Math.max(0, Math.floor((new Date(iso).getTime() - now) / 60_000));
  return { hours: Math.floor(minutes / 60), minutes: minutes % 60 };
}

export default function GroupPage(props: { groupId: string }) {
  const { t } = useI18n();
  const { api, account } = useSession();
  const group = useAsync((signal) => answer(api.GET("/api/groups/{groupId}", { params: { path: { groupId: props.groupId } }, signal })), [api, props.groupId]);
  const [now, setNow] = useState(() => Date.now());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);
  if (group.loading && !group.data) return <Spinner />;
  if (group.error || !group.data) return <ErrorNotice error={group.error} onRetry={group.reload} />;
  const view = group.data;
  const shareUrl = `${window.location.origin}${view.sharePath}`;
  const left = timeLeft(view.expiresAt, now);
  const canJoin = view.state === "open" && !view.viewer.leader && !view.viewer.member && view.membersCount < view.size;
  const join = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const joined = await answer(api.POST("/api/groups/{groupId}/join", { params: { path: { groupId: view.id } }, body: {} }));
      if (joined.payment.method === "chain") {
        const { payWithWallet } = await import("../verify/payWithWallet.ts");
        await payWithWallet(joined.payment);
      }
      window.location.assign(`/orders/${joined.order.id}?token=${encodeURIComponent(joined.accessToken)}`);
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };
  const copy = async () => {
    await navigator.clipboard?.writeText(shareUrl).catch(() => undefined);
    setCopied(true);
  };
  return (
    <section className="card stack" aria-labelledby="group-title" data-testid="group-page">
      <h1 id="group-title">{t("groupbuy.title", { product: view.productName })}</h1>
      <p>
        <Link to={`/product/${view.productId}`}>{view.productName}</Link>
      </p>
      <p className="price price-large" data-testid="group-price">
        {t("groupbuy.price", { price: formatMoney(view.priceMinor, view.currency), list: formatMoney(view.listPriceMinor, view.currency) })}
      </p>
      <dl className="facts">
        <div>
          <dt>{t("groupbuy.members")}</dt>
          <dd data-testid="group-members">{t("groupbuy.membersValue", { count: view.membersCount, size: view.size })}</dd>
        </div>
        <div>
          <dt>{t("groupbuy.state")}</dt>
          <dd data-testid="group-state">{t(`groupbuy.state.${view.state}`)}</dd>
        </div>
        {view.state === "open" && (
          <div>
            <dt>{t("groupbuy.timeLeft")}</dt>
            <dd data-testid="group-time-left">{t("groupbuy.timeLeftValue", left)}</dd>
          </div>
        )}
      </dl>
      {canJoin &&
        (account ? (
          <button type="button" className="button button-primary" disabled={busy} onClick={() => void join()} data-testid="group-join">
            {t("groupbuy.join", { price: formatMoney(view.priceMinor, view.currency) })}
          </button>
        ) : (
          <Link to="/login">{t("groupbuy.signInToJoin")}</Link>
        ))}
      <ErrorNotice error={error} />
      <div className="inline-form">
        <label htmlFor="group-share-link">{t("groupbuy.shareLink")}</label>
        <input id="group-share-link" readOnly value={shareUrl} data-testid="group-share-link" />
        <button type="button" className="button" onClick={() => void copy()} data-testid="group-copy">
          {copied ? t("groupbuy.copied") : t("groupbuy.copy")}
        </button>
      </div>
    </section>
  );
}
